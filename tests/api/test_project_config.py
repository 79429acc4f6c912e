"""``/v1/project_tag`` and ``/v1/project_score``: every endpoint for every kind of caller, score definitions,
references to scorer functions, bad input, other organizations, query counts, and names unique per project
(also under concurrency, on PostgreSQL)."""

import uuid
from dataclasses import dataclass

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Organization, User
from permissions.engine import Node
from permissions.exceptions import ValidationError
from permissions.models import PermissionGroup
from projects.models import Project, ProjectScore, ProjectTag, Prompt
from projects.services.configuration import project_tag_create
from tests.access_helpers import audit_actions, custom_group, grant, grant_many, nest
from tests.access_helpers import row_counts as access_row_counts
from tests.api_helpers import DEAD_CREDENTIALS, ApiClient, api_client_for, crud_calls
from tests.assertions import (
    BAD_RENAMES,
    MOVE_TO_ANOTHER_PROJECT,
    assert_every_call_refused_without_writing,
    assert_hidden_as_if_missing,
    assert_refused_without_writing,
    error,
    listed_names,
    not_found,
)
from tests.factories import OrganizationFactory, ProjectFactory, add_member, owner_of
from tests.factories_configuration import ProjectScoreFactory, ProjectTagFactory, ScorerFunctionFactory
from tests.query_helpers import assert_one_and_thirty_cost_the_same, projects_and_their_readers
from tests.worlds import ActsAsCallers, callers_of

pytestmark = pytest.mark.django_db

TAG_FIELDS = {"id", "project_id", "user_id", "created", "name", "description", "color", "position"}
SCORE_FIELDS = {"id", "project_id", "user_id", "created", "name", "description", "score_type", "categories", "config", "position"}
READERS = ["owner", "engineer", "viewer", "group_grant", "nested_group", "object_grant"]
WRITERS = ["owner", "engineer", "group_grant", "nested_group", "object_grant"]


@dataclass
class World(ActsAsCallers):
    """An organization with one caller of each kind, two projects with a tag and a score each, and a second
    organization with its own."""

    org: Organization
    other_org: Organization
    target: Project  # the project the endpoints act on
    sibling: Project
    theirs: Project  # a project of the other organization
    tag: ProjectTag  # "urgent", in target
    score: ProjectScore  # "accuracy", a slider in target
    editors: PermissionGroup  # holds read and update on all projects
    callers: dict[str, User]


@pytest.fixture(scope="module")
def built_world(module_db) -> World:
    org, other_org = OrganizationFactory(), OrganizationFactory()
    target, sibling = ProjectFactory(org=org, name="Target"), ProjectFactory(org=org, name="Sibling")
    theirs = ProjectFactory(org=other_org, name="Theirs")
    tag = ProjectTagFactory(project=target, name="urgent")
    ProjectTagFactory(project=sibling, name="later")
    ProjectTagFactory(project=theirs, name="their-tag")
    score = ProjectScoreFactory(project=target, name="accuracy")
    ProjectScoreFactory(project=sibling, name="fluency", score_type="free-form")
    ProjectScoreFactory(project=theirs, name="their-score")
    editors = custom_group(org, name="Config editors")
    grant_many(org, Node("org_project", org.pk), ("read", "update"), group=editors)
    inner = custom_group(org, name="Inner")
    nest(editors, inner)
    callers = callers_of(org, other_org, managers=editors, inner=inner, target=target)
    return World(org, other_org, target, sibling, theirs, tag, score, editors, callers)


def row_counts() -> dict[str, int]:
    """Every table the services write, tags and scores included: equal before and after a refused change."""
    return {**access_row_counts(), "tags": ProjectTag.objects.count(), "scores": ProjectScore.objects.count()}


def _config_state() -> dict:
    tags = {t["id"]: t for t in ProjectTag.objects.values()}
    scores = {s["id"]: s for s in ProjectScore.objects.values()}
    return {"tags": tags, "scores": scores}


def _assert_refused_without_writing(call, status: int, message: str | None = None) -> dict:
    return assert_refused_without_writing(call, status, message, ignore_case=True, also_unchanged=[_config_state]).json()


# The JSON shapes


def test_tag_json_has_braintrust_fields(world):
    ProjectTag.objects.filter(pk=world.tag.pk).update(description="fix first", color="#ff0000", created_by=world.callers["owner"])
    response = world.client("viewer").get(f"/v1/project_tag/{world.tag.pk}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == TAG_FIELDS
    assert body == {
        "id": str(world.tag.pk),
        "project_id": str(world.target.pk),
        "user_id": str(world.callers["owner"].pk),
        "created": body["created"],
        "name": "urgent",
        "description": "fix first",
        "color": "#ff0000",
        "position": None,
    }
    assert body["created"].startswith(str(world.tag.created.year))


def test_score_json_has_braintrust_fields(world):
    response = world.client("viewer").get(f"/v1/project_score/{world.score.pk}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == SCORE_FIELDS
    assert (body["id"], body["project_id"], body["name"], body["score_type"]) == (
        str(world.score.pk),
        str(world.target.pk),
        "accuracy",
        "slider",
    )
    assert (body["categories"], body["config"], body["position"], body["user_id"]) == (None, None, None, None)


def test_published_schema_describes_tags_and_scores_as_the_endpoints_answer_them():
    schema = ApiClient().get("/v1/openapi.json", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    assert set(components["ProjectTag"]["properties"]) == TAG_FIELDS
    assert set(components["ProjectScore"]["properties"]) == SCORE_FIELDS
    assert set(components["CreateProjectTag"]["properties"]) == {"project_id", "name", "description", "color"}
    assert set(components["CreateProjectScore"]["properties"]) == {
        "project_id",
        "name",
        "description",
        "score_type",
        "categories",
        "config",
    }
    assert set(components["OnlineScoreConfig"]["required"]) == {"sampling_rate", "scorers"}
    for kind, operation in (("project_tag", "ProjectTag"), ("project_score", "ProjectScore")):
        collection = {method: op["operationId"] for method, op in schema["paths"][f"/v1/{kind}"].items()}
        assert collection == {"get": f"get{operation}", "post": f"post{operation}", "put": f"put{operation}"}
        detail = {method: op["operationId"] for method, op in schema["paths"][f"/v1/{kind}/{{{kind}_id}}"].items()}
        assert detail == {"get": f"get{operation}Id", "patch": f"patch{operation}Id", "delete": f"delete{operation}Id"}


# Listing

ALL_TAGS, ALL_SCORES = {"urgent", "later"}, {"accuracy", "fluency"}


@pytest.mark.parametrize(
    ("who", "tags", "scores"),
    [
        ("owner", ALL_TAGS, ALL_SCORES),
        ("engineer", ALL_TAGS, ALL_SCORES),
        ("viewer", ALL_TAGS, ALL_SCORES),
        ("group_grant", ALL_TAGS, ALL_SCORES),
        ("nested_group", ALL_TAGS, ALL_SCORES),
        ("object_grant", {"urgent"}, {"accuracy"}),
        ("no_grant", set(), set()),
        ("outsider", {"their-tag"}, {"their-score"}),
    ],
)
def test_lists_show_exactly_the_rows_of_projects_the_caller_may_read(world, who, tags, scores):
    client = world.client(who)
    assert listed_names(client.get("/v1/project_tag")) == tags
    assert listed_names(client.get("/v1/project_score")) == scores


def test_holder_of_update_only_lists_nothing(world):
    updater = add_member(world.org)
    grant(world.org, world.target, user=updater, permission="update")
    client = api_client_for(updater, world.org)
    assert listed_names(client.get("/v1/project_tag")) == set()
    assert listed_names(client.get("/v1/project_score")) == set()


@pytest.mark.parametrize(
    ("kind", "name_param", "target_name"),
    [("project_tag", "project_tag_name", "urgent"), ("project_score", "project_score_name", "accuracy")],
)
def test_lists_filter_by_name_project_and_ids(world, kind, name_param, target_name):
    client = world.client("owner")
    path = f"/v1/{kind}"
    everything = client.get(path).json()["objects"]
    [target_row] = [row for row in everything if row["name"] == target_name]
    assert listed_names(client.get(path, {name_param: target_name})) == {target_name}
    assert len(listed_names(client.get(path, {name_param: "nope"}))) == 0
    assert listed_names(client.get(path, {"project_id": str(world.target.pk)})) == {target_name}
    assert listed_names(client.get(path, {"project_name": "Target"})) == {target_name}
    assert listed_names(client.get(path, {"project_name": "Target", "project_id": str(world.sibling.pk)})) == set()
    assert listed_names(client.get(path, {"ids": target_row["id"]})) == {target_name}
    assert len(listed_names(client.client.get(path, {"ids": [row["id"] for row in everything]}))) == 2
    assert len(listed_names(client.get(path, {"org_name": world.org.name}))) == 2


def test_lists_by_ids_do_not_reveal_rows_of_projects_the_caller_cannot_read(world):
    client = world.client("object_grant")
    ids = [str(t.pk) for t in ProjectTag.objects.all()]
    assert listed_names(client.client.get("/v1/project_tag", {"ids": ids})) == {"urgent"}


def test_score_list_filters_by_score_type(world):
    ProjectScoreFactory(project=world.target, name="verdict", score_type="categorical", categories=[{"name": "ok", "value": 1}])
    client = world.client("owner")
    assert listed_names(client.get("/v1/project_score", {"score_type": "slider"})) == {"accuracy"}
    assert listed_names(client.client.get("/v1/project_score", {"score_type": ["slider", "categorical"]})) == {"accuracy", "verdict"}
    assert listed_names(client.get("/v1/project_score", {"score_type": "free-form,categorical"})) == {"fluency", "verdict"}
    response = client.get("/v1/project_score", {"score_type": "thumbs"})
    assert response.status_code == 400
    assert "score_type must be one of" in error(response)["message"]


@pytest.mark.parametrize("kind", ["project_tag", "project_score"])
def test_rows_of_a_deleted_project_leave_lists_and_answer_404(world, kind):
    row = world.tag if kind == "project_tag" else world.score
    Project.objects.filter(pk=world.target.pk).update(deleted_at=timezone.now())
    client = world.client("owner")
    assert row.name not in listed_names(client.get(f"/v1/{kind}"))
    assert client.get(f"/v1/{kind}/{row.pk}").json() == not_found(kind, row.pk)
    _assert_refused_without_writing(lambda: client.patch(f"/v1/{kind}/{row.pk}", {"description": "x"}), 404)
    _assert_refused_without_writing(lambda: client.delete(f"/v1/{kind}/{row.pk}"), 404)
    body = {"project_id": str(world.target.pk), "name": "new", **({"score_type": "slider"} if kind == "project_score" else {})}
    assert _assert_refused_without_writing(lambda: client.post(f"/v1/{kind}", body), 404) == not_found("project", world.target.pk)


@pytest.mark.parametrize("kind", ["project_tag", "project_score"])
def test_list_is_newest_first_and_pages_with_a_cursor(world, kind):
    factory = ProjectTagFactory if kind == "project_tag" else ProjectScoreFactory
    for n in range(3):
        factory(project=world.target, name=f"extra-{n}")
    client = world.client("owner")
    everything = client.get(f"/v1/{kind}").json()["objects"]
    assert [row["name"] for row in everything][:3] == ["extra-2", "extra-1", "extra-0"]
    first = client.get(f"/v1/{kind}", {"limit": 2}).json()["objects"]
    rest = client.get(f"/v1/{kind}", {"starting_after": first[-1]["id"]}).json()["objects"]
    assert [row["id"] for row in first + rest] == [row["id"] for row in everything]
    assert client.get(f"/v1/{kind}", {"ending_before": rest[0]["id"]}).json()["objects"] == first


@pytest.mark.parametrize(
    "params",
    [{"ids": "not-a-uuid"}, {"limit": "many"}, {"starting_after": "x"}, {"project_id": "x"}, {"org_name": "Some other org"}],
)
@pytest.mark.parametrize("kind", ["project_tag", "project_score"])
def test_list_with_malformed_parameters_answers_400(world, kind, params):
    response = world.client("owner").get(f"/v1/{kind}", params)
    assert response.status_code == 400
    assert error(response)["status"] == 400


@pytest.mark.parametrize("kind", ["project_tag", "project_score"])
def test_list_costs_the_same_number_of_queries_for_one_and_thirty_rows(kind):
    factory = ProjectTagFactory if kind == "project_tag" else ProjectScoreFactory
    org, projects, readers = projects_and_their_readers(3)
    for n in range(30):
        factory(project=projects[n % 3], created_by=owner_of(org))
    assert_one_and_thirty_cost_the_same(f"/v1/{kind}", org, readers, at_most=6)


# Reading one


@pytest.mark.parametrize("who", READERS)
@pytest.mark.parametrize("kind", ["project_tag", "project_score"])
def test_callers_who_may_read_the_project_get_its_rows(world, kind, who):
    row = world.tag if kind == "project_tag" else world.score
    response = world.client(who).get(f"/v1/{kind}/{row.pk}")
    assert response.status_code == 200
    assert response.json()["id"] == str(row.pk)


@pytest.mark.parametrize("who", ["no_grant", "outsider"])
@pytest.mark.parametrize("kind", ["project_tag", "project_score"])
def test_callers_who_cannot_see_the_project_get_the_same_404_as_for_a_missing_id(world, kind, who):
    row = world.tag if kind == "project_tag" else world.score
    assert_hidden_as_if_missing(world.client(who), kind, row.pk)


def test_object_grant_on_one_project_does_not_reach_the_rows_of_another(world):
    later = ProjectTag.objects.get(name="later")
    assert world.client("object_grant").get(f"/v1/project_tag/{later.pk}").json() == not_found("project_tag", later.pk)


@pytest.mark.parametrize("kind", ["project_tag", "project_score"])
def test_holder_of_update_only_is_told_it_lacks_read_and_may_still_write(world, kind):
    row = world.tag if kind == "project_tag" else world.score
    updater = add_member(world.org)
    grant(world.org, world.target, user=updater, permission="update")
    client = api_client_for(updater, world.org)
    response = client.get(f"/v1/{kind}/{row.pk}")
    assert response.status_code == 403
    assert error(response)["missing_permission"] == "read"
    assert client.patch(f"/v1/{kind}/{row.pk}", {"description": "noted"}).status_code == 200


@pytest.mark.parametrize("kind", ["project_tag", "project_score"])
def test_row_of_another_organization_is_not_found_even_for_an_owner(world, kind):
    model = ProjectTag if kind == "project_tag" else ProjectScore
    theirs = model.objects.get(project=world.theirs)
    assert world.client("owner").get(f"/v1/{kind}/{theirs.pk}").json() == not_found(kind, theirs.pk)


@pytest.mark.parametrize("kind", ["project_tag", "project_score"])
def test_id_that_is_not_a_uuid_answers_400(world, kind):
    response = world.client("owner").get(f"/v1/{kind}/not-a-uuid")
    assert response.status_code == 400
    assert f"{kind}_id must be a UUID" in error(response)["message"]


# Tags: creating (POST), creating or replacing (PUT)


@pytest.mark.parametrize("who", WRITERS)
def test_callers_with_update_on_the_project_create_tags(world, who):
    body = {"project_id": str(world.target.pk), "name": "blocked", "description": "waiting", "color": "#00f"}
    response = world.client(who).post("/v1/project_tag", body)
    assert response.status_code == 200, response.content
    tag = ProjectTag.objects.get(project=world.target, name="blocked")
    assert response.json() == {**response.json(), "id": str(tag.pk), "description": "waiting", "color": "#00f"}
    assert response.json()["user_id"] == str(world.callers[who].pk)
    assert audit_actions()[-1] == "project_tag.create"


@pytest.mark.parametrize(("who", "status"), [("viewer", 403), ("no_grant", 404), ("outsider", 404)])
def test_callers_without_update_on_the_project_cannot_create_tags(world, who, status):
    client = world.client(who)
    body = {"project_id": str(world.target.pk), "name": "blocked"}
    answer = _assert_refused_without_writing(lambda: client.post("/v1/project_tag", body), status)
    if status == 403:
        assert answer["error"]["missing_permission"] == "update"
    else:
        assert answer == not_found("project", world.target.pk)
    _assert_refused_without_writing(lambda: client.put("/v1/project_tag", body), status)


def test_object_grant_cannot_create_tags_in_another_project(world):
    client = world.client("object_grant")
    body = {"project_id": str(world.sibling.pk), "name": "blocked"}
    assert _assert_refused_without_writing(lambda: client.post("/v1/project_tag", body), 404) == not_found("project", world.sibling.pk)


@pytest.mark.parametrize("who", ["owner", "viewer", "object_grant"])
def test_post_with_the_name_of_an_existing_tag_returns_it_unchanged(world, who):
    client = world.client(who)
    before = row_counts()
    response = client.post("/v1/project_tag", {"project_id": str(world.target.pk), "name": "urgent", "color": "red"})
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["color"]) == (str(world.tag.pk), None)
    assert row_counts() == before


def test_same_tag_name_may_be_used_in_another_project(world):
    response = world.client("owner").post("/v1/project_tag", {"project_id": str(world.sibling.pk), "name": "urgent"})
    assert response.status_code == 200
    assert response.json()["id"] != str(world.tag.pk)
    assert ProjectTag.objects.filter(name="urgent").count() == 2


def test_tag_names_are_unique_per_project_in_the_database(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        ProjectTag.objects.create(project=world.target, name="urgent")


def test_service_refuses_a_duplicate_tag_name_even_past_its_own_check(world, monkeypatch):
    """The database constraint decides when the check in Python is passed by a concurrent request."""

    class Nothing:
        def exists(self):
            return False

    original_filter = ProjectTag.objects.filter
    monkeypatch.setattr(ProjectTag.objects, "filter", lambda *a, **kw: Nothing() if "name" in kw else original_filter(*a, **kw))
    before = row_counts()
    with pytest.raises(ValidationError, match="already exists"):
        project_tag_create(actor=world.callers["owner"], project=world.target, name="urgent")
    assert row_counts() == before


def test_put_creates_a_tag_or_replaces_the_one_with_that_name(world):
    client = world.client("object_grant")
    ProjectTag.objects.filter(pk=world.tag.pk).update(description="old", color="red")
    response = client.put("/v1/project_tag", {"project_id": str(world.target.pk), "name": "urgent", "color": "blue"})
    assert response.status_code == 200, response.content
    assert (response.json()["id"], response.json()["description"], response.json()["color"]) == (str(world.tag.pk), "", "blue")
    assert audit_actions()[-1] == "project_tag.update"
    created = client.put("/v1/project_tag", {"project_id": str(world.target.pk), "name": "fresh"})
    assert created.status_code == 200
    assert ProjectTag.objects.filter(project=world.target, name="fresh").exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "x"}, "project_id: This field is required."),
        ({"project_id": "nope", "name": "x"}, "project_id: Must be a valid UUID."),
        ({"project_id": 7, "name": "x"}, "project_id: Must be a valid UUID."),
        ({"project_id": "P"}, "name: This field is required."),
        ({"project_id": "P", "name": ""}, "name: This field may not be blank."),
        ({"project_id": "P", "name": 5}, "name: Not a valid string."),
        ({"project_id": "P", "name": "x" * 256}, "name: Ensure this field has no more than 255 characters."),
        ({"project_id": "P", "name": "x", "description": 5}, "description: Not a valid string."),
        ({"project_id": "P", "name": "x", "color": ["red"]}, "color: Not a valid string."),
        ({"project_id": "P", "name": "x", "color": "r" * 65}, "color: Ensure this field has no more than 64 characters."),
        ({"project_id": "P", "name": "x", "position": "a"}, "position: Unknown field."),
    ],
)
@pytest.mark.parametrize("method", ["post", "put"])
def test_tag_create_with_bad_input_answers_400_and_writes_nothing(world, method, body, message):
    if body.get("project_id") == "P":
        body = {**body, "project_id": str(world.target.pk)}
    client = world.client("owner")
    _assert_refused_without_writing(lambda: getattr(client, method)("/v1/project_tag", body), 400, message)


@pytest.mark.parametrize("method", ["post", "put"])
def test_tag_in_a_missing_project_or_one_of_another_organization_is_not_found(world, method):
    client = world.client("owner")
    for project_id in (uuid.uuid4(), world.theirs.pk):
        body = {"project_id": str(project_id), "name": "x"}
        answer = _assert_refused_without_writing(lambda body=body: getattr(client, method)("/v1/project_tag", body), 404)
        assert answer == not_found("project", project_id)


# Tags: updating and deleting


@pytest.mark.parametrize("who", WRITERS)
def test_callers_with_update_on_the_project_change_tags(world, who):
    response = world.client(who).patch(f"/v1/project_tag/{world.tag.pk}", {"name": "critical", "description": "now", "color": "red"})
    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["description"], response.json()["color"]) == ("critical", "now", "red")
    world.tag.refresh_from_db()
    assert (world.tag.name, world.tag.description, world.tag.color) == ("critical", "now", "red")
    assert audit_actions()[-1] == "project_tag.update"


def test_tag_patch_leaves_out_fields_as_they_are(world):
    ProjectTag.objects.filter(pk=world.tag.pk).update(description="keep", color="red")
    response = world.client("owner").patch(f"/v1/project_tag/{world.tag.pk}", {"color": None, "name": None})
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["description"], response.json()["color"]) == ("urgent", "keep", "red")
    assert "project_tag.update" not in audit_actions()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        *BAD_RENAMES,
        ({"color": 3}, "color: Not a valid string."),
        MOVE_TO_ANOTHER_PROJECT,
    ],
)
def test_tag_patch_with_bad_input_answers_400_and_writes_nothing(world, body, message):
    client = world.client("owner")
    _assert_refused_without_writing(lambda: client.patch(f"/v1/project_tag/{world.tag.pk}", body), 400, message)


def test_tag_cannot_be_renamed_to_a_name_taken_in_its_project(world):
    ProjectTagFactory(project=world.target, name="taken")
    client = world.client("owner")
    _assert_refused_without_writing(lambda: client.patch(f"/v1/project_tag/{world.tag.pk}", {"name": "taken"}), 400, "already exists")
    assert client.patch(f"/v1/project_tag/{world.tag.pk}", {"name": "later"}).status_code == 200  # taken only in Sibling


@pytest.mark.parametrize(("who", "status"), [("viewer", 403), ("no_grant", 404), ("outsider", 404)])
@pytest.mark.parametrize("kind", ["project_tag", "project_score"])
def test_callers_without_update_on_the_project_cannot_change_or_delete_its_rows(world, kind, who, status):
    row = world.tag if kind == "project_tag" else world.score
    client = world.client(who)
    for call in (lambda: client.patch(f"/v1/{kind}/{row.pk}", {"description": "x"}), lambda: client.delete(f"/v1/{kind}/{row.pk}")):
        answer = _assert_refused_without_writing(call, status)
        if status == 403:
            assert answer["error"]["missing_permission"] == "update"
        else:
            assert answer == not_found(kind, row.pk)


@pytest.mark.parametrize("who", WRITERS)
@pytest.mark.parametrize("kind", ["project_tag", "project_score"])
def test_callers_with_update_on_the_project_delete_its_rows_and_get_them_back(world, kind, who):
    row = world.tag if kind == "project_tag" else world.score
    response = world.client(who).delete(f"/v1/{kind}/{row.pk}")
    assert response.status_code == 200, response.content
    assert (response.json()["id"], response.json()["name"]) == (str(row.pk), row.name)
    assert not type(row).objects.filter(pk=row.pk).exists()
    assert audit_actions()[-1] == f"{kind}.delete"
    assert world.client(who).get(f"/v1/{kind}/{row.pk}").json() == not_found(kind, row.pk)


@pytest.mark.parametrize("kind", ["project_tag", "project_score"])
def test_row_of_another_organization_or_a_missing_id_cannot_be_changed_or_deleted(world, kind):
    model = ProjectTag if kind == "project_tag" else ProjectScore
    theirs = model.objects.get(project=world.theirs)
    client = world.client("owner")
    for object_id in (theirs.pk, uuid.uuid4()):
        _assert_refused_without_writing(lambda object_id=object_id: client.patch(f"/v1/{kind}/{object_id}", {"description": "x"}), 404)
        _assert_refused_without_writing(lambda object_id=object_id: client.delete(f"/v1/{kind}/{object_id}"), 404)
    _assert_refused_without_writing(lambda: client.delete(f"/v1/{kind}/nope"), 400)


# Scores: valid definitions


def _online(*scorers, **extra) -> dict:
    return {"online": {"sampling_rate": 0.5, "scorers": list(scorers), **extra}}


EXACT = {"type": "global", "name": "ExactMatch"}

VALID_DEFINITIONS = {
    "slider": {"score_type": "slider"},
    "free-form": {"score_type": "free-form", "categories": None},
    "categorical": {
        "score_type": "categorical",
        "categories": [{"name": "good", "value": 1}, {"name": "meh", "value": 0.5}, {"name": "bad", "value": 0}],
        "config": {"multi_select": False, "destination": "expected"},
    },
    "weighted": {"score_type": "weighted", "categories": {"accuracy": 2, "fluency": 0.5}},
    "minimum": {"score_type": "minimum", "categories": ["accuracy", "fluency"]},
    "maximum": {"score_type": "maximum", "categories": ["accuracy"]},
    "online": {"score_type": "online", "config": _online(EXACT, {"type": "global", "name": "Levenshtein", "function_type": "scorer"})},
    "online with every option": {
        "score_type": "online",
        "config": {
            **_online(
                EXACT,
                btql_filter="metadata.env = 'prod'",
                apply_to_root_span=True,
                apply_to_span_names=["llm", "tool"],
                skip_logging=False,
                scope={"type": "group", "group_by": "metadata.session_id", "placement": "first", "max_traces": 8, "interval_seconds": 60},
            ),
            "visibility": {"users": ["u1"], "groups": None},
            "condition": {"when": {"clauses": ["input IS NOT NULL"]}, "behavior": "hidden"},
            "object_types": ["project_logs", "experiment"],
        },
    },
    "online over traces": {"score_type": "online", "config": _online(EXACT, scope={"type": "trace", "idle_seconds": 30})},
}


@pytest.mark.parametrize("definition", list(VALID_DEFINITIONS))
def test_every_kind_of_valid_score_is_created_as_given(world, definition):
    ProjectScoreFactory(project=world.target, name="fluency")  # the aggregates name accuracy and fluency
    body = {"project_id": str(world.target.pk), "name": "new score", "description": "d", **VALID_DEFINITIONS[definition]}
    response = world.client("owner").post("/v1/project_score", body)
    assert response.status_code == 200, response.content
    answer = response.json()
    for key in ("name", "description", "score_type"):
        assert answer[key] == body[key]
    assert answer["categories"] == body.get("categories")
    assert answer["config"] == body.get("config")
    score = ProjectScore.objects.get(pk=answer["id"])
    assert (score.score_type, score.categories, score.config) == (body["score_type"], body.get("categories"), body.get("config"))
    assert audit_actions()[-1] == "project_score.create"


@pytest.mark.parametrize("who", WRITERS)
def test_callers_with_update_on_the_project_create_scores(world, who):
    body = {"project_id": str(world.target.pk), "name": "helpfulness", "score_type": "slider"}
    response = world.client(who).post("/v1/project_score", body)
    assert response.status_code == 200, response.content
    assert response.json()["user_id"] == str(world.callers[who].pk)


@pytest.mark.parametrize(("who", "status"), [("viewer", 403), ("no_grant", 404), ("outsider", 404)])
def test_callers_without_update_on_the_project_cannot_create_scores(world, who, status):
    client = world.client(who)
    body = {"project_id": str(world.target.pk), "name": "helpfulness", "score_type": "slider"}
    for method in ("post", "put"):
        answer = _assert_refused_without_writing(lambda method=method: getattr(client, method)("/v1/project_score", body), status)
        if status == 403:
            assert answer["error"]["missing_permission"] == "update"


@pytest.mark.parametrize("who", ["owner", "viewer", "object_grant"])
def test_post_with_the_name_of_an_existing_score_returns_it_unchanged(world, who):
    client = world.client(who)
    before = row_counts()
    body = {"project_id": str(world.target.pk), "name": "accuracy", "score_type": "minimum", "categories": ["x"]}
    response = client.post("/v1/project_score", body)
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["score_type"]) == (str(world.score.pk), "slider")
    assert row_counts() == before


def test_score_names_are_unique_per_project(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        ProjectScore.objects.create(project=world.target, name="accuracy", score_type="slider")
    response = world.client("owner").post(
        "/v1/project_score", {"project_id": str(world.sibling.pk), "name": "accuracy", "score_type": "slider"}
    )
    assert response.status_code == 200
    client = world.client("owner")
    fluency = ProjectScoreFactory(project=world.target, name="fluency")
    _assert_refused_without_writing(lambda: client.patch(f"/v1/project_score/{fluency.pk}", {"name": "accuracy"}), 400, "already exists")


def test_put_replaces_the_score_with_that_name_whole(world):
    ProjectScore.objects.filter(pk=world.score.pk).update(description="old")
    body = {"project_id": str(world.target.pk), "name": "accuracy", "score_type": "categorical", "categories": [{"name": "y", "value": 1}]}
    response = world.client("object_grant").put("/v1/project_score", body)
    assert response.status_code == 200, response.content
    answer = response.json()
    assert (answer["id"], answer["description"], answer["score_type"], answer["categories"]) == (
        str(world.score.pk),
        "",
        "categorical",
        [{"name": "y", "value": 1}],
    )
    assert audit_actions()[-1] == "project_score.update"
    response = world.client("object_grant").put("/v1/project_score", {**body, "score_type": "slider", "categories": None})
    assert (response.json()["score_type"], response.json()["categories"]) == ("slider", None)


# Scores: invalid definitions, each a 400 that writes nothing

INVALID_DEFINITIONS = [
    ({"score_type": "thumbs"}, 'score_type: "thumbs" is not a valid choice.'),
    ({"score_type": None}, "score_type: This field may not be null."),
    ({"score_type": "slider", "categories": [{"name": "a", "value": 1}]}, "categories: a slider score takes no categories."),
    ({"score_type": "free-form", "categories": ["a"]}, "categories: a free-form score takes no categories."),
    ({"score_type": "categorical"}, "categories: must be a list."),
    ({"score_type": "categorical", "categories": []}, "categories: must not be empty."),
    ({"score_type": "categorical", "categories": {"a": 1}}, "categories: must be a list."),
    ({"score_type": "categorical", "categories": ["good"]}, "categories[0]: must be an object."),
    ({"score_type": "categorical", "categories": [{"name": "good"}]}, "categories[0].value: is required."),
    ({"score_type": "categorical", "categories": [{"value": 1}]}, "categories[0].name: is required."),
    ({"score_type": "categorical", "categories": [{"name": "", "value": 1}]}, "categories[0].name: must not be empty."),
    ({"score_type": "categorical", "categories": [{"name": 1, "value": 1}]}, "categories[0].name: must be a string."),
    ({"score_type": "categorical", "categories": [{"name": "a", "value": 1.5}]}, "categories[0].value: must be from 0 to 1."),
    ({"score_type": "categorical", "categories": [{"name": "a", "value": -0.1}]}, "categories[0].value: must be from 0 to 1."),
    ({"score_type": "categorical", "categories": [{"name": "a", "value": "1"}]}, "categories[0].value: must be a number."),
    ({"score_type": "categorical", "categories": [{"name": "a", "value": True}]}, "categories[0].value: must be a number."),
    ({"score_type": "categorical", "categories": [{"name": "a", "value": 1, "emoji": "x"}]}, "categories[0]: unknown field 'emoji'"),
    (
        {"score_type": "categorical", "categories": [{"name": "a", "value": 1}, {"name": "a", "value": 0}]},
        "categories[1].name: 'a' is used by another category.",
    ),
    ({"score_type": "weighted"}, "categories: a weighted score needs an object of score name to weight."),
    ({"score_type": "weighted", "categories": ["a"]}, "categories: a weighted score needs an object of score name to weight."),
    ({"score_type": "weighted", "categories": {}}, "categories: must name at least one score."),
    ({"score_type": "weighted", "categories": {"a": 0}}, "categories.a: must be greater than 0."),
    ({"score_type": "weighted", "categories": {"a": -1}}, "categories.a: must be greater than 0."),
    ({"score_type": "weighted", "categories": {"a": "2"}}, "categories.a: must be a number."),
    ({"score_type": "weighted", "categories": {"": 1}}, "categories: a score name must not be empty."),
    ({"score_type": "minimum"}, "categories: a minimum score needs a list of the score names"),
    ({"score_type": "minimum", "categories": []}, "categories: must not be empty."),
    ({"score_type": "maximum", "categories": {"a": 1}}, "categories: a maximum score needs a list of the score names"),
    ({"score_type": "maximum", "categories": ["a", 3]}, "categories[1]: must be a string."),
    ({"score_type": "maximum", "categories": ["a", ""]}, "categories[1]: must not be empty."),
    ({"score_type": "minimum", "categories": ["a", "a"]}, "categories: 'a' is listed more than once."),
    ({"score_type": "online"}, "config.online: an online score needs its rule"),
    ({"score_type": "online", "config": {}}, "config.online: an online score needs its rule"),
    ({"score_type": "online", "config": {"online": "always"}}, "config.online: must be an object."),
    ({"score_type": "online", "config": {"online": {"scorers": [EXACT]}}}, "config.online.sampling_rate: is required."),
    ({"score_type": "online", "config": {"online": {"sampling_rate": 1}}}, "config.online.scorers: is required."),
    ({"score_type": "online", "config": {"online": {"sampling_rate": 1.5, "scorers": [EXACT]}}}, "sampling_rate: must be from 0 to 1."),
    ({"score_type": "online", "config": {"online": {"sampling_rate": -1, "scorers": [EXACT]}}}, "sampling_rate: must be from 0 to 1."),
    ({"score_type": "online", "config": {"online": {"sampling_rate": "1", "scorers": [EXACT]}}}, "sampling_rate: must be a number."),
    ({"score_type": "online", "config": _online()}, "config.online.scorers: must not be empty."),
    ({"score_type": "online", "config": {"online": {"sampling_rate": 1, "scorers": EXACT}}}, "config.online.scorers: must be a list."),
    ({"score_type": "online", "config": _online("ExactMatch")}, "config.online.scorers[0]: must be an object."),
    ({"score_type": "online", "config": _online({"name": "ExactMatch"})}, "scorers[0].type: must be one of global, function"),
    ({"score_type": "online", "config": _online({"type": "code", "name": "x"})}, "scorers[0].type: must be one of global, function"),
    ({"score_type": "online", "config": _online({"type": "global"})}, "scorers[0].name: is required."),
    ({"score_type": "online", "config": _online({"type": "global", "name": "Factuality"})}, "scorers[0].name: must be one of ExactMatch"),
    (
        {"score_type": "online", "config": _online({"type": "global", "name": "ExactMatch", "function_type": "llm"})},
        "scorers[0].function_type: must be one of scorer",
    ),
    ({"score_type": "online", "config": _online({"type": "global", "name": "ExactMatch", "id": "x"})}, "unknown field 'id'"),
    ({"score_type": "online", "config": _online({"type": "function"})}, "scorers[0].id: is required."),
    ({"score_type": "online", "config": _online({"type": "function", "id": 5})}, "scorers[0].id: must be a string."),
    ({"score_type": "online", "config": _online({"type": "function", "id": "not-a-uuid"})}, "no such function: not-a-uuid."),
    ({"score_type": "online", "config": _online({"type": "function", "id": str(uuid.UUID(int=1))})}, "no such function"),
    (
        {"score_type": "online", "config": _online(EXACT, apply_to_root_span="yes")},
        "config.online.apply_to_root_span: must be true or false.",
    ),
    ({"score_type": "online", "config": _online(EXACT, apply_to_span_names="llm")}, "config.online.apply_to_span_names: must be a list."),
    (
        {"score_type": "online", "config": _online(EXACT, apply_to_span_names=[1])},
        "config.online.apply_to_span_names[0]: must be a string.",
    ),
    ({"score_type": "online", "config": _online(EXACT, btql_filter=1)}, "config.online.btql_filter: must be a string."),
    ({"score_type": "online", "config": _online(EXACT, skip_logging=1)}, "config.online.skip_logging: must be true or false."),
    ({"score_type": "online", "config": _online(EXACT, every="day")}, "config.online: unknown field 'every'"),
    ({"score_type": "online", "config": _online(EXACT, scope="span")}, "config.online.scope: must be an object."),
    (
        {"score_type": "online", "config": _online(EXACT, scope={"type": "session"})},
        "config.online.scope.type: must be one of span, trace, group",
    ),
    ({"score_type": "online", "config": _online(EXACT, scope={"type": "span", "idle_seconds": 3})}, "unknown field 'idle_seconds'"),
    (
        {"score_type": "online", "config": _online(EXACT, scope={"type": "trace", "idle_seconds": -3})},
        "scope.idle_seconds: must be at least 0.",
    ),
    ({"score_type": "online", "config": _online(EXACT, scope={"type": "group", "placement": "first"})}, "scope.group_by: is required."),
    (
        {"score_type": "online", "config": _online(EXACT, scope={"type": "group", "group_by": "m", "placement": "all"})},
        "scope.placement: must be one of first, each",
    ),
    (
        {"score_type": "online", "config": _online(EXACT, scope={"type": "group", "group_by": "m", "placement": "each", "max_traces": 65})},
        "scope.max_traces: must be from 1 to 64.",
    ),
    (
        {
            "score_type": "online",
            "config": _online(EXACT, scope={"type": "group", "group_by": "m", "placement": "each", "max_traces": 2.5}),
        },
        "scope.max_traces: must be a whole number.",
    ),
    (
        {
            "score_type": "online",
            "config": _online(EXACT, scope={"type": "group", "group_by": "m", "placement": "each", "interval_seconds": 0}),
        },
        "scope.interval_seconds: must be at least 1.",
    ),
    ({"score_type": "online", "categories": ["a"], "config": _online(EXACT)}, "categories: a online score takes no categories."),
    ({"score_type": "slider", "config": _online(EXACT)}, "config.online: only an online score has an online rule, not a slider score."),
    ({"score_type": "slider", "config": "multi"}, "config: Must be an object."),
    ({"score_type": "slider", "config": {"colour": "red"}}, "config: unknown field 'colour'"),
    ({"score_type": "slider", "config": {"multi_select": "yes"}}, "config.multi_select: must be true or false."),
    ({"score_type": "slider", "config": {"destination": 1}}, "config.destination: must be a string."),
    ({"score_type": "slider", "config": {"visibility": []}}, "config.visibility: must be an object."),
    ({"score_type": "slider", "config": {"visibility": {"users": "u1"}}}, "config.visibility.users: must be a list."),
    ({"score_type": "slider", "config": {"visibility": {"roles": []}}}, "config.visibility: unknown field 'roles'"),
    ({"score_type": "slider", "config": {"condition": {"behavior": "hidden"}}}, "config.condition.when: is required."),
    ({"score_type": "slider", "config": {"condition": {"when": {"clauses": "x"}}}}, "config.condition.when.clauses: must be a list."),
    (
        {"score_type": "slider", "config": {"condition": {"when": {}, "behavior": "shown"}}},
        "config.condition.behavior: must be one of hidden",
    ),
    ({"score_type": "slider", "config": {"object_types": "dataset"}}, "config.object_types: must be a list."),
    (
        {"score_type": "slider", "config": {"object_types": ["prompt"]}},
        "config.object_types[0]: must be one of project_logs, dataset, experiment",
    ),
]


@pytest.mark.parametrize(("definition", "message"), INVALID_DEFINITIONS, ids=[m for _, m in INVALID_DEFINITIONS])
def test_each_invalid_score_definition_answers_400_naming_the_problem_and_writes_nothing(world, definition, message):
    client = world.client("owner")
    body = {"project_id": str(world.target.pk), "name": "new score", **definition}
    _assert_refused_without_writing(lambda: client.post("/v1/project_score", body), 400, message)


@pytest.mark.parametrize("definition", ["categorical", "weighted", "online"])
def test_invalid_score_definition_is_refused_by_put_on_an_existing_score(world, definition):
    client = world.client("owner")
    body = {"project_id": str(world.target.pk), "name": "accuracy", "score_type": definition, "categories": [], "config": {}}
    _assert_refused_without_writing(lambda: client.put("/v1/project_score", body), 400)


@pytest.mark.parametrize(("definition", "message"), INVALID_DEFINITIONS[2:], ids=[m for _, m in INVALID_DEFINITIONS[2:]])
def test_each_invalid_score_definition_is_refused_by_patch_too(world, definition, message):
    client = world.client("owner")
    body = {"categories": None, "config": None, **definition}
    _assert_refused_without_writing(lambda: client.patch(f"/v1/project_score/{world.score.pk}", body), 400, message)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "x", "score_type": "slider"}, "project_id: This field is required."),
        ({"project_id": "nope", "name": "x", "score_type": "slider"}, "project_id: Must be a valid UUID."),
        ({"project_id": "P", "score_type": "slider"}, "name: This field is required."),
        ({"project_id": "P", "name": "x"}, "score_type: This field is required."),
        ({"project_id": "P", "name": ["x"], "score_type": "slider"}, "name: Not a valid string."),
        ({"project_id": "P", "name": "x", "score_type": "slider", "description": 1}, "description: Not a valid string."),
        ({"project_id": "P", "name": "x", "score_type": "slider", "position": "a"}, "position: Unknown field."),
    ],
)
def test_score_create_with_bad_input_answers_400_and_writes_nothing(world, body, message):
    if body.get("project_id") == "P":
        body = {**body, "project_id": str(world.target.pk)}
    client = world.client("owner")
    _assert_refused_without_writing(lambda: client.post("/v1/project_score", body), 400, message)


# Scores: online scorers that are functions (references across projects)


def _scorer_body(world: World, function) -> dict:
    return {
        "project_id": str(world.target.pk),
        "name": "online rule",
        "score_type": "online",
        "config": _online({"type": "function", "id": str(function.pk), "version": "3"}),
    }


@pytest.mark.parametrize("where", ["same project", "another project"])
def test_online_score_may_name_a_scorer_function_the_caller_reads(world, where):
    function = ScorerFunctionFactory(project=world.target if where == "same project" else world.sibling)
    if where == "another project":
        grant(world.org, world.sibling, user=world.callers["object_grant"], permission="read", restrict="prompt")
    response = world.client("object_grant").post("/v1/project_score", _scorer_body(world, function))
    assert response.status_code == 200, response.content
    assert response.json()["config"]["online"]["scorers"][0]["id"] == str(function.pk)


def test_scorer_function_the_caller_cannot_see_is_the_same_400_as_a_missing_one(world):
    hidden = ScorerFunctionFactory(project=world.sibling)
    client = world.client("object_grant")
    answer = _assert_refused_without_writing(lambda: client.post("/v1/project_score", _scorer_body(world, hidden)), 400)
    assert answer["error"]["message"] == f"No such function: {hidden.pk}."
    missing = ScorerFunctionFactory.build(id=uuid.uuid4())
    answer = _assert_refused_without_writing(lambda: client.post("/v1/project_score", _scorer_body(world, missing)), 400)
    assert answer["error"]["message"] == f"No such function: {missing.pk}."


def test_scorer_function_the_caller_sees_but_cannot_read_is_403_naming_read(world):
    function = ScorerFunctionFactory(project=world.sibling)
    grant(world.org, function, user=world.callers["object_grant"], permission="update")
    client = world.client("object_grant")
    answer = _assert_refused_without_writing(lambda: client.post("/v1/project_score", _scorer_body(world, function)), 403)
    assert answer["error"]["missing_permission"] == "read"


@pytest.mark.parametrize("where", ["another organization", "deleted", "deleted project"])
def test_scorer_function_of_another_organization_or_deleted_is_answered_as_missing(world, where):
    if where == "another organization":
        function = ScorerFunctionFactory(project=world.theirs)
    elif where == "deleted":
        function = ScorerFunctionFactory(project=world.target, deleted_at=timezone.now())
    else:
        function = ScorerFunctionFactory(project=ProjectFactory(org=world.org, deleted_at=timezone.now()))
    client = world.client("owner")
    answer = _assert_refused_without_writing(lambda: client.post("/v1/project_score", _scorer_body(world, function)), 400)
    assert answer["error"]["message"] == f"No such function: {function.pk}."


@pytest.mark.parametrize("function_type", [None, "llm", "task", "tool"])
def test_function_that_is_not_a_scorer_cannot_score_online(world, function_type):
    function = ScorerFunctionFactory(project=world.target, function_type=function_type)
    client = world.client("owner")
    _assert_refused_without_writing(lambda: client.post("/v1/project_score", _scorer_body(world, function)), 400, "is not a scorer")


def test_prompt_whose_function_type_is_scorer_may_score_online(world):
    prompt = ScorerFunctionFactory(project=world.target, is_function=False, function_data=None, prompt_data={"prompt": {}})
    assert Prompt.objects.get(pk=prompt.pk).function_type == "scorer"
    assert world.client("owner").post("/v1/project_score", _scorer_body(world, prompt)).status_code == 200


# Scores: updating


def test_patch_changes_name_description_and_definition(world):
    client = world.client("object_grant")
    body = {"name": "verdict", "description": "d", "score_type": "categorical", "categories": [{"name": "ok", "value": 1}]}
    response = client.patch(f"/v1/project_score/{world.score.pk}", body)
    assert response.status_code == 200, response.content
    world.score.refresh_from_db()
    assert (world.score.name, world.score.description, world.score.score_type, world.score.categories) == (
        "verdict",
        "d",
        "categorical",
        [{"name": "ok", "value": 1}],
    )
    assert audit_actions()[-1] == "project_score.update"


def test_patch_validates_the_resulting_definition_whole(world):
    client = world.client("owner")
    path = f"/v1/project_score/{world.score.pk}"
    _assert_refused_without_writing(lambda: client.patch(path, {"score_type": "categorical"}), 400, "categories: must be a list.")
    ProjectScoreFactory(project=world.target, name="a"), ProjectScoreFactory(project=world.target, name="b")
    client.patch(path, {"score_type": "minimum", "categories": ["a", "b"]})
    _assert_refused_without_writing(lambda: client.patch(path, {"score_type": "slider"}), 400, "a slider score takes no categories")
    response = client.patch(path, {"score_type": "slider", "categories": None})
    assert (response.status_code, response.json()["categories"]) == (200, None)


def test_patch_keeps_categories_and_config_left_out_and_replaces_those_given(world):
    client = world.client("owner")
    path = f"/v1/project_score/{world.score.pk}"
    ProjectScoreFactory(project=world.target, name="a")
    client.patch(path, {"score_type": "weighted", "categories": {"a": 1}, "config": {"destination": "expected"}})
    response = client.patch(path, {"description": "kept"})
    assert (response.json()["categories"], response.json()["config"]) == ({"a": 1}, {"destination": "expected"})
    response = client.patch(path, {"config": {"multi_select": True}})
    assert (response.json()["categories"], response.json()["config"]) == ({"a": 1}, {"multi_select": True})
    response = client.patch(path, {"config": None})
    assert response.json()["config"] is None


def test_renaming_an_online_score_does_not_check_its_scorers_again(world):
    function = ScorerFunctionFactory(project=world.target)
    score = ProjectScoreFactory(
        project=world.target, name="rule", score_type="online", config=_online({"type": "function", "id": str(function.pk)})
    )
    Prompt.objects.filter(pk=function.pk).update(deleted_at=timezone.now())
    client = world.client("owner")
    assert client.patch(f"/v1/project_score/{score.pk}", {"name": "renamed rule"}).status_code == 200
    _assert_refused_without_writing(
        lambda: client.patch(f"/v1/project_score/{score.pk}", {"config": score.config}), 400, "no such function"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": ""}, "name: This field may not be blank."),
        ({"score_type": "thumbs"}, 'score_type: "thumbs" is not a valid choice.'),
        ({"description": 5}, "description: Not a valid string."),
        MOVE_TO_ANOTHER_PROJECT,
    ],
)
def test_score_patch_with_bad_input_answers_400_and_writes_nothing(world, body, message):
    client = world.client("owner")
    _assert_refused_without_writing(lambda: client.patch(f"/v1/project_score/{world.score.pk}", body), 400, message)


@pytest.mark.parametrize("who", WRITERS)
def test_callers_with_update_on_the_project_change_scores(world, who):
    response = world.client(who).patch(f"/v1/project_score/{world.score.pk}", {"description": "by " + who})
    assert response.status_code == 200, response.content
    assert ProjectScore.objects.get(pk=world.score.pk).description == "by " + who


# Credentials


@pytest.mark.parametrize("credential", DEAD_CREDENTIALS)
def test_every_endpoint_answers_401_and_writes_nothing(world, credential):
    tag_body = {"project_id": str(world.target.pk), "name": "x"}
    score_body = {**tag_body, "score_type": "slider"}
    calls = [
        *crud_calls("/v1/project_tag", world.tag.pk, tag_body, tag_body, {"name": "y"}),
        *crud_calls("/v1/project_score", world.score.pk, score_body, score_body, {"name": "y"}),
    ]
    client = DEAD_CREDENTIALS[credential](world.callers["owner"], world.org)
    assert_every_call_refused_without_writing(client, calls, 401, refused=_assert_refused_without_writing)


# What the configuration services refuse, the API refuses with a 400 naming the field


@pytest.mark.parametrize("color", ["notacolor", "blurple", "#12345", "rgb(300, 0, 0)"])
def test_every_tag_write_refuses_a_color_a_swatch_cannot_show(world, color):
    client, body = world.client("owner"), {"project_id": str(world.target.pk), "name": "blocked", "color": color}
    message = f"color: {color!r} is not a color"
    _assert_refused_without_writing(lambda: client.post("/v1/project_tag", body), 400, message)
    _assert_refused_without_writing(lambda: client.put("/v1/project_tag", body), 400, message)
    _assert_refused_without_writing(lambda: client.patch(f"/v1/project_tag/{world.tag.pk}", {"color": color}), 400, message)


def test_a_tag_color_a_browser_draws_is_kept_and_an_empty_one_is_no_color(world):
    client = world.client("owner")
    response = client.post("/v1/project_tag", {"project_id": str(world.target.pk), "name": "blocked", "color": "#1f77b4"})
    assert (response.status_code, response.json()["color"]) == (200, "#1f77b4")
    response = client.patch(f"/v1/project_tag/{response.json()['id']}", {"color": ""})
    assert (response.status_code, response.json()["color"]) == (200, None)


def test_an_aggregate_of_scores_the_project_does_not_have_is_refused_naming_the_path(world):
    client, project = world.client("owner"), world.target  # "fluency" is a score of the sibling project only
    body = {"project_id": str(project.pk), "name": "overall", "score_type": "weighted", "categories": {"accuracy": 1, "fluency": 2}}
    missing = "'fluency' is not a score of this project"
    _assert_refused_without_writing(lambda: client.post("/v1/project_score", body), 400, f"categories.fluency: {missing}")
    body = {**body, "score_type": "minimum", "categories": ["accuracy", "fluency"]}
    _assert_refused_without_writing(lambda: client.put("/v1/project_score", body), 400, f"categories[1]: {missing}")
    best = ProjectScoreFactory(project=project, name="best", score_type="maximum", categories=["accuracy"])
    patch = lambda: client.patch(f"/v1/project_score/{best.pk}", {"categories": ["fluency"]})  # noqa: E731
    _assert_refused_without_writing(patch, 400, f"categories[0]: {missing}")


def test_an_aggregate_of_the_projects_scores_is_created(world):
    ProjectScoreFactory(project=world.target, name="fluency")
    body = {"project_id": str(world.target.pk), "name": "overall", "score_type": "weighted", "categories": {"accuracy": 1, "fluency": 2}}
    response = world.client("owner").post("/v1/project_score", body)
    assert (response.status_code, response.json()["categories"]) == (200, {"accuracy": 1, "fluency": 2})
