"""The Preview step in a real browser: htmx puts what Save would do inside the open dialog, and saves nothing."""

import pytest
from playwright.sync_api import expect

from permissions.engine.nodes import Node
from permissions.grants import grant_records
from tests.access_helpers import custom_group
from tests.browser.conftest import log_in, open_dialog
from tests.factories import add_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_preview_shows_what_save_would_give_inside_the_open_dialog_and_saves_nothing(page, org_with_owner):
    org, owner = org_with_owner
    reviewers = custom_group(org, add_member(org), add_member(org), name="Reviewers")

    log_in(page, owner.email)
    page.goto(f"/app/{org.name}/settings/groups/")
    dialog = open_dialog(page, "Permissions of Reviewers")
    dialog.get_by_role("group", name="All projects").get_by_label("Read", exact=True).check()
    dialog.get_by_role("button", name="Preview").click()

    expect(dialog.get_by_role("status")).to_contain_text("Saving this gives 2 people Read on all projects")
    expect(dialog).to_be_visible()  # still open, the box still ticked, ready to Save
    assert dialog.get_by_role("group", name="All projects").get_by_label("Read", exact=True).is_checked()
    assert not grant_records(nodes=[Node("org_project", org.pk)], group_id=reviewers.pk)
