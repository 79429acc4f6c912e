"""``/v1/dataset``: every endpoint for every kind of caller, bad input and query counts; what it shares with
``/v1/experiment`` is tested for both in ``test_project_objects.py``."""

import uuid

import pytest
from django.utils import timezone

from permissions.engine import Node, can
from permissions.models import AclGrant, AuditEvent
from permissions.services.roles import system_role
from projects.models import Dataset
from tests.access_helpers import audit_actions, grant, row_counts
from tests.api_helpers import ApiClient, api_client_for
from tests.assertions import MOVE_TO_ANOTHER_PROJECT, assert_refused_without_writing, error, ids, names, not_found
from tests.factories import DatasetFactory, OrganizationFactory, ProjectFactory, add_member, owner_of
from tests.query_helpers import assert_one_and_thirty_cost_the_same
from tests.worlds import CREATORS, DELETERS, UPDATERS, ProjectWorld, project_world

pytestmark = pytest.mark.django_db

DATASET_FIELDS = {"id", "project_id", "name", "description", "created", "deleted_at", "user_id", "tags", "metadata", "url_slug"}


@pytest.fixture(scope="module")
def built_world(module_db) -> ProjectWorld:
    return project_world("dataset")


def _post(world: ProjectWorld, who: str | ApiClient, **body):
    """POST /v1/dataset into the world's first project, as `who` (a caller's name, or a client made beforehand)."""
    client = world.client(who) if isinstance(who, str) else who
    return client.post("/v1/dataset", {"project_id": str(world.project.pk), **body})


# The JSON shape


def test_dataset_json_has_braintrust_fields(world):
    response = _post(world, "owner", name="Golden Set v2", description="d", metadata={"source": "prod"}, tags=["gold"])
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == DATASET_FIELDS
    created = Dataset.objects.get(name="Golden Set v2")
    assert (body["id"], body["project_id"]) == (str(created.pk), str(world.project.pk))
    assert (body["name"], body["description"], body["url_slug"]) == ("Golden Set v2", "d", "golden-set-v2")
    assert (body["metadata"], body["tags"]) == ({"source": "prod"}, ["gold"])
    assert (body["user_id"], body["deleted_at"]) == (str(world.callers["owner"].pk), None)
    assert body["created"].startswith(str(created.created.year))


def test_url_slug_of_a_name_without_letters_or_digits_is_the_id(world):
    dataset = world.make(name="???")
    assert world.client("owner").get(f"/v1/dataset/{dataset.pk}").json()["url_slug"] == str(dataset.pk)


def test_published_schema_describes_dataset_as_the_endpoints_answer_it():
    schema = ApiClient().get("/v1/openapi.json", {"format": "json"}).json()
    assert set(schema["components"]["schemas"]["Dataset"]["properties"]) == DATASET_FIELDS
    assert set(schema["components"]["schemas"]["CreateDataset"]["properties"]) == {"project_id", "name", "description", "tags", "metadata"}
    operations = {method: op["operationId"] for method, op in schema["paths"]["/v1/dataset"].items()}
    assert operations == {"get": "getDataset", "post": "postDataset"}
    detail = {method: op["operationId"] for method, op in schema["paths"]["/v1/dataset/{dataset_id}"].items()}
    assert detail == {"get": "getDatasetId", "patch": "patchDatasetId", "delete": "deleteDatasetId"}


# Listing


def _everything(world: ProjectWorld) -> dict[str, Dataset]:
    return {
        "in_p": world.make(name="Also in P"),
        "in_q": world.make(world.other_project, name="In Q"),
        "foreign": world.make(world.foreign_project, name="Foreign"),
    }


def test_list_is_newest_first_and_pages_with_a_cursor(world):
    _everything(world)
    client = world.client("owner")
    everything = client.get("/v1/dataset").json()["objects"]
    assert [d["created"] for d in everything] == sorted((d["created"] for d in everything), reverse=True)
    first = client.get("/v1/dataset", {"limit": 2}).json()["objects"]
    rest = client.get("/v1/dataset", {"starting_after": first[-1]["id"]}).json()["objects"]
    assert [d["id"] for d in first + rest] == [d["id"] for d in everything]
    assert client.get("/v1/dataset", {"ending_before": rest[0]["id"]}).json()["objects"] == first


def test_list_filters_by_name_project_and_ids(world):
    made = _everything(world)
    client = world.client("owner")
    assert ids(client.get("/v1/dataset", {"dataset_name": "Target"})) == {str(world.target.pk)}
    assert names(client.get("/v1/dataset", {"project_id": str(world.other_project.pk)})) == {"In Q"}
    assert names(client.get("/v1/dataset", {"project_name": "Project P"})) == {"Target", "Also in P"}
    wanted = [str(world.target.pk), str(made["in_q"].pk)]
    assert ids(client.client.get("/v1/dataset", {"ids": wanted})) == set(wanted)
    assert ids(client.get("/v1/dataset", {"ids": str(made["foreign"].pk)})) == set()


@pytest.mark.parametrize("params", [{"ids": "x"}, {"limit": "many"}, {"ending_before": "x"}, {"project_id": "p"}, {"org_name": "Nowhere"}])
def test_list_with_malformed_parameters_answers_400(world, params):
    response = world.client("owner").get("/v1/dataset", params)
    assert response.status_code == 400
    assert error(response)["status"] == 400


def test_list_costs_the_same_number_of_queries_for_one_and_thirty_datasets():
    org = OrganizationFactory()
    projects = [ProjectFactory(org=org), ProjectFactory(org=org)]
    holder = add_member(org)
    for n in range(30):
        dataset = DatasetFactory(project=projects[n % 2], metadata={"n": n}, tags=["t"])
        grant(org, dataset, user=holder, permission="read")
    viewer = add_member(org, None, "viewers")
    assert_one_and_thirty_cost_the_same("/v1/dataset", org, (owner_of(org), viewer, holder), at_most=10)


def test_list_restricted_in_the_database_agrees_with_the_engine_for_each_dataset(world):
    _everything(world)
    for who in ("group_grant", "object_grant", "viewer", "no_grant"):
        expected = {
            str(d.pk) for d in Dataset.objects.filter(project__org=world.org) if can(world.callers[who], "read", Node("dataset", d.pk))
        }
        assert ids(world.client(who).get("/v1/dataset")) == expected, who


# Reading one


def test_dataset_id_that_is_not_a_uuid_answers_400(world):
    response = world.client("owner").get("/v1/dataset/123")
    assert response.status_code == 400
    assert "dataset_id must be a UUID" in error(response)["message"]


# Creating


@pytest.mark.parametrize("who", CREATORS)
def test_callers_who_may_create_datasets_create_one_and_own_it(world, who):
    response = _post(world, who, name="New", description="d")
    assert response.status_code == 200, response.content
    created = Dataset.objects.get(project=world.project, name="New")
    assert response.json()["id"] == str(created.pk)
    assert (created.description, created.created_by) == ("d", world.callers[who])
    assert AclGrant.objects.filter(object_type="dataset", object_id=created.pk, user=world.callers[who], role=system_role("owner")).exists()
    assert audit_actions()[-1] == "dataset.create"


def test_experiment_creator_without_dataset_create_cannot_create_a_dataset(world):
    experimenter = add_member(world.org)
    grant(world.org, world.project, user=experimenter, permission="create", restrict="experiment")
    grant(world.org, world.project, user=experimenter, permission="read")
    client = api_client_for(experimenter, world.org)
    response = assert_refused_without_writing(lambda: _post(world, client, name="New"), 403)
    assert error(response)["missing_permission"] == "create"


def test_principal_of_another_organization_creates_in_its_own_project(world):
    response = world.client("outsider").post("/v1/dataset", {"project_id": str(world.foreign_project.pk), "name": "Target"})
    assert response.status_code == 200
    assert response.json()["project_id"] == str(world.foreign_project.pk)


def test_post_with_an_existing_name_returns_that_dataset_unchanged(world):
    client = world.client("nested_group")
    before = row_counts()
    response = _post(world, client, name="Target", description="ignored", tags=["x"])
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["description"], response.json()["tags"]) == (str(world.target.pk), "", None)
    assert row_counts() == before


def test_same_name_in_another_project_is_another_dataset(world):
    response = world.client("owner").post("/v1/dataset", {"project_id": str(world.other_project.pk), "name": "Target"})
    assert response.status_code == 200
    assert response.json()["id"] != str(world.target.pk)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"project_id": str(uuid.uuid4())[:-1]}, "project_id: Must be a valid UUID."),
        ({"name": None}, "name: This field may not be null."),
        ({"name": ""}, "name: This field may not be blank."),
        ({"name": ["a"]}, "name: Not a valid string."),
        ({"name": "X", "description": 1}, "description: Not a valid string."),
        ({"name": "X", "tags": {"a": 1}}, "tags: Expected a list of items"),
        ({"name": "X", "metadata": 3}, "metadata: Expected a dictionary of items"),
        ({"name": "X", "ensure_new": True}, "ensure_new: Unknown field."),
        ({"name": "X", "dataset_id": str(uuid.uuid4())}, "dataset_id: Unknown field."),
    ],
)
def test_post_with_bad_input_answers_400_naming_the_problem_and_writes_nothing(world, body, message):
    client = world.client("owner")
    assert_refused_without_writing(lambda: _post(world, client, **body), 400, message)


def test_post_without_project_or_name_answers_400(world):
    client = world.client("owner")
    assert_refused_without_writing(lambda: client.post("/v1/dataset", {"name": "X"}), 400, "project_id: This field is required.")
    assert_refused_without_writing(lambda: _post(world, client), 400, "name: This field is required.")
    assert_refused_without_writing(lambda: client.post("/v1/dataset", "name"), 400, "must be a JSON object")


def test_post_into_a_missing_deleted_or_foreign_project_is_not_found(world):
    client = world.client("owner")
    world.other_project.deleted_at = timezone.now()
    world.other_project.save(update_fields=["deleted_at"])
    for project_id in (uuid.uuid4(), world.foreign_project.pk, world.other_project.pk):
        body = {"project_id": str(project_id), "name": "X"}
        response = assert_refused_without_writing(lambda body=body: client.post("/v1/dataset", body), 404)
        assert response.json() == not_found("project", project_id)


# Updating


@pytest.mark.parametrize("who", UPDATERS)
def test_callers_with_update_on_the_dataset_change_it(world, who):
    response = world.client(who).patch(f"/v1/dataset/{world.target.pk}", {"name": "Renamed v3", "description": "new", "tags": ["a"]})
    assert response.status_code == 200, response.content
    got = response.json()
    assert (got["name"], got["description"], got["tags"], got["url_slug"]) == ("Renamed v3", "new", ["a"], "renamed-v3")
    event = AuditEvent.objects.get(action="dataset.update")
    assert (event.before["name"], event.after["name"], event.actor) == ("Target", "Renamed v3", world.callers[who])


def test_patch_deep_merges_metadata_and_leaves_the_rest(world):
    world.target.metadata = {"source": {"system": "prod", "region": "eu"}, "keep": 1}
    world.target.description = "kept"
    world.target.save()
    response = world.client("owner").patch(f"/v1/dataset/{world.target.pk}", {"metadata": {"source": {"region": "us"}}})
    got = response.json()
    assert got["metadata"] == {"source": {"system": "prod", "region": "us"}, "keep": 1}
    assert (got["name"], got["description"]) == ("Target", "kept")


def test_patch_that_changes_nothing_records_no_event(world):
    client = world.client("owner")
    before = row_counts()
    assert client.patch(f"/v1/dataset/{world.target.pk}", {"name": None, "tags": None}).status_code == 200
    assert row_counts() == before


def test_viewer_cannot_update_the_dataset(world):
    client = world.client("viewer")
    response = assert_refused_without_writing(lambda: client.patch(f"/v1/dataset/{world.target.pk}", {"name": "X"}), 403)
    assert error(response)["missing_permission"] == "update"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": ""}, "name: This field may not be blank."),
        ({"name": 1}, "name: Not a valid string."),
        ({"name": "Taken"}, "already exists"),
        ({"tags": "a"}, "tags: Expected a list of items"),
        ({"metadata": []}, "metadata: Expected a dictionary of items"),
        MOVE_TO_ANOTHER_PROJECT,
    ],
)
def test_patch_with_bad_input_answers_400_naming_the_problem_and_writes_nothing(world, body, message):
    world.make(name="Taken")
    client = world.client("owner")
    assert_refused_without_writing(lambda: client.patch(f"/v1/dataset/{world.target.pk}", body), 400, message)


# Deleting


@pytest.mark.parametrize("who", DELETERS)
def test_callers_with_delete_on_the_dataset_delete_it_and_get_it_back(world, who):
    client = world.client(who)
    response = client.delete(f"/v1/dataset/{world.target.pk}")
    assert response.status_code == 200, response.content
    assert (response.json()["id"], response.json()["name"]) == (str(world.target.pk), "Target")
    assert response.json()["deleted_at"] is not None
    assert audit_actions()[-1] == "dataset.delete"
    assert str(world.target.pk) not in ids(client.get("/v1/dataset"))
    assert client.get(f"/v1/dataset/{world.target.pk}").json() == not_found("dataset", world.target.pk)


def test_deleted_dataset_can_no_longer_be_linked_to_an_experiment(world):
    client = world.client("owner")
    client.delete(f"/v1/dataset/{world.target.pk}")
    body = {"project_id": str(world.project.pk), "dataset_id": str(world.target.pk)}
    assert_refused_without_writing(lambda: client.post("/v1/experiment", body), 400, "No such dataset")
