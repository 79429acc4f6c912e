"""Measure what access control costs the API: ``GET /v1/project`` and ``GET /v1/experiment`` under gunicorn,
with the engine's restriction and without it.

    python manage.py bench_api --projects 200 --experiments 2000 --rounds 10 --requests 400 --concurrency 4

It builds a throwaway organization, committed so that the server's workers see it and deleted at the end,
with two readers who each read every row, by two different routes, and an API key for each; with
``--grants N``, about N grant rows more, to other members and groups of the organization, so that the
readers' grants are a small part of the grant tables (:func:`benchmarks.access_world.add_background_grants`):

- the *organization-wide* reader is in a custom group holding read on all projects (``org_project``) and
  has a few direct grants of its own on projects and experiments: the list is the organization's rows;
- the *per-project* reader is in a custom group holding read on each project, one grant per project: the
  list is the rows found below those grants, the engine's costliest route to a full page.
 It starts gunicorn
with the production config (2 workers, DEBUG off, persistent database connections) on a free loopback
port, with :mod:`benchmarks.settings`, whose URLconf adds the unrestricted twins of the two list views
(:mod:`benchmarks.urls`): the same views, authentication, scoping and serializers, without the engine.

Before timing, it asserts that both variants answer the reader the same page (so the comparison is of
the same work), and that a member without grants gets an empty page from the real view but a full one
from its twin (so the real view does restrict and the twin does not). Then, for each endpoint, after a
warm-up, interleaved rounds of a fixed number of requests each, alternating which variant goes first, so
that drift on the machine affects both alike; it reports requests per second, latency percentiles and
the ratio with ÷ without (the median of the per-round ratios and the overall one).

The load comes from threads of this process on keep-alive connections (one per thread, the same ones for
both variants), so the client shares the machine with the server: its cost per request is the same for
both, which brings the ratio a little closer to 1 than the server's own costs alone would.
"""

import http.client
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from threading import local

from django.conf import settings
from django.contrib.auth.models import Group as AuthGroup
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from accounts.models import Organization, User
from accounts.services.credentials import api_key_create
from accounts.services.members import invitation_accept, member_invite
from accounts.services.organizations import organization_create
from benchmarks.access_world import add_background_grants
from benchmarks.database import analyze, vacuum
from benchmarks.urls import UNRESTRICTED_PREFIX
from permissions.engine import Node
from permissions.models import PermissionGroup
from permissions.services.grants import GrantSpec, acl_grant
from permissions.services.groups import group_create
from projects.models import Experiment, Project

GOAL = 0.8
STARTUP_TIMEOUT = 60
REQUEST_TIMEOUT = 30
ENDPOINTS = ("project", "experiment")


@dataclass(frozen=True)
class BenchWorld:
    org: Organization
    people: list[User]
    auth_group_ids: list[int]
    reader_keys: dict[str, str]  # each reader's raw API key, by how it reads
    stranger_key: str  # a member's without any grant
    direct_grants: int


@dataclass
class Variant:
    """One URL's measurements over every round."""

    label: str
    path: str
    round_seconds: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # seconds, every timed request

    def requests_per_second(self, round_number: int, requests: int) -> float:
        return requests / self.round_seconds[round_number]

    def line(self, requests: int) -> str:
        total = requests * len(self.round_seconds)
        cuts = statistics.quantiles(self.latencies, n=100)
        return (
            f"  {self.label:<24} {total / sum(self.round_seconds):>8,.0f} req/s   latency p50 {cuts[49] * 1000:.1f} ms, "
            f"p90 {cuts[89] * 1000:.1f} ms, p99 {cuts[98] * 1000:.1f} ms"
        )


def _free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Connections:
    """One keep-alive connection per client thread, reopened if the server closed it between requests."""

    def __init__(self, port: int, authorization: str) -> None:
        self.port = port
        self.headers = {"Authorization": authorization, "Host": "127.0.0.1", "Accept": "application/json"}
        self._local = local()
        self._opened: list[http.client.HTTPConnection] = []

    def _connection(self) -> http.client.HTTPConnection:
        if getattr(self._local, "connection", None) is None:
            self._local.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
            self._opened.append(self._local.connection)
        return self._local.connection

    def get(self, path: str, headers: dict | None = None) -> tuple[int, bytes]:
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request("GET", path, headers={**self.headers, **(headers or {})})
                response = conn.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, http.client.CannotSendRequest):
                conn.close()
                self._local.connection = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close_all(self) -> None:
        for conn in self._opened:
            conn.close()


class Command(BaseCommand):
    help = "Measure GET /v1/project and /v1/experiment under gunicorn with and without access control (cleans up after)."

    def add_arguments(self, parser):
        parser.add_argument("--projects", type=int, default=200, help="projects in the organization")
        parser.add_argument("--experiments", type=int, default=2000, help="experiments, spread over the projects")
        parser.add_argument("--direct-grants", type=int, default=10, help="direct grants of the reader on projects and on experiments")
        parser.add_argument("--grants", type=int, default=0, help="grant rows more, to other members and groups of the organization")
        parser.add_argument("--rounds", type=int, default=10, help="interleaved rounds per endpoint")
        parser.add_argument("--requests", type=int, default=400, help="requests to each variant per round")
        parser.add_argument("--concurrency", type=int, default=4, help="client threads, each with its keep-alive connection")
        parser.add_argument("--warmup", type=int, default=200, help="requests to each variant before the rounds, not counted")
        parser.add_argument("--limit", type=int, default=50, help="page size")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")

    def handle(self, *args, projects: int, experiments: int, direct_grants: int, grants: int, rounds: int, requests: int, **options):
        concurrency = options["concurrency"]
        if connection.vendor == "sqlite" and str(settings.DATABASES["default"]["NAME"]).startswith((":memory:", "file::memory:")):
            raise CommandError("The server's workers need a database they can open: an in-memory SQLite database is not one.")
        if min(projects, experiments, rounds, requests, concurrency) < 1 or requests < concurrency or grants < 0:
            raise CommandError(
                "--projects, --experiments, --rounds and --concurrency must be positive, --grants must not be negative,"
                " and --requests must be at least --concurrency."
            )
        if options["limit"] > min(projects, experiments):
            raise CommandError("--limit must not exceed --projects or --experiments: a page must be full.")
        started = time.perf_counter()
        vacuum()
        world = self._build_world(projects, experiments, direct_grants, grants)
        self.stdout.write(
            f"{connection.vendor}: organization of {projects} projects, {experiments} experiments and {grants:,} other grant rows;"
            " a reader through a group "
            f"grant on org_project with {world.direct_grants} direct grants, and one through a group grant on each project "
            f"(built in {time.perf_counter() - started:.1f} s)"
        )
        try:
            with tempfile.TemporaryDirectory(prefix="bench-api-") as folder:
                log = Path(folder) / "gunicorn.log"
                port = _free_loopback_port()
                server = self._start_server(port, options["workers"], log)
                try:
                    self._wait_until_serving(port, server, log)
                    self._measure(world, port, rounds, requests, concurrency, options["warmup"], options["limit"], options["workers"])
                finally:
                    self._stop(server)
        finally:
            self._delete_world(world)

    # The world

    def _build_world(self, projects: int, experiments: int, direct_grants: int, grants: int) -> BenchWorld:
        suffix = uuid.uuid4().hex[:8]
        owner = User.objects.create_user(email=f"bench-api-owner-{suffix}@example.com")
        org = organization_create(name=f"API benchmark {suffix}", owner=owner)
        people = [owner]
        try:
            reader, project_reader, stranger = (
                self._member(owner, org, f"bench-api-{who}-{suffix}@example.com", people)
                for who in ("reader", "project-reader", "stranger")
            )
            now = timezone.now()
            project_rows = Project.objects.bulk_create(
                [Project(org=org, name=f"project-{i:05d}", created_by=owner, created=now - timedelta(seconds=i)) for i in range(projects)]
            )
            experiment_rows = Experiment.objects.bulk_create(
                [
                    Experiment(
                        project=project_rows[i % projects],
                        name=f"experiment-{i:05d}",
                        created_by=owner,
                        created=now - timedelta(seconds=i),
                        metadata={"model": "bench", "index": i},
                        tags=["bench"],
                    )
                    for i in range(experiments)
                ]
            )
            if grants:
                rng = random.Random(7)  # a repeatable world, not a secret
                people += add_background_grants(org, project_rows, experiment_rows, grants, rng=rng, prefix=f"bench-api-member-{suffix}")
            readers = group_create(actor=owner, org=org, name="Benchmark readers", member_users=[reader.pk])
            acl_grant(actor=owner, spec=GrantSpec(object_type="org_project", object_id=org.pk, group_id=readers.pk, permission="read"))
            # Direct grants of the reader's own, spread over the rows: the engine reads them on every list.
            granted = 0
            for rows, permission in ((project_rows, "update"), (experiment_rows, "read")):
                step = max(1, len(rows) // max(1, direct_grants))
                for row in rows[::step][:direct_grants]:
                    node = Node.of(row)
                    acl_grant(
                        actor=owner, spec=GrantSpec(object_type=node.type, object_id=node.id, user_id=reader.pk, permission=permission)
                    )
                    granted += 1
            project_readers = group_create(actor=owner, org=org, name="Benchmark project readers", member_users=[project_reader.pk])
            for project in project_rows:
                spec = GrantSpec(object_type="project", object_id=project.pk, group_id=project_readers.pk, permission="read")
                acl_grant(actor=owner, spec=spec)
            reader_keys = {
                "organization-wide reader": api_key_create(actor=reader, org=org, name="bench-api")[1],
                "per-project reader": api_key_create(actor=project_reader, org=org, name="bench-api")[1],
            }
            _, stranger_key = api_key_create(actor=stranger, org=org, name="bench-api")
            analyze()  # planned against an empty table's statistics, a list of rows found from grants can loop
        except BaseException:
            self._delete_world(BenchWorld(org, people, self._auth_group_ids(org), {}, "", 0))
            raise
        return BenchWorld(org, people, self._auth_group_ids(org), reader_keys, stranger_key, granted)

    @staticmethod
    def _member(owner: User, org: Organization, email: str, people: list[User]) -> User:
        person = User.objects.create_user(email=email)
        people.append(person)
        invitation_accept(user=person, invitation=member_invite(actor=owner, org=org, email=email))
        return person

    @staticmethod
    def _auth_group_ids(org: Organization) -> list[int]:
        return list(PermissionGroup.objects.filter(org=org).values_list("auth_group_id", flat=True))

    @staticmethod
    def _delete_world(world: BenchWorld) -> None:
        # A permission group's auth group is the row its grants and members hang on; deleting it deletes the group.
        AuthGroup.objects.filter(pk__in=world.auth_group_ids).delete()
        Organization.objects.filter(pk=world.org.pk).delete()
        User.objects.filter(pk__in=[person.pk for person in world.people]).delete()

    # The server

    def _start_server(self, port: int, workers: int, log: Path) -> subprocess.Popen:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(48),  # production mode needs a real secret; this one lives as long as the server
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback: no TLS to redirect to
            "DATABASE_CONN_MAX_AGE": "60",  # connections persist, as in production
            "WEB_CONCURRENCY": str(workers),
            "BIND": f"127.0.0.1:{port}",
            "GUNICORN_MAX_REQUESTS": "0",  # no worker restarts: a cold worker would land in one variant's round
            "PYTHONUNBUFFERED": "1",
        }
        with log.open("w") as output:
            return subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "braintrust_site/gunicorn.conf.py", "braintrust_site.wsgi"],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def _wait_until_serving(self, port: int, server: subprocess.Popen, log: Path) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise CommandError(f"gunicorn stopped while starting:\n{log.read_text()[-3000:]}")
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                probe.request("GET", "/healthz")
                if probe.getresponse().status == 200:
                    probe.close()
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise CommandError(f"gunicorn did not answer /healthz within {STARTUP_TIMEOUT} s:\n{log.read_text()[-3000:]}")

    @staticmethod
    def _stop(server: subprocess.Popen) -> None:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)

    # The measurement

    def _measure(self, world: BenchWorld, port: int, rounds: int, requests: int, concurrency: int, warmup: int, limit: int, workers: int):
        readers = {label: Connections(port, f"Bearer {key}") for label, key in world.reader_keys.items()}
        stranger = Connections(port, f"Bearer {world.stranger_key}")
        threads = os.environ.get("GUNICORN_THREADS") or "4"
        self.stdout.write(
            f"gunicorn {workers} workers x {threads} threads on 127.0.0.1:{port}; {concurrency} client connections; "
            f"{rounds} rounds of {requests:,} requests to each variant per endpoint, alternating which goes first"
        )
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            try:
                for (label, reader), endpoint in ((reader, endpoint) for reader in readers.items() for endpoint in ENDPOINTS):
                    query = f"?limit={limit}"
                    restricted = Variant("with access control", f"/v1/{endpoint}{query}")
                    unrestricted = Variant("without access control", f"{UNRESTRICTED_PREFIX}{endpoint}{query}")
                    self._check_same_answers(reader, stranger, restricted.path, unrestricted.path, limit)
                    for variant in (restricted, unrestricted):
                        self._run(pool, reader, variant.path, warmup, concurrency)
                    for number in range(rounds):
                        pair = (restricted, unrestricted) if number % 2 == 0 else (unrestricted, restricted)
                        for variant in pair:
                            seconds, latencies = self._run(pool, reader, variant.path, requests, concurrency)
                            variant.round_seconds.append(seconds)
                            variant.latencies.extend(latencies)
                    self._report(endpoint, limit, label, restricted, unrestricted, requests)
            finally:
                for connections in (*readers.values(), stranger):
                    connections.close_all()

    def _check_same_answers(self, reader: Connections, stranger: Connections, restricted: str, unrestricted: str, limit: int) -> None:
        """Both variants answer the reader the same full page; a member without grants gets nothing from the real view only."""
        pages = {path: self._json(reader, path) for path in (restricted, unrestricted)}
        if pages[restricted] != pages[unrestricted]:
            raise CommandError(
                f"{restricted} and {unrestricted} answer the reader differently: the comparison would not be of the same work."
            )
        if len(pages[restricted]["objects"]) != limit:
            raise CommandError(f"{restricted} answers the reader {len(pages[restricted]['objects'])} objects, not a full page of {limit}.")
        if self._json(stranger, restricted)["objects"] or len(self._json(stranger, unrestricted)["objects"]) != limit:
            raise CommandError(f"{restricted} must restrict a member without grants to nothing, and {unrestricted} must not restrict.")

    @staticmethod
    def _json(connections: Connections, path: str) -> dict:
        status, body = connections.get(path)
        if status != 200:
            raise CommandError(f"GET {path} answered {status}: {body[:500]!r}")
        return json.loads(body)

    @staticmethod
    def _run(pool: ThreadPoolExecutor, connections: Connections, path: str, requests: int, concurrency: int) -> tuple[float, list[float]]:
        """`requests` GETs of `path` shared among the client threads: the wall time and each request's latency."""

        def one_thread(count: int) -> list[float]:
            latencies = []
            for _ in range(count):
                begun = time.perf_counter()
                status, body = connections.get(path)
                latencies.append(time.perf_counter() - begun)
                if status != 200:
                    raise CommandError(f"GET {path} answered {status}: {body[:500]!r}")
            return latencies

        shares = [requests // concurrency + (1 if i < requests % concurrency else 0) for i in range(concurrency)]
        started = time.perf_counter()
        results = list(pool.map(one_thread, shares))
        return time.perf_counter() - started, [latency for latencies in results for latency in latencies]

    def _report(self, endpoint: str, limit: int, reader: str, restricted: Variant, unrestricted: Variant, requests: int) -> None:
        rounds = len(restricted.round_seconds)
        ratios = [restricted.requests_per_second(n, requests) / unrestricted.requests_per_second(n, requests) for n in range(rounds)]
        median, overall = statistics.median(ratios), sum(unrestricted.round_seconds) / sum(restricted.round_seconds)
        verdict = "meets" if median >= GOAL else "misses"
        self.stdout.write(f"GET /v1/{endpoint}?limit={limit} as the {reader} (bearer API key):")
        self.stdout.write(restricted.line(requests))
        self.stdout.write(unrestricted.line(requests))
        self.stdout.write(
            f"  ==> with ÷ without access control: {median:.2f}x req/s, median of {rounds} rounds (range {min(ratios):.2f}-"
            f"{max(ratios):.2f}); {overall:.2f}x overall (goal: {GOAL:.1f}x or more on PostgreSQL, {verdict})"
        )
