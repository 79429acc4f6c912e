"""The Invite dialog in a real browser, as a team lead who may invite but add members to one group only:
it offers that group alone, and a refusal keeps the dialog open with what was typed."""

import pytest
from playwright.sync_api import expect

from accounts.models import Invitation
from permissions.engine.nodes import Node
from tests.access_helpers import custom_group, grant
from tests.browser.conftest import log_in, open_dialog, open_settings, screenshot, with_password
from tests.factories import add_member, builtin_group

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def team_lead(org_with_owner):
    """A Viewer of Acme with "Manage members (invite)" and update on the Annotators group."""
    org, _ = org_with_owner
    annotators = custom_group(org, name="Annotators")
    lead = with_password(add_member(org, None, "viewers"))
    grant(org, Node("org_member", org.pk), user=lead, permission="create")
    grant(org, annotators, user=lead, permission="update")
    return org, lead, annotators


def test_a_team_lead_is_offered_only_the_group_they_may_add_to_and_invites_into_it(page, team_lead):
    org, lead, annotators = team_lead
    log_in(page, lead.email)
    open_settings(page)
    dialog = open_dialog(page, "Invite", "Invite members")
    group = dialog.get_by_label("Permission group")
    expect(group.locator("option")).to_have_text(["Annotators", "No group"])
    expect(group).to_have_value(str(annotators.pk))
    screenshot(page, "settings-members-invite-team-lead")
    dialog.get_by_label("Emails").fill("ada@example.com")
    dialog.get_by_role("button", name="Invite").click()
    page.get_by_text("Invited 1 person.").wait_for()
    row = page.get_by_role("table", name="Pending invitations").locator('tr[data-invitation="ada@example.com"]')
    expect(row.get_by_text("Annotators")).to_be_visible()
    assert list(Invitation.objects.get(org=org, email="ada@example.com").groups.all()) == [annotators]


def test_a_refused_group_keeps_the_invite_dialog_open_with_what_was_typed(page, team_lead):
    """A group not offered (as a stale page or an edited form would send) is refused in the dialog."""
    org, lead, _ = team_lead
    owners = builtin_group(org, "owners")
    log_in(page, lead.email)
    open_settings(page)
    dialog = open_dialog(page, "Invite", "Invite members")
    dialog.get_by_label("Emails").fill("ada@example.com\ngrace@example.com")
    group = dialog.get_by_label("Permission group")
    group.evaluate("(select, id) => select.add(new Option('Owners', id))", str(owners.pk))
    group.select_option(str(owners.pk))
    dialog.get_by_role("button", name="Invite").click()
    reopened = page.get_by_role("dialog", name="Invite members")
    expect(reopened).to_be_visible()
    expect(reopened.get_by_role("alert").first).to_contain_text("You can't add members to Owners")
    expect(reopened.get_by_label("Emails")).to_have_value("ada@example.com\ngrace@example.com")
    expect(page.get_by_role("heading", name="You can't do this")).to_have_count(0)
    screenshot(page, "settings-members-invite-refused")
    assert not Invitation.objects.exists()
