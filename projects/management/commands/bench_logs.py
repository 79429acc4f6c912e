"""Measure the logs data plane: rows inserted and fetched per second, without and with an online-scoring
rule, and how fast the built-in worker scores.

It writes for real (online scoring starts when an insert commits), into a throwaway organization that is
deleted at the end:

    python manage.py bench_logs --rows 20000 --batch 500
"""

import time
import uuid

from django.core.management.base import BaseCommand

from accounts.models import Organization, User
from accounts.services.organizations import organization_create
from projects.events.reads import fetch_events
from projects.events.targets import EventTarget
from projects.events.writes import insert_events
from projects.models import EventRow, EventVersion, Project, ProjectScore, ScoringJob
from projects.scoring.runner import run_pending


def _events(count: int, run: str) -> list[dict]:
    return [
        {
            "id": f"{run}-{index}",
            "input": {"question": f"What is {index} + {index}?"},
            "output": str(2 * index),
            "expected": str(2 * index),
            "metadata": {"model": "bench", "run": run},
            "tags": ["bench"],
            "metrics": {"start": 0, "end": 1, "tokens": 12},
        }
        for index in range(count)
    ]


class Command(BaseCommand):
    help = "Measure logs inserted and fetched per second, without and with an online-scoring rule (cleans up after)."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=20000, help="rows inserted in each phase")
        parser.add_argument("--batch", type=int, default=500, help="rows per insert request")
        parser.add_argument("--page", type=int, default=100, help="traces per fetched page")

    def handle(self, *args, rows: int, batch: int, page: int, **options):
        suffix = uuid.uuid4().hex[:8]
        owner = User.objects.create_user(email=f"bench-logs-{suffix}@example.com")
        org = organization_create(name=f"Logs benchmark {suffix}", owner=owner)
        try:
            project = Project.objects.create(org=org, name="bench", created_by=owner)
            logs = EventTarget.of(project)
            self._report("without online scoring", self._insert(owner, logs, rows, batch, "plain"), rows)
            self._report_fetch(owner, logs, page)
            ProjectScore.objects.create(
                project=project,
                name="exact",
                score_type="online",
                config={"online": {"sampling_rate": 1, "scorers": [{"type": "global", "name": "ExactMatch"}]}},
            )
            self._report("with an online-scoring rule (sampling 1, queued)", self._insert(owner, logs, rows, batch, "scored"), rows)
            started = time.perf_counter()
            scored = run_pending()
            elapsed = time.perf_counter() - started
            self.stdout.write(f"built-in worker: {scored} rows scored in {elapsed:.2f} s = {scored / elapsed:,.0f} rows/s")
        finally:
            EventRow.objects.filter(project__org=org).delete()
            EventVersion.objects.filter(kind="project_logs", object_id__in=Project.objects.filter(org=org).values("pk")).delete()
            ScoringJob.objects.filter(rule__project__org=org).delete()
            Organization.objects.filter(pk=org.pk).delete()
            owner.delete()

    def _insert(self, owner, logs: EventTarget, rows: int, batch: int, run: str) -> float:
        events = _events(rows, run)
        started = time.perf_counter()
        for start in range(0, rows, batch):
            insert_events(actor=owner, target=logs, events=events[start : start + batch])
        return time.perf_counter() - started

    def _report(self, label: str, elapsed: float, rows: int) -> None:
        self.stdout.write(f"insert {label}: {rows:,} rows in {elapsed:.2f} s = {rows / elapsed:,.0f} rows/s")

    def _report_fetch(self, owner, logs: EventTarget, page: int) -> None:
        started, fetched, cursor = time.perf_counter(), 0, None
        while True:
            result = fetch_events(actor=owner, target=logs, limit=page, cursor=cursor)
            fetched += len(result.events)
            if result.cursor is None:
                break
            cursor = result.cursor
        elapsed = time.perf_counter() - started
        self.stdout.write(f"fetch in pages of {page} traces: {fetched:,} rows in {elapsed:.2f} s = {fetched / elapsed:,.0f} rows/s")
