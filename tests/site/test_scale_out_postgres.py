"""Scale-out on PostgreSQL and Redis: two gunicorn processes and two scoring workers on one database.

Several clients insert logs through either server while another grants and revokes a member's read on
the project, also through either server. Nothing may fail, no row may be lost, every row is scored by
exactly one worker exactly once, and a revocation made through one server holds on the very next request
to the other. The processes share the test's own PostgreSQL database (committed data, hence a
transactional test) and a Redis cache.
"""

import itertools
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from django.db import connection

from accounts.services.credentials import api_key_create
from projects.models import ScoringJob
from tests.factories import OrganizationFactory, add_member, owner_of
from tests.process_helpers import PROJECT, free_loopback_port, stop, wait_until_serving

pytestmark = [pytest.mark.long_running, pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

INSERT_CLIENTS = 4
ROUNDS = 8
ROWS_PER_INSERT = 5
GRANT_CYCLES = 6
REQUEST_TIMEOUT = 30
STARTUP_TIMEOUT = 30
SCORING_TIMEOUT = 60
SCORER = "ExactMatch"
REDIS_URL = "redis://127.0.0.1:6379/9"


@dataclass
class Cluster:
    servers: list[str]
    workers: list[subprocess.Popen]
    logs: Path

    def log_tail(self) -> str:
        return "\n".join(f"--- {path.name}\n{path.read_text(errors='replace')[-2000:]}" for path in sorted(self.logs.glob("*.log")))


def _database_url() -> str:
    settings = connection.settings_dict
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    return f"postgres://{settings['USER']}{password}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"


def _start(env: dict, log: Path, command: list[str]) -> subprocess.Popen:
    with log.open("w") as output:
        return subprocess.Popen(command, cwd=PROJECT, env=env, stdout=output, stderr=subprocess.STDOUT)  # noqa: S603


@pytest.fixture
def cluster(tmp_path):
    env = {name: value for name, value in os.environ.items() if name not in {"DATABASE_URL", "CELERY_BROKER_URL", "LOG_FORMAT"}}
    env.update(DATABASE_URL=_database_url(), REDIS_URL=REDIS_URL, DJANGO_SETTINGS_MODULE="braintrust_site.settings", PYTHONUNBUFFERED="1")
    env.update(WEB_CONCURRENCY="2", GUNICORN_THREADS="4")
    processes, servers = [], []
    try:
        for number in range(2):
            port = free_loopback_port()
            gunicorn = [sys.executable, "-m", "gunicorn", "-c", "braintrust_site/gunicorn.conf.py", "braintrust_site.wsgi"]
            processes.append(_start({**env, "BIND": f"127.0.0.1:{port}"}, tmp_path / f"web{number}.log", gunicorn))
            servers.append(f"http://127.0.0.1:{port}")
        workers = [
            _start(env, tmp_path / f"worker{n}.log", [sys.executable, "manage.py", "run_scoring_worker", "--interval", "0.1"])
            for n in range(2)
        ]
        processes += workers
        site = Cluster(servers=servers, workers=workers, logs=tmp_path)
        for server, process in zip(servers, processes, strict=False):
            with requests.Session() as session:
                wait_until_serving(session, f"{server}/readyz", process, site.log_tail, STARTUP_TIMEOUT)
        yield site
    finally:
        for process in processes:
            stop(process)


def _session(key: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {key}"
    return session


def _inserts(cluster: Cluster, key: str, project_id: str, client: int) -> tuple[list[str], list[str]]:
    inserted, failures = [], []
    with _session(key) as session:
        for round_ in range(ROUNDS):
            server = cluster.servers[(client + round_) % 2]
            rows = [{"id": f"c{client}-r{round_}-{n}", "input": "q", "output": "a", "expected": "a"} for n in range(ROWS_PER_INSERT)]
            try:
                response = session.post(f"{server}/v1/project_logs/{project_id}/insert", json={"events": rows}, timeout=REQUEST_TIMEOUT)
            except requests.RequestException as exc:
                failures.append(f"insert: {type(exc).__name__}: {exc}")
                continue
            if response.status_code != 200:
                failures.append(f"insert: {response.status_code} {response.text[:200]}")
            else:
                inserted += [row["id"] for row in rows]
    return inserted, failures


def _grant_cycles(cluster: Cluster, owner_key: str, reader_key: str, reader_id: str, project_id: str) -> list[str]:
    """Grant read, see it on both servers; revoke through one, and the other refuses the next request."""
    problems = []
    with _session(owner_key) as owner, _session(reader_key) as reader:
        for cycle in range(GRANT_CYCLES):
            granting, other = cluster.servers[cycle % 2], cluster.servers[(cycle + 1) % 2]
            grant = {"object_type": "project", "object_id": project_id, "user_id": reader_id, "permission": "read"}
            made = owner.post(f"{granting}/v1/acl", json=grant, timeout=REQUEST_TIMEOUT)
            if made.status_code != 200:
                problems.append(f"grant: {made.status_code} {made.text[:200]}")
                continue
            for server in cluster.servers:
                seen = reader.get(f"{server}/v1/project/{project_id}", timeout=REQUEST_TIMEOUT).status_code
                if seen != 200:
                    problems.append(f"cycle {cycle}: granted, but {server} answered {seen}")
            revoked = owner.delete(f"{granting}/v1/acl/{made.json()['id']}", timeout=REQUEST_TIMEOUT)
            if revoked.status_code != 200:
                problems.append(f"revoke: {revoked.status_code} {revoked.text[:200]}")
                continue
            after = reader.get(f"{other}/v1/project/{project_id}", timeout=REQUEST_TIMEOUT).status_code
            if after != 404:
                problems.append(f"cycle {cycle}: revoked through {granting}, but {other} answered {after}")
    return problems


def _fetch_all(server: str, key: str, project_id: str) -> dict[str, dict]:
    rows, cursor = {}, None
    with _session(key) as session:
        while True:
            body = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
            page = session.post(f"{server}/v1/project_logs/{project_id}/fetch", json=body, timeout=REQUEST_TIMEOUT).json()
            rows.update((event["id"], event) for event in page["events"])
            cursor = page.get("cursor")
            if not cursor or not page["events"]:
                return rows


def test_two_servers_and_two_workers_lose_nothing_score_once_and_honour_revocations_at_once(cluster):
    org = OrganizationFactory()
    owner = owner_of(org)
    reader = add_member(org)
    _, owner_key = api_key_create(actor=owner, org=org, name="owner")
    _, reader_key = api_key_create(actor=reader, org=org, name="reader")
    with _session(owner_key) as session:
        project_id = session.post(f"{cluster.servers[0]}/v1/project", json={"name": "scaled"}, timeout=REQUEST_TIMEOUT).json()["id"]
        rule = {
            "project_id": project_id,
            "name": "exact",
            "score_type": "online",
            "config": {"online": {"sampling_rate": 1, "scorers": [{"type": "global", "name": SCORER}]}},
        }
        assert session.post(f"{cluster.servers[1]}/v1/project_score", json=rule, timeout=REQUEST_TIMEOUT).status_code == 200

    with ThreadPoolExecutor(max_workers=INSERT_CLIENTS + 1) as pool:
        grants = pool.submit(_grant_cycles, cluster, owner_key, reader_key, str(reader.pk), project_id)
        results = list(pool.map(lambda client: _inserts(cluster, owner_key, project_id, client), range(INSERT_CLIENTS)))
    inserted = list(itertools.chain.from_iterable(ids for ids, _ in results))
    failures = list(itertools.chain.from_iterable(lines for _, lines in results)) + grants.result()
    assert not failures, "\n".join(failures[:20]) + "\n" + cluster.log_tail()
    assert len(inserted) == INSERT_CLIENTS * ROUNDS * ROWS_PER_INSERT

    deadline = time.monotonic() + SCORING_TIMEOUT
    while True:
        rows = _fetch_all(cluster.servers[0], owner_key, project_id)
        assert not [row_id for row_id in inserted if row_id not in rows], "inserted rows are missing"
        unscored = [row_id for row_id in inserted if (rows[row_id].get("scores") or {}).get(SCORER) is None]
        if not unscored:
            break
        assert all(worker.poll() is None for worker in cluster.workers), cluster.log_tail()
        assert time.monotonic() < deadline, f"{len(unscored)} rows unscored after {SCORING_TIMEOUT} s\n{cluster.log_tail()}"
        time.sleep(0.5)
    assert all(rows[row_id]["scores"][SCORER] == 1 for row_id in inserted)

    jobs = ScoringJob.objects.filter(object_id=project_id)
    assert sorted(jobs.values_list("row_id", flat=True)) == sorted(inserted)  # one job per row
    assert set(jobs.values_list("status", "attempts").distinct()) == {(ScoringJob.Status.DONE, 1)}
