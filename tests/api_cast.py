"""The principals the organization and user endpoint tests run every request as.

One organization with an owner, an engineer, a viewer, a member of a custom group, a member through a
group nested in that custom group, a member with no grant at all, and the owner of another organization.
The custom group holds, on the organization: read and "Manage settings" (both restricted to organization),
"Manage members (invite)" and read on org_member, so that each endpoint has something to allow it.
"""

from dataclasses import dataclass, field

from django.utils import timezone

from accounts.models import ApiKey, Organization, User
from accounts.services.credentials import api_key_create
from permissions.engine.nodes import Node
from permissions.models import PermissionGroup
from tests.access_helpers import custom_group, grant, nest
from tests.api_helpers import ApiClient
from tests.factories import OrganizationFactory, UserFactory, add_member, owner_of

PRINCIPALS = ("owner", "engineer", "viewer", "custom", "nested", "nobody", "outsider")


@dataclass
class Cast:
    org: Organization
    other_org: Organization
    owner: User
    engineer: User
    viewer: User
    custom: User
    nested: User
    nobody: User
    outsider: User
    custom_group: PermissionGroup
    inner_group: PermissionGroup
    clients: dict[str, ApiClient] = field(default_factory=dict)

    def user(self, who: str) -> User:
        return getattr(self, who)

    def client(self, who: str) -> ApiClient:
        """A client with an API key of `who` in its own organization (made with the cast, so that
        using it writes no row a test counts)."""
        if who not in self.clients:
            org = self.other_org if who == "outsider" else self.org
            _, raw = api_key_create(actor=self.user(who), org=org, name=f"{who} key")
            self.clients[who] = ApiClient(raw)
        return self.clients[who]


def make_cast() -> Cast:
    org, other_org = OrganizationFactory(), OrganizationFactory()
    custom = add_member(org, UserFactory(given_name="Custom"))
    nested = add_member(org, UserFactory(given_name="Nested"))
    team = custom_group(org, custom, name="Team")
    inner = custom_group(org, nested, name="Inner")
    nest(team, inner)  # Team contains Inner, so Inner's members hold Team's grants
    organization, members = Node("organization", org.pk), Node("org_member", org.pk)
    grant(org, organization, group=team, permission="read", restrict="organization")
    grant(org, organization, group=team, permission="update", restrict="organization")
    grant(org, members, group=team, permission="read")
    grant(org, members, group=team, permission="create")
    cast = Cast(
        org=org,
        other_org=other_org,
        owner=owner_of(org),
        engineer=add_member(org, None, "engineers"),
        viewer=add_member(org, None, "viewers"),
        custom=custom,
        nested=nested,
        nobody=add_member(org),
        outsider=owner_of(other_org),
        custom_group=team,
        inner_group=inner,
    )
    for who in PRINCIPALS:
        cast.client(who)
    return cast


def revoked_client(user: User, org: Organization) -> ApiClient:
    key, raw = api_key_create(actor=user, org=org, name="revoked")
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
    return ApiClient(raw)


def session_client(user: User) -> ApiClient:
    """A client logged in as `user` through the browser session (no bearer token)."""
    client = ApiClient()
    client.client.force_login(user)
    return client
