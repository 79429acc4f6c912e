"""The base of every /v1 view: who is calling, in which organization, and the access checks.

A credential acts in its own organization only: an API key or service token is bound to the
organization it was made in, and a browser session acts in the organization the request names (or the
person's only one). Every node a request touches must belong to that organization; one of another
organization is answered exactly like a missing one.
"""

from uuid import UUID

from django.db.models import Model
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.models import ApiKey, Membership, Organization
from api.pagination import parse_uuid
from permissions.engine import Node
from permissions.engine.guards import require, require_create
from permissions.exceptions import NotFound, ValidationError
from permissions.grants import resolve_chain


def _param(request: Request, name: str):
    value = request.query_params.get(name)
    if value in (None, "") and isinstance(request.data, dict):
        value = request.data.get(name)
    return value or None


def caller_org(request: Request) -> Organization:
    """The organization the request acts in; an org_name or org_id naming another one is refused."""
    if hasattr(request, "_caller_org"):
        return request._caller_org
    org_name, org_id = _param(request, "org_name"), _param(request, "org_id")
    if isinstance(request.auth, ApiKey):
        org = request.auth.org
        if (org_name and org_name != org.name) or (org_id and str(org_id) != str(org.pk)):
            raise ValidationError(f"This credential acts in the organization {org.name!r} only.")
    else:
        memberships = Membership.objects.filter(user=request.user).select_related("org")
        if org_id:
            memberships = memberships.filter(org_id=parse_uuid(org_id, "org_id"))
        if org_name:
            memberships = memberships.filter(org__name=org_name)
        orgs = [m.org for m in memberships[:2]]
        if not orgs:
            raise NotFound("organization", org_id or org_name)
        if len(orgs) > 1:
            raise ValidationError("You belong to several organizations: pass org_name or org_id.")
        org = orgs[0]
    request._caller_org = org
    return org


def node_in_caller_org(request: Request, node: Node) -> Node:
    """`node`, if it exists in the caller's organization; otherwise "not found"."""
    chain = resolve_chain(node)
    if chain is None or chain[-1].id != caller_org(request).pk:
        raise NotFound(node.type, node.id)
    return node


class ApiView(APIView):
    """A /v1 view. Subclasses stay thin: parse, ask the engine through these helpers, call a service."""

    def org(self, request: Request) -> Organization:
        return caller_org(request)

    def require(self, request: Request, permission: str, target: "Model | Node") -> None:
        """The caller holds `permission` on `target` in its organization (404 if it sees nothing there)."""
        node = node_in_caller_org(request, Node.of(target))
        require(request.user, permission, node)

    def require_create(self, request: Request, object_type: str, parent: "Model | Node") -> None:
        node = node_in_caller_org(request, Node.of(parent))
        require_create(request.user, object_type, node)

    @staticmethod
    def uuid_param(request: Request, name: str, *, required: bool = False) -> UUID | None:
        value = request.query_params.get(name)
        if value in (None, ""):
            if required:
                raise ValidationError(f"{name} is required.")
            return None
        return parse_uuid(value, name)
