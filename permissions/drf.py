"""How DRF views ask the engine: each view declares what a request needs, one permission class checks it.

A view never calls the engine's guards itself. It declares, as data:

* ``requirements()``: what the request needs before its handler runs, as :class:`Needs`,
  :class:`NeedsCreate` and :class:`NeedsOwner` values (say "read_acls on this node", "create a group in
  this organization", "an Owner of this organization");
* ``object_permissions``: the permission each HTTP method needs on the object the view loads, and
  ``object_node(obj)``: the node that object stands for in the hierarchy.

:class:`EngineAccess` checks both and answers as docs/access-model.md prescribes: "not found" when the
caller holds no permission on the node (the same answer as a missing id), "access denied" naming the
permission when it holds some other one. Every node is first checked to belong to the organization the
request acts in (``view.org``): a node of another organization is "not found", whatever grants exist.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from django.core.exceptions import ImproperlyConfigured
from rest_framework.permissions import BasePermission

from permissions.engine import is_visible
from permissions.engine.decision import is_acting_principal
from permissions.engine.guards import require, require_create, require_owner
from permissions.engine.nodes import Node
from permissions.exceptions import AccessDenied, NotFound
from permissions.grants import resolve_chain


def access_method(request) -> str:
    """The method whose access a request needs: a HEAD is a GET without its body, and needs what GET needs."""
    return "GET" if request.method == "HEAD" else request.method


def ensure_in_org(node: Node, org_id: UUID) -> Node:
    """`node`, if it exists inside the organization `org_id`; otherwise "not found"."""
    chain = resolve_chain(node)
    if chain is None or chain[-1].id != org_id:
        raise NotFound(node.type, node.id)
    return node


@dataclass(frozen=True)
class Needs:
    """The caller needs `permission` on `node`."""

    permission: str
    node: Node

    def check(self, request, org_id: UUID) -> None:
        require(request.user, self.permission, ensure_in_org(self.node, org_id))


@dataclass(frozen=True)
class NeedsSight:
    """The caller must see `node`: hold some permission on it, whichever (create aside)."""

    node: Node

    def check(self, request, org_id: UUID) -> None:
        node = ensure_in_org(self.node, org_id)
        if not is_visible(request.user, node):
            raise NotFound(node.type, node.id)


@dataclass(frozen=True)
class NeedsCreate:
    """The caller needs to be able to create an `object_type` under `parent`."""

    object_type: str
    parent: Node

    def check(self, request, org_id: UUID) -> None:
        require_create(request.user, self.object_type, ensure_in_org(self.parent, org_id))


@dataclass(frozen=True)
class NeedsOwner:
    """The caller must be one of the organization's Owners (service accounts and their tokens); `what`
    completes the refusal "Only Owners can ..."."""

    what: str

    def check(self, request, org_id: UUID) -> None:
        require_owner(request.user, org_id, self.what)


@dataclass(frozen=True)
class NeedsSession:
    """The request must come from the browser session, not a bearer credential (Braintrust: "API keys
    cannot create API keys")."""

    message: str
    object_type: str

    def check(self, request, org_id: UUID) -> None:
        if request.auth is not None:  # a bearer credential; the browser session carries none
            raise AccessDenied("create", self.object_type, self.message)


Requirement = Needs | NeedsSight | NeedsCreate | NeedsOwner | NeedsSession


class EngineAccessView(Protocol):
    """What :class:`EngineAccess` reads from a view."""

    object_permissions: dict[str, str | None]

    @property
    def org(self): ...

    def requirements(self) -> Iterable[Requirement]: ...

    def object_node(self, obj) -> Node | None: ...


class EngineAccess(BasePermission):
    """The one permission class of the /v1 views: the view's declared requirements, asked of the engine."""

    def has_permission(self, request, view: EngineAccessView) -> bool:
        if not is_acting_principal(request.user):
            return False  # DRF answers 401 to a request without a (valid) credential
        for requirement in view.requirements():
            requirement.check(request, view.org.pk)
        return True

    def has_object_permission(self, request, view: EngineAccessView, obj) -> bool:
        method = access_method(request)
        if method not in view.object_permissions:
            raise ImproperlyConfigured(f"{type(view).__name__} declares no object permission for {method}.")
        permission = view.object_permissions[method]
        node = view.object_node(obj)
        if permission is not None and node is not None:
            Needs(permission, node).check(request, view.org.pk)
        return True
