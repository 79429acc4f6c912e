"""Configuring a project and an organization in a real browser: pinning a prompt's version to staging and
promoting it to production, snapshotting a dataset from its dialog, and adding an AI provider key whose
value the page never shows again."""

import pytest
from playwright.sync_api import expect

from projects.models import EnvironmentObject
from projects.services.prompts import prompt_update
from secrets_store.models import AISecret
from tests.browser.conftest import log_in
from tests.factories import DatasetFactory, ProjectFactory, insert_as_owner
from tests.factories_prompts import PromptFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def project(org_with_owner):
    org, _ = org_with_owner
    return ProjectFactory(org=org, name="support-bot")


def test_a_version_pinned_to_staging_is_promoted_to_production(page, org_with_owner, project):
    org, owner = org_with_owner
    prompt = PromptFactory(project=project, name="Greeter", slug="greeter")
    prompt_update(actor=owner, prompt=prompt, description="second")
    first = prompt.versions.order_by("xact_id").values_list("xact_id", flat=True)[0]
    log_in(page, owner.email)
    page.goto(f"/app/{org.name}/p/{project.pk}/prompts/{prompt.pk}/")

    pin = page.get_by_role("form", name="Pin a version")
    pin.get_by_label("Version").select_option(str(first))
    pin.get_by_label("Environment").select_option("staging")
    pin.get_by_role("button", name="Pin").click()
    expect(page.locator('tr[data-environment="staging"]')).to_contain_text(str(first))

    promote = page.get_by_role("form", name="Promote a version")
    promote.get_by_label("From").select_option("staging")
    promote.get_by_label("To").select_option("production")
    promote.get_by_role("button", name="Promote").click()
    expect(page.locator('tr[data-environment="production"]')).to_contain_text(str(first))
    pins = dict(EnvironmentObject.objects.filter(object_id=prompt.pk).values_list("environment__slug", "object_version"))
    assert pins == {"staging": first, "production": first}


def test_a_dataset_is_snapshotted_from_its_dialog(page, org_with_owner, project):
    org, owner = org_with_owner
    dataset = DatasetFactory(project=project, name="golden")
    insert_as_owner(dataset, [{"id": "q1", "input": "2+2", "expected": "4"}])
    log_in(page, owner.email)
    page.goto(f"/app/{org.name}/p/{project.pk}/datasets/{dataset.pk}/")
    page.get_by_role("link", name="Snapshot").click()  # a link to the form's own page without JavaScript
    dialog = page.get_by_role("dialog", name="Snapshot the dataset")
    dialog.get_by_label("Name").fill("before-relabel")
    dialog.get_by_role("button", name="Snapshot").click()
    expect(page.locator('tr[data-snapshot="before-relabel"]')).to_be_visible()


def test_an_ai_provider_key_is_shown_only_by_its_last_characters(page, org_with_owner):
    org, owner = org_with_owner
    raw = "sk-browser-test-0123456789abcdefWXYZ"
    log_in(page, owner.email)
    page.goto(f"/app/{org.name}/settings/ai-providers/")
    page.get_by_label("Name").fill("OPENAI_API_KEY")
    page.get_by_label("Provider").fill("openai")
    page.get_by_label("API key").fill(raw)
    page.get_by_role("button", name="Add key").click()
    expect(page.get_by_role("table", name="AI provider keys")).to_contain_text("WXYZ")
    assert raw not in page.content()
    assert AISecret.objects.filter(org=org, name="OPENAI_API_KEY").exists()
