"""accounts.services.organizations: org settings ("Manage settings") and creating organizations."""

import pytest

from accounts.models import Organization
from accounts.services.organizations import organization_create, organization_update
from permissions.engine.nodes import Node
from permissions.exceptions import AccessDenied, NotFound, ValidationError
from permissions.models import AuditEvent
from permissions.services.groups import group_update
from projects.services import project_update
from tests.access_helpers import grant, grant_many, row_counts
from tests.factories import OrganizationFactory, ProjectFactory, ServiceAccountFactory, UserFactory, add_member, builtin_group, owner_of

pytestmark = pytest.mark.django_db


def settings_manager(org):
    """A member holding only "Manage settings": update on the organization, restricted to organization."""
    person = add_member(org)
    grant(org, org, user=person, permission="update", restrict="organization")
    return person


def test_manage_settings_grant_changes_the_organization_settings():
    org = OrganizationFactory()
    updated = organization_update(
        actor=settings_manager(org),
        org=org,
        api_url="https://api.example.com",
        proxy_url="http://proxy.example.com:8080/v1",
        realtime_url="https://realtime.example.com",
        create_direct_ownership_grants=False,
        name="Renamed",
    )
    stored = Organization.objects.get(pk=org.pk)
    for obj in (updated, stored):
        assert (obj.api_url, obj.proxy_url, obj.realtime_url, obj.create_direct_ownership_grants, obj.name) == (
            "https://api.example.com",
            "http://proxy.example.com:8080/v1",
            "https://realtime.example.com",
            False,
            "Renamed",
        )


def test_manage_settings_reaches_nothing_below_the_organization():
    org = OrganizationFactory()
    person = settings_manager(org)
    with pytest.raises(NotFound):
        group_update(actor=person, group=builtin_group(org, "viewers"), description="x")
    with pytest.raises(NotFound):
        project_update(actor=person, project=ProjectFactory(org=org), name="x")


def test_owner_changes_settings():
    org = OrganizationFactory()
    assert organization_update(actor=owner_of(org), org=org, api_url="https://api.example.com").api_url == "https://api.example.com"


@pytest.mark.parametrize(
    ("who", "refusal"),
    [("engineer", AccessDenied), ("viewer", AccessDenied), ("manage access", AccessDenied), ("update on org_project", AccessDenied)],
)
def test_changing_settings_needs_update_on_the_organization(who, refusal):
    org = OrganizationFactory()
    actor = add_member(org, None, *{"engineer": ["engineers"], "viewer": ["viewers"]}.get(who, []))
    if who == "manage access":
        grant_many(org, org, ["read_acls", "create_acls"], user=actor)
    if who == "update on org_project":
        grant(org, Node("org_project", org.pk), user=actor, permission="update")
    before = row_counts()
    with pytest.raises(refusal) as refused:
        organization_update(actor=actor, org=org, api_url="https://api.example.com")
    if refusal is AccessDenied:
        assert refused.value.permission == "update"
    assert row_counts() == before
    assert Organization.objects.get(pk=org.pk).api_url is None


def test_update_restricted_to_another_type_on_the_organization_does_not_change_settings():
    org = OrganizationFactory()
    person = add_member(org, None, "viewers")
    grant(org, org, user=person, permission="update", restrict="project")
    with pytest.raises(AccessDenied):
        organization_update(actor=person, org=org, api_url="https://api.example.com")


def test_outsider_changing_settings_is_not_found():
    org = OrganizationFactory()
    with pytest.raises(NotFound):
        organization_update(actor=owner_of(OrganizationFactory()), org=org, api_url="https://api.example.com")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("api_url", "not a url"),
        ("api_url", "ftp://files.example.com"),
        ("proxy_url", "javascript:alert(1)"),
        ("realtime_url", "example.com"),
        ("api_url", "https://"),
        ("create_direct_ownership_grants", "yes"),
        ("name", "   "),
        ("owner", "someone"),
    ],
)
def test_invalid_settings_are_refused_and_write_nothing(field, value):
    org = OrganizationFactory()
    organization_update(actor=owner_of(org), org=org, api_url="https://old.example.com")
    before = row_counts()
    with pytest.raises(ValidationError):
        organization_update(actor=owner_of(org), org=org, **{field: value})
    assert row_counts() == before
    assert Organization.objects.get(pk=org.pk).api_url == "https://old.example.com"


def test_refused_field_among_valid_ones_writes_nothing():
    org = OrganizationFactory()
    with pytest.raises(ValidationError):
        organization_update(actor=owner_of(org), org=org, name="Renamed", api_url="https://ok.example.com", proxy_url="nope")
    stored = Organization.objects.get(pk=org.pk)
    assert (stored.name, stored.api_url) == (org.name, None)


def test_empty_url_clears_the_setting():
    org = OrganizationFactory()
    organization_update(actor=owner_of(org), org=org, api_url="https://api.example.com")
    assert organization_update(actor=owner_of(org), org=org, api_url="").api_url is None


def test_organization_names_are_unique():
    first = OrganizationFactory()
    second = OrganizationFactory()
    before = row_counts()
    with pytest.raises(ValidationError):
        organization_update(actor=owner_of(second), org=second, name=first.name)
    with pytest.raises(ValidationError):
        organization_create(name=first.name, owner=UserFactory())
    before.pop("accounts.User")
    after = row_counts()
    after.pop("accounts.User")
    assert after == before


def test_a_service_account_cannot_create_an_organization():
    robot = ServiceAccountFactory()
    before = row_counts()
    with pytest.raises(ValidationError):
        organization_create(name="Robots", owner=robot)
    assert row_counts() == before


def test_update_without_changes_writes_no_audit_event():
    org = OrganizationFactory()
    count = AuditEvent.objects.count()
    organization_update(actor=owner_of(org), org=org, name=org.name)
    assert AuditEvent.objects.count() == count
