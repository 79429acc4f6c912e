"""Parts that many pages share, written once so that they look and behave the same everywhere: the dialog
that holds a page's small forms ("Create project", "Rename", "Invite") and the table that lists a page's
objects, or says in a sentence that there are none."""

from django import template
from django.template.base import token_kwargs

register = template.Library()


class WrapperNode(template.Node):
    """Renders :attr:`template_name` around the content between the tags: the options, resolved, and that
    content as ``body`` are the template's variable :attr:`name`."""

    template_name = ""
    name = ""
    required: tuple[str, ...] = ()
    defaults: dict = {}

    def __init__(self, nodelist: template.NodeList, options: dict):
        self.nodelist = nodelist
        self.options = options

    @classmethod
    def parse(cls, parser, token) -> "WrapperNode":
        bits = token.split_contents()
        options = token_kwargs(bits[1:], parser)
        missing = [name for name in cls.required if name not in options]
        unknown = sorted(set(options) - set(cls.required) - set(cls.defaults))
        if len(options) != len(bits) - 1 or missing or unknown:
            raise template.TemplateSyntaxError(f"{bits[0]} takes name=value options: missing {missing}, unknown {unknown}.")
        nodelist = parser.parse((f"end{bits[0]}",))
        parser.delete_first_token()
        return cls(nodelist, options)

    def shows_body(self, values: dict) -> bool:
        return True

    def render(self, context) -> str:
        values = {**self.defaults, **{name: value.resolve(context) for name, value in self.options.items()}}
        values["body"] = self.nodelist.render(context) if self.shows_body(values) else ""
        wrapper = context.template.engine.get_template(self.template_name)
        with context.push({self.name: values}):
            return wrapper.render(context)


class FormDialogNode(WrapperNode):
    template_name = "web/form_dialog.html"
    name = "dialog"
    required = ("id", "title_id", "title", "submit")
    defaults = {"action": "", "open": False}


class ListTableNode(WrapperNode):
    template_name = "web/list_table.html"
    name = "table"
    required = ("items", "label", "empty")
    defaults = {"class": "table"}

    def shows_body(self, values: dict) -> bool:
        return bool(values["items"])


@register.tag
def form_dialog(parser, token):
    """``{% form_dialog id=... title_id=... title=... submit=... [action=...] [open=...] %}fields{% endform_dialog %}``:
    a <dialog> holding a POST form with a heading, the fields given between the tags, and Cancel and
    submit buttons. ``open`` (the form's errors, say) makes the page open it on load; without ``action``
    the form posts to the page itself."""
    return FormDialogNode.parse(parser, token)


@register.tag
def list_table(parser, token):
    """``{% list_table items=... label=... empty=... [class=...] %}<thead>…</thead><tbody>…</tbody>{% endlist_table %}``:
    the table, named `label` for assistive technology, when there are `items`; else the sentence `empty`."""
    return ListTableNode.parse(parser, token)
