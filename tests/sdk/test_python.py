"""Braintrust's own Python SDK (``braintrust``, pinned in requirements) driving this server end to end.

Each flow runs in a fresh Python subprocess whose environment names the server only through
``BRAINTRUST_APP_URL`` and ``BRAINTRUST_API_KEY`` (with HOME and the working directory in the test's own
folder, so that the SDK's prompt cache and its ``.env.braintrust`` lookup stay there), so every flow starts
with fresh SDK state and proves that a team's unchanged code works against this server with those two
variables alone. A guard prepended to every script refuses any connection that does not go to a loopback
address, so nothing the SDK does can reach the internet unnoticed.

The SDK flushes synchronously (``BRAINTRUST_SYNC_FLUSH``): its background thread then never sends on its
own, every ``flush()`` sends everything before it returns, and a refused request raises in the script
instead of being printed and dropped. Rows are read back through ``/v1/<kind>/{id}/fetch`` (the SDK's
own readers use BTQL, which this server does not serve) or from the database.
"""

import contextlib
import hashlib
import inspect
import json
import os
import subprocess
import sys
import textwrap
import threading
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from django.db import connection

from accounts.services.credentials import api_key_create, api_key_delete, service_account_create, service_token_create
from projects.models import Dataset, EventFeedback, EventRow, Experiment, OverflowUpload
from projects.services.prompts import prompt_update
from tests.factories import owner_of
from tests.factories_prompts import GREETER, PromptFactory

pytestmark = [pytest.mark.long_running, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("overflow_dir")]

SCRIPT_TIMEOUT_SECONDS = 90

# Refuses, inside the SDK's process, every connection to an address outside 127.0.0.0/8 and ::1.
NETWORK_GUARD = """
import ipaddress as _ipaddress
import socket as _socket


def _refuse_unless_loopback(host):
    try:
        loopback = _ipaddress.ip_address(str(host).split("%", 1)[0]).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ConnectionRefusedError(f"network guard: refused a connection to {host!r}, which is not a loopback address")


def _guard_socket_address(sock, address):
    if sock.family in (_socket.AF_INET, _socket.AF_INET6):
        _refuse_unless_loopback(address[0])


_real_connect, _real_connect_ex = _socket.socket.connect, _socket.socket.connect_ex
_real_getaddrinfo, _real_create_connection = _socket.getaddrinfo, _socket.create_connection


def _connect(self, address):
    _guard_socket_address(self, address)
    return _real_connect(self, address)


def _connect_ex(self, address):
    _guard_socket_address(self, address)
    return _real_connect_ex(self, address)


def _getaddrinfo(host, *args, **kwargs):
    answers = _real_getaddrinfo(host, *args, **kwargs)
    for *_, sockaddr in answers:
        _refuse_unless_loopback(sockaddr[0])
    return answers


def _create_connection(address, *args, **kwargs):
    for *_, sockaddr in _getaddrinfo(address[0], address[1], 0, _socket.SOCK_STREAM):
        _refuse_unless_loopback(sockaddr[0])
    return _real_create_connection(address, *args, **kwargs)


_socket.socket.connect, _socket.socket.connect_ex = _connect, _connect_ex
_socket.getaddrinfo, _socket.create_connection = _getaddrinfo, _create_connection
"""

SDK_FAILURES = ("Dropping batch", "log request failed", "Traceback", "network guard")


@dataclass
class Flow:
    """What one SDK subprocess did: its exit code, what it printed, and the JSON it printed last."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def result(self):
        return json.loads(self.stdout.strip().splitlines()[-1])

    def assert_clean(self) -> None:
        assert self.returncode == 0, self.stderr
        for failure in SDK_FAILURES:
            assert failure not in self.stderr, self.stderr


def run_sdk(live_server, tmp_path: Path, api_key: str, script: str, *, helpers=(), **settings: str) -> Flow:
    """Run `script` (after the network guard and the source of the `helpers` functions) in a new Python
    process that knows the server only by its URL and this credential, with HOME and the working directory
    in the test's folder; `settings` are further BRAINTRUST_* variables."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "BRAINTRUST_APP_URL": live_server.url,
        "BRAINTRUST_API_KEY": api_key,
        "BRAINTRUST_SYNC_FLUSH": "true",
        **settings,
    }
    completed = subprocess.run(  # noqa: S603 (a fixed command line: this interpreter and a script of this module)
        [sys.executable, "-c", "\n".join([NETWORK_GUARD, *map(inspect.getsource, helpers), textwrap.dedent(script)])],
        env=env,
        cwd=home,
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT_SECONDS,
    )
    return Flow(completed.returncode, completed.stdout, completed.stderr)


def fetch_rows(live_server, api_key: str, kind: str, object_id) -> dict[str, dict]:
    """Every row of an experiment, dataset or project's logs through ``POST /v1/<kind>/{id}/fetch``, by id."""
    response = httpx.post(
        f"{live_server.url}/v1/{kind}/{object_id}/fetch",
        json={"limit": 1000},
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body.get("cursor") is None
    return {row["id"]: row for row in body["events"]}


def stored_rows(kind: str, object_id) -> dict[str, dict]:
    """The live rows of an object as the database keeps them, by id."""
    return {row.row_id: row.data for row in EventRow.objects.filter(kind=kind, object_id=object_id, is_deleted=False)}


@pytest.fixture(autouse=True)
def served(live_server, monkeypatch) -> list[tuple[str, str, int]]:
    """Every request the live server answers during the test, as (method, path, status).

    On SQLite the tests' database is in memory, and the live server's request threads all share its one
    connection, which cannot run two transactions at once ("database table is locked"). The SDK sends the
    batches of one flush in parallel, so on SQLite the live server answers one request at a time, as a
    file database (the deployed one) makes concurrent writers wait for its write lock. On PostgreSQL the
    requests run concurrently."""
    server = live_server.thread.httpd
    application, requests = server.get_app(), []
    lock = threading.Lock() if connection.vendor == "sqlite" else contextlib.nullcontext()

    def recorded(environ, start_response):
        def start(status, headers, *args):
            requests.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], int(status.split()[0])))
            return start_response(status, headers, *args)

        with lock:
            return application(environ, start)

    monkeypatch.setattr(server, "application", recorded)
    return requests


# 1. Login


def login_script() -> str:
    return """
    import json
    import braintrust
    from braintrust.logger import _state

    braintrust.login()
    print(json.dumps({"org_id": _state.org_id, "org_name": _state.org_name, "api_url": _state.api_url, "logged_in": _state.logged_in}))
    """


def test_login_with_an_api_key_or_a_service_token_finds_the_org_and_this_server_as_its_api(live_server, tmp_path, org, owner_key):
    robot = service_account_create(actor=owner_of(org), org=org, name="ci robot")
    _, token = service_token_create(actor=owner_of(org), org=org, account_id=robot.pk, name="ci")
    assert owner_key.startswith("sk-") and token.startswith("bt-st-")

    for credential in (owner_key, token):
        flow = run_sdk(live_server, tmp_path, credential, login_script())
        flow.assert_clean()
        assert flow.result == {"org_id": str(org.pk), "org_name": org.name, "api_url": live_server.url, "logged_in": True}


def test_login_with_a_revoked_api_key_fails_with_the_sdks_invalid_api_key_error(live_server, tmp_path, org):
    key, raw = api_key_create(actor=owner_of(org), org=org, name="revoked")
    api_key_delete(actor=owner_of(org), key_id=key.pk)

    flow = run_sdk(live_server, tmp_path, raw, login_script())
    assert flow.returncode != 0
    assert "ValueError: Invalid API key" in flow.stderr
    assert "[401]" in flow.stderr
    assert raw not in flow.stderr  # the SDK masks the key it reports
    direct = httpx.post(f"{live_server.url}/api/apikey/login", headers={"Authorization": f"Bearer {raw}"})
    assert direct.status_code == 401


# 2. Project logs: a trace of nested spans


def traced_logs_script(project_name: str) -> str:
    return f"""
    import json
    import braintrust

    logger = braintrust.init_logger(project={project_name!r})


    @braintrust.traced
    def answer(question):
        braintrust.current_span().log(metadata={{"model": "tiny"}}, metrics={{"tokens": 3}})
        return question.upper()


    with logger.start_span(name="request", input={{"question": "hi"}}) as root:
        with root.start_span(name="retrieve", input="hi") as retrieve:
            retrieve.log(output=["doc1", "doc2"])
        output = answer("hi")
        root.log(output=output, metadata={{"user": "u1"}}, scores={{"helpful": 1}})
    logger.flush()
    spans = {{"root": [root.id, root.span_id, root.root_span_id], "retrieve": [retrieve.id, retrieve.span_id]}}
    print(json.dumps({{"project_id": logger.id, **spans}}))
    """


def test_init_logger_writes_a_trace_of_nested_spans_to_the_projects_logs(live_server, tmp_path, org, owner_key, project):
    flow = run_sdk(live_server, tmp_path, owner_key, traced_logs_script(project.name))
    flow.assert_clean()
    ids = flow.result
    assert ids["project_id"] == str(project.pk)
    root_id, root_span, trace = ids["root"]
    retrieve_id, retrieve_span = ids["retrieve"]

    rows = fetch_rows(live_server, owner_key, "project_logs", project.pk)
    assert len(rows) == 3
    root, retrieve = rows[root_id], rows[retrieve_id]
    (answer,) = [row for row in rows.values() if row["id"] not in (root_id, retrieve_id)]
    assert {row["root_span_id"] for row in rows.values()} == {trace}
    assert (root["span_id"], root["is_root"], root["span_parents"]) == (root_span, True, None)
    assert (retrieve["span_id"], retrieve["is_root"], retrieve["span_parents"]) == (retrieve_span, False, [root_span])
    assert (answer["is_root"], answer["span_parents"]) == (False, [root_span])
    assert [row["span_attributes"]["name"] for row in (root, retrieve, answer)] == ["request", "retrieve", "answer"]

    assert (root["input"], root["output"], root["metadata"], root["scores"]) == ({"question": "hi"}, "HI", {"user": "u1"}, {"helpful": 1})
    assert (retrieve["input"], retrieve["output"]) == ("hi", ["doc1", "doc2"])
    assert (answer["input"], answer["output"], answer["metadata"]) == ({"question": "hi"}, "HI", {"model": "tiny"})
    assert answer["metrics"]["tokens"] == 3
    for row in rows.values():
        assert row["metrics"]["start"] <= row["metrics"]["end"]
        assert (row["project_id"], row["log_id"], row["org_id"]) == (str(project.pk), "g", str(org.pk))


# 3. Experiments, their summaries and comparisons


def experiments_script(project_name: str) -> str:
    return f"""
    import json
    import braintrust


    def run(name, accuracy):
        experiment = braintrust.init(project={project_name!r}, experiment=name)
        for index, score in enumerate(accuracy):
            experiment.log(input=f"q{{index}}", output=f"a{{index}}", expected=f"a{{index}}", scores={{"accuracy": score}})
        summary = experiment.summarize()
        base = experiment.fetch_base_experiment()
        return {{
            "id": experiment.id,
            "name": summary.experiment_name,
            "project_id": summary.project_id,
            "compared_with": summary.comparison_experiment_name,
            "scores": {{name: [s.score, s.diff, s.improvements, s.regressions] for name, s in summary.scores.items()}},
            "base": [base.id, base.name] if base else None,
        }}


    print(json.dumps([run("baseline", [0.5, 1, 0, 0.5]), run("candidate", [1, 1, 0, 0.25])]))
    """


def test_experiments_are_logged_summarized_and_compared_with_the_previous_one(live_server, tmp_path, org, owner_key, project, served):
    flow = run_sdk(live_server, tmp_path, owner_key, experiments_script(project.name))
    flow.assert_clean()
    baseline, candidate = flow.result
    for experiment, base_status in ((baseline, 400), (candidate, 200)):  # 400: "no base experiment", as the SDK expects
        assert ("GET", f"/v1/experiment/{experiment['id']}/summarize", 200) in served
        assert ("POST", "/api/base_experiment/get_id", base_status) in served

    assert [e.name for e in Experiment.objects.filter(project=project).order_by("created")] == ["baseline", "candidate"]
    assert baseline["project_id"] == candidate["project_id"] == str(project.pk)
    assert (baseline["name"], baseline["compared_with"], baseline["base"]) == ("baseline", None, None)
    assert baseline["scores"]["accuracy"][0] == pytest.approx(0.5)
    assert candidate["compared_with"] == "baseline"
    assert candidate["base"] == [baseline["id"], "baseline"]
    score, diff, improvements, regressions = candidate["scores"]["accuracy"]
    assert (score, diff) == (pytest.approx(0.5625), pytest.approx(0.0625))
    assert (improvements, regressions) == (1, 1)

    rows = fetch_rows(live_server, owner_key, "experiment", candidate["id"])
    assert sorted((row["input"], row["output"], row["scores"]["accuracy"]) for row in rows.values()) == [
        ("q0", "a0", 1),
        ("q1", "a1", 1),
        ("q2", "a2", 0),
        ("q3", "a3", 0.25),
    ]
    assert all(row["is_root"] and row["expected"] == row["output"] for row in rows.values())


# 4. Eval() with a local scorer


def eval_script(project_name: str) -> str:
    return f"""
    import json
    from braintrust import Eval, Reporter


    def exact_match(input, output, expected):
        return 1.0 if output == expected else 0.0


    quiet = Reporter("quiet", report_eval=lambda evaluator, result, verbose, jsonl: True, report_run=lambda results, verbose, jsonl: True)
    result = Eval(
        {project_name!r},
        data=lambda: [{{"input": 1, "expected": 2}}, {{"input": 2, "expected": 4}}, {{"input": 3, "expected": 7}}],
        task=lambda input: input * 2,
        scores=[exact_match],
        experiment_name="doubling",
        reporter=quiet,
    )
    summary = result.summary
    print(json.dumps({{
        "experiment_id": summary.experiment_id,
        "scores": {{name: s.score for name, s in summary.scores.items()}},
        "errors": [str(r.error) for r in result.results if r.error],
    }}))
    """


def test_eval_with_a_local_scorer_writes_its_rows_and_scores_to_a_new_experiment(live_server, tmp_path, org, owner_key, project):
    flow = run_sdk(live_server, tmp_path, owner_key, eval_script(project.name))
    flow.assert_clean()
    result = flow.result
    assert result["errors"] == []
    experiment = Experiment.objects.get(pk=result["experiment_id"])
    assert (experiment.project_id, experiment.name) == (project.pk, "doubling")
    assert result["scores"] == {"exact_match": pytest.approx(2 / 3)}

    # This SDK logs each score on its scorer's span, a child of the case's root span.
    rows = list(fetch_rows(live_server, owner_key, "experiment", experiment.pk).values())
    cases = []
    for root in sorted((row for row in rows if row["is_root"]), key=lambda row: row["input"]):
        children = {row["span_attributes"]["name"]: row for row in rows if row["span_parents"] == [root["span_id"]]}
        assert {"task", "exact_match"} <= set(children)
        assert all(row["root_span_id"] == root["root_span_id"] for row in children.values())
        cases.append((root["input"], root["output"], root["expected"], children["exact_match"]["scores"]))
    assert cases == [(1, 2, 2, {"exact_match": 1}), (2, 4, 4, {"exact_match": 1}), (3, 6, 7, {"exact_match": 0})]


# 5. Datasets


def dataset_script(project_name: str) -> str:
    return f"""
    import json
    import braintrust

    dataset = braintrust.init_dataset(project={project_name!r}, name="golden")
    for n in range(3):
        dataset.insert(id=f"case{{n}}", input={{"n": n}}, expected=n * 2, metadata={{"source": "sdk"}}, tags=["gold"])
    dataset.flush()
    dataset.update(id="case1", expected=20)
    dataset.delete(id="case2")
    dataset.flush()
    print(json.dumps({{"dataset_id": dataset.id, "name": dataset.name}}))
    """


def test_dataset_records_inserted_updated_and_deleted_by_the_sdk_are_read_back(live_server, tmp_path, org, owner_key, project):
    flow = run_sdk(live_server, tmp_path, owner_key, dataset_script(project.name))
    flow.assert_clean()
    dataset = Dataset.objects.get(pk=flow.result["dataset_id"], project=project)
    assert dataset.name == flow.result["name"] == "golden"

    rows = fetch_rows(live_server, owner_key, "dataset", dataset.pk)
    assert set(rows) == {"case0", "case1"}
    assert [(rows[i]["input"], rows[i]["expected"], rows[i]["metadata"], rows[i]["tags"]) for i in ("case0", "case1")] == [
        ({"n": 0}, 0, {"source": "sdk"}, ["gold"]),
        ({"n": 1}, 20, {"source": "sdk"}, ["gold"]),
    ]
    assert all(row["dataset_id"] == str(dataset.pk) for row in rows.values())


# 6. Prompts


def prompt_script(project_name: str, slug: str, version: str) -> str:
    return f"""
    import json
    import braintrust

    latest = braintrust.load_prompt(project={project_name!r}, slug={slug!r})
    first = braintrust.load_prompt(project={project_name!r}, slug={slug!r}, version={version!r})
    print(json.dumps({{
        "latest": latest.build(name="Ada", topic="mathematics"),
        "first": first.build(name="Ada", topic="mathematics"),
        "version": latest.version,
    }}))
    """


def test_load_prompt_builds_the_messages_of_a_mustache_prompt_made_on_the_server(live_server, tmp_path, org, owner_key, project):
    prompt = PromptFactory(project=project, name="Greeter", slug="greeter", prompt_data=GREETER)
    first_version = prompt.versions.get().xact_id
    changed = {**GREETER, "prompt": {**GREETER["prompt"], "messages": [{"role": "user", "content": "Hi {{name}}, fan of {{topic}}!"}]}}
    prompt_update(actor=owner_of(org), prompt=prompt, prompt_data=changed)
    latest_version = prompt.versions.latest("xact_id").xact_id

    flow = run_sdk(live_server, tmp_path, owner_key, prompt_script(project.name, "greeter", str(first_version)))
    flow.assert_clean()
    latest, first = flow.result["latest"], flow.result["first"]
    assert flow.result["version"] == str(latest_version)
    assert (latest["model"], latest["temperature"]) == ("gpt-4o-mini", 0.2)
    assert latest["messages"] == [{"role": "user", "content": "Hi Ada, fan of mathematics!"}]
    assert first["messages"] == [
        {"role": "system", "content": "You greet people who like mathematics."},
        {"role": "user", "content": "Say hello to Ada."},
    ]
    assert latest["span_info"]["metadata"]["prompt"] == {
        "variables": {"name": "Ada", "topic": "mathematics"},
        "id": str(prompt.pk),
        "project_id": str(project.pk),
        "version": str(latest_version),
    }


# 7. Feedback


def feedback_script(project_name: str) -> str:
    return f"""
    import json
    import braintrust


    def review(target):
        # Feedback flushed together with its span (the SDK merges the two into one row), then in a later flush.
        together = target.log(input="q1", output="a1", scores={{"accuracy": 0.5}}, metadata={{"model": "m1"}})
        target.log_feedback(id=together, scores={{"human": 1}}, comment="great answer", metadata={{"reviewer": "ann"}})
        target.flush()
        later = target.log(input="q2", output="a2", scores={{"accuracy": 0}}, metadata={{"model": "m1"}})
        target.flush()
        target.log_feedback(id=later, scores={{"human": 0}}, comment="wrong answer", metadata={{"reviewer": "bob"}})
        target.flush()
        return {{"together": together, "later": later}}


    logger = braintrust.init_logger(project={project_name!r})
    experiment = braintrust.init(project={project_name!r}, experiment="reviewed")
    print(json.dumps({{"logs": review(logger), "experiment": review(experiment), "experiment_id": experiment.id}}))
    """


def test_feedback_merges_scores_appends_comments_and_keeps_its_metadata_in_the_history(live_server, tmp_path, org, owner_key, project):
    flow = run_sdk(live_server, tmp_path, owner_key, feedback_script(project.name))
    flow.assert_clean()
    ids = flow.result
    owner = owner_of(org)

    for kind, object_id, row_ids in (
        ("project_logs", project.pk, ids["logs"]),
        ("experiment", ids["experiment_id"], ids["experiment"]),
    ):
        rows = fetch_rows(live_server, owner_key, kind, object_id)
        assert set(rows) == set(row_ids.values()), kind
        for when, human, comment, reviewer in (("together", 1, "great answer", "ann"), ("later", 0, "wrong answer", "bob")):
            row = rows[row_ids[when]]
            assert row["scores"] == {"accuracy": 0.5 if when == "together" else 0, "human": human}, (kind, when)
            assert row["metadata"] == {"model": "m1"}, (kind, when)
            assert [(c["comment"], c["user_id"]) for c in row["comments"]] == [(comment, str(owner.pk))], (kind, when)
            history = EventFeedback.objects.filter(kind=kind, object_id=object_id, row_id=row_ids[when])
            assert history.exists(), (kind, when)
            assert {h.source for h in history} == {"external"}
            assert all(h.metadata == {"reviewer": reviewer} and h.created_by_id == owner.pk for h in history), (kind, when)
            assert [h.comment for h in history if h.comment] == [comment], (kind, when)


# 8. Large payloads


def filler(seed: str, size: int) -> str:
    """`size` characters that differ from row to row, the same in the script and in the test."""
    block = hashlib.sha256(seed.encode()).hexdigest()
    return (block * (size // len(block) + 1))[:size]


def large_payloads_script(project_name: str, rows: int, row_bytes: int, huge_bytes: int) -> str:
    return f"""
    import hashlib
    import json
    import braintrust


    logger = braintrust.init_logger(project={project_name!r})
    for n in range({rows}):
        logger.log(id=f"big{{n}}", input=filler(f"big{{n}}", {row_bytes}), output=n)
    logger.flush()
    logger.log(id="huge", input=filler("huge", {huge_bytes}), output="huge")
    logger.flush()
    print(json.dumps({{"overflow_uploads": logger.logging_state.global_bg_logger()._overflow_upload_count}}))
    """


def test_nine_megabytes_in_one_flush_and_one_five_megabyte_row_are_stored_whole(
    live_server, tmp_path, org, owner_key, project, overflow_dir, served, settings
):
    rows, row_bytes, huge_bytes = 90, 100_000, 5_000_000
    script = large_payloads_script(project.name, rows, row_bytes, huge_bytes)
    flow = run_sdk(live_server, tmp_path, owner_key, script, helpers=(filler,))
    flow.assert_clean()
    assert flow.result == {"overflow_uploads": 1}  # the 9 MB were split into requests under the limit; only the huge row overflowed
    logs3 = [status for method, path, status in served if (method, path) == ("POST", "/logs3")]
    assert len(logs3) >= rows * row_bytes // settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1 + 1  # the split batches, then the overflow's
    assert set(logs3) == {200}
    assert [(m, s) for m, path, s in served if path.startswith("/logs3/overflow")] == [("POST", 200), ("PUT", 200)]

    stored = stored_rows("project_logs", project.pk)
    assert set(stored) == {f"big{n}" for n in range(rows)} | {"huge"}
    for row_id, size in [*((f"big{n}", row_bytes) for n in range(rows)), ("huge", huge_bytes)]:
        expected = filler(row_id, size)
        assert len(stored[row_id]["input"]) == size, row_id
        assert hashlib.sha256(stored[row_id]["input"].encode()).digest() == hashlib.sha256(expected.encode()).digest(), row_id
    assert [stored[f"big{n}"]["output"] for n in range(rows)] == list(range(rows))

    (upload,) = OverflowUpload.objects.all()
    assert upload.consumed_at is not None and upload.size_bytes > huge_bytes
    assert not any(path.is_file() for path in overflow_dir.rglob("*"))  # deleted once the write committed
