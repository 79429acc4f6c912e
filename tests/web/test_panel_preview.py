"""The Preview of the project and object Permissions dialogs: what Save would give and take, in words, from a
dry run of the Save's own call (``save_boxes``); offered beside Save, refused as Save is, never writing."""

import re

import pytest
from django.urls import reverse

from permissions.boxes import PROJECT_BOXES, Subject, ticked_boxes
from tests.access_helpers import audit_actions, custom_group, grant, row_counts
from tests.factories import ExperimentFactory, add_member
from tests.worlds import client_for

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def project_preview(project, group) -> str:
    return reverse(
        "web:project-access-preview",
        kwargs={"org_name": project.org.name, "project_id": project.pk, "kind": "group", "subject_id": group.pk},
    )


def object_url(experiment, name: str) -> str:
    project = experiment.project
    kwargs = {"org_name": project.org.name, "project_id": project.pk, "kind": "experiments", "object_id": experiment.pk}
    return reverse(f"web:{name}", kwargs=kwargs)


def ticked(html: str, box: str) -> bool:
    return re.search(rf'value="{box}" id="[^"]*"\s+checked', html) is not None


def test_the_project_preview_says_what_save_would_give_and_writes_nothing(org, project, people):
    reviewers = custom_group(org, name="Reviewers")
    for _ in range(2):
        add_member(org, None, reviewers)
    before, actions = row_counts(), audit_actions()
    response = client_for(people["owner"]).post(project_preview(project, reviewers), {"boxes": ["experiment_read"]}, **HTMX)
    assert response.status_code == 200, response.content
    html = response.content.decode()
    assert "Saving this gives 2 people Read on the experiments of project support-bot" in html
    assert (row_counts(), audit_actions()) == (before, actions)
    assert ticked_boxes(PROJECT_BOXES, Subject(group_id=reviewers.pk), project.pk) == set()


def test_the_project_preview_without_javascript_shows_the_dialog_with_the_boxes_as_posted(org, project, people):
    reviewers = custom_group(org, name="Reviewers")
    add_member(org, None, reviewers)
    grant(org, project, group=reviewers, permission="update")
    response = client_for(people["owner"]).post(project_preview(project, reviewers), {"boxes": ["project_read"]})
    assert response.status_code == 200
    html = response.content.decode()
    assert "takes Update on project support-bot from" in html and "gives" in html
    assert ticked(html, "project_read") and not ticked(html, "project_update"), "the boxes as posted"


def test_the_object_preview_answers_in_words_and_its_dialog_offers_it(org, project, people):
    experiment = ExperimentFactory(project=project, name="baseline")
    member = add_member(org)
    client = client_for(people["owner"])
    form = client.get(object_url(experiment, "object-permissions"), {"principal": f"user:{member.pk}"}, **HTMX).content.decode()
    assert f'hx-post="{object_url(experiment, "object-permissions-preview")}"' in form
    before = row_counts()
    response = client.post(
        object_url(experiment, "object-permissions-preview"), {"principal": f"user:{member.pk}", "boxes": ["update"]}, **HTMX
    )
    assert response.status_code == 200
    assert f"Saving this gives {member.email} Update on experiment baseline" in response.content.decode()
    assert row_counts() == before


@pytest.mark.parametrize("who", ["engineer", "viewer"])
def test_the_preview_is_refused_to_whoever_may_not_save_and_writes_nothing(org, project, people, who):
    reviewers = custom_group(org, name="Reviewers")
    before = row_counts()
    response = client_for(people[who]).post(project_preview(project, reviewers), {"boxes": ["project_read"]}, **HTMX)
    assert response.status_code in (403, 404)
    assert row_counts() == before
