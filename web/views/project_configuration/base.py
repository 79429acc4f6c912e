"""What every view of a project's Configuration page shares: the project it is about, the access every
request needs, its URLs, and the editors (create and edit dialogs) its sections hold."""

from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import Http404
from django.urls import reverse

from permissions.engine.nodes import Node
from permissions.requirements import Needs
from projects.selectors import live_project_in
from web.context import OrgPage
from web.flags import ConfigurationFlags


@dataclass
class Editor:
    """One create or edit dialog: its form (and rows), where it posts, and whether it failed last time."""

    key: str
    title: str
    action: str
    form: forms.Form
    rows: Any = None
    kind: str = ""

    @property
    def has_errors(self) -> bool:
        return bool(self.form.errors) or (self.rows is not None and (self.rows.non_form_errors() or any(self.rows.errors)))


class ConfigurationBase(OrgPage):
    """A view of the Configuration page of the project the URL names."""

    template_name = "web/project/configuration.html"
    section = "projects"

    def load(self) -> None:
        project = live_project_in(self.org, self.kwargs["project_id"])
        if project is None:
            raise Http404("No such project.")
        self.project = project
        self.config_flags = ConfigurationFlags.of(self.request.user, project)

    def requirements(self):
        """Read on the project for every request (seen but unreadable is the explained 403), then what the
        method adds."""
        return [Needs("read", Node.of(self.project)), *super().requirements()]

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data())

    def url(self, name: str = "project-configuration", anchor: str = "", **kwargs) -> str:
        url = reverse(f"web:{name}", kwargs={"org_name": self.org.name, "project_id": self.project.pk, **kwargs})
        return f"{url}#{anchor}" if anchor else url

    def editor_or_failed(self, editor: Editor, failed: Editor | None) -> Editor:
        """The editor, or the one that failed in its place (kept with the person's input and its errors)."""
        return failed if failed is not None and failed.key == editor.key else editor

    def entries(self, items, make, failed: Editor | None) -> list[dict]:
        """Each item with its edit dialog, for whoever may change the project."""
        can_update = self.config_flags.can_update
        return [{"item": item, "editor": self.editor_or_failed(make(item), failed) if can_update else None} for item in items]
