"""Online scoring end to end on the built-in worker: matching, sampling, scores on rows, errors kept, and
the insert never waiting for or failing because of a scorer."""

import io

import pytest
from django.core.management import call_command

from projects.events.reads import fetch_events
from projects.events.targets import EventTarget
from projects.events.writes import WrittenSpan, insert_events
from projects.models import ProjectScore, ScoringJob
from projects.scoring import queue
from projects.scoring.runner import STALE_AFTER, claim, claim_batch, requeue_stale, run_job, run_pending
from tests.factories import ExperimentFactory, PromptFactory

pytestmark = pytest.mark.django_db


def rule(project, *, name="quality", rate=1.0, scorers=None, **online):
    config = {"online": {"sampling_rate": rate, "scorers": scorers or [{"type": "global", "name": "ExactMatch"}], **online}}
    return ProjectScore.objects.create(project=project, name=name, score_type="online", config=config)


def insert(owner, target, events, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return insert_events(actor=owner, target=target, events=events)


def rows(owner, target):
    return {event["id"]: event for event in fetch_events(actor=owner, target=target).events}


def test_a_matching_span_is_scored_by_every_scorer_after_the_worker_runs(project, owner, logs, django_capture_on_commit_callbacks):
    scorers = [{"type": "global", "name": name} for name in ("ExactMatch", "Levenshtein", "JSONDiff")]
    rule(project, scorers=scorers)
    insert(owner, logs, [{"id": "r", "output": "hello", "expected": "hallo"}], django_capture_on_commit_callbacks)
    assert "ExactMatch" not in (rows(owner, logs)["r"]["scores"] or {})  # nothing ran inside the insert
    output = io.StringIO()
    call_command("run_scoring_worker", "--once", stdout=output)
    assert output.getvalue().strip() == "Ran 1 scoring job."
    scores = rows(owner, logs)["r"]["scores"]
    assert scores["ExactMatch"] == 0 and scores["Levenshtein"] == pytest.approx(0.8) and scores["JSONDiff"] == pytest.approx(0.8)
    assert ScoringJob.objects.get().status == ScoringJob.Status.DONE


def test_numeric_and_json_validity_scorers(project, owner, logs, django_capture_on_commit_callbacks):
    rule(project, scorers=[{"type": "global", "name": "NumericDiff"}, {"type": "global", "name": "ValidJSON"}])
    insert(owner, logs, [{"id": "n", "output": 10, "expected": 10}, {"id": "j", "output": '{"a": 1}'}], django_capture_on_commit_callbacks)
    run_pending()
    found = rows(owner, logs)
    assert found["n"]["scores"]["NumericDiff"] == 1
    assert found["j"]["scores"]["ValidJSON"] == 1


def test_a_failing_scorer_records_its_error_on_the_row_and_the_row_stays(project, owner, logs, django_capture_on_commit_callbacks):
    rule(project, scorers=[{"type": "global", "name": "NumericDiff"}, {"type": "global", "name": "ExactMatch"}])
    insert(owner, logs, [{"id": "r", "output": "ten", "expected": 10, "input": "q"}], django_capture_on_commit_callbacks)
    run_pending()
    row = rows(owner, logs)["r"]
    assert row["input"] == "q" and row["scores"]["ExactMatch"] == 0
    assert "NumericDiff failed" in row["metadata"]["scoring_errors"]["NumericDiff"]
    job = ScoringJob.objects.get()
    assert job.status == ScoringJob.Status.FAILED and "NumericDiff" in job.error


def test_root_spans_are_scored_by_default_and_named_spans_on_request(project, owner, logs, django_capture_on_commit_callbacks):
    rule(project, name="roots")
    rule(project, name="llm calls", apply_to_span_names=["llm"], scorers=[{"type": "global", "name": "Levenshtein"}])
    events = [
        {"id": "root", "output": "a", "expected": "a"},
        {"id": "llm", "_parent_id": "root", "span_attributes": {"name": "llm"}, "output": "a", "expected": "b"},
        {"id": "tool", "_parent_id": "root", "span_attributes": {"name": "tool"}, "output": "a", "expected": "a"},
    ]
    insert(owner, logs, events, django_capture_on_commit_callbacks)
    run_pending()
    found = rows(owner, logs)
    assert set(found["root"]["scores"]) == {"ExactMatch"}
    assert set(found["llm"]["scores"]) == {"Levenshtein"}
    assert found["tool"]["scores"] is None


def test_sampling_rate_zero_scores_nothing_and_one_scores_everything(project, owner, logs, django_capture_on_commit_callbacks):
    rule(project, name="never", rate=0)
    insert(owner, logs, [{"id": f"r{i}"} for i in range(20)], django_capture_on_commit_callbacks)
    assert not ScoringJob.objects.exists()
    rule(project, name="always", rate=1)
    insert(owner, logs, [{"id": f"s{i}"} for i in range(20)], django_capture_on_commit_callbacks)
    assert ScoringJob.objects.count() == 20


def test_a_partial_sampling_rate_scores_about_that_share(project, owner, logs, django_capture_on_commit_callbacks):
    rule(project, rate=0.5)
    insert(owner, logs, [{"id": f"r{i}"} for i in range(400)], django_capture_on_commit_callbacks)
    assert 120 < ScoringJob.objects.count() < 280  # a binomial(400, 0.5) lands here but for a 1e-15 chance


def test_experiments_and_datasets_are_not_scored_online(project, owner, django_capture_on_commit_callbacks):
    rule(project)
    insert(owner, EventTarget.of(ExperimentFactory(project=project)), [{"id": "e"}], django_capture_on_commit_callbacks)
    assert not ScoringJob.objects.exists()


def test_a_scorer_function_delegating_to_a_builtin_runs_and_other_functions_record_why_not(
    project, owner, logs, django_capture_on_commit_callbacks
):
    exact = PromptFactory(
        project=project, name="Strict equality", function_type="scorer", function_data={"type": "global", "name": "ExactMatch"}
    )
    llm = PromptFactory(project=project, name="Judge", function_type="scorer", function_data={"type": "prompt"})
    rule(project, scorers=[{"type": "function", "id": str(exact.pk)}, {"type": "function", "id": str(llm.pk)}])
    insert(owner, logs, [{"id": "r", "output": "x", "expected": "x"}], django_capture_on_commit_callbacks)
    run_pending()
    row = rows(owner, logs)["r"]
    assert row["scores"]["Strict equality"] == 1
    assert "not code or model calls" in row["metadata"]["scoring_errors"]["Judge"]


def test_a_job_runs_once_however_many_workers_ask(project, owner, logs, django_capture_on_commit_callbacks):
    rule(project)
    insert(owner, logs, [{"id": "r", "output": "x", "expected": "x"}], django_capture_on_commit_callbacks)
    job = ScoringJob.objects.get()
    assert run_job(job.pk) == ScoringJob.Status.DONE
    assert run_job(job.pk) is None
    assert claim(job.pk) is None


def test_a_job_whose_worker_died_is_handed_back_then_given_up(project, owner, logs, django_capture_on_commit_callbacks):
    rule(project)
    insert(owner, logs, [{"id": "r"}], django_capture_on_commit_callbacks)
    job = ScoringJob.objects.get()
    assert claim(job.pk) is not None
    ScoringJob.objects.filter(pk=job.pk).update(started_at=job.created - STALE_AFTER)
    assert requeue_stale() == 1
    job.refresh_from_db()
    assert job.status == ScoringJob.Status.PENDING
    ScoringJob.objects.filter(pk=job.pk).update(status=ScoringJob.Status.RUNNING, attempts=3, started_at=job.created - STALE_AFTER)
    requeue_stale()
    job.refresh_from_db()
    assert job.status == ScoringJob.Status.FAILED


def test_a_broken_queue_never_fails_the_insert(project, owner, logs, django_capture_on_commit_callbacks, monkeypatch):
    rule(project)

    def explode(*args, **kwargs):
        raise RuntimeError("queue down")

    monkeypatch.setattr(queue, "online_rules_of", explode)
    ids = insert(owner, logs, [{"id": "r", "input": 1}], django_capture_on_commit_callbacks)
    assert ids == ["r"] and rows(owner, logs)["r"]["input"] == 1


def test_queueing_costs_the_same_two_queries_for_one_span_and_for_many(project, logs, django_assert_num_queries):
    rule(project)
    many = tuple(WrittenSpan(row_id=f"m{i}", is_root=True, span_name=None) for i in range(500))
    with django_assert_num_queries(2):
        queue.enqueue_online_scoring(None, target=logs, row_ids=["a"], spans=(WrittenSpan(row_id="a", is_root=True, span_name=None),))
    with django_assert_num_queries(2):
        queue.enqueue_online_scoring(None, target=logs, row_ids=[span.row_id for span in many], spans=many)
    assert ScoringJob.objects.count() == 501


def test_batches_claimed_by_two_workers_never_share_a_job(project, owner, logs, django_capture_on_commit_callbacks):
    rule(project)
    insert(owner, logs, [{"id": f"r{i}"} for i in range(5)], django_capture_on_commit_callbacks)
    first, second = claim_batch(3), claim_batch(3)
    assert ScoringJob.objects.filter(claim=first).count() == 3
    assert ScoringJob.objects.filter(claim=second).count() == 2
    assert claim_batch(3) is None


def test_a_row_deleted_before_scoring_is_left_deleted(project, owner, logs, django_capture_on_commit_callbacks):
    rule(project)
    insert(owner, logs, [{"id": "r", "output": "x", "expected": "x"}], django_capture_on_commit_callbacks)
    insert_events(actor=owner, target=logs, events=[{"id": "r", "_object_delete": True}])
    assert run_pending() == 1
    assert fetch_events(actor=owner, target=logs).events == []
    assert ScoringJob.objects.get().error == "The row was deleted before it was scored."
