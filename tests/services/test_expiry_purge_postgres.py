"""The cleanup job of expired access racing itself and the services (PostgreSQL: real row locks, one
connection per thread): every expired row is removed once and audited once, and nothing deadlocks.

A barrier holds the threads until all of them are about to start, so that the runs overlap rather than
follow each other by chance of scheduling.
"""

import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.services.members import member_remove
from permissions.models import AclGrant, AuditEvent, GroupMembershipExpiry
from permissions.services.expiry import ORIGIN, purge_expired_access
from tests.access_helpers import custom_group, raw_acl_grant, raw_guardian_grant
from tests.factories import OrganizationFactory, ProjectFactory, add_member, owner_of
from tests.race_helpers import BARRIER_TIMEOUT, run_racing

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

EXPIRED_GRANTS = 12


def _expired_world():
    """An organization with expired grants in both stores and expired memberships, beside live ones."""
    org = OrganizationFactory()
    project = ProjectFactory(org=org)
    past, ahead = timezone.now() - timedelta(hours=1), timezone.now() + timedelta(days=1)
    people = [add_member(org) for _ in range(EXPIRED_GRANTS)]
    for person in people[: EXPIRED_GRANTS // 2]:
        AclGrant.objects.filter(pk=raw_acl_grant(org, project, user=person, permission="read", restrict="experiment").pk).update(
            expires_at=past
        )
    for person in people[EXPIRED_GRANTS // 2 :]:
        row = raw_guardian_grant(project, "update", user=person)
        type(row).objects.filter(pk=row.pk).update(expires_at=past)
    lasting = raw_acl_grant(org, project, user=people[0], permission="read", restrict="dataset")
    AclGrant.objects.filter(pk=lasting.pk).update(expires_at=ahead)
    group = custom_group(org, *people[:4])
    GroupMembershipExpiry.objects.bulk_create(GroupMembershipExpiry(user=p, group=group, expires_at=past) for p in people[:3])
    return org, project, group, people


def _after_barrier(barrier: threading.Barrier, call):
    def wrapped():
        barrier.wait()
        return call()

    return wrapped


def test_two_runs_at_once_remove_every_expired_row_once_with_one_audit_event_each():
    _expired_world()
    barrier = threading.Barrier(2, timeout=BARRIER_TIMEOUT)
    outcomes = run_racing([_after_barrier(barrier, lambda: purge_expired_access(batch_size=4)) for _ in range(2)])
    assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
    results = [result for _, result in outcomes]
    assert sum(r.grants for r in results) == EXPIRED_GRANTS
    assert sum(r.member_users for r in results) == 3
    assert AuditEvent.objects.filter(origin=ORIGIN).count() == EXPIRED_GRANTS + 3
    assert purge_expired_access().removed == 0, "nothing expired is left"
    assert AclGrant.objects.filter(expires_at__isnull=False).count() == 1, "the grant that expires later stays"


def test_a_run_racing_member_removals_finishes_and_leaves_no_expiry_behind():
    org, _project, group, people = _expired_world()
    owner = owner_of(org)
    barrier = threading.Barrier(3, timeout=BARRIER_TIMEOUT)
    removals = [_after_barrier(barrier, lambda p=p: member_remove(actor=owner, org=org, user=p)) for p in people[1:3]]
    outcomes = run_racing([_after_barrier(barrier, purge_expired_access), *removals])
    assert [kind for kind, _ in outcomes] == ["ok", "ok", "ok"], outcomes
    assert not GroupMembershipExpiry.objects.filter(user__in=people[1:3]).exists(), "a removed member's expiry went with it"
    purge_expired_access()
    members = set(group.auth_group.user_set.values_list("pk", flat=True))
    assert people[0].pk not in members, "the expired membership nobody removed is gone"
    assert people[3].pk in members, "the membership without an expiry stays"
