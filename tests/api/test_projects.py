"""``/v1/project``: every endpoint for every kind of caller, settings, soft deletion, bad input, other
organizations and query counts."""

import uuid
from dataclasses import dataclass
from functools import partial

import pytest
from django.utils import timezone

from accounts.models import Organization, User
from permissions.engine import Node
from permissions.models import AclGrant, PermissionGroup
from permissions.services.roles import system_role
from projects.models import Experiment, Project
from projects.services.objects import PROJECT_SETTINGS_FIELDS
from tests.access_helpers import audit_actions, custom_group, grant, grant_many, nest, row_counts
from tests.api_helpers import DEAD_CREDENTIALS, ApiClient, api_client_for, crud_calls
from tests.assertions import (
    BAD_NEW_NAMES,
    BAD_RENAMES,
    assert_every_call_refused_without_writing,
    assert_hidden_as_if_missing,
    assert_non_object_bodies_refused,
    assert_reads,
    assert_refused_without_writing,
    assert_taken_without_naming,
    error,
    listed_names,
    not_found,
)
from tests.factories import ExperimentFactory, OrganizationFactory, ProjectFactory, add_member
from tests.factories_configuration import ScorerFunctionFactory
from tests.query_helpers import assert_one_and_thirty_cost_the_same, projects_and_their_readers
from tests.worlds import READERS, ActsAsCallers, callers_of, creator_client, listed_for_each_caller

pytestmark = pytest.mark.django_db

PROJECT_FIELDS = {"id", "org_id", "name", "description", "created", "deleted_at", "user_id", "settings"}
CRUD = ("create", "read", "update", "delete")


@dataclass
class World(ActsAsCallers):
    """An organization with one caller of each kind, the project they act on, and a second organization."""

    org: Organization
    other_org: Organization
    target: Project  # the project the endpoints act on
    sibling: Project  # another project of the organization
    managers: PermissionGroup  # holds create, read, update and delete on all projects
    callers: dict[str, User]


@pytest.fixture(scope="module")
def built_world(module_db) -> World:
    org, other_org = OrganizationFactory(), OrganizationFactory()
    target = ProjectFactory(org=org, name="Target")
    sibling = ProjectFactory(org=org, name="Sibling")
    ProjectFactory(org=other_org, name="Theirs")
    managers = custom_group(org, name="Project managers")
    grant_many(org, Node("org_project", org.pk), CRUD, group=managers)
    inner = custom_group(org, name="Inner")
    nest(managers, inner)
    callers = callers_of(org, other_org, managers=managers, inner=inner, target=target)
    return World(org, other_org, target, sibling, managers, callers)


def _project_state(project: Project) -> tuple:
    return tuple(Project.objects.filter(pk=project.pk).values_list("name", "description", "settings", "deleted_at").get())


def _project_states() -> dict:
    return {p.pk: _project_state(p) for p in Project.objects.all()}


# A refusal here also leaves every project as it was, and its message is matched whatever its case.
_refused = partial(assert_refused_without_writing, ignore_case=True, also_unchanged=[_project_states])


def _assert_refused_without_writing(call, status: int, message: str | None = None) -> dict:
    return _refused(call, status, message).json()


# The JSON shape


def test_project_json_has_braintrust_fields(world):
    Project.objects.filter(pk=world.target.pk).update(description="the target", settings={"comparison_key": "input"})
    response = world.client("owner").get(f"/v1/project/{world.target.pk}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == PROJECT_FIELDS
    assert (body["id"], body["org_id"], body["name"]) == (str(world.target.pk), str(world.org.pk), "Target")
    assert (body["description"], body["settings"], body["deleted_at"], body["user_id"]) == (
        "the target",
        {"comparison_key": "input"},
        None,
        None,
    )
    assert body["created"].startswith(str(world.target.created.year))


def test_published_schema_describes_project_as_the_endpoints_answer_it():
    schema = ApiClient().get("/v1/openapi.json", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    assert set(components["Project"]["properties"]) == PROJECT_FIELDS
    assert set(components["PatchProject"]["properties"]) == {"name", "description", "user_id", "settings"}
    assert set(components["ProjectSettings"]["properties"]) == set(PROJECT_SETTINGS_FIELDS)
    operations = {method: op["operationId"] for method, op in schema["paths"]["/v1/project"].items()}
    assert operations == {"get": "getProject", "post": "postProject"}
    detail = {method: op["operationId"] for method, op in schema["paths"]["/v1/project/{project_id}"].items()}
    assert detail == {"get": "getProjectId", "patch": "patchProjectId", "delete": "deleteProjectId"}


# Listing


@pytest.mark.parametrize(("who", "visible"), listed_for_each_caller({"Target", "Sibling"}, one_object={"Target"}, outsider={"Theirs"}))
def test_list_shows_exactly_the_projects_the_caller_may_read(world, who, visible):
    assert listed_names(world.client(who).get("/v1/project")) == visible


def test_list_is_newest_first_and_pages_with_a_cursor(world):
    for n in range(3):
        ProjectFactory(org=world.org, name=f"Extra {n}")
    client = world.client("owner")
    everything = client.get("/v1/project").json()["objects"]
    assert [p["name"] for p in everything] == ["Extra 2", "Extra 1", "Extra 0", "Sibling", "Target"]
    first = client.get("/v1/project", {"limit": 2}).json()["objects"]
    rest = client.get("/v1/project", {"starting_after": first[-1]["id"]}).json()["objects"]
    assert [p["id"] for p in first + rest] == [p["id"] for p in everything]
    assert client.get("/v1/project", {"ending_before": rest[0]["id"]}).json()["objects"] == first


def test_list_filters_by_name_ids_and_organization_name(world):
    client = world.client("owner")
    assert listed_names(client.get("/v1/project", {"project_name": "Sibling"})) == {"Sibling"}
    assert listed_names(client.get("/v1/project", {"project_name": "Nope"})) == set()
    assert listed_names(client.client.get("/v1/project", {"ids": [str(world.target.pk), str(world.sibling.pk)]})) == {"Target", "Sibling"}
    assert listed_names(client.get("/v1/project", {"ids": str(world.sibling.pk)})) == {"Sibling"}
    assert listed_names(client.get("/v1/project", {"org_name": world.org.name})) == {"Target", "Sibling"}


def test_list_by_ids_does_not_reveal_projects_the_caller_cannot_read(world):
    response = world.client("object_grant").client.get("/v1/project", {"ids": [str(world.target.pk), str(world.sibling.pk)]})
    assert listed_names(response) == {"Target"}


def test_list_with_org_name_of_another_organization_is_refused(world):
    response = world.client("owner").get("/v1/project", {"org_name": world.other_org.name})
    assert response.status_code == 400


@pytest.mark.parametrize("params", [{"ids": "not-a-uuid"}, {"limit": "many"}, {"starting_after": "x"}, {"limit": "-1"}])
def test_list_with_malformed_parameters_answers_400(world, params):
    response = world.client("owner").get("/v1/project", params)
    assert response.status_code == 400
    assert error(response)["status"] == 400


def test_list_costs_the_same_number_of_queries_for_one_and_thirty_projects():
    org, _projects, readers = projects_and_their_readers(30)
    assert_one_and_thirty_cost_the_same("/v1/project", org, readers, at_most=6)


# Reading one


@pytest.mark.parametrize("who", READERS)
def test_callers_who_may_read_the_project_get_it(world, who):
    assert_reads(world.client(who), "project", world.target.pk)


@pytest.mark.parametrize("who", ["no_grant", "outsider"])
def test_callers_who_cannot_see_the_project_get_the_same_404_as_for_a_missing_id(world, who):
    assert_hidden_as_if_missing(world.client(who), "project", world.target.pk)


def test_object_grant_on_one_project_does_not_reach_another(world):
    assert world.client("object_grant").get(f"/v1/project/{world.sibling.pk}").json() == not_found("project", world.sibling.pk)


def test_holder_of_update_only_is_told_it_lacks_read(world):
    updater = add_member(world.org)
    grant(world.org, world.target, user=updater, permission="update")
    response = api_client_for(updater, world.org).get(f"/v1/project/{world.target.pk}")
    assert response.status_code == 403
    assert error(response)["missing_permission"] == "read"


def test_project_of_another_organization_is_not_found_even_for_an_owner(world):
    theirs = Project.objects.get(org=world.other_org)
    assert world.client("owner").get(f"/v1/project/{theirs.pk}").json() == not_found("project", theirs.pk)


def test_project_id_that_is_not_a_uuid_answers_400(world):
    response = world.client("owner").get("/v1/project/not-a-uuid")
    assert response.status_code == 400
    assert "project_id must be a UUID" in error(response)["message"]


# Creating (POST)


@pytest.mark.parametrize("who", ["owner", "engineer", "group_grant", "nested_group"])
def test_callers_who_may_create_projects_create_one_and_own_it(world, who):
    caller = world.callers[who]
    response = world.client(who).post("/v1/project", {"name": "New", "description": "fresh"})
    assert response.status_code == 200, response.content
    created = Project.objects.get(org=world.org, name="New")
    body = response.json()
    assert (body["id"], body["description"], body["user_id"], body["settings"]) == (str(created.pk), "fresh", str(caller.pk), None)
    assert AclGrant.objects.filter(object_type="project", object_id=created.pk, user=caller, role=system_role("owner")).exists()
    assert audit_actions()[-1] == "project.create"


def test_creator_gets_no_grant_when_the_organization_setting_is_off(world):
    Organization.objects.filter(pk=world.org.pk).update(create_direct_ownership_grants=False)
    response = world.client("engineer").post("/v1/project", {"name": "New"})
    assert response.status_code == 200
    assert not AclGrant.objects.filter(object_id=response.json()["id"]).exists()


@pytest.mark.parametrize(("who", "status"), [("viewer", 403), ("object_grant", 404), ("no_grant", 404)])
def test_callers_who_may_not_create_projects_are_refused_and_nothing_is_written(world, who, status):
    client = world.client(who)
    body = _assert_refused_without_writing(lambda: client.post("/v1/project", {"name": "New"}), status)
    if status == 403:
        assert body["error"]["missing_permission"] == "create"


def test_principal_of_another_organization_creates_in_its_own(world):
    response = world.client("outsider").post("/v1/project", {"name": "Target"})
    assert response.status_code == 200
    assert response.json()["org_id"] == str(world.other_org.pk)
    assert Project.objects.get(org=world.org, name="Target") == world.target


@pytest.mark.parametrize("who", ["owner", "viewer", "object_grant"])
def test_post_with_the_name_of_a_readable_project_returns_it_unchanged(world, who):
    client = world.client(who)
    before = row_counts()
    response = client.post("/v1/project", {"name": "Target", "description": "ignored"})
    assert response.status_code == 200, response.content
    assert (response.json()["id"], response.json()["description"]) == (str(world.target.pk), "")
    assert row_counts() == before


def test_post_with_the_name_of_a_project_the_caller_cannot_see_says_only_that_the_name_is_taken(world):
    client = creator_client(world.org, Node("org_project", world.org.pk))
    assert_taken_without_naming(lambda: client.post("/v1/project", {"name": "Sibling"}), world.sibling, refused=_refused)


def test_post_with_the_name_of_a_project_the_caller_may_neither_read_nor_create_is_not_found(world):
    client = world.client("object_grant")  # reads Target only: Sibling is neither returned nor creatable
    _assert_refused_without_writing(lambda: client.post("/v1/project", {"name": "Sibling"}), 404)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        *BAD_NEW_NAMES,
        ({"name": "x" * 256}, "name: Ensure this field has no more than 255 characters."),
        ({"name": "X", "description": 5}, "description: Not a valid string."),
        ({"name": "X", "settings": {}}, "settings: Unknown field."),
        ({"name": "X", "org_id": str(uuid.uuid4())}, "org_id: Unknown field."),
    ],
)
def test_post_with_bad_input_answers_400_naming_the_problem_and_writes_nothing(world, body, message):
    client = world.client("owner")
    _assert_refused_without_writing(lambda: client.post("/v1/project", body), 400, message)


def test_post_body_that_is_not_a_json_object_answers_400(world):
    assert_non_object_bodies_refused(world.client("owner"), "/v1/project", refused=_refused)


def test_post_naming_another_organization_is_refused(world):
    client = world.client("owner")
    _assert_refused_without_writing(lambda: client.post("/v1/project", {"name": "X", "org_name": world.other_org.name}), 400)


def test_post_of_a_name_made_meanwhile_is_answered_by_the_existing_project(world, monkeypatch):
    """Between the lookup and the insert, a concurrent request made the project: the caller gets that one."""
    from projects.services import registration

    original = registration.project_create

    def create_concurrently(**kwargs):
        ProjectFactory(org=world.org, name=kwargs["name"])
        return original(**kwargs)

    monkeypatch.setattr(registration, "project_create", create_concurrently)
    response = world.client("owner").post("/v1/project", {"name": "Raced"})
    assert response.status_code == 200
    assert response.json()["id"] == str(Project.objects.get(org=world.org, name="Raced").pk)


# Updating (PATCH)


@pytest.mark.parametrize("who", ["owner", "engineer", "group_grant", "nested_group", "object_grant"])
def test_callers_with_update_on_the_project_rename_describe_and_configure_it(world, who):
    body = {"name": "Renamed", "description": "new", "settings": {"comparison_key": "output"}}
    response = world.client(who).patch(f"/v1/project/{world.target.pk}", body)
    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["description"], response.json()["settings"]) == (
        "Renamed",
        "new",
        {"comparison_key": "output"},
    )
    assert _project_state(world.target)[:3] == ("Renamed", "new", {"comparison_key": "output"})
    assert audit_actions()[-1] == "project.update"


def test_patch_replaces_settings_whole(world):
    client = world.client("owner")
    path = f"/v1/project/{world.target.pk}"
    first = {"comparison_key": "input", "disable_realtime_queries": True, "remote_eval_sources": [{"url": "https://evals.example.com"}]}
    assert client.patch(path, {"settings": first}).json()["settings"] == first
    assert client.patch(path, {"settings": {"comparison_key": "expected"}}).json()["settings"] == {"comparison_key": "expected"}
    assert Project.objects.get(pk=world.target.pk).settings == {"comparison_key": "expected"}


def test_patch_without_settings_keeps_them_and_empty_settings_clear_them(world):
    client = world.client("owner")
    path = f"/v1/project/{world.target.pk}"
    client.patch(path, {"settings": {"comparison_key": "input"}})
    assert client.patch(path, {"description": "d"}).json()["settings"] == {"comparison_key": "input"}
    assert client.patch(path, {"settings": None}).json()["settings"] == {"comparison_key": "input"}
    assert client.patch(path, {"settings": {}}).json()["settings"] is None


def test_patch_accepts_every_setting_of_braintrust(world):
    experiment = ExperimentFactory(project=world.sibling)
    preprocessor = ScorerFunctionFactory(project=world.sibling)
    settings = {
        "comparison_key": "input",
        "baseline_experiment_id": str(experiment.pk),
        "spanFieldOrder": [
            {"object_type": "span", "column_id": "input", "position": "a", "layout": "full"},
            {"object_type": "span", "column_id": "output", "position": "b", "layout": None},
            {"object_type": "span", "column_id": "metadata", "position": "c"},
        ],
        "remote_eval_sources": [{"url": "http://localhost:8300", "name": "local", "description": None}],
        "disable_realtime_queries": False,
        "default_preprocessor": {"type": "function", "id": str(preprocessor.pk), "version": "1"},
    }
    assert set(settings) == set(PROJECT_SETTINGS_FIELDS), "every setting the service knows, each of Braintrust's"
    response = world.client("owner").patch(f"/v1/project/{world.target.pk}", {"settings": settings})
    assert response.status_code == 200, response.content
    assert response.json()["settings"] == settings
    global_preprocessor = {"default_preprocessor": {"type": "global", "name": "thread", "function_type": "preprocessor"}}
    response = world.client("owner").patch(f"/v1/project/{world.target.pk}", {"settings": global_preprocessor})
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("compact", "settings: Must be an object."),
        ([], "settings: Must be an object."),
        ({"colour": "red"}, "settings: unknown field 'colour'"),
        ({"comparison_key": 5}, "settings.comparison_key: must be a string."),
        ({"baseline_experiment_id": 5}, "settings.baseline_experiment_id: must be a string."),
        ({"baseline_experiment_id": "not-a-uuid"}, "no such experiment"),
        ({"baseline_experiment_id": "00000000-0000-0000-0000-000000000000"}, "no such experiment"),
        ({"spanFieldOrder": {"a": 1}}, "settings.spanFieldOrder: must be a list."),
        ({"spanFieldOrder": ["input"]}, "settings.spanFieldOrder[0]: must be an object."),
        ({"spanFieldOrder": [{"object_type": "span", "position": "a"}]}, "settings.spanFieldOrder[0].column_id: is required."),
        (
            {"spanFieldOrder": [{"object_type": "span", "column_id": "c", "position": 1}]},
            "settings.spanFieldOrder[0].position: must be a string",
        ),
        (
            {"spanFieldOrder": [{"object_type": "span", "column_id": "c", "position": "a", "layout": "three_column"}]},
            "settings.spanFieldOrder[0].layout: must be one of full, two_column",
        ),
        ({"remote_eval_sources": [{"name": "x"}]}, "settings.remote_eval_sources[0].url: is required."),
        ({"remote_eval_sources": [{"url": "ftp://x.example.com"}]}, "must be an http or https URL"),
        ({"remote_eval_sources": [{"url": "https://x.example.com", "token": "s"}]}, "unknown field 'token'"),
        ({"disable_realtime_queries": "yes"}, "settings.disable_realtime_queries: must be true or false."),
        ({"default_preprocessor": "thread"}, "settings.default_preprocessor: must be an object."),
        ({"default_preprocessor": {"type": "code"}}, "settings.default_preprocessor.type: must be one of function, global"),
        ({"default_preprocessor": {"type": "global"}}, "settings.default_preprocessor.name: is required."),
        ({"default_preprocessor": {"type": "global", "name": "x", "function_type": "judge"}}, "function_type: must be one of"),
        ({"default_preprocessor": {"type": "function", "id": str(uuid.uuid4())}}, "no such function"),
    ],
)
def test_patch_with_invalid_settings_answers_400_naming_the_problem_and_writes_nothing(world, value, message):
    client = world.client("owner")
    _assert_refused_without_writing(lambda: client.patch(f"/v1/project/{world.target.pk}", {"settings": value}), 400, message)


def test_baseline_experiment_may_be_in_another_project_the_caller_reads(world):
    experiment = ExperimentFactory(project=world.sibling)
    grant(world.org, world.sibling, user=world.callers["object_grant"], permission="read")
    response = world.client("object_grant").patch(
        f"/v1/project/{world.target.pk}", {"settings": {"baseline_experiment_id": str(experiment.pk)}}
    )
    assert response.status_code == 200, response.content


def test_baseline_experiment_the_caller_cannot_see_is_answered_as_missing(world):
    hidden = ExperimentFactory(project=world.sibling)
    missing = uuid.uuid4()
    client = world.client("object_grant")
    path = f"/v1/project/{world.target.pk}"
    answers = [
        _assert_refused_without_writing(lambda e=e: client.patch(path, {"settings": {"baseline_experiment_id": str(e)}}), 400)
        for e in (hidden.pk, missing)
    ]
    assert [a["error"]["message"] for a in answers] == [f"No such experiment: {hidden.pk}.", f"No such experiment: {missing}."]


def test_baseline_experiment_the_caller_sees_but_cannot_read_is_403_naming_read(world):
    experiment = ExperimentFactory(project=world.sibling)
    grant(world.org, experiment, user=world.callers["object_grant"], permission="update")
    client = world.client("object_grant")
    body = _assert_refused_without_writing(
        lambda: client.patch(f"/v1/project/{world.target.pk}", {"settings": {"baseline_experiment_id": str(experiment.pk)}}), 403
    )
    assert body["error"]["missing_permission"] == "read"


@pytest.mark.parametrize("where", ["other_org", "deleted", "deleted_project"])
def test_baseline_experiment_of_another_organization_or_deleted_is_answered_as_missing(world, where):
    if where == "other_org":
        experiment = ExperimentFactory(project=Project.objects.get(org=world.other_org))
    elif where == "deleted":
        experiment = ExperimentFactory(project=world.sibling, deleted_at=timezone.now())
    else:
        experiment = ExperimentFactory(project=ProjectFactory(org=world.org, deleted_at=timezone.now()))
    client = world.client("owner")
    body = {"settings": {"baseline_experiment_id": str(experiment.pk)}}
    _assert_refused_without_writing(lambda: client.patch(f"/v1/project/{world.target.pk}", body), 400, "no such experiment")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        *BAD_RENAMES,
        ({"name": "Sibling"}, "already exists"),
        ({"description": ["x"]}, "description: Not a valid string."),
        ({"user_id": str(uuid.uuid4())}, "user_id: The creator of a project cannot be changed."),
        ({"user_id": 5}, "user_id: Must be a valid UUID."),
        ({"owner": "me"}, "owner: Unknown field."),
    ],
)
def test_patch_with_bad_input_answers_400_naming_the_problem_and_writes_nothing(world, body, message):
    client = world.client("owner")
    _assert_refused_without_writing(lambda: client.patch(f"/v1/project/{world.target.pk}", body), 400, message)


def test_patch_with_null_fields_and_null_user_id_leaves_the_project_as_it_is(world):
    before = _project_state(world.target)
    response = world.client("owner").patch(f"/v1/project/{world.target.pk}", {"name": None, "description": None, "user_id": None})
    assert response.status_code == 200
    assert _project_state(world.target) == before
    assert "project.update" not in audit_actions()


@pytest.mark.parametrize("who", ["viewer"])
def test_readers_cannot_update_the_project(world, who):
    client = world.client(who)
    body = _assert_refused_without_writing(lambda: client.patch(f"/v1/project/{world.target.pk}", {"name": "X"}), 403)
    assert body["error"]["missing_permission"] == "update"


@pytest.mark.parametrize("who", ["no_grant", "outsider"])
def test_callers_who_cannot_see_the_project_cannot_update_it(world, who):
    client = world.client(who)
    body = _assert_refused_without_writing(lambda: client.patch(f"/v1/project/{world.target.pk}", {"name": "X"}), 404)
    assert body == not_found("project", world.target.pk)


def test_invisible_project_is_not_found_before_its_body_is_read(world):
    client = world.client("no_grant")
    _assert_refused_without_writing(lambda: client.patch(f"/v1/project/{world.target.pk}", {"nonsense": 1}), 404)


# Deleting


@pytest.mark.parametrize("who", ["owner", "engineer", "group_grant", "nested_group"])
def test_callers_with_delete_delete_the_project_softly(world, who):
    experiment = ExperimentFactory(project=world.target)
    client = world.client(who)
    response = client.delete(f"/v1/project/{world.target.pk}")
    assert response.status_code == 200, response.content
    assert (response.json()["id"], response.json()["name"]) == (str(world.target.pk), "Target")
    assert response.json()["deleted_at"] is not None
    assert audit_actions()[-1] == "project.delete"
    assert client.get(f"/v1/project/{world.target.pk}").json() == not_found("project", world.target.pk)
    assert "Target" not in listed_names(client.get("/v1/project"))
    assert Project.objects.filter(pk=world.target.pk).exists()
    assert Experiment.objects.filter(pk=experiment.pk, deleted_at__isnull=True).exists()


def test_deleted_project_cannot_be_changed_or_deleted_again(world):
    client = world.client("owner")
    client.delete(f"/v1/project/{world.target.pk}")
    _assert_refused_without_writing(lambda: client.patch(f"/v1/project/{world.target.pk}", {"name": "X"}), 404)
    _assert_refused_without_writing(lambda: client.delete(f"/v1/project/{world.target.pk}"), 404)


def test_name_of_a_deleted_project_can_be_used_again(world):
    client = world.client("owner")
    client.delete(f"/v1/project/{world.target.pk}")
    response = client.post("/v1/project", {"name": "Target"})
    assert response.status_code == 200
    assert response.json()["id"] != str(world.target.pk)


@pytest.mark.parametrize(("who", "status"), [("viewer", 403), ("object_grant", 403), ("no_grant", 404), ("outsider", 404)])
def test_callers_without_delete_cannot_delete_the_project(world, who, status):
    client = world.client(who)
    body = _assert_refused_without_writing(lambda: client.delete(f"/v1/project/{world.target.pk}"), status)
    if status == 403:
        assert body["error"]["missing_permission"] == "delete"


def test_delete_of_a_project_of_another_organization_or_a_missing_id_is_not_found(world):
    client = world.client("owner")
    theirs = Project.objects.get(org=world.other_org)
    _assert_refused_without_writing(lambda: client.delete(f"/v1/project/{theirs.pk}"), 404)
    _assert_refused_without_writing(lambda: client.delete(f"/v1/project/{uuid.uuid4()}"), 404)
    _assert_refused_without_writing(lambda: client.delete("/v1/project/nope"), 400)


# Credentials


@pytest.mark.parametrize("credential", DEAD_CREDENTIALS)
def test_every_endpoint_answers_401_and_writes_nothing(world, credential):
    calls = crud_calls("/v1/project", world.target.pk, {"name": "X"})
    client = DEAD_CREDENTIALS[credential](world.callers["owner"], world.org)
    assert_every_call_refused_without_writing(client, calls, 401, refused=_assert_refused_without_writing)
