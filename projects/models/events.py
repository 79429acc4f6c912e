"""The rows inside experiments, datasets and a project's logs, with every version they have had.

A write to the data plane (an insert, a merge, a delete, feedback, an online score) runs in one
:class:`Transaction`, whose id is the ``_xact_id`` of every row version it writes. Ids only grow, so the
state "as of version V" is, for each row, its latest version with an ``xact_id`` at most V.

* :class:`EventRow` holds each row's current state (what a plain fetch reads, one row per id);
* :class:`EventVersion` holds every state each row has had (what a fetch with ``version`` reads);
* :class:`EventTag` indexes the current tags, so that logs filter by tag in the database;
* :class:`EventFeedback` keeps every piece of feedback as history.

Rows are not access-control nodes: access is on the object that holds them (experiment, dataset, or the
project's ``project_log`` node), named by ``kind`` and ``object_id``.
"""

from django.conf import settings as django_settings
from django.db import models
from django.utils import timezone


class ObjectKind(models.TextChoices):
    """What holds a row: ``object_id`` is the experiment's, the dataset's, or the project's (for logs)."""

    EXPERIMENT = "experiment"
    DATASET = "dataset"
    PROJECT_LOGS = "project_logs"


class Transaction(models.Model):
    """One write to the data plane; its id is the ``_xact_id`` of the row versions it wrote."""

    id = models.BigAutoField(primary_key=True, verbose_name="ID")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return str(self.id)


class _RowState(models.Model):
    """The fields every state of a row has."""

    kind = models.CharField(max_length=20, choices=ObjectKind.choices)
    object_id = models.UUIDField(verbose_name="object ID")
    row_id = models.CharField(max_length=255, verbose_name="row ID")
    xact_id = models.BigIntegerField(verbose_name="transaction ID")
    created = models.DateTimeField(default=timezone.now)
    span_id = models.CharField(max_length=255, verbose_name="span ID")
    root_span_id = models.CharField(max_length=255, verbose_name="root span ID")
    is_root = models.BooleanField(default=True, verbose_name="root span")
    data = models.JSONField(default=dict, help_text="input, output, expected, scores, metadata, tags, metrics and the other fields")
    is_deleted = models.BooleanField(default=False, verbose_name="deleted")
    trace_order = models.BigIntegerField(
        default=0, help_text="Orders traces, newest first: every row of a trace has its trace's value, fixed when the trace began"
    )

    class Meta:
        abstract = True
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}:{self.row_id}@{self.xact_id}"


class EventRow(_RowState):
    """The current state of one row. ``id`` orders rows by their first insert (the fetch order)."""

    id = models.BigAutoField(primary_key=True, verbose_name="ID")
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")

    class Meta(_RowState.Meta):
        constraints = [models.UniqueConstraint(fields=["kind", "object_id", "row_id"], name="event_row_unique_id_in_object")]
        indexes = [
            models.Index(fields=["kind", "object_id", "root_span_id"], name="event_row_trace"),
            models.Index(fields=["kind", "object_id", "-trace_order"], name="event_row_trace_order"),
        ]


class EventVersion(_RowState):
    """One state a row has had, written by the transaction ``xact_id``."""

    id = models.BigAutoField(primary_key=True, verbose_name="ID")
    first_id = models.BigIntegerField(
        verbose_name="first row ID", help_text="The row's EventRow id, which orders rows the same way in every version"
    )

    class Meta(_RowState.Meta):
        constraints = [models.UniqueConstraint(fields=["kind", "object_id", "row_id", "xact_id"], name="event_version_unique")]
        indexes = [models.Index(fields=["kind", "object_id", "xact_id"], name="event_version_by_xact")]


class EventTag(models.Model):
    """One tag of a row's current state."""

    row = models.ForeignKey(EventRow, on_delete=models.CASCADE, related_name="tag_rows")
    tag = models.CharField(max_length=255)

    class Meta:
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["row", "tag"], name="event_tag_unique")]
        indexes = [models.Index(fields=["tag"], name="event_tag_by_tag")]

    def __str__(self) -> str:
        return self.tag


class EventFeedback(models.Model):
    """Feedback on a row (scores, expected, a comment, metadata, tags), kept as history."""

    class Source(models.TextChoices):
        APP = "app"
        API = "api"
        EXTERNAL = "external"

    id = models.BigAutoField(primary_key=True, verbose_name="ID")
    kind = models.CharField(max_length=20, choices=ObjectKind.choices)
    object_id = models.UUIDField(verbose_name="object ID")
    row_id = models.CharField(max_length=255, verbose_name="row ID")
    xact_id = models.BigIntegerField(verbose_name="transaction ID")
    scores = models.JSONField(null=True, blank=True)
    expected = models.JSONField(null=True, blank=True)
    comment = models.TextField(blank=True)
    metadata = models.JSONField(null=True, blank=True)
    tags = models.JSONField(null=True, blank=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.EXTERNAL)
    created_by = models.ForeignKey(django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        default_permissions = ()
        indexes = [models.Index(fields=["kind", "object_id", "row_id"], name="event_feedback_row")]

    def __str__(self) -> str:
        return f"feedback on {self.row_id}"
