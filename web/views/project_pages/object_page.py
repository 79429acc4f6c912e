"""What every page of one experiment, dataset, prompt or playground shares: the object the path names, its
menu, and its Permissions panel."""

from functools import cached_property

from django.urls import reverse

from accounts.principals import Principal
from permissions.boxes import BoxSet, Subject, object_boxes
from permissions.engine.nodes import Node
from permissions.exceptions import NotFound
from projects.models import ProjectObject
from projects.selectors import live_object_in
from web.flags import NodeFlags
from web.views.object_menu import menu_context
from web.views.permissions_panel import AccessRow, Editor, PermissionsPanel, editor_with_params
from web.views.project_pages.kinds import KINDS, Kind, object_url
from web.views.project_pages.layout import ProjectPage


class ObjectPage(PermissionsPanel, ProjectPage):
    """A page of one experiment, dataset, prompt or playground of the project: the object's own
    permissions decide whether it exists for the person (404) or refuses them (403)."""

    object_decides_sight = True
    until_prefixed = False  # the boxes form is the only one of the page: its "Until" is ``until``

    @cached_property
    def kind(self) -> Kind:
        kind = KINDS.get(self.kwargs["kind"])
        if kind is None:
            raise NotFound("page")
        return kind

    @cached_property
    def obj(self) -> ProjectObject:
        obj = live_object_in(self.kind.model, self.project, self.kwargs["object_id"])
        if obj is None:
            raise NotFound(self.kind.object_type, self.kwargs["object_id"])
        obj.project = self.project
        return obj

    @cached_property
    def object_flags(self) -> NodeFlags:
        return NodeFlags.of(self.request.user, self.obj)

    @property
    def tab(self) -> str:
        return self.kind.slug

    def object_kwargs(self) -> dict:
        return {"org_name": self.org.name, "project_id": self.project.pk, "kind": self.kind.slug, "object_id": self.obj.pk}

    def menu_context(self) -> dict:
        """The object menu's Rename and Delete (``web.views.object_menu``)."""
        return menu_context(self.org, self.obj, self.kind.slug, self.kind.singular, self.object_flags, object_url(self.org, self.obj))

    def permissions_url(self) -> str:
        return reverse("web:object-permissions", kwargs=self.object_kwargs())

    # The Permissions panel (web.views.permissions_panel)

    @property
    def singular(self) -> str:
        return self.kind.singular

    def panel_node(self) -> Node:
        return Node.of(self.obj)

    def panel_box_set(self) -> BoxSet:
        return object_boxes(self.kind.object_type)

    def panel_can_edit(self) -> bool:
        return self.object_flags.can_edit_access

    def panel_reads_grants(self) -> bool:
        return self.object_flags.reads_grants

    def panel_url(self) -> str:
        return self.permissions_url()

    def panel_rows_url(self) -> str:
        return reverse("web:object-principals", kwargs=self.object_kwargs())

    def panel_editor(self, principal: Principal) -> Editor:
        return editor_with_params(self.permissions_url(), principal=principal.key)

    def panel_save_url(self, principal: Principal) -> str:
        return self.permissions_url()

    def panel_where(self) -> str:
        return f"the {self.kind.singular} {self.obj.name}"

    def node_words(self, node: Node) -> str:
        if node.type == "project":
            return f"project {self.project.name}"
        return {"org_project": "all projects", "organization": "the organization"}.get(node.type, node.type)

    def grant_url(self, node: Node, subject: Subject) -> str:
        if node.type == "project":
            configuration = reverse("web:project-configuration", kwargs={"org_name": self.org.name, "project_id": self.project.pk})
            return f"{configuration}#permissions"
        return super().grant_url(node, subject)

    def access_context(self, chosen: AccessRow | None = None, query: str = "") -> dict:
        """What the Permissions dialog shows: the search, the list, the chosen principal's boxes and who has
        access here; nothing for someone who may neither read nor add its grants."""
        if not self.object_flags.sees_access:
            return {"can_manage_access": False}
        return {
            "can_manage_access": True,
            "permissions_url": self.permissions_url(),
            "chosen_row": chosen,
            **self.panel_context(query, chosen.principal.key if chosen else None),
        }
