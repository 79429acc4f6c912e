"""Where keyboard focus goes around dialogs (static/web/app.js): back to what opened a dialog when it
closes, even from inside a ⋯ menu that has closed since; onto the saved row after a Save; onto the field in
error when a dialog comes back with errors, whose help and error are read with it."""

import pytest
from playwright.sync_api import expect

from permissions.boxes import PROJECT_BOXES, Subject, object_boxes, save_boxes
from tests.access_helpers import custom_group
from tests.browser.conftest import log_in, open_dialog, with_password
from tests.factories import ExperimentFactory, OrganizationFactory, ProjectFactory, UserFactory, add_member, owner_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(page):
    """Acme's owner, logged in; Ada, who reads the project's experiments and the experiment baseline."""
    org = OrganizationFactory(name="Acme")
    owner = with_password(owner_of(org))
    project = ProjectFactory(org=org, name="Support bot")
    experiment = ExperimentFactory(project=project, name="baseline")
    ada = add_member(org, UserFactory(email="ada.lovelace@example.com", given_name="Ada", family_name="Lovelace"))
    custom_group(org, ada, name="Annotators")
    save_boxes(actor=owner, box_set=PROJECT_BOXES, subject=Subject(user_id=ada.pk), target_id=project.pk, ticked=["experiment_read"])
    save_boxes(actor=owner, box_set=object_boxes("experiment"), subject=Subject(user_id=ada.pk), target_id=experiment.pk, ticked=["read"])
    log_in(page, owner.email)
    return {"org": org, "project": project, "experiment": experiment, "ada": ada}


def experiment_path(world) -> str:
    return f"/app/{world['org'].name}/p/{world['project'].pk}/experiments/{world['experiment'].pk}/"


def open_permissions_from_the_menu(page):
    page.get_by_label("More actions for baseline").click()
    page.get_by_role("link", name="Permissions").click()
    dialog = page.get_by_role("dialog", name="Permissions")
    expect(dialog).to_be_visible()
    return dialog


def test_closing_an_objects_permissions_dialog_gives_focus_back_to_its_menu(page, world):
    page.goto(experiment_path(world))
    menu = page.get_by_label("More actions for baseline")

    open_permissions_from_the_menu(page)
    page.keyboard.press("Escape")
    expect(menu).to_be_focused()

    dialog = open_permissions_from_the_menu(page)
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    expect(menu).to_be_focused()


def test_a_fetched_dialog_gives_focus_back_to_the_button_that_fetched_it(page, world):
    page.goto(f"/app/{world['org'].name}/settings/groups/")
    button = page.get_by_role("button", name="Edit Annotators")
    button.click()
    expect(page.get_by_role("dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(button).to_be_focused()


def test_saving_a_members_project_permissions_focuses_their_row(page, world):
    page.goto(f"/app/{world['org'].name}/p/{world['project'].pk}/configuration/")
    dialog = open_dialog(page, "Edit permissions of Ada Lovelace", "Permissions of Ada Lovelace")
    dialog.get_by_label("Datasets: Read").check()
    dialog.get_by_role("button", name="Save").click()

    page.get_by_text("Saved the permissions of Ada Lovelace on Support bot.").wait_for()
    row = page.locator(f'tr[data-principal="user:{world["ada"].pk}"]')
    expect(row).to_be_focused()
    expect(row).to_have_attribute("tabindex", "-1")
    expect(row.locator(".chip", has_text="Datasets: Read")).to_be_visible()


def test_saving_an_objects_permissions_focuses_the_saved_row_in_the_dialog_shown_again(page, world):
    page.goto(experiment_path(world))
    dialog = open_permissions_from_the_menu(page)
    listed = dialog.get_by_role("table", name="Groups, members and service accounts")
    listed.get_by_role("button", name="Edit permissions of Ada Lovelace").click()
    expect(dialog.get_by_label("Permissions: Read")).to_be_focused()  # the boxes it fetched
    dialog.get_by_label("Update").check()
    dialog.get_by_role("button", name="Save").click()

    page.get_by_text("Saved the permissions of Ada Lovelace on the experiment baseline.").wait_for()
    dialog = page.get_by_role("dialog", name="Permissions")
    expect(dialog).to_be_visible()
    expect(dialog.locator(f'tr[data-principal="user:{world["ada"].pk}"]')).to_be_focused(timeout=2_000)


def test_a_dialog_shown_again_with_errors_focuses_the_field_in_error_and_reads_its_help_and_error(page, world):
    page.goto(f"/app/{world['org'].name}/settings/api-keys/")
    dialog = open_dialog(page, "Create API key")
    dialog.get_by_label("Name").fill("laptop")
    dialog.get_by_label("Expires after").fill("2001-01-01")
    dialog.get_by_role("button", name="Create").click()

    dialog = page.get_by_role("dialog", name="Create API key")
    field = dialog.get_by_label("Expires after")
    expect(field).to_be_focused()
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(
        "Optional. The last day it works (until midnight UTC). Leave empty for no expiry. Choose today or a later day."
    )
    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name="Create API key")).to_be_focused()
