"""Rules that must hold when two transactions race (PostgreSQL: real row locks, one connection per thread).

docs/access-model.md: "An organization always keeps at least one direct member of Owners ... also when two such
changes race"; an identical grant is one grant, however many requests ask for it at once; and no cycle
of member groups or member roles is ever stored, even when the two halves of it are added at once.

Each thread runs one service call on its own connection. A barrier holds the threads until both have done
everything up to the point where they contend (just before taking the Owners lock, or before writing the
grant), so the race is real rather than left to scheduling.
"""

import threading
from collections.abc import Callable
from functools import partial

import pytest

from accounts.models import ApiKey, Membership
from accounts.services import credentials as credential_services
from accounts.services.credentials import service_account_create, service_token_create, service_token_replace
from accounts.services.members import member_remove
from permissions.engine.nodes import Node
from permissions.exceptions import NotFound, ValidationError
from permissions.grants import grant_records
from permissions.models import AclGrant, AuditEvent
from permissions.selectors import member_user_ids
from permissions.services import grants as grant_services
from permissions.services import groups as group_services
from permissions.services.grants import acl_grant
from permissions.services.groups import group_update
from tests.access_helpers import custom_group, spec_for
from tests.factories import OrganizationFactory, ProjectFactory, add_member, builtin_group, owner_of
from tests.groups_and_roles import NESTING_KINDS
from tests.race_helpers import BARRIER_TIMEOUT, run_racing

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class OwnersLockBarrier:
    """Holds a thread just before it takes the Owners lock, until every racing thread is there or at its start."""

    def __init__(self, monkeypatch, parties: int) -> None:
        self.barrier = threading.Barrier(parties, timeout=BARRIER_TIMEOUT)
        self.local = threading.local()
        original = group_services._lock_owners

        def lock_after_barrier(org):
            if getattr(self.local, "wait_at_lock", False):
                self.local.wait_at_lock = False
                self.barrier.wait()
            return original(org)

        monkeypatch.setattr(group_services, "_lock_owners", lock_after_barrier)

    def at_lock(self, call: Callable[[], object]) -> Callable[[], object]:
        def wrapped():
            self.local.wait_at_lock = True
            return call()

        return wrapped

    def at_start(self, call: Callable[[], object]) -> Callable[[], object]:
        """For group_update, which locks the Owners row as its first write, so the race is at its start."""

        def wrapped():
            self.barrier.wait()
            return call()

        return wrapped


def _two_direct_owners():
    org = OrganizationFactory()
    first = owner_of(org)
    second = add_member(org, None, "owners")
    add_member(org, None, "engineers")
    return org, first, second


def _removal(barrier: OwnersLockBarrier, how: str, org, actor, target):
    owners = builtin_group(org, "owners")
    if how == "member_remove":
        return barrier.at_lock(lambda: member_remove(actor=actor, org=org, user=target))
    return barrier.at_start(lambda: group_update(actor=actor, group=owners, remove_member_users=[target.pk]))


@pytest.mark.parametrize(
    "ways",
    [("member_remove", "member_remove"), ("group_update", "group_update"), ("member_remove", "group_update")],
    ids=["both-member_remove", "both-group_update", "member_remove-and-group_update"],
)
def test_racing_removals_of_the_last_two_direct_owners_leave_one(monkeypatch, ways):
    org, first, second = _two_direct_owners()
    barrier = OwnersLockBarrier(monkeypatch, parties=2)
    outcomes = run_racing(
        [
            _removal(barrier, ways[0], org, actor=first, target=second),
            _removal(barrier, ways[1], org, actor=second, target=first),
        ]
    )
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["error", "ok"], outcomes
    [error] = [value for kind, value in outcomes if kind == "error"]
    if isinstance(error, NotFound):
        # group_update races from its start, so the other change may commit before it checks its actor, who
        # is then no longer an owner (or no longer a member at all) and sees nothing of Owners: refused as
        # for anyone who cannot see the group.
        assert ways[1] == "group_update", error
    else:
        assert isinstance(error, ValidationError), error
        assert "at least one member in Owners" in str(error)
    remaining = member_user_ids(builtin_group(org, "owners"))
    assert len(remaining) == 1 and remaining[0] in (first.pk, second.pk)
    assert Membership.objects.filter(org=org, user_id=remaining[0]).exists()
    assert AuditEvent.objects.filter(org=org, action__in=["member.remove", "group.update"]).count() == 1


def test_removing_a_member_while_a_group_edit_removes_them_too_never_deadlocks():
    org = OrganizationFactory()
    owner, member = owner_of(org), add_member(org, None, "engineers")
    team = custom_group(org, member)
    barrier = threading.Barrier(2, timeout=BARRIER_TIMEOUT)

    def after_barrier(call):
        def wrapped():
            barrier.wait()
            return call()

        return wrapped

    outcomes = run_racing(
        [
            after_barrier(lambda: member_remove(actor=owner, org=org, user=member)),
            after_barrier(lambda: group_update(actor=owner, group=team, remove_member_users=[member.pk])),
        ]
    )
    assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
    assert not Membership.objects.filter(org=org, user=member).exists()
    assert member_user_ids(team) == []


def test_racing_removals_of_two_of_three_direct_owners_both_succeed(monkeypatch):
    org, first, second = _two_direct_owners()
    third = add_member(org, None, "owners")
    barrier = OwnersLockBarrier(monkeypatch, parties=2)
    outcomes = run_racing(
        [
            _removal(barrier, "member_remove", org, actor=third, target=first),
            _removal(barrier, "member_remove", org, actor=third, target=second),
        ]
    )
    assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
    assert member_user_ids(builtin_group(org, "owners")) == [third.pk]


class WriteBarrier:
    """Holds each racing grant just before it writes, after both have found no existing grant."""

    def __init__(self, monkeypatch, parties: int) -> None:
        barrier = threading.Barrier(parties, timeout=BARRIER_TIMEOUT)
        original = grant_services._write

        def write_after_barrier(*args, **kwargs):
            barrier.wait()
            return original(*args, **kwargs)

        monkeypatch.setattr(grant_services, "_write", write_after_barrier)


@pytest.mark.parametrize(
    "make",
    [
        lambda org, user, project: spec_for(project, user=user, role="viewer"),
        lambda org, user, project: spec_for(Node("project_log", project.pk), user=user, permission="read"),
        lambda org, user, project: spec_for(project, user=user, permission="read"),
        lambda org, user, project: spec_for(project, group=builtin_group(org, "viewers"), permission="update"),
    ],
    ids=["role-in-acl-grant", "virtual-node-in-acl-grant", "user-in-guardian", "group-in-guardian"],
)
def test_racing_identical_grants_make_one_grant(monkeypatch, make):
    org = OrganizationFactory()
    project, user = ProjectFactory(org=org), add_member(org)
    spec = make(org, user, project)
    records_before = len(grant_records(org_id=org.pk))
    acl_rows_before = AclGrant.objects.count()
    WriteBarrier(monkeypatch, parties=2)
    actor = owner_of(org)
    outcomes = run_racing([lambda: acl_grant(actor=actor, spec=spec), lambda: acl_grant(actor=actor, spec=spec)])
    assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
    first, second = (record for _, record in outcomes)
    assert first.id == second.id
    assert len(grant_records(org_id=org.pk)) == records_before + 1
    assert AclGrant.objects.count() - acl_rows_before == (0 if first.in_guardian else 1)
    assert AuditEvent.objects.filter(org=org, action="acl.create").count() == 1


class OrganizationLockBarrier:
    """Holds each racing nesting change until both have passed their permission checks and are about to
    take the organization's lock, so that they really contend for it."""

    def __init__(self, monkeypatch, module, parties: int) -> None:
        barrier = threading.Barrier(parties, timeout=BARRIER_TIMEOUT)
        original = module.lock_organization

        def lock_after_barrier(*args):
            barrier.wait()
            return original(*args)

        monkeypatch.setattr(module, "lock_organization", lock_after_barrier)


def assert_refused_by_cycle_check(outcomes) -> None:
    """The loser waits for the winner's lock, then sees its nesting and is refused with the cycle named."""
    [error] = [value for kind, value in outcomes if kind == "error"]
    assert isinstance(error, ValidationError), error
    assert "would make a cycle" in str(error)


@pytest.mark.parametrize("kind", NESTING_KINDS, ids=str)
def test_racing_nestings_of_groups_or_roles_that_together_make_a_cycle_never_store_it(monkeypatch, kind):
    org = OrganizationFactory()
    a, b = kind.make(org, "A"), kind.make(org, "B")
    OrganizationLockBarrier(monkeypatch, kind.services, parties=2)
    actor = owner_of(org)
    outcomes = run_racing([lambda: kind.nest(actor, a, b), lambda: kind.nest(actor, b, a)])
    assert sorted(outcome for outcome, _ in outcomes) == ["error", "ok"], outcomes
    assert kind.nestings_in(org) == 1
    assert_refused_by_cycle_check(outcomes)


def test_racing_replacements_of_a_service_token_leave_one_token_of_that_name(monkeypatch):
    """``PUT /v1/service_token`` twice at once for one account and name: each replaces what it finds, and
    the account's lock makes the second find the first's token, so one token of that name is left and
    both calls answer."""
    org = OrganizationFactory()
    owner = owner_of(org)
    account = service_account_create(actor=owner, org=org, name="ingest", group_ids=[])
    service_token_create(actor=owner, org=org, account_id=account.pk, name="ci")
    barrier = threading.Barrier(2, timeout=BARRIER_TIMEOUT)
    original = credential_services._service_account

    def after_both_arrive(*args, **kwargs):
        if kwargs.get("locked"):
            barrier.wait()
        return original(*args, **kwargs)

    monkeypatch.setattr(credential_services, "_service_account", after_both_arrive)
    replace = partial(service_token_replace, actor=owner, org=org, account_id=account.pk, name="ci")

    outcomes = run_racing([replace, replace])

    assert [status for status, _ in outcomes] == ["ok", "ok"], outcomes
    left = list(ApiKey.objects.filter(user=account, name="ci"))
    assert [key.pk for key in left] in ([outcomes[0][1][0].pk], [outcomes[1][1][0].pk])
    assert AuditEvent.objects.filter(org=org, action="service_token.delete").count() == 2
