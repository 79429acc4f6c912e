"""permissions.services.roles: docs/access-model.md, "Principals" (roles)."""

import uuid

import pytest

from permissions.engine import permissions_on
from permissions.engine.nodes import Node
from permissions.exceptions import AccessDenied, NotFound, ValidationError
from permissions.grants import grant_records
from permissions.models import AuditEvent, Role, RoleNesting
from permissions.services.roles import ensure_system_roles, role_create, role_delete, role_state, role_update, system_role
from permissions.types import ALL_PERMISSIONS, CRUD_PERMISSIONS
from tests.access_helpers import custom_role, grant, row_counts
from tests.factories import OrganizationFactory, ProjectFactory, add_member, owner_of

pytestmark = pytest.mark.django_db


def _pairs(role: Role) -> set[tuple[str, str]]:
    return set(role.member_permissions.values_list("permission", "restrict_object_type"))


# System roles


@pytest.mark.parametrize(("name", "permissions"), [("owner", ALL_PERMISSIONS), ("engineer", CRUD_PERMISSIONS), ("viewer", ("read",))])
def test_system_role_has_exactly_its_permissions_unrestricted_and_no_organization(name, permissions):
    role = system_role(name)
    assert role.org is None and role.is_system
    assert _pairs(role) == {(p, "") for p in permissions}
    assert not role.member_roles.exists()


def test_there_are_exactly_three_system_roles_and_ensuring_them_again_changes_nothing():
    before = row_counts()
    ensure_system_roles()
    assert row_counts() == before
    assert sorted(Role.objects.filter(org__isnull=True).values_list("name", flat=True)) == ["engineer", "owner", "viewer"]


@pytest.mark.parametrize("name", ["owner", "engineer", "viewer"])
def test_system_role_cannot_be_edited(name):
    org = OrganizationFactory()
    role = system_role(name)
    before = row_counts()
    for change in ({"name": "boss"}, {"description": "x"}, {"add_member_permissions": [("read", "")]}):
        with pytest.raises(ValidationError, match="cannot be edited"):
            role_update(actor=owner_of(org), role=role, **change)
    with pytest.raises(ValidationError, match="cannot be edited"):
        role_update(actor=owner_of(org), role=role, remove_member_permissions=[("read", "")])
    assert row_counts() == before


@pytest.mark.parametrize("name", ["owner", "engineer", "viewer"])
def test_system_role_cannot_be_deleted(name):
    org = OrganizationFactory()
    before = row_counts()
    with pytest.raises(ValidationError, match="cannot be deleted"):
        role_delete(actor=owner_of(org), role=system_role(name))
    assert row_counts() == before


# Creating


def test_owner_creates_a_role_with_pairs_and_member_roles():
    org = OrganizationFactory()
    role = role_create(
        actor=owner_of(org),
        org=org,
        name="Reviewer",
        description="reads, updates experiments",
        member_permissions=[("read", None), {"permission": "update", "restrict_object_type": "experiment"}],
        member_roles=[system_role("viewer").pk],
    )
    assert (role.org, role.name, role.is_system) == (org, "Reviewer", False)
    assert _pairs(role) == {("read", ""), ("update", "experiment")}
    assert list(role.member_roles.all()) == [system_role("viewer")]


@pytest.mark.parametrize(
    "pairs",
    [[("own", "")], [("read", "folder")], [("read", "org_projects")], [{"permission": None}]],
)
def test_role_with_an_unknown_permission_or_object_type_is_refused_and_writes_nothing(pairs):
    org = OrganizationFactory()
    before = row_counts()
    with pytest.raises(ValidationError):
        role_create(actor=owner_of(org), org=org, name="Bad", member_permissions=pairs)
    assert row_counts() == before


def test_role_of_another_organization_cannot_be_a_member_role():
    org, other = OrganizationFactory(), OrganizationFactory()
    foreign = custom_role(other, "Foreign")
    mine = custom_role(org, "Mine")
    before = row_counts()
    with pytest.raises(ValidationError, match="Not roles"):
        role_create(actor=owner_of(org), org=org, name="Bad", member_roles=[foreign.pk])
    with pytest.raises(ValidationError, match="Not roles"):
        role_update(actor=owner_of(org), role=mine, name="Renamed", add_member_roles=[foreign.pk])
    with pytest.raises(ValidationError, match="Not roles"):
        role_update(actor=owner_of(org), role=mine, add_member_roles=[uuid.uuid4()])
    assert row_counts() == before
    mine.refresh_from_db()
    assert mine.name == "Mine"


# Updating


def test_role_is_renamed_and_its_pairs_and_member_roles_change():
    org = OrganizationFactory()
    base = custom_role(org, "Base", [("read", "")])
    role = custom_role(org, "Role", [("update", "dataset")])
    role_update(
        actor=owner_of(org),
        role=role,
        name="Renamed",
        description="d",
        add_member_permissions=[("delete", "dataset")],
        remove_member_permissions=[("update", "dataset")],
        add_member_roles=[base.pk],
    )
    role.refresh_from_db()
    assert (role.name, role.description) == ("Renamed", "d")
    assert _pairs(role) == {("delete", "dataset")}
    assert list(role.member_roles.all()) == [base]
    role_update(actor=owner_of(org), role=role, remove_member_roles=[base.pk])
    assert not role.member_roles.exists()


def test_changing_a_role_changes_what_its_grants_give():
    org = OrganizationFactory()
    project = ProjectFactory(org=org)
    user = add_member(org)
    role = custom_role(org, "Role", [("read", "")])
    grant(org, project, user=user, role=role)
    assert permissions_on(user, project) == {"read"}
    role_update(actor=owner_of(org), role=role, add_member_permissions=[("update", "project")])
    assert permissions_on(user, project) == {"read", "update"}


def test_renaming_a_role_to_a_taken_name_is_refused_and_writes_nothing():
    org = OrganizationFactory()
    role = custom_role(org, "Role")
    custom_role(org, "Taken")
    before = row_counts()
    with pytest.raises(ValidationError, match="already exists"):
        role_update(actor=owner_of(org), role=role, name="Taken", add_member_permissions=[("read", "")])
    assert row_counts() == before


def test_updating_a_role_needs_update_on_it():
    org = OrganizationFactory()
    role = custom_role(org, "Role")
    engineer, editor = add_member(org, None, "engineers"), add_member(org)
    grant(org, role, user=editor, permission="update")
    with pytest.raises(AccessDenied) as denied:
        role_update(actor=engineer, role=role, name="Mine")
    assert denied.value.permission == "update"
    assert role_update(actor=editor, role=role, name="Mine").name == "Mine"


def test_role_of_another_organization_is_not_found_for_an_outsider():
    org, other = OrganizationFactory(), OrganizationFactory()
    role = custom_role(org, "Role")
    with pytest.raises(NotFound):
        role_update(actor=owner_of(other), role=role, name="Mine")
    with pytest.raises(NotFound):
        role_delete(actor=owner_of(other), role=role)


def test_update_without_changes_writes_no_audit_event():
    org = OrganizationFactory()
    role = custom_role(org, "Role", [("read", "")])
    count = AuditEvent.objects.count()
    role_update(actor=owner_of(org), role=role, name="Role", add_member_permissions=[("read", "")])
    assert AuditEvent.objects.count() == count


# Cycles


def test_inheriting_the_same_role_along_two_paths_is_not_a_cycle():
    org = OrganizationFactory()
    shared = custom_role(org, "Shared")
    left = custom_role(org, "Left", member_roles=[shared])
    top = custom_role(org, "Top", member_roles=[left])
    role_update(actor=owner_of(org), role=top, add_member_roles=[shared.pk])
    assert RoleNesting.objects.filter(role=top).count() == 2


# Deleting


def test_deleting_a_role_removes_its_grants_and_what_they_gave():
    org = OrganizationFactory()
    project = ProjectFactory(org=org)
    user = add_member(org)
    role = custom_role(org, "Role", [("read", "")])
    outer = custom_role(org, "Outer", member_roles=[role])
    grant(org, project, user=user, role=role)
    grant(org, role, user=user, permission="read")
    state, role_id = role_state(role), role.pk
    role_delete(actor=owner_of(org), role=role)
    assert not Role.objects.filter(pk=role_id).exists()
    assert grant_records(role_id=role_id) == []
    assert grant_records(nodes=[Node("role", role_id)]) == []
    assert not RoleNesting.objects.filter(role=outer).exists()
    assert permissions_on(user, project) == frozenset()
    event = AuditEvent.objects.get(action="role.delete")
    assert {key: event.before[key] for key in state} == state
    # What went with it, so that the audit log alone can say who could do what before.
    assert event.before["member_of_roles"] == [str(outer.pk)]
    assert sorted((g["object_type"], g["role_id"] is not None) for g in event.before["grants"]) == [("project", True), ("role", False)]


def test_a_role_may_hold_a_permission_both_unrestricted_and_restricted():
    org = OrganizationFactory()
    role = role_create(actor=owner_of(org), org=org, name="Readers", member_permissions=[("read", ""), ("read", "project")])
    event = AuditEvent.objects.get(action="role.create", target_id=str(role.pk))
    assert event.after["member_permissions"] == [["read", None], ["read", "project"]]
