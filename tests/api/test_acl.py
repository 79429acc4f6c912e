"""The /v1/acl endpoints: who may list, add and remove grants through the API, and what a refusal looks like.

docs/access-model.md, "Grants" and "The decision": managing grants on a node needs create_acls, read_acls or
delete_acls there (inherited from above); a principal holding nothing on the node gets 404 with the same
body as a missing id, one holding something else gets 403 naming the missing permission. A credential acts
in its own organization only. Refused input answers 400 and writes nothing. Shapes and field names are
Braintrust's (`Acl`, `AclItem`, `AclBatchUpdateRequest`, `AclBatchUpdateResponse`).
"""

import json
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import ApiKey, Organization, User
from accounts.services.credentials import api_key_create, api_key_delete, service_account_create, service_token_create, service_token_revoke
from permissions.engine.nodes import Node
from permissions.grants import grant_records
from permissions.models import AuditEvent, PermissionGroup
from permissions.services.roles import system_role
from projects.models import Experiment, Project
from tests.access_helpers import ACL_PERMISSIONS, custom_group, custom_role, grant, grant_many, nest
from tests.api_helpers import ApiClient, api_client_for
from tests.assertions import ACL_FIELDS
from tests.factories import ExperimentFactory, OrganizationFactory, ProjectFactory, UserFactory, add_member, builtin_group, owner_of

pytestmark = pytest.mark.django_db

ACTORS = ("owner", "engineer", "viewer", "group_member", "nested_member", "object_holder", "no_grant", "outsider")

# What each actor may do with the grants of a node: 200 when it holds the *_acls permission asked for
# there, 403 when it holds some other permission there, 404 when it holds nothing there.
MANAGE_ACLS = {
    "project": {
        "owner": 200,  # Owners: all permissions on the organization
        "engineer": 403,  # Engineers: create, read, update, delete on all projects
        "viewer": 403,  # Viewers: read on all projects
        "group_member": 200,  # a custom group holding the four *_acls on the project
        "nested_member": 200,  # a group nested in that custom group
        "object_holder": 404,  # the owner role on one experiment of the project only
        "no_grant": 404,
        "outsider": 404,  # another organization's owner, with its own organization's key
    },
    "experiment": {
        "owner": 200,
        "engineer": 403,
        "viewer": 403,
        "group_member": 200,  # inherited from the project
        "nested_member": 200,
        "object_holder": 200,
        "no_grant": 404,
        "outsider": 404,
    },
}
MANAGE_CASES = [(target, actor, status) for target, table in MANAGE_ACLS.items() for actor, status in table.items()]


@dataclass
class World:
    """Organization A with a project P and an experiment E in it, one principal per way of holding access,
    and organization B, whose owner is the outsider."""

    org: Organization
    other_org: Organization
    project: Project
    experiment: Experiment
    admins: PermissionGroup
    inner: PermissionGroup
    grantee: User
    people: dict
    clients: dict = field(default_factory=dict)

    def client(self, actor: str) -> ApiClient:
        if actor not in self.clients:
            org = self.other_org if actor == "outsider" else self.org
            self.clients[actor] = api_client_for(self.people[actor], org)
        return self.clients[actor]

    def node(self, target: str) -> Node:
        return Node.of(self.project if target == "project" else self.experiment)


@pytest.fixture(scope="module")
def built_world(module_db) -> World:
    org, other_org = OrganizationFactory(), OrganizationFactory()
    project = ProjectFactory(org=org)
    experiment = ExperimentFactory(project=project)
    people = {
        "owner": owner_of(org),
        "engineer": add_member(org, None, "engineers"),
        "viewer": add_member(org, None, "viewers"),
        "group_member": add_member(org),
        "nested_member": add_member(org),
        "object_holder": add_member(org),
        "no_grant": add_member(org),
        "outsider": owner_of(other_org),
    }
    admins = custom_group(org, people["group_member"], name="ACL admins")
    inner = custom_group(org, people["nested_member"], name="Inner circle")
    nest(admins, inner)
    grant_many(org, project, ACL_PERMISSIONS, group=admins)
    grant(org, experiment, user=people["object_holder"], role="owner")
    world = World(org, other_org, project, experiment, admins, inner, add_member(org), people)
    for actor in ACTORS:  # made now, so that the key's own audit event precedes every test's snapshot
        world.client(actor)
    return world


def state() -> tuple[frozenset, int]:
    """Every grant of both stores, and how many audit events exist: unchanged by a refused request."""
    return frozenset(r.id for r in grant_records()), AuditEvent.objects.count()


def acl_ids(objects) -> set[str]:
    return {item["id"] for item in objects}


def assert_refused(response, status: int, permission: str) -> None:
    """403 names the missing permission; 404 is checked against a missing id by `assert_like_missing`."""
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["status"] == status
    if status == 403:
        assert error["missing_permission"] == permission
        assert f"'{permission}'" in error["message"]


def assert_like_missing(response, missing_response, real_id, missing_id) -> None:
    """A 404 for something that exists but is invisible has the very body a missing id gets."""
    assert response.status_code == missing_response.status_code == 404
    expected = json.loads(json.dumps(missing_response.json()).replace(str(missing_id), str(real_id)))
    assert response.json() == expected


def item(node: Node, **fields) -> dict:
    """An `AclItem` body on `node`, ids as strings."""
    body = {"object_type": node.type, "object_id": str(node.id)}
    body.update({k: str(v) if isinstance(v, uuid.UUID) else v for k, v in fields.items()})
    return body


def acl_fields(response_json: dict) -> set[str]:
    return set(response_json)


ACL_FIELD_SET = set(ACL_FIELDS)


# POST /v1/acl


@pytest.mark.parametrize(("target", "actor", "status"), MANAGE_CASES)
def test_create_acl_needs_create_acls_on_the_node(world, target, actor, status):
    node, client = world.node(target), world.client(actor)
    before = state()
    response = client.post("/v1/acl", item(node, user_id=world.grantee.pk, permission="read"))
    if status == 200:
        assert response.status_code == 200, response.content
        body = response.json()
        assert acl_fields(body) == ACL_FIELD_SET
        assert (body["object_type"], body["object_id"], body["user_id"], body["permission"]) == (
            node.type,
            str(node.id),
            str(world.grantee.pk),
            "read",
        )
        assert body["_object_org_id"] == str(world.org.pk)
        grants, events = state()
        assert grants == before[0] | {uuid.UUID(body["id"])}
        assert events == before[1] + 1
        return
    assert_refused(response, status, "create_acls")
    assert state() == before
    if status == 404:
        missing = Node(node.type, uuid.uuid4())
        again = client.post("/v1/acl", item(missing, user_id=world.grantee.pk, permission="read"))
        assert_like_missing(response, again, node.id, missing.id)


def test_create_acl_returns_an_identical_existing_grant_instead_of_a_duplicate(world):
    client = world.client("owner")
    body = item(world.node("project"), group_id=world.inner.pk, permission="update", restrict_object_type="experiment")
    first = client.post("/v1/acl", body)
    assert first.status_code == 200
    before = state()
    second = client.post("/v1/acl", body)
    assert second.status_code == 200
    assert second.json() == first.json()
    assert state() == before


@pytest.mark.parametrize(
    "fields",
    [
        {"permission": "read"},  # guardian's table
        {"permission": "read", "restrict_object_type": "experiment"},  # AclGrant
        {"role": "engineer"},  # AclGrant
    ],
    ids=["direct", "restricted", "role"],
)
def test_create_acl_answers_the_acl_shape_from_either_store(world, fields):
    fields = dict(fields)
    role = system_role(fields.pop("role")) if "role" in fields else None
    body = item(world.node("project"), group_id=world.inner.pk, **fields, **({"role_id": role.pk} if role else {}))
    response = world.client("owner").post("/v1/acl", body)
    assert response.status_code == 200
    acl = response.json()
    assert acl["group_id"] == str(world.inner.pk) and acl["user_id"] is None
    assert acl["permission"] == fields.get("permission")
    assert acl["restrict_object_type"] == fields.get("restrict_object_type")
    assert acl["role_id"] == (str(role.pk) if role else None)
    assert world.client("owner").get(f"/v1/acl/{acl['id']}").json() == acl


def test_a_service_account_in_a_managing_group_creates_acls_with_its_token(world):
    owner = world.people["owner"]
    account = service_account_create(actor=owner, org=world.org, name="provisioner", group_ids=[world.admins.pk])
    _, raw = service_token_create(actor=owner, org=world.org, account_id=account.pk, name="ci")
    response = ApiClient(raw).post("/v1/acl", item(world.node("experiment"), user_id=world.grantee.pk, permission="read"))
    assert response.status_code == 200, response.content


# GET /v1/acl


@pytest.mark.parametrize(("target", "actor", "status"), MANAGE_CASES)
def test_list_acls_of_a_node_needs_read_acls_on_it(world, target, actor, status):
    node, client = world.node(target), world.client(actor)
    response = client.get("/v1/acl", {"object_type": node.type, "object_id": node.id})
    if status == 200:
        assert response.status_code == 200
        assert set(response.json()) == {"objects"}
        assert acl_ids(response.json()["objects"]) == {str(r.id) for r in grant_records(nodes=[node])}
        return
    assert_refused(response, status, "read_acls")
    if status == 404:
        missing = uuid.uuid4()
        again = client.get("/v1/acl", {"object_type": node.type, "object_id": missing})
        assert_like_missing(response, again, node.id, missing)


@pytest.fixture
def project_grants(world):
    """Grants on the project besides the fixture's: both stores, users and groups, roles and restrictions."""
    org, project, grantee, inner = world.org, world.project, world.grantee, world.inner
    return {
        "user_read": grant(org, project, user=grantee, permission="read"),
        "group_update": grant(org, project, group=inner, permission="update"),
        "user_role": grant(org, project, user=grantee, role="engineer"),
        "group_read_experiments": grant(org, project, group=inner, permission="read", restrict="experiment"),
        "user_update_datasets": grant(org, project, user=grantee, permission="update", restrict="dataset"),
    }


def _listed(world, **params) -> set[str]:
    node = world.node("project")
    response = world.client("owner").get("/v1/acl", {"object_type": node.type, "object_id": node.id, **params})
    assert response.status_code == 200, response.content
    return acl_ids(response.json()["objects"])


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (lambda w: {"user_id": w.grantee.pk}, {"user_read", "user_role", "user_update_datasets"}),
        (lambda w: {"group_id": w.inner.pk}, {"group_update", "group_read_experiments"}),
        (lambda w: {"permission": "read"}, {"user_read", "group_read_experiments"}),
        (lambda w: {"restrict_object_type": "experiment"}, {"group_read_experiments"}),
        (lambda w: {"role_id": system_role("engineer").pk}, {"user_role"}),
        (lambda w: {"user_id": w.grantee.pk, "permission": "update"}, {"user_update_datasets"}),
        (lambda w: {"group_id": w.inner.pk, "role_id": system_role("engineer").pk}, set()),
    ],
    ids=["user_id", "group_id", "permission", "restrict_object_type", "role_id", "user_and_permission", "nothing_matches"],
)
def test_list_acls_filters(world, project_grants, params, expected):
    assert _listed(world, **params(world)) == {str(project_grants[name].id) for name in expected}


def test_list_acls_filters_by_ids_repeated_or_comma_separated(world, project_grants):
    first, second = str(project_grants["user_read"].id), str(project_grants["user_role"].id)
    node = world.node("project")
    client = world.client("owner").client
    repeated = client.get(f"/v1/acl?object_type=project&object_id={node.id}&ids={first}&ids={second}")
    comma = client.get(f"/v1/acl?object_type=project&object_id={node.id}&ids={first},{second}")
    assert acl_ids(repeated.json()["objects"]) == acl_ids(comma.json()["objects"]) == {first, second}


def test_list_acls_shows_only_grants_on_the_node_itself(world, project_grants):
    listed = _listed(world)
    assert {str(g.id) for g in project_grants.values()} <= listed
    on_experiment = {str(r.id) for r in grant_records(nodes=[world.node("experiment")])}
    on_organization = {str(r.id) for r in grant_records(nodes=[Node.of(world.org)])}
    assert on_experiment and on_organization
    assert not listed & (on_experiment | on_organization)


def test_list_acls_is_newest_first_and_pages_with_limit_and_cursors(world, project_grants):
    node = world.node("project")
    everything = world.client("owner").get("/v1/acl", {"object_type": node.type, "object_id": node.id}).json()["objects"]
    ids = [a["id"] for a in everything]
    assert len(ids) == 9  # the four *_acls of the fixture's group and five more
    assert [a["created"] for a in everything] == sorted((a["created"] for a in everything), reverse=True)

    def page(**params) -> list[str]:
        response = world.client("owner").get("/v1/acl", {"object_type": node.type, "object_id": node.id, **params})
        assert response.status_code == 200, response.content
        return [a["id"] for a in response.json()["objects"]]

    assert page(limit=3) == ids[:3]
    assert page(limit=3, starting_after=ids[2]) == ids[3:6]
    assert page(limit=3, starting_after=ids[7]) == ids[8:]
    assert page(limit=2, ending_before=ids[6]) == ids[4:6]
    assert page(ending_before=ids[3]) == ids[:3]
    assert page(limit=0) == []


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"object_type": "project"},
        {"object_id": "{project}"},
        {"object_type": "projects", "object_id": "{project}"},
        {"object_type": "project", "object_id": "not-a-uuid"},
        {"object_type": "project", "object_id": "{project}", "user_id": "42"},
        {"object_type": "project", "object_id": "{project}", "group_id": "x"},
        {"object_type": "project", "object_id": "{project}", "role_id": "y"},
        {"object_type": "project", "object_id": "{project}", "permission": "fly"},
        {"object_type": "project", "object_id": "{project}", "restrict_object_type": "folder"},
        {"object_type": "project", "object_id": "{project}", "ids": "nope"},
        {"object_type": "project", "object_id": "{project}", "limit": "ten"},
        {"object_type": "project", "object_id": "{project}", "limit": "-1"},
        {"object_type": "project", "object_id": "{project}", "starting_after": "z"},
        {"object_type": "project", "object_id": "{project}", "starting_after": "{missing}"},
        {"object_type": "project", "object_id": "{project}", "starting_after": "{acl}", "ending_before": "{acl}"},
    ],
    ids=[
        "nothing",
        "no_object_id",
        "no_object_type",
        "unknown_object_type",
        "object_id_not_uuid",
        "user_id_not_uuid",
        "group_id_not_uuid",
        "role_id_not_uuid",
        "unknown_permission",
        "unknown_restrict_object_type",
        "ids_not_uuid",
        "limit_not_a_number",
        "negative_limit",
        "cursor_not_uuid",
        "cursor_of_no_acl",
        "both_cursors",
    ],
)
def test_list_acls_refuses_bad_parameters_with_400(world, params):
    acl = grant_records(nodes=[world.node("project")])[0]
    values = {"project": world.project.pk, "missing": uuid.uuid4(), "acl": acl.id}
    params = {k: v.format(**values) for k, v in params.items()}
    response = world.client("owner").get("/v1/acl", params)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["status"] == 400


# DELETE /v1/acl (by body)


@pytest.mark.parametrize(("target", "actor", "status"), MANAGE_CASES)
def test_delete_acl_by_body_needs_delete_acls_on_the_node(world, target, actor, status):
    node, client = world.node(target), world.client(actor)
    existing = grant(world.org, node, user=world.grantee, permission="update")
    before = state()
    response = client.delete("/v1/acl", item(node, user_id=world.grantee.pk, permission="update"))
    if status == 200:
        assert response.status_code == 200, response.content
        assert response.json()["id"] == str(existing.id)
        grants, events = state()
        assert grants == before[0] - {existing.id}
        assert events == before[1] + 1
        return
    assert_refused(response, status, "delete_acls")
    assert state() == before
    if status == 404:
        missing = Node(node.type, uuid.uuid4())
        again = client.delete("/v1/acl", item(missing, user_id=world.grantee.pk, permission="update"))
        assert_like_missing(response, again, node.id, missing.id)


@pytest.mark.parametrize("actor", ["no_grant", "object_holder", "outsider"])
def test_delete_acl_by_body_of_an_invisible_node_looks_missing_whether_or_not_the_grant_exists(world, actor):
    node, client = world.node("project"), world.client(actor)
    grant(world.org, node, user=world.grantee, permission="update")
    exists = client.delete("/v1/acl", item(node, user_id=world.grantee.pk, permission="update"))
    absent = client.delete("/v1/acl", item(node, user_id=world.grantee.pk, permission="delete"))
    assert exists.status_code == absent.status_code == 404
    assert exists.json() == absent.json()


def test_delete_acl_by_body_of_no_such_grant_answers_404_and_writes_nothing(world):
    before = state()
    response = world.client("owner").delete("/v1/acl", item(world.node("project"), user_id=world.grantee.pk, permission="delete"))
    assert response.status_code == 404
    assert state() == before


def test_the_owners_grants_on_the_organization_cannot_be_deleted(world):
    owners = builtin_group(world.org, "owners")
    before = state()
    response = world.client("owner").delete("/v1/acl", item(Node.of(world.org), group_id=owners.pk, permission="delete_acls"))
    assert response.status_code == 400
    assert state() == before


# GET and DELETE /v1/acl/{acl_id}


@pytest.mark.parametrize(("target", "actor", "status"), MANAGE_CASES)
def test_get_acl_by_id_needs_read_acls_on_its_node(world, target, actor, status):
    client = world.client(actor)
    acl = grant(world.org, world.node(target), user=world.grantee, permission="read")
    response = client.get(f"/v1/acl/{acl.id}")
    if status == 200:
        assert response.status_code == 200
        body = response.json()
        assert acl_fields(body) == ACL_FIELD_SET
        assert body["id"] == str(acl.id) and body["object_id"] == str(acl.object_id)
        return
    assert_refused(response, status, "read_acls")
    if status == 404:
        missing = uuid.uuid4()
        assert_like_missing(response, client.get(f"/v1/acl/{missing}"), acl.id, missing)
        assert str(acl.object_id) not in response.content.decode()


@pytest.mark.parametrize(("target", "actor", "status"), MANAGE_CASES)
def test_delete_acl_by_id_needs_delete_acls_on_its_node(world, target, actor, status):
    client = world.client(actor)
    acl = grant(world.org, world.node(target), user=world.grantee, permission="read")
    before = state()
    response = client.delete(f"/v1/acl/{acl.id}")
    if status == 200:
        assert response.status_code == 200
        assert response.json()["id"] == str(acl.id)
        grants, events = state()
        assert grants == before[0] - {acl.id}
        assert events == before[1] + 1
        return
    assert_refused(response, status, "delete_acls")
    assert state() == before
    if status == 404:
        missing = uuid.uuid4()
        assert_like_missing(response, client.delete(f"/v1/acl/{missing}"), acl.id, missing)
        assert str(acl.object_id) not in response.content.decode()


@pytest.mark.parametrize("method", ["get", "delete"])
def test_acl_by_id_refuses_a_non_uuid_id_with_400(world, method):
    before = state()
    response = getattr(world.client("owner"), method)("/v1/acl/not-a-uuid")
    assert response.status_code == 400
    assert state() == before


# POST /v1/acl/batch_update and its alias /v1/acl/batch-update

BATCH_PATHS = ["/v1/acl/batch_update", "/v1/acl/batch-update"]


@pytest.mark.parametrize("path", BATCH_PATHS)
@pytest.mark.parametrize(("target", "actor", "status"), MANAGE_CASES)
def test_batch_update_needs_create_and_delete_acls_on_the_nodes(world, path, target, actor, status):
    node, client = world.node(target), world.client(actor)
    old = grant(world.org, node, user=world.grantee, permission="update")
    before = state()
    body = {
        "add_acls": [item(node, user_id=world.grantee.pk, permission="read")],
        "remove_acls": [item(node, user_id=world.grantee.pk, permission="update")],
    }
    response = client.post(path, body)
    if status == 200:
        assert response.status_code == 200, response.content
        result = response.json()
        assert set(result) == {"added_acls", "removed_acls"}
        [added], [removed] = result["added_acls"], result["removed_acls"]
        assert acl_fields(added) == acl_fields(removed) == ACL_FIELD_SET
        assert removed["id"] == str(old.id)
        grants, events = state()
        assert grants == (before[0] - {old.id}) | {uuid.UUID(added["id"])}
        assert events == before[1] + 2
        return
    assert_refused(response, status, "create_acls")
    assert state() == before
    if status == 404:
        missing = Node(node.type, uuid.uuid4())
        again = client.post(
            path,
            {
                "add_acls": [item(missing, user_id=world.grantee.pk, permission="read")],
                "remove_acls": [item(missing, user_id=world.grantee.pk, permission="update")],
            },
        )
        assert_like_missing(response, again, node.id, missing.id)


@pytest.mark.parametrize("path", BATCH_PATHS)
def test_batch_update_removing_needs_delete_acls(world, path):
    # The engineer's own grants are on all projects; one that holds only create_acls on the project.
    engineer = world.people["engineer"]
    grant(world.org, world.project, user=engineer, permission="create_acls")
    old = grant(world.org, world.project, user=world.grantee, permission="update")
    before = state()
    response = world.client("engineer").post(
        path, {"remove_acls": [item(world.node("project"), user_id=world.grantee.pk, permission=old.permission)]}
    )
    assert_refused(response, 403, "delete_acls")
    assert state() == before


@pytest.mark.parametrize("path", BATCH_PATHS)
def test_batch_update_adding_existing_and_removing_missing_grants_has_no_effect(world, path):
    node = world.node("project")
    existing = grant(world.org, node, user=world.grantee, permission="read")
    before = state()
    response = world.client("owner").post(
        path,
        {
            "add_acls": [item(node, user_id=world.grantee.pk, permission="read")],
            "remove_acls": [item(node, user_id=world.grantee.pk, permission="delete")],
        },
    )
    assert response.status_code == 200, response.content
    assert [a["id"] for a in response.json()["added_acls"]] == [str(existing.id)]
    assert response.json()["removed_acls"] == []
    assert state() == before


@pytest.mark.parametrize("path", BATCH_PATHS)
def test_batch_update_with_empty_lists_or_no_lists_changes_nothing(world, path):
    before = state()
    for body in ({}, {"add_acls": [], "remove_acls": []}, {"add_acls": None, "remove_acls": None}):
        response = world.client("owner").post(path, body)
        assert response.status_code == 200, response.content
        assert response.json() == {"added_acls": [], "removed_acls": []}
    assert state() == before


def _batch_with_one_bad_item(world, kind: str) -> tuple[dict, int]:
    """A batch whose every item but one would be accepted, and the status the bad one earns."""
    project, experiment = world.node("project"), world.node("experiment")
    good = [
        item(project, user_id=world.grantee.pk, permission="read"),
        item(experiment, group_id=world.inner.pk, role_id=system_role("viewer").pk),
    ]
    grant(world.org, project, user=world.grantee, permission="update")
    good_removal = item(project, user_id=world.grantee.pk, permission="update")
    owners = builtin_group(world.org, "owners")
    other_project = ProjectFactory(org=world.org)  # the group member holds nothing there
    if kind == "invalid_item_last":
        return {"add_acls": [*good, item(project, user_id=world.grantee.pk)], "remove_acls": [good_removal]}, 400
    if kind == "invalid_removal":
        return {"add_acls": good, "remove_acls": [good_removal, item(project, permission="read")]}, 400
    if kind == "subject_of_another_org":
        stranger = owner_of(world.other_org)
        return {"add_acls": [*good, item(project, user_id=stranger.pk, permission="read")], "remove_acls": [good_removal]}, 400
    if kind == "owners_grant_removal":
        owners_grant = item(Node.of(world.org), group_id=owners.pk, permission="delete_acls")
        return {"add_acls": good, "remove_acls": [good_removal, owners_grant]}, 400
    if kind == "invisible_node":
        return {"add_acls": [*good, item(Node.of(other_project), user_id=world.grantee.pk, permission="read")]}, 404
    if kind == "node_of_another_org":
        return {"add_acls": [*good, item(Node.of(world.other_org), user_id=world.grantee.pk, permission="read")]}, 404
    raise AssertionError(kind)


@pytest.mark.parametrize("path", BATCH_PATHS)
@pytest.mark.parametrize(
    "kind",
    ["invalid_item_last", "invalid_removal", "subject_of_another_org", "owners_grant_removal", "invisible_node", "node_of_another_org"],
)
def test_batch_update_is_all_or_nothing(world, path, kind):
    body, status = _batch_with_one_bad_item(world, kind)
    actor = "group_member" if kind == "invisible_node" else "owner"
    client = world.client(actor)
    before = state()
    response = client.post(path, body)
    assert response.status_code == status, response.content
    assert state() == before


# GET /v1/acl/list_org

LIST_ORG = {
    "owner": 200,
    "engineer": 403,  # read on the organization, restricted to organization
    "viewer": 403,
    # Membership alone makes the organization visible, so those holding nothing on it are refused, not
    # told it does not exist.
    "group_member": 403,
    "nested_member": 403,
    "object_holder": 403,
    "no_grant": 403,
}


@pytest.mark.parametrize(("actor", "status"), LIST_ORG.items())
def test_list_org_acls_needs_read_acls_on_the_organization(world, actor, status):
    response = world.client(actor).get("/v1/acl/list_org")
    if status == 200:
        assert response.status_code == 200
        listed = acl_ids(response.json())
        assert listed == {str(r.id) for r in grant_records(org_id=world.org.pk)}
        assert not listed & {str(r.id) for r in grant_records(org_id=world.other_org.pk)}
        return
    assert_refused(response, status, "read_acls")


def test_list_org_acls_answers_a_bare_list_of_acls(world):
    body = world.client("owner").get("/v1/acl/list_org").json()
    assert isinstance(body, list)
    assert body and all(acl_fields(a) == ACL_FIELD_SET for a in body)


def test_list_org_acls_of_the_outsider_lists_its_own_organization_only(world):
    response = world.client("outsider").get("/v1/acl/list_org")
    assert response.status_code == 200
    assert acl_ids(response.json()) == {str(r.id) for r in grant_records(org_id=world.other_org.pk)}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (lambda w: {"object_type": "experiment"}, lambda w: {r.id for r in grant_records(nodes=[w.node("experiment")])}),
        (lambda w: {"object_id": w.project.pk}, lambda w: {r.id for r in grant_records(nodes=[w.node("project")])}),
        (lambda w: {"group_id": w.admins.pk}, lambda w: {r.id for r in grant_records(group_id=w.admins.pk)}),
        (lambda w: {"user_id": w.people["object_holder"].pk}, lambda w: {r.id for r in grant_records(nodes=[w.node("experiment")])}),
        (lambda w: {"role_id": system_role("owner").pk}, lambda w: {r.id for r in grant_records(nodes=[w.node("experiment")])}),
        (
            lambda w: {"permission": "create_acls", "group_id": w.admins.pk},
            lambda w: {r.id for r in grant_records(permission="create_acls", group_id=w.admins.pk)},
        ),
        (
            lambda w: {"restrict_object_type": "org_member"},
            lambda w: {r.id for r in grant_records(org_id=w.org.pk, restrict_object_type="org_member")},
        ),
    ],
    ids=["object_type", "object_id", "group_id", "user_id", "role_id", "permission", "restrict_object_type"],
)
def test_list_org_acls_filters(world, params, expected):
    response = world.client("owner").get("/v1/acl/list_org", params(world))
    assert response.status_code == 200, response.content
    wanted = {str(i) for i in expected(world)}
    assert wanted
    assert acl_ids(response.json()) == wanted


def test_list_org_acls_filter_by_restriction_finds_the_builtin_groups_grants(world):
    response = world.client("owner").get("/v1/acl/list_org", {"restrict_object_type": "org_member"})
    groups = {a["group_id"] for a in response.json()}
    assert groups == {str(builtin_group(world.org, "engineers").pk), str(builtin_group(world.org, "viewers").pk)}


def test_list_org_acls_pages_with_limit_and_cursors(world):
    client = world.client("owner")
    ids = [a["id"] for a in client.get("/v1/acl/list_org").json()]
    assert len(ids) > 6
    assert [a["id"] for a in client.get("/v1/acl/list_org", {"limit": 2}).json()] == ids[:2]
    assert [a["id"] for a in client.get("/v1/acl/list_org", {"limit": 2, "starting_after": ids[1]}).json()] == ids[2:4]
    assert [a["id"] for a in client.get("/v1/acl/list_org", {"limit": 2, "ending_before": ids[4]}).json()] == ids[2:4]
    assert client.get("/v1/acl/list_org", {"starting_after": ids[1], "ending_before": ids[4]}).status_code == 400


@pytest.mark.parametrize(
    "params",
    [{"object_type": "folder"}, {"object_id": "x"}, {"permission": "fly"}, {"user_id": "1"}, {"ids": "nope"}, {"limit": "many"}],
    ids=["object_type", "object_id", "permission", "user_id", "ids", "limit"],
)
def test_list_org_acls_refuses_bad_parameters_with_400(world, params):
    assert world.client("owner").get("/v1/acl/list_org", params).status_code == 400


# GET /v1/acl/explain


@pytest.mark.parametrize(("target", "actor", "status"), MANAGE_CASES)
def test_explaining_someone_elses_access_needs_read_acls(world, target, actor, status):
    node, client = world.node(target), world.client(actor)
    params = {"object_type": node.type, "object_id": node.id, "permission": "read", "user_id": world.grantee.pk}
    response = client.get("/v1/acl/explain", params)
    if status == 200:
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["principal"]["id"] == str(world.grantee.pk)
        assert body["allowed"] is False  # the grantee holds nothing yet
        return
    assert_refused(response, status, "read_acls")
    if status == 404:
        missing = uuid.uuid4()
        again = client.get("/v1/acl/explain", {**params, "object_id": missing})
        assert_like_missing(response, again, node.id, missing)


SEES_THE_PROJECT = ("owner", "engineer", "viewer", "group_member", "nested_member")


@pytest.mark.parametrize("actor", SEES_THE_PROJECT)
def test_anyone_may_explain_their_own_access_to_what_they_see(world, actor):
    node = world.node("project")
    response = world.client(actor).get("/v1/acl/explain", {"object_type": node.type, "object_id": node.id, "permission": "read_acls"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["principal"]["id"] == str(world.people[actor].pk)
    assert body["allowed"] is (MANAGE_ACLS["project"][actor] == 200)


@pytest.mark.parametrize("actor", ["object_holder", "no_grant"])
def test_explaining_own_access_to_an_object_one_sees_nothing_of_looks_missing(world, actor):
    node, client = world.node("project"), world.client(actor)
    params = {"object_type": node.type, "permission": "read"}
    response = client.get("/v1/acl/explain", {**params, "object_id": node.id})
    missing = uuid.uuid4()
    assert_like_missing(response, client.get("/v1/acl/explain", {**params, "object_id": missing}), node.id, missing)


def test_who_could_grant_is_hidden_from_a_caller_who_may_not_read_the_members(world):
    reader = add_member(world.org)
    grant(world.org, world.experiment, user=reader, permission="read")
    node = world.node("experiment")
    body = (
        api_client_for(reader, world.org)
        .get("/v1/acl/explain", {"object_type": node.type, "object_id": node.id, "permission": "update"})
        .json()
    )
    assert body["allowed"] is False
    assert body["could_grant"] == []


def _explain_group(client: ApiClient, node: Node, group, permission: str):
    return client.get("/v1/acl/explain", {"object_type": node.type, "object_id": node.id, "permission": permission, "group_id": group.pk})


def test_explaining_a_group_names_its_grant_and_the_groups_it_comes_through(world):
    node = world.node("experiment")
    direct = _explain_group(world.client("owner"), node, world.admins, "delete_acls").json()
    assert direct["allowed"] is True and direct["principal"] == {"id": str(world.admins.pk), "name": "ACL admins"}
    assert [g["name"] for g in direct["reasons"][0]["via_groups"]] == ["ACL admins"]

    nested = _explain_group(world.client("owner"), node, world.inner, "delete_acls").json()
    assert nested["allowed"] is True
    [reason] = nested["reasons"]
    assert reason["acl"]["group_id"] == str(world.admins.pk)
    assert [g["name"] for g in reason["via_groups"]] == ["Inner circle", "ACL admins"]


def test_explaining_a_group_ignores_the_grants_of_its_members(world):
    node = world.node("experiment")
    lonely = custom_group(world.org, world.people["object_holder"], name="Lonely")
    body = _explain_group(world.client("owner"), node, lonely, "update").json()
    assert body["allowed"] is False and body["reasons"] == []
    assert str(world.people["owner"].pk) in {ref["id"] for ref in body["could_grant"]}


def test_explaining_a_group_needs_read_acls(world):
    node = world.node("project")
    assert_refused(_explain_group(world.client("engineer"), node, world.admins, "read"), 403, "read_acls")
    assert_refused(_explain_group(world.client("no_grant"), node, world.admins, "read"), 404, "read_acls")


def test_explaining_a_group_of_another_organization_answers_404(world):
    foreign = custom_group(world.other_org, name="Elsewhere")
    response = _explain_group(world.client("owner"), world.node("project"), foreign, "read")
    assert response.status_code == 404
    assert "group" in response.json()["error"]["message"]


def test_explain_refuses_both_a_user_and_a_group_with_400(world):
    node = world.node("project")
    params = {"object_type": node.type, "object_id": node.id, "permission": "read"}
    response = world.client("owner").get("/v1/acl/explain", {**params, "user_id": world.grantee.pk, "group_id": world.admins.pk})
    assert response.status_code == 400
    assert "only one of user_id and group_id" in response.json()["error"]["message"]


def test_explaining_own_access_in_another_organization_looks_missing(world):
    node, client = world.node("project"), world.client("outsider")
    params = {"object_type": node.type, "permission": "read"}
    response = client.get("/v1/acl/explain", {**params, "object_id": node.id})
    missing = uuid.uuid4()
    assert_like_missing(response, client.get("/v1/acl/explain", {**params, "object_id": missing}), node.id, missing)


def test_explain_names_the_chain_of_nested_groups(world):
    node = world.node("experiment")
    response = world.client("nested_member").get(
        "/v1/acl/explain", {"object_type": node.type, "object_id": node.id, "permission": "delete_acls"}
    )
    body = response.json()
    assert body["allowed"] is True and body["is_member"] is True
    assert body["could_grant"] == []
    [reason] = body["reasons"]
    assert reason["acl"]["object_type"] == "project" and reason["acl"]["group_id"] == str(world.admins.pk)
    assert [g["name"] for g in reason["via_groups"]] == ["Inner circle", "ACL admins"]
    assert reason["via_roles"] == []


def test_explain_names_the_role_and_who_could_grant_when_denied(world):
    node = world.node("experiment")
    holder = world.client("owner").get(
        "/v1/acl/explain",
        {"object_type": node.type, "object_id": node.id, "permission": "update", "user_id": world.people["object_holder"].pk},
    )
    [reason] = holder.json()["reasons"]
    assert [r["name"] for r in reason["via_roles"]] == ["owner"]
    assert reason["acl"]["role_id"] == str(system_role("owner").pk)

    denied = world.client("viewer").get("/v1/acl/explain", {"object_type": node.type, "object_id": node.id, "permission": "update"}).json()
    assert denied["allowed"] is False and denied["reasons"] == []
    grantors = {ref["id"] for ref in denied["could_grant"]}
    managers = ("owner", "group_member", "nested_member", "object_holder")
    assert grantors == {str(world.people[name].pk) for name in managers}


def test_explaining_the_access_of_a_non_member_answers_404(world):
    node = world.node("project")
    response = world.client("owner").get(
        "/v1/acl/explain",
        {"object_type": node.type, "object_id": node.id, "permission": "read", "user_id": world.people["outsider"].pk},
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"object_id": "{project}", "permission": "read"},
        {"object_type": "project", "permission": "read"},
        {"object_type": "project", "object_id": "{project}"},
        {"object_type": "folder", "object_id": "{project}", "permission": "read"},
        {"object_type": "project", "object_id": "{project}", "permission": "fly"},
        {"object_type": "project", "object_id": "nope", "permission": "read"},
        {"object_type": "project", "object_id": "{project}", "permission": "read", "user_id": "me"},
    ],
    ids=["no_object_type", "no_object_id", "no_permission", "unknown_object_type", "unknown_permission", "object_id", "user_id"],
)
def test_explain_refuses_bad_parameters_with_400(world, params):
    params = {k: v.format(project=world.project.pk) for k, v in params.items()}
    assert world.client("owner").get("/v1/acl/explain", params).status_code == 400


# Every endpoint: credentials


def _endpoints(node: Node, acl_id) -> list[tuple[str, str, dict | None]]:
    body = item(node, user_id=uuid.uuid4(), permission="read")
    return [
        ("post", "/v1/acl", body),
        ("get", "/v1/acl", {"object_type": node.type, "object_id": str(node.id)}),
        ("delete", "/v1/acl", body),
        ("get", f"/v1/acl/{acl_id}", None),
        ("delete", f"/v1/acl/{acl_id}", None),
        ("post", "/v1/acl/batch_update", {"add_acls": [body]}),
        ("post", "/v1/acl/batch-update", {"remove_acls": [body]}),
        ("get", "/v1/acl/list_org", None),
        ("get", "/v1/acl/explain", {"object_type": node.type, "object_id": str(node.id), "permission": "read"}),
    ]


ENDPOINT_IDS = ["post", "list", "delete_by_body", "get_by_id", "delete_by_id", "batch_update", "batch-update", "list_org", "explain"]


def _call(client: ApiClient, method: str, path: str, payload):
    if method == "get":
        return client.get(path, payload)
    return getattr(client, method)(path, payload)


def _revoked_client(org, owner, how: str) -> ApiClient:
    if how == "none":
        return ApiClient()
    if how == "deleted_api_key":
        key, raw = api_key_create(actor=owner, org=org, name="gone")
        api_key_delete(actor=owner, key_id=key.pk)
        return ApiClient(raw)
    if how == "revoked_api_key":
        key, raw = api_key_create(actor=owner, org=org, name="revoked")
        ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
        return ApiClient(raw)
    if how == "expired_api_key":
        key, raw = api_key_create(actor=owner, org=org, name="expired")
        ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
        return ApiClient(raw)
    if how == "revoked_service_token":
        account = service_account_create(actor=owner, org=org, name="robot", group_ids=[builtin_group(org, "owners").pk])
        key, raw = service_token_create(actor=owner, org=org, account_id=account.pk, name="revoked")
        service_token_revoke(actor=owner, org=org, token_id=key.pk)
        return ApiClient(raw)
    raise AssertionError(how)


@pytest.mark.parametrize("how", ["none", "deleted_api_key", "revoked_api_key", "expired_api_key", "revoked_service_token"])
def test_every_endpoint_answers_401_without_a_usable_credential(how):
    org = OrganizationFactory()
    owner = owner_of(org)
    acl = grant(org, org, user=owner, permission="read")
    client = _revoked_client(org, owner, how)
    before = state()
    for (method, path, payload), name in zip(_endpoints(Node.of(org), acl.id), ENDPOINT_IDS, strict=True):
        response = _call(client, method, path, payload)
        assert response.status_code == 401, (name, response.content)
        assert response.json()["error"]["status"] == 401
    assert state() == before


def test_a_revoked_key_stops_working_on_the_next_request(world):
    owner = world.people["owner"]
    key, raw = api_key_create(actor=owner, org=world.org, name="short-lived")
    client = ApiClient(raw)
    assert client.get("/v1/acl/list_org").status_code == 200
    api_key_delete(actor=owner, key_id=key.pk)
    assert client.get("/v1/acl/list_org").status_code == 401


# Every write endpoint: refused input writes nothing

WRITES = [("post", "/v1/acl"), ("delete", "/v1/acl"), ("post", "/v1/acl/batch_update"), ("post", "/v1/acl/batch-update")]
WRITE_IDS = ["post", "delete_by_body", "batch_update", "batch-update"]


def _bad_items(world) -> dict[str, dict]:
    node = world.node("project")
    user, group, role = world.grantee.pk, world.inner.pk, system_role("viewer").pk
    return {
        "unknown_object_type": {**item(node, user_id=user, permission="read"), "object_type": "folder"},
        "unknown_permission": item(node, user_id=user, permission="fly"),
        "unknown_restrict_object_type": item(node, user_id=user, permission="read", restrict_object_type="folder"),
        "object_id_not_uuid": {**item(node, user_id=user, permission="read"), "object_id": "123"},
        "user_id_not_uuid": item(node, user_id="u-1", permission="read"),
        "group_id_not_uuid": item(node, group_id="g-1", permission="read"),
        "role_id_not_uuid": item(node, user_id=user, role_id="r-1"),
        "object_id_a_number": {**item(node, user_id=user, permission="read"), "object_id": 7},
        "permission_a_list": item(node, user_id=user, permission=["read"]),
        "no_object_type": {k: v for k, v in item(node, user_id=user, permission="read").items() if k != "object_type"},
        "no_object_id": {k: v for k, v in item(node, user_id=user, permission="read").items() if k != "object_id"},
        "both_subjects": item(node, user_id=user, group_id=group, permission="read"),
        "no_subject": item(node, permission="read"),
        "both_permission_and_role": item(node, user_id=user, permission="read", role_id=role),
        "neither_permission_nor_role": item(node, user_id=user),
        "role_with_restriction": item(node, user_id=user, role_id=role, restrict_object_type="experiment"),
        "unknown_field": {**item(node, user_id=user, permission="read"), "org_name": world.org.name},
        "not_an_object": ["read"],
    }


# A subject of another organization is refused only when adding; removing it finds no such grant.
CROSS_ORG_SUBJECTS = {
    "user_of_another_org": lambda w: {"user_id": owner_of(w.other_org).pk, "permission": "read"},
    "group_of_another_org": lambda w: {"group_id": builtin_group(w.other_org, "viewers").pk, "permission": "read"},
    "role_of_another_org": lambda w: {"user_id": w.grantee.pk, "role_id": custom_role(w.other_org, "B role", [("read", "")]).pk},
}

BAD_ITEM_KINDS = [
    "unknown_object_type",
    "unknown_permission",
    "unknown_restrict_object_type",
    "object_id_not_uuid",
    "user_id_not_uuid",
    "group_id_not_uuid",
    "role_id_not_uuid",
    "object_id_a_number",
    "permission_a_list",
    "no_object_type",
    "no_object_id",
    "both_subjects",
    "no_subject",
    "both_permission_and_role",
    "neither_permission_nor_role",
    "role_with_restriction",
    "unknown_field",
    "not_an_object",
]


def _wrap(path: str, method: str, acl: dict, *, remove: bool = False):
    if "batch" in path:
        return {"remove_acls" if remove else "add_acls": [acl]}
    return acl


@pytest.mark.parametrize(("method", "path"), WRITES, ids=WRITE_IDS)
@pytest.mark.parametrize("kind", BAD_ITEM_KINDS)
def test_a_bad_acl_item_answers_400_and_writes_nothing(world, method, path, kind):
    acl = _bad_items(world)[kind]
    client = world.client("owner")
    before = state()
    response = getattr(client, method)(path, _wrap(path, method, acl))
    assert response.status_code == 400, response.content
    assert response.json()["error"]["status"] == 400
    if "batch" in path:
        response = client.post(path, _wrap(path, method, acl, remove=True))
        assert response.status_code == 400, response.content
    assert state() == before


@pytest.mark.parametrize("path", ["/v1/acl", *BATCH_PATHS])
@pytest.mark.parametrize("kind", CROSS_ORG_SUBJECTS)
def test_granting_to_a_subject_of_another_organization_answers_400_and_writes_nothing(world, path, kind):
    acl = item(world.node("project"), **CROSS_ORG_SUBJECTS[kind](world))
    before = state()
    response = world.client("owner").post(path, _wrap(path, "post", acl))
    assert response.status_code == 400, response.content
    assert state() == before


@pytest.mark.parametrize("kind", CROSS_ORG_SUBJECTS)
def test_removing_a_grant_to_a_subject_of_another_organization_finds_nothing(world, kind):
    acl = item(world.node("project"), **CROSS_ORG_SUBJECTS[kind](world))
    before = state()
    assert world.client("owner").delete("/v1/acl", acl).status_code == 404
    batch = world.client("owner").post("/v1/acl/batch_update", {"remove_acls": [acl]})
    assert batch.status_code == 200 and batch.json()["removed_acls"] == []
    assert state() == before


BAD_BODIES = {
    "malformed_json": "{not json",
    "truncated_json": '{"object_type": "project"',
    "a_list": "[]",
    "a_string": '"project"',
    "a_number": "42",
    "null": "null",
    "not_utf8": b"\xff\xfe{}",
}


@pytest.mark.parametrize(("method", "path"), WRITES, ids=WRITE_IDS)
@pytest.mark.parametrize("kind", BAD_BODIES)
def test_a_body_that_is_not_a_json_object_answers_400_and_writes_nothing(world, method, path, kind):
    client = world.client("owner").client
    before = state()
    response = getattr(client, method)(path, BAD_BODIES[kind], content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["status"] == 400
    assert state() == before


@pytest.mark.parametrize("path", BATCH_PATHS)
@pytest.mark.parametrize("kind", ["add_acls_not_a_list", "item_not_an_object", "unknown_top_level_field"])
def test_a_batch_of_the_wrong_shape_answers_400_and_writes_nothing(world, path, kind):
    good = item(world.node("project"), user_id=world.grantee.pk, permission="read")
    body = {
        "add_acls_not_a_list": {"add_acls": good},
        "item_not_an_object": {"add_acls": [good, 7]},
        "unknown_top_level_field": {"add_acls": [good], "org_name": world.org.name},
    }[kind]
    before = state()
    response = world.client("owner").post(path, body)
    assert response.status_code == 400, response.content
    assert state() == before


@pytest.mark.parametrize(("method", "path"), WRITES, ids=WRITE_IDS)
def test_an_oversized_body_answers_400_and_writes_nothing(world, settings, method, path):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 512
    acl = item(world.node("project"), user_id=world.grantee.pk, permission="read")
    body = {"add_acls": [acl] * 20} if "batch" in path else {**acl, "padding": "x" * 1024}
    assert len(json.dumps(body)) > 512
    before = state()
    response = getattr(world.client("owner"), method)(path, body)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["message"] == "The request body is too large."
    assert state() == before


# A credential acts in its own organization only


@pytest.fixture
def two_orgs(world):
    """A person who owns both organizations, with an API key of organization A."""
    person = UserFactory()
    add_member(world.org, person, "owners")
    add_member(world.other_org, person, "owners")
    b_project = ProjectFactory(org=world.other_org)
    b_acl = grant(world.other_org, b_project, user=person, permission="read")
    return person, api_client_for(person, world.org), b_project, b_acl


def test_an_org_a_key_cannot_read_or_write_the_acls_of_org_b(world, two_orgs):
    person, client, b_project, b_acl = two_orgs
    node = Node.of(b_project)
    body = item(node, user_id=person.pk, permission="update")
    before = state()
    responses = {
        "list": client.get("/v1/acl", {"object_type": "project", "object_id": node.id}),
        "post": client.post("/v1/acl", body),
        "delete_by_body": client.delete("/v1/acl", item(node, user_id=person.pk, permission="read")),
        "get_by_id": client.get(f"/v1/acl/{b_acl.id}"),
        "delete_by_id": client.delete(f"/v1/acl/{b_acl.id}"),
        "batch_update": client.post("/v1/acl/batch_update", {"add_acls": [body]}),
        "explain": client.get("/v1/acl/explain", {"object_type": "project", "object_id": node.id, "permission": "read"}),
        "org_node": client.get("/v1/acl", {"object_type": "organization", "object_id": world.other_org.pk}),
    }
    assert {name: r.status_code for name, r in responses.items()} == dict.fromkeys(responses, 404)
    assert state() == before
    missing = uuid.uuid4()
    again = client.get("/v1/acl", {"object_type": "project", "object_id": missing})
    assert_like_missing(responses["list"], again, node.id, missing)
    listed = acl_ids(client.get("/v1/acl/list_org").json())
    assert str(b_acl.id) not in listed
    assert listed == {str(r.id) for r in grant_records(org_id=world.org.pk)}


@pytest.mark.parametrize(
    ("method", "path", "params"),
    [
        ("get", "/v1/acl/list_org", lambda w: {"org_name": w.other_org.name}),
        ("get", "/v1/acl/list_org", lambda w: {"org_id": w.other_org.pk}),
        ("get", "/v1/acl", lambda w: {"object_type": "project", "object_id": w.project.pk, "org_name": w.other_org.name}),
        (
            "get",
            "/v1/acl/explain",
            lambda w: {"object_type": "project", "object_id": w.project.pk, "permission": "read", "org_name": w.other_org.name},
        ),
    ],
    ids=["list_org_by_name", "list_org_by_id", "list", "explain"],
)
def test_naming_another_organization_is_refused(world, two_orgs, method, path, params):
    _, client, _, _ = two_orgs
    response = client.get(path, params(world))
    assert response.status_code == 400
    assert world.org.name in response.json()["error"]["message"]


def test_naming_another_organization_on_a_write_is_refused_and_writes_nothing(world, two_orgs):
    _, client, _, _ = two_orgs
    before = state()
    acl = item(world.node("project"), user_id=world.grantee.pk, permission="read")
    response = client.client.post(f"/v1/acl?org_name={world.other_org.name}", json.dumps(acl), content_type="application/json")
    assert response.status_code == 400
    assert state() == before


def test_naming_ones_own_organization_is_accepted(world, two_orgs):
    _, client, _, _ = two_orgs
    assert client.get("/v1/acl/list_org", {"org_name": world.org.name}).status_code == 200
    assert client.get("/v1/acl/list_org", {"org_id": world.org.pk}).status_code == 200


def test_a_browser_session_acts_in_the_organization_it_names(world, two_orgs):
    person, _, _, b_acl = two_orgs
    browser = Client()
    browser.force_login(person)
    assert browser.get("/v1/acl/list_org").status_code == 400  # two organizations: which one?
    listed = browser.get("/v1/acl/list_org", {"org_name": world.other_org.name})
    assert listed.status_code == 200
    assert str(b_acl.id) in acl_ids(listed.json())
    assert browser.get("/v1/acl/list_org", {"org_name": "No such org"}).status_code == 404


# Query counts


def _objects(body) -> list:
    return body["objects"] if isinstance(body, dict) else body


def _queries(client: ApiClient, path: str, params: dict) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, params)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("path", ["/v1/acl", "/v1/acl/list_org"])
def test_listing_costs_the_same_queries_for_1_and_30_grants(world, path):
    experiment = world.experiment
    client = world.client("owner")
    params = {"object_type": "experiment", "object_id": experiment.pk} if path == "/v1/acl" else {"object_type": "experiment"}
    _queries(client, path, params)  # warm the content-type and permission caches
    one = _queries(client, path, params)
    assert len(_objects(client.get(path, params).json())) == 1
    people = [add_member(world.org) for _ in range(10)]
    for person in people:
        grant(world.org, experiment, user=person, permission="read")
        grant(world.org, experiment, user=person, permission="update", restrict="experiment")
        grant(world.org, experiment, user=person, role="viewer")
    thirty = _queries(client, path, {**params, "limit": 30})
    assert len(_objects(client.get(path, {**params, "limit": 30}).json())) == 30
    assert thirty == one


# The OpenAPI schema


def test_the_schema_describes_every_acl_endpoint_with_braintrusts_names():
    schema = ApiClient().get("/v1/openapi.json", {"format": "json"}).json()
    paths, components = schema["paths"], schema["components"]["schemas"]

    operations = {
        ("/v1/acl", "post"): "postAcl",
        ("/v1/acl", "get"): "getAcl",
        ("/v1/acl", "delete"): "deleteAcl",
        ("/v1/acl/{acl_id}", "get"): "getAclId",
        ("/v1/acl/{acl_id}", "delete"): "deleteAclId",
        ("/v1/acl/batch_update", "post"): "aclBatchUpdate",
        ("/v1/acl/list_org", "get"): "aclListOrg",
    }
    for (path, method), operation_id in operations.items():
        assert paths[path][method]["operationId"] == operation_id
    assert "post" in paths["/v1/acl/batch-update"] and "get" in paths["/v1/acl/explain"]
    all_ids = [op["operationId"] for item in paths.values() for op in item.values() if isinstance(op, dict) and "operationId" in op]
    assert len(all_ids) == len(set(all_ids))

    def ref(name: str) -> str:
        return f"#/components/schemas/{name}"

    def body_schema(path: str, method: str) -> dict:
        return paths[path][method]["requestBody"]["content"]["application/json"]["schema"]

    def ok_schema(path: str, method: str) -> dict:
        return paths[path][method]["responses"]["200"]["content"]["application/json"]["schema"]

    assert body_schema("/v1/acl", "post") == {"$ref": ref("AclItem")}
    assert body_schema("/v1/acl", "delete") == {"$ref": ref("AclItem")}
    assert body_schema("/v1/acl/batch_update", "post") == {"$ref": ref("AclBatchUpdateRequest")}
    for path, method in [("/v1/acl", "post"), ("/v1/acl", "delete"), ("/v1/acl/{acl_id}", "get"), ("/v1/acl/{acl_id}", "delete")]:
        assert ok_schema(path, method) == {"$ref": ref("Acl")}
    assert ok_schema("/v1/acl/batch_update", "post") == {"$ref": ref("AclBatchUpdateResponse")}
    assert ok_schema("/v1/acl/list_org", "get") == {"type": "array", "items": {"$ref": ref("Acl")}}
    listed = ok_schema("/v1/acl", "get")
    listed = components[listed["$ref"].rsplit("/", 1)[-1]] if "$ref" in listed else listed
    assert listed["required"] == ["objects"]
    assert {k: v for k, v in listed["properties"]["objects"].items() if k != "description"} == {
        "type": "array",
        "items": {"$ref": ref("Acl")},
    }

    assert set(components["Acl"]["properties"]) == ACL_FIELD_SET
    assert set(components["Acl"]["required"]) >= {"id", "object_type", "object_id", "_object_org_id"}
    assert set(components["AclItem"]["properties"]) == ACL_FIELD_SET - {"id", "_object_org_id", "created"}
    assert set(components["AclItem"]["required"]) == {"object_type", "object_id"}
    assert set(components["AclBatchUpdateRequest"]["properties"]) == {"add_acls", "remove_acls"}
    assert set(components["AclBatchUpdateResponse"]["properties"]) == {"added_acls", "removed_acls"}
    assert components["AclObjectType"]["enum"] == [
        "organization",
        "project",
        "experiment",
        "dataset",
        "prompt",
        "prompt_session",
        "group",
        "role",
        "org_member",
        "project_log",
        "org_project",
        "org_audit_logs",
    ]
    assert components["Permission"]["enum"] == [
        "create",
        "read",
        "update",
        "delete",
        "create_acls",
        "read_acls",
        "update_acls",
        "delete_acls",
    ]

    def parameters(path: str, method: str) -> dict[str, dict]:
        return {p["name"]: p for p in paths[path][method].get("parameters", [])}

    list_params = parameters("/v1/acl", "get")
    assert {"object_type", "object_id", "user_id", "group_id", "permission", "restrict_object_type", "role_id", "ids"} <= set(list_params)
    assert {"limit", "starting_after", "ending_before"} <= set(list_params)
    assert list_params["object_type"]["required"] and list_params["object_id"]["required"]
    org_params = parameters("/v1/acl/list_org", "get")
    assert {"object_type", "object_id", "user_id", "group_id", "permission", "restrict_object_type", "role_id", "ids", "org_name"} <= set(
        org_params
    )
    assert parameters("/v1/acl/{acl_id}", "get")["acl_id"]["schema"]["format"] == "uuid"
    assert {"object_type", "object_id", "permission", "user_id"} <= set(parameters("/v1/acl/explain", "get"))

    security = schema["components"]["securitySchemes"]
    assert security["bearerAuth"] == {**security["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert security["cookieAuth"]["type"] == "apiKey" and security["cookieAuth"]["in"] == "cookie"
    assert {"bearerAuth": []} in paths["/v1/acl"]["post"]["security"]
