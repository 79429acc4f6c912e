"""Braintrust's official Python client (``braintrust-api``) driving the main flows against a live server.

The server runs in a thread on a real socket (pytest-django's ``live_server``), so these tests exercise
exactly what a team pointing its existing automation at this server would.
"""

import braintrust_api
import pytest
from braintrust_api import Braintrust

from accounts.models import ApiKey, Invitation, Membership
from accounts.services.credentials import api_key_create, service_account_create, service_token_create
from accounts.services.members import invitation_accept
from permissions.engine import Node, can
from permissions.models import GroupNesting, PermissionGroup, Role, RolePermission
from permissions.selectors import member_user_ids
from permissions.services.roles import system_role
from tests.access_helpers import custom_group, grant
from tests.factories import ExperimentFactory, OrganizationFactory, ProjectFactory, UserFactory, add_member, builtin_group, owner_of
from tests.official_client_helpers import official_client_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def org():
    return OrganizationFactory()


def test_owner_grants_reads_and_revokes_an_acl_with_the_official_client(live_server, org):
    owner = owner_of(org)
    viewer = add_member(org, None, "viewers")
    project = ProjectFactory(org=org)
    client = official_client_for(live_server, owner, org)

    acl = client.acls.create(object_type="project", object_id=str(project.pk), user_id=str(viewer.pk), permission="update")
    assert acl.permission == "update" and acl.user_id == str(viewer.pk)
    assert can(viewer, "update", project)
    again = client.acls.create(object_type="project", object_id=str(project.pk), user_id=str(viewer.pk), permission="update")
    assert again.id == acl.id

    listed = [item.id for item in client.acls.list(object_type="project", object_id=str(project.pk))]
    assert acl.id in listed
    assert client.acls.retrieve(acl.id).id == acl.id

    client.acls.delete(acl.id)
    assert not can(viewer, "update", project)


def test_batch_update_and_find_and_delete_with_the_official_client(live_server, org):
    owner = owner_of(org)
    engineers = builtin_group(org, "engineers")
    project = ProjectFactory(org=org)
    client = official_client_for(live_server, owner, org)
    item = {"object_type": "project", "object_id": str(project.pk), "group_id": str(engineers.pk), "permission": "create_acls"}

    result = client.acls.batch_update(add_acls=[item])
    assert [a.permission for a in result.added_acls] == ["create_acls"]

    removed = client.acls.find_and_delete(**item)
    assert removed.permission == "create_acls"
    assert client.acls.batch_update(remove_acls=[item]).removed_acls == []


def test_auto_pagination_walks_every_acl_of_a_node(live_server, org):
    owner = owner_of(org)
    project = ProjectFactory(org=org)
    people = [add_member(org) for _ in range(5)]
    client = official_client_for(live_server, owner, org)
    for person in people:
        client.acls.create(object_type="project", object_id=str(project.pk), user_id=str(person.pk), permission="read")

    seen = [acl.user_id for acl in client.acls.list(object_type="project", object_id=str(project.pk), limit=2)]
    assert {str(p.pk) for p in people} <= set(seen)
    assert len(seen) == len(set(seen))


def test_the_client_sees_404_403_and_401_as_its_own_errors(live_server, org):
    owner = owner_of(org)
    viewer = add_member(org, None, "viewers")
    project = ProjectFactory(org=org)
    other_project = ProjectFactory(org=OrganizationFactory())

    with pytest.raises(braintrust_api.NotFoundError):
        official_client_for(live_server, owner, org).acls.list(object_type="project", object_id=str(other_project.pk))
    with pytest.raises(braintrust_api.PermissionDeniedError) as denied:
        official_client_for(live_server, viewer, org).acls.create(
            object_type="project", object_id=str(project.pk), user_id=str(viewer.pk), permission="update"
        )
    assert "create_acls" in str(denied.value)
    with pytest.raises(braintrust_api.AuthenticationError):
        Braintrust(api_key="sk-wrong", base_url=live_server.url, max_retries=0).acls.list(object_type="project", object_id=str(project.pk))


def test_a_service_token_acts_with_exactly_its_accounts_grants(live_server, org):
    owner = owner_of(org)
    project = ProjectFactory(org=org)
    robot = service_account_create(actor=owner, org=org, name="logger")
    _, raw = service_token_create(actor=owner, org=org, account_id=robot.pk, name="t")
    robot_client = Braintrust(api_key=raw, base_url=live_server.url, max_retries=0)
    owner_client = official_client_for(live_server, owner, org)

    with pytest.raises(braintrust_api.NotFoundError):
        robot_client.acls.list(object_type="project", object_id=str(project.pk))
    owner_client.acls.create(object_type="project", object_id=str(project.pk), user_id=str(robot.pk), permission="read_acls")
    assert robot_client.acls.list(object_type="project", object_id=str(project.pk)).objects
    assert can(robot, "read_acls", Node("project", project.pk))


# Groups


def test_owner_creates_renames_and_deletes_a_group_with_the_official_client(live_server, org):
    owner = owner_of(org)
    alice, bob = add_member(org), add_member(org)
    engineer = add_member(org, None, "engineers")
    engineers = builtin_group(org, "engineers")
    project = ProjectFactory(org=org)
    client = official_client_for(live_server, owner, org)

    created = client.groups.create(name="Reviewers", description="Read the evals", member_users=[str(alice.pk)])
    group = PermissionGroup.objects.get(pk=created.id)
    assert (created.name, created.org_id, created.user_id) == ("Reviewers", str(org.pk), str(owner.pk))
    assert created.member_users == [str(alice.pk)] and member_user_ids(group) == [alice.pk]
    assert client.groups.create(name="Reviewers", description="ignored").description == "Read the evals"

    assert [g.id for g in client.groups.list(group_name="Reviewers")] == [created.id]
    assert {created.id, str(engineers.pk)} <= {g.id for g in client.groups.list()}
    assert client.groups.retrieve(created.id).member_users == [str(alice.pk)]

    grant(org, project, group=group, permission="create_acls")
    assert can(alice, "create_acls", project) and not can(engineer, "create_acls", project)
    updated = client.groups.update(
        created.id,
        name="Evaluators",
        description="Score the evals",
        add_member_users=[str(bob.pk)],
        remove_member_users=[str(alice.pk)],
        add_member_groups=[str(engineers.pk)],
    )
    assert (updated.name, updated.member_users, updated.member_groups) == ("Evaluators", [str(bob.pk)], [str(engineers.pk)])
    group.refresh_from_db()
    assert (group.name, group.description) == ("Evaluators", "Score the evals")
    assert member_user_ids(group) == [bob.pk]
    assert GroupNesting.objects.filter(group=group, member_group=engineers).exists()
    assert can(bob, "create_acls", project) and can(engineer, "create_acls", project)
    assert not can(alice, "create_acls", project)

    deleted = client.groups.delete(created.id)
    assert deleted.id == created.id and deleted.deleted_at is not None
    assert not PermissionGroup.objects.filter(pk=created.id).exists()
    assert not can(bob, "create_acls", project) and not can(engineer, "create_acls", project)
    with pytest.raises(braintrust_api.NotFoundError):
        client.groups.retrieve(created.id)


def test_put_replaces_the_description_and_members_of_the_group_with_that_name_with_the_official_client(live_server, org):
    owner = owner_of(org)
    alice, bob = add_member(org), add_member(org)
    viewers = builtin_group(org, "viewers")
    group = custom_group(org, alice, name="On call")
    client = official_client_for(live_server, owner, org)

    replaced = client.groups.replace(
        name="On call", description="Carries the pager", member_users=[str(bob.pk)], member_groups=[str(viewers.pk)]
    )
    assert replaced.id == str(group.pk)
    group.refresh_from_db()
    assert group.description == "Carries the pager"
    assert member_user_ids(group) == [bob.pk]
    assert list(GroupNesting.objects.filter(group=group).values_list("member_group_id", flat=True)) == [viewers.pk]

    emptied = client.groups.replace(name="On call")
    assert emptied.member_users == [] and emptied.member_groups == []
    assert member_user_ids(group) == [] and not GroupNesting.objects.filter(group=group).exists()

    fresh = client.groups.replace(name="Night shift", member_users=[str(alice.pk)])
    assert member_user_ids(PermissionGroup.objects.get(pk=fresh.id, org=org, name="Night shift")) == [alice.pk]


def test_a_built_in_group_refuses_delete_with_a_400_from_the_official_client(live_server, org):
    owner = owner_of(org)
    owners = builtin_group(org, "owners")
    client = official_client_for(live_server, owner, org)

    with pytest.raises(braintrust_api.BadRequestError) as refused:
        client.groups.delete(str(owners.pk))
    assert "cannot be deleted" in str(refused.value)
    assert PermissionGroup.objects.filter(pk=owners.pk).exists()
    assert member_user_ids(owners) == [owner.pk]
    assert can(owner, "delete", org)


def test_a_viewer_is_refused_group_create_with_a_403_from_the_official_client(live_server, org):
    viewer = add_member(org, None, "viewers")
    client = official_client_for(live_server, viewer, org)

    with pytest.raises(braintrust_api.PermissionDeniedError) as refused:
        client.groups.create(name="Mine", member_users=[str(viewer.pk)])
    assert "'create' permission" in str(refused.value)
    assert not PermissionGroup.objects.filter(org=org, name="Mine").exists()
    assert [g.name for g in client.groups.list(group_name="Viewers")] == ["Viewers"]


# Roles


def test_owner_creates_extends_and_deletes_a_role_with_the_official_client(live_server, org):
    owner = owner_of(org)
    member = add_member(org)
    project = ProjectFactory(org=org)
    experiment = ExperimentFactory(project=project)
    client = official_client_for(live_server, owner, org)

    created = client.roles.create(
        name="Experiment reader",
        description="Reads experiments",
        member_permissions=[{"permission": "read", "restrict_object_type": "experiment"}],
    )
    role = Role.objects.get(pk=created.id)
    assert (role.org_id, role.name) == (org.pk, "Experiment reader")
    assert [(p.permission, p.restrict_object_type) for p in created.member_permissions] == [("read", "experiment")]
    assert set(RolePermission.objects.filter(role=role).values_list("permission", "restrict_object_type")) == {("read", "experiment")}

    listed = {r.name: r for r in client.roles.list()}
    assert {"owner", "engineer", "viewer", "Experiment reader"} <= set(listed)
    assert all(listed[name].org_id is None for name in ("owner", "engineer", "viewer"))
    assert listed["Experiment reader"].org_id == str(org.pk)
    assert [r.id for r in client.roles.list(role_name="Experiment reader")] == [created.id]
    assert client.roles.retrieve(created.id).description == "Reads experiments"

    grant(org, project, user=member, role=role)
    assert can(member, "read", experiment) and not can(member, "update", experiment)
    assert not can(member, "read", project)

    updated = client.roles.update(created.id, add_member_permissions=[{"permission": "update", "restrict_object_type": "experiment"}])
    assert {(p.permission, p.restrict_object_type) for p in updated.member_permissions} == {
        ("read", "experiment"),
        ("update", "experiment"),
    }
    assert RolePermission.objects.filter(role=role).count() == 2
    assert can(member, "update", experiment)

    deleted = client.roles.delete(created.id)
    assert deleted.id == created.id
    assert not Role.objects.filter(pk=created.id).exists()
    assert not can(member, "read", experiment)


def test_a_system_role_refuses_update_and_delete_with_a_400_from_the_official_client(live_server, org):
    owner = owner_of(org)
    viewer_role = system_role("viewer")
    client = official_client_for(live_server, owner, org)

    with pytest.raises(braintrust_api.BadRequestError) as refused:
        client.roles.update(str(viewer_role.pk), add_member_permissions=[{"permission": "update"}])
    assert "cannot be edited" in str(refused.value)
    with pytest.raises(braintrust_api.BadRequestError) as refused:
        client.roles.delete(str(viewer_role.pk))
    assert "cannot be deleted" in str(refused.value)
    assert Role.objects.filter(pk=viewer_role.pk, org=None).exists()
    assert set(RolePermission.objects.filter(role=viewer_role).values_list("permission", "restrict_object_type")) == {("read", "")}


# Organizations


def test_owner_reads_and_changes_the_organization_settings_with_the_official_client(live_server, org):
    owner = owner_of(org)
    OrganizationFactory(owner=owner)
    client = official_client_for(live_server, owner, org)

    assert [o.id for o in client.organizations.list()] == [str(org.pk)]
    retrieved = client.organizations.retrieve(str(org.pk))
    assert (retrieved.name, retrieved.api_url) == (org.name, None)

    updated = client.organizations.update(str(org.pk), api_url="https://api.example.com")
    assert updated.api_url == "https://api.example.com"
    org.refresh_from_db()
    assert org.api_url == "https://api.example.com"
    assert client.organizations.retrieve(str(org.pk)).api_url == "https://api.example.com"


def test_a_viewer_is_refused_organization_update_with_a_403_from_the_official_client(live_server, org):
    viewer = add_member(org, None, "viewers")
    client = official_client_for(live_server, viewer, org)

    assert client.organizations.retrieve(str(org.pk)).id == str(org.pk)
    with pytest.raises(braintrust_api.PermissionDeniedError) as refused:
        client.organizations.update(str(org.pk), api_url="https://evil.example.com")
    assert "'update' permission" in str(refused.value)
    org.refresh_from_db()
    assert org.api_url is None


def test_owner_invites_an_existing_user_into_a_group_by_name_who_joins_on_accepting_then_is_removed_with_the_official_client(
    live_server, org
):
    owner = owner_of(org)
    newcomer = UserFactory()
    annotators = custom_group(org, name="Annotators")
    project = ProjectFactory(org=org)
    grant(org, project, group=annotators, permission="read")
    client = official_client_for(live_server, owner, org)
    assert not can(newcomer, "read", project)

    invited = client.organizations.members.update(invite_users={"ids": [str(newcomer.pk)], "group_name": "Annotators"})
    assert (invited.status, invited.org_id) == ("success", str(org.pk))
    assert not Membership.objects.filter(org=org, user=newcomer).exists()
    assert not can(newcomer, "read", project)
    invitation_accept(user=newcomer, invitation=Invitation.objects.get(org=org, email=newcomer.email))
    assert member_user_ids(annotators) == [newcomer.pk]
    assert can(newcomer, "read", project)

    removed = client.organizations.members.update(remove_users={"ids": [str(newcomer.pk)]})
    assert removed.status == "success"
    assert not Membership.objects.filter(org=org, user=newcomer).exists()
    assert member_user_ids(annotators) == []
    assert not can(newcomer, "read", project)


def test_removing_the_last_owner_answers_400_to_the_official_client(live_server, org):
    owner = owner_of(org)
    owners = builtin_group(org, "owners")
    client = official_client_for(live_server, owner, org)

    with pytest.raises(braintrust_api.BadRequestError) as refused:
        client.organizations.members.update(remove_users={"ids": [str(owner.pk)]})
    assert "at least one member in Owners" in str(refused.value)
    assert Membership.objects.filter(org=org, user=owner).exists()
    assert member_user_ids(owners) == [owner.pk]
    assert can(owner, "update", owners)


# Users


def test_a_member_lists_and_reads_the_organizations_users_with_the_official_client(live_server, org):
    viewer = add_member(org, None, "viewers")
    alice = add_member(org)
    outsider = UserFactory()
    add_member(OrganizationFactory(), outsider)
    client = official_client_for(live_server, viewer, org)

    listed = {u.id for u in client.users.list()}
    assert listed == {str(pk) for pk in Membership.objects.filter(org=org).values_list("user_id", flat=True)}
    assert str(outsider.pk) not in listed

    by_email = list(client.users.list(email=alice.email))
    assert [(u.id, u.email, u.given_name) for u in by_email] == [(str(alice.pk), alice.email, alice.given_name)]
    assert list(client.users.list(email=outsider.email)) == []

    retrieved = client.users.retrieve(str(alice.pk))
    assert (retrieved.email, retrieved.family_name) == (alice.email, alice.family_name)
    with pytest.raises(braintrust_api.NotFoundError):
        client.users.retrieve(str(outsider.pk))


# API keys


def test_a_person_lists_reads_and_deletes_their_own_api_keys_with_the_official_client(live_server, org):
    owner = owner_of(org)
    viewer = add_member(org, None, "viewers")
    mine, raw = api_key_create(actor=owner, org=org, name="ci")
    spare, spare_raw = api_key_create(actor=owner, org=org, name="spare")
    theirs, _ = api_key_create(actor=viewer, org=org, name="ci")
    client = Braintrust(api_key=raw, base_url=live_server.url, max_retries=0)
    spare_client = Braintrust(api_key=spare_raw, base_url=live_server.url, max_retries=0)

    assert {k.id for k in client.api_keys.list()} == {str(mine.pk), str(spare.pk)}
    assert [k.id for k in client.api_keys.list(api_key_name="spare")] == [str(spare.pk)]
    retrieved = client.api_keys.retrieve(str(spare.pk))
    assert (retrieved.name, retrieved.preview_name, retrieved.user_id) == ("spare", spare.preview_name, str(owner.pk))
    assert spare_raw not in retrieved.model_dump_json()
    with pytest.raises(braintrust_api.NotFoundError):
        client.api_keys.retrieve(str(theirs.pk))
    assert spare_client.users.retrieve(str(owner.pk)).id == str(owner.pk)

    deleted = client.api_keys.delete(str(spare.pk))
    assert deleted.id == str(spare.pk)
    assert not ApiKey.objects.filter(pk=spare.pk).exists()
    with pytest.raises(braintrust_api.AuthenticationError):
        spare_client.users.retrieve(str(owner.pk))
    with pytest.raises(braintrust_api.NotFoundError):
        client.api_keys.delete(str(theirs.pk))
    assert ApiKey.objects.filter(pk=theirs.pk).exists()


def test_an_api_key_cannot_create_an_api_key_with_the_official_client(live_server, org):
    owner = owner_of(org)
    client = official_client_for(live_server, owner, org)
    before = ApiKey.objects.filter(user=owner).count()

    with pytest.raises(braintrust_api.PermissionDeniedError) as refused:
        client.api_keys.create(name="another")
    assert "API keys cannot create API keys" in str(refused.value)
    assert ApiKey.objects.filter(user=owner).count() == before
