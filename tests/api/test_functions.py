"""``/v1/function``: functions over the prompts' table, with function_data required and checked, every
endpoint for every kind of caller, versions, references in ``origin``, bad input and query counts."""

import uuid
from functools import partial

import pytest

from permissions.models import AuditEvent
from projects.models import Prompt, PromptVersion
from projects.services.prompts import FunctionFields, prompt_update
from tests.access_helpers import audit_actions, grant, row_counts
from tests.api_helpers import DEAD_CREDENTIALS, ApiClient, api_client_for, crud_calls
from tests.assertions import (
    assert_every_call_refused_without_writing,
    assert_hidden_as_if_missing,
    assert_refused_without_writing,
    error,
    listed_ids,
    not_found,
)
from tests.factories import ExperimentFactory, OrganizationFactory, ProjectFactory, add_member, owner_of
from tests.factories_prompts import CHAT_PROMPT, INLINE_CODE, PROMPT_FIELDS, FunctionFactory, PromptFactory, build_world, grant_only
from tests.query_helpers import assert_one_and_thirty_cost_the_same
from tests.worlds import listed_for_each_caller

pytestmark = pytest.mark.django_db

FUNCTION_FIELDS = PROMPT_FIELDS | {"function_data", "origin", "function_schema"}

GLOBAL_SCORER = {"type": "global", "name": "Levenshtein", "function_type": "scorer"}


@pytest.fixture(scope="module")
def built_world(module_db):
    return build_world()


def _new_function(world, **fields) -> dict:
    return {
        "project_id": str(world.project.pk),
        "name": "Edit distance",
        "slug": "edit-distance",
        "function_type": "scorer",
        "function_data": GLOBAL_SCORER,
        **fields,
    }


_assert_refused_without_writing = partial(assert_refused_without_writing, also_unchanged=[PromptVersion.objects.count])


# The JSON shape


def test_function_json_has_braintrust_fields(world):
    response = world.client("owner").get(f"/v1/function/{world.function.pk}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == FUNCTION_FIELDS
    assert (body["id"], body["_xact_id"], body["log_id"]) == (str(world.function.pk), str(world.function.xact_id), "p")
    assert (body["project_id"], body["org_id"]) == (str(world.project.pk), str(world.org.pk))
    assert (body["name"], body["slug"], body["function_type"]) == ("Exact scorer", "exact-scorer", "scorer")
    assert body["function_data"] == INLINE_CODE
    assert (body["prompt_data"], body["origin"], body["function_schema"]) == (None, None, None)


def test_a_prompt_is_a_function_of_type_prompt(world):
    response = world.client("owner").get(f"/v1/function/{world.target.pk}")
    assert response.status_code == 200
    assert response.json()["function_data"] == {"type": "prompt"}
    assert response.json()["prompt_data"] == CHAT_PROMPT


def test_published_schema_describes_function_as_the_endpoints_answer_it(world):
    schema = ApiClient().get("/v1/openapi.json", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    assert set(components["Function"]["properties"]) == FUNCTION_FIELDS
    assert set(components["CreateFunction"]["required"]) == {"project_id", "name", "slug", "function_data"}
    assert set(components["PatchFunction"]["properties"]) == {"name", "description", "prompt_data", "function_data", "tags"}
    operations = {method: op["operationId"] for method, op in schema["paths"]["/v1/function"].items()}
    assert operations == {"get": "getFunction", "post": "postFunction", "put": "putFunction"}
    detail = {method: op["operationId"] for method, op in schema["paths"]["/v1/function/{function_id}"].items()}
    assert detail == {"get": "getFunctionId", "patch": "patchFunctionId", "delete": "deleteFunctionId"}
    list_parameters = {p["name"] for p in schema["paths"]["/v1/function"]["get"]["parameters"]}
    assert {"slug", "function_name", "project_id", "project_name", "org_name", "ids", "version", "limit"} <= list_parameters


# Listing


@pytest.mark.parametrize(
    ("who", "visible"),
    listed_for_each_caller({"target", "function", "elsewhere"}, through_the_group={"target", "function"}, one_object={"target"}),
)
def test_list_shows_exactly_the_functions_the_caller_may_read_prompts_included(world, who, visible):
    expected = {str(getattr(world, name).pk) for name in visible}
    assert listed_ids(world.client(who).get("/v1/function")) == expected


def test_list_of_a_principal_of_another_organization_shows_only_its_own(world):
    assert listed_ids(world.client("outsider").get("/v1/function")) == {str(world.theirs.pk)}


def test_list_filters_by_name_slug_project_and_ids(world):
    client = world.client("owner")
    function, target = str(world.function.pk), str(world.target.pk)
    assert listed_ids(client.get("/v1/function", {"function_name": "Exact scorer"})) == {function}
    assert listed_ids(client.get("/v1/function", {"slug": "reply-drafter"})) == {target}
    assert listed_ids(client.get("/v1/function", {"project_id": str(world.project.pk)})) == {function, target}
    assert listed_ids(client.get("/v1/function", {"project_name": "Search"})) == {str(world.elsewhere.pk)}
    assert listed_ids(client.client.get("/v1/function", {"ids": [function]})) == {function}


def test_list_is_newest_first_and_pages_with_a_cursor(world):
    client = world.client("owner")
    everything = client.get("/v1/function").json()["objects"]
    assert [f["created"] for f in everything] == sorted((f["created"] for f in everything), reverse=True)
    first = client.get("/v1/function", {"limit": 1}).json()["objects"]
    rest = client.get("/v1/function", {"starting_after": first[0]["id"]}).json()["objects"]
    assert [f["id"] for f in first + rest] == [f["id"] for f in everything]


def test_list_at_a_version_shows_each_function_as_it_was(world):
    client = world.client("owner")
    version = str(world.function.xact_id)
    client.patch(f"/v1/function/{world.function.pk}", {"function_data": GLOBAL_SCORER, "name": "Renamed"})
    later = FunctionFactory(project=world.project)
    objects = {f["id"]: f for f in client.get("/v1/function", {"version": version}).json()["objects"]}
    assert str(later.pk) not in objects
    assert str(world.elsewhere.pk) not in objects  # made after the function
    assert objects[str(world.function.pk)]["function_data"] == INLINE_CODE
    assert objects[str(world.function.pk)]["name"] == "Exact scorer"
    assert listed_ids(client.get("/v1/function", {"function_name": "Exact scorer", "version": version})) == {str(world.function.pk)}


@pytest.mark.parametrize(
    ("params", "message"),
    [({"version": "81cd05ee665fdfb3"}, "version must be"), ({"environment": "production", "version": "1"}, "environment cannot be used")],
)
def test_list_with_unsupported_parameters_answers_400(world, params, message):
    response = world.client("owner").get("/v1/function", params)
    assert response.status_code == 400
    assert message in error(response)["message"]


@pytest.mark.parametrize("versioned", [False, True], ids=["current", "at-version"])
def test_list_costs_the_same_number_of_queries_for_one_and_thirty_functions(versioned):
    org = OrganizationFactory()
    project = ProjectFactory(org=org)
    for n in range(30):
        (FunctionFactory if n % 2 else PromptFactory)(project=project)
    version = {"version": str(max(Prompt.objects.values_list("xact_id", flat=True)))} if versioned else {}
    member = add_member(org)
    grant(org, project, user=member, permission="read")
    assert_one_and_thirty_cost_the_same(
        "/v1/function", org, (owner_of(org), add_member(org, None, "viewers"), member), at_most=8, **version
    )


# Reading one


@pytest.mark.parametrize("who", ["owner", "engineer", "viewer", "group_grant", "nested_group"])
def test_callers_who_may_read_the_function_get_it(world, who):
    assert world.client(who).get(f"/v1/function/{world.function.pk}").json()["id"] == str(world.function.pk)


def test_object_grant_reads_its_prompt_as_a_function_and_nothing_else(world):
    client = world.client("object_grant")
    assert client.get(f"/v1/function/{world.target.pk}").status_code == 200
    assert client.get(f"/v1/function/{world.function.pk}").json() == not_found("function", world.function.pk)


@pytest.mark.parametrize("who", ["no_grant", "outsider"])
def test_callers_who_cannot_see_the_function_get_the_same_404_as_for_a_missing_id(world, who):
    assert_hidden_as_if_missing(world.client(who), "function", world.function.pk)


def test_holder_of_update_only_is_told_it_lacks_read(world):
    response = api_client_for(grant_only(world, world.function, "update"), world.org).get(f"/v1/function/{world.function.pk}")
    assert response.status_code == 403
    assert error(response)["missing_permission"] == "read"


def test_every_change_keeps_a_version_that_the_detail_fetches(world):
    client = world.client("owner")
    path = f"/v1/function/{world.function.pk}"
    first = client.get(path).json()
    second = client.patch(path, {"function_data": GLOBAL_SCORER}).json()
    assert int(second["_xact_id"]) > int(first["_xact_id"])
    assert client.get(path, {"version": first["_xact_id"]}).json() == first
    assert client.get(path, {"version": second["_xact_id"]}).json() == second
    assert client.get(path, {"version": str(int(first["_xact_id"]) - 1)}).status_code == 404


# Creating (POST)


@pytest.mark.parametrize("who", ["owner", "engineer", "group_grant", "nested_group"])
def test_callers_who_may_create_functions_create_one(world, who):
    body = _new_function(world, function_schema={"parameters": {"type": "object"}, "returns": {"type": "number"}})
    response = world.client(who).post("/v1/function", body)
    assert response.status_code == 200, response.content
    created = Prompt.objects.get(project=world.project, slug="edit-distance")
    assert created.is_function
    shown = response.json()
    assert (shown["id"], shown["function_type"], shown["function_data"]) == (str(created.pk), "scorer", GLOBAL_SCORER)
    assert shown["function_schema"] == body["function_schema"]
    assert created.versions.count() == 1
    assert audit_actions()[-1] == "prompt.create"


@pytest.mark.parametrize(("who", "status"), [("viewer", 403), ("object_grant", 404), ("no_grant", 404), ("outsider", 404)])
def test_callers_who_may_not_create_functions_are_refused_and_nothing_is_written(world, who, status):
    client = world.client(who)
    response = _assert_refused_without_writing(lambda: client.post("/v1/function", _new_function(world)), status)
    if status == 403:
        assert error(response)["missing_permission"] == "create"


def test_function_of_type_prompt_is_also_a_prompt(world):
    client = world.client("owner")
    body = _new_function(world, slug="judge", function_data={"type": "prompt"}, prompt_data=CHAT_PROMPT)
    created = client.post("/v1/function", body).json()
    assert created["id"] in listed_ids(client.get("/v1/prompt"))
    assert client.get(f"/v1/prompt/{created['id']}").json()["prompt_data"] == CHAT_PROMPT


def test_code_function_is_not_a_prompt(world):
    client = world.client("owner")
    created = client.post("/v1/function", _new_function(world, function_data=INLINE_CODE)).json()
    assert created["id"] not in listed_ids(client.get("/v1/prompt"))
    assert client.get(f"/v1/prompt/{created['id']}").status_code == 404


def test_post_with_an_existing_slug_returns_that_function_unchanged(world):
    client, owner = world.client("engineer"), world.client("owner")
    shown = owner.get(f"/v1/function/{world.function.pk}").json()
    before = row_counts()
    response = client.post("/v1/function", _new_function(world, slug="exact-scorer"))
    assert response.json() == shown
    assert row_counts() == before


VALID_FUNCTION_DATA = [
    {"type": "prompt"},
    {"type": "global", "name": "ExactMatch"},
    {"type": "global", "name": "Thread", "function_type": "preprocessor", "config": None},
    INLINE_CODE,
    {
        "type": "code",
        "data": {
            "type": "bundle",
            "runtime_context": {"runtime": "node", "version": "20"},
            "location": {"type": "function", "index": 0},
            "bundle_id": "b1",
        },
    },
    {"type": "graph", "nodes": {}, "edges": {}},
    {"type": "remote_eval", "endpoint": "https://evals.example.com", "eval_name": "qa", "parameters": {}},
    {"type": "facet", "prompt": "What is the topic?"},
    {"type": "parameters", "data": {}, "__schema": {"type": "object", "properties": {}}},
    {"type": "topic_map", "source_facet": "topic", "embedding_model": "text-embedding-3-small"},
]


@pytest.mark.parametrize("function_data", VALID_FUNCTION_DATA, ids=lambda data: data["type"])
def test_every_kind_of_function_data_is_accepted_and_kept(world, function_data):
    response = world.client("owner").post("/v1/function", _new_function(world, function_data=function_data))
    assert response.status_code == 200, response.content
    assert Prompt.objects.get(pk=response.json()["id"]).function_data == function_data


MISSING = object()

BAD_BODIES = [
    ({"function_data": MISSING}, "function_data: This field is required."),
    ({"function_data": None}, "function_data: This field may not be null."),
    ({"function_data": "prompt"}, "function_data must be a JSON object"),
    ({"function_data": {}}, "function_data needs type"),
    ({"function_data": {"type": "magic"}}, "function_data.type must be one of prompt, code, graph"),
    ({"function_data": {"type": "global"}}, "function_data needs name"),
    ({"function_data": {"type": "global", "name": 5}}, "function_data.name must be a string"),
    ({"function_data": {"type": "global", "name": "X", "function_type": "wizard"}}, "function_data.function_type must be one of"),
    ({"function_data": {"type": "code"}}, "function_data needs data"),
    ({"function_data": {"type": "code", "data": {"type": "inline", "code": "x"}}}, "function_data.data needs runtime_context"),
    (
        {"function_data": {"type": "code", "data": {"type": "inline", "runtime_context": {"runtime": "ruby", "version": "3"}, "code": ""}}},
        "function_data.data.runtime_context.runtime must be one of node, python, browser, quickjs",
    ),
    (
        {"function_data": {"type": "code", "data": {"type": "inline", "runtime_context": {"runtime": "python", "version": "3"}}}},
        "function_data.data needs code",
    ),
    ({"function_data": {"type": "code", "data": {"type": "zip"}}}, "function_data.data.type must be one of bundle, inline"),
    ({"function_data": {"type": "remote_eval", "endpoint": "x"}}, "function_data needs eval_name, parameters"),
    ({"origin": {"object_type": "experiment"}}, "origin needs object_id"),
    ({"origin": {"object_type": "spaceship", "object_id": str(uuid.uuid4())}}, "origin.object_type must be one of"),
    ({"origin": {"object_type": "experiment", "object_id": "nope"}}, "origin.object_id must be a UUID"),
    ({"origin": {"object_type": "experiment", "object_id": str(uuid.uuid4()), "colour": 1}}, "origin has unknown fields: colour"),
    ({"origin": {"object_type": "experiment", "object_id": str(uuid.uuid4())}}, "No experiment with id"),
    ({"function_schema": {"parameters": {}, "colour": 1}}, "function_schema has unknown fields: colour"),
    ({"function_schema": []}, "function_schema must be a JSON object"),
    ({"function_type": "preprocessor"}, "is not a valid choice"),
    ({"slug": "Has Spaces"}, "slug must be lowercase"),
    ({"metadata": {}}, "metadata: Unknown field."),
]


@pytest.mark.parametrize(("changes", "message"), BAD_BODIES)
def test_post_with_bad_input_answers_400_naming_the_problem_and_writes_nothing(world, changes, message):
    body = {field: value for field, value in {**_new_function(world), **changes}.items() if value is not MISSING}
    client = world.client("owner")
    _assert_refused_without_writing(lambda: client.post("/v1/function", body), 400, message)


# References in origin


def test_origin_may_name_an_object_of_another_project_the_caller_can_read(world):
    experiment = ExperimentFactory(project=world.other_project)
    origin = {"object_type": "experiment", "object_id": str(experiment.pk), "internal": False}
    response = world.client("engineer").post("/v1/function", _new_function(world, origin=origin))
    assert response.status_code == 200, response.content
    assert response.json()["origin"] == origin


def test_origin_naming_an_object_the_caller_sees_nothing_of_is_refused_as_missing(world):
    experiment = ExperimentFactory(project=world.other_project)
    origin = {"object_type": "experiment", "object_id": str(experiment.pk)}
    client = world.client("group_grant")  # may create in the project, sees nothing of the other one
    response = _assert_refused_without_writing(lambda: client.post("/v1/function", _new_function(world, origin=origin)), 400)
    assert error(response)["message"] == f"No experiment with id {experiment.pk} was found."


def test_origin_naming_an_object_the_caller_sees_but_may_not_read_is_refused_naming_read(world):
    experiment = ExperimentFactory(project=world.other_project)
    grant(world.org, experiment, user=world.callers["group_grant"], permission="update")
    origin = {"object_type": "experiment", "object_id": str(experiment.pk)}
    client = world.client("group_grant")
    response = _assert_refused_without_writing(lambda: client.post("/v1/function", _new_function(world, origin=origin)), 403)
    assert error(response)["missing_permission"] == "read"


def test_origin_naming_an_object_of_another_organization_is_refused_as_missing(world):
    origin = {"object_type": "prompt", "object_id": str(world.theirs.pk)}
    client = world.client("owner")
    response = _assert_refused_without_writing(lambda: client.post("/v1/function", _new_function(world, origin=origin)), 400)
    assert error(response)["message"] == f"No prompt with id {world.theirs.pk} was found."


# Creating or replacing (PUT)


@pytest.mark.parametrize("who", ["owner", "engineer", "group_grant", "nested_group"])
def test_put_replaces_every_field_of_the_function_with_that_slug(world, who):
    response = world.client(who).put("/v1/function", _new_function(world, slug="exact-scorer", name="Levenshtein scorer"))
    assert response.status_code == 200, response.content
    shown = response.json()
    assert shown["id"] == str(world.function.pk)
    assert (shown["name"], shown["function_data"], shown["origin"], shown["function_schema"]) == (
        "Levenshtein scorer",
        GLOBAL_SCORER,
        None,
        None,
    )
    assert world.function.versions.count() == 2
    assert audit_actions()[-1] == "prompt.update"


def test_put_over_a_prompt_through_function_replaces_it_as_a_function(world):
    response = world.client("object_grant").put(
        "/v1/function", _new_function(world, slug="reply-drafter", function_data={"type": "prompt"})
    )
    assert response.status_code == 200, response.content
    assert response.json()["id"] == str(world.target.pk)
    assert response.json()["prompt_data"] is None  # replaced: the body had none


@pytest.mark.parametrize(("who", "status"), [("viewer", 403), ("no_grant", 404), ("outsider", 404)])
def test_put_by_callers_who_may_not_update_is_refused(world, who, status):
    client = world.client(who)
    _assert_refused_without_writing(lambda: client.put("/v1/function", _new_function(world, slug="exact-scorer")), status)


def test_put_with_a_new_slug_creates_the_function(world):
    response = world.client("owner").put("/v1/function", _new_function(world, slug="brand-new"))
    assert response.status_code == 200
    assert Prompt.objects.get(project=world.project, slug="brand-new").is_function


def test_put_without_function_data_is_refused(world):
    body = {k: v for k, v in _new_function(world, slug="exact-scorer").items() if k != "function_data"}
    client = world.client("owner")
    _assert_refused_without_writing(lambda: client.put("/v1/function", body), 400, "function_data: This field is required.")


# Updating (PATCH)


@pytest.mark.parametrize("who", ["owner", "engineer", "group_grant", "nested_group"])
def test_callers_with_update_change_the_function_and_keep_a_version(world, who):
    body = {"name": "Scorer", "description": "d", "function_data": GLOBAL_SCORER, "tags": ["t"], "prompt_data": None}
    response = world.client(who).patch(f"/v1/function/{world.function.pk}", body)
    assert response.status_code == 200, response.content
    shown = response.json()
    assert (shown["name"], shown["description"], shown["function_data"], shown["tags"]) == ("Scorer", "d", GLOBAL_SCORER, ["t"])
    assert world.function.versions.count() == 2
    assert audit_actions()[-1] == "prompt.update"


def test_object_grant_updates_its_prompt_through_function(world):
    response = world.client("object_grant").patch(f"/v1/function/{world.target.pk}", {"description": "via function"})
    assert response.status_code == 200
    assert response.json()["description"] == "via function"


@pytest.mark.parametrize(("who", "status"), [("viewer", 403), ("object_grant", 404), ("no_grant", 404), ("outsider", 404)])
def test_callers_without_update_cannot_patch_the_function(world, who, status):
    client = world.client(who)
    response = _assert_refused_without_writing(lambda: client.patch(f"/v1/function/{world.function.pk}", {"name": "X"}), status)
    if status == 404:
        assert response.json() == not_found("function", world.function.pk)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"slug": "other"}, "slug: Unknown field."),
        ({"function_type": "llm"}, "function_type: Unknown field."),
        ({"function_data": {"type": "global"}}, "function_data needs name"),
        ({"function_data": 5}, "function_data must be a JSON object"),
        ({"name": ""}, "name: This field may not be blank."),
    ],
)
def test_patch_with_bad_input_answers_400_and_writes_nothing(world, body, message):
    client = world.client("owner")
    _assert_refused_without_writing(lambda: client.patch(f"/v1/function/{world.function.pk}", body), 400, message)


# Deleting


@pytest.mark.parametrize("who", ["owner", "engineer", "group_grant", "nested_group"])
def test_callers_with_delete_delete_the_function(world, who):
    client = world.client(who)
    shown = client.get(f"/v1/function/{world.function.pk}").json()
    response = client.delete(f"/v1/function/{world.function.pk}")
    assert response.status_code == 200
    assert response.json() == shown
    assert client.get(f"/v1/function/{world.function.pk}").status_code == 404
    assert str(world.function.pk) not in listed_ids(client.get("/v1/function"))
    assert audit_actions()[-1] == "prompt.delete"


@pytest.mark.parametrize(("who", "status"), [("viewer", 403), ("object_grant", 403), ("no_grant", 404), ("outsider", 404)])
def test_callers_without_delete_cannot_delete(world, who, status):
    client = world.client(who)
    path = f"/v1/function/{(world.target if who == 'object_grant' else world.function).pk}"
    response = _assert_refused_without_writing(lambda: client.delete(path), status)
    if status == 403:
        assert error(response)["missing_permission"] == "delete"


# Credentials


@pytest.mark.parametrize("credential", DEAD_CREDENTIALS)
def test_every_endpoint_answers_401_and_writes_nothing(world, credential):
    calls = crud_calls("/v1/function", world.function.pk, _new_function(world), _new_function(world, slug="exact-scorer"))
    client = DEAD_CREDENTIALS[credential](world.callers["owner"], world.org)
    assert_every_call_refused_without_writing(client, calls, 401, refused=_assert_refused_without_writing)


# The service


def test_service_keeps_the_function_fields_in_each_version(world):
    owner = owner_of(world.org)
    prompt_update(actor=owner, prompt=world.function, function_data=GLOBAL_SCORER)
    snapshots = list(world.function.versions.order_by("xact_id").values_list("snapshot", flat=True))
    assert [s["function_data"] for s in snapshots] == [INLINE_CODE, GLOBAL_SCORER]
    assert AuditEvent.objects.filter(action="prompt.update", target_id=str(world.function.pk)).count() == 1


def test_function_factory_makes_functions_through_the_service(world):
    function = FunctionFactory(project=world.project, function=FunctionFields(function_data={"type": "global", "name": "ExactMatch"}))
    assert function.is_function and function.xact_id is not None
