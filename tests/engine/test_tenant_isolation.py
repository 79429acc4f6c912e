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


def test_a_group_of_another_organization_nested_into_a_granted_group_gives_nothing(two_orgs):
    org_a, org_b, person, project = two_orgs
    granted_in_a = custom_group(org_a, name="Readers")
    grant(org_a, Node("org_project", org_a.pk), group=granted_in_a, permission="read")
    mine_in_b = custom_group(org_b, person, name="Mine")
    GroupNesting.objects.create(group=granted_in_a, member_group=mine_in_b)
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
    granted = custom_group(org_a, name="Readers")
    grant(org_a, Node("org_project", org_a.pk), group=granted, permission="read")
    mine = custom_group(org_a, person, name="Mine")
    GroupNesting.objects.create(group=granted, member_group=mine)
    with access_cache_scope():
        assert can(person, "read", project)
        assert project in restrict(Project.objects.all(), person)
        assert explain(person, "read", project).allowed
