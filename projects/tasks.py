"""Celery tasks of the projects app (used only when CELERY_BROKER_URL is set)."""

from celery import shared_task

from projects.scoring.runner import run_job


@shared_task(name="projects.score_job", ignore_result=True)
def score_job(job_id: int) -> str | None:
    """Run one online-scoring job (a no-op if another worker already ran it)."""
    return run_job(job_id)
