"""What a person may do in an organization, computed by the engine for the pages.

Templates never decide access: they read these flags (``can_invite``), which come from the engine's
answers for the organization's nodes. The engine memoizes per request, so a page that reads every flag
costs one query per node it touches.
"""

from dataclasses import dataclass

from accounts.models import Organization
from permissions.engine import can_create_in, permissions_on
from permissions.engine.guards import is_owner
from permissions.engine.nodes import Node
from permissions.selectors import groups_visible_to


@dataclass(frozen=True)
class OrgFlags:
    can_read_members: bool
    can_read_groups: bool
    can_invite: bool
    can_remove_members: bool
    can_manage_settings: bool
    can_manage_access: bool
    can_read_audit_log: bool
    can_create_group: bool
    can_create_project: bool
    is_owner: bool
    can_read_organization: bool = False  # read on the organization: its Environments page
    can_check_access: bool = False  # read_acls on the organization or on all projects: "Check access" in the top bar

    @property
    def sees_settings(self) -> bool:
        return True  # every member has their own API keys there


def restrict_groups_readable(user, org: Organization) -> bool:
    """Whether the person may read some permission group of the organization (the Permission groups page)."""
    return groups_visible_to(user, org).exists()


def org_flags(user, org: Organization) -> OrgFlags:
    organization = permissions_on(user, Node("organization", org.pk))
    members = permissions_on(user, Node("org_member", org.pk))
    return OrgFlags(
        can_read_members="read" in members,
        can_read_groups=bool(restrict_groups_readable(user, org)),
        can_invite="create" in members,
        can_remove_members="delete" in members,
        can_manage_settings="update" in organization,
        can_read_organization="read" in organization,
        can_manage_access="create_acls" in organization,
        can_read_audit_log="read" in permissions_on(user, Node("org_audit_logs", org.pk)),
        can_create_group=can_create_in(user, "group", Node("organization", org.pk)),
        can_create_project=can_create_in(user, "project", Node("org_project", org.pk)),
        is_owner=is_owner(user, org.pk),
        can_check_access="read_acls" in organization or "read_acls" in permissions_on(user, Node("org_project", org.pk)),
    )


@dataclass(frozen=True)
class ConfigurationFlags:
    """What the person may do on this project's Configuration page, from the engine."""

    can_update: bool
    sees_permissions: bool
    can_edit_access: bool
    reads_grants: bool = False  # who has access here: read_acls

    @classmethod
    def of(cls, user, project) -> "ConfigurationFlags":
        held = permissions_on(user, project)
        return cls(
            can_update="update" in held,
            sees_permissions=bool({"create_acls", "read_acls"} & held),
            can_edit_access="create_acls" in held,
            reads_grants="read_acls" in held,
        )


@dataclass(frozen=True)
class GroupFlags:
    """What the person may do with one group's own grants (its "Group access" dialog)."""

    can_change_access: bool

    @classmethod
    def of(cls, user, group) -> "GroupFlags":
        return cls(can_change_access=bool(permissions_on(user, group) & {"create_acls", "delete_acls"}))


@dataclass(frozen=True)
class ProjectFlags:
    """What a project's layout shows the person: the Logs tab with read on the project's logs, the
    Configuration tab with read on the project."""

    reads_logs: bool
    reads_project: bool

    @classmethod
    def of(cls, user, project) -> "ProjectFlags":
        return cls(
            reads_logs="read" in permissions_on(user, Node("project_log", project.pk)),
            reads_project="read" in permissions_on(user, project),
        )


@dataclass(frozen=True)
class NodeFlags:
    """What the person may do on one node of a project's pages (its logs, an object), from the engine."""

    can_update: bool
    sees_access: bool  # the Permissions dialog: read_acls or create_acls
    reads_grants: bool  # who has access: read_acls
    can_edit_access: bool  # create_acls or delete_acls
    can_delete: bool = False

    @classmethod
    def of(cls, user, node) -> "NodeFlags":
        held = permissions_on(user, node)
        return cls(
            can_update="update" in held,
            sees_access=bool(held & {"read_acls", "create_acls"}),
            reads_grants="read_acls" in held,
            can_edit_access=bool(held & {"create_acls", "delete_acls"}),
            can_delete="delete" in held,
        )


def may_create_in(user, object_type: str, parent) -> bool:
    """Whether the person may create a `object_type` under `parent` (the Create button)."""
    return can_create_in(user, object_type, parent)
