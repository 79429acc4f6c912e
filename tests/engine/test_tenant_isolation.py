"""Nesting never carries access across organizations, even through rows the services would refuse.

The services refuse to nest a group or role of one organization into another's, so these rows are
written directly: the engine, its list filter and its explanation must all ignore them.
"""

import pytest

from permissions.engine import Node, access_cache_scope, can, explain, restrict
from permissions.models import GroupNesting, RoleNesting
from projects.models import Project
from tests.access_helpers import custom_group, custom_role, grant, raw_acl_grant
from tests.factories import OrganizationFactory, ProjectFactory, add_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_orgs():
    org_a, org_b = OrganizationFactory(), OrganizationFactory()
    person = add_member(org_a)
    add_member(org_b, person)
    return org_a, org_b, person, ProjectFactory(org=org_a)


def assert_no_access_anywhere(person, project) -> None:
    with access_cache_scope():
        assert not can(person, "read", project)
        assert project not in restrict(Project.objects.all(), person)
        assert not explain(person, "read", project).allowed


def nest_a_group_of_into_readers_of(group_org, person, readers_org) -> None:
    """Nest a group of `group_org` holding `person` into a group of `readers_org` that reads all its projects."""
    readers = custom_group(readers_org, name="Readers")
    grant(readers_org, Node("org_project", readers_org.pk), group=readers, permission="read")
    GroupNesting.objects.create(group=readers, member_group=custom_group(group_org, person, name="Mine"))


def test_a_group_of_another_organization_nested_into_a_granted_group_gives_nothing(two_orgs):
    org_a, org_b, person, project = two_orgs
    nest_a_group_of_into_readers_of(org_b, person, org_a)
    assert_no_access_anywhere(person, project)


def test_a_role_of_another_organization_nested_into_a_granted_role_gives_nothing(two_orgs):
    org_a, org_b, person, project = two_orgs
    empty_in_a = custom_role(org_a, "Empty")
    reader_in_b = custom_role(org_b, "Reader", pairs=[("read", None)])
    RoleNesting.objects.create(role=empty_in_a, member_role=reader_in_b)
    raw_acl_grant(org_a, Node("project", project.pk), user=person, role=empty_in_a)
    assert_no_access_anywhere(person, project)


def test_the_same_nesting_inside_one_organization_does_give_access(two_orgs):
    org_a, _org_b, person, project = two_orgs
    nest_a_group_of_into_readers_of(org_a, person, org_a)
    with access_cache_scope():
        assert can(person, "read", project)
        assert project in restrict(Project.objects.all(), person)
        assert explain(person, "read", project).allowed
