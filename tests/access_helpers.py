"""Helpers shared by the access-model tests: granting, custom groups and roles, and row counts.

Grants made for a test's setup go through `acl_grant` as the organization's first owner, so they land in
the store production uses. Tests that need rows the services would refuse (a grant to a non-member, a
grant of one organization's group on another's object) write them with `raw_acl_grant` and
`raw_guardian_grant`.
"""

from uuid import UUID

from django.contrib.auth.models import Group as AuthGroup
from django.db import connection
from guardian.shortcuts import assign_perm

from accounts.models import ApiKey, Environment, Invitation, Membership, Organization, User
from permissions.engine.nodes import Node, is_concrete
from permissions.grants import GrantRecord, guardian_tables
from permissions.models import (
    AclGrant,
    AuditEvent,
    GroupMembershipExpiry,
    GroupNesting,
    PermissionGroup,
    Role,
    RoleNesting,
    RolePermission,
)
from permissions.services.grants import GrantSpec, acl_grant
from permissions.services.roles import system_role
from permissions.types import codename
from projects.models import Dataset, DatasetSnapshot, EnvironmentObject, Experiment, Project, Prompt, PromptSession, SpanIframe
from secrets_store.models import AISecret, EnvVar
from tests.factories import PermissionGroupFactory, owner_of

ACL_PERMISSIONS = ("create_acls", "read_acls", "update_acls", "delete_acls")


def spec_for(
    node,
    *,
    user: User | None = None,
    group: PermissionGroup | None = None,
    permission: str | None = None,
    role: Role | str | None = None,
    restrict: str | None = None,
) -> GrantSpec:
    """A `GrantSpec` on `node` (a model or a `Node`); `role` may be a system role's name."""
    node = Node.of(node)
    if isinstance(role, str):
        role = system_role(role)
    return GrantSpec(
        object_type=node.type,
        object_id=node.id,
        user_id=user.pk if user else None,
        group_id=group.pk if group else None,
        permission=permission,
        role_id=role.pk if role else None,
        restrict_object_type=restrict,
    )


def grant(org: Organization, node, **grantee_and_permission) -> GrantRecord:
    """Grant through the service, as the organization's first owner; the keywords are `spec_for`'s."""
    return acl_grant(actor=owner_of(org), spec=spec_for(node, **grantee_and_permission))


def grant_many(org: Organization, node, permissions, **subject) -> list[GrantRecord]:
    return [grant(org, node, permission=p, **subject) for p in permissions]


def raw_acl_grant(org: Organization, node, *, user=None, group=None, permission=None, role=None, restrict="") -> AclGrant:
    """An `AclGrant` row written directly, bypassing every check of the service."""
    node = Node.of(node)
    grantee = {"user": user, "group": group, "permission": permission, "role": role, "restrict_object_type": restrict}
    return AclGrant.objects.create(org=org, object_type=node.type, object_id=node.id, **grantee)


def raw_guardian_grant(obj, permission: str, *, user=None, group: PermissionGroup | None = None):
    """A guardian row written directly, bypassing every check of the service."""
    assert is_concrete(obj.acl_object_type)
    return assign_perm(codename(permission, obj.acl_object_type), user or group.auth_group, obj)


def raw_grant_expiry(record: GrantRecord, expires_at) -> None:
    """Set the `expires_at` of the row holding `record` directly, bypassing every check of the service
    (which refuses an expiry in the past): how an expired grant the cleanup job has not deleted looks."""
    if record.in_guardian:
        subject = "user" if record.user_id else "group"
        (table,) = (t for t in guardian_tables() if t.object_type == record.object_type and t.subject == subject)
        rows = table.model.objects.filter(pk=record.id)
    else:
        rows = AclGrant.objects.filter(pk=record.id)
    assert rows.update(expires_at=expires_at) == 1


def custom_group(org: Organization, *members: User, name: str | None = None) -> PermissionGroup:
    """A plain (not built-in) group of `org` with these direct member users."""
    group = PermissionGroupFactory(org=org, **({"name": name} if name else {}))
    group.auth_group.user_set.add(*members)
    return group


def nest(group: PermissionGroup, member_group: PermissionGroup) -> None:
    """`group` contains `member_group`, written directly."""
    GroupNesting.objects.create(group=group, member_group=member_group)


def custom_role(org: Organization | None, name: str, pairs=(), member_roles=()) -> Role:
    """A role written directly: `pairs` are (permission, restrict_object_type or "")."""
    role = Role.objects.create(org=org, name=name)
    RolePermission.objects.bulk_create([RolePermission(role=role, permission=p, restrict_object_type=r or "") for p, r in pairs])
    RoleNesting.objects.bulk_create([RoleNesting(role=role, member_role=m) for m in member_roles])
    return role


def counted_models() -> list:
    return [
        Organization,
        Membership,
        Invitation,
        Invitation.groups.through,
        ApiKey,
        User,
        User.groups.through,
        AuthGroup,
        PermissionGroup,
        GroupNesting,
        GroupMembershipExpiry,
        Role,
        RolePermission,
        RoleNesting,
        AclGrant,
        AuditEvent,
        Environment,
        EnvironmentObject,
        Project,
        Experiment,
        Dataset,
        Prompt,
        PromptSession,
        SpanIframe,
        DatasetSnapshot,
        AISecret,
        EnvVar,
        *[table.model for table in guardian_tables()],
    ]


def row_counts() -> dict[str, int]:
    """How many rows every table the services write holds: equal before and after a refused change.

    One statement counts them all (a ``COUNT(*)`` per table, joined by ``UNION ALL``): the tests call this
    before and after thousands of refused requests, and a query per table made it a good part of the suite.
    """
    models = counted_models()
    quote = connection.ops.quote_name
    tables = [quote(model._meta.db_table) for model in models]  # names from the models' own metadata
    counts = " UNION ALL ".join(f"SELECT {index}, COUNT(*) FROM {table}" for index, table in enumerate(tables))  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(counts)
        rows = dict(cursor.fetchall())
    return {model._meta.label: rows[index] for index, model in enumerate(models)}


def audit_actions() -> list[str]:
    return list(AuditEvent.objects.order_by("created", "id").values_list("action", flat=True))


def as_uuid(value) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))
