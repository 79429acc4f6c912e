"""Checks that services call before they write, raising the errors the access model prescribes.

No permission at all on a node answers "not found", exactly as for a missing id; some permission but
not the one asked answers "access denied" naming the missing permission.
"""

from django.db import models

from permissions.engine import can_create_in, is_visible, permissions_on
from permissions.engine.nodes import Node
from permissions.exceptions import AccessDenied, NotFound


def require(actor, permission: str, node: "models.Model | Node") -> None:
    node = Node.of(node)
    held = permissions_on(actor, node)
    if permission in held:
        return
    if held - {"create"}:
        raise AccessDenied(permission, node.type)
    raise NotFound(node.type, node.id)


def require_create(actor, object_type: str, parent: "models.Model | Node") -> None:
    parent = Node.of(parent)
    if can_create_in(actor, object_type, parent):
        return
    if is_visible(actor, parent):
        raise AccessDenied("create", parent.type, f"You need the 'create' permission to add a {object_type} here.")
    raise NotFound(parent.type, parent.id)
