"""``/v1/prompt_session``: playgrounds for every kind of caller, the prompts they use (also of other
projects, with and without read), bad input and query counts."""

import uuid
from functools import partial

import pytest

from permissions.exceptions import AccessDenied, ValidationError
from permissions.models import AuditEvent
from projects.models import PromptSession
from projects.services.objects import project_delete
from projects.services.playgrounds import playground_create, playground_update
from projects.services.prompts import prompt_delete
from tests.access_helpers import audit_actions, grant, row_counts
from tests.api_helpers import DEAD_CREDENTIALS, ApiClient, api_client_for, crud_calls
from tests.assertions import (
    MOVE_TO_ANOTHER_PROJECT,
    assert_every_call_refused_without_writing,
    assert_hidden_as_if_missing,
    assert_reads,
    assert_refused_without_writing,
    assert_taken_without_naming,
    error,
    listed_ids,
    not_found,
)
from tests.factories import DatasetFactory, OrganizationFactory, ProjectFactory, add_member, owner_of
from tests.factories_prompts import PlaygroundFactory, PromptFactory, build_world, grant_only
from tests.query_helpers import assert_one_and_thirty_cost_the_same
from tests.worlds import READERS, creator_client, listed_for_each_caller

pytestmark = pytest.mark.django_db

PLAYGROUND_FIELDS = {"id", "project_id", "name", "description", "created", "deleted_at", "user_id", "prompt_ids", "dataset_id"}


@pytest.fixture(scope="module")
def built_world(module_db):
    return build_world()


def _links() -> int:
    return PromptSession.prompts.through.objects.count()


def _new_playground(world, **fields) -> dict:
    return {"project_id": str(world.project.pk), "name": "Experiments in tone", **fields}


_assert_refused_without_writing = partial(assert_refused_without_writing, also_unchanged=[_links])


# The JSON shape


def test_playground_json_has_its_fields_and_prompts(world):
    response = world.client("owner").get(f"/v1/prompt_session/{world.playground.pk}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == PLAYGROUND_FIELDS
    assert (body["id"], body["project_id"], body["name"]) == (str(world.playground.pk), str(world.project.pk), "Tone of voice")
    assert (body["description"], body["deleted_at"]) == ("", None)
    assert body["user_id"] == str(owner_of(world.org).pk)
    assert body["prompt_ids"] == [str(world.target.pk)]
    assert body["created"].startswith(str(world.playground.created.year))


def test_published_schema_describes_playgrounds_as_the_endpoints_answer_them(world):
    schema = ApiClient().get("/v1/openapi.json", {"format": "json"}).json()
    assert set(schema["components"]["schemas"]["PromptSession"]["properties"]) == PLAYGROUND_FIELDS
    operations = {method: op["operationId"] for method, op in schema["paths"]["/v1/prompt_session"].items()}
    assert operations == {"get": "getPromptSession", "post": "postPromptSession"}
    detail = {method: op["operationId"] for method, op in schema["paths"]["/v1/prompt_session/{prompt_session_id}"].items()}
    assert detail == {"get": "getPromptSessionId", "patch": "patchPromptSessionId", "delete": "deletePromptSessionId"}


# Listing


@pytest.fixture
def second(world):
    """A playground of the other project."""
    return PlaygroundFactory(project=world.other_project, name="Rewrite ideas", prompt_ids=[world.elsewhere.pk])


@pytest.mark.parametrize(
    ("who", "visible"), listed_for_each_caller({"playground", "second"}, through_the_group={"playground"}, one_object={"playground"})
)
def test_list_shows_exactly_the_playgrounds_the_caller_may_read(world, second, who, visible):
    named = {"playground": world.playground, "second": second}
    assert listed_ids(world.client(who).get("/v1/prompt_session")) == {str(named[name].pk) for name in visible}


def test_list_of_a_principal_of_another_organization_shows_only_its_own(world, second):
    theirs = PlaygroundFactory(project=world.theirs.project)
    assert listed_ids(world.client("outsider").get("/v1/prompt_session")) == {str(theirs.pk)}


def test_list_filters_by_name_project_and_ids(world, second):
    client = world.client("owner")
    mine, other = str(world.playground.pk), str(second.pk)
    assert listed_ids(client.get("/v1/prompt_session", {"prompt_session_name": "Rewrite ideas"})) == {other}
    assert listed_ids(client.get("/v1/prompt_session", {"project_id": str(world.project.pk)})) == {mine}
    assert listed_ids(client.get("/v1/prompt_session", {"project_name": "Search"})) == {other}
    assert listed_ids(client.client.get("/v1/prompt_session", {"ids": [mine, other]})) == {mine, other}
    assert listed_ids(client.get("/v1/prompt_session", {"ids": mine})) == {mine}


def test_list_is_newest_first_and_pages_with_a_cursor(world, second):
    client = world.client("owner")
    everything = client.get("/v1/prompt_session").json()["objects"]
    assert [p["id"] for p in everything] == [str(second.pk), str(world.playground.pk)]
    first = client.get("/v1/prompt_session", {"limit": 1}).json()["objects"]
    rest = client.get("/v1/prompt_session", {"starting_after": first[0]["id"]}).json()["objects"]
    assert [p["id"] for p in first + rest] == [p["id"] for p in everything]


def test_deleted_playgrounds_and_those_of_deleted_projects_leave_the_list(world, second):
    client = world.client("owner")
    assert client.delete(f"/v1/prompt_session/{world.playground.pk}").status_code == 200
    project_delete(actor=owner_of(world.org), project=world.other_project)
    assert listed_ids(client.get("/v1/prompt_session")) == set()
    assert client.get(f"/v1/prompt_session/{second.pk}").json() == not_found("prompt_session", second.pk)


@pytest.mark.parametrize("params", [{"ids": "x"}, {"project_id": "x"}, {"limit": "x"}, {"ending_before": "x"}])
def test_list_with_malformed_parameters_answers_400(world, params):
    assert world.client("owner").get("/v1/prompt_session", params).status_code == 400


def test_list_costs_the_same_number_of_queries_for_one_and_thirty_playgrounds():
    org = OrganizationFactory()
    project, other = ProjectFactory(org=org), ProjectFactory(org=org)
    prompts = [PromptFactory(project=project), PromptFactory(project=other)]
    for _ in range(30):
        PlaygroundFactory(project=project, prompt_ids=[p.pk for p in prompts])
    member = add_member(org)
    grant(org, project, user=member, permission="read", restrict="prompt_session")
    assert_one_and_thirty_cost_the_same("/v1/prompt_session", org, (owner_of(org), add_member(org, None, "viewers"), member), at_most=8)


def test_listed_prompt_ids_agree_with_each_playground_read_on_its_own(world, second):
    client = world.client("owner")
    for listed in client.get("/v1/prompt_session").json()["objects"]:
        assert client.get(f"/v1/prompt_session/{listed['id']}").json() == listed


# Reading one


@pytest.mark.parametrize("who", READERS)
def test_callers_who_may_read_the_playground_get_it(world, who):
    assert_reads(world.client(who), "prompt_session", world.playground.pk)


@pytest.mark.parametrize("who", ["no_grant", "outsider"])
def test_callers_who_cannot_see_the_playground_get_the_same_404_as_for_a_missing_id(world, who):
    assert_hidden_as_if_missing(world.client(who), "prompt_session", world.playground.pk)


def test_holder_of_update_only_is_told_it_lacks_read(world):
    response = api_client_for(grant_only(world, world.playground, "update"), world.org).get(f"/v1/prompt_session/{world.playground.pk}")
    assert response.status_code == 403
    assert error(response)["missing_permission"] == "read"


def test_deleted_prompts_leave_the_playground_prompt_ids(world):
    prompt_delete(actor=owner_of(world.org), prompt=world.target)
    assert world.client("owner").get(f"/v1/prompt_session/{world.playground.pk}").json()["prompt_ids"] == []


# Creating


@pytest.mark.parametrize("who", ["owner", "engineer", "group_grant", "nested_group"])
def test_callers_who_may_create_playgrounds_create_one_with_prompts_of_their_project(world, who):
    body = _new_playground(world, description="d", prompt_ids=[str(world.target.pk)])
    response = world.client(who).post("/v1/prompt_session", body)
    assert response.status_code == 200, response.content
    created = PromptSession.objects.get(project=world.project, name="Experiments in tone")
    shown = response.json()
    assert (shown["id"], shown["description"], shown["prompt_ids"]) == (str(created.pk), "d", [str(world.target.pk)])
    assert shown["user_id"] == str(world.callers[who].pk)
    assert audit_actions()[-1] == "prompt_session.create"


@pytest.mark.parametrize(("who", "status"), [("viewer", 403), ("object_grant", 404), ("no_grant", 404), ("outsider", 404)])
def test_callers_who_may_not_create_playgrounds_are_refused_and_nothing_is_written(world, who, status):
    client = world.client(who)
    response = _assert_refused_without_writing(lambda: client.post("/v1/prompt_session", _new_playground(world)), status)
    if status == 403:
        assert error(response)["missing_permission"] == "create"


def test_post_with_an_existing_name_returns_that_playground_unchanged(world):
    client = world.client("engineer")
    before = row_counts()
    response = client.post("/v1/prompt_session", _new_playground(world, name="Tone of voice", prompt_ids=[str(world.elsewhere.pk)]))
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["prompt_ids"]) == (str(world.playground.pk), [str(world.target.pk)])
    assert row_counts() == before


def test_post_with_the_name_of_a_playground_the_caller_cannot_read_says_only_that_it_is_taken(world):
    client = creator_client(world.org, world.project, "prompt_session")
    body = _new_playground(world, name="Tone of voice")
    assert_taken_without_naming(lambda: client.post("/v1/prompt_session", body), world.playground, refused=_assert_refused_without_writing)


# Prompts of other projects


def test_prompt_of_another_project_the_caller_can_read_may_be_used(world):
    response = world.client("engineer").post("/v1/prompt_session", _new_playground(world, prompt_ids=[str(world.elsewhere.pk)]))
    assert response.status_code == 200, response.content
    assert response.json()["prompt_ids"] == [str(world.elsewhere.pk)]


def test_prompt_of_another_project_read_through_an_object_grant_may_be_used(world):
    grant(world.org, world.elsewhere, user=world.callers["group_grant"], permission="read")
    response = world.client("group_grant").post("/v1/prompt_session", _new_playground(world, prompt_ids=[str(world.elsewhere.pk)]))
    assert response.status_code == 200, response.content


def test_prompt_of_another_project_the_caller_sees_nothing_of_is_refused_as_missing(world):
    client = world.client("group_grant")
    body = _new_playground(world, prompt_ids=[str(world.target.pk), str(world.elsewhere.pk)])
    response = _assert_refused_without_writing(lambda: client.post("/v1/prompt_session", body), 400)
    assert error(response)["message"] == f"No prompt with id {world.elsewhere.pk} was found."


def test_prompt_the_caller_sees_but_may_not_read_is_refused_naming_read(world):
    grant(world.org, world.elsewhere, user=world.callers["group_grant"], permission="update")
    client = world.client("group_grant")
    body = _new_playground(world, prompt_ids=[str(world.elsewhere.pk)])
    response = _assert_refused_without_writing(lambda: client.post("/v1/prompt_session", body), 403)
    assert error(response)["missing_permission"] == "read"


def test_prompt_of_another_organization_is_refused_as_missing_even_for_an_owner(world):
    client = world.client("owner")
    body = _new_playground(world, prompt_ids=[str(world.theirs.pk)])
    response = _assert_refused_without_writing(lambda: client.post("/v1/prompt_session", body), 400)
    assert error(response)["message"] == f"No prompt with id {world.theirs.pk} was found."


def test_deleted_or_missing_prompt_is_refused_as_missing(world):
    client = world.client("owner")
    missing = uuid.uuid4()
    _assert_refused_without_writing(lambda: client.post("/v1/prompt_session", _new_playground(world, prompt_ids=[str(missing)])), 400)
    prompt_delete(actor=owner_of(world.org), prompt=world.elsewhere)
    body = _new_playground(world, prompt_ids=[str(world.elsewhere.pk)])
    _assert_refused_without_writing(lambda: client.post("/v1/prompt_session", body), 400, "No prompt with id")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"project_id": None}, "project_id: This field may not be null."),
        ({"project_id": "x"}, "project_id: Must be a valid UUID."),
        ({"name": ""}, "name: This field may not be blank."),
        ({"name": 7}, "name: Not a valid string."),
        ({"description": []}, "description: Not a valid string."),
        ({"prompt_ids": "abc"}, "prompt_ids: Expected a list of items"),
        ({"prompt_ids": ["abc"]}, "prompt_ids: 0: Must be a valid UUID."),
        ({"prompts": []}, "prompts: Unknown field."),
    ],
)
def test_post_with_bad_input_answers_400_naming_the_problem_and_writes_nothing(world, changes, message):
    client = world.client("owner")
    _assert_refused_without_writing(lambda: client.post("/v1/prompt_session", _new_playground(world, **changes)), 400, message)


def test_post_into_a_missing_or_deleted_project_is_not_found(world):
    client = world.client("owner")
    _assert_refused_without_writing(lambda: client.post("/v1/prompt_session", _new_playground(world, project_id=str(uuid.uuid4()))), 404)
    project_delete(actor=owner_of(world.org), project=world.other_project)
    body = _new_playground(world, project_id=str(world.other_project.pk))
    _assert_refused_without_writing(lambda: client.post("/v1/prompt_session", body), 404, "No project with id")


# Updating


@pytest.mark.parametrize("who", ["owner", "engineer", "group_grant", "nested_group", "object_grant"])
def test_callers_with_update_rename_describe_and_replace_prompts(world, who):
    other = PromptFactory(project=world.project, slug="another")
    if who == "object_grant":
        grant(world.org, other, user=world.callers[who], permission="read")
    body = {"name": "Tone, take two", "description": "new", "prompt_ids": [str(other.pk)]}
    response = world.client(who).patch(f"/v1/prompt_session/{world.playground.pk}", body)
    assert response.status_code == 200, response.content
    shown = response.json()
    assert (shown["name"], shown["description"], shown["prompt_ids"]) == ("Tone, take two", "new", [str(other.pk)])
    assert audit_actions()[-1] == "prompt_session.update"
    event = AuditEvent.objects.filter(action="prompt_session.update").latest("created")
    assert (event.before["prompt_ids"], event.after["prompt_ids"]) == ([str(world.target.pk)], [str(other.pk)])


def test_patch_leaves_out_and_null_fields_as_they_are(world):
    response = world.client("owner").patch(f"/v1/prompt_session/{world.playground.pk}", {"description": "only", "prompt_ids": None})
    assert (response.json()["name"], response.json()["prompt_ids"]) == ("Tone of voice", [str(world.target.pk)])


def test_patch_may_remove_a_prompt_the_caller_cannot_read_but_not_add_one(world):
    client = world.client("object_grant")
    path = f"/v1/prompt_session/{world.playground.pk}"
    PromptSession.objects.get(pk=world.playground.pk).prompts.add(world.elsewhere)
    kept = client.patch(path, {"prompt_ids": [str(world.target.pk), str(world.elsewhere.pk)]})
    assert kept.status_code == 200  # already there: keeping it adds nothing
    assert client.patch(path, {"prompt_ids": [str(world.target.pk)]}).json()["prompt_ids"] == [str(world.target.pk)]
    response = _assert_refused_without_writing(lambda: client.patch(path, {"prompt_ids": [str(world.elsewhere.pk)]}), 400)
    assert error(response)["message"] == f"No prompt with id {world.elsewhere.pk} was found."


def test_patch_adding_a_prompt_seen_but_not_readable_is_refused_naming_read(world):
    grant(world.org, world.elsewhere, user=world.callers["object_grant"], permission="update")
    client = world.client("object_grant")
    path = f"/v1/prompt_session/{world.playground.pk}"
    response = _assert_refused_without_writing(lambda: client.patch(path, {"prompt_ids": [str(world.elsewhere.pk)]}), 403)
    assert error(response)["missing_permission"] == "read"


def test_a_playground_tries_its_prompts_on_a_dataset_of_another_project_the_caller_may_read(world):
    dataset = DatasetFactory(project=world.other_project, name="questions")
    client = world.client("owner")
    created = client.post("/v1/prompt_session", _new_playground(world, dataset_id=str(dataset.pk)))
    assert created.status_code == 200 and created.json()["dataset_id"] == str(dataset.pk)
    path = f"/v1/prompt_session/{world.playground.pk}"
    assert client.patch(path, {"dataset_id": str(dataset.pk)}).json()["dataset_id"] == str(dataset.pk)
    event = AuditEvent.objects.filter(action="prompt_session.update").latest("created")
    assert (event.before["dataset_id"], event.after["dataset_id"]) == (None, str(dataset.pk))
    assert client.patch(path, {"description": "kept", "dataset_id": None}).json()["dataset_id"] == str(dataset.pk)


def test_choosing_a_dataset_seen_but_not_readable_is_refused_naming_read_and_another_organizations_as_missing(world):
    dataset = DatasetFactory(project=world.other_project, name="private")
    grant(world.org, dataset, user=world.callers["object_grant"], permission="update")
    path = f"/v1/prompt_session/{world.playground.pk}"
    dataset_of = lambda: PromptSession.objects.get(pk=world.playground.pk).dataset_id  # noqa: E731
    refused = partial(assert_refused_without_writing, also_unchanged=[dataset_of])
    object_grant, owner = world.client("object_grant"), world.client("owner")
    response = refused(lambda: object_grant.patch(path, {"dataset_id": str(dataset.pk)}), 403)
    assert error(response)["missing_permission"] == "read"
    theirs = DatasetFactory(project=ProjectFactory(org=world.other_org))
    response = refused(lambda: owner.patch(path, {"dataset_id": str(theirs.pk)}), 400)
    assert error(response)["message"] == f"dataset_id: No dataset with id {theirs.pk} was found."


def test_patch_adding_a_prompt_of_another_organization_is_refused_as_missing(world):
    client = world.client("owner")
    path = f"/v1/prompt_session/{world.playground.pk}"
    _assert_refused_without_writing(lambda: client.patch(path, {"prompt_ids": [str(world.theirs.pk)]}), 400, "No prompt with id")


def test_a_change_that_changes_nothing_writes_no_event(world):
    client = world.client("owner")
    events = AuditEvent.objects.count()
    body = {"name": "Tone of voice", "prompt_ids": [str(world.target.pk)]}
    response = client.patch(f"/v1/prompt_session/{world.playground.pk}", body)
    assert response.status_code == 200
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(("who", "status"), [("viewer", 403), ("no_grant", 404), ("outsider", 404)])
def test_callers_without_update_cannot_patch(world, who, status):
    client = world.client(who)
    response = _assert_refused_without_writing(lambda: client.patch(f"/v1/prompt_session/{world.playground.pk}", {"name": "X"}), status)
    if status == 403:
        assert error(response)["missing_permission"] == "update"
    else:
        assert response.json() == not_found("prompt_session", world.playground.pk)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": ""}, "name: This field may not be blank."),
        ({"prompt_ids": [1]}, "prompt_ids: 0: Must be a valid UUID."),
        MOVE_TO_ANOTHER_PROJECT,
    ],
)
def test_patch_with_bad_input_answers_400_and_writes_nothing(world, body, message):
    client = world.client("owner")
    _assert_refused_without_writing(lambda: client.patch(f"/v1/prompt_session/{world.playground.pk}", body), 400, message)


def test_patch_to_a_name_taken_in_the_project_is_refused(world):
    PlaygroundFactory(project=world.project, name="Taken")
    client = world.client("owner")
    _assert_refused_without_writing(
        lambda: client.patch(f"/v1/prompt_session/{world.playground.pk}", {"name": "Taken"}), 400, "already exists"
    )


# Deleting


@pytest.mark.parametrize("who", ["owner", "engineer", "group_grant", "nested_group"])
def test_callers_with_delete_delete_the_playground_and_get_it_back(world, who):
    client = world.client(who)
    response = client.delete(f"/v1/prompt_session/{world.playground.pk}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["prompt_ids"]) == (str(world.playground.pk), [str(world.target.pk)])
    assert body["deleted_at"] is not None
    assert client.get(f"/v1/prompt_session/{world.playground.pk}").status_code == 404
    assert audit_actions()[-1] == "prompt_session.delete"
    again = client.post("/v1/prompt_session", _new_playground(world, name="Tone of voice"))
    assert again.status_code == 200 and again.json()["id"] != str(world.playground.pk)  # the name is free again


@pytest.mark.parametrize(("who", "status"), [("viewer", 403), ("object_grant", 403), ("no_grant", 404), ("outsider", 404)])
def test_callers_without_delete_cannot_delete_the_playground(world, who, status):
    client = world.client(who)
    response = _assert_refused_without_writing(lambda: client.delete(f"/v1/prompt_session/{world.playground.pk}"), status)
    if status == 403:
        assert error(response)["missing_permission"] == "delete"


def test_delete_of_a_missing_or_malformed_id(world):
    client = world.client("owner")
    _assert_refused_without_writing(lambda: client.delete(f"/v1/prompt_session/{uuid.uuid4()}"), 404)
    _assert_refused_without_writing(lambda: client.delete("/v1/prompt_session/nope"), 400, "prompt_session_id must be a UUID")


# Credentials


@pytest.mark.parametrize("credential", DEAD_CREDENTIALS)
def test_every_endpoint_answers_401_and_writes_nothing(world, credential):
    calls = crud_calls("/v1/prompt_session", world.playground.pk, _new_playground(world))
    client = DEAD_CREDENTIALS[credential](world.callers["owner"], world.org)
    assert_every_call_refused_without_writing(client, calls, 401, refused=_assert_refused_without_writing)


# The services, called directly


def test_services_check_access_and_references_themselves(world):
    viewer, editor = world.callers["viewer"], world.callers["group_grant"]
    with pytest.raises(AccessDenied):
        playground_create(actor=viewer, project=world.project, name="X")
    with pytest.raises(AccessDenied):
        playground_update(actor=viewer, playground=world.playground, name="X")
    with pytest.raises(ValidationError, match="No prompt with id"):
        playground_update(actor=editor, playground=world.playground, prompt_ids=[world.elsewhere.pk])
    assert list(world.playground.prompts.all()) == [world.target]
