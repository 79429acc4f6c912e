"""The embedded SQLite default serves the web server, the scoring worker and SDK clients writing at once.

Everything runs as ``make run`` runs it: separate processes on one real database file (an in-memory
database cannot show lock contention between processes). The database is migrated into a temporary file,
the live server (``runserver``) and the online-scoring worker start on it, and several client threads
create projects, insert logs that an online rule scores and create tags while the worker writes scores.
The test uses no pytest-django database: it touches the temporary file only through those processes.
"""

import itertools
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from django.db import connection

from tests.process_helpers import PROJECT, free_loopback_port, isolated_env, manage, stop, wait_until_serving

pytestmark = pytest.mark.long_running

CLIENT_THREADS = 5
ROUNDS_PER_THREAD = 10
ROWS_PER_INSERT = 2
REQUEST_TIMEOUT = 30  # longer than the database's busy timeout, so a lock wait shows as its error
STARTUP_TIMEOUT = 30
SCORING_TIMEOUT = 30
SCORER = "ExactMatch"


@pytest.fixture(autouse=True)
def sqlite_only():
    if connection.vendor != "sqlite":
        pytest.skip("proves the embedded SQLite default; this run uses another database")


@dataclass
class Site:
    """The running processes on one database file, and an API key of the organization's owner."""

    base_url: str
    api_key: str
    worker: subprocess.Popen
    logs: Path

    def session(self) -> requests.Session:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.api_key}"
        return session

    def log_tail(self) -> str:
        return "\n".join(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}" for path in sorted(self.logs.glob("*.log")))


def _start(env: dict, log: Path, *arguments: str) -> subprocess.Popen:
    with log.open("w") as output:
        return subprocess.Popen(  # noqa: S603 (a fixed command line)
            [sys.executable, "manage.py", *arguments], cwd=PROJECT, env=env, stdout=output, stderr=subprocess.STDOUT
        )


@pytest.fixture
def site(tmp_path) -> Iterator[Site]:
    """A migrated database file with one organization, and the live server and scoring worker on it."""
    env = isolated_env(tmp_path / "db.sqlite3")
    manage(env, "migrate", "--noinput", "-v0")
    api_key = manage(env, "bootstrap_org", "--org", "Writers", "--owner-email", "owner@example.com", "--api-key-name", "load").split()[-1]
    port = free_loopback_port()
    processes = []
    try:
        processes.append(_start(env, tmp_path / "worker.log", "run_scoring_worker", "--interval", "0.1"))
        processes.append(_start(env, tmp_path / "server.log", "runserver", "--noreload", "--skip-checks", f"127.0.0.1:{port}"))
        site = Site(base_url=f"http://127.0.0.1:{port}", api_key=api_key, worker=processes[0], logs=tmp_path)
        with site.session() as session:
            wait_until_serving(session, f"{site.base_url}/v1/project", processes[1], site.log_tail, STARTUP_TIMEOUT)
        yield site
    finally:
        for process in processes:
            stop(process)


def _error_summary(response: requests.Response) -> str:
    """The gist of a failed response: Django's debug page for a locked database is pages long."""
    text = response.text
    if "database is locked" in text:
        return "database is locked"
    return text[:300]


def _online_rule_project(site: Site) -> str:
    """A project whose every root span is scored online by the built-in exact-match scorer."""
    with site.session() as session:
        project = session.post(f"{site.base_url}/v1/project", json={"name": "scored"}, timeout=REQUEST_TIMEOUT)
        assert project.status_code == 200, _error_summary(project)
        project_id = project.json()["id"]
        rule = {
            "project_id": project_id,
            "name": "exact",
            "score_type": "online",
            "config": {"online": {"sampling_rate": 1, "scorers": [{"type": "global", "name": SCORER}]}},
        }
        response = session.post(f"{site.base_url}/v1/project_score", json=rule, timeout=REQUEST_TIMEOUT)
        assert response.status_code == 200, _error_summary(response)
    return project_id


def _client_writes(site: Site, project_id: str, thread: int) -> tuple[list[str], list[str]]:
    """One client's rounds of a new project, a log insert and a new tag; answers the row ids it inserted
    and a line for every request that did not succeed."""
    inserted, failures = [], []
    with site.session() as session:
        for round_ in range(ROUNDS_PER_THREAD):
            rows = [{"id": f"t{thread}-r{round_}-{n}", "input": "q", "output": "a", "expected": "a"} for n in range(ROWS_PER_INSERT)]
            calls = [
                ("/v1/project", {"name": f"project {thread}-{round_}"}),
                (f"/v1/project_logs/{project_id}/insert", {"events": rows}),
                ("/v1/project_tag", {"project_id": project_id, "name": f"tag {thread}-{round_}"}),
            ]
            for path, body in calls:
                try:
                    response = session.post(f"{site.base_url}{path}", json=body, timeout=REQUEST_TIMEOUT)
                except requests.RequestException as exc:
                    failures.append(f"POST {path}: {type(exc).__name__}: {exc}")
                    continue
                if not 200 <= response.status_code < 300:
                    failures.append(f"POST {path}: {response.status_code} {_error_summary(response)}")
                elif path.endswith("/insert"):
                    inserted.extend(row["id"] for row in rows)
    return inserted, failures


def _fetch_logs(site: Site, project_id: str) -> dict[str, dict]:
    rows, cursor = {}, None
    with site.session() as session:
        while True:
            body = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
            response = session.post(f"{site.base_url}/v1/project_logs/{project_id}/fetch", json=body, timeout=REQUEST_TIMEOUT)
            assert response.status_code == 200, _error_summary(response)
            page = response.json()
            rows.update((event["id"], event) for event in page["events"])
            cursor = page.get("cursor")
            if not cursor or not page["events"]:
                return rows


def _unscored(rows: dict[str, dict], row_ids: list[str]) -> list[str]:
    return [row_id for row_id in row_ids if (rows[row_id].get("scores") or {}).get(SCORER) is None]


def test_server_worker_and_clients_write_to_one_sqlite_file_at_once_without_a_locked_database(site):
    project_id = _online_rule_project(site)

    with ThreadPoolExecutor(max_workers=CLIENT_THREADS) as pool:
        results = list(pool.map(lambda thread: _client_writes(site, project_id, thread), range(CLIENT_THREADS)))
    inserted = list(itertools.chain.from_iterable(ids for ids, _ in results))
    failures = list(itertools.chain.from_iterable(lines for _, lines in results))
    assert not failures, f"{len(failures)} of {CLIENT_THREADS * ROUNDS_PER_THREAD * 3} requests failed:\n" + "\n".join(failures[:20])

    assert len(inserted) == CLIENT_THREADS * ROUNDS_PER_THREAD * ROWS_PER_INSERT
    deadline = time.monotonic() + SCORING_TIMEOUT
    while True:
        rows = _fetch_logs(site, project_id)
        missing = [row_id for row_id in inserted if row_id not in rows]
        assert not missing, f"{len(missing)} inserted rows are gone, e.g. {missing[:5]}"
        unscored = _unscored(rows, inserted)
        if not unscored:
            break
        assert site.worker.poll() is None, f"the scoring worker stopped:\n{site.log_tail()}"
        assert time.monotonic() < deadline, f"{len(unscored)} rows still unscored after {SCORING_TIMEOUT} s:\n{site.log_tail()}"
        time.sleep(0.5)
    assert all(rows[row_id]["scores"][SCORER] == 1 for row_id in inserted)
    assert site.worker.poll() is None, f"the scoring worker stopped:\n{site.log_tail()}"
