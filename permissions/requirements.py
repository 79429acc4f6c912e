"""What a request needs, as data: API views and pages declare these, and one checker asks the engine.

A view never calls the engine's guards itself. It declares what a request needs before its handler runs:
:class:`Needs` ("read_acls on this node"), :class:`NeedsSight` (see the node at all), :class:`NeedsAny`
(one of several permissions), :class:`NeedsCreate` ("create a group in this organization"),
:class:`NeedsOwner` ("an Owner of this organization") and :class:`NeedsSession` (the browser session,
not a bearer credential). Each one's ``check`` answers as docs/access-model.md prescribes: "not found"
when the caller holds no permission on the node (the same answer as a missing id), "access denied"
naming the permission when it holds some other one. Every node is first checked to belong to the
organization the request acts in: a node of another organization is "not found", whatever grants exist.

Nothing here depends on DRF: :class:`permissions.drf.EngineAccess` checks them for the API, and
:class:`web.context.OrgPage` for the pages.
"""

from dataclasses import dataclass
from uuid import UUID

from permissions.engine import is_visible, permissions_on
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
class NeedsAny:
    """The caller needs one of `permissions` on `node` (seeing the node first); a refusal names the first."""

    permissions: tuple[str, ...]
    node: Node

    def check(self, request, org_id: UUID) -> None:
        node = ensure_in_org(self.node, org_id)
        held = permissions_on(request.user, node)
        if not held - {"create"}:
            raise NotFound(node.type, node.id)
        if not held & set(self.permissions):
            raise AccessDenied(self.permissions[0], node.type, node=node)


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
        if getattr(request, "auth", None) is not None:  # a bearer credential; the browser session carries none
            raise AccessDenied("create", self.object_type, self.message)


Requirement = Needs | NeedsSight | NeedsAny | NeedsCreate | NeedsOwner | NeedsSession


def to_explain(node: Node, *, explains_self: bool) -> Requirement:
    """What explaining access to `node` needs: one's own, only to see the node (a node one sees nothing on
    stays "not found"); anyone else's, read_acls on it. The API's explain and the Check access page ask
    this alike."""
    return NeedsSight(node) if explains_self else Needs("read_acls", node)


def to_ask_what_can(org_id, *, asks_of_self: bool) -> list[Requirement]:
    """What listing where a principal holds a permission needs: nothing more than membership for one's own;
    read_acls on the organization for anyone else's (it reads the organization's grants). The API's
    what-can and the Check access page ask this alike."""
    return [] if asks_of_self else [Needs("read_acls", Node("organization", org_id))]


def to_ask_who_could(node: Node, org_id) -> list[Requirement]:
    """What asking who held a permission on `node` at an earlier instant needs: read_acls on the node, as
    who-can does, and read on the organization's audit log, from which the past is rebuilt. The API's
    who-could and the Who could page ask this alike."""
    return [Needs("read_acls", node), Needs("read", Node("org_audit_logs", org_id))]
