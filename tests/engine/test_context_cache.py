"""The principal context kept across requests agrees with one loaded afresh after every kind of change
it depends on (memberships and their expiries, groups, roles, grants on the organization's own nodes), whatever wrote the
change (services, the ORM, bulk writes, raw SQL)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group as AuthGroup
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from guardian.shortcuts import assign_perm

from accounts.models import Membership, Organization
from permissions.engine import access_cache_scope
from permissions.engine.context import _load, load_context
from permissions.models import AclGrant, GroupMembershipExpiry, GroupNesting, PermissionGroup, Role, RoleNesting, RolePermission
from tests.factories import OrganizationFactory, PermissionGroupFactory, add_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    org = OrganizationFactory()
    inner, outer = PermissionGroupFactory.create_batch(2, org=org)
    role, member_role = Role.objects.create(org=org, name="Reviewer"), Role.objects.create(org=org, name="Reader")
    RolePermission.objects.create(role=member_role, permission="read", restrict_object_type="experiment")
    return org, add_member(org, None, inner), inner, outer, role, member_role


def _fresh(principal):
    param = type(principal)._meta.pk.get_db_prep_value(principal.pk, connection)
    return _load(principal, param)[1]


def _context_of_next_request(principal):
    with access_cache_scope():
        return load_context(principal)


def _changes(org, user, inner, outer, role, member_role):
    """Each change a context depends on, written the ways other code writes it."""
    other_org = OrganizationFactory()
    tomorrow = timezone.now() + timedelta(days=1)
    yield "group membership given an expiry", lambda: GroupMembershipExpiry.objects.create(user=user, group=inner, expires_at=tomorrow)
    yield (
        "group membership's expiry moved",
        lambda: GroupMembershipExpiry.objects.filter(user=user).update(expires_at=tomorrow + timedelta(days=1)),
    )
    yield "group membership's expiry cleared", lambda: GroupMembershipExpiry.objects.filter(user=user).delete()
    yield "group nesting", lambda: GroupNesting.objects.create(group=outer, member_group=inner)
    yield "group nesting given an expiry", lambda: GroupNesting.objects.filter(group=outer).update(expires_at=tomorrow)
    yield "group nesting removed", lambda: GroupNesting.objects.filter(group=outer).delete()
    yield (
        "group member added in bulk",
        lambda: AuthGroup.user_set.through.objects.bulk_create([AuthGroup.user_set.through(user_id=user.pk, group_id=outer.auth_group_id)]),
    )
    yield "group member removed", lambda: outer.auth_group.user_set.remove(user)
    yield (
        "grant on all projects",
        lambda: AclGrant.objects.create(org=org, object_type="org_project", object_id=org.pk, group=inner, permission="read"),
    )
    yield "grant on all projects revoked", lambda: AclGrant.objects.filter(object_type="org_project", group=inner).delete()
    yield "grant on the organization", lambda: assign_perm("read_organization", user, org)
    yield "role nesting", lambda: RoleNesting.objects.create(role=role, member_role=member_role)
    yield "role pair added", lambda: RolePermission.objects.create(role=member_role, permission="update")
    yield "role pair removed by raw SQL", lambda: _raw_delete_pair(member_role.pk, "update")
    yield "role deleted", lambda: member_role.delete()
    yield "group deleted", lambda: PermissionGroup.objects.filter(pk=inner.pk).delete()
    yield "another organization joined", lambda: Membership.objects.create(org=other_org, user=user)
    yield "membership removed", lambda: Membership.objects.filter(org=org, user=user).delete()


def _raw_delete_pair(role_id, permission: str) -> None:
    role = RolePermission._meta.get_field("role").get_db_prep_value(role_id, connection)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {RolePermission._meta.db_table} WHERE role_id = %s AND permission = %s", [role, permission])  # noqa: S608


def test_the_cached_context_is_the_fresh_one_after_every_kind_of_change(member):
    _org, user, *_ = member
    assert _context_of_next_request(user) == _fresh(user)
    for label, change in _changes(*member):
        before = _context_of_next_request(user)
        change()
        after = _context_of_next_request(user)
        assert after == _fresh(user), label
        assert after != before, f"{label} changed nothing the test can see"


def test_a_cached_context_costs_one_small_query_and_a_stale_one_two(member):
    _org, user, _inner, outer, *_ = member
    _context_of_next_request(user)
    with CaptureQueriesContext(connection) as cached:
        _context_of_next_request(user)
    assert len(cached) == 1
    outer.auth_group.user_set.add(user)
    with CaptureQueriesContext(connection) as stale:
        context = _context_of_next_request(user)
    assert len(stale) == 2
    assert outer.pk in context.group_org


def test_a_change_rolled_back_leaves_no_version_that_a_later_change_could_match(member):
    org, user, _inner, outer, *_ = member
    _context_of_next_request(user)
    with pytest.raises(RuntimeError), transaction.atomic():
        outer.auth_group.user_set.add(user)
        assert outer.pk in _context_of_next_request(user).group_org  # cached with the uncommitted version
        raise RuntimeError
    assert outer.pk not in _context_of_next_request(user).group_org
    versions = set()
    for _ in range(3):
        outer.auth_group.user_set.add(user)
        versions.add(Organization.objects.get(pk=org.pk).access_version)
        outer.auth_group.user_set.remove(user)
        versions.add(Organization.objects.get(pk=org.pk).access_version)
        assert outer.pk not in _context_of_next_request(user).group_org
    assert len(versions) == 6


def test_an_unreachable_shared_cache_falls_back_to_the_database(member, monkeypatch):
    _org, user, _inner, outer, *_ = member

    def unreachable(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr("permissions.engine.cache.shared_cache.get", unreachable)
    monkeypatch.setattr("permissions.engine.cache.shared_cache.set", unreachable)
    outer.auth_group.user_set.add(user)
    assert _context_of_next_request(user) == _fresh(user)
