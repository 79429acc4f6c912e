"""``/v1/role``: every endpoint for every kind of caller, system roles, bad input, other organizations and
query counts. What it shares with ``/v1/group`` is tested for both in ``test_organization_objects.py``."""

import uuid

import pytest

from permissions.models import AclGrant, Role, RoleNesting, RolePermission
from permissions.services.roles import role_state, system_role
from tests.access_helpers import audit_actions, custom_role, grant, row_counts
from tests.api_helpers import ApiClient
from tests.assertions import assert_refused_without_writing, assert_taken_without_naming, error, names, not_found
from tests.factories import OrganizationFactory, add_member, owner_of
from tests.query_helpers import assert_one_and_thirty_cost_the_same
from tests.worlds import OrganizationObjectWorld, creator_client, listed_for_each_caller, organization_object_world

pytestmark = pytest.mark.django_db

ROLE_FIELDS = {"id", "org_id", "user_id", "created", "name", "description", "deleted_at", "member_permissions", "member_roles"}
SYSTEM_ROLES = {"owner", "engineer", "viewer"}


@pytest.fixture(scope="module")
def built_world(module_db) -> OrganizationObjectWorld:
    return organization_object_world("role")


# The JSON shape


def test_role_json_has_braintrust_fields_pairs_and_member_roles(world):
    RoleNesting.objects.create(role=world.target, member_role=system_role("viewer"))
    response = world.client("owner").get(f"/v1/role/{world.target.pk}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == ROLE_FIELDS
    assert (body["id"], body["org_id"], body["name"], body["deleted_at"]) == (str(world.target.pk), str(world.org.pk), "Target", None)
    assert body["member_permissions"] == [{"permission": "read", "restrict_object_type": "experiment"}]
    assert body["member_roles"] == [str(system_role("viewer").pk)]


def test_system_role_has_a_null_org_id_and_its_permissions(world):
    response = world.client("owner").get(f"/v1/role/{system_role('engineer').pk}")
    assert response.json()["org_id"] is None
    assert response.json()["member_permissions"] == [
        {"permission": p, "restrict_object_type": None} for p in sorted(("create", "read", "update", "delete"))
    ]


def test_published_schema_describes_role_as_the_endpoints_answer_it(world):
    schema = ApiClient().get("/v1/openapi.json", {"format": "json"}).json()
    assert set(schema["components"]["schemas"]["Role"]["properties"]) == ROLE_FIELDS
    operations = {method: op["operationId"] for method, op in schema["paths"]["/v1/role"].items()}
    assert operations == {"get": "getRole", "post": "postRole", "put": "putRole"}
    detail = {method: op["operationId"] for method, op in schema["paths"]["/v1/role/{role_id}"].items()}
    assert detail == {"get": "getRoleId", "patch": "patchRoleId", "delete": "deleteRoleId"}


# Listing


ORG_ROLES = {"Target", "Other"}


@pytest.mark.parametrize(("who", "visible"), listed_for_each_caller(ORG_ROLES, one_object={"Target"}))
def test_list_shows_the_system_roles_and_exactly_the_roles_the_caller_may_read(world, who, visible):
    response = world.client(who).get("/v1/role")
    assert response.status_code == 200
    assert names(response) == SYSTEM_ROLES | visible


def test_list_of_a_principal_of_another_organization_shows_only_system_roles_and_its_own(world):
    custom_role(world.other_org, "Theirs")
    response = world.client("outsider").get("/v1/role")
    assert names(response) == SYSTEM_ROLES | {"Theirs"}
    assert {r["org_id"] for r in response.json()["objects"]} == {None, str(world.other_org.pk)}


def test_list_is_newest_first_and_pages_with_a_cursor(world):
    client = world.client("owner")
    everything = client.get("/v1/role").json()["objects"]
    assert [r["created"] for r in everything] == sorted((r["created"] for r in everything), reverse=True)
    first = client.get("/v1/role", {"limit": 2}).json()["objects"]
    rest = client.get("/v1/role", {"starting_after": first[-1]["id"]}).json()["objects"]
    assert [r["id"] for r in first + rest] == [r["id"] for r in everything]


def test_list_filters_by_name_and_ids(world):
    client = world.client("owner")
    assert names(client.get("/v1/role", {"role_name": "viewer"})) == {"viewer"}
    assert names(client.get("/v1/role", {"role_name": "Target"})) == {"Target"}
    ids = [str(world.target.pk), str(system_role("owner").pk)]
    assert names(client.client.get("/v1/role", {"ids": ids})) == {"Target", "owner"}


def test_list_by_ids_does_not_reveal_roles_the_caller_cannot_read(world):
    response = world.client("object_grant").client.get("/v1/role", {"ids": [str(world.target.pk), str(world.other.pk)]})
    assert names(response) == {"Target"}


@pytest.mark.parametrize("params", [{"ids": "not-a-uuid"}, {"limit": "many"}, {"ending_before": "x"}])
def test_list_with_malformed_parameters_answers_400(world, params):
    assert world.client("owner").get("/v1/role", params).status_code == 400


def test_list_costs_the_same_number_of_queries_for_one_and_thirty_roles():
    org = OrganizationFactory()
    previous = system_role("viewer")
    for n in range(30):
        previous = custom_role(org, f"Role {n}", pairs=[("read", ""), ("update", "dataset")], member_roles=[previous])
    viewer = add_member(org, None, "viewers")
    assert_one_and_thirty_cost_the_same("/v1/role", org, (owner_of(org), viewer), at_most=8)


def test_list_pairs_and_member_roles_agree_with_the_service_read_of_each_role(world):
    RoleNesting.objects.create(role=world.target, member_role=world.other)
    for body in world.client("owner").get("/v1/role").json()["objects"]:
        state = role_state(Role.objects.get(pk=body["id"]))
        assert sorted([p["permission"], p["restrict_object_type"]] for p in body["member_permissions"]) == state["member_permissions"]
        assert sorted(body["member_roles"]) == state["member_roles"]


# Reading one


@pytest.mark.parametrize("who", ["owner", "viewer", "object_grant", "no_grant", "outsider"])
def test_everyone_reads_the_system_roles(world, who):
    response = world.client(who).get(f"/v1/role/{system_role('owner').pk}")
    assert response.status_code == 200
    assert response.json()["name"] == "owner"


def test_object_grant_on_one_role_does_not_reach_another(world):
    assert world.client("object_grant").get(f"/v1/role/{world.other.pk}").json() == not_found("role", world.other.pk)


def test_role_of_another_organization_is_not_found_even_for_an_owner(world):
    theirs = custom_role(world.other_org, "Theirs")
    assert world.client("owner").get(f"/v1/role/{theirs.pk}").json() == not_found("role", theirs.pk)


# Creating (POST)


@pytest.mark.parametrize("who", ["owner", "group_grant", "nested_group"])
def test_callers_who_may_create_roles_create_one_with_pairs_and_member_roles(world, who):
    body = {
        "name": "Auditor",
        "description": "reads logs",
        "member_permissions": [{"permission": "read", "restrict_object_type": "project_log"}, {"permission": "read_acls"}],
        "member_roles": [str(system_role("viewer").pk), str(world.other.pk)],
    }
    response = world.client(who).post("/v1/role", body)
    assert response.status_code == 200, response.content
    created = Role.objects.get(org=world.org, name="Auditor")
    assert response.json()["id"] == str(created.pk)
    assert response.json()["member_permissions"] == [
        {"permission": "read", "restrict_object_type": "project_log"},
        {"permission": "read_acls", "restrict_object_type": None},
    ]
    assert set(response.json()["member_roles"]) == set(body["member_roles"])
    assert audit_actions()[-1] == "role.create"


def test_principal_of_another_organization_creates_in_its_own(world):
    response = world.client("outsider").post("/v1/role", {"name": "Target"})
    assert response.status_code == 200
    assert response.json()["org_id"] == str(world.other_org.pk)


def test_post_with_an_existing_name_returns_that_role_unchanged(world):
    client = world.client("owner")
    before = row_counts()
    response = client.post("/v1/role", {"name": "Target", "member_permissions": [{"permission": "delete"}]})
    assert response.status_code == 200
    assert response.json()["id"] == str(world.target.pk)
    assert response.json()["member_permissions"] == [{"permission": "read", "restrict_object_type": "experiment"}]
    assert row_counts() == before


@pytest.mark.parametrize("name", ["viewer", "Owner"])
def test_post_with_the_name_of_a_system_role_in_any_case_is_refused(world, name):
    client = world.client("owner")
    assert_refused_without_writing(lambda: client.post("/v1/role", {"name": name}), 400, "system role")


def test_post_with_the_name_of_a_role_the_caller_cannot_see_says_only_that_the_name_is_taken(world):
    client = creator_client(world.org, world.org, "role", reads_the_organization=True)
    assert_taken_without_naming(lambda: client.post("/v1/role", {"name": "Target"}), world.target)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "name: This field is required."),
        ({"name": ""}, "name: This field may not be blank."),
        ({"name": 7}, "name: Not a valid string."),
        ({"name": "X", "colour": "red"}, "colour: Unknown field."),
        ({"name": "X", "member_permissions": "read"}, "member_permissions:"),
        ({"name": "X", "member_permissions": ["read"]}, "member_permissions:"),
        ({"name": "X", "member_permissions": [{"permission": "fly"}]}, '"fly" is not a valid choice.'),
        (
            {"name": "X", "member_permissions": [{"permission": "read", "restrict_object_type": "planet"}]},
            '"planet" is not a valid choice.',
        ),
        ({"name": "X", "member_permissions": [{"permission": "read", "scope": "all"}]}, "scope: Unknown field."),
        ({"name": "X", "member_permissions": [{"restrict_object_type": "project"}]}, "permission: This field is required."),
        ({"name": "X", "member_roles": ["nope"]}, "member_roles: 0: Must be a valid UUID."),
        ({"name": "X", "member_roles": [1]}, "member_roles: 0: Must be a valid UUID."),
    ],
)
def test_post_with_bad_input_answers_400_naming_the_problem_and_writes_nothing(world, body, message):
    client = world.client("owner")
    assert_refused_without_writing(lambda: client.post("/v1/role", body), 400, message)


def test_post_with_a_member_role_of_another_organization_is_refused_and_writes_nothing(world):
    theirs = custom_role(world.other_org, "Theirs")
    client = world.client("owner")
    assert_refused_without_writing(
        lambda: client.post("/v1/role", {"name": "X", "member_roles": [str(theirs.pk)]}), 400, "Not roles of this organization"
    )


# Creating or replacing (PUT)


@pytest.mark.parametrize("who", ["owner", "group_grant", "nested_group", "object_grant"])
def test_put_replaces_description_pairs_and_member_roles_of_the_role_with_that_name(world, who):
    RoleNesting.objects.create(role=world.target, member_role=world.other)
    body = {
        "name": "Target",
        "description": "replaced",
        "member_permissions": [{"permission": "update", "restrict_object_type": "dataset"}],
        "member_roles": [str(system_role("viewer").pk)],
    }
    response = world.client(who).put("/v1/role", body)
    assert response.status_code == 200, response.content
    assert response.json()["id"] == str(world.target.pk)
    assert response.json()["description"] == "replaced"
    assert response.json()["member_permissions"] == [{"permission": "update", "restrict_object_type": "dataset"}]
    assert response.json()["member_roles"] == [str(system_role("viewer").pk)]
    state = role_state(world.target)
    assert state["member_permissions"] == [["update", "dataset"]]
    assert audit_actions()[-1] == "role.update"


def test_put_with_a_new_name_creates_the_role(world):
    response = world.client("owner").put("/v1/role", {"name": "Fresh", "member_permissions": [{"permission": "read"}]})
    assert response.status_code == 200
    assert role_state(Role.objects.get(org=world.org, name="Fresh"))["member_permissions"] == [["read", None]]


@pytest.mark.parametrize("who", ["engineer", "viewer"])
def test_put_over_a_role_the_caller_may_only_read_is_refused(world, who):
    client = world.client(who)
    assert_refused_without_writing(lambda: client.put("/v1/role", {"name": "Target"}), 403)
    assert error(client.put("/v1/role", {"name": "Target"}))["missing_permission"] == "update"


def test_put_by_a_principal_of_another_organization_acts_in_its_own(world):
    response = world.client("outsider").put("/v1/role", {"name": "Target", "description": "theirs"})
    assert response.json()["org_id"] == str(world.other_org.pk)
    world.target.refresh_from_db()
    assert world.target.description == ""


def test_put_with_a_member_role_of_another_organization_or_bad_input_writes_nothing(world):
    theirs = custom_role(world.other_org, "Theirs")
    client = world.client("owner")
    assert_refused_without_writing(lambda: client.put("/v1/role", {"name": "Target", "member_roles": [str(theirs.pk)]}), 400, "Not roles")
    assert_refused_without_writing(
        lambda: client.put("/v1/role", {"name": "Target", "member_permissions": [{"permission": 1}]}), 400, "not a valid choice"
    )


# Updating (PATCH)


@pytest.mark.parametrize("who", ["owner", "group_grant", "nested_group", "object_grant"])
def test_callers_with_update_on_the_role_rename_and_change_pairs_and_member_roles(world, who):
    body = {
        "name": "Renamed",
        "description": "new",
        "add_member_permissions": [{"permission": "delete", "restrict_object_type": "prompt"}],
        "remove_member_permissions": [{"permission": "read", "restrict_object_type": "experiment"}],
        "add_member_roles": [str(world.other.pk)],
    }
    response = world.client(who).patch(f"/v1/role/{world.target.pk}", body)
    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["description"]) == ("Renamed", "new")
    assert response.json()["member_permissions"] == [{"permission": "delete", "restrict_object_type": "prompt"}]
    assert response.json()["member_roles"] == [str(world.other.pk)]
    response = world.client(who).patch(f"/v1/role/{world.target.pk}", {"remove_member_roles": [str(world.other.pk)]})
    assert response.json()["member_roles"] == []
    assert not RoleNesting.objects.filter(role=world.target).exists()


def test_object_grant_on_one_role_cannot_update_another(world):
    client = world.client("object_grant")
    assert_refused_without_writing(lambda: client.patch(f"/v1/role/{world.other.pk}", {"name": "X"}), 404)


@pytest.mark.parametrize("name", sorted(SYSTEM_ROLES))
def test_system_roles_cannot_be_edited_or_deleted(world, name):
    role = system_role(name)
    client = world.client("owner")
    assert_refused_without_writing(lambda: client.patch(f"/v1/role/{role.pk}", {"description": "mine"}), 400, "cannot be edited")
    assert_refused_without_writing(lambda: client.delete(f"/v1/role/{role.pk}"), 400, "cannot be deleted")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": ""}, "name: This field may not be blank."),
        ({"add_member_permissions": [{"permission": "fly"}]}, "not a valid choice"),
        ({"remove_member_permissions": {"permission": "read"}}, "remove_member_permissions:"),
        ({"add_member_roles": [str(uuid.UUID(int=1))]}, "Not roles of this organization"),
        ({"add_member_roles": "x"}, "add_member_roles: Expected a list of items"),
        ({"permissions": []}, "permissions: Unknown field."),
        ({"name": "Other"}, "already exists"),
    ],
)
def test_patch_with_bad_input_answers_400_naming_the_problem_and_writes_nothing(world, body, message):
    client = world.client("owner")
    assert_refused_without_writing(lambda: client.patch(f"/v1/role/{world.target.pk}", body), 400, message)


def test_patch_adding_a_member_role_of_another_organization_writes_nothing(world):
    theirs = custom_role(world.other_org, "Theirs")
    client = world.client("owner")
    assert_refused_without_writing(
        lambda: client.patch(f"/v1/role/{world.target.pk}", {"add_member_roles": [str(theirs.pk)]}), 400, "Not roles"
    )


def test_patch_that_makes_a_cycle_is_refused_naming_it_and_writes_nothing(world):
    RoleNesting.objects.create(role=world.target, member_role=world.other)
    client = world.client("owner")
    path = f"/v1/role/{world.other.pk}"
    assert_refused_without_writing(lambda: client.patch(path, {"add_member_roles": [str(world.target.pk)]}), 400, "cycle")


def test_patch_of_a_role_of_another_organization_or_a_malformed_id_writes_nothing(world):
    theirs = custom_role(world.other_org, "Theirs")
    client = world.client("owner")
    assert_refused_without_writing(lambda: client.patch(f"/v1/role/{theirs.pk}", {"name": "X"}), 404)
    assert_refused_without_writing(lambda: client.patch("/v1/role/42", {"name": "X"}), 400, "role_id must be a UUID")


# Deleting


@pytest.mark.parametrize("who", ["owner", "group_grant", "nested_group"])
def test_callers_with_delete_on_the_role_delete_it_and_get_it_back(world, who):
    project_grant = grant(world.org, world.org, user=world.callers["no_grant"], role=world.target)
    response = world.client(who).delete(f"/v1/role/{world.target.pk}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["name"]) == (str(world.target.pk), "Target")
    assert body["member_permissions"] == [{"permission": "read", "restrict_object_type": "experiment"}]
    assert body["deleted_at"] is not None
    assert not Role.objects.filter(pk=world.target.pk).exists()
    assert not RolePermission.objects.filter(role_id=world.target.pk).exists()
    assert not AclGrant.objects.filter(pk=project_grant.id).exists()
    assert audit_actions()[-1] == "role.delete"


def test_delete_of_a_role_of_another_organization_or_a_missing_id_is_not_found(world):
    client = world.client("owner")
    theirs = custom_role(world.other_org, "Theirs")
    assert_refused_without_writing(lambda: client.delete(f"/v1/role/{theirs.pk}"), 404)
    assert_refused_without_writing(lambda: client.delete(f"/v1/role/{uuid.uuid4()}"), 404)
    assert_refused_without_writing(lambda: client.delete("/v1/role/nope"), 400)
