"""``/v1/experiment``: every endpoint for every kind of caller, links across projects, bad input, other
organizations and query counts; what it shares with ``/v1/dataset`` is tested for both in
``test_project_objects.py``."""

import uuid

import pytest
from django.utils import timezone

from permissions.engine import Node, can
from permissions.exceptions import AccessDenied
from permissions.models import AclGrant, AuditEvent
from permissions.services.roles import system_role
from projects.models import Experiment
from projects.services.experiments import experiment_create
from tests.access_helpers import audit_actions, grant, grant_many, row_counts
from tests.api_helpers import ApiClient, api_client_for
from tests.assertions import (
    BAD_RENAMES,
    MOVE_TO_ANOTHER_PROJECT,
    assert_non_object_bodies_refused,
    assert_refused_without_writing,
    error,
    ids,
    names,
    not_found,
)
from tests.factories import DatasetFactory, ExperimentFactory, OrganizationFactory, ProjectFactory, add_member, owner_of
from tests.query_helpers import assert_one_and_thirty_cost_the_same
from tests.worlds import CREATORS, DELETERS, UPDATERS, ProjectWorld, creator_client, project_world

pytestmark = pytest.mark.django_db

EXPERIMENT_FIELDS = {
    "id",
    "project_id",
    "name",
    "description",
    "created",
    "repo_info",
    "commit",
    "base_exp_id",
    "deleted_at",
    "dataset_id",
    "dataset_version",
    "internal_metadata",
    "parameters_id",
    "parameters_version",
    "public",
    "user_id",
    "metadata",
    "tags",
}


@pytest.fixture(scope="module")
def built_world(module_db) -> ProjectWorld:
    return project_world("experiment")


def _post(world: ProjectWorld, who: str | ApiClient, **body):
    """POST /v1/experiment into the world's first project, as `who` (a caller's name, or a client made beforehand)."""
    client = world.client(who) if isinstance(who, str) else who
    return client.post("/v1/experiment", {"project_id": str(world.project.pk), **body})


def _linker(world: ProjectWorld):
    """A member who may create experiments in the first project and read nothing else."""
    linker = add_member(world.org)
    grant_many(world.org, world.project, ("create", "read", "update"), user=linker, restrict="experiment")
    return linker, api_client_for(linker, world.org)


# The JSON shape


def test_experiment_json_has_braintrust_fields(world):
    dataset = DatasetFactory(project=world.project)
    base = world.make(name="Base")
    response = _post(
        world,
        "owner",
        name="Shaped",
        description="d",
        repo_info={"commit": "abc123", "branch": "main", "dirty": False},
        base_exp_id=str(base.pk),
        dataset_id=str(dataset.pk),
        dataset_version="1000192",
        public=True,
        metadata={"model": "gpt"},
        tags=["nightly"],
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == EXPERIMENT_FIELDS
    created = Experiment.objects.get(name="Shaped")
    assert body["id"] == str(created.pk)
    assert body["project_id"] == str(world.project.pk)
    assert (body["name"], body["description"], body["public"]) == ("Shaped", "d", True)
    assert body["commit"] == "abc123"
    assert body["repo_info"]["branch"] == "main"
    assert body["repo_info"]["dirty"] is False
    assert (body["base_exp_id"], body["dataset_id"], body["dataset_version"]) == (str(base.pk), str(dataset.pk), "1000192")
    assert (body["metadata"], body["tags"]) == ({"model": "gpt"}, ["nightly"])
    assert body["user_id"] == str(world.callers["owner"].pk)
    assert body["deleted_at"] is None
    assert (body["internal_metadata"], body["parameters_id"], body["parameters_version"]) == (None, None, None)
    assert body["created"].startswith(str(created.created.year))


def test_experiment_without_repo_info_has_no_commit(world):
    body = world.client("owner").get(f"/v1/experiment/{world.target.pk}").json()
    assert (body["repo_info"], body["commit"], body["public"], body["user_id"]) == (None, None, False, None)


def test_published_schema_describes_experiment_as_the_endpoints_answer_it():
    schema = ApiClient().get("/v1/openapi.json", {"format": "json"}).json()
    assert set(schema["components"]["schemas"]["Experiment"]["properties"]) == EXPERIMENT_FIELDS
    assert "ensure_new" in schema["components"]["schemas"]["CreateExperiment"]["properties"]
    operations = {method: op["operationId"] for method, op in schema["paths"]["/v1/experiment"].items()}
    assert operations == {"get": "getExperiment", "post": "postExperiment"}
    detail = {method: op["operationId"] for method, op in schema["paths"]["/v1/experiment/{experiment_id}"].items()}
    assert detail == {"get": "getExperimentId", "patch": "patchExperimentId", "delete": "deleteExperimentId"}


# Listing


def _everything(world: ProjectWorld) -> dict[str, object]:
    """Another experiment in each project of the organization, and one in the other organization."""
    return {
        "in_p": world.make(name="Also in P"),
        "in_q": world.make(world.other_project, name="In Q"),
        "foreign": world.make(world.foreign_project, name="Foreign"),
    }


def test_holder_of_an_object_grant_on_one_experiment_sees_only_it(world):
    _everything(world)
    response = world.client("object_grant").get("/v1/experiment", {"project_id": str(world.project.pk)})
    assert ids(response) == {str(world.target.pk)}


def test_list_is_newest_first_and_pages_with_a_cursor(world):
    _everything(world)
    client = world.client("owner")
    everything = client.get("/v1/experiment").json()["objects"]
    assert [e["created"] for e in everything] == sorted((e["created"] for e in everything), reverse=True)
    first = client.get("/v1/experiment", {"limit": 2}).json()["objects"]
    rest = client.get("/v1/experiment", {"starting_after": first[-1]["id"]}).json()["objects"]
    assert [e["id"] for e in first + rest] == [e["id"] for e in everything]
    assert client.get("/v1/experiment", {"ending_before": rest[0]["id"]}).json()["objects"] == first


def test_list_filters_by_name_project_and_ids(world):
    made = _everything(world)
    client = world.client("owner")
    assert ids(client.get("/v1/experiment", {"experiment_name": "Target"})) == {str(world.target.pk)}
    assert names(client.get("/v1/experiment", {"project_id": str(world.other_project.pk)})) == {"In Q"}
    assert names(client.get("/v1/experiment", {"project_name": "Project P"})) == {"Target", "Also in P"}
    wanted = [str(world.target.pk), str(made["in_q"].pk)]
    assert ids(client.client.get("/v1/experiment", {"ids": wanted})) == set(wanted)
    assert ids(client.get("/v1/experiment", {"ids": ",".join(wanted)})) == set(wanted)
    assert ids(client.get("/v1/experiment", {"ids": str(made["foreign"].pk)})) == set()


def test_list_with_org_name_of_another_organization_is_refused(world):
    assert world.client("owner").get("/v1/experiment", {"org_name": world.other_org.name}).status_code == 400
    assert world.client("owner").get("/v1/experiment", {"org_name": world.org.name}).status_code == 200


@pytest.mark.parametrize(
    "params", [{"ids": "not-a-uuid"}, {"limit": "many"}, {"starting_after": "x"}, {"limit": "-1"}, {"project_id": "p"}]
)
def test_list_with_malformed_parameters_answers_400(world, params):
    response = world.client("owner").get("/v1/experiment", params)
    assert response.status_code == 400
    assert error(response)["status"] == 400


def test_list_costs_the_same_number_of_queries_for_one_and_thirty_experiments():
    org = OrganizationFactory()
    project, other = ProjectFactory(org=org), ProjectFactory(org=org)
    holder = add_member(org)
    datasets = [DatasetFactory(project=other) for _ in range(3)]
    previous = None
    for n in range(30):
        previous = ExperimentFactory(
            project=project if n % 2 else other,
            repo_info={"commit": f"c{n}"},
            dataset=datasets[n % 3],
            base_exp=previous,
            tags=["t"],
        )
        grant(org, previous, user=holder, permission="read")
    viewer = add_member(org, None, "viewers")
    assert_one_and_thirty_cost_the_same("/v1/experiment", org, (owner_of(org), viewer, holder), at_most=10)


def test_list_restricted_in_the_database_agrees_with_the_engine_for_each_experiment(world):
    _everything(world)
    for who in ("group_grant", "object_grant", "viewer", "no_grant"):
        listed = ids(world.client(who).get("/v1/experiment"))
        expected = {
            str(e.pk)
            for e in Experiment.objects.filter(project__org=world.org)
            if can(world.callers[who], "read", Node("experiment", e.pk))
        }
        assert listed == expected, who


# Reading one


def test_experiment_id_that_is_not_a_uuid_answers_400(world):
    response = world.client("owner").get("/v1/experiment/not-a-uuid")
    assert response.status_code == 400
    assert "experiment_id must be a UUID" in error(response)["message"]


# Creating


@pytest.mark.parametrize("who", CREATORS)
def test_callers_who_may_create_experiments_create_one_and_own_it(world, who):
    response = _post(world, who, name="New", description="d", tags=["a"])
    assert response.status_code == 200, response.content
    created = Experiment.objects.get(project=world.project, name="New")
    assert response.json()["id"] == str(created.pk)
    assert (created.description, created.tags, created.created_by) == ("d", ["a"], world.callers[who])
    assert AclGrant.objects.filter(
        object_type="experiment", object_id=created.pk, user=world.callers[who], role=system_role("owner")
    ).exists()
    assert audit_actions()[-1] == "experiment.create"
    assert AuditEvent.objects.filter(action="experiment.create").count() == 1


def test_principal_of_another_organization_creates_in_its_own_project(world):
    response = world.client("outsider").post("/v1/experiment", {"project_id": str(world.foreign_project.pk), "name": "Target"})
    assert response.status_code == 200
    assert response.json()["project_id"] == str(world.foreign_project.pk)
    assert response.json()["id"] != str(world.target.pk)


def test_post_without_a_name_generates_one(world):
    first = _post(world, "owner").json()
    second = _post(world, "owner", name=None).json()
    assert (first["name"], second["name"]) == ("experiment-1", "experiment-2")


def test_post_with_an_existing_name_returns_that_experiment_unchanged(world):
    client = world.client("group_grant")
    before = row_counts()
    response = _post(world, client, name="Target", description="ignored", public=True)
    assert response.status_code == 200
    assert response.json()["id"] == str(world.target.pk)
    assert (response.json()["description"], response.json()["public"]) == ("", False)
    assert row_counts() == before


def test_post_with_ensure_new_makes_a_fresh_name_when_the_name_is_taken(world):
    first = _post(world, "owner", name="Target", ensure_new=True).json()
    second = _post(world, "owner", name="Target", ensure_new=True).json()
    free = _post(world, "owner", name="Untaken", ensure_new=True).json()
    assert (first["name"], second["name"], free["name"]) == ("Target-1", "Target-2", "Untaken")
    assert str(world.target.pk) not in {first["id"], second["id"]}
    assert Experiment.objects.filter(project=world.project).count() == 4


def test_ensure_new_fills_the_first_free_suffix_and_fits_the_name_column(world):
    world.make(name="Run-1")
    world.make(name="Run")
    assert _post(world, "owner", name="Run", ensure_new=True).json()["name"] == "Run-2"
    long = "x" * 255
    world.make(name=long)
    made = _post(world, "owner", name=long, ensure_new=True).json()["name"]
    assert made == "x" * 253 + "-1"


def test_deleted_experiment_frees_its_name(world):
    world.target.deleted_at = timezone.now()
    world.target.save(update_fields=["deleted_at"])
    response = _post(world, "owner", name="Target")
    assert response.status_code == 200
    assert response.json()["id"] != str(world.target.pk)


def test_ensure_new_beside_the_name_of_an_experiment_the_caller_cannot_read_makes_a_fresh_one(world):
    # That the plain post is refused without naming it: test_project_objects.py
    client = creator_client(world.org, world.project, "experiment")
    fresh = client.post("/v1/experiment", {"project_id": str(world.project.pk), "name": "Target", "ensure_new": True})
    assert fresh.json()["name"] == "Target-1"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "project_id: This field is required."),
        ({"project_id": "p"}, "project_id: Must be a valid UUID."),
        ({"project_id": 5}, "project_id: Must be a valid UUID."),
        ({"name": ""}, "name: This field may not be blank."),
        ({"name": 5}, "name: Not a valid string."),
        ({"name": "x" * 256}, "name: Ensure this field has no more than 255 characters."),
        ({"colour": "red"}, "colour: Unknown field."),
        ({"public": "yes"}, "public: Must be a valid boolean."),
        ({"ensure_new": 1}, "ensure_new: Must be a valid boolean."),
        ({"tags": "a"}, "tags: Expected a list of items"),
        ({"tags": [1]}, "tags: 0: Not a valid string."),
        ({"metadata": ["a"]}, "metadata: Expected a dictionary of items"),
        ({"repo_info": "main"}, "Expected a dictionary, but got str."),
        ({"repo_info": {"sha": "x"}}, "repo_info: sha: Unknown field."),
        ({"repo_info": {"dirty": "no"}}, "repo_info: dirty: Must be a valid boolean."),
        ({"dataset_id": "d"}, "dataset_id: Must be a valid UUID."),
        ({"base_exp_id": 3}, "base_exp_id: Must be a valid UUID."),
        ({"dataset_version": "1"}, "dataset_version needs a dataset_id"),
        ({"internal_metadata": {"dataset_filter": {}}}, "internal_metadata: Not supported by this server"),
        ({"parameters_id": str(uuid.uuid4())}, "parameters_id: Not supported by this server"),
        ({"parameters_version": "1"}, "parameters_version: Not supported by this server"),
        ({"org_id": str(uuid.uuid4())}, "org_id: Unknown field."),
    ],
)
def test_post_with_bad_input_answers_400_naming_the_problem_and_writes_nothing(world, body, message):
    client = world.client("owner")
    body = {"project_id": str(world.project.pk), **body} if "project_id" not in body and body else body
    assert_refused_without_writing(lambda: client.post("/v1/experiment", body), 400, message)


def test_post_with_bad_input_is_400_even_for_a_caller_who_may_not_create(world):
    client = world.client("no_grant")
    assert_refused_without_writing(lambda: _post(world, client, tags="a"), 400, "tags")


def test_post_accepts_the_unsupported_fields_as_null(world):
    response = _post(world, "owner", name="Nulls", internal_metadata=None, parameters_id=None, parameters_version=None)
    assert response.status_code == 200, response.content


def test_post_body_that_is_not_a_json_object_answers_400(world):
    assert_non_object_bodies_refused(world.client("owner"), "/v1/experiment")


def test_post_into_a_missing_deleted_or_foreign_project_is_not_found(world):
    client = world.client("owner")
    missing = uuid.uuid4()
    response = assert_refused_without_writing(lambda: client.post("/v1/experiment", {"project_id": str(missing)}), 404)
    assert response.json() == not_found("project", missing)
    foreign = world.foreign_project.pk
    response = assert_refused_without_writing(lambda: client.post("/v1/experiment", {"project_id": str(foreign)}), 404)
    assert response.json() == not_found("project", foreign)
    world.other_project.deleted_at = timezone.now()
    world.other_project.save(update_fields=["deleted_at"])
    deleted = world.other_project.pk
    response = assert_refused_without_writing(lambda: client.post("/v1/experiment", {"project_id": str(deleted)}), 404)
    assert response.json() == not_found("project", deleted)


# Links to datasets and base experiments


def test_experiment_links_a_dataset_of_another_project_the_creator_can_read(world):
    linker, client = _linker(world)
    dataset = DatasetFactory(project=world.other_project)
    grant(world.org, dataset, user=linker, permission="read")
    body = {"project_id": str(world.project.pk), "name": "Linked", "dataset_id": str(dataset.pk), "dataset_version": "7"}
    response = client.post("/v1/experiment", body)
    assert response.status_code == 200, response.content
    created = Experiment.objects.get(pk=response.json()["id"])
    assert (created.dataset, created.dataset_version) == (dataset, "7")


def test_experiment_links_a_base_experiment_of_another_project_the_creator_can_read(world):
    linker, client = _linker(world)
    base = world.make(world.other_project, name="Base")
    grant(world.org, world.other_project, user=linker, permission="read", restrict="experiment")
    response = client.post("/v1/experiment", {"project_id": str(world.project.pk), "base_exp_id": str(base.pk)})
    assert response.status_code == 200, response.content
    assert response.json()["base_exp_id"] == str(base.pk)


def _hidden_reference_message(client: ApiClient, project_id, field: str, object_id) -> str:
    body = {"project_id": str(project_id), field: str(object_id)}
    response = assert_refused_without_writing(lambda: client.post("/v1/experiment", body), 400)
    return error(response)["message"].replace(str(object_id), "<id>")


@pytest.mark.parametrize(("field", "object_type"), [("dataset_id", "dataset"), ("base_exp_id", "experiment")])
def test_link_to_an_object_the_creator_cannot_see_is_refused_exactly_like_a_missing_one(world, field, object_type):
    linker, client = _linker(world)
    factory = DatasetFactory if object_type == "dataset" else ExperimentFactory
    hidden = factory(project=world.other_project)
    foreign = factory(project=world.foreign_project)
    deleted = factory(project=world.other_project, deleted_at=timezone.now())
    grant(world.org, deleted, user=linker, permission="read")
    in_deleted_project = factory(project=ProjectFactory(org=world.org, deleted_at=timezone.now()))
    grant(world.org, in_deleted_project, user=linker, permission="read")
    missing = _hidden_reference_message(client, world.project.pk, field, uuid.uuid4())
    assert missing == f"{field}: No such {object_type} with id <id>."
    for refused in (hidden, foreign, deleted, in_deleted_project):
        assert _hidden_reference_message(client, world.project.pk, field, refused.pk) == missing


def test_link_to_another_organizations_dataset_is_refused_as_missing_even_for_an_owner(world):
    theirs = DatasetFactory(project=world.foreign_project)
    body = {"project_id": str(world.project.pk), "dataset_id": str(theirs.pk)}
    client = world.client("owner")
    assert_refused_without_writing(lambda: client.post("/v1/experiment", body), 400, "No such dataset")


@pytest.mark.parametrize(("field", "object_type"), [("dataset_id", "dataset"), ("base_exp_id", "experiment")])
def test_link_to_an_object_seen_but_not_readable_is_refused_naming_read(world, field, object_type):
    linker, client = _linker(world)
    factory = DatasetFactory if object_type == "dataset" else ExperimentFactory
    seen = factory(project=world.other_project)
    grant(world.org, seen, user=linker, permission="update")
    body = {"project_id": str(world.project.pk), field: str(seen.pk)}
    response = assert_refused_without_writing(lambda: client.post("/v1/experiment", body), 403)
    assert error(response)["missing_permission"] == "read"
    assert field in error(response)["message"]


def test_patch_to_link_a_readable_dataset_of_another_project_replaces_the_link_and_its_version(world):
    linker, client = _linker(world)
    old, new = DatasetFactory(project=world.project), DatasetFactory(project=world.other_project)
    world.target.dataset, world.target.dataset_version = old, "1"
    world.target.save()
    grant(world.org, world.target, user=linker, permission="update")
    grant(world.org, new, user=linker, permission="read")
    response = client.patch(f"/v1/experiment/{world.target.pk}", {"dataset_id": str(new.pk)})
    assert response.status_code == 200, response.content
    assert (response.json()["dataset_id"], response.json()["dataset_version"]) == (str(new.pk), None)
    response = client.patch(f"/v1/experiment/{world.target.pk}", {"dataset_version": "9"})
    assert response.json()["dataset_version"] == "9"


def test_patch_keeping_a_link_the_caller_cannot_read_is_not_checked_again(world):
    _, client = _linker(world)
    dataset = DatasetFactory(project=world.other_project)
    world.target.dataset = dataset
    world.target.save()
    response = client.patch(f"/v1/experiment/{world.target.pk}", {"dataset_id": str(dataset.pk), "description": "kept"})
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("field", ["dataset_id", "base_exp_id"])
def test_patch_linking_what_the_caller_cannot_read_is_refused_and_writes_nothing(world, field):
    linker, client = _linker(world)
    factory = DatasetFactory if field == "dataset_id" else ExperimentFactory
    hidden, seen, foreign = (
        factory(project=world.other_project),
        factory(project=world.other_project),
        factory(project=world.foreign_project),
    )
    grant(world.org, seen, user=linker, permission="delete")
    path = f"/v1/experiment/{world.target.pk}"
    for refused in (hidden, foreign):
        assert_refused_without_writing(lambda refused=refused: client.patch(path, {field: str(refused.pk), "name": "X"}), 400, "No such")
    response = assert_refused_without_writing(lambda: client.patch(path, {field: str(seen.pk), "name": "X"}), 403)
    assert error(response)["missing_permission"] == "read"
    world.target.refresh_from_db()
    assert world.target.name == "Target"


def test_experiment_cannot_be_its_own_base(world):
    client = world.client("owner")
    path = f"/v1/experiment/{world.target.pk}"
    assert_refused_without_writing(lambda: client.patch(path, {"base_exp_id": str(world.target.pk)}), 400, "its own base")


def test_patch_dataset_version_without_a_linked_dataset_is_refused(world):
    client = world.client("owner")
    assert_refused_without_writing(
        lambda: client.patch(f"/v1/experiment/{world.target.pk}", {"dataset_version": "3"}), 400, "needs a dataset_id"
    )


# Updating


@pytest.mark.parametrize("who", UPDATERS)
def test_callers_with_update_on_the_experiment_change_it(world, who):
    body = {"name": "Renamed", "description": "new", "public": True, "tags": ["x"], "repo_info": {"commit": "c1"}}
    response = world.client(who).patch(f"/v1/experiment/{world.target.pk}", body)
    assert response.status_code == 200, response.content
    got = response.json()
    assert (got["name"], got["description"], got["public"], got["tags"], got["commit"]) == ("Renamed", "new", True, ["x"], "c1")
    world.target.refresh_from_db()
    assert (world.target.name, world.target.public) == ("Renamed", True)
    event = AuditEvent.objects.get(action="experiment.update")
    assert (event.before["name"], event.after["name"], event.actor) == ("Target", "Renamed", world.callers[who])


def test_patch_deep_merges_metadata_and_repo_info_and_leaves_the_rest(world):
    world.target.metadata = {"model": {"name": "a", "size": 1}, "keep": True}
    world.target.repo_info = {"commit": "c0", "branch": "main"}
    world.target.tags = ["t"]
    world.target.save()
    response = world.client("owner").patch(
        f"/v1/experiment/{world.target.pk}", {"metadata": {"model": {"size": 2}, "new": 1}, "repo_info": {"commit": "c1"}}
    )
    got = response.json()
    assert got["metadata"] == {"model": {"name": "a", "size": 2}, "keep": True, "new": 1}
    assert (got["repo_info"]["commit"], got["repo_info"]["branch"], got["commit"]) == ("c1", "main", "c1")
    assert (got["name"], got["tags"]) == ("Target", ["t"])


def test_patch_that_changes_nothing_records_no_event(world):
    client = world.client("owner")
    before = row_counts()
    response = client.patch(f"/v1/experiment/{world.target.pk}", {"name": "Target", "description": None})
    assert response.status_code == 200
    assert row_counts() == before


@pytest.mark.parametrize("who", ["viewer"])
def test_readers_cannot_update_the_experiment(world, who):
    client = world.client(who)
    response = assert_refused_without_writing(lambda: client.patch(f"/v1/experiment/{world.target.pk}", {"name": "X"}), 403)
    assert error(response)["missing_permission"] == "update"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        *BAD_RENAMES,
        ({"name": "Taken"}, "already exists"),
        ({"public": "true"}, "public: Must be a valid boolean."),
        ({"tags": [None]}, "tags: 0: This field may not be null."),
        ({"metadata": "m"}, "metadata: Expected a dictionary of items"),
        MOVE_TO_ANOTHER_PROJECT,
        ({"ensure_new": True}, "ensure_new: Unknown field."),
        ({"parameters_version": "2"}, "parameters_version: Not supported by this server"),
        ({"dataset_id": "nope"}, "dataset_id: Must be a valid UUID."),
    ],
)
def test_patch_with_bad_input_answers_400_naming_the_problem_and_writes_nothing(world, body, message):
    world.make(name="Taken")
    client = world.client("owner")
    assert_refused_without_writing(lambda: client.patch(f"/v1/experiment/{world.target.pk}", body), 400, message)


def test_patch_of_an_experiment_of_another_organization_is_not_found_and_writes_nothing(world):
    theirs = world.make(world.foreign_project)
    client = world.client("owner")
    assert_refused_without_writing(lambda: client.patch(f"/v1/experiment/{theirs.pk}", {"name": "X"}), 404)


# Deleting


@pytest.mark.parametrize("who", DELETERS)
def test_callers_with_delete_on_the_experiment_delete_it_and_get_it_back(world, who):
    client = world.client(who)
    response = client.delete(f"/v1/experiment/{world.target.pk}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["name"]) == (str(world.target.pk), "Target")
    assert body["deleted_at"] is not None
    world.target.refresh_from_db()
    assert world.target.deleted_at is not None
    assert audit_actions()[-1] == "experiment.delete"
    assert str(world.target.pk) not in ids(client.get("/v1/experiment"))
    assert client.get(f"/v1/experiment/{world.target.pk}").json() == not_found("experiment", world.target.pk)


def test_delete_of_a_missing_foreign_or_malformed_id(world):
    client = world.client("owner")
    theirs = world.make(world.foreign_project)
    assert_refused_without_writing(lambda: client.delete(f"/v1/experiment/{theirs.pk}"), 404)
    assert_refused_without_writing(lambda: client.delete(f"/v1/experiment/{uuid.uuid4()}"), 404)
    assert_refused_without_writing(lambda: client.delete("/v1/experiment/nope"), 400)


# The service on its own


def test_service_checks_create_before_looking_at_links(world):
    with pytest.raises(AccessDenied):
        experiment_create(actor=world.callers["viewer"], project=world.project, dataset_id=uuid.uuid4())
