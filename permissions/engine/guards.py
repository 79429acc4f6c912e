"""Checks that services call before they write, raising the errors the access model prescribes.

No permission at all on a node answers "not found", exactly as for a missing id; some permission but
not the one asked answers "access denied" naming the missing permission.
"""

from uuid import UUID

from django.db import models

from permissions.engine import can_create_in, is_member, is_visible, permissions_on
from permissions.engine.context import load_context
from permissions.engine.nodes import Node
from permissions.exceptions import AccessDenied, NotFound
from permissions.models import PermissionGroup


def require(actor, permission: str, node: "models.Model | Node") -> None:
    node = Node.of(node)
    if permission in permissions_on(actor, node):
        return
    if is_visible(actor, node):
        raise AccessDenied(permission, node.type, node=node)
    raise NotFound(node.type, node.id)


def require_create(actor, object_type: str, parent: "models.Model | Node") -> None:
    parent = Node.of(parent)
    if can_create_in(actor, object_type, parent):
        return
    if is_visible(actor, parent):
        raise AccessDenied("create", parent.type, f"You need the 'create' permission to add a {object_type} here.", node=parent)
    raise NotFound(parent.type, parent.id)


def is_owner(principal, org_id: UUID) -> bool:
    """Whether `principal` is in the organization's Owners group, directly or through a member group."""
    groups = [group_id for group_id, group_org in load_context(principal).group_org.items() if group_org == org_id]
    return bool(groups) and PermissionGroup.objects.filter(pk__in=groups, builtin=PermissionGroup.Builtin.OWNERS).exists()


def require_owner(actor, org_id: UUID, what: str) -> None:
    """Service accounts and their tokens are for Owners only (docs/access-model.md, "Principals"): a
    non-member is answered "not found", a member who is not an Owner "access denied"."""
    if not is_member(actor, org_id):
        raise NotFound("organization", org_id)
    if not is_owner(actor, org_id):
        raise AccessDenied("update", "organization", f"Only Owners can {what}.")
