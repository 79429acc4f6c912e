"""Reads about organizations and memberships that the API, the SDK's endpoints and the pages share."""

from django.db.models import QuerySet

from accounts.models import ApiKey, Organization


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
