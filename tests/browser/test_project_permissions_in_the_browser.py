"""A project's Configuration page in a real browser: the Permissions flow (type to filter, pencil, Save,
focus on the saved row) and its effect on what the member may read, and a tag, a human review score and an online scoring rule made
through their dialogs."""

import pytest
from playwright.sync_api import expect

from accounts.services.credentials import api_key_create
from permissions.boxes import PROJECT_BOXES, Subject, ticked_boxes
from permissions.engine import can
from projects.models import ProjectScore, ProjectTag
from tests.browser.conftest import log_in, open_dialog, screenshot, with_password
from tests.factories import ExperimentFactory, OrganizationFactory, ProjectFactory, UserFactory, add_member, owner_of
from tests.factories_configuration import ProjectScoreFactory, ProjectTagFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world():
    org = OrganizationFactory(name="Acme")
    owner = with_password(owner_of(org))
    project = ProjectFactory(org=org, name="Support bot")
    member = add_member(org, UserFactory(email="ada.lovelace@example.com", given_name="Ada", family_name="Lovelace"))
    experiment = ExperimentFactory(project=project, name="baseline-gpt")
    return org, owner, project, member, experiment


def configuration_path(org, project) -> str:
    return f"/app/{org.name}/p/{project.pk}/configuration/"


def experiment_names_seen_by(page, member, org, project) -> set[str]:
    """The experiments the member's own API key lists in the project (the list is restricted in the database)."""
    _, raw = api_key_create(actor=member, org=org, name="browser test")
    response = page.request.get(f"/v1/experiment?project_id={project.pk}", headers={"Authorization": f"Bearer {raw}"})
    assert response.ok, response.text()
    return {experiment["name"] for experiment in response.json()["objects"]}


def test_an_owner_gives_a_member_experiments_read_through_the_project_permissions(page, world):
    org, owner, project, member, experiment = world
    assert not can(member, "read", experiment)
    assert experiment_names_seen_by(page, member, org, project) == set()
    ProjectTagFactory(project=project, name="urgent", color="#b3261e", description="Answer today")
    ProjectScoreFactory(project=project, name="Helpfulness")

    log_in(page, owner.email)
    page.goto(configuration_path(org, project))
    page.get_by_role("heading", name="Permissions").wait_for()
    screenshot(page, "project-configuration")

    listed = page.get_by_role("table", name="Groups, members and service accounts")
    expect(listed.get_by_role("button", name="Edit permissions of Owners")).to_be_visible()
    search = page.get_by_label("Find groups, members and service accounts")
    search.press_sequentially("lovel", delay=40)
    expect(listed.get_by_role("button", name="Edit permissions of Owners")).to_have_count(0)  # the list narrows as one types

    row = page.locator(f'tr[data-principal="user:{member.pk}"]')
    row.get_by_text("Nothing granted here").wait_for()
    row.get_by_role("button", name="Edit permissions of Ada Lovelace").click()
    dialog = page.get_by_role("dialog", name="Permissions of Ada Lovelace")
    expect(dialog.get_by_label("Project: Read")).to_be_focused()
    dialog.get_by_label("Experiments: Read").check()
    screenshot(page, "project-permissions-dialog")
    dialog.get_by_role("button", name="Save").click()

    page.get_by_text("Saved the permissions of Ada Lovelace on Support bot.").wait_for()
    row = page.locator(f'tr[data-principal="user:{member.pk}"]')
    expect(row).to_be_focused()
    expect(row.locator(".chip", has_text="Experiments: Read")).to_be_visible()
    assert ticked_boxes(PROJECT_BOXES, Subject(user_id=member.pk), project.pk) == {"experiment_read"}
    assert can(member, "read", experiment) and not can(member, "update", experiment)
    assert experiment_names_seen_by(page, member, org, project) == {"baseline-gpt"}


def test_the_search_works_as_a_plain_form_without_javascript(browser, live_server, world):
    org, owner, project, member, _ = world
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, owner.email)
        page.goto(configuration_path(org, project))
        page.get_by_label("Find groups, members and service accounts").fill("ada")
        page.get_by_role("button", name="Search").click()
        page.get_by_role("button", name="Edit permissions of Ada Lovelace").click()
        page.get_by_label("Datasets: Read").check()
        page.get_by_role("button", name="Save").click()
        page.get_by_text("Saved the permissions of Ada Lovelace on Support bot.").wait_for()
        assert ticked_boxes(PROJECT_BOXES, Subject(user_id=member.pk), project.pk) == {"dataset_read"}
    finally:
        context.close()


def test_an_owner_creates_a_tag_and_a_categorical_score_through_their_dialogs(page, world):
    org, owner, project, _, _ = world
    log_in(page, owner.email)
    page.goto(configuration_path(org, project))

    dialog = open_dialog(page, "Create tag")
    dialog.get_by_label("Name").fill("needs-follow-up")
    dialog.get_by_label("Color").fill("teal")
    dialog.get_by_role("button", name="Save").click()
    page.get_by_text("Created the tag needs-follow-up.").wait_for()
    assert ProjectTag.objects.get(project=project).color == "teal"

    dialog = open_dialog(page, "Create human review score")
    dialog.get_by_label("Name", exact=True).fill("Tone")
    dialog.get_by_label("Score type").select_option(label="Categorical")
    dialog.get_by_label("Category 1 name").fill("friendly")
    dialog.get_by_label("Category 1 value").fill("1")
    dialog.get_by_label("Category 2 name").fill("friendly")  # taken: the service's rule answers on the form
    dialog.get_by_label("Category 2 value").fill("0")
    dialog.get_by_role("button", name="Save").click()
    dialog = page.get_by_role("dialog", name="Create human review score")
    dialog.get_by_text("Category 2 name: 'friendly' is used by another category.").wait_for()
    assert not ProjectScore.objects.exists()
    dialog.get_by_label("Category 2 name").fill("curt")
    dialog.get_by_role("button", name="Save").click()
    page.get_by_text("Created Tone.").wait_for()
    tone = ProjectScore.objects.get(project=project, name="Tone")
    assert tone.categories == [{"name": "friendly", "value": 1.0}, {"name": "curt", "value": 0.0}]

    dialog = open_dialog(page, "Create rule", "Create online scoring rule")
    dialog.get_by_label("Name", exact=True).fill("Exact answers")
    dialog.get_by_label("Scorers").select_option(["global:ExactMatch", "global:Levenshtein"])
    dialog.get_by_label("Sampling rate (%)").fill("5")
    dialog.get_by_label("Apply to spans named").fill("llm")
    screenshot(page, "project-online-scoring-dialog")
    dialog.get_by_role("button", name="Save").click()
    page.get_by_text("Created Exact answers.").wait_for()
    rule = ProjectScore.objects.get(project=project, score_type="online")
    assert rule.config["online"]["sampling_rate"] == 0.05
    assert [s["name"] for s in rule.config["online"]["scorers"]] == ["ExactMatch", "Levenshtein"]
    screenshot(page, "project-configuration-scores")


def test_the_configuration_page_fits_a_phone(page, world):
    org, owner, project, member, _ = world
    ProjectTagFactory(project=project, name="urgent", color="#b3261e", description="Answer today")
    ProjectScoreFactory(project=project, name="Quality", score_type="categorical", categories=[{"name": "good", "value": 1}])
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, owner.email)
    page.goto(f"{configuration_path(org, project)}?principal=user:{member.pk}#permissions")
    dialog = open_dialog(page, "Edit permissions of Ada Lovelace", "Permissions of Ada Lovelace")
    expect(dialog.get_by_label("Playgrounds: Manage access")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    grid = dialog.locator(".box-grid-wrap")
    assert grid.evaluate("wrap => wrap.scrollWidth <= wrap.clientWidth")  # every box fits, no sideways scrolling
    screenshot(page, "project-permissions-dialog-phone")
