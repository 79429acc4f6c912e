"""The Permissions section of a project's Configuration page: the project's Permissions panel
(:mod:`web.views.permissions_panel`) with the project dialog's boxes (``PROJECT_BOXES``), read and saved
through :mod:`permissions.boxes`."""

from accounts.principals import Principal
from permissions.boxes import PROJECT_BOXES, BoxSet
from permissions.engine.nodes import Node
from web.views.permissions_panel import Editor, PermissionsPanel
from web.views.project_configuration.base import ConfigurationBase


class AccessSection(PermissionsPanel, ConfigurationBase):
    """The project's Permissions: the search, the list with its pencils, and who has access here."""

    singular = "project"
    subheading = "h3"

    def panel_node(self) -> Node:
        return Node.of(self.project)

    def panel_box_set(self) -> BoxSet:
        return PROJECT_BOXES

    def panel_can_edit(self) -> bool:
        return self.config_flags.can_edit_access

    def panel_reads_grants(self) -> bool:
        return self.config_flags.reads_grants

    def panel_url(self) -> str:
        return self.url()

    def panel_rows_url(self) -> str:
        return self.url("project-access-search")

    def panel_editor(self, principal: Principal) -> Editor:
        address = self.panel_save_url(principal)
        return Editor(address, address)

    def panel_save_url(self, principal: Principal) -> str:
        return self.url("project-access", kind=principal.subject_kind, subject_id=principal.subject_id)

    def panel_where(self) -> str:
        return f"the project {self.project.name}"

    def node_words(self, node: Node) -> str:
        return {"org_project": "all projects", "organization": "the organization"}.get(node.type, node.type)

    def permissions_context(self) -> dict:
        return self.panel_context(self.request.GET.get("q", ""), self.request.GET.get("principal"))
