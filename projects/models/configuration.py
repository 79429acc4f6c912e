"""A project's configuration: its tags and its scores (human review, aggregate and online scoring rules).

Both belong to the project and are read and changed with the project's own permissions: read on the
project to see them, update on the project to change them.
"""

from django.db import models

from permissions.models import NamedRecord


def _unique_name_in_project(audit_type: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(fields=["project", "name"], name=f"{audit_type}_name_unique_in_project")


class ProjectTag(NamedRecord):
    """A tag people and programs put on rows and objects of a project (name unique in the project)."""

    audit_type = "project_tag"

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="tags")
    description = models.TextField(blank=True)
    color = models.CharField(max_length=64, blank=True)
    position = models.CharField(max_length=255, blank=True)

    class Meta(NamedRecord.Meta):
        constraints = [_unique_name_in_project("project_tag")]


class ProjectScore(NamedRecord):
    """A score configured on a project (Braintrust's ``ProjectScore``).

    * human review: ``slider`` (0 to 1), ``categorical`` (``categories``: named values from 0 to 1) and
      ``free-form``;
    * aggregate: ``weighted`` (``categories``: score name to weight), ``minimum`` and ``maximum``
      (``categories``: the score names), computed on every row fetched and in experiment summaries;
    * ``online``: a rule (``config.online``) that scores a sample of inserted spans automatically.
    """

    class ScoreType(models.TextChoices):
        SLIDER = "slider"
        CATEGORICAL = "categorical"
        WEIGHTED = "weighted"
        MINIMUM = "minimum"
        MAXIMUM = "maximum"
        ONLINE = "online"
        FREE_FORM = "free-form"

    AGGREGATE_TYPES = (ScoreType.WEIGHTED, ScoreType.MINIMUM, ScoreType.MAXIMUM)

    audit_type = "project_score"

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="scores")
    description = models.TextField(blank=True)
    score_type = models.CharField(max_length=20, choices=ScoreType.choices)
    categories = models.JSONField(null=True, blank=True)
    config = models.JSONField(null=True, blank=True)
    position = models.CharField(max_length=255, blank=True)

    class Meta(NamedRecord.Meta):
        constraints = [
            _unique_name_in_project("project_score"),
            models.CheckConstraint(
                condition=models.Q(score_type__in=["slider", "categorical", "weighted", "minimum", "maximum", "online", "free-form"]),
                name="project_score_type_known",
            ),
        ]
