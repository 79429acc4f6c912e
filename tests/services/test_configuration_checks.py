"""The checks of a project's configuration that every channel shares: a tag's color is one a swatch can
show, and an aggregate score is made of scores of its project."""

import pytest

from permissions.exceptions import ValidationError
from projects.events.targets import EventTarget
from projects.events.writes import insert_events
from projects.models import ProjectScore, ProjectTag
from projects.services import configuration
from projects.services.configuration.tag_colors import CSS_NAMED_COLORS, is_tag_color
from tests.access_helpers import row_counts
from tests.factories import ExperimentFactory, ProjectFactory
from tests.factories_configuration import ProjectScoreFactory, ProjectTagFactory, ScorerFunctionFactory

pytestmark = pytest.mark.django_db


def refusal(call) -> str:
    before = row_counts()
    with pytest.raises(ValidationError) as refused:
        call()
    assert row_counts() == before
    return " ".join(refused.value.messages)


# Tag colors

SHOWN = [
    "#fff",
    "#1F77B4",
    "#1f77b480",
    "teal",
    "Teal",
    "rebeccapurple",
    "rgb(31, 119, 180)",
    "rgb(31 119 180 / 50%)",
    "hsl(120, 50%, 50%)",
]
NOT_SHOWN = [
    "notacolor",
    "blurple",
    "#ff",
    "#12345",
    "#ggg",
    "transparent",
    "currentcolor",
    "rgb(300, 0, 0)",
    "rgb(10%, 20, 30)",
    "hsl(120, 50, 50)",
    "red; background-image: url(https://evil.example)",
    'red" onmouseover="alert(1)',
]


@pytest.mark.parametrize("color", SHOWN)
def test_a_tag_takes_a_color_a_browser_draws(project, owner, color):
    tag = configuration.project_tag_create(actor=owner, project=project, name="urgent", color=f" {color} ")
    assert ProjectTag.objects.get(pk=tag.pk).color == color


@pytest.mark.parametrize("color", NOT_SHOWN)
def test_a_tag_color_a_swatch_cannot_show_is_refused_naming_the_field(project, owner, color):
    message = refusal(lambda: configuration.project_tag_create(actor=owner, project=project, name="urgent", color=color))
    assert message.startswith("color: ") and "is not a color" in message


def test_a_tag_may_have_no_color(project, owner):
    assert configuration.project_tag_create(actor=owner, project=project, name="urgent", color="").color == ""


def test_changing_a_tag_to_an_unknown_color_is_refused_and_changes_nothing(project, owner):
    tag = ProjectTagFactory(project=project, name="urgent", color="teal")
    message = refusal(lambda: configuration.project_tag_update(actor=owner, tag=tag, color="blurple"))
    assert message.startswith("color: 'blurple' is not a color")
    assert ProjectTag.objects.get(pk=tag.pk).color == "teal"


def test_the_named_colors_are_the_148_of_css():
    assert len(CSS_NAMED_COLORS) == 148 and {"rebeccapurple", "grey", "gray"} <= CSS_NAMED_COLORS
    assert all(is_tag_color(name.upper()) for name in CSS_NAMED_COLORS)


# Aggregate scores


def test_an_aggregate_of_a_score_the_project_does_not_have_is_refused_naming_the_path(project, owner):
    ProjectScoreFactory(project=project, name="Accuracy")
    message = refusal(
        lambda: configuration.project_score_create(
            actor=owner, project=project, name="Overall", score_type="weighted", categories={"Accuracy": 1, "Acuracy": 2}
        )
    )
    assert message.startswith("categories.Acuracy: 'Acuracy' is not a score of this project (its human review scores: Accuracy)")
    message = refusal(
        lambda: configuration.project_score_create(
            actor=owner, project=project, name="Worst", score_type="minimum", categories=["Accuracy", "Fluency"]
        )
    )
    assert message.startswith("categories[1]: 'Fluency' is not a score of this project")


def test_a_score_of_another_project_does_not_count(project, owner):
    ProjectScoreFactory(project=ProjectFactory(org=project.org), name="Fluency")
    message = refusal(
        lambda: configuration.project_score_create(actor=owner, project=project, name="Best", score_type="maximum", categories=["Fluency"])
    )
    assert "'Fluency' is not a score of this project" in message


def test_an_aggregate_is_made_of_review_scores_online_rule_scores_and_scores_rows_carry(project, owner):
    ProjectScoreFactory(project=project, name="Helpfulness")
    ProjectScoreFactory(project=project, name="Tone", score_type="categorical", categories=[{"name": "Warm", "value": 1}])
    function = ScorerFunctionFactory(project=project, name="Politeness")
    online = {"sampling_rate": 1, "scorers": [{"type": "global", "name": "Levenshtein"}, {"type": "function", "id": str(function.pk)}]}
    ProjectScoreFactory(project=project, name="Rule", score_type="online", config={"online": online})
    experiment = ExperimentFactory(project=project)
    insert_events(actor=owner, target=EventTarget.of(experiment), events=[{"input": "q", "scores": {"Factuality": 0.5}}])
    names = ["Helpfulness", "Tone", "Levenshtein", "Politeness", "Factuality"]
    score = configuration.project_score_create(actor=owner, project=project, name="Worst", score_type="minimum", categories=names)
    assert ProjectScore.objects.get(pk=score.pk).categories == names


def test_a_deleted_row_no_longer_makes_its_scores_count(project, owner):
    experiment = ExperimentFactory(project=project)
    target = EventTarget.of(experiment)
    insert_events(actor=owner, target=target, events=[{"id": "r", "scores": {"Factuality": 0.5}}])
    insert_events(actor=owner, target=target, events=[{"id": "r", "_object_delete": True}])
    message = refusal(
        lambda: configuration.project_score_create(
            actor=owner, project=project, name="Best", score_type="maximum", categories=["Factuality"]
        )
    )
    assert "'Factuality' is not a score of this project" in message


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Overall", "'Overall' is an aggregate score"),
        ("Notes", "'Notes' is a free-form review"),
        ("Worst", "'Worst' is an aggregate score"),
    ],
)
def test_an_aggregate_is_not_made_of_aggregates_free_form_reviews_or_itself(project, owner, name, message):
    ProjectScoreFactory(project=project, name="Accuracy")
    ProjectScoreFactory(project=project, name="Overall", score_type="weighted", categories={"Accuracy": 1})
    ProjectScoreFactory(project=project, name="Notes", score_type="free-form")
    refused = refusal(
        lambda: configuration.project_score_create(
            actor=owner, project=project, name="Worst", score_type="minimum", categories=["Accuracy", name]
        )
    )
    assert refused.startswith(f"categories[1]: {message}")


def test_changing_an_aggregates_scores_checks_them_again(project, owner):
    ProjectScoreFactory(project=project, name="Accuracy")
    score = configuration.project_score_create(actor=owner, project=project, name="Best", score_type="maximum", categories=["Accuracy"])
    message = refusal(lambda: configuration.project_score_update(actor=owner, score=score, categories=["Accuracy", "Speed"]))
    assert message.startswith("categories[1]: 'Speed' is not a score of this project")
    message = refusal(lambda: configuration.project_score_update(actor=owner, score=score, score_type="weighted", categories={"Speed": 1}))
    assert message.startswith("categories.Speed: 'Speed' is not a score of this project")
    assert ProjectScore.objects.get(pk=score.pk).categories == ["Accuracy"]


def test_a_score_that_is_not_an_aggregate_names_no_scores(project, owner):
    score = configuration.project_score_create(
        actor=owner, project=project, name="Tone", score_type="categorical", categories=[{"name": "Nobody's score", "value": 1}]
    )
    assert score.categories == [{"name": "Nobody's score", "value": 1}]
