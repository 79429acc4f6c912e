"""Settings → Organization for each kind of person: the form with "Manage settings", a read-only summary
with read only, nothing for those who hold neither; what saving writes, and bad input writing nothing."""

import pytest
from django.urls import reverse

from accounts.models import Organization
from permissions.models import AuditEvent
from tests.access_helpers import grant, row_counts
from tests.assertions import refusal_names
from tests.factories import add_member
from tests.query_helpers import steady_state_queries
from tests.worlds import client_for

pytestmark = pytest.mark.django_db


def settings_url(org) -> str:
    return reverse("web:organization", kwargs={"org_name": org.name})


FORM = {
    "name": "Acme Labs",
    "api_url": "https://api.acme.example",
    "proxy_url": "",
    "realtime_url": "https://realtime.acme.example",
    "create_direct_ownership_grants": "",
}


@pytest.mark.parametrize(
    ("who", "status", "form"),
    [("owner", 200, True), ("engineer", 200, False), ("viewer", 200, False), ("custom", 403, False), ("outsider", 404, False)],
)
def test_the_organization_page_shows_the_form_only_to_those_who_manage_settings(org, people, who, status, form):
    response = client_for(people[who]).get(settings_url(org))
    assert response.status_code == status
    html = response.content.decode()
    assert ('name="api_url"' in html) is form
    if status == 200:
        assert "Create direct ownership grants" in html
        assert ("Manage settings" in html) is not form  # the read-only view says what changing needs


@pytest.mark.parametrize("who", ["owner", "engineer", "viewer", "custom"])
def test_the_sidebar_links_the_organization_page_to_those_who_manage_settings(org, people, who):
    html = client_for(people[who]).get(reverse("web:api-keys", kwargs={"org_name": org.name})).content.decode()
    assert (settings_url(org) in html) is (who == "owner")


def test_the_read_only_view_shows_the_settings(org, people):
    Organization.objects.filter(pk=org.pk).update(api_url="https://api.acme.example", create_direct_ownership_grants=False)
    html = client_for(people["viewer"]).get(settings_url(org)).content.decode()
    assert "https://api.acme.example" in html and "<dd>Off</dd>" in html and '<form method="post" action="/app' not in html


def test_an_owner_saves_the_settings_and_follows_the_rename(org, people):
    response = client_for(people["owner"]).post(settings_url(org), FORM)
    org.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == settings_url(org)
    assert org.name == "Acme Labs" and org.api_url == "https://api.acme.example" and org.proxy_url is None
    assert org.realtime_url == "https://realtime.acme.example" and org.create_direct_ownership_grants is False
    event = AuditEvent.objects.get(action="organization.update")
    assert event.before["name"] == "Acme" and event.after["create_direct_ownership_grants"] is False
    assert event.origin["channel"] == "web"


def test_someone_who_only_manages_settings_gets_the_form_and_saves(org, people):
    person = people["custom"]
    grant(org, org, user=person, permission="update", restrict="organization")  # the "Manage settings" box
    client = client_for(person)
    assert 'name="api_url"' in client.get(settings_url(org)).content.decode()
    assert client.post(settings_url(org), {**FORM, "create_direct_ownership_grants": "on"}).status_code == 302
    org.refresh_from_db()
    assert org.name == "Acme Labs" and org.create_direct_ownership_grants is True


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": ""}, "This field is required"),
        ({"api_url": "not a url"}, "Enter a valid URL"),
        ({"realtime_url": "ftp://files.example"}, "must be an http or https URL"),
        ({"name": "Elsewhere"}, "already exists"),
    ],
)
def test_bad_settings_write_nothing_and_say_why(org, people, change, message):
    before = row_counts()
    response = client_for(people["owner"]).post(settings_url(org), {**FORM, **change})
    assert response.status_code == 400 and message in response.content.decode()
    assert row_counts() == before
    org.refresh_from_db()
    assert org.name == "Acme" and org.api_url is None


def test_an_engineer_posting_the_form_gets_the_explained_refusal(org, people):
    response = client_for(people["engineer"]).post(settings_url(org), FORM)
    assert response.status_code == 403 and refusal_names("Update</span>") in response.content.decode()
    org.refresh_from_db()
    assert org.name == "Acme"


@pytest.mark.parametrize(("who", "status"), [("custom", 403), ("outsider", 404)])
def test_posting_without_manage_settings_is_refused_to_members_and_not_found_to_others(org, people, who, status):
    # Membership alone makes the organization visible (docs/access-model.md), so a member is refused, not told
    # that it does not exist; anyone else is.
    before = row_counts()
    assert client_for(people[who]).post(settings_url(org), {"name": ""}).status_code == status
    assert row_counts() == before


def test_the_organization_page_costs_a_fixed_number_of_queries(org, people):
    client = client_for(people["viewer"])
    few = steady_state_queries(client, settings_url(org))
    for _ in range(10):
        add_member(org, None, "viewers")
    assert steady_state_queries(client, settings_url(org)) == few
