"""Settings → Members in a real browser: logging in, inviting through the dialog, regrouping a member."""

import pytest
from playwright.sync_api import expect

from accounts.models import Invitation
from permissions.selectors import member_user_ids
from tests.browser.conftest import log_in, open_dialog, open_settings, screenshot
from tests.factories import add_member, builtin_group

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_owner_invites_people_through_the_invite_dialog(page, org_with_owner):
    org, owner = org_with_owner
    log_in(page, owner.email)
    open_settings(page)
    dialog = open_dialog(page, "Invite", "Invite members")
    dialog.get_by_label("Emails").fill("ada@example.com\ngrace@example.com")
    dialog.get_by_label("Permission group").select_option(label="Engineers")
    dialog.get_by_role("button", name="Invite").click()
    page.get_by_text("Invited 2 people.").wait_for()
    assert sorted(Invitation.objects.filter(org=org).values_list("email", flat=True)) == ["ada@example.com", "grace@example.com"]
    expect(page.get_by_role("table", name="Pending invitations").get_by_role("cell", name="grace@example.com", exact=True)).to_be_visible()
    screenshot(page, "settings-members")


def test_an_owner_moves_a_member_into_engineers(page, org_with_owner):
    org, owner = org_with_owner
    viewer = add_member(org, None, "viewers")
    log_in(page, owner.email)
    page.goto(f"/app/{org.name}/settings/members/")
    row = page.locator(f'tr[data-member="{viewer.email}"]')
    row.get_by_role("button", name="Groups").click()
    dialog = page.get_by_role("dialog", name=f"Groups of {viewer.email}")
    dialog.get_by_label("Engineers").check()
    dialog.get_by_label("Viewers").uncheck()
    dialog.get_by_role("button", name="Save").click()
    page.get_by_text(f"Updated the groups of {viewer.email}.").wait_for()
    assert viewer.pk in member_user_ids(builtin_group(org, "engineers"))
    assert viewer.pk not in member_user_ids(builtin_group(org, "viewers"))
