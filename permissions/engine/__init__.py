"""The access engine: the one place that decides who may do what.

Public API (everything else in the project asks these):

* :func:`can` and :func:`permissions_on` for one node, :func:`can_create` for a node about to be made;
* :func:`restrict` to narrow any queryset of a hierarchy model in the database;
* :func:`explain` for the reasons behind a decision, :func:`holders` for who holds a permission and why,
  :func:`access_on` for everyone holding anything on a node and why, :func:`reachable_rows` with
  :func:`explain_reach` for where a principal holds a permission and why, and :func:`who_could` for who
  held one at an earlier instant, from the audit log;
* :func:`access_cache_scope` and :func:`invalidate_access_cache` for the per-request memo.
"""

from django.db import models

from permissions.engine.cache import access_cache_scope, invalidate_access_cache
from permissions.engine.context import load_context
from permissions.engine.decision import can_create, effective_permissions, is_acting_principal
from permissions.engine.explain import Access, Explanation, Holder, access_on, explain_access, explain_group_access, who_can
from permissions.engine.history import PastAccess, who_could
from permissions.engine.lists import restrict
from permissions.engine.nodes import Node
from permissions.engine.what_can import Reach, explain_reach, reachable_rows
from permissions.models import PermissionGroup
from permissions.types import ALL_PERMISSIONS


def permissions_on(principal, node: "models.Model | Node") -> frozenset[str]:
    """The permissions `principal` holds on `node` (a model instance or a :class:`Node`)."""
    if not is_acting_principal(principal):
        return frozenset()
    return effective_permissions(principal, Node.of(node))


def can(principal, permission: str, node: "models.Model | Node") -> bool:
    """Does `principal` hold `permission` on `node`? See docs/access-model.md, "The decision"."""
    if permission not in ALL_PERMISSIONS:
        raise ValueError(f"Unknown permission {permission!r}.")
    return permission in permissions_on(principal, node)


def is_visible(principal, node: "models.Model | Node") -> bool:
    """Whether the node exists for `principal`: it holds some permission on it other than create.

    An organization is also visible to every member, whatever it holds (docs/access-model.md: membership alone
    makes the organization itself visible); nothing inside it becomes visible that way.
    """
    node = Node.of(node)
    if permissions_on(principal, node) - {"create"}:
        return True
    return node.type == "organization" and is_member(principal, node.id)


def is_member(principal, org_id) -> bool:
    """Whether `principal` is an active member of the organization `org_id`."""
    return is_acting_principal(principal) and org_id in load_context(principal).member_org_ids


def can_create_in(principal, object_type: str, parent: "models.Model | Node") -> bool:
    """May `principal` create a `object_type` under `parent`? The create check on a not-yet-existing node."""
    if not is_acting_principal(principal):
        return False
    return can_create(principal, object_type, Node.of(parent))


def explain(principal, permission: str, node: "models.Model | Node") -> Explanation:
    """Why `principal` (a user, a service account or a permission group) may (or may not) do
    `permission` on `node`: see :mod:`permissions.engine.explain`."""
    if permission not in ALL_PERMISSIONS:
        raise ValueError(f"Unknown permission {permission!r}.")
    if isinstance(principal, PermissionGroup):
        return explain_group_access(principal, permission, Node.of(node))
    return explain_access(principal, permission, Node.of(node))


def holders(permission: str, node: "models.Model | Node") -> list[Holder]:
    """Who holds `permission` on `node` (members and groups of its organization), each with its reasons:
    see :func:`permissions.engine.explain.who_can`. Callers check that the asker may read the node's
    grants: this answers for everyone."""
    if permission not in ALL_PERMISSIONS:
        raise ValueError(f"Unknown permission {permission!r}.")
    return who_can(permission, Node.of(node))


__all__ = [
    "Access",
    "Explanation",
    "Holder",
    "Node",
    "PastAccess",
    "Reach",
    "access_cache_scope",
    "access_on",
    "can",
    "can_create_in",
    "explain",
    "explain_reach",
    "holders",
    "invalidate_access_cache",
    "is_member",
    "is_visible",
    "permissions_on",
    "reachable_rows",
    "restrict",
    "who_could",
]
