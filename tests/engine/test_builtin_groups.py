"""docs/access-model.md, "Built-in groups": what a new organization gets and what each built-in group may do."""

import pytest

from accounts.services.members import member_invite, member_remove
from accounts.services.organizations import organization_update
from permissions.engine import can, can_create_in, permissions_on
from permissions.engine.nodes import Node
from permissions.exceptions import AccessDenied, ValidationError
from permissions.grants import grant_records
from permissions.models import PermissionGroup
from permissions.services.grants import acl_batch_update, acl_grant, acl_revoke, acl_revoke_matching
from permissions.services.groups import group_create, group_delete, group_update
from permissions.services.roles import role_create
from permissions.types import ALL_PERMISSIONS, CRUD_PERMISSIONS
from projects.services import object_create, project_create, project_delete, project_update
from tests.access_helpers import grant, row_counts, spec_for
from tests.factories import OrganizationFactory, UserFactory, add_member, builtin_group, owner_of

pytestmark = pytest.mark.django_db

ORG_READ_RESTRICTIONS = ("organization", "org_member", "group", "role")


def _grant_shapes(org) -> set[tuple]:
    names = dict(PermissionGroup.objects.filter(org=org).values_list("id", "name"))
    shapes = set()
    for record in grant_records(org_id=org.pk):
        assert record.user_id is None, "a new organization has no grants to users"
        assert record.role_id is None
        shapes.add((names[record.group_id], record.object_type, record.object_id, record.permission, record.restrict_object_type))
    return shapes


def test_new_organization_has_exactly_owners_engineers_and_viewers():
    org = OrganizationFactory()
    groups = PermissionGroup.objects.filter(org=org)
    assert sorted(groups.values_list("name", "builtin")) == [("Engineers", "engineers"), ("Owners", "owners"), ("Viewers", "viewers")]


def test_new_organization_has_exactly_the_grants_of_the_builtin_groups_table():
    org = OrganizationFactory()
    expected = {("Owners", "organization", org.pk, p, None) for p in ALL_PERMISSIONS}
    expected |= {("Engineers", "org_project", org.pk, p, None) for p in CRUD_PERMISSIONS}
    expected |= {("Engineers", "organization", org.pk, "read", t) for t in ORG_READ_RESTRICTIONS}
    expected |= {("Viewers", "org_project", org.pk, "read", None)}
    expected |= {("Viewers", "organization", org.pk, "read", t) for t in ORG_READ_RESTRICTIONS}
    assert len(grant_records(org_id=org.pk)) == len(expected) == 21
    assert _grant_shapes(org) == expected


def test_creator_of_organization_is_its_only_member_and_a_direct_owner():
    owner = UserFactory()
    org = OrganizationFactory(owner=owner)
    assert list(org.memberships.values_list("user_id", flat=True)) == [owner.pk]
    assert owner.groups.filter(pk=builtin_group(org, "owners").auth_group_id).exists()


def test_two_organizations_get_separate_builtin_groups_with_grants_on_themselves_only():
    first, second = OrganizationFactory(), OrganizationFactory()
    assert {r.object_id for r in grant_records(org_id=first.pk)} == {first.pk}
    assert {r.object_id for r in grant_records(org_id=second.pk)} == {second.pk}
    assert not set(PermissionGroup.objects.filter(org=first)) & set(PermissionGroup.objects.filter(org=second))


# Owners


def test_owner_holds_all_eight_permissions_on_every_node_of_the_organization():
    org = OrganizationFactory()
    owner = owner_of(org)
    project = project_create(actor=owner, org=org, name="p")
    experiment = object_create(actor=owner, project=project, object_type="experiment", name="e")
    for node in (
        org,
        Node("org_member", org.pk),
        Node("org_audit_logs", org.pk),
        Node("org_project", org.pk),
        builtin_group(org, "viewers"),
        project,
        Node("project_log", project.pk),
        experiment,
    ):
        assert permissions_on(owner, node) == frozenset(ALL_PERMISSIONS), node


def test_member_of_owners_through_a_member_group_holds_what_owners_hold():
    org = OrganizationFactory()
    admins = group_create(actor=owner_of(org), org=org, name="Admins")
    group_update(actor=owner_of(org), group=builtin_group(org, "owners"), add_member_groups=[admins.pk])
    person = add_member(org, None, admins)
    assert permissions_on(person, org) == frozenset(ALL_PERMISSIONS)


# Engineers


def test_engineer_can_create_projects_and_crud_them():
    org = OrganizationFactory()
    engineer = add_member(org, None, "engineers")
    # Without creator grants, only the built-in grants count here.
    org = organization_update(actor=owner_of(org), org=org, create_direct_ownership_grants=False)
    project = project_create(actor=engineer, org=org, name="mine")
    assert permissions_on(engineer, project) == frozenset(CRUD_PERMISSIONS)
    project_update(actor=engineer, project=project, description="changed")
    experiment = object_create(actor=engineer, project=project, object_type="experiment", name="e")
    assert permissions_on(engineer, experiment) == frozenset(CRUD_PERMISSIONS)
    assert permissions_on(engineer, Node("project_log", project.pk)) == frozenset(CRUD_PERMISSIONS)
    project_delete(actor=engineer, project=project)


def test_engineer_reads_organization_members_groups_and_roles():
    org = OrganizationFactory()
    engineer = add_member(org, None, "engineers")
    role = role_create(actor=owner_of(org), org=org, name="custom")
    assert permissions_on(engineer, org) == {"read"}
    assert permissions_on(engineer, Node("org_member", org.pk)) == {"read"}
    assert permissions_on(engineer, builtin_group(org, "owners")) == {"read"}
    assert permissions_on(engineer, role) == {"read"}


def test_engineer_cannot_read_the_audit_log():
    org = OrganizationFactory()
    engineer = add_member(org, None, "engineers")
    assert permissions_on(engineer, Node("org_audit_logs", org.pk)) == frozenset()


def test_engineer_cannot_manage_access_anywhere():
    org = OrganizationFactory()
    engineer = add_member(org, None, "engineers")
    project = project_create(actor=owner_of(org), org=org, name="p")
    other = add_member(org)
    for node in (org, Node("org_project", org.pk), project, Node("org_member", org.pk)):
        assert not permissions_on(engineer, node) & set(("create_acls", "read_acls", "update_acls", "delete_acls")), node
    with pytest.raises(AccessDenied) as denied:
        acl_grant(actor=engineer, spec=spec_for(project, user=other, permission="read"))
    assert denied.value.permission == "create_acls"


def test_engineer_cannot_change_settings_invite_create_groups_or_edit_groups():
    org = OrganizationFactory()
    engineer = add_member(org, None, "engineers")
    with pytest.raises(AccessDenied) as denied:
        organization_update(actor=engineer, org=org, api_url="https://api.example.com")
    assert denied.value.permission == "update"
    with pytest.raises(AccessDenied) as denied:
        member_invite(actor=engineer, org=org, email="new@example.com")
    assert denied.value.permission == "create"
    with pytest.raises(AccessDenied):
        group_create(actor=engineer, org=org, name="mine")
    with pytest.raises(AccessDenied) as denied:
        group_update(actor=engineer, group=builtin_group(org, "engineers"), add_member_users=[engineer.pk])
    assert denied.value.permission == "update"


def test_engineer_cannot_remove_members():
    org = OrganizationFactory()
    engineer = add_member(org, None, "engineers")
    viewer = add_member(org, None, "viewers")
    with pytest.raises(AccessDenied) as denied:
        member_remove(actor=engineer, org=org, user=viewer)
    assert denied.value.permission == "delete"


# Viewers


def test_viewer_reads_projects_and_their_contents_only():
    org = OrganizationFactory()
    viewer = add_member(org, None, "viewers")
    project = project_create(actor=owner_of(org), org=org, name="p")
    experiment = object_create(actor=owner_of(org), project=project, object_type="experiment", name="e")
    dataset = object_create(actor=owner_of(org), project=project, object_type="dataset", name="d")
    for node in (Node("org_project", org.pk), project, Node("project_log", project.pk), experiment, dataset):
        assert permissions_on(viewer, node) == {"read"}, node
    assert not can_create_in(viewer, "project", Node("org_project", org.pk))
    assert not can_create_in(viewer, "experiment", project)


def test_viewer_cannot_create_update_or_delete_projects():
    org = OrganizationFactory()
    viewer = add_member(org, None, "viewers")
    project = project_create(actor=owner_of(org), org=org, name="p")
    with pytest.raises(AccessDenied):
        project_create(actor=viewer, org=org, name="q")
    with pytest.raises(AccessDenied) as denied:
        project_update(actor=viewer, project=project, name="renamed")
    assert denied.value.permission == "update"
    with pytest.raises(AccessDenied) as denied:
        project_delete(actor=viewer, project=project)
    assert denied.value.permission == "delete"
    with pytest.raises(AccessDenied):
        object_create(actor=viewer, project=project, object_type="experiment", name="e")


def test_viewer_reads_organization_members_groups_and_roles_but_not_the_audit_log():
    org = OrganizationFactory()
    viewer = add_member(org, None, "viewers")
    assert permissions_on(viewer, org) == {"read"}
    assert permissions_on(viewer, Node("org_member", org.pk)) == {"read"}
    assert permissions_on(viewer, builtin_group(org, "engineers")) == {"read"}
    assert permissions_on(viewer, Node("org_audit_logs", org.pk)) == frozenset()


def test_member_in_no_group_holds_nothing():
    org = OrganizationFactory()
    member = add_member(org)
    project = project_create(actor=owner_of(org), org=org, name="p")
    for node in (org, Node("org_member", org.pk), Node("org_project", org.pk), project):
        assert permissions_on(member, node) == frozenset(), node


# Built-in groups are fixed


@pytest.mark.parametrize("kind", ["owners", "engineers", "viewers"])
def test_builtin_group_cannot_be_renamed(kind):
    org = OrganizationFactory()
    group = builtin_group(org, kind)
    before = row_counts()
    with pytest.raises(ValidationError, match="cannot be renamed"):
        group_update(actor=owner_of(org), group=group, name="Something else")
    group.refresh_from_db()
    assert group.name == kind.capitalize()
    assert row_counts() == before


@pytest.mark.parametrize("kind", ["owners", "engineers", "viewers"])
def test_builtin_group_cannot_be_deleted(kind):
    org = OrganizationFactory()
    before = row_counts()
    with pytest.raises(ValidationError, match="cannot be deleted"):
        group_delete(actor=owner_of(org), group=builtin_group(org, kind))
    assert row_counts() == before


def test_builtin_group_description_can_still_be_changed():
    org = OrganizationFactory()
    group = group_update(actor=owner_of(org), group=builtin_group(org, "viewers"), name="Viewers", description="read only")
    assert (group.name, group.description) == ("Viewers", "read only")


def _owners_grants(org):
    return grant_records(org_id=org.pk, group_id=builtin_group(org, "owners").pk)


@pytest.mark.parametrize("permission", ALL_PERMISSIONS)
def test_owners_grant_on_organization_cannot_be_revoked_by_id(permission):
    org = OrganizationFactory()
    record = next(r for r in _owners_grants(org) if r.permission == permission)
    before = row_counts()
    with pytest.raises(ValidationError, match="Owners"):
        acl_revoke(actor=owner_of(org), grant_id=record.id)
    assert row_counts() == before
    assert can(owner_of(org), permission, org)


def test_owners_grant_on_organization_cannot_be_revoked_by_matching_spec_or_in_a_batch():
    org = OrganizationFactory()
    owners = builtin_group(org, "owners")
    before = row_counts()
    with pytest.raises(ValidationError):
        acl_revoke_matching(actor=owner_of(org), spec=spec_for(org, group=owners, permission="delete_acls"))
    with pytest.raises(ValidationError):
        acl_batch_update(actor=owner_of(org), add=[], remove=[spec_for(org, group=owners, permission="read")])
    assert row_counts() == before
    assert len(_owners_grants(org)) == 8


def test_other_grants_to_owners_can_be_revoked():
    org = OrganizationFactory()
    owners = builtin_group(org, "owners")
    project = project_create(actor=owner_of(org), org=org, name="p")
    record = grant(org, project, group=owners, permission="read")
    acl_revoke(actor=owner_of(org), grant_id=record.id)
    assert len(_owners_grants(org)) == 8


def test_engineer_cannot_revoke_builtin_grants():
    org = OrganizationFactory()
    engineer = add_member(org, None, "engineers")
    record = grant_records(org_id=org.pk, group_id=builtin_group(org, "viewers").pk, permission="read")[0]
    with pytest.raises(AccessDenied) as denied:
        acl_revoke(actor=engineer, grant_id=record.id)
    assert denied.value.permission == "delete_acls"
    assert grant_records(ids=[record.id])
