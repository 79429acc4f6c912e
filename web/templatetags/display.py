"""What the pages show in the words and units a person reads: permissions and object types in the
Permissions dialogs' words (:mod:`permissions.labels`, with the code as a detail beside them), metrics in
their units (:mod:`web.formatting`), and a project's tags as chips in the tags' colors."""

from django import template
from django.utils.html import format_html

from permissions.labels import node_permission_label, permission_label, type_label
from projects.models import Project
from projects.selectors import tag_colors_of
from projects.services.configuration.tag_colors import is_tag_color
from web import formatting

register = template.Library()


@register.filter(name="permission_label")
def permission_label_filter(permission: str) -> str:
    """``{{ "read_acls"|permission_label }}``: "Manage access: list grants"."""
    return permission_label(permission)


@register.filter(name="type_label")
def type_label_filter(object_type: str) -> str:
    """``{{ "org_project"|type_label }}``: "All projects"."""
    return type_label(object_type)


@register.simple_tag
def permission_words(permission: str, object_type: str | None = None, restrict_object_type: str | None = None) -> str:
    """``{% permission_words "read_acls" %}``: the dialogs' words for the permission (on a node of
    `object_type`, when given: "Read audit logs"), with the code in a ``<code>`` beside them where the
    words are not simply the code capitalized, so that it can be matched to the API."""
    words = node_permission_label(permission, object_type, restrict_object_type)
    if words == permission.capitalize():
        return format_html('<span class="permission">{}</span>', words)
    return format_html('<span class="permission">{} <code title="The permission, as the API names it">{}</code></span>', words, permission)


@register.filter
def metric(entry: dict) -> str:
    """``{{ entry|metric }}``: an experiment summary's metric (``metric`` and ``unit``) in its unit."""
    return formatting.metric(entry.get("metric"), entry.get("unit"))


@register.filter
def metric_change(entry: dict) -> str:
    """``{{ entry|metric_change }}``: the change of a summary's metric against the comparison, signed."""
    return formatting.metric_change(entry.get("diff"), entry.get("unit"))


def tag_colors(project: Project) -> dict[str, str]:
    """The colors of the project's tags by name, those a swatch can show (one query per page: kept on the
    project object the page renders, which every chip of the page shares)."""
    colors = getattr(project, "_tag_colors", None)
    if colors is None:
        colors = {name: color for name, color in tag_colors_of(project).items() if is_tag_color(color)}
        project._tag_colors = colors
    return colors


@register.inclusion_tag("web/project/_tag_chips.html", takes_context=True)
def tag_chips(context, names) -> dict:
    """``{% tag_chips names %}``: the tags `names` as chips, each in its tag's color. The colors are the
    project's configuration, so they are shown only where the page says the person reads the project
    (``shows_configuration``); elsewhere the chips are plain."""
    project = context.get("project")
    colors = tag_colors(project) if project is not None and context.get("shows_configuration") else {}
    return {"chips": [(name, colors.get(name, "")) for name in names or ()]}
