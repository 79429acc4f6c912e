"""A delete's confirmation dialog in a real browser: it opens on Cancel, Escape and Cancel keep everything
and give focus back, the button waits for the typed name, and after the delete focus is on the next row."""

import pytest
from playwright.sync_api import expect

from permissions.models import PermissionGroup
from projects.models import Experiment
from tests.access_helpers import custom_group, grant
from tests.browser.conftest import log_in, screenshot
from tests.factories import ExperimentFactory, ProjectFactory, add_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_deleting_a_group_asks_in_a_dialog_that_waits_for_its_name(page, org_with_owner):
    org, owner = org_with_owner
    annotators = custom_group(org, add_member(org), name="Annotators")
    grant(org, ProjectFactory(org=org, name="support-bot"), group=annotators, permission="read")
    custom_group(org, name="Reviewers")  # the row after Annotators
    log_in(page, owner.email)
    page.goto(f"/app/{org.name}/settings/groups/")
    opener = page.get_by_role("link", name="Delete Annotators")
    dialog = page.get_by_role("dialog", name="Delete the group Annotators?")
    delete = dialog.get_by_role("button", name="Delete group")

    opener.click()
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    expect(dialog).to_contain_text("Its 1 member loses what it grants.")
    expect(dialog).to_contain_text("It holds 1 grant, which goes with it: Read · Project support-bot.")
    expect(delete).to_be_disabled()
    screenshot(page, "settings-permission-groups-delete-dialog")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()

    opener.click()
    name = dialog.get_by_label("Type Annotators to confirm")
    name.fill("annotators")
    expect(delete).to_be_disabled()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()
    assert PermissionGroup.objects.filter(pk=annotators.pk).exists()

    opener.click()
    expect(name).to_have_value("")  # what was typed before Cancel is gone
    expect(delete).to_be_disabled()
    name.fill("Annotators")
    expect(delete).to_be_enabled()
    delete.click()
    page.get_by_text("Deleted the permission group Annotators.").wait_for()
    assert not PermissionGroup.objects.filter(pk=annotators.pk).exists()
    expect(page.locator('tr[data-group="Reviewers"]')).to_be_focused()


def test_deleting_an_experiment_from_its_menu_asks_the_same_question(page, org_with_owner):
    org, owner = org_with_owner
    project = ProjectFactory(org=org, name="support-bot")
    experiment = ExperimentFactory(project=project, name="baseline")
    log_in(page, owner.email)
    page.goto(f"/app/{org.name}/p/{project.pk}/experiments/{experiment.pk}/")
    page.get_by_label("More actions for baseline").click()
    page.get_by_role("link", name="Delete", exact=True).click()
    dialog = page.get_by_role("dialog", name="Delete the experiment baseline?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    expect(dialog).to_contain_text("It leaves every list and page, and its name is free again.")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert Experiment.objects.filter(pk=experiment.pk, deleted_at__isnull=True).exists()

    page.get_by_label("More actions for baseline").click()
    page.get_by_role("link", name="Delete", exact=True).click()
    dialog.get_by_role("button", name="Delete experiment").click()
    page.get_by_text("Deleted the experiment baseline.").wait_for()
    assert not Experiment.objects.filter(pk=experiment.pk, deleted_at__isnull=True).exists()
