"""Saved views (Braintrust's ``View``): a named way of looking at an object's table, its filters, columns
and layout, shared with everyone who may read the object.

A view belongs to one node of the access hierarchy, named by ``object_type`` and ``object_id`` (an
``AclObjectType`` and an id: a project, an experiment, a project's logs, ...). It is not a node itself:
whoever reads its object reads it, and whoever may update its object changes it (``projects.services.views``).
``org`` is the organization of that object, kept so that every read is scoped to the caller's
organization in the database.
"""

from django.db import models
from django.db.models import Q

from permissions.models import NamedRecord
from permissions.types import ObjectType


class ViewType(models.TextChoices):
    """Braintrust's ``ViewType``: the table a view shows."""

    PROJECTS = "projects"
    EXPERIMENTS = "experiments"
    EXPERIMENT = "experiment"
    PLAYGROUNDS = "playgrounds"
    PLAYGROUND = "playground"
    DATASETS = "datasets"
    DATASET = "dataset"
    PROMPTS = "prompts"
    PARAMETERS = "parameters"
    TOOLS = "tools"
    SCORERS = "scorers"
    CLASSIFIERS = "classifiers"
    LOGS = "logs"
    MONITOR = "monitor"
    FOR_REVIEW_PROJECT_LOG = "for_review_project_log"
    FOR_REVIEW_EXPERIMENTS = "for_review_experiments"
    FOR_REVIEW_DATASETS = "for_review_datasets"


class View(NamedRecord):
    """A saved view of an object's table. Its name is unique among the views of its object and type."""

    audit_type = "view"

    org = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+", verbose_name="organization")
    object_type = models.CharField(max_length=20, choices=ObjectType.choices)
    object_id = models.UUIDField(verbose_name="object ID")
    view_type = models.CharField(max_length=32, choices=ViewType.choices, null=True, blank=True)
    view_data = models.JSONField(null=True, blank=True, help_text="The view definition: its search (filter, tag, match, sort)")
    options = models.JSONField(null=True, blank=True, help_text="How the app lays the table out")

    class Meta(NamedRecord.Meta):
        indexes = [models.Index(fields=["object_type", "object_id", "-created"], name="view_by_object")]
        constraints = [
            models.UniqueConstraint(
                fields=["object_type", "object_id", "view_type", "name"],
                condition=Q(view_type__isnull=False),
                name="view_name_unique_in_object_and_type",
            ),
            models.UniqueConstraint(
                fields=["object_type", "object_id", "name"], condition=Q(view_type__isnull=True), name="view_name_unique_in_object"
            ),
            models.CheckConstraint(condition=Q(object_type__in=ObjectType.values), name="view_object_type_known"),
            models.CheckConstraint(condition=Q(view_type__isnull=True) | Q(view_type__in=ViewType.values), name="view_type_known"),
        ]
