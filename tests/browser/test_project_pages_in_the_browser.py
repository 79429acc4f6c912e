"""A project's pages and Check access in a real browser: an object's Permissions dialog (search as you
type, choose, tick, Save), human review of a row, and screenshots of the main pages."""

import pytest
from playwright.sync_api import expect

from permissions.engine import can
from projects.events.targets import EventTarget
from projects.events.writes import insert_events
from projects.models import EventFeedback
from tests.access_helpers import custom_group
from tests.browser.conftest import log_in, screenshot, with_password
from tests.factories import DatasetFactory, ExperimentFactory, OrganizationFactory, ProjectFactory, add_member, owner_of
from tests.factories_configuration import human_review_scores

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world():
    org = OrganizationFactory(name="Acme")
    owner = with_password(owner_of(org))
    project = ProjectFactory(org=org, name="support-bot", description="The support assistant")
    dataset = DatasetFactory(project=project, name="golden-questions")
    experiment = ExperimentFactory(project=project, name="baseline", dataset=dataset, description="First run on the golden questions")
    ExperimentFactory(project=project, name="prompt-v2")
    member = with_password(add_member(org, None, custom_group(org, name="Annotators")))
    human_review_scores(project)
    insert_events(
        actor=owner,
        target=EventTarget.of(experiment),
        events=[
            {
                "id": "q1",
                "input": {"question": "How do I reset my password?"},
                "output": "Use the link on the login page.",
                "scores": {"accuracy": 1},
            },
            {
                "id": "q2",
                "input": {"question": "Can I export my data?"},
                "output": "No.",
                "expected": "Yes, as CSV.",
                "scores": {"accuracy": 0},
            },
        ],
    )
    return {"org": org, "owner": owner, "project": project, "experiment": experiment, "member": member}


def test_an_owner_grants_a_member_read_on_one_experiment_and_the_member_sees_it(page, world):
    org, project, experiment, member = world["org"], world["project"], world["experiment"], world["member"]
    log_in(page, world["owner"].email)
    page.goto(f"/app/{org.name}/")
    page.get_by_role("link", name="support-bot").click()
    page.get_by_role("table", name="Experiments").wait_for()
    screenshot(page, "project-experiments")
    page.get_by_role("link", name="baseline").click()
    page.get_by_role("heading", name="baseline").wait_for()
    screenshot(page, "project-experiment")
    page.get_by_label("More actions for baseline").click()
    page.get_by_role("link", name="Permissions").click()
    dialog = page.get_by_role("dialog", name="Permissions")
    dialog.get_by_label("Find groups, members and service accounts").fill(member.email[:8])
    expect(dialog.get_by_role("button", name="Edit permissions of Owners")).to_have_count(0)  # the list narrows as one types
    dialog.get_by_role("button", name=f"Edit permissions of {member.full_name}").click()
    dialog.get_by_role("checkbox", name="Read").check()
    screenshot(page, "project-object-permissions-dialog")
    dialog.get_by_role("button", name="Save").click()
    page.get_by_text(f"Saved the permissions of {member.full_name} on the experiment baseline.").wait_for()
    assert can(member, "read", experiment)

    page.context.clear_cookies()
    log_in(page, member.email)
    page.goto(f"/app/{org.name}/p/{project.pk}/")
    table = page.get_by_role("table", name="Experiments")
    expect(table.get_by_role("link", name="baseline")).to_be_visible()
    assert table.get_by_role("link", name="prompt-v2").count() == 0


def test_an_owner_sets_a_human_review_score_on_a_row(page, world):
    org, experiment = world["org"], world["experiment"]
    log_in(page, world["owner"].email)
    page.goto(f"/app/{org.name}/p/{experiment.project_id}/experiments/{experiment.pk}/")
    page.locator('tr[data-row="q2"]').get_by_role("button", name="Review").click()
    dialog = page.get_by_role("dialog", name="Human review")
    dialog.get_by_label("helpfulness").fill("0.25")
    dialog.get_by_label("verdict").select_option("bad")
    dialog.get_by_label("Comment").fill("Wrong: exports exist.")
    dialog.get_by_role("button", name="Save review").click()
    page.get_by_text("Saved the review.").wait_for()
    feedback = EventFeedback.objects.get(row_id="q2")
    assert feedback.scores == {"helpfulness": 0.25, "verdict": 0} and feedback.source == "app"
    row = page.locator('tr[data-row="q2"]')
    expect(row.get_by_text("helpfulness: 25.0%")).to_be_visible()
    expect(row.get_by_text("Wrong: exports exist.")).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "project-experiment-phone")


def test_check_access_explains_a_members_access(page, world):
    org, experiment, member = world["org"], world["experiment"], world["member"]
    log_in(page, world["owner"].email)
    page.goto(f"/app/{org.name}/")
    page.get_by_role("link", name="Check access").click()
    page.get_by_label("Person, service account or group").select_option(label=f"{member.full_name} (Member)")
    page.get_by_label("Object type").select_option("experiment")
    page.get_by_label("Object", exact=True).select_option(label="support-bot / baseline")
    page.get_by_label("Permission").select_option("read")
    page.get_by_role("button", name="Check").click()
    page.get_by_role("heading", name="Not allowed").wait_for()
    expect(page.get_by_text("Who could grant it")).to_be_visible()
    page.get_by_label("Person, service account or group").select_option(label="Engineers (Group)")
    page.get_by_role("button", name="Check").click()
    page.get_by_role("heading", name="Allowed").wait_for()
    expect(page.get_by_role("table", name="Grants that allow it").get_by_text("All projects (org_project)")).to_be_visible()
    screenshot(page, "check-access")
    assert str(experiment.pk) in page.url
