"""Braintrust's TypeScript SDK (npm ``braintrust``, pinned in tests/sdk/js/package.json), unchanged, against a live server.

``tests/sdk/js/smoke.mjs`` logs a traced function with a nested span to the project logs, one scored row to an
experiment (and summarizes it), a second run of that experiment compared with the first, and a dataset
record, told only BRAINTRUST_APP_URL and BRAINTRUST_API_KEY (with HOME and the working directory
in the test's own folder); its Node process may connect to loopback only (``tests/sdk/js/loopback_only.cjs``).
What it wrote is then read back through ``/v1/<kind>/{id}/fetch``.

Needs ``node`` (20 or later) and ``npm`` on PATH: skipped without them, and a failure under CI=true (the
policy tests/conftest.py applies to its markers). ``tests/sdk/js/node_modules`` is installed once, with
``npm ci`` from the lock file, only if it is missing.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from accounts.services.credentials import api_key_create
from projects.models import Experiment, Project
from tests.api_helpers import ApiClient
from tests.factories import OrganizationFactory, owner_of

pytestmark = [pytest.mark.long_running, pytest.mark.once_per_run, pytest.mark.node, pytest.mark.django_db(transaction=True)]

JS_DIR = Path(__file__).parent / "js"
PRELOAD = JS_DIR / "loopback_only.cjs"
SCRIPT = JS_DIR / "smoke.mjs"
PROJECT_NAME = "typescript-sdk-smoke"
MIN_NODE_MAJOR = 20
NPM_CI_TIMEOUT_SECONDS = 600
SCRIPT_TIMEOUT_SECONDS = 120


def _skip_or_fail(message: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)  # noqa: S603 (fixed command lines of this module)


@pytest.fixture(scope="module")
def node() -> str:
    """The path of a Node.js 20+ whose tests/sdk/js has its node_modules, installed from the lock file if missing."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        _skip_or_fail(f"needs Node.js {MIN_NODE_MAJOR}+ and npm on PATH to run Braintrust's TypeScript SDK")
    version = _run([node, "--version"], timeout=30).stdout.strip()
    match = re.fullmatch(r"v(\d+)\..*", version)
    if match is None or int(match.group(1)) < MIN_NODE_MAJOR:
        _skip_or_fail(f"needs Node.js {MIN_NODE_MAJOR} or later, not {version or 'an unknown version'}")
    if not (JS_DIR / "node_modules" / "braintrust" / "package.json").exists():
        installed = _run([npm, "ci", "--prefix", str(JS_DIR), "--no-audit", "--no-fund"], timeout=NPM_CI_TIMEOUT_SECONDS)
        assert installed.returncode == 0, f"npm ci failed:\n{installed.stdout}\n{installed.stderr}"
    return node


def run_smoke(node: str, live_server, tmp_path: Path, api_key: str) -> dict:
    """Runs smoke.mjs against the live server and returns the JSON it printed."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "BRAINTRUST_APP_URL": live_server.url,
        "BRAINTRUST_API_KEY": api_key,
    }
    result = _run([node, "--require", str(PRELOAD), str(SCRIPT), PROJECT_NAME], env=env, cwd=tmp_path, timeout=SCRIPT_TIMEOUT_SECONDS)
    assert result.returncode == 0, f"smoke.mjs exited {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    # Also where the preload reports every refused connection, even one the SDK swallowed.
    assert result.stderr == "", f"smoke.mjs printed on stderr:\n{result.stderr}"
    return json.loads(result.stdout)


def fetched(client: ApiClient, path: str) -> list[dict]:
    response = client.post(path, {"limit": 100})
    assert response.status_code == 200, response.content
    return response.json()["events"]


def test_the_loopback_preload_refuses_connections_beyond_loopback(node):
    """What the smoke run's "no internet" rests on: a non-loopback fetch fails before any packet leaves."""
    probe = "fetch('http://192.0.2.1/').then(() => process.exit(0), (e) => { console.log((e.cause ?? e).code); process.exit(3); })"
    result = _run([node, "--require", str(PRELOAD), "-e", probe], env={"PATH": os.environ["PATH"]}, timeout=SCRIPT_TIMEOUT_SECONDS)
    assert (result.returncode, result.stdout.strip()) == (3, "ELOOPBACKONLY"), result
    assert 'refused a connection to "192.0.2.1"' in result.stderr


def test_typescript_sdk_logs_a_trace_experiments_and_a_dataset_that_read_back_as_sent(node, live_server, tmp_path):
    org = OrganizationFactory()
    owner = owner_of(org)
    _, raw = api_key_create(actor=owner, org=org, name="typescript sdk")
    client = ApiClient(raw)

    printed = run_smoke(node, live_server, tmp_path, raw)

    project = Project.objects.get(org=org, name=PROJECT_NAME, deleted_at__isnull=True)
    assert printed["project_id"] == str(project.pk)

    # The project logs: one trace, the traced function's span with the wrapped call nested in it.
    parent_ids, child_ids = printed["logs"]["parent"], printed["logs"]["child"]
    events = {event["span_id"]: event for event in fetched(client, f"/v1/project_logs/{project.pk}/fetch")}
    assert set(events) == {parent_ids["span_id"], child_ids["span_id"]}
    parent, child = events[parent_ids["span_id"]], events[child_ids["span_id"]]

    # The SDK's ids are OpenTelemetry-shaped: a trace's root_span_id is its trace id, not its root span's span_id.
    assert parent["id"] == parent_ids["id"]
    assert parent["root_span_id"] == parent_ids["root_span_id"]
    assert parent["is_root"] is True
    assert not parent["span_parents"]
    assert parent["span_attributes"]["name"] == "solve"
    assert parent["input"] == {"a": 2, "b": 3}
    assert parent["output"] == {"sum": 5}
    assert parent["expected"] == {"sum": 5}
    assert parent["scores"] == {"exact": 1}
    assert parent["metadata"] == {"sdk": "typescript"}
    assert parent["metrics"]["end"] >= parent["metrics"]["start"]

    assert child["id"] == child_ids["id"]
    assert child["span_parents"] == [parent["span_id"]]
    assert child["root_span_id"] == parent["root_span_id"]
    assert child["is_root"] is False
    assert child["span_attributes"]["name"] == "add"
    assert child["input"] == [2, 3]
    assert child["output"]["sum"] == 5
    assert child["metadata"] == {"step": "add"}
    assert parent["metrics"]["start"] <= child["metrics"]["start"] <= child["metrics"]["end"] <= parent["metrics"]["end"]

    # The experiment: registered in the same project, its one row stored as logged.
    experiment = Experiment.objects.get(pk=printed["experiment"]["id"])
    assert experiment.project_id == project.pk
    assert printed["experiment"]["project_id"] == str(project.pk)
    assert experiment.name == printed["experiment"]["name"]
    rows = fetched(client, f"/v1/experiment/{experiment.pk}/fetch")
    assert len(rows) == 1
    row = rows[0]
    assert row["id"] == printed["experiment"]["row_id"]
    assert row["experiment_id"] == str(experiment.pk)
    assert row["is_root"] is True
    assert not row["span_parents"]
    assert row["input"] == {"question": "2 + 3"}
    assert row["output"] == "5"
    assert row["expected"] == "5"
    assert row["scores"] == {"exact": 1, "close": 0.5}
    assert row["metadata"] == {"sdk": "typescript"}

    # Its summary, and a second run under the same name: a new experiment, compared with the first.
    first, second = printed["summaries"]
    assert first["experiment_id"] == str(experiment.pk)
    assert first["comparison_experiment_name"] is None
    assert first["scores"]["exact"]["score"] == 1
    rerun = Experiment.objects.get(pk=second["experiment_id"])
    assert rerun.project_id == project.pk
    assert rerun.name == second["experiment_name"] != experiment.name
    assert second["comparison_experiment_name"] == experiment.name
    exact = second["scores"]["exact"]
    assert (exact["score"], exact["diff"], exact["improvements"], exact["regressions"]) == (0, -1, 0, 1)
    assert second["scores"]["close"]["diff"] == 0

    # The dataset record.
    records = fetched(client, f"/v1/dataset/{printed['dataset']['id']}/fetch")
    assert [(r["id"], r["input"], r["expected"], r["metadata"]) for r in records] == [
        (printed["dataset"]["record_id"], {"question": "2 + 3"}, "5", {"sdk": "typescript"})
    ]
