"""Queueing online-scoring work when spans are inserted into a project's logs.

:func:`enqueue_online_scoring` listens to :data:`projects.events.writes.rows_written`, which is sent once
the insert has committed: the insert is already safe, and what happens here only decides which spans are
scored. It costs three queries whatever the batch (the rules, the spans, the jobs), and the scoring itself
runs elsewhere: on the built-in worker, which polls the job table, or on Celery when a broker is configured.
"""

import logging

from django.conf import settings

from projects.events.targets import EventTarget
from projects.models import EventRow, ObjectKind, ScoringJob
from projects.scoring.rules import online_rules_of

logger = logging.getLogger(__name__)


def enqueue_online_scoring(sender, target: EventTarget, row_ids: list[str], **kwargs) -> list[ScoringJob]:
    """Queue one job per (rule, span) that a rule matches and samples; answers the jobs queued."""
    if target.kind != ObjectKind.PROJECT_LOGS or not row_ids:
        return []
    rules = [rule for rule in online_rules_of(target.project.pk) if rule.scorers]
    if not rules:
        return []
    spans = EventRow.objects.filter(**target.row_filter(), row_id__in=row_ids, is_deleted=False).values_list(
        "row_id", "is_root", "data__span_attributes__name"
    )
    jobs = [
        ScoringJob(rule_id=rule.score_id, kind=target.kind, object_id=target.object_id, row_id=row_id)
        for row_id, is_root, span_name in spans
        for rule in rules
        if rule.matches(is_root=is_root, span_name=span_name) and rule.sampled()
    ]
    jobs = ScoringJob.objects.bulk_create(jobs)
    dispatch(jobs)
    return jobs


def dispatch(jobs: list[ScoringJob]) -> None:
    """Hand the jobs to Celery when a broker is configured; the built-in worker finds them in the table.

    A job Celery never receives (the broker was down) stays pending in the table, where the built-in
    worker, if one runs, or a later ``run_scoring_worker --once`` still finds it.
    """
    if not jobs or not settings.CELERY_BROKER_URL:
        return
    from projects.tasks import score_job  # Celery is only needed when it is configured

    for job in jobs:
        try:
            score_job.delay(job.pk)
        except Exception:  # the job stays pending in the table
            logger.exception("Could not send scoring job %s to the broker", job.pk)
