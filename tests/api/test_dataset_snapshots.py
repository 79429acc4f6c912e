"""``/v1/dataset_snapshot``: who reads and writes snapshots (the dataset's read and update), what
``xact_id`` may name, names unique per dataset, bad input, query counts, and that fetching a dataset at
a snapshot's ``xact_id`` answers exactly the rows of that moment."""

import uuid
from dataclasses import dataclass
from functools import partial

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Organization, User
from projects.models import Dataset, DatasetSnapshot, EventVersion, Project
from tests.access_helpers import audit_actions, custom_group, grant, grant_many, nest
from tests.api_helpers import DEAD_CREDENTIALS, ApiClient, crud_calls
from tests.assertions import (
    assert_every_call_refused_without_writing,
    assert_hidden_as_if_missing,
    assert_refused_without_writing,
    listed_names,
    not_found,
    rows_of,
)
from tests.factories import (
    DatasetFactory,
    DatasetSnapshotFactory,
    OrganizationFactory,
    ProjectFactory,
    add_member,
    insert_as_owner,
    owner_of,
)
from tests.query_helpers import assert_one_and_thirty_cost_the_same
from tests.worlds import ActsAsCallers, callers_of, listed_for_each_caller

pytestmark = pytest.mark.django_db

FIELDS = {"id", "dataset_id", "name", "description", "xact_id", "created"}
READERS = ["owner", "engineer", "viewer", "group_grant", "nested_group", "object_grant"]
WRITERS = ["owner", "engineer", "group_grant", "nested_group", "object_grant"]


@dataclass
class World(ActsAsCallers):
    """An organization with two datasets (``object_grant`` holds read and update on ``dataset`` alone), a
    snapshot of each at its first transaction, and a second organization with a dataset of its own.
    ``group_grant`` holds read and update on the project's datasets through a custom group."""

    org: Organization
    other_org: Organization
    dataset: Dataset
    sibling: Dataset
    theirs: Dataset
    snapshot: DatasetSnapshot  # "v1", of dataset
    first_xact: int  # the dataset's first transaction
    callers: dict[str, User]


def _xact_of(dataset: Dataset) -> int:
    return EventVersion.objects.filter(object_id=dataset.pk).order_by("-xact_id").values_list("xact_id", flat=True).first()


@pytest.fixture(scope="module")
def built_world(module_db) -> World:
    org, other_org = OrganizationFactory(), OrganizationFactory()
    project = ProjectFactory(org=org, name="P")
    dataset, sibling = DatasetFactory(project=project, name="Questions"), DatasetFactory(project=project, name="Other")
    theirs = DatasetFactory(project=ProjectFactory(org=other_org))
    for holder in (dataset, sibling, theirs):
        insert_as_owner(holder, [{"id": "a", "input": "first"}])
    snapshot = DatasetSnapshotFactory(dataset=dataset, name="v1", xact_id=_xact_of(dataset))
    DatasetSnapshotFactory(dataset=sibling, name="sibling-v1", xact_id=_xact_of(sibling))
    DatasetSnapshotFactory(dataset=theirs, name="their-v1", xact_id=_xact_of(theirs))
    managers = custom_group(org, name="Dataset managers")
    grant_many(org, project, ("read", "update"), group=managers, restrict="dataset")
    inner = custom_group(org, name="Inner")
    nest(managers, inner)
    callers = callers_of(org, other_org, managers=managers, inner=inner, target=dataset)
    return World(org, other_org, dataset, sibling, theirs, snapshot, _xact_of(dataset), callers)


def _refused(call, status: int, message: str | None = None):
    """A refusal that also leaves every snapshot as it was; its answer's JSON."""
    return assert_refused_without_writing(call, status, message, also_unchanged=[partial(rows_of, DatasetSnapshot)]).json()


def _body(world: World, **fields) -> dict:
    return {"dataset_id": str(world.dataset.pk), "name": "v2", "xact_id": str(world.first_xact), **fields}


def _fetched(client: ApiClient, dataset: Dataset, version=None) -> dict[str, object]:
    params = {"version": str(version)} if version is not None else {}
    response = client.get(f"/v1/dataset/{dataset.pk}/fetch", params)
    assert response.status_code == 200, response.content
    return {event["id"]: event["input"] for event in response.json()["events"]}


# Shapes


def test_snapshot_json_has_braintrust_fields(world):
    body = world.client("viewer").get(f"/v1/dataset_snapshot/{world.snapshot.pk}").json()
    assert body == {
        "id": str(world.snapshot.pk),
        "dataset_id": str(world.dataset.pk),
        "name": "v1",
        "description": None,
        "xact_id": str(world.first_xact),
        "created": body["created"],
    }


def test_published_schema_names_the_snapshot_operations_as_braintrust_does():
    schema = ApiClient().get("/v1/openapi.json", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    assert set(components["DatasetSnapshot"]["properties"]) == FIELDS
    assert set(components["CreateDatasetSnapshot"]["required"]) == {"dataset_id", "name", "xact_id"}
    assert set(components["PatchDatasetSnapshot"]["properties"]) == {"name", "description"}
    collection = {method: op["operationId"] for method, op in schema["paths"]["/v1/dataset_snapshot"].items()}
    assert collection == {"get": "getDatasetSnapshot", "post": "postDatasetSnapshot", "put": "putDatasetSnapshot"}
    listed = {p["name"] for p in schema["paths"]["/v1/dataset_snapshot"]["get"]["parameters"]}
    assert listed == {"limit", "starting_after", "ending_before", "ids", "dataset_snapshot_name", "org_name"}


# The moment a snapshot names


def test_fetching_at_a_snapshot_answers_the_rows_of_that_moment_after_inserts_updates_and_deletes(world):
    insert_as_owner(world.dataset, [{"id": "b", "input": "second"}])
    client = world.client("owner")
    snapshot = client.post("/v1/dataset_snapshot", _body(world, name="before changes", xact_id=str(_xact_of(world.dataset)))).json()
    insert_as_owner(world.dataset, [{"id": "c", "input": "added later"}])
    insert_as_owner(world.dataset, [{"id": "a", "input": "changed later"}])
    insert_as_owner(world.dataset, [{"id": "b", "_object_delete": True}])
    reader = world.client("viewer")
    assert _fetched(reader, world.dataset) == {"a": "changed later", "c": "added later"}
    assert _fetched(reader, world.dataset, snapshot["xact_id"]) == {"a": "first", "b": "second"}
    assert _fetched(reader, world.dataset, world.first_xact) == {"a": "first"}


@pytest.mark.parametrize(
    ("xact_id", "message"),
    [
        ("abc", "xact_id: must be a transaction id"),
        ("-1", "xact_id: must be a transaction id"),
        ("1.5", "xact_id: must be a transaction id"),
        ("99999999999999999999", "xact_id: 99999999999999999999 is not a transaction of this dataset"),
        ("OTHER", "is not a transaction of this dataset (its latest is"),
        (5, "xact_id: Not a valid string."),
        ("", "xact_id: This field may not be blank."),
    ],
)
def test_an_xact_id_that_is_not_one_of_the_datasets_transactions_is_refused_naming_it(world, xact_id, message):
    if xact_id == "OTHER":
        insert_as_owner(world.sibling, [{"id": "z"}])
        xact_id = str(_xact_of(world.sibling))  # a transaction, but of another dataset
    client = world.client("owner")
    _refused(lambda: client.post("/v1/dataset_snapshot", _body(world, xact_id=xact_id)), 400, message)


def test_a_dataset_without_rows_has_no_moment_to_snapshot(world):
    empty = DatasetFactory(project=world.dataset.project)
    client = world.client("owner")
    body = {"dataset_id": str(empty.pk), "name": "v1", "xact_id": str(world.first_xact)}
    _refused(lambda: client.post("/v1/dataset_snapshot", body), 400, "xact_id: the dataset has no rows yet")


# Listing


ALL = {"v1", "sibling-v1"}


@pytest.mark.parametrize(("who", "expected"), listed_for_each_caller(ALL, one_object={"v1"}, outsider={"their-v1"}))
def test_list_shows_exactly_the_snapshots_of_datasets_the_caller_may_read(world, who, expected):
    assert listed_names(world.client(who).get("/v1/dataset_snapshot")) == expected


def test_list_filters_by_name_and_ids_and_leaves_out_deleted_datasets(world):
    client = world.client("owner")
    assert listed_names(client.get("/v1/dataset_snapshot", {"dataset_snapshot_name": "v1"})) == {"v1"}
    assert listed_names(client.get("/v1/dataset_snapshot", {"ids": str(world.snapshot.pk)})) == {"v1"}
    Dataset.objects.filter(pk=world.sibling.pk).update(deleted_at=timezone.now())
    assert listed_names(client.get("/v1/dataset_snapshot")) == {"v1"}
    Project.objects.filter(pk=world.dataset.project_id).update(deleted_at=timezone.now())
    assert listed_names(client.get("/v1/dataset_snapshot")) == set()
    assert client.get(f"/v1/dataset_snapshot/{world.snapshot.pk}").json() == not_found("dataset_snapshot", world.snapshot.pk)


@pytest.mark.parametrize("params", [{"ids": "x"}, {"limit": "many"}, {"ending_before": "x"}, {"org_name": "Elsewhere"}])
def test_list_with_malformed_parameters_answers_400(world, params):
    assert world.client("owner").get("/v1/dataset_snapshot", params).status_code == 400


def test_list_costs_the_same_number_of_queries_for_one_and_thirty_snapshots():
    org = OrganizationFactory()
    datasets = [DatasetFactory(project=ProjectFactory(org=org)) for _ in range(3)]
    granted = add_member(org)
    for dataset in datasets:
        grant(org, dataset, user=granted, permission="read")
    for n in range(30):
        DatasetSnapshotFactory(dataset=datasets[n % 3])
    users = (owner_of(org), add_member(org, None, "viewers"), granted)
    assert_one_and_thirty_cost_the_same("/v1/dataset_snapshot", org, users, at_most=6)


# Reading one


@pytest.mark.parametrize("who", READERS)
def test_callers_who_may_read_the_dataset_get_its_snapshots(world, who):
    assert world.client(who).get(f"/v1/dataset_snapshot/{world.snapshot.pk}").status_code == 200


@pytest.mark.parametrize("who", ["no_grant", "outsider"])
def test_callers_who_cannot_see_the_dataset_get_the_same_404_as_for_a_missing_id(world, who):
    client = world.client(who)
    assert_hidden_as_if_missing(client, "dataset_snapshot", world.snapshot.pk)
    _refused(lambda: client.patch(f"/v1/dataset_snapshot/{world.snapshot.pk}", {"name": "x"}), 404)
    _refused(lambda: client.delete(f"/v1/dataset_snapshot/{world.snapshot.pk}"), 404)
    _refused(lambda: client.post("/v1/dataset_snapshot", _body(world)), 404)


def test_a_snapshot_of_a_dataset_the_caller_cannot_see_is_not_found_even_to_an_object_grant(world):
    sibling_snapshot = DatasetSnapshot.objects.get(name="sibling-v1")
    answer = world.client("object_grant").get(f"/v1/dataset_snapshot/{sibling_snapshot.pk}").json()
    assert answer == not_found("dataset_snapshot", sibling_snapshot.pk)


# Writing


@pytest.mark.parametrize("who", WRITERS)
def test_callers_with_update_on_the_dataset_create_a_snapshot(world, who):
    response = world.client(who).post("/v1/dataset_snapshot", _body(world, description="Before the relabel"))
    assert response.status_code == 200, response.content
    assert set(response.json()) == FIELDS
    assert (response.json()["name"], response.json()["xact_id"], response.json()["description"]) == (
        "v2",
        str(world.first_xact),
        "Before the relabel",
    )
    assert audit_actions()[-1] == "dataset_snapshot.create"


def test_viewer_reads_but_cannot_create_rename_or_delete(world):
    client, path = world.client("viewer"), f"/v1/dataset_snapshot/{world.snapshot.pk}"
    calls = [
        lambda: client.post("/v1/dataset_snapshot", _body(world)),
        lambda: client.put("/v1/dataset_snapshot", _body(world, name="v1")),
        lambda: client.patch(path, {"name": "x"}),
        lambda: client.delete(path),
    ]
    for call in calls:
        assert _refused(call, 403)["error"]["missing_permission"] == "update"


def test_post_of_an_existing_name_answers_it_unmodified_even_to_a_viewer(world):
    insert_as_owner(world.dataset, [{"id": "b"}])
    body = _body(world, name="v1", xact_id=str(_xact_of(world.dataset)), description="new")
    for who in ("owner", "viewer"):
        response = world.client(who).post("/v1/dataset_snapshot", body)
        assert (response.status_code, response.json()["id"], response.json()["xact_id"]) == (
            200,
            str(world.snapshot.pk),
            str(world.first_xact),
        )


def test_put_replaces_the_description_and_moment_of_the_snapshot_of_that_name(world):
    insert_as_owner(world.dataset, [{"id": "b"}])
    latest = _xact_of(world.dataset)
    response = world.client("object_grant").put("/v1/dataset_snapshot", _body(world, name="v1", xact_id=str(latest)))
    assert (response.status_code, response.json()["id"], response.json()["xact_id"]) == (200, str(world.snapshot.pk), str(latest))
    assert audit_actions()[-1] == "dataset_snapshot.update"


def test_patch_renames_and_describes_and_delete_removes(world):
    client, path = world.client("object_grant"), f"/v1/dataset_snapshot/{world.snapshot.pk}"
    response = client.patch(path, {"name": "baseline", "description": "kept for the paper"})
    assert (response.json()["name"], response.json()["description"], response.json()["xact_id"]) == (
        "baseline",
        "kept for the paper",
        str(world.first_xact),
    )
    response = client.delete(path)
    assert (response.status_code, response.json()["name"]) == (200, "baseline")
    assert not DatasetSnapshot.objects.filter(pk=world.snapshot.pk).exists()
    assert audit_actions()[-2:] == ["dataset_snapshot.update", "dataset_snapshot.delete"]


def test_names_are_unique_in_a_dataset_but_not_across_datasets(world):
    client = world.client("owner")
    other = DatasetSnapshotFactory(dataset=world.dataset, name="other", xact_id=world.first_xact)
    taken = "name: a snapshot named 'v1' already exists in this dataset"
    _refused(lambda: client.patch(f"/v1/dataset_snapshot/{other.pk}", {"name": "v1"}), 400, taken)
    body = {"dataset_id": str(world.sibling.pk), "name": "v1", "xact_id": str(_xact_of(world.sibling))}
    assert client.post("/v1/dataset_snapshot", body).status_code == 200
    with pytest.raises(IntegrityError), transaction.atomic():
        DatasetSnapshot.objects.create(dataset=world.dataset, name="v1", xact_id=world.first_xact)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"dataset_id": "nope"}, "dataset_id: Must be a valid UUID."),
        ({"dataset_id": str(uuid.uuid4())}, "No dataset with id"),
        ({"name": ""}, "name: This field may not be blank."),
        ({"name": "x" * 256}, "name: Ensure this field has no more than 255"),
        ({"description": 3}, "description: Not a valid string."),
        ({"project_id": str(uuid.uuid4())}, "project_id: Unknown field."),
    ],
)
def test_create_with_bad_input_answers_4xx_naming_the_problem_and_writes_nothing(world, body, message):
    client = world.client("owner")
    status = 404 if message.startswith("No dataset") else 400
    _refused(lambda: client.post("/v1/dataset_snapshot", _body(world, **body)), status, message)


def test_patch_refuses_a_new_xact_id_and_nul_bytes(world):
    client, path = world.client("owner"), f"/v1/dataset_snapshot/{world.snapshot.pk}"
    _refused(lambda: client.patch(path, {"xact_id": "1"}), 400, "xact_id: Unknown field.")
    _refused(lambda: client.patch(path, {"name": "a\x00b"}), 400)


@pytest.mark.parametrize("credential", DEAD_CREDENTIALS)
def test_every_endpoint_answers_401_and_writes_nothing(world, credential):
    client = DEAD_CREDENTIALS[credential](world.callers["owner"], world.org)
    calls = crud_calls("/v1/dataset_snapshot", world.snapshot.pk, _body(world), _body(world), {"name": "y"})
    assert_every_call_refused_without_writing(client, calls, 401, refused=_refused)
