"""Setting "until" on a member of a permission group in a real browser, and seeing it shown."""

from datetime import UTC, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.principals import Principal
from permissions.models import GroupMembershipExpiry
from tests.access_helpers import custom_group
from tests.browser.conftest import log_in, open_dialog, open_settings
from tests.factories import add_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_owner_sets_until_on_a_group_member_and_sees_it(page, org_with_owner):
    org, owner = org_with_owner
    member = add_member(org)
    group = custom_group(org, member, name="Contractors")
    until = (timezone.now() + timedelta(days=3)).astimezone(UTC).replace(second=0, microsecond=0)

    log_in(page, owner.email)
    open_settings(page, "Permission groups")
    dialog = open_dialog(page, "Edit Contractors")
    dialog.get_by_label(f"Until (UTC): {Principal.of_user(member).label}").fill(until.strftime("%Y-%m-%dT%H:%M"))
    dialog.get_by_role("button", name="Save").click()
    page.get_by_text("Saved the group Contractors.").wait_for()

    assert GroupMembershipExpiry.objects.get(group=group, user=member).expires_at == until
    shown = f"{until:%b %-d, %Y %H:%M}"  # the list's column says UTC; the member editor says it after each time
    expiring = page.locator("section.expiring-soon")
    expect(expiring.locator('tr[data-expiring="membership"]')).to_contain_text(shown)
    expect(expiring).to_contain_text("member of Contractors")

    dialog = open_dialog(page, "Edit Contractors")
    expect(dialog.locator(f'[data-member="{member.pk}"]')).to_contain_text(f"until {shown} UTC")
