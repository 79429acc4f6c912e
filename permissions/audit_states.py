"""What audit events record in their states: some fields of a row (:func:`fields_state`), and the access
a change takes away with it, so that the audit log alone can say who could do what at an earlier instant
(:mod:`permissions.engine.history` replays it backwards).

A change that removes a principal, a group or a role also removes rows that no event of their own names:
a departing member's group memberships and grants, the grants to a deleted group and its place in the
groups that contained it, the grants of a deleted role. The event of that change records them in its
``before``, in the shapes the grant and group events use.
"""

from collections.abc import Iterable
from uuid import UUID

from django.db import models

from permissions.engine.nodes import Node
from permissions.grants import GrantRecord, grant_records
from permissions.models import GroupMembershipExpiry, GroupNesting, PermissionGroup, Role, RoleNesting


def fields_state(row: models.Model, fields: tuple[str, ...]) -> dict:
    """What an event records of `row` when it records some of its fields: each of `fields` as it is, an id
    as its text (an event's states are JSON, and a state compares equal to the one read back)."""
    values = {field: getattr(row, field) for field in fields}
    return {field: str(value) if isinstance(value, UUID) else value for field, value in values.items()}


def sorted_ids(ids: Iterable) -> list[str]:
    """A set of ids as an event records it: as text and in order, so that two states of the same set are
    equal however the rows were read."""
    return sorted(str(pk) for pk in ids)


def grant_state(record: GrantRecord) -> dict:
    """A grant as the ``acl.*`` events record it."""
    return {
        "object_type": record.object_type,
        "object_id": str(record.object_id),
        "user_id": str(record.user_id) if record.user_id else None,
        "group_id": str(record.group_id) if record.group_id else None,
        "permission": record.permission,
        "role_id": str(record.role_id) if record.role_id else None,
        "restrict_object_type": record.restrict_object_type,
        "expires_at": record.expires_at.isoformat() if record.expires_at else None,
    }


def _grants(records: list[GrantRecord]) -> list[dict]:
    unique = {record.id: record for record in records}
    ordered = sorted(unique.values(), key=lambda r: str(r.id))
    return [{"id": str(record.id), **grant_state(record), "created": record.created.isoformat()} for record in ordered]


def departing_member_state(org_id, user) -> dict:
    """A member about to leave the organization: its kind, the groups it is in (with when its membership
    ends, where it does) and its grants there, expired ones included."""
    groups = PermissionGroup.objects.filter(org_id=org_id, auth_group__user=user)
    expiries = dict(GroupMembershipExpiry.objects.filter(user=user, group__org_id=org_id).values_list("group_id", "expires_at"))
    return {
        "kind": getattr(user, "kind", "user"),
        "groups": sorted_ids(groups.values_list("id", flat=True)),
        "group_expiries": [{"group": str(group), "expires_at": until.isoformat()} for group, until in sorted(expiries.items(), key=str)],
        "grants": _grants(grant_records(org_id=org_id, user_id=user.pk, include_expired=True)),
    }


def deleted_group_state(group: PermissionGroup) -> dict:
    """A group about to be deleted: the groups it is a member of, and the grants to it and on it."""
    containers = GroupNesting.objects.filter(member_group=group).order_by("group_id").values_list("group_id", "expires_at")
    return {
        "member_of": [{"group": str(container), "expires_at": until.isoformat() if until else None} for container, until in containers],
        "grants": _grants(
            grant_records(org_id=group.org_id, group_id=group.pk, include_expired=True)
            + grant_records(nodes=[Node("group", group.pk)], include_expired=True)
        ),
    }


def deleted_role_state(role: Role) -> dict:
    """A role about to be deleted: the roles it is a member of, and the grants of it and on it."""
    return {
        "member_of_roles": sorted_ids(RoleNesting.objects.filter(member_role=role).values_list("role_id", flat=True)),
        "grants": _grants(
            grant_records(org_id=role.org_id, role_id=role.pk, include_expired=True)
            + grant_records(nodes=[Node("role", role.pk)], include_expired=True)
        ),
    }
