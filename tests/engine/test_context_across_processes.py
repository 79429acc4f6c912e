"""Principal contexts kept across requests never outlive a change: two server processes on one database.

Each process keeps the contexts it loaded (in its own memory, or in a Redis cache both share). A change
made through one process (a group membership taken away, given back, an organization membership
removed) must hold on the very next request to the other, which has the old context cached. The servers
are gunicorn processes on a database of their own (SQLite) or on the test's PostgreSQL database
(committed data, hence a transactional test).
"""

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from django.db import connection

from tests.process_helpers import PROJECT, free_loopback_port, isolated_env, manage, stop, wait_until_serving

pytestmark = pytest.mark.long_running

STARTUP_TIMEOUT = 30
REQUEST_TIMEOUT = 30
REDIS_URL = "redis://127.0.0.1:6379/10"

# Run inside the servers' database: an owner, a member who reads the project through a group, and
# their API keys, made with the project's own services.
WORLD = """
import json
from guardian.shortcuts import assign_perm
from accounts.services.credentials import api_key_create
from tests.factories import ExperimentFactory, OrganizationFactory, PermissionGroupFactory, ProjectFactory, add_member, owner_of
org = OrganizationFactory()
owner = owner_of(org)
group = PermissionGroupFactory(org=org, name="Readers")
member = add_member(org, None, group)
project = ProjectFactory(org=org)
assign_perm("read_project", group.auth_group, project)
experiment = ExperimentFactory(project=project)
print(json.dumps({
    "owner_key": api_key_create(actor=owner, org=org, name="owner")[1],
    "member_key": api_key_create(actor=member, org=org, name="member")[1],
    "member_id": str(member.pk), "group_id": str(group.pk), "project_id": str(project.pk),
    "experiment_id": str(experiment.pk),
}))
"""


@dataclass
class Pair:
    servers: list[str]
    world: dict
    logs: Path

    def log_tail(self) -> str:
        return "\n".join(f"--- {path.name}\n{path.read_text(errors='replace')[-2000:]}" for path in sorted(self.logs.glob("*.log")))

    def as_owner(self, server: int, method: str, path: str, body: dict) -> requests.Response:
        return self._send(self.world["owner_key"], server, method, path, body)

    def member_reads_project(self, server: int) -> int:
        return self._send(self.world["member_key"], server, "GET", f"/v1/project/{self.world['project_id']}", None).status_code

    def member_lists_experiments(self, server: int) -> list[str]:
        response = self._send(self.world["member_key"], server, "GET", "/v1/experiment", None)
        assert response.status_code == 200, response.text
        return [experiment["id"] for experiment in response.json()["objects"]]

    def _send(self, key: str, server: int, method: str, path: str, body: dict | None) -> requests.Response:
        headers = {"Authorization": f"Bearer {key}"}
        return requests.request(method, f"{self.servers[server]}{path}", json=body, headers=headers, timeout=REQUEST_TIMEOUT)


def _postgres_url() -> str:
    settings = connection.settings_dict
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    return f"postgres://{settings['USER']}{password}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"


def _servers(env: dict, logs: Path) -> Iterator[list[str]]:
    processes, servers = [], []
    try:
        for number in range(2):
            port = free_loopback_port()
            command = [sys.executable, "-m", "gunicorn", "-c", "braintrust_site/gunicorn.conf.py", "braintrust_site.wsgi"]
            with (logs / f"web{number}.log").open("w") as output:
                processes.append(
                    subprocess.Popen(  # noqa: S603 (a fixed command line)
                        command, cwd=PROJECT, env={**env, "BIND": f"127.0.0.1:{port}"}, stdout=output, stderr=subprocess.STDOUT
                    )
                )
            servers.append(f"http://127.0.0.1:{port}")
        for server, process in zip(servers, processes, strict=True):
            with requests.Session() as session:
                wait_until_serving(session, f"{server}/readyz", process, lambda: _tail(logs), STARTUP_TIMEOUT)
        yield servers
    finally:
        for process in processes:
            stop(process)


def _tail(logs: Path) -> str:
    return "\n".join(path.read_text(errors="replace")[-2000:] for path in sorted(logs.glob("*.log")))


def _pair(env: dict, tmp_path: Path) -> Iterator[Pair]:
    env = {**env, "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "2", "DATABASE_CONN_MAX_AGE": "60"}
    world = json.loads(manage(env, "shell", "-c", WORLD).strip().splitlines()[-1])
    for servers in _servers(env, tmp_path):
        yield Pair(servers, world, tmp_path)


@pytest.fixture
def sqlite_pair(tmp_path) -> Iterator[Pair]:
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite case runs with the SQLite suite")
    env = isolated_env(tmp_path / "site.sqlite3")
    manage(env, "migrate", "--noinput")
    yield from _pair(env, tmp_path)


@pytest.fixture(params=["local memory", "redis"])
def postgres_pair(request, tmp_path) -> Iterator[Pair]:
    env = isolated_env(tmp_path / "unused.sqlite3", DATABASE_URL=_postgres_url())
    if request.param == "redis":
        env["REDIS_URL"] = REDIS_URL
    yield from _pair(env, tmp_path)


def _revocations_hold_on_the_other_process(pair: Pair) -> None:
    world = pair.world
    assert [pair.member_reads_project(0), pair.member_reads_project(1)] == [200, 200], pair.log_tail()

    removed = pair.as_owner(1, "PATCH", f"/v1/group/{world['group_id']}", {"remove_member_users": [world["member_id"]]})
    assert removed.status_code == 200, removed.text
    assert pair.member_reads_project(0) == 404

    added = pair.as_owner(0, "PATCH", f"/v1/group/{world['group_id']}", {"add_member_users": [world["member_id"]]})
    assert added.status_code == 200, added.text
    assert pair.member_reads_project(1) == 200

    left = pair.as_owner(0, "PATCH", "/v1/organization/members", {"remove_users": {"ids": [world["member_id"]]}})
    assert left.status_code == 200, left.text
    assert pair.member_reads_project(1) in (401, 404)
    assert pair.member_reads_project(0) in (401, 404)


def _kept_granted_ids_follow_grants_changed_through_the_other_process(pair: Pair) -> None:
    """A list of experiments reads the ids granted on projects once, then keeps them across requests; a
    grant taken away or given back through the other process reaches its next list."""
    world = pair.world
    project_grant = {"object_type": "project", "object_id": world["project_id"], "group_id": world["group_id"], "permission": "read"}
    for _ in range(2):  # the second list takes the ids from the cache
        assert pair.member_lists_experiments(0) == [world["experiment_id"]], pair.log_tail()
    removed = pair.as_owner(1, "POST", "/v1/acl/batch_update", {"remove_acls": [project_grant]})
    assert removed.status_code == 200, removed.text
    assert pair.member_lists_experiments(0) == []
    added = pair.as_owner(1, "POST", "/v1/acl/batch_update", {"add_acls": [project_grant]})
    assert added.status_code == 200, added.text
    assert pair.member_lists_experiments(0) == [world["experiment_id"]]


def test_a_change_through_one_process_holds_on_the_next_request_to_the_other_on_sqlite(sqlite_pair):
    _kept_granted_ids_follow_grants_changed_through_the_other_process(sqlite_pair)
    _revocations_hold_on_the_other_process(sqlite_pair)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_change_through_one_process_holds_on_the_next_request_to_the_other_on_postgres(postgres_pair):
    _kept_granted_ids_follow_grants_changed_through_the_other_process(postgres_pair)
    _revocations_hold_on_the_other_process(postgres_pair)
