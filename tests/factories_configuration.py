"""factory-boy factories for a project's configuration: tags, scores, and the scorer functions online
scores name. Rows are written directly; the services are tested through the API."""

import factory
from django.utils import timezone

from projects.models import ProjectScore, ProjectTag, Prompt
from tests.factories import ProjectFactory, PromptFactory


class ProjectTagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectTag

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"tag-{n}")
    created = factory.LazyFunction(timezone.now)


class ProjectScoreFactory(factory.django.DjangoModelFactory):
    """A slider score unless told otherwise."""

    class Meta:
        model = ProjectScore

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"score-{n}")
    score_type = ProjectScore.ScoreType.SLIDER
    created = factory.LazyFunction(timezone.now)


class ScorerFunctionFactory(PromptFactory):
    """A function of function_type scorer, which online scores may name."""

    is_function = True
    function_type = Prompt.FunctionType.SCORER
    function_data = factory.LazyFunction(lambda: {"type": "code"})
