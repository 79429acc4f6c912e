"""Reads about organizations and memberships that the API, the SDK's endpoints and the pages share."""

from django.db.models import QuerySet

from accounts.models import ApiKey, Organization, User
from permissions.engine import can
from permissions.engine.nodes import Node


def credential_organizations(user, api_key: ApiKey | None) -> QuerySet[Organization]:
    """The organizations a request may act in, each of which its principal is a member of.

    An API key or service token acts in the organization it was made in only; a browser session (no key)
    in every organization of the person. Membership alone is enough to see an organization
    (docs/access-model.md), so this is also what ``GET /v1/organization`` and the SDK's login list.
    """
    orgs = Organization.objects.filter(memberships__user=user)
    if api_key is not None:
        orgs = orgs.filter(pk=api_key.org_id)
    return orgs


def members_visible_to(actor, org: Organization) -> QuerySet[User]:
    """The organization's members and service accounts, people first, if `actor` may read its members
    (read on org_member); none otherwise."""
    if not can(actor, "read", Node("org_member", org.pk)):
        return User.objects.none()
    return User.objects.filter(memberships__org=org).order_by("kind", "email")
