"""``/v1/group``: every endpoint for every kind of caller, bad input, other organizations and query counts.
What it shares with ``/v1/role`` is tested for both in ``test_organization_objects.py``."""

import uuid

import pytest

from permissions.models import AclGrant, GroupNesting, PermissionGroup
from permissions.selectors import member_user_ids
from tests.access_helpers import audit_actions, custom_group, grant, nest, row_counts
from tests.api_helpers import ApiClient
from tests.assertions import (
    BAD_NEW_NAMES,
    BAD_RENAMES,
    assert_non_object_bodies_refused,
    assert_refused_without_writing,
    assert_taken_without_naming,
    error,
    not_found,
)
from tests.factories import OrganizationFactory, add_member, builtin_group, owner_of
from tests.query_helpers import assert_one_and_thirty_cost_the_same
from tests.worlds import OrganizationObjectWorld, creator_client, listed_for_each_caller, organization_object_world

pytestmark = pytest.mark.django_db

GROUP_FIELDS = {"id", "org_id", "user_id", "created", "name", "description", "deleted_at", "member_users", "member_groups"}


@pytest.fixture(scope="module")
def built_world(module_db) -> OrganizationObjectWorld:
    return organization_object_world("group")


def _ids(response) -> set[str]:
    return {g["id"] for g in response.json()["objects"]}


# The JSON shape


def test_group_json_has_braintrust_fields_and_members(world):
    world.target.description = "the target"
    world.target.save(update_fields=["description"])
    member = add_member(world.org, None, world.target)
    nest(world.target, world.inner)
    response = world.client("owner").get(f"/v1/group/{world.target.pk}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == GROUP_FIELDS
    assert body["id"] == str(world.target.pk)
    assert body["org_id"] == str(world.org.pk)
    assert body["name"] == "Target"
    assert body["description"] == "the target"
    assert body["deleted_at"] is None
    assert body["member_users"] == [str(member.pk)]
    assert body["member_groups"] == [str(world.inner.pk)]
    assert body["created"].startswith(str(world.target.created.year))


def test_published_schema_describes_group_as_the_endpoints_answer_it(world):
    schema = ApiClient().get("/v1/openapi.json", {"format": "json"}).json()
    assert set(schema["components"]["schemas"]["Group"]["properties"]) == GROUP_FIELDS
    operations = {method: op["operationId"] for method, op in schema["paths"]["/v1/group"].items()}
    assert operations == {"get": "getGroup", "post": "postGroup", "put": "putGroup"}
    detail = {method: op["operationId"] for method, op in schema["paths"]["/v1/group/{group_id}"].items()}
    assert detail == {"get": "getGroupId", "patch": "patchGroupId", "delete": "deleteGroupId"}


def test_created_group_names_its_creator_as_user_id(world):
    response = world.client("group_grant").post("/v1/group", {"name": "Made"})
    assert response.json()["user_id"] == str(world.callers["group_grant"].pk)


# Listing


ALL_GROUPS = {"Owners", "Engineers", "Viewers", "Group managers", "Inner", "Target"}


@pytest.mark.parametrize(("who", "visible"), listed_for_each_caller(ALL_GROUPS, one_object={"Target"}))
def test_list_shows_exactly_the_groups_the_caller_may_read(world, who, visible):
    response = world.client(who).get("/v1/group")
    assert response.status_code == 200
    assert {g["name"] for g in response.json()["objects"]} == visible


def test_list_of_a_principal_of_another_organization_shows_only_its_own_groups(world):
    response = world.client("outsider").get("/v1/group")
    assert response.status_code == 200
    assert {g["org_id"] for g in response.json()["objects"]} == {str(world.other_org.pk)}


def test_list_is_newest_first_and_pages_with_a_cursor(world):
    client = world.client("owner")
    everything = client.get("/v1/group").json()["objects"]
    assert [g["created"] for g in everything] == sorted((g["created"] for g in everything), reverse=True)
    first = client.get("/v1/group", {"limit": 2}).json()["objects"]
    rest = client.get("/v1/group", {"starting_after": first[-1]["id"]}).json()["objects"]
    assert [g["id"] for g in first + rest] == [g["id"] for g in everything]
    before = client.get("/v1/group", {"ending_before": rest[0]["id"]}).json()["objects"]
    assert before == first


def test_list_filters_by_name_and_ids(world):
    client = world.client("owner")
    assert _ids(client.get("/v1/group", {"group_name": "Target"})) == {str(world.target.pk)}
    ids = [str(world.target.pk), str(world.inner.pk)]
    assert _ids(client.client.get("/v1/group", {"ids": ids})) == set(ids)
    assert _ids(client.get("/v1/group", {"ids": ",".join(ids)})) == set(ids)


def test_list_by_ids_does_not_reveal_groups_the_caller_cannot_read(world):
    response = world.client("object_grant").client.get("/v1/group", {"ids": [str(world.target.pk), str(world.managers.pk)]})
    assert _ids(response) == {str(world.target.pk)}


def test_list_with_org_name_of_another_organization_is_refused(world):
    response = world.client("owner").get("/v1/group", {"org_name": world.other_org.name})
    assert response.status_code == 400


@pytest.mark.parametrize("params", [{"ids": "not-a-uuid"}, {"limit": "many"}, {"starting_after": "x"}, {"limit": "-1"}])
def test_list_with_malformed_parameters_answers_400(world, params):
    response = world.client("owner").get("/v1/group", params)
    assert response.status_code == 400
    assert error(response)["status"] == 400


def test_list_costs_the_same_number_of_queries_for_one_and_thirty_groups():
    org = OrganizationFactory()
    people = [add_member(org) for _ in range(3)]
    previous = None
    for n in range(30):
        group = custom_group(org, *people, name=f"Team {n}")
        if previous is not None:
            nest(group, previous)
        previous = group
    viewer = add_member(org, None, "viewers")
    assert_one_and_thirty_cost_the_same("/v1/group", org, (owner_of(org), viewer), at_most=8)


def test_list_members_agree_with_the_service_read_of_each_group(world):
    add_member(world.org, None, world.target)
    nest(world.target, world.inner)
    for body in world.client("owner").get("/v1/group").json()["objects"]:
        group = PermissionGroup.objects.get(pk=body["id"])
        assert set(body["member_users"]) == {str(u) for u in member_user_ids(group)}
        assert set(body["member_groups"]) == {str(g) for g in group.member_groups.values_list("id", flat=True)}


# Reading one


def test_object_grant_on_one_group_does_not_reach_another(world):
    response = world.client("object_grant").get(f"/v1/group/{world.managers.pk}")
    assert response.json() == not_found("group", world.managers.pk)


def test_group_of_another_organization_is_not_found_even_for_an_owner(world):
    theirs = builtin_group(world.other_org, "owners")
    response = world.client("owner").get(f"/v1/group/{theirs.pk}")
    assert response.json() == not_found("group", theirs.pk)


# Creating (POST)


@pytest.mark.parametrize("who", ["owner", "group_grant", "nested_group"])
def test_callers_who_may_create_groups_create_one_with_members(world, who):
    member = add_member(world.org)
    body = {"name": "New", "description": "d", "member_users": [str(member.pk)], "member_groups": [str(world.inner.pk)]}
    response = world.client(who).post("/v1/group", body)
    assert response.status_code == 200, response.content
    created = PermissionGroup.objects.get(org=world.org, name="New")
    assert response.json()["id"] == str(created.pk)
    assert response.json()["member_users"] == [str(member.pk)]
    assert response.json()["member_groups"] == [str(world.inner.pk)]
    assert audit_actions()[-1] == "group.create"


def test_principal_of_another_organization_creates_in_its_own(world):
    response = world.client("outsider").post("/v1/group", {"name": "Target"})
    assert response.status_code == 200
    assert response.json()["org_id"] == str(world.other_org.pk)
    assert PermissionGroup.objects.get(org=world.org, name="Target") == world.target


def test_post_with_an_existing_name_returns_that_group_unchanged(world):
    client = world.client("owner")
    before = row_counts()
    response = client.post("/v1/group", {"name": "Target", "description": "ignored", "member_users": []})
    assert response.status_code == 200
    assert response.json()["id"] == str(world.target.pk)
    assert response.json()["description"] == ""
    assert row_counts() == before


def test_post_with_the_name_of_a_group_the_caller_cannot_see_says_only_that_the_name_is_taken(world):
    hidden = custom_group(world.org, name="Hidden")
    client = creator_client(world.org, world.org, "group", reads_the_organization=True)
    assert_taken_without_naming(lambda: client.post("/v1/group", {"name": "Hidden"}), hidden)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        *BAD_NEW_NAMES,
        ({"name": "X", "colour": "red"}, "colour: Unknown field."),
        ({"name": "X", "description": 5}, "description: Not a valid string."),
        ({"name": "X", "member_users": "abc"}, "member_users: Expected a list of items"),
        ({"name": "X", "member_users": ["not-a-uuid"]}, "member_users: 0: Must be a valid UUID."),
        ({"name": "X", "member_users": [5]}, "member_users: 0: Must be a valid UUID."),
        ({"name": "X", "member_groups": {"a": 1}}, "member_groups: Expected a list of items"),
        ({"name": "X", "org_id": str(uuid.uuid4())}, "org_id: Unknown field."),
    ],
)
def test_post_with_bad_input_answers_400_naming_the_problem_and_writes_nothing(world, body, message):
    client = world.client("owner")
    assert_refused_without_writing(lambda: client.post("/v1/group", body), 400, message)


def test_post_body_that_is_not_a_json_object_answers_400(world):
    assert_non_object_bodies_refused(world.client("owner"), "/v1/group")


def test_post_with_members_of_another_organization_is_refused_and_writes_nothing(world):
    client = world.client("owner")
    stranger = owner_of(world.other_org)
    their_group = builtin_group(world.other_org, "viewers")
    assert_refused_without_writing(
        lambda: client.post("/v1/group", {"name": "X", "member_users": [str(stranger.pk)]}), 400, "Not members of this organization"
    )
    assert_refused_without_writing(
        lambda: client.post("/v1/group", {"name": "X", "member_groups": [str(their_group.pk)]}), 400, "Not groups of this organization"
    )


def test_post_with_org_name_of_another_organization_is_refused(world):
    client = world.client("owner")
    assert_refused_without_writing(lambda: client.post("/v1/group", {"name": "X", "org_name": world.other_org.name}), 400)


# Creating or replacing (PUT)


@pytest.mark.parametrize("who", ["owner", "group_grant", "nested_group", "object_grant"])
def test_put_replaces_description_and_members_of_the_group_with_that_name(world, who):
    old, new = add_member(world.org, None, world.target), add_member(world.org)
    nest(world.target, world.inner)
    body = {"name": "Target", "description": "replaced", "member_users": [str(new.pk)], "member_groups": []}
    response = world.client(who).put("/v1/group", body)
    assert response.status_code == 200, response.content
    assert response.json()["id"] == str(world.target.pk)
    assert response.json()["description"] == "replaced"
    assert response.json()["member_users"] == [str(new.pk)]
    assert response.json()["member_groups"] == []
    assert set(member_user_ids(world.target)) == {new.pk}
    assert old.pk not in member_user_ids(world.target)
    assert audit_actions()[-1] == "group.update"


def test_put_with_a_new_name_creates_the_group(world):
    response = world.client("owner").put("/v1/group", {"name": "Fresh", "description": "d"})
    assert response.status_code == 200
    assert PermissionGroup.objects.get(org=world.org, name="Fresh").description == "d"


@pytest.mark.parametrize(("who", "status", "missing"), [("engineer", 403, "update"), ("viewer", 403, "update")])
def test_put_over_a_group_the_caller_may_only_read_is_refused(world, who, status, missing):
    client = world.client(who)
    assert_refused_without_writing(lambda: client.put("/v1/group", {"name": "Target", "description": "x"}), status)
    assert error(client.put("/v1/group", {"name": "Target"}))["missing_permission"] == missing


def test_put_by_a_principal_of_another_organization_acts_in_its_own(world):
    response = world.client("outsider").put("/v1/group", {"name": "Target", "description": "theirs"})
    assert response.status_code == 200
    assert response.json()["org_id"] == str(world.other_org.pk)
    world.target.refresh_from_db()
    assert world.target.description == ""


def test_put_replacing_members_with_one_of_another_organization_writes_nothing(world):
    add_member(world.org, None, world.target)
    body = {"name": "Target", "member_users": [str(owner_of(world.other_org).pk)]}
    client = world.client("owner")
    assert_refused_without_writing(lambda: client.put("/v1/group", body), 400, "Not members of this organization")


def test_put_that_would_empty_owners_is_refused_and_writes_nothing(world):
    client = world.client("owner")
    assert_refused_without_writing(lambda: client.put("/v1/group", {"name": "Owners", "member_users": []}), 400, "at least one member")


def test_put_with_bad_input_answers_400_and_writes_nothing(world):
    client = world.client("owner")
    assert_refused_without_writing(lambda: client.put("/v1/group", {"name": "Target", "member_users": [1]}), 400, "Must be a valid UUID")
    assert_refused_without_writing(lambda: client.put("/v1/group", {"name": "Target", "extra": 1}), 400, "extra: Unknown field.")


# Updating (PATCH)


@pytest.mark.parametrize("who", ["owner", "group_grant", "nested_group", "object_grant"])
def test_callers_with_update_on_the_group_rename_describe_and_change_members(world, who):
    gone, added = add_member(world.org, None, world.target), add_member(world.org)
    body = {
        "name": "Renamed",
        "description": "new",
        "add_member_users": [str(added.pk)],
        "remove_member_users": [str(gone.pk)],
        "add_member_groups": [str(world.inner.pk)],
    }
    response = world.client(who).patch(f"/v1/group/{world.target.pk}", body)
    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["description"]) == ("Renamed", "new")
    assert response.json()["member_users"] == [str(added.pk)]
    assert response.json()["member_groups"] == [str(world.inner.pk)]
    response = world.client(who).patch(f"/v1/group/{world.target.pk}", {"remove_member_groups": [str(world.inner.pk)]})
    assert response.json()["member_groups"] == []
    assert not GroupNesting.objects.filter(group=world.target).exists()


def test_patch_leaves_out_fields_as_they_are(world):
    member = add_member(world.org, None, world.target)
    response = world.client("owner").patch(f"/v1/group/{world.target.pk}", {"description": None})
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["member_users"]) == ("Target", [str(member.pk)])


def test_object_grant_on_one_group_cannot_update_another(world):
    client = world.client("object_grant")
    assert_refused_without_writing(lambda: client.patch(f"/v1/group/{world.managers.pk}", {"name": "X"}), 404)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        *BAD_RENAMES,
        ({"add_member_users": "x"}, "add_member_users: Expected a list of items"),
        ({"remove_member_groups": ["x"]}, "remove_member_groups: 0: Must be a valid UUID."),
        ({"members": []}, "members: Unknown field."),
        ({"name": "Group managers"}, "already exists"),
    ],
)
def test_patch_with_bad_input_answers_400_naming_the_problem_and_writes_nothing(world, body, message):
    client = world.client("owner")
    assert_refused_without_writing(lambda: client.patch(f"/v1/group/{world.target.pk}", body), 400, message)


def test_patch_adding_members_of_another_organization_writes_nothing(world):
    client = world.client("owner")
    path = f"/v1/group/{world.target.pk}"
    stranger, their_group = owner_of(world.other_org), builtin_group(world.other_org, "owners")
    assert_refused_without_writing(lambda: client.patch(path, {"add_member_users": [str(stranger.pk)]}), 400, "Not members")
    assert_refused_without_writing(lambda: client.patch(path, {"add_member_groups": [str(their_group.pk)]}), 400, "Not groups")


def test_patch_that_makes_a_cycle_is_refused_naming_it_and_writes_nothing(world):
    client = world.client("owner")
    path = f"/v1/group/{world.inner.pk}"
    assert_refused_without_writing(lambda: client.patch(path, {"add_member_groups": [str(world.managers.pk)]}), 400, "cycle")


def test_built_in_group_cannot_be_renamed(world):
    owners = builtin_group(world.org, "owners")
    client = world.client("owner")
    assert_refused_without_writing(lambda: client.patch(f"/v1/group/{owners.pk}", {"name": "Bosses"}), 400, "cannot be renamed")


def test_removing_the_last_owner_is_refused(world):
    owners = builtin_group(world.org, "owners")
    body = {"remove_member_users": [str(world.callers["owner"].pk)]}
    client = world.client("owner")
    assert_refused_without_writing(lambda: client.patch(f"/v1/group/{owners.pk}", body), 400, "at least one member")


def test_patch_of_a_group_of_another_organization_is_not_found_and_writes_nothing(world):
    theirs = builtin_group(world.other_org, "viewers")
    client = world.client("owner")
    assert_refused_without_writing(lambda: client.patch(f"/v1/group/{theirs.pk}", {"name": "X"}), 404)


def test_patch_of_a_malformed_id_answers_400(world):
    client = world.client("owner")
    assert_refused_without_writing(lambda: client.patch("/v1/group/123", {"name": "X"}), 400, "group_id must be a UUID")


# Deleting


@pytest.mark.parametrize("who", ["owner", "group_grant", "nested_group"])
def test_callers_with_delete_on_the_group_delete_it_and_get_it_back(world, who):
    member = add_member(world.org, None, world.target)
    grant(world.org, world.org, group=world.target, permission="read", restrict="project")
    response = world.client(who).delete(f"/v1/group/{world.target.pk}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["name"], body["member_users"]) == (str(world.target.pk), "Target", [str(member.pk)])
    assert body["deleted_at"] is not None
    assert not PermissionGroup.objects.filter(pk=world.target.pk).exists()
    assert not AclGrant.objects.filter(group_id=world.target.pk).exists()
    assert audit_actions()[-1] == "group.delete"


@pytest.mark.parametrize("kind", ["owners", "engineers", "viewers"])
def test_built_in_group_cannot_be_deleted(world, kind):
    group = builtin_group(world.org, kind)
    client = world.client("owner")
    assert_refused_without_writing(lambda: client.delete(f"/v1/group/{group.pk}"), 400, "cannot be deleted")


def test_delete_of_a_group_of_another_organization_or_a_missing_id_is_not_found(world):
    client = world.client("owner")
    theirs = custom_group(world.other_org, name="Theirs")
    assert_refused_without_writing(lambda: client.delete(f"/v1/group/{theirs.pk}"), 404)
    assert_refused_without_writing(lambda: client.delete(f"/v1/group/{uuid.uuid4()}"), 404)
    assert_refused_without_writing(lambda: client.delete("/v1/group/nope"), 400)
