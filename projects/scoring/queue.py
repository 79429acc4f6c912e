"""Queueing online-scoring work when spans are inserted into a project's logs.

:func:`enqueue_online_scoring` listens to :data:`projects.events.writes.rows_written`, which is sent once
the insert has committed: the insert is already safe, and what happens here only decides which spans are
scored. The insert hands over each span as it left it (:class:`~projects.events.writes.WrittenSpan`), so
nothing is read back: queueing costs two queries whatever the batch (the rules, the jobs), and the scoring
itself runs elsewhere: on the built-in worker, which polls the job table, or on Celery when a broker is
configured.
"""

import json
import logging

from django.conf import settings
from django.db import connection

from projects.events.targets import EventTarget
from projects.events.writes import WrittenSpan
from projects.models import ObjectKind, ScoringJob
from projects.scoring.rules import online_rules_of

logger = logging.getLogger(__name__)


def enqueue_online_scoring(sender, target: EventTarget, spans: tuple[WrittenSpan, ...] = (), **kwargs) -> list[int]:
    """Queue one job per (rule, span) that a rule matches and samples; answers the ids of the jobs queued."""
    if target.kind != ObjectKind.PROJECT_LOGS or not spans:
        return []
    rules = [rule for rule in online_rules_of(target.project.pk) if rule.scorers]
    if not rules:
        return []
    wanted = [
        (rule.score_id, span.row_id)
        for span in spans
        for rule in rules
        if rule.matches(is_root=span.is_root, span_name=span.span_name) and rule.sampled()
    ]
    job_ids = _insert_jobs(target, wanted)
    dispatch(job_ids)
    return job_ids


def _insert_jobs(target: EventTarget, wanted: list[tuple[object, str]]) -> list[int]:
    """Write a pending job for each (rule id, row id) in one statement, whatever their number; answers their ids.

    ``bulk_create`` compiles a placeholder for every field of every job, which cost several times the
    insert it stands for (and splits a batch into several statements on SQLite). Here only the rule and
    the row differ from job to job: they travel as two arrays on PostgreSQL and as one JSON list on
    SQLite, which has no arrays. Every other column holds what a new ScoringJob holds for this target,
    and every value goes through its field's own preparation, as ``bulk_create`` does.
    """
    if not wanted:
        return []
    meta = ScoringJob._meta
    rule_field, row_field = meta.get_field("rule"), meta.get_field("row_id")
    template = ScoringJob(kind=target.kind, object_id=target.object_id)
    constants = [
        (field, field.get_db_prep_save(field.pre_save(template, add=True), connection))
        for field in meta.concrete_fields
        if field not in (meta.pk, rule_field, row_field)
    ]
    constants = [(field, value) for field, value in constants if value is not None]  # a column left out is NULL
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in (rule_field, row_field, *(field for field, _ in constants)))
    placeholders = ", ".join("%s" for _ in constants)
    prepared = {rule_id: rule_field.get_db_prep_save(rule_id, connection) for rule_id in {rule_id for rule_id, _ in wanted}}
    rule_ids = [prepared[rule_id] for rule_id, _ in wanted]
    row_ids = [row_field.get_db_prep_save(row_id, connection) for _, row_id in wanted]
    if connection.vendor == "postgresql":
        pairs = f"unnest(%s::{rule_field.db_type(connection)}[], %s::{row_field.db_type(connection)}[]) AS job(rule_id, row_id)"
        selected, pair_params = "job.rule_id, job.row_id", [rule_ids, row_ids]
    else:
        pairs = "json_each(%s) AS job"
        selected = "json_extract(job.value, '$[0]'), json_extract(job.value, '$[1]')"
        pair_params = [json.dumps([list(pair) for pair in zip(rule_ids, row_ids, strict=True)])]
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) "  # noqa: S608 (names from model metadata)
        f"SELECT {selected}, {placeholders} FROM {pairs} RETURNING {quote(meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*(value for _, value in constants), *pair_params])
        return [job_id for (job_id,) in cursor.fetchall()]


def dispatch(job_ids: list[int]) -> None:
    """Hand the jobs to Celery when a broker is configured; the built-in worker finds them in the table.

    A job Celery never receives (the broker was down) stays pending in the table, where the built-in
    worker, if one runs, or a later ``run_scoring_worker --once`` still finds it.
    """
    if not job_ids or not settings.CELERY_BROKER_URL:
        return
    from projects.tasks import score_job  # Celery is only needed when it is configured

    for job_id in job_ids:
        try:
            score_job.delay(job_id)
        except Exception:  # the job stays pending in the table
            logger.exception("Could not send scoring job %s to the broker", job_id)
