"""Queueing online-scoring jobs from what the insert hands over: the same jobs as reading the spans back
after commit would give, for new rows, merges, replacements and deletions in one batch, in a fixed number
of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.events.targets import EventTarget
from projects.events.writes import WrittenSpan, insert_events, rows_written
from projects.models import EventRow, ProjectScore, ScoringJob
from projects.scoring import queue
from projects.scoring.rules import online_rules_of
from tests.factories_configuration import ProjectScoreFactory

pytestmark = pytest.mark.django_db


def online_rule(project, **online) -> ProjectScore:
    config = {"online": {"sampling_rate": 1, "scorers": [{"type": "global", "name": "ExactMatch"}], **online}}
    return ProjectScoreFactory(project=project, score_type=ProjectScore.ScoreType.ONLINE, config=config)


def announced(owner, logs, capture_on_commit) -> dict:
    """What ``rows_written`` carries when BATCH commits."""
    received = []

    def listener(sender, **kwargs):
        received.append(kwargs)

    rows_written.connect(listener)
    try:
        with capture_on_commit(execute=True):
            insert_events(actor=owner, target=logs, events=BATCH)
    finally:
        rows_written.disconnect(listener)
    [carried] = received
    return carried


def jobs_read_back(target: EventTarget, row_ids: list[str]) -> list[tuple]:
    """The jobs the spans call for as the rows stored after commit say (the rules sample every span)."""
    spans = EventRow.objects.filter(**target.row_filter(), row_id__in=row_ids, is_deleted=False).values_list(
        "row_id", "is_root", "data__span_attributes__name"
    )
    rules = online_rules_of(target.project.pk)
    return sorted(
        (str(rule.score_id), row_id)
        for row_id, is_root, span_name in spans
        for rule in rules
        if rule.matches(is_root=is_root, span_name=span_name)
    )


def jobs_queued(target: EventTarget) -> list[tuple]:
    jobs = ScoringJob.objects.filter(kind=target.kind, object_id=target.object_id).values_list("rule_id", "row_id")
    return sorted((str(rule_id), row_id) for rule_id, row_id in jobs)


# A trace stored before the batch: its root, a child, and a root the batch deletes.
EXISTING = [
    {"id": "old-root", "span_id": "old-root-span", "span_attributes": {"name": "request"}},
    {"id": "old-child", "_parent_id": "old-root", "span_attributes": {"name": "tool"}},
    {"id": "old-doomed", "span_attributes": {"name": "llm"}},
    {"id": "old-reborn", "span_attributes": {"name": "request"}},
]

BATCH = [
    {"id": "new-root", "span_attributes": {"name": "request"}},
    {"id": "new-llm", "_parent_id": "new-root", "span_attributes": {"name": "llm"}},
    {"id": "new-tool", "_parent_id": "new-root", "span_attributes": {"name": "tool"}},
    # A merge renames the stored child into a span the llm rule scores; it stays a child.
    {"id": "old-child", "_is_merge": True, "span_attributes": {"name": "llm"}},
    # A merge cannot move a stored root under a parent: it stays a root, and its new name counts.
    {"id": "old-root", "_is_merge": True, "span_parents": ["elsewhere"], "span_attributes": {"name": "renamed"}},
    # A new child renamed by a later merge in the same batch, out of every rule's reach.
    {"id": "new-renamed", "_parent_id": "new-root", "span_attributes": {"name": "llm"}},
    {"id": "new-renamed", "_is_merge": True, "span_attributes": {"name": "tool"}},
    # Deleted: a stored row, and a row inserted then deleted in the batch.
    {"id": "old-doomed", "_object_delete": True},
    {"id": "short-lived", "span_attributes": {"name": "llm"}},
    {"id": "short-lived", "_object_delete": True},
    # Deleted then written again in the batch: it is there after commit, so it is scored.
    {"id": "old-reborn", "_object_delete": True},
    {"id": "old-reborn", "_parent_id": "new-root", "span_attributes": {"name": "llm"}},
    # Replaced in the batch: the second event is the row.
    {"id": "replaced", "span_attributes": {"name": "tool"}},
    {"id": "replaced", "span_parents": ["old-root-span"], "root_span_id": "old-root-span", "span_attributes": {"name": "llm"}},
]


def test_queued_jobs_equal_those_computed_by_reading_the_rows_back_after_merges_and_deletes(
    project, owner, logs, django_capture_on_commit_callbacks
):
    insert_events(actor=owner, target=logs, events=EXISTING)
    roots = online_rule(project)
    llm = online_rule(project, apply_to_span_names=["llm"])
    renamed = online_rule(project, apply_to_root_span=False, apply_to_span_names=["renamed", "request"])
    row_ids = announced(owner, logs, django_capture_on_commit_callbacks)["row_ids"]
    assert jobs_queued(logs) == jobs_read_back(logs, row_ids)
    by_row = {}
    for rule_id, row_id in jobs_queued(logs):
        by_row.setdefault(row_id, set()).add(rule_id)
    assert by_row == {
        "new-root": {str(roots.pk), str(renamed.pk)},
        "new-llm": {str(llm.pk)},
        "old-child": {str(llm.pk)},
        "old-root": {str(roots.pk), str(renamed.pk)},
        "old-reborn": {str(llm.pk)},
        "replaced": {str(llm.pk)},
    }


def test_rows_written_hands_over_each_row_left_in_place_as_the_batch_left_it(owner, logs, django_capture_on_commit_callbacks):
    insert_events(actor=owner, target=logs, events=EXISTING)
    spans = announced(owner, logs, django_capture_on_commit_callbacks)["spans"]
    stored = EventRow.objects.filter(**logs.row_filter(), is_deleted=False, row_id__in=[span.row_id for span in spans])
    assert sorted(spans, key=lambda span: span.row_id) == sorted(
        (
            WrittenSpan(row_id, is_root, name)
            for row_id, is_root, name in stored.values_list("row_id", "is_root", "data__span_attributes__name")
        ),
        key=lambda span: span.row_id,
    )
    assert {span.row_id for span in spans} == {
        "new-root", "new-llm", "new-tool", "old-child", "old-root", "new-renamed", "old-reborn", "replaced"
    }  # fmt: skip


@pytest.mark.parametrize("count", [1, 500])
def test_queueing_after_commit_costs_two_queries_and_reads_no_row(project, owner, logs, django_capture_on_commit_callbacks, count):
    online_rule(project)
    online_rule(project, apply_to_span_names=["llm"])
    with django_capture_on_commit_callbacks() as callbacks:
        insert_events(actor=owner, target=logs, events=[{"id": f"r{i}", "span_attributes": {"name": "llm"}} for i in range(count)])
    with CaptureQueriesContext(connection) as queries:
        for callback in callbacks:
            callback()
    assert len(queries) == 2, [query["sql"] for query in queries]
    assert not any(EventRow._meta.db_table in query["sql"] for query in queries)
    assert ScoringJob.objects.count() == 2 * count


def test_jobs_written_in_one_statement_equal_jobs_made_by_bulk_create(project, logs):
    first, second = online_rule(project), online_rule(project)
    wanted = [(first.pk, "a"), (second.pk, "a"), (first.pk, 'b\'with "quotes"'), (second.pk, "ü" * 255)]
    job_ids = queue._insert_jobs(logs, wanted)
    made = ScoringJob.objects.bulk_create(
        ScoringJob(rule_id=rule_id, kind=logs.kind, object_id=logs.object_id, row_id=row_id) for rule_id, row_id in wanted
    )
    written = ScoringJob.objects.filter(pk__in=job_ids)
    assert len(job_ids) == len(set(job_ids)) == written.count() == len(wanted)

    def columns(job: ScoringJob) -> tuple:
        return tuple(getattr(job, field.attname) for field in ScoringJob._meta.concrete_fields if field.name not in ("id", "created"))

    assert sorted(map(columns, written)) == sorted(columns(job) for job in ScoringJob.objects.filter(pk__in=[job.pk for job in made]))
    slow_created = ScoringJob.objects.get(pk=made[0].pk).created
    assert all(abs(job.created - slow_created).total_seconds() < 60 for job in written)
