"""``/v1/prompt``: every endpoint for every kind of caller, versions, slugs, bad input and query counts."""

import uuid
from functools import partial

import pytest

from permissions.exceptions import AccessDenied, NotFound, ValidationError
from permissions.models import AclGrant, AuditEvent
from projects.models import Prompt, PromptVersion
from projects.services import prompts as prompt_services
from projects.services.objects import project_delete
from projects.services.prompts import prompt_create, prompt_update
from tests.access_helpers import audit_actions, grant, row_counts
from tests.api_helpers import DEAD_CREDENTIALS, ApiClient, api_client_for, crud_calls
from tests.assertions import (
    BAD_RENAMES,
    assert_every_call_refused_without_writing,
    assert_hidden_as_if_missing,
    assert_non_object_bodies_refused,
    assert_reads,
    assert_refused_without_writing,
    assert_taken_without_naming,
    error,
    listed_ids,
    not_found,
)
from tests.factories import OrganizationFactory, ProjectFactory, add_member, owner_of
from tests.factories_prompts import CHAT_PROMPT, PROMPT_FIELDS, FunctionFactory, PromptFactory, build_world, grant_only
from tests.query_helpers import assert_one_and_thirty_cost_the_same
from tests.worlds import READERS, creator_client, listed_for_each_caller

pytestmark = pytest.mark.django_db

COMPLETION = {"prompt": {"type": "completion", "content": "Say {{x}}"}, "options": {"model": "gpt-4o-mini"}}


@pytest.fixture(scope="module")
def built_world(module_db):
    return build_world()


def _new_prompt(world, **fields) -> dict:
    return {"project_id": str(world.project.pk), "name": "Summarizer", "slug": "summarizer", "prompt_data": COMPLETION, **fields}


_assert_refused_without_writing = partial(assert_refused_without_writing, also_unchanged=[PromptVersion.objects.count])


# The JSON shape


def test_prompt_json_has_braintrust_fields(world):
    response = world.client("owner").get(f"/v1/prompt/{world.target.pk}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == PROMPT_FIELDS
    assert body["id"] == str(world.target.pk)
    assert body["_xact_id"] == str(world.target.xact_id)
    assert body["project_id"] == str(world.project.pk)
    assert body["org_id"] == str(world.org.pk)
    assert body["log_id"] == "p"
    assert (body["name"], body["slug"], body["description"]) == ("Reply drafter", "reply-drafter", "drafts replies")
    assert body["prompt_data"] == CHAT_PROMPT
    assert body["tags"] == ["support"]
    assert body["metadata"] is None
    assert body["function_type"] is None
    assert body["created"].startswith(str(world.target.created.year))


def test_published_schema_describes_prompt_as_the_endpoints_answer_it(world):
    schema = ApiClient().get("/v1/openapi.json", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    assert set(components["Prompt"]["properties"]) == PROMPT_FIELDS
    assert set(components["CreatePrompt"]["properties"]) == {
        "project_id",
        "name",
        "slug",
        "description",
        "prompt_data",
        "tags",
        "function_type",
    }
    assert set(components["CreatePrompt"]["required"]) == {"project_id", "name", "slug"}
    operations = {method: op["operationId"] for method, op in schema["paths"]["/v1/prompt"].items()}
    assert operations == {"get": "getPrompt", "post": "postPrompt", "put": "putPrompt"}
    detail = {method: op["operationId"] for method, op in schema["paths"]["/v1/prompt/{prompt_id}"].items()}
    assert detail == {"get": "getPromptId", "patch": "patchPromptId", "delete": "deletePromptId"}
    list_parameters = {p["name"] for p in schema["paths"]["/v1/prompt"]["get"]["parameters"]}
    assert {"slug", "prompt_name", "project_id", "project_name", "org_name", "ids", "version", "limit"} <= list_parameters


# Listing


@pytest.mark.parametrize(
    ("who", "visible"), listed_for_each_caller({"target", "elsewhere"}, through_the_group={"target"}, one_object={"target"})
)
def test_list_shows_exactly_the_prompts_the_caller_may_read(world, who, visible):
    expected = {str(getattr(world, name).pk) for name in visible}
    assert listed_ids(world.client(who).get("/v1/prompt")) == expected


def test_list_of_a_principal_of_another_organization_shows_only_its_own_prompts(world):
    assert listed_ids(world.client("outsider").get("/v1/prompt")) == {str(world.theirs.pk)}


def test_list_leaves_out_functions_that_are_not_prompts(world):
    listed = listed_ids(world.client("owner").get("/v1/prompt", {"project_id": str(world.project.pk)}))
    assert str(world.function.pk) not in listed
    assert str(world.target.pk) in listed


def test_list_is_newest_first_and_pages_with_a_cursor(world):
    for n in range(3):
        PromptFactory(project=world.project, slug=f"extra-{n}")
    client = world.client("owner")
    everything = client.get("/v1/prompt").json()["objects"]
    assert len(everything) == 5
    assert [p["created"] for p in everything] == sorted((p["created"] for p in everything), reverse=True)
    first = client.get("/v1/prompt", {"limit": 2}).json()["objects"]
    rest = client.get("/v1/prompt", {"starting_after": first[-1]["id"]}).json()["objects"]
    assert [p["id"] for p in first + rest] == [p["id"] for p in everything]
    assert client.get("/v1/prompt", {"ending_before": rest[0]["id"]}).json()["objects"] == first


def test_list_filters_by_slug_name_project_and_ids(world):
    client = world.client("owner")
    target, elsewhere = str(world.target.pk), str(world.elsewhere.pk)
    assert listed_ids(client.get("/v1/prompt", {"slug": "reply-drafter"})) == {target}
    assert listed_ids(client.get("/v1/prompt", {"prompt_name": "Query rewriter"})) == {elsewhere}
    assert listed_ids(client.get("/v1/prompt", {"project_id": str(world.other_project.pk)})) == {elsewhere}
    assert listed_ids(client.get("/v1/prompt", {"project_name": "Support bot"})) == {target}
    assert listed_ids(client.get("/v1/prompt", {"project_name": "Search", "slug": "reply-drafter"})) == set()
    assert listed_ids(client.client.get("/v1/prompt", {"ids": [target, elsewhere]})) == {target, elsewhere}
    assert listed_ids(client.get("/v1/prompt", {"ids": f"{target},{elsewhere}"})) == {target, elsewhere}
    assert listed_ids(client.get("/v1/prompt", {"org_name": world.org.name})) == {target, elsewhere}


def test_list_by_ids_does_not_reveal_prompts_the_caller_cannot_read(world):
    response = world.client("object_grant").client.get("/v1/prompt", {"ids": [str(world.target.pk), str(world.elsewhere.pk)]})
    assert listed_ids(response) == {str(world.target.pk)}


def test_deleted_prompts_and_prompts_of_deleted_projects_leave_the_list_and_answer_404(world):
    client = world.client("owner")
    assert client.delete(f"/v1/prompt/{world.target.pk}").status_code == 200
    project_delete(actor=owner_of(world.org), project=world.other_project)
    assert listed_ids(client.get("/v1/prompt")) == set()
    for prompt in (world.target, world.elsewhere):
        assert client.get(f"/v1/prompt/{prompt.pk}").json() == not_found("prompt", prompt.pk)
    assert Prompt.objects.filter(pk__in=[world.target.pk, world.elsewhere.pk]).count() == 2  # kept, soft deleted


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"ids": "not-a-uuid"}, "ids must be a UUID"),
        ({"project_id": "nope"}, "project_id must be a UUID"),
        ({"version": "abc"}, "version must be a transaction id"),
        ({"version": "-1"}, "version must be a transaction id"),
        ({"version": "99999999999999999999"}, "version must be a transaction id"),
        ({"version": "\u00b2"}, "version must be a transaction id"),
        ({"limit": "many"}, "limit must be a whole number"),
        ({"starting_after": "x"}, "starting_after must be a UUID"),
        ({"environment": "production"}, "environment needs the request to match a single prompt"),
    ],
)
def test_list_with_malformed_parameters_answers_400(world, params, message):
    response = world.client("owner").get("/v1/prompt", params)
    assert response.status_code == 400
    assert message in error(response)["message"]


def test_list_with_org_name_of_another_organization_is_refused(world):
    assert world.client("owner").get("/v1/prompt", {"org_name": world.other_org.name}).status_code == 400


@pytest.mark.parametrize("versioned", [False, True], ids=["current", "at-version"])
def test_list_costs_the_same_number_of_queries_for_one_and_thirty_prompts(versioned):
    org = OrganizationFactory()
    project = ProjectFactory(org=org)
    prompts = [PromptFactory(project=project) for _ in range(30)]
    for prompt in prompts[::3]:
        prompt_update(actor=owner_of(org), prompt=prompt, description="changed once")
    version = {"version": str(max(Prompt.objects.values_list("xact_id", flat=True)))} if versioned else {}
    editor, viewer = add_member(org), add_member(org, None, "viewers")
    grant(org, project, user=editor, permission="read", restrict="prompt")
    assert_one_and_thirty_cost_the_same("/v1/prompt", org, (owner_of(org), viewer, editor), at_most=8, **version)


# Reading one


@pytest.mark.parametrize("who", READERS)
def test_callers_who_may_read_the_prompt_get_it(world, who):
    assert_reads(world.client(who), "prompt", world.target.pk)


@pytest.mark.parametrize("who", ["no_grant", "outsider"])
def test_callers_who_cannot_see_the_prompt_get_the_same_404_as_for_a_missing_id(world, who):
    assert_hidden_as_if_missing(world.client(who), "prompt", world.target.pk)


def test_object_grant_on_one_prompt_does_not_reach_another(world):
    assert world.client("object_grant").get(f"/v1/prompt/{world.elsewhere.pk}").json() == not_found("prompt", world.elsewhere.pk)


def test_holder_of_update_only_is_told_it_lacks_read(world):
    updater = grant_only(world, world.target, "update")
    response = api_client_for(updater, world.org).get(f"/v1/prompt/{world.target.pk}")
    assert response.status_code == 403
    assert error(response)["missing_permission"] == "read"


def test_prompt_of_another_organization_is_not_found_even_for_an_owner(world):
    assert world.client("owner").get(f"/v1/prompt/{world.theirs.pk}").json() == not_found("prompt", world.theirs.pk)


def test_function_that_is_not_a_prompt_is_not_found_as_a_prompt(world):
    assert world.client("owner").get(f"/v1/prompt/{world.function.pk}").json() == not_found("prompt", world.function.pk)


def test_prompt_id_that_is_not_a_uuid_answers_400(world):
    response = world.client("owner").get("/v1/prompt/not-a-uuid")
    assert response.status_code == 400
    assert "prompt_id must be a UUID" in error(response)["message"]


def test_environment_with_nothing_pinned_there_answers_404_naming_it(world):
    response = world.client("owner").get(f"/v1/prompt/{world.target.pk}", {"environment": "production"})
    assert response.status_code == 404
    assert "pinned to the environment production" in error(response)["message"]


# Versions


def test_every_change_keeps_a_version_that_the_detail_fetches_by_version(world):
    client = world.client("owner")
    path = f"/v1/prompt/{world.target.pk}"
    first = client.get(path).json()
    second = client.patch(path, {"name": "Reply drafter v2", "tags": ["support", "v2"]}).json()
    third = client.put("/v1/prompt", _new_prompt(world, slug="reply-drafter", name="Reply drafter v3")).json()
    xacts = [int(first["_xact_id"]), int(second["_xact_id"]), int(third["_xact_id"])]
    assert xacts == sorted(xacts) and len(set(xacts)) == 3
    assert PromptVersion.objects.filter(prompt=world.target).count() == 3
    for state in (first, second, third):
        assert client.get(path, {"version": state["_xact_id"]}).json() == state
    assert client.get(path).json() == third
    assert third["prompt_data"] == COMPLETION
    assert (third["tags"], third["description"]) == (None, "")  # PUT replaced them


def test_version_between_two_changes_answers_the_earlier_state(world):
    client = world.client("owner")
    path = f"/v1/prompt/{world.target.pk}"
    first = client.get(path).json()
    unrelated = PromptFactory(project=world.other_project)  # a transaction between the two versions
    client.patch(path, {"description": "later"})
    response = client.get(path, {"version": str(unrelated.xact_id)})
    assert response.json() == first


@pytest.mark.parametrize("when", ["before-creation", "unknown-transaction"])
def test_version_at_which_the_prompt_did_not_exist_is_not_found(world, when):
    later = PromptFactory(project=world.project, slug="later")
    version = world.target.xact_id if when == "before-creation" else later.xact_id + 10_000
    response = world.client("owner").get(f"/v1/prompt/{later.pk}", {"version": str(version)})
    assert response.status_code == 404
    assert error(response)["message"] == f"No prompt version with id {version} was found."


def test_version_of_a_prompt_the_caller_cannot_see_is_not_found_like_any_other(world):
    response = world.client("no_grant").get(f"/v1/prompt/{world.target.pk}", {"version": str(world.target.xact_id)})
    assert response.json() == not_found("prompt", world.target.pk)


def test_list_at_a_version_shows_each_prompt_as_it_was_and_leaves_out_later_ones(world):
    client = world.client("owner")
    version = str(max(Prompt.objects.values_list("xact_id", flat=True)))
    before = {p["id"]: p for p in client.get("/v1/prompt").json()["objects"]}
    client.patch(f"/v1/prompt/{world.target.pk}", {"name": "Renamed", "slug": "renamed"})
    newer = PromptFactory(project=world.project, slug="newer")
    objects = {p["id"]: p for p in client.get("/v1/prompt", {"version": version}).json()["objects"]}
    assert str(newer.pk) not in objects
    assert objects == before


def test_list_at_a_version_matches_slug_and_name_as_they_were(world):
    client = world.client("owner")
    version = str(world.target.xact_id)
    client.patch(f"/v1/prompt/{world.target.pk}", {"name": "Renamed", "slug": "renamed"})
    assert listed_ids(client.get("/v1/prompt", {"slug": "reply-drafter", "version": version})) == {str(world.target.pk)}
    assert listed_ids(client.get("/v1/prompt", {"prompt_name": "Reply drafter", "version": version})) == {str(world.target.pk)}
    assert listed_ids(client.get("/v1/prompt", {"slug": "renamed", "version": version})) == set()
    assert listed_ids(client.get("/v1/prompt", {"slug": "renamed"})) == {str(world.target.pk)}


def test_list_at_a_version_is_restricted_like_the_list(world):
    version = str(max(Prompt.objects.values_list("xact_id", flat=True)))
    assert listed_ids(world.client("object_grant").get("/v1/prompt", {"version": version})) == {str(world.target.pk)}
    assert listed_ids(world.client("no_grant").get("/v1/prompt", {"version": version})) == set()


def test_list_at_an_unknown_version_is_empty(world):
    unknown = str(max(Prompt.objects.values_list("xact_id", flat=True)) + 10_000)
    assert listed_ids(world.client("owner").get("/v1/prompt", {"version": unknown})) == set()


def test_a_change_that_changes_nothing_keeps_no_version_and_writes_no_event(world):
    client = world.client("owner")
    events, versions = AuditEvent.objects.count(), PromptVersion.objects.count()
    response = client.patch(f"/v1/prompt/{world.target.pk}", {"name": "Reply drafter", "tags": ["support"]})
    assert response.status_code == 200
    assert response.json()["_xact_id"] == str(world.target.xact_id)
    assert (AuditEvent.objects.count(), PromptVersion.objects.count()) == (events, versions)


# Creating (POST)


@pytest.mark.parametrize("who", ["owner", "engineer", "group_grant", "nested_group"])
def test_callers_who_may_create_prompts_create_one(world, who):
    body = _new_prompt(world, description="sums up", tags=["x"], function_type="llm")
    response = world.client(who).post("/v1/prompt", body)
    assert response.status_code == 200, response.content
    created = Prompt.objects.get(project=world.project, slug="summarizer")
    shown = response.json()
    assert shown["id"] == str(created.pk)
    assert (shown["name"], shown["description"], shown["tags"], shown["function_type"]) == ("Summarizer", "sums up", ["x"], "llm")
    assert shown["prompt_data"] == COMPLETION
    assert shown["_xact_id"] == str(created.xact_id)
    assert list(created.versions.values_list("xact_id", flat=True)) == [created.xact_id]
    assert created.created_by == world.callers[who]
    assert not created.is_function
    assert audit_actions()[-1] == "prompt.create"
    assert AclGrant.objects.filter(object_type="prompt", object_id=created.pk, user=world.callers[who]).exists()


def test_creator_can_read_what_it_created_in_the_same_list(world):
    client = world.client("group_grant")
    created = client.post("/v1/prompt", _new_prompt(world)).json()
    assert created["id"] in listed_ids(client.get("/v1/prompt"))


@pytest.mark.parametrize(("who", "status"), [("viewer", 403), ("object_grant", 404), ("no_grant", 404), ("outsider", 404)])
def test_callers_who_may_not_create_prompts_are_refused_and_nothing_is_written(world, who, status):
    client = world.client(who)
    response = _assert_refused_without_writing(lambda: client.post("/v1/prompt", _new_prompt(world)), status)
    if status == 403:
        assert error(response)["missing_permission"] == "create"
    else:
        assert error(response)["message"] == f"No project with id {world.project.pk} was found."


def test_post_with_an_existing_slug_returns_that_prompt_unchanged(world):
    client, owner = world.client("engineer"), world.client("owner")
    shown = owner.get(f"/v1/prompt/{world.target.pk}").json()
    before = row_counts()
    response = client.post("/v1/prompt", _new_prompt(world, slug="reply-drafter", name="Other", description="ignored"))
    assert response.status_code == 200
    assert response.json() == shown
    assert row_counts() == before


def test_same_slug_in_another_project_is_another_prompt(world):
    response = world.client("owner").post("/v1/prompt", _new_prompt(world, project_id=str(world.other_project.pk), slug="reply-drafter"))
    assert response.status_code == 200
    assert response.json()["id"] != str(world.target.pk)
    assert Prompt.objects.filter(slug="reply-drafter").count() == 2


def test_post_with_the_slug_of_a_prompt_the_caller_cannot_read_says_only_that_it_is_taken(world):
    client = creator_client(world.org, world.project, "prompt")
    body = _new_prompt(world, slug="reply-drafter")
    assert_taken_without_naming(lambda: client.post("/v1/prompt", body), world.target, refused=_assert_refused_without_writing)


def test_post_with_the_slug_of_a_function_is_refused_as_taken(world):
    client = world.client("owner")
    _assert_refused_without_writing(lambda: client.post("/v1/prompt", _new_prompt(world, slug="exact-scorer")), 400, "already exists")


def test_slug_of_a_deleted_prompt_can_be_used_again(world):
    client = world.client("owner")
    client.delete(f"/v1/prompt/{world.target.pk}")
    response = client.post("/v1/prompt", _new_prompt(world, slug="reply-drafter"))
    assert response.status_code == 200
    assert response.json()["id"] != str(world.target.pk)


def test_post_into_a_deleted_or_missing_project_is_not_found(world):
    client = world.client("owner")
    missing = uuid.uuid4()
    _assert_refused_without_writing(lambda: client.post("/v1/prompt", _new_prompt(world, project_id=str(missing))), 404)
    project_delete(actor=owner_of(world.org), project=world.other_project)
    body = _new_prompt(world, project_id=str(world.other_project.pk))
    response = _assert_refused_without_writing(lambda: client.post("/v1/prompt", body), 404)
    assert error(response)["message"] == f"No project with id {world.other_project.pk} was found."


def test_post_into_a_project_of_another_organization_is_not_found(world):
    body, client = _new_prompt(world, project_id=str(world.theirs.project_id)), world.client("owner")
    _assert_refused_without_writing(lambda: client.post("/v1/prompt", body), 404)


MISSING = object()  # a field left out of the body

BAD_BODIES = [
    ({"project_id": MISSING}, "project_id: This field is required."),
    ({"project_id": "not-a-uuid"}, "project_id: Must be a valid UUID."),
    ({"project_id": 5}, "project_id: Must be a valid UUID."),
    ({"slug": MISSING}, "slug: This field is required."),
    ({"name": MISSING}, "name: This field is required."),
    ({"name": ""}, "name: This field may not be blank."),
    ({"name": 5}, "name: Not a valid string."),
    ({"slug": "Not A Slug"}, "slug must be lowercase letters, digits, hyphens and underscores"),
    ({"colour": "red"}, "colour: Unknown field."),
    ({"metadata": {}}, "metadata: Unknown field."),
    ({"function_data": {"type": "prompt"}}, "function_data: Unknown field."),
    ({"description": 5}, "description: Not a valid string."),
    ({"tags": "support"}, "tags: Expected a list of items"),
    ({"tags": [1]}, "tags: 0: Not a valid string."),
    ({"function_type": "wizard"}, 'function_type: "wizard" is not a valid choice.'),
    ({"prompt_data": "hello"}, "prompt_data: prompt_data must be a JSON object."),
    ({"prompt_data": {"model": "gpt"}}, "prompt_data has unknown fields: model"),
    ({"prompt_data": {"prompt": {"type": "poem"}}}, "prompt_data.prompt.type must be one of chat, completion"),
    ({"prompt_data": {"prompt": {"type": "chat"}}}, "prompt_data.prompt needs messages"),
    ({"prompt_data": {"prompt": {"type": "chat", "messages": [{"role": "robot"}]}}}, "prompt_data.prompt.messages[0].role must be one of"),
    ({"prompt_data": {"prompt": {"type": "completion", "content": 3}}}, "prompt_data.prompt.content must be a string"),
    ({"prompt_data": {"options": {"model": 4}}}, "prompt_data.options.model must be a string"),
    ({"prompt_data": {"options": {"position": {}}}}, "prompt_data.options.position must be a string"),
    ({"prompt_data": {"options": {"position": [None, None]}}}, "prompt_data.options.position must be a string"),
    ({"prompt_data": {"options": {"position": None}}}, "prompt_data.options.position must be a string"),
    ({"prompt_data": {"template_format": "jinja"}}, "prompt_data.template_format must be one of"),
    (
        {"prompt_data": {"parser": {"type": "llm_classifier", "use_cot": True, "choice_scores": {"A": 2}}}},
        "prompt_data.parser.choice_scores.A must be a number from 0 to 1",
    ),
    ({"prompt_data": {"parser": {"type": "llm_classifier"}}}, "prompt_data.parser needs use_cot"),
    ({"prompt_data": {"tool_functions": [{"type": "function"}]}}, "prompt_data.tool_functions[0] needs id"),
]


def _body(world, changes: dict) -> dict:
    body = {**_new_prompt(world), **changes}
    return {field: value for field, value in body.items() if value is not MISSING}


@pytest.mark.parametrize(("changes", "message"), BAD_BODIES)
def test_post_with_bad_input_answers_400_naming_the_problem_and_writes_nothing(world, changes, message):
    client = world.client("owner")
    _assert_refused_without_writing(lambda: client.post("/v1/prompt", _body(world, changes)), 400, message)


def test_post_body_that_is_not_a_json_object_answers_400(world):
    assert_non_object_bodies_refused(world.client("owner"), "/v1/prompt", refused=_assert_refused_without_writing)


def test_bad_input_is_a_400_even_for_a_caller_who_may_not_create(world):
    client = world.client("viewer")
    _assert_refused_without_writing(lambda: client.post("/v1/prompt", _new_prompt(world, slug="Bad Slug")), 400, "slug must be")


# Creating or replacing (PUT)


@pytest.mark.parametrize("who", ["owner", "engineer", "group_grant", "nested_group", "object_grant"])
def test_put_replaces_every_field_of_the_prompt_with_that_slug_and_keeps_a_version(world, who):
    before_xact = world.target.xact_id
    body = _new_prompt(world, slug="reply-drafter", name="Replier", function_type="task")
    response = world.client(who).put("/v1/prompt", body)
    assert response.status_code == 200, response.content
    shown = response.json()
    assert shown["id"] == str(world.target.pk)
    assert (shown["name"], shown["description"], shown["tags"], shown["function_type"]) == ("Replier", "", None, "task")
    assert shown["prompt_data"] == COMPLETION
    assert int(shown["_xact_id"]) > before_xact
    world.target.refresh_from_db()
    assert (world.target.name, world.target.tags) == ("Replier", None)
    assert world.target.versions.count() == 2
    assert audit_actions()[-1] == "prompt.update"
    event = AuditEvent.objects.filter(action="prompt.update").latest("created")
    assert event.before["name"] == "Reply drafter" and event.after["name"] == "Replier"


def test_put_with_a_new_slug_creates_the_prompt(world):
    response = world.client("engineer").put("/v1/prompt", _new_prompt(world, slug="fresh"))
    assert response.status_code == 200
    assert Prompt.objects.get(project=world.project, slug="fresh").name == "Summarizer"
    assert audit_actions()[-1] == "prompt.create"


def test_put_by_a_viewer_is_refused_naming_update(world):
    client = world.client("viewer")
    response = _assert_refused_without_writing(lambda: client.put("/v1/prompt", _new_prompt(world, slug="reply-drafter")), 403)
    assert error(response)["missing_permission"] == "update"
    response = _assert_refused_without_writing(lambda: client.put("/v1/prompt", _new_prompt(world, slug="brand-new")), 403)
    assert error(response)["missing_permission"] == "create"


@pytest.mark.parametrize("who", ["no_grant", "outsider"])
def test_put_by_callers_who_cannot_see_the_project_is_not_found(world, who):
    client = world.client(who)
    _assert_refused_without_writing(lambda: client.put("/v1/prompt", _new_prompt(world, slug="reply-drafter")), 404)
    _assert_refused_without_writing(lambda: client.put("/v1/prompt", _new_prompt(world, slug="brand-new")), 404)


def test_put_with_bad_input_answers_400_and_writes_nothing(world):
    client = world.client("owner")
    body = _new_prompt(world, slug="reply-drafter", prompt_data={"prompt": {"type": "chat", "messages": "hi"}})
    _assert_refused_without_writing(lambda: client.put("/v1/prompt", body), 400, "prompt_data.prompt.messages must be a list")
    _assert_refused_without_writing(lambda: client.put("/v1/prompt", {**body, "extra": 1}), 400, "extra: Unknown field.")


# Updating (PATCH)


@pytest.mark.parametrize("who", ["owner", "engineer", "group_grant", "nested_group", "object_grant"])
def test_callers_with_update_on_the_prompt_change_it_and_keep_a_version(world, who):
    body = {
        "name": "Drafter",
        "slug": "drafter",
        "description": "new",
        "prompt_data": COMPLETION,
        "tags": [],
        "function_type": "scorer",
    }
    response = world.client(who).patch(f"/v1/prompt/{world.target.pk}", body)
    assert response.status_code == 200, response.content
    shown = response.json()
    assert {field: shown[field] for field in body} == body
    world.target.refresh_from_db()
    assert (world.target.slug, world.target.function_type) == ("drafter", "scorer")
    assert world.target.versions.count() == 2
    assert audit_actions()[-1] == "prompt.update"


def test_patch_leaves_out_and_null_fields_as_they_are(world):
    response = world.client("owner").patch(f"/v1/prompt/{world.target.pk}", {"description": None, "tags": None, "name": "Only name"})
    assert response.status_code == 200
    shown = response.json()
    assert (shown["name"], shown["description"], shown["tags"], shown["slug"]) == (
        "Only name",
        "drafts replies",
        ["support"],
        "reply-drafter",
    )
    assert shown["prompt_data"] == CHAT_PROMPT


@pytest.mark.parametrize("who", ["viewer"])
def test_readers_cannot_update_the_prompt(world, who):
    client = world.client(who)
    response = _assert_refused_without_writing(lambda: client.patch(f"/v1/prompt/{world.target.pk}", {"name": "X"}), 403)
    assert error(response)["missing_permission"] == "update"


@pytest.mark.parametrize("who", ["no_grant", "outsider"])
def test_callers_who_cannot_see_the_prompt_cannot_update_it(world, who):
    client = world.client(who)
    response = _assert_refused_without_writing(lambda: client.patch(f"/v1/prompt/{world.target.pk}", {"name": "X"}), 404)
    assert response.json() == not_found("prompt", world.target.pk)


def test_object_grant_on_one_prompt_cannot_update_another(world):
    client = world.client("object_grant")
    _assert_refused_without_writing(lambda: client.patch(f"/v1/prompt/{world.elsewhere.pk}", {"name": "X"}), 404)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        *BAD_RENAMES,
        ({"slug": "exact-scorer"}, "already exists"),
        ({"slug": "UPPER"}, "slug must be lowercase"),
        ({"tags": "x"}, "tags: Expected a list of items"),
        ({"function_type": "wizard"}, "is not a valid choice"),
        ({"function_data": {"type": "prompt"}}, "function_data: Unknown field."),
        ({"prompt_data": []}, "prompt_data must be a JSON object"),
        ({"metadata": {"a": 1}}, "metadata: Unknown field."),
    ],
)
def test_patch_with_bad_input_answers_400_naming_the_problem_and_writes_nothing(world, body, message):
    client = world.client("owner")
    _assert_refused_without_writing(lambda: client.patch(f"/v1/prompt/{world.target.pk}", body), 400, message)


def test_patch_of_a_malformed_id_answers_400(world):
    client = world.client("owner")
    _assert_refused_without_writing(lambda: client.patch("/v1/prompt/123", {"name": "X"}), 400, "prompt_id must be a UUID")


# Deleting


@pytest.mark.parametrize("who", ["owner", "engineer", "group_grant", "nested_group"])
def test_callers_with_delete_on_the_prompt_delete_it_and_get_it_back(world, who):
    client = world.client(who)
    shown = client.get(f"/v1/prompt/{world.target.pk}").json()
    response = client.delete(f"/v1/prompt/{world.target.pk}")
    assert response.status_code == 200, response.content
    assert response.json() == shown
    world.target.refresh_from_db()
    assert world.target.deleted_at is not None
    assert world.target.versions.count() == 1
    assert audit_actions()[-1] == "prompt.delete"
    assert client.get(f"/v1/prompt/{world.target.pk}").status_code == 404
    assert client.get(f"/v1/prompt/{world.target.pk}", {"version": shown["_xact_id"]}).status_code == 404


@pytest.mark.parametrize(("who", "status"), [("viewer", 403), ("object_grant", 403), ("no_grant", 404), ("outsider", 404)])
def test_callers_without_delete_cannot_delete_the_prompt(world, who, status):
    client = world.client(who)
    response = _assert_refused_without_writing(lambda: client.delete(f"/v1/prompt/{world.target.pk}"), status)
    if status == 403:
        assert error(response)["missing_permission"] == "delete"


def test_delete_of_a_missing_or_malformed_id(world):
    client = world.client("owner")
    _assert_refused_without_writing(lambda: client.delete(f"/v1/prompt/{uuid.uuid4()}"), 404)
    _assert_refused_without_writing(lambda: client.delete(f"/v1/prompt/{world.theirs.pk}"), 404)
    _assert_refused_without_writing(lambda: client.delete("/v1/prompt/nope"), 400)


# Credentials


@pytest.mark.parametrize("credential", DEAD_CREDENTIALS)
def test_every_endpoint_answers_401_and_writes_nothing(world, credential):
    calls = crud_calls("/v1/prompt", world.target.pk, _new_prompt(world), _new_prompt(world, slug="reply-drafter"))
    client = DEAD_CREDENTIALS[credential](world.callers["owner"], world.org)
    assert_every_call_refused_without_writing(client, calls, 401, refused=_assert_refused_without_writing)


# The services, called directly: the second line of defence


def test_services_check_access_themselves(world):
    viewer, stranger = world.callers["viewer"], world.callers["no_grant"]
    with pytest.raises(AccessDenied):
        prompt_update(actor=viewer, prompt=world.target, name="X")
    with pytest.raises(AccessDenied):
        prompt_create(actor=viewer, project=world.project, name="X", slug="x")
    with pytest.raises(NotFound):
        prompt_create(actor=stranger, project=world.project, name="X", slug="x")
    with pytest.raises(NotFound):
        prompt_update(actor=stranger, prompt=world.target, name="X")


def test_each_write_records_exactly_one_audit_event(world):
    owner = owner_of(world.org)
    count = AuditEvent.objects.count
    before = count()
    prompt = prompt_create(actor=owner, project=world.project, name="Once", slug="once")
    assert count() == before + 1
    prompt_update(actor=owner, prompt=prompt, name="Twice")
    assert count() == before + 2
    prompt_services.prompt_replace(actor=owner, prompt=prompt, name="Thrice")
    assert count() == before + 3
    prompt_services.prompt_delete(actor=owner, prompt=prompt)
    assert count() == before + 4


def test_service_refuses_a_slug_taken_in_the_project(world):
    with pytest.raises(ValidationError, match="already exists"):
        prompt_create(actor=owner_of(world.org), project=world.project, name="X", slug="reply-drafter")
    with pytest.raises(ValidationError, match="already exists"):
        prompt_update(actor=owner_of(world.org), prompt=world.function, slug="reply-drafter")


def test_a_second_function_factory_row_shares_the_slug_namespace_with_prompts(world):
    with pytest.raises(ValidationError, match="already exists"):
        FunctionFactory(project=world.project, slug="reply-drafter")
