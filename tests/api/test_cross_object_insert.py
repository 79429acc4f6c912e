"""``POST /v1/insert``: events and feedback for experiments, datasets and project logs in one request, through
the same writes as each object's own insert and feedback; refused whole (404, 403 or 400) with nothing written."""

import json
import uuid
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Organization, User
from accounts.services.credentials import service_account_create, service_token_create
from permissions.engine import Node
from projects.events.reads import fetch_events
from projects.events.targets import EventTarget
from projects.events.writes import insert_events
from projects.models import Dataset, EventFeedback, EventRow, EventTag, EventVersion, Experiment, Project, Transaction
from tests.access_helpers import grant, row_counts
from tests.api_helpers import ApiClient, api_client_for
from tests.assertions import assert_refused_without_writing, error
from tests.factories import DatasetFactory, ExperimentFactory, OrganizationFactory, ProjectFactory, add_member, owner_of

pytestmark = pytest.mark.django_db

INSERT = "/v1/insert"


@dataclass
class World:
    """An organization with a project holding an experiment, a dataset and logs, each with one row "seed"."""

    org: Organization
    owner: User
    project: Project
    experiment: Experiment
    dataset: Dataset

    def client(self, user: User | None = None) -> ApiClient:
        return api_client_for(user or self.owner, self.org)

    def rows(self, obj) -> dict[str, dict]:
        return {e["id"]: e for e in fetch_events(actor=self.owner, target=EventTarget.of(obj), limit=1000).events}


@pytest.fixture(scope="module")
def built_world(module_db) -> World:
    org = OrganizationFactory()
    owner = owner_of(org)
    project = ProjectFactory(org=org)
    experiment, dataset = ExperimentFactory(project=project), DatasetFactory(project=project)
    for obj in (experiment, dataset, project):
        insert_events(actor=owner, target=EventTarget.of(obj), events=[{"id": "seed", "input": "seed"}])
    return World(org, owner, project, experiment, dataset)


def data_counts() -> dict[str, int]:
    """Every table the services and the data plane write: equal before and after a refused request."""
    counts = row_counts()
    for model in (EventRow, EventVersion, EventTag, EventFeedback, Transaction):
        counts[model._meta.label] = model.objects.count()
    return counts


def refused(call, status: int, message: str | None = None):
    return assert_refused_without_writing(call, status, message, counts=data_counts)


def body_for(world: World, *, experiment=None, dataset=None, logs=None) -> dict:
    """A body writing `experiment`, `dataset` and `logs` (each ``{events, feedback}``) into the world's objects."""
    body = {}
    if experiment is not None:
        body["experiment"] = {str(world.experiment.pk): experiment}
    if dataset is not None:
        body["dataset"] = {str(world.dataset.pk): dataset}
    if logs is not None:
        body["project_logs"] = {str(world.project.pk): logs}
    return body


# Writing


def test_one_request_writes_events_into_an_experiment_a_dataset_and_project_logs(world):
    body = body_for(
        world,
        experiment={"events": [{"id": "e1", "input": "q", "output": "a", "scores": {"accuracy": 1}}, {"input": "no id"}]},
        dataset={"events": [{"id": "d1", "input": "q", "expected": "a"}]},
        logs={"events": [{"id": "l1", "input": "hello", "metadata": {"user": "u"}}]},
    )
    response = world.client().post(INSERT, body)
    assert response.status_code == 200, response.content
    answer = response.json()
    generated = answer["experiment"][str(world.experiment.pk)]["row_ids"][1]
    assert answer == {
        "experiment": {str(world.experiment.pk): {"row_ids": ["e1", generated]}},
        "dataset": {str(world.dataset.pk): {"row_ids": ["d1"]}},
        "project_logs": {str(world.project.pk): {"row_ids": ["l1"]}},
    }
    assert world.rows(world.experiment)["e1"]["scores"] == {"accuracy": 1}
    assert world.rows(world.experiment)[generated]["input"] == "no id"
    assert world.rows(world.dataset)["d1"]["expected"] == "a"
    assert world.rows(world.project)["l1"]["metadata"] == {"user": "u"}


def test_events_are_written_before_feedback_so_feedback_may_name_a_row_of_the_same_request(world):
    body = body_for(
        world,
        experiment={"events": [{"id": "new", "input": 1}], "feedback": [{"id": "new", "scores": {"helpful": 0.5}, "comment": "ok"}]},
        logs={"feedback": [{"id": "seed", "tags": ["reviewed"]}]},
    )
    response = world.client().post(INSERT, body)
    assert response.status_code == 200, response.content
    assert response.json()["project_logs"] == {str(world.project.pk): {"row_ids": []}}
    row = world.rows(world.experiment)["new"]
    assert row["scores"] == {"helpful": 0.5} and [c["comment"] for c in row["comments"]] == ["ok"]
    assert world.rows(world.project)["seed"]["tags"] == ["reviewed"]
    assert EventFeedback.objects.count() == 2


def test_an_empty_body_or_null_kinds_write_nothing_and_answer_an_empty_object(world):
    client = world.client()
    before = data_counts()
    assert client.raw_post(INSERT, "").json() == {}
    assert client.post(INSERT, {}).json() == {}
    assert client.post(INSERT, {"experiment": None, "dataset": {}, "project_logs": None}).json() == {}
    assert data_counts() == before


def test_a_logging_service_account_writes_logs_through_the_cross_object_insert(world):
    robot = service_account_create(actor=world.owner, org=world.org, name="logger")
    grant(world.org, Node("project_log", world.project.pk), user=robot, permission="update")
    _, token = service_token_create(actor=world.owner, org=world.org, account_id=robot.pk, name="logging")
    response = ApiClient(token).post(INSERT, body_for(world, logs={"events": [{"id": "from-robot", "input": 1}]}))
    assert response.status_code == 200, response.content
    assert "from-robot" in world.rows(world.project)


# Refused whole


def test_one_object_the_caller_sees_but_may_not_update_refuses_the_whole_request_with_403(world):
    viewer = add_member(world.org, None, "viewers")
    grant(world.org, Node("project_log", world.project.pk), user=viewer, permission="update")
    body = body_for(world, logs={"events": [{"id": "l", "input": 1}]}, experiment={"events": [{"id": "e", "input": 1}]})
    client = world.client(viewer)
    response = refused(lambda: client.post(INSERT, body), 403, "update")
    assert error(response)["missing_permission"] == "update"


def _missing_experiment(world):
    return "experiment", uuid.uuid4()


def _deleted_dataset(world):
    return "dataset", DatasetFactory(project=world.project, deleted_at=timezone.now()).pk


def _other_orgs_experiment(world):
    return "experiment", ExperimentFactory(project=ProjectFactory(org=OrganizationFactory())).pk


def _invisible_experiment(world):
    return "experiment", world.experiment.pk


@pytest.mark.parametrize("named", [_missing_experiment, _deleted_dataset, _other_orgs_experiment, _invisible_experiment])
def test_an_object_the_caller_holds_nothing_on_refuses_the_whole_request_as_not_found(world, named):
    caller = add_member(world.org)
    grant(world.org, Node("project_log", world.project.pk), user=caller, permission="update")
    kind, object_id = named(world)
    body = {"project_logs": {str(world.project.pk): {"events": [{"input": 1}]}}, kind: {str(object_id): {"events": [{"input": 2}]}}}
    client = world.client(caller)
    response = refused(lambda: client.post(INSERT, body), 404)
    assert error(response)["message"] == f"No {kind} with id {object_id} was found."


def test_logs_of_a_project_of_another_organization_are_not_found_as_that_project(world):
    other, client = ProjectFactory(org=OrganizationFactory()), world.client()
    response = refused(lambda: client.post(INSERT, {"project_logs": {str(other.pk): {"events": [{"input": 1}]}}}), 404)
    assert error(response)["message"] == f"No project with id {other.pk} was found."


def test_a_bad_item_of_a_later_object_writes_nothing_into_the_earlier_ones(world):
    body = body_for(world, experiment={"events": [{"id": "kept?", "input": 1}]}, logs={"feedback": [{"id": "no-such-row", "comment": "?"}]})
    client = world.client()
    refused(lambda: client.post(INSERT, body), 400, "No rows with these ids: no-such-row.")
    assert "kept?" not in world.rows(world.experiment)


def test_without_a_credential_it_answers_401_and_writes_nothing(world):
    refused(lambda: ApiClient().post(INSERT, body_for(world, logs={"events": [{"input": 1}]})), 401)


# Bad input names the path of the field


def _e(world) -> str:
    return f"experiment.{world.experiment.pk}"


_BAD_BODIES = [
    (lambda w: {"experiments": {}}, lambda w: "experiments: unknown field"),
    (lambda w: {"experiment": []}, lambda w: "experiment: must be a JSON object or null."),
    (lambda w: {"dataset": {"not-an-id": {}}}, lambda w: "dataset: 'not-an-id' is not an id"),
    (lambda w: {"project_logs": {"7": {}}}, lambda w: "project_logs: '7' is not an id: the keys of project_logs are project ids"),
    (lambda w: body_for(w, experiment=[]), lambda w: f"{_e(w)}: must be a JSON object or null."),
    (lambda w: body_for(w, experiment={"rows": []}), lambda w: f"{_e(w)}.rows: unknown field"),
    (lambda w: body_for(w, experiment={"events": {"id": "x"}}), lambda w: f"{_e(w)}.events: must be a list or null."),
    (lambda w: body_for(w, experiment={"feedback": "x"}), lambda w: f"{_e(w)}.feedback: must be a list or null."),
    (
        lambda w: body_for(w, experiment={"events": [{"input": 1}, {"input": 2}, {"scores": {"accuracy": "high"}}]}),
        lambda w: f"{_e(w)}.events[2].scores.accuracy: must be a number from 0 to 1",
    ),
    (lambda w: body_for(w, experiment={"events": [5]}), lambda w: f"{_e(w)}.events[0] must be a JSON object."),
    (
        lambda w: body_for(w, dataset={"events": [{"input": 1, "output": 2}]}),
        lambda w: f"dataset.{w.dataset.pk}.events[0].output: unknown field.",
    ),
    (
        lambda w: body_for(w, logs={"feedback": [{"comment": "who?"}]}),
        lambda w: f"project_logs.{w.project.pk}.feedback[0].id: is required",
    ),
    (
        lambda w: body_for(w, dataset={"feedback": [{"id": "seed", "scores": {"a": 1}}]}),
        lambda w: f"dataset.{w.dataset.pk}.feedback[0].scores: unknown field.",
    ),
    (lambda w: {"dataset": {"x" * 5000: {}}}, lambda w: f"dataset: '{'x' * 60}…' is not an id"),
    (
        lambda w: body_for(w, experiment={"events": [{"input": 1}, {"origin": {"object_type": "nope"}}]}),
        lambda w: f"{_e(w)}.events[1].origin needs object_type",
    ),
    (
        lambda w: body_for(w, logs={"events": [{"origin": {"object_type": "dataset", "object_id": str(uuid.UUID(int=7)), "id": "x"}}]}),
        lambda w: f"project_logs.{w.project.pk}.events[0].origin: no dataset with id {uuid.UUID(int=7)}.",
    ),
    (
        lambda w: {"experiment": {str(w.experiment.pk): {}, str(w.experiment.pk).upper(): {}}},
        lambda w: "name the same object; name it once.",
    ),
]


@pytest.mark.parametrize(("body", "message"), _BAD_BODIES)
def test_a_bad_body_answers_400_naming_the_path_of_the_field_and_writes_nothing(world, body, message):
    client = world.client()
    refused(lambda: client.post(INSERT, body(world)), 400, message(world))


def test_a_nul_character_deep_in_an_event_is_refused_naming_its_path(world):
    raw, client = json.dumps(body_for(world, experiment={"events": [{}, {}, {"input": {"q": "a\u0000b"}}]})), world.client()
    refused(lambda: client.raw_post(INSERT, raw), 400, f"{_e(world)}.events[2].input.q contains a NUL character")


@pytest.mark.parametrize("body", [[], "rows", 3])
def test_a_body_that_is_not_a_json_object_is_refused(world, body):
    client = world.client()
    refused(lambda: client.post(INSERT, body), 400, "The request body: must be a JSON object")


def test_more_items_than_one_request_takes_are_refused_before_any_is_checked(world, monkeypatch):
    monkeypatch.setattr("api.events.cross_object_body.MAX_EVENTS", 3)
    body = body_for(world, experiment={"events": [{"input": 1}, {"input": 2}]}, logs={"feedback": [{"id": "seed"}, {"bad": 1}]})
    client = world.client()
    refused(lambda: client.post(INSERT, body), 400, "Send at most 3 events and feedback items at a time.")


# Cost


def test_the_queries_do_not_grow_with_the_events_across_three_objects(world):
    client = world.client()

    def queries(count: int, start: int) -> int:
        def writes(prefix: str) -> dict:
            return {
                "events": [{"id": f"{prefix}{start + i}", "input": i, "tags": ["t"]} for i in range(count)],
                "feedback": [{"id": "seed", "comment": str(i)} for i in range(count)],
            }

        body = body_for(world, experiment=writes("e"), dataset=writes("d"), logs=writes("l"))
        with CaptureQueriesContext(connection) as captured:
            response = client.post(INSERT, body)
        assert response.status_code == 200, response.content
        return len(captured)

    queries(1, 0)  # warm the per-process caches
    assert queries(1, 100) == queries(40, 200)


# The published schema


def test_the_schema_describes_braintrusts_cross_object_insert():
    schema = ApiClient().get("/v1/openapi.json", {"format": "json"}).json()
    operation = schema["paths"]["/v1/insert"]["post"]
    assert operation["operationId"] == "postCrossObjectInsert" and operation["tags"] == ["CrossObject"]
    components = schema["components"]["schemas"]
    assert set(components["CrossObjectInsertRequest"]["properties"]) == {"experiment", "dataset", "project_logs"}
    assert set(components["CrossObjectInsertResponse"]["properties"]) == {"experiment", "dataset", "project_logs"}
    for name in ("Experiment", "Dataset", "ProjectLogs"):
        entry = components[f"CrossObjectInsert{name}Entry"]["properties"]
        assert set(entry) == {"events", "feedback"}
        assert entry["events"]["items"] == {"$ref": f"#/components/schemas/Insert{name}Event"}
        assert entry["feedback"]["items"] == {"$ref": f"#/components/schemas/Feedback{name}Item"}
