"""``?dry_run=true`` on ``POST /v1/acl/batch_update``, ``PATCH /v1/group/{id}`` and ``PUT /v1/group``: the same checks and the
same refusals as the real call, nothing written, and the answer is who would gain and lose what."""

from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Organization, User
from api.access_preview import PREVIEW_MEDIA_TYPE
from permissions.engine.nodes import Node
from permissions.grants import grant_records
from permissions.models import PermissionGroup
from projects.models import Dataset, Project
from tests.access_helpers import audit_actions, custom_group, grant, grant_many, nest, row_counts
from tests.api_helpers import ApiClient, api_client_for
from tests.assertions import assert_refused_without_writing, error
from tests.factories import DatasetFactory, OrganizationFactory, ProjectFactory, ServiceAccountFactory, add_member, owner_of

pytestmark = pytest.mark.django_db

BATCH = "/v1/acl/batch_update"


@dataclass
class World:
    """Organization O with two projects, a dataset D, a group Readers of three people (one through the
    nested group Inner), two service accounts updating D, and a member who holds nothing."""

    org: Organization
    owner: User
    projects: list[Project]
    dataset: Dataset
    readers: PermissionGroup
    inner: PermissionGroup
    people: list[User]
    robots: list[User]
    nobody: User

    def client(self, user: User) -> ApiClient:
        return api_client_for(user, self.org)


@pytest.fixture(scope="module")
def built_world(module_db) -> World:
    org = OrganizationFactory()
    projects = [ProjectFactory(org=org, name=f"P{i}") for i in range(2)]
    dataset = DatasetFactory(project=projects[0], name="D")
    people = [add_member(org) for _ in range(3)]
    inner = custom_group(org, people[2], name="Inner")
    readers = custom_group(org, *people[:2], name="Readers")
    nest(readers, inner)
    robots = [add_member(org, ServiceAccountFactory(service_account_org=org)) for _ in range(2)]
    for robot in robots:
        grant(org, dataset, user=robot, permission="update")
    return World(org, owner_of(org), projects, dataset, readers, inner, people, robots, add_member(org))


def _acl(node: Node, **subject_and_permission) -> dict:
    return {"object_type": node.type, "object_id": str(node.id), **{k: str(v) for k, v in subject_and_permission.items()}}


def _rows(side: dict) -> set[tuple]:
    return {
        (row["principal_type"], row["principal"]["id"], row["permission"], row["object_type"], row["object_id"]) for row in side["rows"]
    }


def _versions(org: Organization) -> tuple:
    """The organization's access versions, which every change of who may do what moves."""
    return Organization.objects.filter(pk=org.pk).values_list("access_version", "grants_version").get()


def _batch(world: World) -> dict:
    """Readers read every project; the service accounts stop updating D."""
    return {
        "add_acls": [_acl(Node("org_project", world.org.pk), group_id=world.readers.pk, permission="read")],
        "remove_acls": [_acl(Node("dataset", world.dataset.pk), user_id=robot.pk, permission="update") for robot in world.robots],
    }


def test_a_dry_run_batch_answers_who_gains_and_who_loses_and_writes_nothing(world):
    client = world.client(world.owner)
    before, actions, versions = row_counts(), audit_actions(), _versions(world.org)
    response = client.post(f"{BATCH}?dry_run=true", _batch(world))
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == PREVIEW_MEDIA_TYPE
    body = response.json()
    assert body["dry_run"] is True
    # Readers gain read on every project, and so on D, the other node the batch names.
    gainers = [*(("user", str(p.pk)) for p in world.people), ("group", str(world.readers.pk)), ("group", str(world.inner.pk))]
    nodes = [("org_project", str(world.org.pk)), ("dataset", str(world.dataset.pk))]
    assert _rows(body["gains"]) == {(*who, "read", *node) for who in gainers for node in nodes}
    assert (body["gains"]["count"], body["gains"]["principals"], body["gains"]["nodes"]) == (10, 5, 2)
    assert _rows(body["losses"]) == {("service_account", str(r.pk), "update", "dataset", str(world.dataset.pk)) for r in world.robots}
    assert {row["object_name"] for row in body["losses"]["rows"]} == {"D"}
    assert (body["losses"]["count"], body["losses"]["principals"], body["losses"]["nodes"]) == (2, 2, 1)
    assert (row_counts(), audit_actions(), _versions(world.org)) == (before, actions, versions)


def test_the_dry_run_agrees_with_the_batch_made_for_real(world):
    client = world.client(world.owner)
    preview = client.post(f"{BATCH}?dry_run=true", _batch(world)).json()
    node = Node("org_project", world.org.pk)
    readers_before = {r.group_id for r in grant_records(nodes=[node], permission="read")}
    assert world.readers.pk not in readers_before
    made = client.post(f"{BATCH}?dry_run=false", _batch(world))
    assert set(made.json()) == {"added_acls", "removed_acls"}
    again = client.post(f"{BATCH}?dry_run=true", _batch(world)).json()
    assert again["gains"]["count"] == again["losses"]["count"] == 0  # the change is made: nothing left to gain or lose
    assert preview["gains"]["count"] == 10


def test_a_batch_without_dry_run_answers_as_before(world):
    response = world.client(world.owner).post(BATCH, _batch(world))
    assert response.status_code == 200
    assert set(response.json()) == {"added_acls", "removed_acls"}
    assert len(response.json()["removed_acls"]) == 2


@pytest.mark.parametrize("value", ["yes", "1", ""])
def test_a_dry_run_other_than_true_or_false_is_a_400_naming_it(world, value):
    client = world.client(world.owner)
    assert_refused_without_writing(lambda: client.post(f"{BATCH}?dry_run={value}", _batch(world)), 400, "dry_run")


def test_a_dry_run_is_refused_as_the_real_batch_is(world):
    """Someone who holds nothing on the organization's projects: the same 404 either way; a reader of them:
    the same 403; a grant to someone outside the organization: the same 400."""
    body = _batch(world)
    viewer = add_member(world.org, None, "viewers")
    for who, status in ((world.nobody, 404), (viewer, 403)):
        client = world.client(who)
        real = assert_refused_without_writing(lambda client=client: client.post(BATCH, body), status)
        dry = assert_refused_without_writing(lambda client=client: client.post(f"{BATCH}?dry_run=true", body), status)
        assert dry.json() == real.json()
    stranger = {"add_acls": [_acl(Node("org_project", world.org.pk), user_id=owner_of(OrganizationFactory()).pk, permission="read")]}
    client = world.client(world.owner)
    real = assert_refused_without_writing(lambda: client.post(BATCH, stranger), 400, "not a member")
    assert assert_refused_without_writing(lambda: client.post(f"{BATCH}?dry_run=true", stranger), 400).json() == real.json()


def test_a_dry_run_of_a_group_patch_answers_what_its_new_members_gain(world):
    grant_many(world.org, Node("project", world.projects[1].pk), ["read", "update"], group=world.readers)
    client = world.client(world.owner)
    path = f"/v1/group/{world.readers.pk}"
    before, actions, versions = row_counts(), audit_actions(), _versions(world.org)
    change = {"add_member_users": [str(world.nobody.pk)], "remove_member_groups": [str(world.inner.pk)]}
    response = client.patch(f"{path}?dry_run=true", change)
    assert response.status_code == 200, response.content
    body = response.json()
    project = ("project", str(world.projects[1].pk))
    assert _rows(body["gains"]) == {("user", str(world.nobody.pk), p, *project) for p in ("read", "update")}
    assert _rows(body["losses"]) == {
        (kind, str(pk), p, *project) for kind, pk in (("user", world.people[2].pk), ("group", world.inner.pk)) for p in ("read", "update")
    }
    assert body["gains"]["rows"][0]["object_name"] == "P1"
    assert (row_counts(), audit_actions(), _versions(world.org)) == (before, actions, versions)
    assert world.nobody.pk not in set(world.readers.auth_group.user_set.values_list("pk", flat=True))


def test_a_dry_run_of_a_group_patch_is_refused_as_the_real_patch_is(world):
    path = f"/v1/group/{world.readers.pk}"
    body = {"add_member_users": [str(world.nobody.pk)]}
    viewer = add_member(world.org, None, "viewers")  # reads groups, may not change them
    for who, status in ((viewer, 403),):
        client = world.client(who)
        real = assert_refused_without_writing(lambda client=client: client.patch(path, body), status)
        dry = assert_refused_without_writing(lambda client=client: client.patch(f"{path}?dry_run=true", body), status)
        assert dry.json() == real.json()
    owners = PermissionGroup.objects.get(org=world.org, builtin="owners")
    last_owner = {"remove_member_users": [str(world.owner.pk)]}
    client = world.client(world.owner)
    real = assert_refused_without_writing(lambda: client.patch(f"/v1/group/{owners.pk}", last_owner), 400, "at least one member in Owners")
    dry = assert_refused_without_writing(lambda: client.patch(f"/v1/group/{owners.pk}?dry_run=true", last_owner), 400)
    assert dry.json() == real.json()


def test_a_dry_run_of_a_group_put_that_replaces_members_answers_as_the_same_patch_does(world):
    grant(world.org, Node("project", world.projects[1].pk), group=world.readers, permission="read")
    client = world.client(world.owner)
    before, actions, versions = row_counts(), audit_actions(), _versions(world.org)
    replaced = {"name": "Readers", "member_users": [str(world.people[0].pk), str(world.nobody.pk)], "member_groups": []}
    put = client.put("/v1/group?dry_run=true", replaced)
    assert put.status_code == 200, put.content
    patch = {"add_member_users": [str(world.nobody.pk)], "remove_member_users": [str(world.people[1].pk)]}
    patch["remove_member_groups"] = [str(world.inner.pk)]
    assert put.json() == client.patch(f"/v1/group/{world.readers.pk}?dry_run=true", patch).json()
    project = ("project", str(world.projects[1].pk))
    assert _rows(put.json()["gains"]) == {("user", str(world.nobody.pk), "read", *project)}
    assert (row_counts(), audit_actions(), _versions(world.org)) == (before, actions, versions)


def test_a_dry_run_of_a_group_put_that_creates_it_changes_nobodys_access_and_writes_nothing(world):
    client = world.client(world.owner)
    before, actions, versions = row_counts(), audit_actions(), _versions(world.org)
    response = client.put("/v1/group?dry_run=true", {"name": "Newcomers", "member_users": [str(world.nobody.pk)]})
    assert response.status_code == 200, response.content
    assert response.json()["gains"]["count"] == response.json()["losses"]["count"] == 0
    assert (row_counts(), audit_actions(), _versions(world.org)) == (before, actions, versions)
    assert not PermissionGroup.objects.filter(org=world.org, name="Newcomers").exists()


def test_a_dry_run_of_a_group_put_is_refused_as_the_real_put_is(world):
    viewer = add_member(world.org, None, "viewers")  # reads groups, may neither change nor create them
    client = world.client(viewer)
    for body in ({"name": "Readers", "member_users": []}, {"name": "Newcomers"}):
        real = assert_refused_without_writing(lambda body=body: client.put("/v1/group", body), 403)
        dry = assert_refused_without_writing(lambda body=body: client.put("/v1/group?dry_run=true", body), 403)
        assert dry.json() == real.json()
    bad = {"name": "Readers", "member_users": ["nobody"]}
    owner = world.client(world.owner)
    real = assert_refused_without_writing(lambda: owner.put("/v1/group", bad), 400)
    assert assert_refused_without_writing(lambda: owner.put("/v1/group?dry_run=true", bad), 400).json() == real.json()


def test_a_dry_run_of_a_membership_expiry_is_checked_as_the_real_one_and_writes_nothing(world):
    client = world.client(world.owner)
    path = f"/v1/group/{world.readers.pk}/member_expiry?dry_run=true"
    later = {"user_id": str(world.people[0].pk), "expires_at": "2999-01-01T00:00:00Z"}
    before, actions = row_counts(), audit_actions()
    response = client.post(path, later)
    assert response.status_code == 200, response.content
    assert response.json()["gains"]["count"] == response.json()["losses"]["count"] == 0  # it counts until then
    assert (row_counts(), audit_actions()) == (before, actions)
    not_a_member = {"user_id": str(world.nobody.pk), "expires_at": "2999-01-01T00:00:00Z"}
    real = assert_refused_without_writing(lambda: client.post(path.split("?")[0], not_a_member), 400, "is not a member of the group")
    assert assert_refused_without_writing(lambda: client.post(path, not_a_member), 400).json() == real.json()


def test_a_dry_run_asked_of_a_change_that_cannot_run_dry_is_refused_not_made(world):
    client = world.client(world.owner)
    response = assert_refused_without_writing(lambda: client.delete(f"/v1/group/{world.readers.pk}?dry_run=true"), 400, "dry_run")
    assert "would be made" in error(response)["message"]
    assert client.get(f"/v1/group/{world.readers.pk}?dry_run=true").status_code == 200


def test_a_dry_run_costs_the_same_queries_for_three_members_as_for_thirty(world):
    client = world.client(world.owner)
    body = {"add_acls": [_acl(Node("project", world.projects[0].pk), group_id=world.readers.pk, permission="read")]}

    def queries() -> tuple[int, int]:
        client.post(f"{BATCH}?dry_run=true", body)  # warm the caller's context and the content types
        with CaptureQueriesContext(connection) as captured:
            answer = client.post(f"{BATCH}?dry_run=true", body).json()
        return answer["gains"]["principals"], len(captured)

    few = queries()
    for _ in range(27):
        add_member(world.org, None, world.readers)
    many = queries()
    assert (few[0], many[0]) == (5, 32)
    assert few[1] == many[1]


def test_a_dry_run_of_a_new_member_costs_the_same_queries_for_two_datasets_granted_as_for_twenty(world):
    client = world.client(world.owner)
    path = f"/v1/group/{world.readers.pk}?dry_run=true"
    change = {"add_member_users": [str(world.nobody.pk)]}

    def queries() -> tuple[int, int]:
        client.patch(path, change)  # warm the caller's context and the content types
        with CaptureQueriesContext(connection) as captured:
            answer = client.patch(path, change).json()
        return answer["gains"]["nodes"], len(captured)

    datasets = [DatasetFactory(project=world.projects[1], name=f"D{i}") for i in range(20)]
    for dataset in datasets[:2]:
        grant(world.org, dataset, group=world.readers, permission="read")
    few = queries()
    for dataset in datasets[2:]:
        grant(world.org, dataset, group=world.readers, permission="read")
    many = queries()
    assert (few[0], many[0]) == (2, 20)
    assert few[1] == many[1]


def test_the_schema_declares_dry_run_and_the_preview_it_answers():
    schema = ApiClient().get("/v1/openapi.json", {"format": "json"}).json()
    paths, components = schema["paths"], schema["components"]["schemas"]
    dry_runs = [
        (BATCH, "post"),
        ("/v1/acl/batch-update", "post"),
        ("/v1/group/{group_id}", "patch"),
        ("/v1/group", "put"),
        ("/v1/group/{group_id}/member_expiry", "post"),
    ]
    for path, method in dry_runs:
        operation = paths[path][method]
        (parameter,) = [p for p in operation["parameters"] if p["name"] == "dry_run"]
        assert (parameter["in"], parameter["schema"]["type"]) == ("query", "boolean")
        answers = operation["responses"]["200"]["content"]
        assert answers[PREVIEW_MEDIA_TYPE]["schema"] == {"$ref": "#/components/schemas/AccessPreview"}
        assert "application/json" in answers  # the real call's answer, as before
    assert not any(p["name"] == "dry_run" for p in paths["/v1/group/{group_id}"]["delete"].get("parameters", []))
    assert set(components["AccessPreview"]["properties"]) == {"dry_run", "gains", "losses"}
    assert set(components["AccessChanges"]["properties"]) == {"count", "principals", "nodes", "rows"}
    assert set(components["AccessChange"]["properties"]) == {
        "principal_type",
        "principal",
        "permission",
        "object_type",
        "object_id",
        "object_name",
        "restrict_object_type",
    }
