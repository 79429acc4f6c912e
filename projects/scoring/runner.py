"""Running online-scoring jobs: claim them, score their rows with the rules' scorers, record the outcome.

Jobs are claimed by one conditional update (pending → running, stamped with the worker's claim), so that
however many workers run (the built-in one, Celery's), each job runs once. The built-in worker claims a
batch at a time and writes all of a batch's scores on a target in one transaction, which is what makes
it fast on any database; a Celery task runs the one job it was sent. A job whose worker died mid-run is
handed back after :data:`STALE_AFTER`, up to :data:`MAX_ATTEMPTS` times.
"""

import logging
import uuid
from collections import defaultdict
from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from projects.events.targets import EventTarget
from projects.events.writes import ComputedScores, apply_computed_scores
from projects.models import EventRow, Project, Prompt, ScoringJob
from projects.scoring.rules import OnlineRule
from projects.scoring.scorers import ScorerError, run_function, run_global

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=5)
MAX_ATTEMPTS = 3
BATCH_SIZE = 200

Status = ScoringJob.Status


def _claim(jobs, token: uuid.UUID) -> int:
    return jobs.filter(status=Status.PENDING).update(
        status=Status.RUNNING, claim=token, started_at=timezone.now(), attempts=F("attempts") + 1
    )


def claim(job_id: int) -> uuid.UUID | None:
    """Claim one job; answers the claim, or None if another worker has it or it already ran."""
    token = uuid.uuid4()
    return token if _claim(ScoringJob.objects.filter(pk=job_id), token) == 1 else None


def claim_batch(size: int = BATCH_SIZE) -> uuid.UUID | None:
    """Claim up to `size` of the oldest pending jobs; answers the claim, or None when none was free."""
    token = uuid.uuid4()
    oldest = ScoringJob.objects.filter(status=Status.PENDING).order_by("id").values("pk")[:size]
    return token if _claim(ScoringJob.objects.filter(pk__in=oldest), token) else None


def requeue_stale() -> int:
    """Hand back jobs whose worker stopped mid-run; give up on those tried too often."""
    stale = ScoringJob.objects.filter(status=Status.RUNNING, started_at__lt=timezone.now() - STALE_AFTER)
    failed = stale.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=Status.FAILED, finished_at=timezone.now(), error="The worker stopped while scoring, too many times."
    )
    return stale.filter(attempts__lt=MAX_ATTEMPTS).update(status=Status.PENDING, claim=None) + failed


class _Scorers:
    """The scorer functions the batch's rules name, loaded once per organization."""

    def __init__(self) -> None:
        self._functions: dict[tuple, dict] = {}

    def functions(self, rule: OnlineRule, org_id) -> dict:
        ids = tuple(sorted(str(ref.function_id) for ref in rule.scorers if ref.type == "function"))
        if not ids:
            return {}
        key = (org_id, ids)
        if key not in self._functions:
            found = Prompt.objects.alive().filter(pk__in=ids, project__org_id=org_id, function_type=Prompt.FunctionType.SCORER)
            self._functions[key] = {function.pk: function for function in found}
        return self._functions[key]


def score_row(rule: OnlineRule, row: dict, functions: dict) -> ComputedScores:
    """Every scorer of `rule` on `row`, each score and each error under the scorer's name."""
    scores, errors = {}, {}
    for ref in rule.scorers:
        if ref.type == "global":
            label = ref.name
            try:
                scores[label] = run_global(ref.name, row)
            except ScorerError as exc:
                errors[label] = str(exc)
            continue
        function = functions.get(ref.function_id)
        if function is None:
            errors[str(ref.function_id)] = "The scorer function no longer exists (or is no longer a scorer)."
            continue
        try:
            scores[function.name] = run_function(function.function_data, function.name, row)
        except ScorerError as exc:
            errors[function.name] = str(exc)
    return ComputedScores(scores, errors)


def run_claimed(token: uuid.UUID) -> int:
    """Run every job of the claim `token`; answers how many ran."""
    jobs = list(ScoringJob.objects.filter(claim=token, status=Status.RUNNING).select_related("rule"))
    projects = Project.objects.in_bulk({job.rule.project_id for job in jobs})
    by_target: dict[tuple, list[ScoringJob]] = defaultdict(list)
    for job in jobs:
        by_target[(job.kind, job.object_id, job.rule.project_id)].append(job)
    scorers = _Scorers()
    for (kind, object_id, project_id), target_jobs in by_target.items():
        target = EventTarget(kind, object_id, projects[project_id])
        try:
            _run_target(target, target_jobs, scorers)
        except Exception as exc:
            logger.exception("Scoring jobs on %s %s failed", kind, object_id)
            _finish(target_jobs, Status.FAILED, f"{type(exc).__name__}: {exc}")
    return len(jobs)


def _run_target(target: EventTarget, jobs: list[ScoringJob], scorers: _Scorers) -> None:
    rows = dict(
        EventRow.objects.filter(**target.row_filter(), row_id__in={job.row_id for job in jobs}, is_deleted=False).values_list(
            "row_id", "data"
        )
    )
    results: dict[str, ComputedScores] = {}
    outcomes: dict[int, ComputedScores] = {}
    for job in jobs:
        if job.row_id not in rows:
            continue
        rule = OnlineRule.of(job.rule)
        outcome = score_row(rule, rows[job.row_id], scorers.functions(rule, target.org_id))
        outcomes[job.pk] = outcome
        merged = results.get(job.row_id)
        results[job.row_id] = (
            outcome if merged is None else ComputedScores({**merged.scores, **outcome.scores}, {**merged.errors, **outcome.errors})
        )
    applied = apply_computed_scores(target=target, results=results) if results else set()
    gone = [job for job in jobs if job.row_id not in applied]
    _finish(gone, Status.DONE, "The row was deleted before it was scored.")
    _finish([job for job in jobs if job.row_id in applied and not outcomes[job.pk].errors], Status.DONE)
    for job in jobs:
        if job.row_id in applied and outcomes[job.pk].errors:
            _finish([job], Status.FAILED, "; ".join(f"{name}: {message}" for name, message in outcomes[job.pk].errors.items()))


def _finish(jobs: list[ScoringJob], status: str, error: str = "") -> None:
    if jobs:
        ScoringJob.objects.filter(pk__in=[job.pk for job in jobs]).update(status=status, error=error, finished_at=timezone.now())


def run_job(job_id: int) -> str | None:
    """Run one job if it is still pending (Celery's task); answers its final status, None if another
    worker had it."""
    token = claim(job_id)
    if token is None:
        return None
    run_claimed(token)
    return ScoringJob.objects.filter(pk=job_id).values_list("status", flat=True).first()


def run_pending(*, limit: int | None = None) -> int:
    """Run pending jobs in batches until none is left (or about `limit` ran); answers how many ran."""
    ran = 0
    requeue_stale()
    while limit is None or ran < limit:
        token = claim_batch(BATCH_SIZE if limit is None else min(BATCH_SIZE, limit - ran))
        if token is None:
            break
        ran += run_claimed(token)
    return ran
