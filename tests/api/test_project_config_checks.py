"""``/v1/project_tag`` and ``/v1/project_score`` refuse what the configuration services refuse, with a 400
that names the field: a tag color a swatch cannot show, an aggregate of scores the project does not have."""

import pytest

from projects.models import ProjectScore, ProjectTag
from tests.api_helpers import api_client_for
from tests.assertions import assert_refused_without_writing
from tests.factories import ProjectFactory, owner_of
from tests.factories_configuration import ProjectScoreFactory, ProjectTagFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    return ProjectFactory(name="Target")


@pytest.fixture
def client(project):
    return api_client_for(owner_of(project.org), project.org)


def _state() -> dict:
    return {"tags": list(ProjectTag.objects.values()), "scores": list(ProjectScore.objects.values())}


def refused(call, message: str) -> None:
    assert_refused_without_writing(call, 400, message, also_unchanged=[_state])


@pytest.mark.parametrize("color", ["notacolor", "blurple", "#12345", "rgb(300, 0, 0)"])
def test_every_tag_write_refuses_a_color_a_swatch_cannot_show(client, project, color):
    body = {"project_id": str(project.pk), "name": "urgent", "color": color}
    refused(lambda: client.post("/v1/project_tag", body), f"color: {color!r} is not a color")
    refused(lambda: client.put("/v1/project_tag", body), f"color: {color!r} is not a color")
    tag = ProjectTagFactory(project=project, name="later", color="teal")
    refused(lambda: client.patch(f"/v1/project_tag/{tag.pk}", {"color": color}), f"color: {color!r} is not a color")


def test_a_tag_color_a_browser_draws_is_kept_and_an_empty_one_is_no_color(client, project):
    response = client.post("/v1/project_tag", {"project_id": str(project.pk), "name": "urgent", "color": "#1f77b4"})
    assert (response.status_code, response.json()["color"]) == (200, "#1f77b4")
    response = client.patch(f"/v1/project_tag/{response.json()['id']}", {"color": ""})
    assert (response.status_code, response.json()["color"]) == (200, None)


def test_an_aggregate_of_unknown_scores_is_refused_naming_the_path(client, project):
    ProjectScoreFactory(project=project, name="accuracy")
    body = {"project_id": str(project.pk), "name": "overall", "score_type": "weighted", "categories": {"accuracy": 1, "fluency": 2}}
    refused(lambda: client.post("/v1/project_score", body), "categories.fluency: 'fluency' is not a score of this project")
    body = {**body, "score_type": "minimum", "categories": ["accuracy", "fluency"]}
    refused(lambda: client.put("/v1/project_score", body), "categories[1]: 'fluency' is not a score of this project")
    score = ProjectScoreFactory(project=project, name="best", score_type="maximum", categories=["accuracy"])
    refused(lambda: client.patch(f"/v1/project_score/{score.pk}", {"categories": ["fluency"]}), "categories[0]: 'fluency'")


def test_an_aggregate_of_the_projects_scores_is_created(client, project):
    ProjectScoreFactory(project=project, name="accuracy"), ProjectScoreFactory(project=project, name="fluency")
    body = {"project_id": str(project.pk), "name": "overall", "score_type": "weighted", "categories": {"accuracy": 1, "fluency": 2}}
    response = client.post("/v1/project_score", body)
    assert (response.status_code, response.json()["categories"]) == (200, {"accuracy": 1, "fluency": 2})
