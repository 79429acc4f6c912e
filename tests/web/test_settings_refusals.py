"""What the settings pages answer a member who may not use them, and how the Invite dialog offers groups.

Service accounts are for Owners only: anyone else is refused with the explained 403 page, which says so
and who can give it. A page of a node on which the member holds nothing (the audit log without Read audit
logs, the members without read on them) is "not found", as the access model says, and it is the site's
own 404 page, never Django's list of routes. The Invite dialog offers only
the groups the inviter may add members to, and a refusal keeps the dialog open with what was typed.
"""

import pytest
from django.urls import reverse

from accounts.models import Invitation
from accounts.services.credentials import service_account_create
from permissions.engine.nodes import Node
from tests.access_helpers import grant, row_counts
from tests.factories import add_member, builtin_group
from tests.web.addresses import org_page
from tests.worlds import client_for
from web.views.members import MembersPage

pytestmark = pytest.mark.django_db

MEMBERS = ("engineer", "viewer", "custom")  # members of Acme who are not Owners
MISSING_ID = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def robot(org, people):
    return service_account_create(actor=people["owner"], org=org, name="ci-bot")


# Service accounts


@pytest.mark.parametrize("who", MEMBERS)
def test_a_member_who_is_not_an_owner_is_told_only_owners_manage_service_accounts(org, people, robot, who):
    client = client_for(people[who])
    for address in (org_page(org, "service-accounts"), org_page(org, "service-account", account_id=robot.pk)):
        response = client.get(address)
        html = response.content.decode()
        assert response.status_code == 403, address
        assert "You can't do this" in html and "Only Owners manage service accounts." in html
        assert "You are not in the Owners group of Acme." in html
        assert "ci-bot" not in html


@pytest.mark.parametrize("who", ["engineer", "viewer"])
def test_the_service_accounts_refusal_names_the_owners_to_those_who_may_read_members(org, people, who):
    html = client_for(people[who]).get(org_page(org, "service-accounts")).content.decode()
    assert "Who can give you access" in html and people["owner"].email in html


def test_the_service_accounts_refusal_names_nobody_to_a_member_who_may_not_read_members(org, people):
    html = client_for(people["custom"]).get(org_page(org, "service-accounts")).content.decode()
    assert "Ask an Owner of Acme." in html
    assert people["owner"].email not in html


def test_a_non_owner_is_refused_alike_whether_the_service_account_exists_or_not(org, people, robot):
    client = client_for(people["viewer"])
    existing = client.get(org_page(org, "service-account", account_id=robot.pk))
    missing = client.get(org_page(org, "service-account", account_id=MISSING_ID))
    assert existing.status_code == missing.status_code == 403
    assert existing.context["message"] == missing.context["message"]


def test_a_missing_service_account_is_still_not_found_for_an_owner(org, people):
    assert client_for(people["owner"]).get(org_page(org, "service-account", account_id=MISSING_ID)).status_code == 404


def test_another_organizations_owner_finds_no_service_accounts_page(org, people):
    assert client_for(people["outsider"]).get(org_page(org, "service-accounts")).status_code == 404


@pytest.mark.parametrize("who", MEMBERS)
def test_posting_to_service_accounts_as_a_non_owner_is_the_explained_refusal_and_writes_nothing(org, people, robot, who):
    before = row_counts()
    client = client_for(people[who])
    for address, data in [
        (org_page(org, "service-accounts"), {"name": "intruder"}),
        (org_page(org, "service-account-rename", account_id=robot.pk), {"name": "renamed"}),
        (org_page(org, "service-token-create", account_id=robot.pk), {"name": "stolen"}),
        (org_page(org, "service-account-delete", account_id=robot.pk), {}),
    ]:
        response = client.post(address, data)
        assert response.status_code == 403 and "Only Owners manage service accounts." in response.content.decode(), address
    assert row_counts() == before


# Audit log


@pytest.mark.parametrize("who", MEMBERS)
def test_the_audit_log_is_not_found_by_a_member_without_read_audit_logs(org, people, who):
    response = client_for(people[who]).get(org_page(org, "audit-log"))
    html = response.content.decode()
    assert response.status_code == 404 and "There is nothing here, or nothing you may see." in html
    assert "organization.create" not in html  # nothing of the log itself


def test_not_found_is_the_sites_page_and_not_the_debug_404_when_debug_is_on(org, people, settings):
    settings.DEBUG = True
    for path in (
        org_page(org, "audit-log"),
        org_page(org, "group-edit", group_id=MISSING_ID),
        reverse("web:members", kwargs={"org_name": "nope"}),
    ):
        response = client_for(people["viewer"]).get(path)
        html = response.content.decode()
        assert response.status_code == 404 and "There is nothing here" in html and "URLconf" not in html, path


# Members, and every settings page


def test_the_members_are_not_found_by_a_member_holding_nothing_on_them(org, people):
    response = client_for(people["custom"]).get(org_page(org, "members"))
    assert response.status_code == 404 and "There is nothing here" in response.content.decode()


# What each settings page answers each member: 403 (explained) where the member may see the node but not do
# this, 404 (the site's page) where it holds nothing on it; never Django's debug page.
ANSWERS = {
    "owner": {"members": 200, "service-accounts": 200, "api-keys": 200, "organization": 200, "audit-log": 200},
    "engineer": {"members": 200, "service-accounts": 403, "api-keys": 200, "organization": 200, "audit-log": 404},
    "viewer": {"members": 200, "service-accounts": 403, "api-keys": 200, "organization": 200, "audit-log": 404},
    "custom": {"members": 404, "service-accounts": 403, "api-keys": 200, "organization": 403, "audit-log": 404},
}


@pytest.mark.parametrize("page", ["members", "service-accounts", "api-keys", "organization", "audit-log"])
@pytest.mark.parametrize("who", ["owner", *MEMBERS])
def test_each_settings_page_answers_each_member_as_the_access_model_says(org, people, page, who, settings):
    settings.DEBUG = True
    response = client_for(people[who]).get(org_page(org, page))
    html = response.content.decode()
    assert response.status_code == ANSWERS[who][page]
    assert "URLconf" not in html
    if response.status_code == 403:
        assert "You can't do this" in html
    if response.status_code == 404:
        assert "There is nothing here" in html


@pytest.mark.parametrize("page", ["members", "service-accounts", "api-keys", "organization", "audit-log"])
def test_every_settings_page_is_not_found_to_another_organizations_member(org, people, page):
    assert client_for(people["outsider"]).get(org_page(org, page)).status_code == 404


# The Invite dialog


@pytest.fixture
def team_lead(org, annotators):
    """A Viewer who may invite ("Manage members (invite)") and add members to Annotators only."""
    lead = add_member(org, None, "viewers")
    grant(org, Node("org_member", org.pk), user=lead, permission="create")
    grant(org, annotators, user=lead, permission="update")
    return lead


def _offered(response) -> list[str]:
    return [label for _, label in response.context["invite_form"].fields["group"].choices]


def test_the_invite_dialog_offers_only_the_groups_the_inviter_may_add_members_to(org, team_lead, annotators):
    response = client_for(team_lead).get(org_page(org, "members"))
    form = response.context["invite_form"]
    assert _offered(response) == ["Annotators", "No group"]
    assert form["group"].value() == str(annotators.pk)  # Viewers is not offered, so the default is a group that is
    assert f'<option value="{builtin_group(org, "owners").pk}"' not in response.content.decode()


def test_an_owner_is_offered_every_group_with_viewers_chosen(org, people):
    response = client_for(people["owner"]).get(org_page(org, "members"))
    assert set(_offered(response)) == {"Owners", "Engineers", "Viewers", "Annotators", "No group"}
    assert response.context["invite_form"]["group"].value() == str(builtin_group(org, "viewers").pk)


def test_a_team_lead_invites_into_the_group_they_may_add_members_to(org, team_lead, annotators):
    response = client_for(team_lead).post(org_page(org, "members-invite"), {"emails": "ada@example.com", "group": str(annotators.pk)})
    assert response.status_code == 302
    invitation = Invitation.objects.get(org=org, email="ada@example.com")
    assert list(invitation.groups.all()) == [annotators]


@pytest.mark.parametrize("group", ["viewers", "owners"])
def test_inviting_into_a_group_not_offered_keeps_the_dialog_open_and_names_the_group(org, team_lead, group):
    before = row_counts()
    chosen = builtin_group(org, group)
    data = {"emails": "ada@example.com\neve@example.com", "group": str(chosen.pk)}
    response = client_for(team_lead).post(org_page(org, "members-invite"), data)
    html = response.content.decode()
    assert response.status_code == 400
    assert f"You can&#x27;t add members to {chosen.name}: that needs Update on the group" in html
    assert "data-open-on-load" in html and "ada@example.com\neve@example.com</textarea>" in html
    assert "You can't do this" not in html  # the members page, not the 403 page
    assert row_counts() == before


def test_a_group_refused_by_the_service_keeps_the_dialog_open_and_names_the_group(org, team_lead, monkeypatch):
    """The inviter lost update on the group between opening the dialog and sending it."""
    owners = builtin_group(org, "owners")
    monkeypatch.setattr(MembersPage, "editable_groups", lambda page, groups: groups)
    before = row_counts()
    response = client_for(team_lead).post(org_page(org, "members-invite"), {"emails": "ada@example.com", "group": str(owners.pk)})
    html = response.content.decode()
    assert response.status_code == 400
    assert "You can&#x27;t add members to Owners" in html and "data-open-on-load" in html and "ada@example.com</textarea>" in html
    assert row_counts() == before


def test_an_unknown_group_is_refused_without_naming_anything(org, team_lead):
    response = client_for(team_lead).post(org_page(org, "members-invite"), {"emails": "ada@example.com", "group": MISSING_ID})
    assert response.status_code == 400 and "Choose a group from the list." in response.content.decode()
    assert not Invitation.objects.exists()


def test_an_inviter_who_may_add_to_no_group_invites_into_no_group(org, people):
    lead = add_member(org, None, "viewers")
    grant(org, Node("org_member", org.pk), user=lead, permission="create")
    client = client_for(lead)
    page = client.get(org_page(org, "members"))
    assert _offered(page) == ["No group"] and page.context["invite_form"]["group"].value() == ""
    assert "You may add members to no group" in page.content.decode()
    response = client.post(org_page(org, "members-invite"), {"emails": "ada@example.com", "group": ""})
    assert response.status_code == 302
    invitation = Invitation.objects.get(org=org, email="ada@example.com")
    assert not invitation.groups.exists()


def test_someone_who_may_not_invite_is_refused_in_the_dialogs_words_and_nothing_is_written(org, people):
    response = client_for(people["viewer"]).post(org_page(org, "members-invite"), {"emails": "ada@example.com", "group": ""})
    html = response.content.decode()
    assert response.status_code == 403 and "This needs Manage members (invite) on Members." in html
    assert not Invitation.objects.exists()
