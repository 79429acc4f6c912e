"""factory-boy factories for a project's configuration: tags, scores, span iframes, saved views, and the
scorer functions online scores name. Rows are written directly; the services are tested through the API."""

import factory
from django.utils import timezone

from projects.models import ProjectScore, ProjectTag, Prompt, SpanIframe, View
from tests.factories import ProjectFactory, PromptFactory


class _ProjectConfigurationFactory(factory.django.DjangoModelFactory):
    """A row of a project's configuration, created now."""

    class Meta:
        abstract = True

    project = factory.SubFactory(ProjectFactory)
    created = factory.LazyFunction(timezone.now)


class ProjectScoreFactory(_ProjectConfigurationFactory):
    """A slider score unless told otherwise."""

    class Meta:
        model = ProjectScore

    score_type = ProjectScore.ScoreType.SLIDER
    name = factory.Sequence(lambda n: f"score-{n}")


class ProjectTagFactory(_ProjectConfigurationFactory):
    """A tag with no colour or description."""

    class Meta:
        model = ProjectTag

    name = factory.Sequence(lambda n: f"tag-{n}")


class SpanIframeFactory(_ProjectConfigurationFactory):
    """An https span iframe that is not posted the span's data."""

    class Meta:
        model = SpanIframe

    name = factory.Sequence(lambda n: f"viewer-{n}")
    url = factory.Sequence(lambda n: f"https://tools.example.com/viewer/{n}")


def human_review_scores(project) -> tuple[ProjectScore, ProjectScore]:
    """What a project's human review asks of a row: the slider "helpfulness" and the categorical "verdict",
    good or bad."""
    return (
        ProjectScoreFactory(project=project, name="helpfulness", score_type=ProjectScore.ScoreType.SLIDER),
        ProjectScoreFactory(
            project=project,
            name="verdict",
            score_type=ProjectScore.ScoreType.CATEGORICAL,
            categories=[{"name": "good", "value": 1}, {"name": "bad", "value": 0}],
        ),
    )


class ScorerFunctionFactory(PromptFactory):
    """A function of function_type scorer, which online scores may name."""

    is_function = True
    function_type = Prompt.FunctionType.SCORER
    function_data = factory.LazyFunction(lambda: {"type": "code"})


class ViewFactory(factory.django.DjangoModelFactory):
    """A saved logs view of a project's logs, with no filters, unless told otherwise."""

    class Meta:
        model = View

    org = factory.SelfAttribute("project.org")
    object_type = "project_log"
    object_id = factory.SelfAttribute("project.pk")
    view_type = "logs"
    name = factory.Sequence(lambda n: f"view-{n}")
    created = factory.LazyFunction(timezone.now)

    class Params:
        project = factory.SubFactory(ProjectFactory)
