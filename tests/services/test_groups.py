"""permissions.services.groups: docs/access-model.md, "Principals" (groups) and the group rows of the settings pages."""

import uuid

import pytest

from permissions.engine import can
from permissions.engine.nodes import Node
from permissions.exceptions import AccessDenied, NotFound, ValidationError
from permissions.grants import grant_records
from permissions.models import AuditEvent, GroupNesting, PermissionGroup
from permissions.selectors import member_user_ids
from permissions.services.groups import group_create, group_delete, group_update
from tests.access_helpers import (
    custom_group,
    grant,
    nest,
    row_counts,
)
from tests.factories import OrganizationFactory, ProjectFactory, ServiceAccountFactory, UserFactory, add_member, builtin_group, owner_of

pytestmark = pytest.mark.django_db


def _member_group_names(group: PermissionGroup) -> set[str]:
    return set(group.member_groups.values_list("name", flat=True))


# Creating


def test_owner_creates_a_group_with_member_users_and_member_groups():
    org = OrganizationFactory()
    alice, robot = add_member(org), ServiceAccountFactory(service_account_org=org)
    inner = custom_group(org, name="Inner")
    group = group_create(
        actor=owner_of(org), org=org, name="Team", description="d", member_users=[alice.pk, robot.pk], member_groups=[inner.pk]
    )
    assert (group.name, group.description, group.org, group.is_builtin) == ("Team", "d", org, False)
    assert set(member_user_ids(group)) == {alice.pk, robot.pk}
    assert _member_group_names(group) == {"Inner"}


def test_a_group_name_is_taken_also_with_spaces_around_it_or_as_a_built_in_groups():
    org = OrganizationFactory()
    group_create(actor=owner_of(org), org=org, name="Team")
    before = row_counts()
    with pytest.raises(ValidationError, match="already exists"):
        group_create(actor=owner_of(org), org=org, name="  Team ")
    with pytest.raises(ValidationError, match="already exists"):
        group_create(actor=owner_of(org), org=org, name="Owners")
    assert row_counts() == before


def test_group_needs_a_name():
    org = OrganizationFactory()
    before = row_counts()
    with pytest.raises(ValidationError):
        group_create(actor=owner_of(org), org=org, name="   ")
    assert row_counts() == before


def test_creating_a_group_with_a_user_of_another_organization_is_refused_and_writes_nothing():
    org, other = OrganizationFactory(), OrganizationFactory()
    before = row_counts()
    with pytest.raises(ValidationError, match="Not members"):
        group_create(actor=owner_of(org), org=org, name="Team", member_users=[owner_of(other).pk])
    with pytest.raises(ValidationError, match="Not members"):
        group_create(actor=owner_of(org), org=org, name="Team", member_users=[UserFactory().pk])
    after = row_counts()
    after.pop("accounts.User")  # the factory made a user
    before.pop("accounts.User")
    assert after == before


def test_creating_a_group_with_a_group_of_another_organization_is_refused_and_writes_nothing():
    org, other = OrganizationFactory(), OrganizationFactory()
    foreign = custom_group(other)
    before = row_counts()
    with pytest.raises(ValidationError, match="Not groups"):
        group_create(actor=owner_of(org), org=org, name="Team", member_groups=[foreign.pk])
    assert row_counts() == before


# Renaming and describing


def test_group_is_renamed_and_described():
    org = OrganizationFactory()
    group = custom_group(org, name="Team")
    group_update(actor=owner_of(org), group=group, name="Crew", description="the crew")
    group.refresh_from_db()
    assert (group.name, group.description) == ("Crew", "the crew")


def test_renaming_to_a_taken_name_is_refused_and_writes_nothing():
    org = OrganizationFactory()
    group = custom_group(org, name="Team")
    custom_group(org, name="Crew")
    before = row_counts()
    with pytest.raises(ValidationError, match="already exists"):
        group_update(actor=owner_of(org), group=group, name="Crew", description="changed")
    group.refresh_from_db()
    assert (group.name, group.description) == ("Team", "")
    assert row_counts() == before


def test_renaming_to_a_name_used_in_another_organization_is_allowed():
    org, other = OrganizationFactory(), OrganizationFactory()
    custom_group(other, name="Crew")
    group = group_update(actor=owner_of(org), group=custom_group(org, name="Team"), name="Crew")
    assert group.name == "Crew"


def test_updating_a_group_needs_update_on_it():
    org = OrganizationFactory()
    group = custom_group(org)
    viewer, editor = add_member(org, None, "viewers"), add_member(org)
    grant(org, group, user=editor, permission="update")
    with pytest.raises(AccessDenied) as denied:
        group_update(actor=viewer, group=group, name="Mine")
    assert denied.value.permission == "update"
    group_update(actor=editor, group=group, name="Mine", add_member_users=[viewer.pk])
    assert viewer.pk in member_user_ids(group)


def test_group_update_permission_on_one_group_does_not_reach_another():
    org = OrganizationFactory()
    mine, theirs = custom_group(org), custom_group(org)
    editor = add_member(org)
    grant(org, mine, user=editor, permission="update")
    with pytest.raises(NotFound):
        group_update(actor=editor, group=theirs, add_member_users=[editor.pk])


# Members


def test_member_users_are_added_and_removed():
    org = OrganizationFactory()
    group = custom_group(org)
    alice, bob = add_member(org), add_member(org)
    group_update(actor=owner_of(org), group=group, add_member_users=[alice.pk, bob.pk])
    assert set(member_user_ids(group)) == {alice.pk, bob.pk}
    group_update(actor=owner_of(org), group=group, remove_member_users=[alice.pk])
    assert set(member_user_ids(group)) == {bob.pk}


def test_added_member_gains_and_removed_member_loses_the_groups_grants():
    org = OrganizationFactory()
    project = ProjectFactory(org=org)
    group = custom_group(org)
    grant(org, project, group=group, permission="read")
    alice = add_member(org)
    group_update(actor=owner_of(org), group=group, add_member_users=[alice.pk])
    assert can(alice, "read", project)
    group_update(actor=owner_of(org), group=group, remove_member_users=[alice.pk])
    assert not can(alice, "read", project)


def test_adding_a_user_who_is_not_a_member_of_the_organization_is_refused_and_writes_nothing():
    org, other = OrganizationFactory(), OrganizationFactory()
    group = custom_group(org)
    foreign_robot = ServiceAccountFactory(service_account_org=other)
    before = row_counts()
    for outsider in (owner_of(other), foreign_robot):
        with pytest.raises(ValidationError, match="Not members"):
            group_update(actor=owner_of(org), group=group, name="Renamed", add_member_users=[outsider.pk])
    assert row_counts() == before
    group.refresh_from_db()
    assert group.name != "Renamed"


def test_member_groups_are_added_and_removed():
    org = OrganizationFactory()
    group, inner = custom_group(org, name="Outer"), custom_group(org, name="Inner")
    group_update(actor=owner_of(org), group=group, add_member_groups=[inner.pk])
    assert _member_group_names(group) == {"Inner"}
    group_update(actor=owner_of(org), group=group, remove_member_groups=[inner.pk])
    assert _member_group_names(group) == set()


def test_adding_a_group_of_another_organization_as_member_group_is_refused_and_writes_nothing():
    org, other = OrganizationFactory(), OrganizationFactory()
    group, foreign = custom_group(org), custom_group(other)
    before = row_counts()
    with pytest.raises(ValidationError, match="Not groups"):
        group_update(actor=owner_of(org), group=group, add_member_groups=[foreign.pk])
    with pytest.raises(ValidationError, match="Not groups"):
        group_update(actor=owner_of(org), group=group, add_member_groups=[uuid.uuid4()])
    assert row_counts() == before


# Cycles


def test_two_group_cycle_is_refused_naming_the_cycle():
    org = OrganizationFactory()
    a, b = custom_group(org, name="A"), custom_group(org, name="B")
    nest(a, b)
    before = row_counts()
    with pytest.raises(ValidationError) as refused:
        group_update(actor=owner_of(org), group=b, add_member_groups=[a.pk])
    assert "A → B → A" in str(refused.value)
    assert row_counts() == before


def test_nesting_without_a_cycle_is_accepted():
    org = OrganizationFactory()
    a, b, c = (custom_group(org, name=n) for n in "ABC")
    nest(a, b)
    nest(a, c)
    group_update(actor=owner_of(org), group=b, add_member_groups=[c.pk])  # a diamond, not a cycle
    assert GroupNesting.objects.filter(group=b, member_group=c).exists()


def test_creating_a_group_with_member_groups_cannot_make_a_cycle():
    org = OrganizationFactory()
    a = custom_group(org, name="A")
    created = group_create(actor=owner_of(org), org=org, name="B", member_groups=[a.pk])
    assert _member_group_names(created) == {"A"}


# Deleting


def test_deleting_a_group_removes_its_memberships_and_grants_to_and_on_it():
    org = OrganizationFactory()
    project = ProjectFactory(org=org)
    alice = add_member(org)
    group, outer = custom_group(org, alice), custom_group(org)
    nest(outer, group)
    grant(org, project, group=group, permission="read")
    grant(org, project, group=group, permission="update", restrict="project")
    grant(org, group, user=alice, permission="read")
    grant(org, group, user=alice, role="viewer")
    group_id = group.pk
    group_delete(actor=owner_of(org), group=group)
    assert not PermissionGroup.objects.filter(pk=group_id).exists()
    assert grant_records(group_id=group_id) == []
    assert grant_records(nodes=[Node("group", group_id)]) == []
    assert not GroupNesting.objects.filter(member_group_id=group_id).exists()
    assert not alice.groups.filter(permission_group__pk=group_id).exists()
    assert not can(alice, "read", project)


# Owners: at least one direct member


def test_removing_the_last_direct_owner_from_owners_is_refused():
    org = OrganizationFactory()
    owner = owner_of(org)
    before = row_counts()
    with pytest.raises(ValidationError, match="at least one member in Owners"):
        group_update(actor=owner, group=builtin_group(org, "owners"), remove_member_users=[owner.pk])
    assert row_counts() == before


def test_a_member_of_owners_through_a_member_group_does_not_count_as_a_remaining_direct_owner():
    org = OrganizationFactory()
    owner = owner_of(org)
    admins = custom_group(org, add_member(org), name="Admins")
    nest(builtin_group(org, "owners"), admins)
    with pytest.raises(ValidationError, match="at least one member in Owners"):
        group_update(actor=owner, group=builtin_group(org, "owners"), remove_member_users=[owner.pk])


def test_removing_one_of_two_direct_owners_is_allowed():
    org = OrganizationFactory()
    owner, second = owner_of(org), add_member(org, None, "owners")
    group_update(actor=second, group=builtin_group(org, "owners"), remove_member_users=[owner.pk])
    assert member_user_ids(builtin_group(org, "owners")) == [second.pk]


def test_removing_every_direct_owner_at_once_is_refused():
    org = OrganizationFactory()
    owner, second = owner_of(org), add_member(org, None, "owners")
    with pytest.raises(ValidationError):
        group_update(actor=owner, group=builtin_group(org, "owners"), remove_member_users=[owner.pk, second.pk])
    assert set(member_user_ids(builtin_group(org, "owners"))) == {owner.pk, second.pk}


def test_update_without_changes_writes_no_audit_event():
    org = OrganizationFactory()
    group = custom_group(org, name="Team")
    count = AuditEvent.objects.count()
    group_update(actor=owner_of(org), group=group, name="Team")
    assert AuditEvent.objects.count() == count
