"""The prompt editor in a real browser: the template variables listed as one types, and message rows added
and moved without a round trip to the server."""

import pytest
from playwright.sync_api import expect

from projects.models import Prompt
from tests.browser.conftest import log_in, screenshot
from tests.factories import ProjectFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_editor_lists_variables_as_one_types_and_adds_and_moves_message_rows(page, org_with_owner):
    org, owner = org_with_owner
    project = ProjectFactory(org=org, name="support-bot")
    log_in(page, owner.email)
    page.goto(f"/app/{org.name}/p/{project.pk}/prompts/")
    page.get_by_role("link", name="Create prompt").click()
    page.get_by_label("Name", exact=True).fill("Greeter")
    variables = page.locator("#template-variables code")

    page.locator('textarea[name="messages-0-content"]').press_sequentially("Hello {{name}}")
    expect(variables).to_have_text(["name"])  # listed before anything was sent

    page.get_by_role("button", name="Add message").click()
    new_role = page.locator('select[name="messages-1-role"]')
    expect(new_role).to_be_focused()
    new_role.select_option("user")
    page.locator('textarea[name="messages-1-content"]').press_sequentially("About {{topic}} for {{name}}")
    expect(variables).to_have_text(["name", "topic"])

    page.locator("[data-message-row]").nth(1).get_by_role("button", name="Move up").click()
    expect(page.locator('input[name="messages-1-ORDER"]')).to_have_value("1")
    screenshot(page, "prompt-editor")
    page.get_by_role("button", name="Create prompt").click()
    page.wait_for_url(f"**/prompts/{Prompt.objects.get(slug='greeter').pk}/")

    assert Prompt.objects.get(slug="greeter").prompt_data["prompt"]["messages"] == [
        {"role": "user", "content": "About {{topic}} for {{name}}"},
        {"role": "system", "content": "Hello {{name}}"},
    ]
