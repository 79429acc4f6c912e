"""Measure the logs data plane: rows inserted and fetched per second, without and with an online-scoring
rule, how fast the built-in worker scores, and how the SDK's ``POST /logs3`` compares with
``POST /v1/project_logs/{id}/insert`` through the whole HTTP stack.

It writes for real (online scoring starts when an insert commits), into a throwaway organization that is
deleted at the end:

    python manage.py bench_logs --rows 20000 --batch 500

The online-scoring figure is the one the team holds inserts to (0.90x or more on PostgreSQL): rows per
second into a project with a rule (sampling 1, jobs queued and not run) against a project without one,
one batch to each per round, alternating which goes first, as the median of the rounds and as the ratio
of the totals.

The HTTP comparison sends the same spans (traces as Braintrust's Python SDK logs them) to both endpoints
with a bearer API key, each into its own project without an online-scoring rule, one batch to each per
round and alternating which goes first, so that drift on the machine affects both alike.
"""

import gc
import json
import statistics
import time
import uuid
from datetime import UTC, datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test import Client

from accounts.models import Organization, User
from accounts.services.credentials import api_key_create
from accounts.services.organizations import organization_create
from benchmarks.database import vacuum
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


# A trace as the SDK logs it: a task span and the llm and tool spans it calls, flushed as one row each.
_TRACE_SPANS = (("task", "answer_question"), ("llm", "Chat Completion"), ("tool", "search_docs"), ("llm", "Chat Completion"))


def _sdk_spans(count: int) -> list[dict]:
    """`count` spans as Braintrust's Python SDK sends them, each with a new id, in traces of a few spans."""
    spans, now = [], time.time()
    for index in range(count):
        position = index % len(_TRACE_SPANS)
        span_type, name = _TRACE_SPANS[position]
        span_id = str(uuid.uuid4())
        if position == 0:
            root_span_id = span_id
        start = now + index * 0.01
        span = {
            "id": str(uuid.uuid4()),
            "span_id": span_id,
            "root_span_id": root_span_id,
            "span_parents": [root_span_id] if position else None,
            "created": datetime.fromtimestamp(start, UTC).isoformat(),
            "input": [{"role": "user", "content": f"How do I rotate API key {index}?"}],
            "output": [{"role": "assistant", "content": f"Open Settings, then API keys, and rotate key {index}."}],
            "metadata": {"model": "gpt-4o-mini", "temperature": 0, "user_id": f"user-{index % 97}"},
            "metrics": {"start": start, "end": start + 0.25},
            "context": {"caller_filename": "/app/support/agent.py", "caller_functionname": name, "caller_lineno": 40 + position},
            "span_attributes": {"name": name, "type": span_type, "exec_counter": index + 1},
        }
        if span_type == "llm":
            span["metrics"].update(prompt_tokens=42, completion_tokens=17, tokens=59)
        spans.append(span)
    return spans


def _allowed_host() -> str:
    """A host name the site answers (the test client's default, testserver, usually is not one)."""
    host = next((host for host in settings.ALLOWED_HOSTS if host != "*"), "localhost")
    return host.lstrip(".")


class Command(BaseCommand):
    help = "Measure logs inserted and fetched per second, without and with an online-scoring rule (cleans up after)."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=20000, help="rows inserted in each phase")
        parser.add_argument("--batch", type=int, default=500, help="rows per insert request")
        parser.add_argument("--page", type=int, default=100, help="traces per fetched page")

    def handle(self, *args, rows: int, batch: int, page: int, **options):
        vacuum()  # on tables of their own size, not bloated by earlier runs' deleted organizations
        suffix = uuid.uuid4().hex[:8]
        owner = User.objects.create_user(email=f"bench-logs-{suffix}@example.com")
        org = organization_create(name=f"Logs benchmark {suffix}", owner=owner)
        try:
            plain = Project.objects.create(org=org, name="bench", created_by=owner)
            scored = Project.objects.create(org=org, name="bench-scored", created_by=owner)
            ProjectScore.objects.create(
                project=scored,
                name="exact",
                score_type="online",
                config={"online": {"sampling_rate": 1, "scorers": [{"type": "global", "name": "ExactMatch"}]}},
            )
            self._compare_online_scoring(owner, EventTarget.of(plain), EventTarget.of(scored), rows, batch)
            self._report_fetch(owner, EventTarget.of(plain), page)
            started = time.perf_counter()
            jobs = run_pending()
            elapsed = time.perf_counter() - started
            self.stdout.write(f"built-in worker: {jobs} rows scored in {elapsed:.2f} s = {jobs / elapsed:,.0f} rows/s")
            self._compare_sdk_endpoints(owner, org, rows // 2, batch)
        finally:
            EventRow.objects.filter(project__org=org).delete()
            EventVersion.objects.filter(kind="project_logs", object_id__in=Project.objects.filter(org=org).values("pk")).delete()
            ScoringJob.objects.filter(rule__project__org=org).delete()
            Organization.objects.filter(pk=org.pk).delete()
            owner.delete()

    def _compare_online_scoring(self, owner, plain: EventTarget, scored: EventTarget, rows: int, batch: int) -> None:
        """Rows per second into a project without and one with an online-scoring rule (sampling 1, jobs queued
        and not run), one batch to each per round, alternating which goes first, so that drift on the machine
        (a growing table, a checkpoint, another process) affects both alike."""

        def insert(target: EventTarget, events: list[dict]) -> float:
            gc.collect()  # each insert pays only for the collections its own garbage causes
            started = time.perf_counter()
            insert_events(actor=owner, target=target, events=events)
            return time.perf_counter() - started

        for target in (plain, scored):
            insert(target, _events(1, f"warm-{target.object_id}"))  # warm-up, not counted
        plain_events, scored_events = _events(rows, "plain"), _events(rows, "scored")
        plain_times, scored_times = [], []
        for number, start in enumerate(range(0, rows, batch)):
            rounds = ((plain, plain_events, plain_times), (scored, scored_events, scored_times))
            for target, events, times in rounds if number % 2 == 0 else reversed(rounds):
                times.append(insert(target, events[start : start + batch]))
        plain_total, scored_total = sum(plain_times), sum(scored_times)
        self._report("without online scoring", plain_total, rows)
        self._report("with an online-scoring rule (sampling 1, queued)", scored_total, rows)
        median = statistics.median(without / with_rule for without, with_rule in zip(plain_times, scored_times, strict=True))
        self.stdout.write(
            f"==> log insert with an online-scoring rule vs without (jobs queued only): {median:.2f}x rows/s, median of "
            f"{len(plain_times)} rounds of {batch} alternating which goes first; {plain_total / scored_total:.2f}x "
            "total throughput (goal: 0.90x or more)"
        )

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

    def _compare_sdk_endpoints(self, owner, org, rows: int, batch: int) -> None:
        """Rows per second through ``POST /logs3`` and ``POST /v1/project_logs/{id}/insert``, same spans."""
        _, raw_key = api_key_create(actor=owner, org=org, name="bench")
        client = Client(headers={"Authorization": f"Bearer {raw_key}"}, HTTP_HOST=_allowed_host())
        logs3_project = Project.objects.create(org=org, name="bench-logs3", created_by=owner)
        v1_project = Project.objects.create(org=org, name="bench-v1-insert", created_by=owner)
        logs3_path, v1_path = "/logs3", f"/v1/project_logs/{v1_project.pk}/insert"

        def bodies(spans: list[dict]) -> tuple[bytes, bytes]:
            routed = [{**span, "project_id": str(logs3_project.pk), "log_id": "g"} for span in spans]
            return json.dumps({"rows": routed, "api_version": 2}).encode(), json.dumps({"events": spans}).encode()

        def post(path: str, body: bytes) -> float:
            # A full collection costs as much as a whole batch here and lands on whichever request is running:
            # start each from a clean heap, so that each pays only for the collections its own garbage causes.
            gc.collect()
            started = time.perf_counter()
            response = client.post(path, data=body, content_type="application/json")
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise CommandError(f"POST {path} answered {response.status_code}: {response.content[:500]!r}")
            return elapsed

        for path, body in zip((logs3_path, v1_path), bodies(_sdk_spans(len(_TRACE_SPANS))), strict=True):
            post(path, body)  # warm-up, not counted: first-request costs of each view
        spans = _sdk_spans(rows)
        rounds = [bodies(spans[start : start + batch]) for start in range(0, rows, batch)]
        del spans  # only the encoded bodies stay alive, so the heap is the server's own
        logs3_times, v1_times = [], []
        for number, (logs3_body, v1_body) in enumerate(rounds):
            if number % 2 == 0:
                logs3_times.append(post(logs3_path, logs3_body))
                v1_times.append(post(v1_path, v1_body))
            else:
                v1_times.append(post(v1_path, v1_body))
                logs3_times.append(post(logs3_path, logs3_body))
        logs3_total, v1_total = sum(logs3_times), sum(v1_times)
        self.stdout.write(
            f"SDK endpoints over HTTP (bearer API key, the same {rows:,} spans to each, "
            f"{len(rounds)} rounds of {batch} alternating which goes first):"
        )
        self.stdout.write(f"  POST /v1/project_logs/{{id}}/insert: {rows:,} rows in {v1_total:.2f} s = {rows / v1_total:,.0f} rows/s")
        self.stdout.write(f"  POST /logs3: {rows:,} rows in {logs3_total:.2f} s = {rows / logs3_total:,.0f} rows/s")
        median = statistics.median(v1 / logs3 for v1, logs3 in zip(v1_times, logs3_times, strict=True))
        ratio = v1_total / logs3_total
        self.stdout.write(f"  /logs3 vs /v1 insert: {ratio:.2f}x rows/s, median of the rounds {median:.2f}x (goal: 0.90x or more)")
