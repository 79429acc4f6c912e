"""The Logs tab's filters and saved views in a real browser: filter, save the filters as a view, reopen it, and
delete it after the question."""

import pytest
from playwright.sync_api import expect

from projects.models import View
from tests.browser.conftest import PHONE_WIDTH, log_in, screenshots_at_both_widths
from tests.factories import ProjectFactory, insert_as_owner

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_owner_filters_the_logs_saves_the_view_and_reopens_it(page, org_with_owner):
    org, owner = org_with_owner
    project = ProjectFactory(org=org, name="support-bot")
    insert_as_owner(
        project,
        [
            {"id": "good", "input": "a", "tags": ["production"], "scores": {"accuracy": 0.9}},
            {"id": "weak", "input": "b", "tags": ["production"], "scores": {"accuracy": 0.2}},
            {"id": "stage", "input": "c", "tags": ["staging"], "scores": {"accuracy": 0.1}},
        ],
    )
    log_in(page, owner.email)
    page.goto(f"/app/{org.name}/p/{project.pk}/logs/")
    filters = page.get_by_role("search", name="Filter logs")
    filters.get_by_label("Tag").fill("production")
    filters.get_by_label("Score", exact=True).fill("accuracy")
    filters.get_by_label("Score to").fill("0.5")
    filters.get_by_role("button", name="Filter").click()
    expect(page.locator("tr[data-row]")).to_have_count(1)
    expect(page.locator('tr[data-row="weak"]')).to_be_visible()

    page.get_by_label("View name").fill("Weak production")
    page.get_by_role("button", name="Save view").click()
    page.get_by_text("Saved the view Weak production.").wait_for()
    assert View.objects.get().name == "Weak production"

    page.get_by_role("link", name="Clear the filters").click()
    expect(page.locator("tr[data-row]")).to_have_count(3)
    saved_views = page.get_by_role("navigation", name="Saved views")
    saved_views.get_by_role("link", name="Weak production", exact=True).click()
    expect(page.locator("tr[data-row]")).to_have_count(1)
    expect(filters.get_by_label("Score to")).to_have_value("0.5")
    assert screenshots_at_both_widths(page, "project-logs-saved-view") <= PHONE_WIDTH

    saved_views.get_by_role("link", name="Delete Weak production").click()
    dialog = page.get_by_role("dialog", name="Delete the saved view Weak production?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Delete view").click()
    page.get_by_text("Deleted the saved view Weak production.").wait_for()
    assert not View.objects.exists()
    expect(page.get_by_role("navigation", name="Saved views")).to_have_count(0)
