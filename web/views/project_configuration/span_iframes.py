"""The Span iframes section of a project's Configuration page: the pages of the team's own tools that each
span's page embeds, sandboxed (``RowsMixin.span_iframes_context`` in :mod:`web.views.project_pages.rows`)."""

from projects.models import SpanIframe
from projects.selectors import span_iframes_of
from web.confirm import Confirmation
from web.forms.configuration import SpanIframeForm
from web.views.project_configuration.base import ConfigurationBase, Editor


class SpanIframesSection(ConfigurationBase):
    """The project's span iframes, and their create and edit dialogs."""

    def span_iframe_editor(self, iframe: SpanIframe | None = None, data=None) -> Editor:
        if iframe is None:
            form = SpanIframeForm(data, prefix="iframe-new")
            return Editor("iframe-new", "Create span iframe", self.url("project-span-iframe-create"), form, kind="span-iframe")
        initial = {"name": iframe.name, "url": iframe.url, "description": iframe.description, "post_message": iframe.post_message}
        key = f"iframe-{iframe.pk.hex}"
        action = self.url("project-span-iframe-update", iframe_id=iframe.pk)
        return Editor(key, f"Edit span iframe {iframe.name}", action, SpanIframeForm(data, initial=initial, prefix=key), kind="span-iframe")

    def span_iframes_context(self, failed: Editor | None) -> dict:
        iframes = span_iframes_of(self.project)
        entries = self.entries(iframes, self.span_iframe_editor, failed)
        for entry in entries:
            entry["delete"] = self.span_iframe_delete_confirmation(entry["item"]) if entry["editor"] else None
        context = {"span_iframes": entries}
        if self.config_flags.can_update:
            context["new_span_iframe"] = self.editor_or_failed(self.span_iframe_editor(), failed)
        return context

    def span_iframe_delete_confirmation(self, iframe: SpanIframe) -> Confirmation:
        return Confirmation(
            key=f"delete-iframe-{iframe.pk.hex}",
            title=f"Delete the span iframe {iframe.name}?",
            action=self.url("project-span-iframe-delete", iframe_id=iframe.pk),
            button="Delete span iframe",
            back_url=self.url(anchor="span-iframes"),
            goes=[f"The span iframe {iframe.name} of {self.project.name} ({iframe.url}): span pages no longer show it."],
        )
