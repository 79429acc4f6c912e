"""The rows of experiments, datasets and project logs through ``/v1``: insert, fetch, feedback and summarize
for every kind of caller, bad input, deleted objects, other organizations, credentials and query counts."""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from urllib.parse import urlparse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from django.utils import timezone

from accounts.models import ApiKey, Organization, User
from accounts.services.credentials import api_key_create, service_account_create, service_token_create
from permissions.engine import Node
from projects.events.targets import EventTarget
from projects.events.writes import insert_events
from projects.models import Dataset, EventFeedback, EventRow, EventTag, EventVersion, Experiment, Project, Transaction
from tests.access_helpers import custom_group, grant, grant_many, nest, row_counts
from tests.api_helpers import ApiClient, api_client_for
from tests.assertions import assert_refused_without_writing, error, not_found
from tests.factories import DatasetFactory, ExperimentFactory, OrganizationFactory, ProjectFactory, add_member, owner_of

pytestmark = pytest.mark.django_db

KINDS = ("experiment", "dataset", "project_logs")
READS = ("fetch_get", "fetch_post", "summarize")
WRITES = ("insert", "feedback")


def _actions(kind: str) -> tuple[str, ...]:
    actions = ("insert", "fetch_get", "fetch_post", "feedback", "summarize")
    return actions if kind != "project_logs" else actions[:-1]


ENDPOINTS = [(kind, action) for kind in KINDS for action in _actions(kind)]


@dataclass
class World:
    """An organization with a project P holding an experiment, a dataset and logs (each with one row,
    "seed"), one caller of each kind, and a second organization."""

    org: Organization
    other_org: Organization
    project: Project
    experiment: Experiment
    dataset: Dataset
    callers: dict[str, User]
    logger_token: str

    def client(self, who: str) -> ApiClient:
        if who == "logger":
            return ApiClient(self.logger_token)
        return api_client_for(self.callers[who], self.other_org if who == "outsider" else self.org)

    def object_of(self, kind: str):
        return {"experiment": self.experiment, "dataset": self.dataset, "project_logs": self.project}[kind]

    def base(self, kind: str) -> str:
        return f"/v1/{kind}/{self.object_of(kind).pk}"


def _target(obj) -> EventTarget:
    return EventTarget.of(obj)


@pytest.fixture(scope="module")
def built_world(module_db) -> World:
    org, other_org = OrganizationFactory(), OrganizationFactory()
    owner = owner_of(org)
    project = ProjectFactory(org=org)
    experiment, dataset = ExperimentFactory(project=project), DatasetFactory(project=project)
    for obj in (experiment, dataset, project):
        insert_events(actor=owner, target=_target(obj), events=[{"id": "seed", "input": "seed", "tags": ["seeded"]}])

    team = custom_group(org, name="Project team")
    grant_many(org, project, ("read", "update"), group=team)
    inner = custom_group(org, name="Inner")
    nest(team, inner)
    object_grant = add_member(org)
    grant(org, experiment, user=object_grant, permission="read")
    grant(org, dataset, user=object_grant, permission="read")
    grant(org, Node("project_log", project.pk), user=object_grant, permission="update")

    robot = service_account_create(actor=owner, org=org, name="logger")
    grant(org, Node("project_log", project.pk), user=robot, permission="update")
    _, token = service_token_create(actor=owner, org=org, account_id=robot.pk, name="logging")

    callers = {
        "owner": owner,
        "engineer": add_member(org, None, "engineers"),
        "viewer": add_member(org, None, "viewers"),
        "group_grant": add_member(org, None, team),
        "nested_group": add_member(org, None, inner),
        "object_grant": object_grant,
        "no_grant": add_member(org),
        "outsider": owner_of(other_org),
        "logger": robot,
    }
    return World(org, other_org, project, experiment, dataset, callers, token)


def data_counts() -> dict[str, int]:
    """Every table the services and the data plane write: equal before and after a refused request."""
    counts = row_counts()
    for model in (EventRow, EventVersion, EventTag, EventFeedback, Transaction):
        counts[model._meta.label] = model.objects.count()
    return counts


_OBJECT_TYPES = {"experiment": "experiment", "dataset": "dataset", "project_logs": "project"}


def _call(client: ApiClient, base: str, action: str, body=None, params=None):
    """One request to an endpoint, with a body (or query) that succeeds for a caller allowed to make it."""
    if action == "insert":
        return client.post(f"{base}/insert", body if body is not None else {"events": [{"input": "new"}]})
    if action == "fetch_get":
        return client.client.get(f"{base}/fetch", params or {})
    if action == "fetch_post":
        return client.post(f"{base}/fetch", body if body is not None else {})
    if action == "feedback":
        return client.post(f"{base}/feedback", body if body is not None else {"feedback": [{"id": "seed", "comment": "nice"}]})
    assert action == "summarize"
    return client.client.get(f"{base}/summarize", params or {})


# Who may do what


_ALLOWED = {kind: {action: 200 for action in _actions(kind)} for kind in KINDS}


def _reads_only(update_status: int) -> dict:
    return {kind: {a: (200 if a in READS else update_status) for a in _actions(kind)} for kind in KINDS}


def _with_logs(expected: dict, logs: dict) -> dict:
    return {**expected, "project_logs": logs}


_LOG_WRITER = {"insert": 200, "fetch_get": 403, "fetch_post": 403, "feedback": 200}
_NOTHING = {kind: {action: 404 for action in _actions(kind)} for kind in KINDS}

EXPECTED = {
    "owner": _ALLOWED,
    "engineer": _ALLOWED,
    "viewer": _reads_only(403),
    "group_grant": _ALLOWED,
    "nested_group": _ALLOWED,
    "object_grant": _with_logs(_reads_only(403), _LOG_WRITER),
    "no_grant": _NOTHING,
    "outsider": _NOTHING,
    "logger": _with_logs({k: {a: 404 for a in _actions(k)} for k in ("experiment", "dataset")}, _LOG_WRITER),
}


_assert_refused_without_writing = partial(assert_refused_without_writing, counts=data_counts)


@pytest.mark.parametrize("who", list(EXPECTED))
def test_each_caller_gets_exactly_the_access_its_grants_give_on_every_endpoint(world, who):
    client = world.client(who)
    statuses: dict[str, dict[str, int]] = {kind: {} for kind in KINDS}
    for kind, action in ENDPOINTS:
        before = data_counts()
        response = _call(client, world.base(kind), action)
        statuses[kind][action] = response.status_code
        wrote = data_counts() != before
        assert wrote == (action in WRITES and response.status_code == 200), (kind, action, response.content)
        if response.status_code == 403:
            assert error(response)["missing_permission"] == ("update" if action in WRITES else "read")
            assert error(response)["missing_permission"] in error(response)["message"]
        if response.status_code == 404:
            assert response.json() == not_found(_OBJECT_TYPES[kind], world.object_of(kind).pk)
    assert statuses == EXPECTED[who]


@pytest.mark.parametrize("kind", KINDS)
def test_an_invisible_object_answers_exactly_like_a_missing_id(world, kind):
    client = world.client("no_grant")
    missing = uuid.uuid4()
    for action in _actions(kind):
        hidden = _call(client, world.base(kind), action)
        absent = _call(world.client("owner"), f"/v1/{kind}/{missing}", action)
        assert hidden.status_code == absent.status_code == 404
        assert hidden.json()["error"]["message"].replace(str(world.object_of(kind).pk), "ID") == absent.json()["error"]["message"].replace(
            str(missing), "ID"
        )


def test_a_logging_service_account_inserts_logs_and_sees_nothing_else(world):
    client = world.client("logger")
    response = client.post(world.base("project_logs") + "/insert", {"events": [{"id": "req-1", "input": "hi", "output": "hello"}]})
    assert response.status_code == 200, response.content
    assert response.json() == {"row_ids": ["req-1"]}
    row = EventRow.objects.get(kind="project_logs", object_id=world.project.pk, row_id="req-1")
    assert (row.data["input"], row.data["output"]) == ("hi", "hello")

    refused = client.get(world.base("project_logs") + "/fetch")
    assert refused.status_code == 403 and error(refused)["missing_permission"] == "read"
    for action in _actions("experiment"):
        response = _call(client, world.base("experiment"), action)
        assert response.json() == not_found("experiment", world.experiment.pk)
    assert not EventRow.objects.filter(kind="experiment", object_id=world.experiment.pk, data__input="new").exists()


def test_a_viewer_fetches_but_cannot_insert_and_is_told_it_lacks_update(world):
    client = world.client("viewer")
    fetched = client.get(world.base("experiment") + "/fetch")
    assert [e["id"] for e in fetched.json()["events"]] == ["seed"]
    response = _assert_refused_without_writing(
        lambda: client.post(world.base("experiment") + "/insert", {"events": [{"input": 1}]}), 403, "update"
    )
    assert error(response)["missing_permission"] == "update"


def test_a_grant_restricted_to_project_log_reads_logs_only(world):
    reader = add_member(world.org)
    grant(world.org, world.project, user=reader, permission="read", restrict="project_log")
    client = api_client_for(reader, world.org)
    assert [e["id"] for e in client.get(world.base("project_logs") + "/fetch").json()["events"]] == ["seed"]
    assert client.get(world.base("experiment") + "/fetch").json() == not_found("experiment", world.experiment.pk)


def test_object_grant_on_one_experiment_does_not_reach_another(world):
    sibling = ExperimentFactory(project=world.project)
    response = world.client("object_grant").get(f"/v1/experiment/{sibling.pk}/fetch")
    assert response.json() == not_found("experiment", sibling.pk)


@pytest.mark.parametrize("kind", KINDS)
def test_an_object_of_another_organization_is_not_found_even_for_an_owner(world, kind):
    theirs = ProjectFactory(org=world.other_org)
    obj = {"experiment": ExperimentFactory, "dataset": DatasetFactory}.get(kind, lambda project: project)(project=theirs)
    client = world.client("owner")
    for action in _actions(kind):
        response = _assert_refused_without_writing(lambda action=action: _call(client, f"/v1/{kind}/{obj.pk}", action), 404)
        assert response.json() == not_found(_OBJECT_TYPES[kind], obj.pk)


@pytest.mark.parametrize("kind", KINDS)
def test_a_path_id_that_is_not_a_uuid_answers_400(world, kind):
    client = world.client("owner")
    for action in _actions(kind):
        response = _assert_refused_without_writing(lambda action=action: _call(client, f"/v1/{kind}/nope", action), 400)
        assert "must be a UUID" in error(response)["message"]


# Deleted objects


@pytest.mark.parametrize("kind", ["experiment", "dataset"])
def test_a_deleted_object_answers_404_on_every_endpoint(world, kind):
    obj = world.object_of(kind)
    type(obj).objects.filter(pk=obj.pk).update(deleted_at=timezone.now())
    client = world.client("owner")
    for action in _actions(kind):
        response = _assert_refused_without_writing(lambda action=action: _call(client, world.base(kind), action), 404)
        assert response.json() == not_found(kind, obj.pk)


def test_everything_in_a_deleted_project_answers_404(world):
    Project.objects.filter(pk=world.project.pk).update(deleted_at=timezone.now())
    client = world.client("owner")
    for kind, action in ENDPOINTS:
        response = _assert_refused_without_writing(lambda kind=kind, action=action: _call(client, world.base(kind), action), 404)
        assert response.json() == not_found(_OBJECT_TYPES[kind], world.object_of(kind).pk)


# Inserting


def test_insert_answers_one_row_id_per_event_and_replaces_merges_and_deletes(world):
    client, base = world.client("engineer"), world.base("experiment")
    response = client.post(f"{base}/insert", {"events": [{"id": "a", "input": {"x": 1, "y": 2}}, {"output": "generated id"}]})
    row_ids = response.json()["row_ids"]
    assert row_ids[0] == "a" and len(row_ids) == 2 and uuid.UUID(row_ids[1])
    client.post(f"{base}/insert", {"events": [{"id": "a", "_is_merge": True, "input": {"y": 3}}]})
    assert _rows(client, base)["a"]["input"] == {"x": 1, "y": 3}
    client.post(f"{base}/insert", {"events": [{"id": "a", "input": {"z": 0}}]})
    assert _rows(client, base)["a"]["input"] == {"z": 0}
    client.post(f"{base}/insert", {"events": [{"id": "a", "_object_delete": True}]})
    assert "a" not in _rows(client, base)


def test_an_inserted_row_belongs_to_its_object_only(world):
    client = world.client("owner")
    client.post(world.base("dataset") + "/insert", {"events": [{"id": "case", "input": 1, "expected": 2}]})
    assert "case" in _rows(client, world.base("dataset"))
    assert "case" not in _rows(client, world.base("experiment"))
    assert "case" not in _rows(client, world.base("project_logs"))


def _rows(client: ApiClient, base: str, **params) -> dict[str, dict]:
    response = client.client.get(f"{base}/fetch", params)
    assert response.status_code == 200, response.content
    return {event["id"]: event for event in response.json()["events"]}


# Feedback


@pytest.mark.parametrize("kind", ["experiment", "project_logs"])
def test_feedback_merges_scores_appends_the_comment_and_is_kept_as_history(world, kind):
    client, base = world.client("owner"), world.base(kind)
    response = client.post(f"{base}/feedback", {"feedback": [{"id": "seed", "scores": {"human": 1}, "comment": "right", "tags": ["ok"]}]})
    assert response.json() == {"status": "success"}
    row = _rows(client, base)["seed"]
    assert row["scores"] == {"human": 1}
    assert [c["comment"] for c in row["comments"]] == ["right"]
    assert row["tags"] == ["seeded", "ok"]
    assert EventFeedback.objects.get(object_id=world.object_of(kind).pk).comment == "right"


def test_dataset_feedback_takes_comments_and_tags(world):
    client, base = world.client("owner"), world.base("dataset")
    response = client.post(f"{base}/feedback", {"feedback": [{"id": "seed", "comment": "typo", "tags": ["fix"], "source": "app"}]})
    assert response.json() == {"status": "success"}
    row = _rows(client, base)["seed"]
    assert [c["comment"] for c in row["comments"]] == ["typo"] and row["tags"] == ["seeded", "fix"]


# Fetching: tags, cursor, versions


def _traces(owner, obj, count: int, *, start: int = 0) -> None:
    """`count` traces of two rows each (root{i} and its child{i}), oldest first."""
    events = []
    for index in range(start, start + count):
        events += [{"id": f"root{index}", "input": index}, {"id": f"child{index}", "_parent_id": f"root{index}"}]
    insert_events(actor=owner, target=_target(obj), events=events)


def test_fetch_by_tag_returns_whole_traces_with_a_row_carrying_the_tag(world):
    owner = world.callers["owner"]
    insert_events(
        actor=owner,
        target=_target(world.project),
        events=[{"id": "prod", "tags": ["production"]}, {"id": "prod-child", "_parent_id": "prod"}, {"id": "dev", "tags": ["dev"]}],
    )
    client, base = world.client("viewer"), world.base("project_logs")
    assert set(_rows(client, base, tags="production")) == {"prod", "prod-child"}
    assert set(_rows(client, base, tags=["production", "dev"])) == {"prod", "prod-child", "dev"}
    posted = client.post(f"{base}/fetch", {"tags": ["dev", "seeded"]}).json()["events"]
    assert {e["id"] for e in posted} == {"dev", "seed"}
    assert client.post(f"{base}/fetch", {"tags": ["nothing"]}).json() == {"events": [], "cursor": None}


@pytest.mark.parametrize("form", ["get", "post"])
def test_the_cursor_walks_every_trace_once_newest_first(world, form):
    _traces(world.callers["owner"], world.experiment, 5)
    client, base = world.client("viewer"), world.base("experiment")
    seen, cursor, pages = [], None, 0
    while True:
        if form == "get":
            body = client.client.get(f"{base}/fetch", {"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        else:
            body = client.post(f"{base}/fetch", {"limit": 2, "cursor": cursor}).json()
        roots = [e["id"] for e in body["events"] if e["is_root"]]
        assert len(body["events"]) == 2 * len(roots) or "seed" in roots
        seen += roots
        pages += 1
        cursor = body["cursor"]
        if cursor is None:
            break
    assert seen == [f"root{i}" for i in reversed(range(5))] + ["seed"]
    assert pages == 4 and body["events"] == []  # six traces by two: the third page is full, so a fourth says there is no more


@pytest.mark.parametrize("form", ["get", "post"])
def test_a_version_fetches_the_rows_as_they_were(world, form):
    client, base = world.client("owner"), world.base("project_logs")
    client.post(f"{base}/insert", {"events": [{"id": "r", "output": "first"}]})
    version = _rows(client, base)["r"]["_xact_id"]
    client.post(f"{base}/insert", {"events": [{"id": "r", "output": "second"}, {"id": "later"}]})
    client.post(f"{base}/insert", {"events": [{"id": "seed", "_object_delete": True}]})
    if form == "get":
        then = _rows(client, base, version=version)
    else:
        then = {e["id"]: e for e in client.post(f"{base}/fetch", {"version": version}).json()["events"]}
    assert set(then) == {"seed", "r"} and then["r"]["output"] == "first"
    now = _rows(client, base)
    assert set(now) == {"r", "later"} and now["r"]["output"] == "second"


def test_fetched_rows_have_the_shape_of_their_kind(world):
    client = world.client("owner")
    experiment_row = _rows(client, world.base("experiment"))["seed"]
    assert experiment_row["experiment_id"] == str(world.experiment.pk) and experiment_row["project_id"] == str(world.project.pk)
    dataset_row = _rows(client, world.base("dataset"))["seed"]
    assert dataset_row["dataset_id"] == str(world.dataset.pk) and "scores" not in dataset_row
    log_row = _rows(client, world.base("project_logs"))["seed"]
    assert (log_row["org_id"], log_row["log_id"]) == (str(world.org.pk), "g")


def _fetch_queries(client: ApiClient, base: str, form: str) -> tuple[int, int]:
    def fetch():
        if form == "get":
            return client.client.get(f"{base}/fetch", {"limit": 50})
        return client.post(f"{base}/fetch", {"limit": 50})

    fetch()  # warm the connection, the credential's last use and the content types
    with CaptureQueriesContext(connection) as queries:
        response = fetch()
    assert response.status_code == 200
    return len({e["root_span_id"] for e in response.json()["events"]}), len(queries)


@pytest.mark.parametrize("kind", KINDS)
def test_fetch_costs_the_same_number_of_queries_for_one_trace_and_for_fifty(world, kind):
    obj = world.object_of(kind)
    owner = world.callers["owner"]
    insert_events(actor=owner, target=_target(obj), events=[{"id": "seed", "_object_delete": True}])
    _traces(owner, obj, 1)
    clients = {"owner": world.client("owner"), "viewer": world.client("viewer"), "group_grant": world.client("group_grant")}
    one = {(who, form): _fetch_queries(client, world.base(kind), form) for who, client in clients.items() for form in ("get", "post")}
    _traces(owner, obj, 59, start=1)
    many = {(who, form): _fetch_queries(client, world.base(kind), form) for who, client in clients.items() for form in ("get", "post")}
    for key in one:
        assert (one[key][0], many[key][0]) == (1, 50)
        assert one[key][1] == many[key][1], key
        assert many[key][1] <= 12, key


# Bad input: 400, nothing written

_BAD_INPUT = [
    ("experiment", "insert", {}, "events: This field is required."),
    ("experiment", "insert", {"events": "x"}, "events: Expected a list of items"),
    ("experiment", "insert", {"events": None}, "events: This field may not be null."),
    ("experiment", "insert", {"events": {"id": "a"}}, "events: Expected a list of items"),
    ("experiment", "insert", {"events": [1]}, "events[0] must be a JSON object."),
    ("experiment", "insert", {"events": [{"flavor": 1}]}, "events[0].flavor: unknown field."),
    ("experiment", "insert", {"events": [{"id": "ok"}, {"scores": {"a": 2}}]}, "events[1].scores.a"),
    ("experiment", "insert", {"events": [{"id": "ok"}], "extra": 1}, "extra: Unknown field."),
    ("dataset", "insert", {"events": [{"input": 1, "scores": {"a": 1}}]}, "events[0].scores: unknown field."),
    ("dataset", "insert", {"events": [{"output": 1}]}, "events[0].output: unknown field."),
    ("project_logs", "insert", {"events": [{"id": "ok"}, {"id": "c", "_parent_id": "ghost"}]}, "No row with id 'ghost'"),
    ("project_logs", "insert", {"events": [{"created": "yesterday"}]}, "events[0].created"),
    ("experiment", "feedback", {}, "feedback: This field is required."),
    ("experiment", "feedback", {"feedback": {"id": "seed"}}, "feedback: Expected a list of items"),
    ("experiment", "feedback", {"feedback": [{"comment": "x"}]}, "feedback[0].id: is required"),
    ("experiment", "feedback", {"feedback": [{"id": "seed", "scores": {"a": 1}}, {"id": "ghost"}]}, "No rows with these ids: ghost."),
    ("project_logs", "feedback", {"feedback": [{"id": "seed", "source": "robot"}]}, "feedback[0].source: must be one of"),
    ("project_logs", "feedback", {"feedback": [{"id": "seed", "rating": 5}]}, "feedback[0].rating: unknown field."),
    ("project_logs", "feedback", {"feedback": [], "events": []}, "events: Unknown field."),
    ("dataset", "feedback", {"feedback": [{"id": "seed", "scores": {"a": 1}}]}, "feedback[0].scores: unknown field."),
    ("dataset", "feedback", {"feedback": [{"id": "seed", "expected": 1}]}, "feedback[0].expected: unknown field."),
    ("experiment", "fetch_post", {"limit": "5"}, "limit: A valid integer is required."),
    ("experiment", "fetch_post", {"limit": True}, "limit: A valid integer is required."),
    ("experiment", "fetch_post", {"limit": 2.5}, "limit: A valid integer is required."),
    ("experiment", "fetch_post", {"limit": -1}, "limit: Ensure this value is greater than or equal to 0."),
    ("experiment", "fetch_post", {"limit": 1001}, "limit: Ensure this value is less than or equal to 1000."),
    ("dataset", "fetch_post", {"version": 5}, "version: Not a valid string."),
    ("dataset", "fetch_post", {"version": "abc"}, "version must be a transaction id"),
    ("dataset", "fetch_post", {"cursor": "garbage"}, "cursor is not a cursor this server returned."),
    ("project_logs", "fetch_post", {"max_xact_id": "12"}, "max_xact_id is not supported: pass the cursor"),
    ("project_logs", "fetch_post", {"max_root_span_id": "r"}, "max_root_span_id is not supported: pass the cursor"),
    ("project_logs", "fetch_post", {"tags": "prod"}, "tags: Expected a list of items"),
    ("project_logs", "fetch_post", {"tags": [""]}, "tags: 0: This field may not be blank."),
    ("project_logs", "fetch_post", {"filter": "x"}, "filter: Unknown field."),
]

_BAD_PARAMETERS = [
    ("experiment", "fetch_get", {"limit": "many"}, "limit must be a whole number"),
    ("experiment", "fetch_get", {"limit": "-1"}, "limit must be between 0 and 1000"),
    ("experiment", "fetch_get", {"limit": "1001"}, "limit must be between 0 and 1000"),
    ("dataset", "fetch_get", {"version": "abc"}, "version must be a transaction id"),
    ("dataset", "fetch_get", {"version": "-3"}, "version must not be negative"),
    ("dataset", "fetch_get", {"cursor": "garbage"}, "cursor is not a cursor this server returned."),
    ("project_logs", "fetch_get", {"max_xact_id": "12"}, "max_xact_id is not supported: pass the cursor"),
    ("project_logs", "fetch_get", {"max_root_span_id": "r"}, "max_root_span_id is not supported: pass the cursor"),
    ("experiment", "summarize", {"summarize_scores": "maybe"}, "summarize_scores must be true or false"),
    ("experiment", "summarize", {"comparison_experiment_id": "nope"}, "comparison_experiment_id must be a UUID"),
    ("dataset", "summarize", {"summarize_data": "yes"}, "summarize_data must be true or false"),
]


@pytest.mark.parametrize(("kind", "action", "body", "message"), _BAD_INPUT)
def test_a_bad_body_answers_400_naming_the_problem_and_writes_nothing(world, kind, action, body, message):
    client = world.client("owner")
    _assert_refused_without_writing(lambda: _call(client, world.base(kind), action, body=body), 400, message)


@pytest.mark.parametrize(("kind", "action", "params", "message"), _BAD_PARAMETERS)
def test_bad_query_parameters_answer_400_naming_the_problem(world, kind, action, params, message):
    client = world.client("owner")
    _assert_refused_without_writing(lambda: _call(client, world.base(kind), action, params=params), 400, message)


@pytest.mark.parametrize("action", ["insert", "feedback", "fetch"])
def test_a_body_that_is_not_a_json_object_answers_400(world, action):
    client, base = world.client("owner"), world.base("project_logs")
    _assert_refused_without_writing(lambda: client.post(f"{base}/{action}", [{"id": "x"}]), 400, "must be a JSON object")
    _assert_refused_without_writing(lambda: client.raw_post(f"{base}/{action}", "{nope"), 400, "JSON parse error")


def test_a_refused_batch_writes_none_of_its_events(world):
    client, base = world.client("owner"), world.base("experiment")
    events = [{"id": "good", "input": 1}, {"id": "bad", "scores": {"a": "high"}}]
    _assert_refused_without_writing(lambda: client.post(f"{base}/insert", {"events": events}), 400, "events[1].scores.a")
    assert "good" not in _rows(client, base)


# Summaries


def _scored(owner, experiment, rows: list[tuple[str, float]]) -> None:
    events = [{"input": key, "scores": {"accuracy": score}, "metrics": {"start": 0, "end": 2}} for key, score in rows]
    insert_events(actor=owner, target=_target(experiment), events=events)


@pytest.fixture
def scored(world):
    """The world's experiment, scored on q1 and q2 (without the seed row), and a base experiment linked to it."""
    owner = world.callers["owner"]
    insert_events(actor=owner, target=_target(world.experiment), events=[{"id": "seed", "_object_delete": True}])
    base = ExperimentFactory(project=world.project, name="baseline")
    _scored(owner, base, [("q1", 0.5), ("q2", 1)])
    _scored(owner, world.experiment, [("q1", 1), ("q2", 0)])
    Experiment.objects.filter(pk=world.experiment.pk).update(base_exp=base)
    return base


def _summarize(client: ApiClient, world: World, **params):
    return client.client.get(world.base("experiment") + "/summarize", params)


def test_a_summary_compares_with_the_base_experiment_by_default(world, scored):
    body = _summarize(world.client("viewer"), world).json()
    assert body["project_name"] == world.project.name and body["experiment_name"] == world.experiment.name
    assert body["comparison_experiment_name"] == "baseline"
    accuracy = body["scores"]["accuracy"]
    assert accuracy["score"] == 0.5 and accuracy["diff"] == pytest.approx(-0.25)
    assert (accuracy["improvements"], accuracy["regressions"]) == (1, 1)
    assert body["metrics"]["duration"]["metric"] == 2


def test_a_summary_compares_with_an_experiment_of_another_project_when_asked(world, scored):
    elsewhere = ExperimentFactory(project=ProjectFactory(org=world.org), name="elsewhere")
    _scored(world.callers["owner"], elsewhere, [("q1", 1), ("q2", 1)])
    body = _summarize(world.client("engineer"), world, comparison_experiment_id=str(elsewhere.pk)).json()
    assert body["comparison_experiment_name"] == "elsewhere"
    assert body["scores"]["accuracy"]["diff"] == pytest.approx(-0.5)
    assert (body["scores"]["accuracy"]["improvements"], body["scores"]["accuracy"]["regressions"]) == (0, 1)


def test_without_a_base_a_summary_compares_with_the_latest_earlier_experiment_of_the_project(world, scored):
    owner = world.callers["owner"]
    Experiment.objects.filter(pk=world.experiment.pk).update(base_exp=None)
    Experiment.objects.filter(pk=scored.pk).update(created=world.experiment.created - timedelta(hours=2))
    latest_earlier = ExperimentFactory(project=world.project, name="yesterday")
    Experiment.objects.filter(pk=latest_earlier.pk).update(created=world.experiment.created - timedelta(hours=1))
    _scored(owner, latest_earlier, [("q1", 1), ("q2", 1)])
    ExperimentFactory(project=world.project, name="tomorrow")  # made after: never the comparison
    body = _summarize(world.client("viewer"), world).json()
    assert body["comparison_experiment_name"] == "yesterday"
    assert body["scores"]["accuracy"]["diff"] == pytest.approx(-0.5)


def test_a_base_experiment_the_caller_cannot_read_is_left_out_of_its_summary(world, scored):
    body = _summarize(world.client("object_grant"), world).json()
    assert body["comparison_experiment_name"] is None
    assert body["scores"]["accuracy"]["score"] == 0.5 and "diff" not in body["scores"]["accuracy"]


def test_a_comparison_the_caller_cannot_see_answers_like_a_missing_one(world, scored):
    client = world.client("object_grant")
    hidden = _summarize(client, world, comparison_experiment_id=str(scored.pk))
    assert hidden.json() == not_found("experiment", scored.pk)
    missing = uuid.uuid4()
    assert _summarize(client, world, comparison_experiment_id=str(missing)).json() == not_found("experiment", missing)


def test_a_comparison_the_caller_sees_without_read_is_refused_naming_read(world, scored):
    grant(world.org, scored, user=world.callers["object_grant"], permission="update")
    response = _summarize(world.client("object_grant"), world, comparison_experiment_id=str(scored.pk))
    assert response.status_code == 403 and error(response)["missing_permission"] == "read"


def test_a_deleted_comparison_or_one_of_another_organization_is_not_found(world, scored):
    client = world.client("owner")
    theirs = ExperimentFactory(project=ProjectFactory(org=world.other_org))
    assert _summarize(client, world, comparison_experiment_id=str(theirs.pk)).json() == not_found("experiment", theirs.pk)
    Experiment.objects.filter(pk=scored.pk).update(deleted_at=timezone.now())
    assert _summarize(client, world, comparison_experiment_id=str(scored.pk)).json() == not_found("experiment", scored.pk)
    assert _summarize(client, world).json()["comparison_experiment_name"] is None  # a deleted base is not compared with


def test_summarize_scores_false_answers_only_the_names(world, scored):
    body = _summarize(world.client("object_grant"), world, summarize_scores="false", comparison_experiment_id=str(scored.pk)).json()
    assert (body["scores"], body["metrics"], body["comparison_experiment_name"]) == (None, None, None)
    assert body["experiment_name"] == world.experiment.name


def test_summary_urls_are_built_from_the_request_host_and_name_the_api_paths(world, settings):
    settings.ALLOWED_HOSTS = ["evals.example.com"]
    _, raw = api_key_create(actor=world.callers["viewer"], org=world.org, name="host")
    client = ApiClient(raw, HTTP_HOST="evals.example.com")
    body = _summarize(client, world).json()
    assert body["project_url"] == f"http://evals.example.com/v1/project/{world.project.pk}"
    assert body["experiment_url"] == f"http://evals.example.com/v1/experiment/{world.experiment.pk}"
    assert resolve(urlparse(body["project_url"]).path).url_name == "api-project-detail"
    assert resolve(urlparse(body["experiment_url"]).path).url_name == "api-experiment-detail"
    dataset = client.get(world.base("dataset") + "/summarize").json()
    assert dataset["dataset_url"] == f"http://evals.example.com/v1/dataset/{world.dataset.pk}"
    assert resolve(urlparse(dataset["dataset_url"]).path).url_name == "api-dataset-detail"


def test_a_dataset_summary_counts_live_records(world):
    client, base = world.client("viewer"), world.base("dataset")
    world.client("owner").post(f"{base}/insert", {"events": [{"id": "a", "input": 1}, {"id": "b", "input": 2}]})
    world.client("owner").post(f"{base}/insert", {"events": [{"id": "b", "_object_delete": True}]})
    body = client.get(f"{base}/summarize").json()
    assert (body["project_name"], body["dataset_name"]) == (world.project.name, world.dataset.name)
    assert body["data_summary"] == {"total_records": 2}
    assert client.get(f"{base}/summarize", {"summarize_data": "false"}).json()["data_summary"] is None


# Credentials


def test_every_endpoint_without_a_credential_answers_401_and_writes_nothing(world):
    for kind, action in ENDPOINTS:
        _assert_refused_without_writing(lambda kind=kind, action=action: _call(ApiClient(), world.base(kind), action), 401)


@pytest.mark.parametrize("who", ["owner", "logger"])
def test_every_endpoint_with_a_revoked_token_answers_401_and_writes_nothing(world, who):
    if who == "logger":
        ApiKey.objects.filter(user=world.callers["logger"]).update(revoked_at=timezone.now())
        client = ApiClient(world.logger_token)
    else:
        key, raw = api_key_create(actor=world.callers["owner"], org=world.org, name="soon revoked")
        ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
        client = ApiClient(raw)
    for kind, action in ENDPOINTS:
        _assert_refused_without_writing(lambda kind=kind, action=action: _call(client, world.base(kind), action), 401)


# The published schema


_OPERATIONS = {
    "/v1/experiment/{experiment_id}/insert": {"post": "postExperimentIdInsert"},
    "/v1/experiment/{experiment_id}/fetch": {"get": "getExperimentIdFetch", "post": "postExperimentIdFetch"},
    "/v1/experiment/{experiment_id}/feedback": {"post": "postExperimentIdFeedback"},
    "/v1/experiment/{experiment_id}/summarize": {"get": "getExperimentIdSummarize"},
    "/v1/dataset/{dataset_id}/insert": {"post": "postDatasetIdInsert"},
    "/v1/dataset/{dataset_id}/fetch": {"get": "getDatasetIdFetch", "post": "postDatasetIdFetch"},
    "/v1/dataset/{dataset_id}/feedback": {"post": "postDatasetIdFeedback"},
    "/v1/dataset/{dataset_id}/summarize": {"get": "getDatasetIdSummarize"},
    "/v1/project_logs/{project_id}/insert": {"post": "postProjectLogsIdInsert"},
    "/v1/project_logs/{project_id}/fetch": {"get": "getProjectLogsIdFetch", "post": "postProjectLogsIdFetch"},
    "/v1/project_logs/{project_id}/feedback": {"post": "postProjectLogsIdFeedback"},
}


def test_the_schema_names_braintrusts_operations_and_describes_the_rows_as_answered(world):
    schema = ApiClient().get("/v1/openapi.json", {"format": "json"}).json()
    for path_, operations in _OPERATIONS.items():
        assert {method: op["operationId"] for method, op in schema["paths"][path_].items()} == operations
    components = schema["components"]["schemas"]
    client = world.client("owner")
    for kind, component in (("experiment", "ExperimentEvent"), ("dataset", "DatasetEvent"), ("project_logs", "ProjectLogsEvent")):
        answered = _rows(client, world.base(kind))["seed"]
        assert set(components[component]["properties"]) == set(answered), kind
    summary = _summarize(client, world).json()
    assert set(components["SummarizeExperimentResponse"]["properties"]) == set(summary)
    dataset_summary = client.get(world.base("dataset") + "/summarize").json()
    assert set(components["SummarizeDatasetResponse"]["properties"]) == set(dataset_summary)
    assert set(components["FeedbackDatasetItem"]["properties"]) == {"id", "comment", "metadata", "source", "tags"}
    assert set(components["FetchEventsRequest"]["properties"]) == {"limit", "cursor", "max_xact_id", "max_root_span_id", "version", "tags"}
