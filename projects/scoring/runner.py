"""Running online-scoring jobs: claim one, score its row with the rule's scorers, record the outcome.

A job is claimed by one conditional update (pending → running), so that however many workers run (the
built-in one, Celery's), each job runs once. A job whose worker died mid-run is handed back after
:data:`STALE_AFTER`, up to :data:`MAX_ATTEMPTS` times.
"""

import logging
from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from projects.events.targets import EventTarget
from projects.events.writes import apply_computed_scores
from projects.models import EventRow, Project, Prompt, ScoringJob
from projects.scoring.rules import OnlineRule
from projects.scoring.scorers import ScorerError, run_function, run_global

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=5)
MAX_ATTEMPTS = 3

Status = ScoringJob.Status


def claim(job_id: int) -> bool:
    claimed = ScoringJob.objects.filter(pk=job_id, status=Status.PENDING).update(
        status=Status.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1
    )
    return claimed == 1


def claim_next() -> int | None:
    """The id of the oldest pending job, now claimed by this worker; None when there is none."""
    while True:
        job_id = ScoringJob.objects.filter(status=Status.PENDING).order_by("id").values_list("pk", flat=True).first()
        if job_id is None:
            return None
        if claim(job_id):
            return job_id


def requeue_stale() -> int:
    """Hand back jobs whose worker stopped mid-run; give up on those tried too often."""
    stale = ScoringJob.objects.filter(status=Status.RUNNING, started_at__lt=timezone.now() - STALE_AFTER)
    failed = stale.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=Status.FAILED, finished_at=timezone.now(), error="The worker stopped while scoring, too many times."
    )
    return stale.filter(attempts__lt=MAX_ATTEMPTS).update(status=Status.PENDING) + failed


def _finish(job_id: int, status: str, error: str = "") -> None:
    ScoringJob.objects.filter(pk=job_id).update(status=status, error=error, finished_at=timezone.now())


def _scorer_functions(rule: OnlineRule, org_id) -> dict:
    ids = [ref.function_id for ref in rule.scorers if ref.type == "function"]
    if not ids:
        return {}
    functions = Prompt.objects.alive().filter(pk__in=ids, project__org_id=org_id, function_type=Prompt.FunctionType.SCORER)
    return {function.pk: function for function in functions}


def score_row(rule: OnlineRule, row: dict, org_id) -> tuple[dict[str, float | None], dict[str, str]]:
    """Every scorer of `rule` on `row`: the scores by scorer name, and the errors by scorer name."""
    functions = _scorer_functions(rule, org_id)
    scores, errors = {}, {}
    for ref in rule.scorers:
        if ref.type == "global":
            label = ref.name
            run = lambda ref=ref: run_global(ref.name, row)  # noqa: E731
        else:
            function = functions.get(ref.function_id)
            label = function.name if function is not None else str(ref.function_id)
            if function is None:
                errors[label] = "The scorer function no longer exists (or is no longer a scorer)."
                continue
            run = lambda function=function: run_function(function.function_data, function.name, row)  # noqa: E731
        try:
            scores[label] = run()
        except ScorerError as exc:
            errors[label] = str(exc)
    return scores, errors


def run_job(job_id: int) -> str | None:
    """Run one job if it is still pending; answers its final status (None if another worker had it)."""
    if not claim(job_id):
        return None
    return _run_claimed(job_id)


def _run_claimed(job_id: int) -> str:
    try:
        job = ScoringJob.objects.select_related("rule").get(pk=job_id)
        project = Project.objects.get(pk=job.rule.project_id)
        target = EventTarget(job.kind, job.object_id, project)
        row = EventRow.objects.filter(**target.row_filter(), row_id=job.row_id, is_deleted=False).values_list("data", flat=True).first()
        if row is None:
            _finish(job_id, Status.DONE, "The row was deleted before it was scored.")
            return Status.DONE
        scores, errors = score_row(OnlineRule.of(job.rule), row, project.org_id)
        apply_computed_scores(target=target, row_id=job.row_id, scores=scores, errors=errors)
        status = Status.FAILED if errors else Status.DONE
        _finish(job_id, status, "; ".join(f"{name}: {message}" for name, message in errors.items()))
        return status
    except Exception as exc:
        logger.exception("Scoring job %s failed", job_id)
        _finish(job_id, Status.FAILED, f"{type(exc).__name__}: {exc}")
        return Status.FAILED


def run_pending(*, limit: int | None = None) -> int:
    """Run pending jobs until none is left (or `limit` ran); answers how many ran."""
    ran = 0
    requeue_stale()
    while limit is None or ran < limit:
        job_id = claim_next()
        if job_id is None:
            break
        _run_claimed(job_id)
        ran += 1
    return ran
