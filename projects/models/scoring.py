"""Online scoring work: one job per (rule, row) chosen by the rule's sampling rate, queued after commit.

The queue is a table, so that the built-in worker needs no other service; with a broker configured, each
job's id is also sent to Celery, whose task runs the same code. A job is claimed by moving it from
``pending`` to ``running`` in one conditional update that stamps the worker's claim, so two workers never
run the same job.
"""

from django.db import models
from django.utils import timezone


class ScoringJob(models.Model):
    """Score one row with one online-scoring rule."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    id = models.BigAutoField(primary_key=True, verbose_name="ID")
    rule = models.ForeignKey("projects.ProjectScore", on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=20)
    object_id = models.UUIDField(verbose_name="object ID")
    row_id = models.CharField(max_length=255, verbose_name="row ID")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    claim = models.UUIDField(null=True, blank=True, help_text="Which worker's batch holds the job while it runs")
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    created = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True, verbose_name="started")
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name="finished")

    class Meta:
        default_permissions = ()
        indexes = [models.Index(fields=["status", "id"], name="scoring_job_queue")]

    def __str__(self) -> str:
        return f"{self.rule_id} on {self.row_id} ({self.status})"
