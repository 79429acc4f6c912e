"""permissions.services.expiry.purge_expired_access and ``manage.py purge_expired_access``: the cleanup of
expired grants and group memberships (docs/access-model.md, "Grants").

The services refuse expiries in the past, so the expired rows here are written directly with the ORM.
Whether an expired row still counts is the engine's business and is tested there; these tests prove which
rows the job deletes and what it audits.
"""

from datetime import datetime, timedelta
from io import StringIO
from itertools import pairwise
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.utils import timezone

from permissions.engine.nodes import grant_tables, is_concrete
from permissions.models import AuditEvent, GroupMembershipExpiry, GroupNesting
from permissions.services import expiry
from permissions.services.expiry import ORIGIN, purge_expired_access
from permissions.types import ObjectType
from tests.access_helpers import custom_group, custom_role, nest, raw_acl_grant, raw_guardian_grant
from tests.factories import OrganizationFactory, ServiceAccountFactory, add_member, builtin_group, owner_of, two_projects

pytestmark = pytest.mark.django_db

CONCRETE_TYPES = [t for t in ObjectType.values if is_concrete(t)]


def _set_expiry(row, expires_at):
    """`row` (a grant or a nesting) with `expires_at`, written directly, as no service would write a past one."""
    type(row).objects.filter(pk=row.pk).update(expires_at=expires_at)
    return row


def _exists(row) -> bool:
    return type(row).objects.filter(pk=row.pk).exists()


def _ago(**kwargs) -> datetime:
    return timezone.now() - timedelta(**kwargs)


def _ahead(**kwargs) -> datetime:
    return timezone.now() + timedelta(**kwargs)


def _is_member(user, group) -> bool:
    return user.groups.filter(pk=group.auth_group_id).exists()


def _events_since(existing: set) -> list[AuditEvent]:
    return list(AuditEvent.objects.exclude(pk__in=existing).order_by("created", "id"))


def _event_ids() -> set:
    return set(AuditEvent.objects.values_list("pk", flat=True))


def _objects_by_type(org) -> dict:
    """One object of each concrete type of `org`."""
    world = two_projects(org)
    return {
        "organization": org,
        "project": world.p,
        "experiment": world.e,
        "dataset": world.d,
        "prompt": world.prompt,
        "prompt_session": world.session,
        "group": custom_group(org, name="Granted on"),
        "role": custom_role(org, "Reviewer", [("read", "")]),
    }


@pytest.fixture
def world():
    """An organization with, of every kind, an expired row, a live one (expiring later) and a permanent one."""
    org = OrganizationFactory()
    alice, bob, carol = add_member(org), add_member(org), add_member(org)
    robot = ServiceAccountFactory(service_account_org=org)
    team = custom_group(org, alice, bob, carol, robot, name="Team")
    GroupMembershipExpiry.objects.create(user=alice, group=team, expires_at=_ago(hours=1))
    GroupMembershipExpiry.objects.create(user=robot, group=team, expires_at=_ago(days=3))
    GroupMembershipExpiry.objects.create(user=bob, group=team, expires_at=_ahead(days=1))
    gone, live, permanent = (custom_group(org, name=name) for name in ("Gone", "Live", "Permanent"))
    for member in (gone, live, permanent):
        nest(team, member)
    _set_expiry(GroupNesting.objects.get(group=team, member_group=gone), _ago(minutes=5))
    _set_expiry(GroupNesting.objects.get(group=team, member_group=live), _ahead(days=1))
    objects = _objects_by_type(org)
    project = objects["project"]
    acl = SimpleNamespace(
        expired=_set_expiry(raw_acl_grant(org, project, user=alice, permission="update", restrict="experiment"), _ago(days=1)),
        live=_set_expiry(raw_acl_grant(org, project, user=bob, permission="update", restrict="experiment"), _ahead(days=1)),
        permanent=raw_acl_grant(org, project, group=team, role=custom_role(org, "Editor", [("update", "")])),
    )
    expired_guardian = [_set_expiry(raw_guardian_grant(obj, "read", user=alice), _ago(days=1)) for obj in objects.values()] + [
        _set_expiry(raw_guardian_grant(obj, "read", group=team), _ago(days=1)) for obj in objects.values()
    ]
    guardian_live = _set_expiry(raw_guardian_grant(project, "delete", user=bob), _ahead(hours=1))
    guardian_permanent = raw_guardian_grant(project, "delete", group=team)
    return SimpleNamespace(
        org=org,
        alice=alice,
        bob=bob,
        carol=carol,
        robot=robot,
        team=team,
        gone=gone,
        live=live,
        permanent=permanent,
        acl=acl,
        expired_guardian=expired_guardian,
        guardian_live=guardian_live,
        guardian_permanent=guardian_permanent,
    )


# What is removed


def test_purge_removes_the_expired_rows_of_every_kind_and_leaves_live_and_permanent_ones(world):
    result = purge_expired_access()
    assert (result.grants, result.member_users, result.member_groups, result.kept) == (1 + 2 * len(CONCRETE_TYPES), 2, 1, 0)
    assert result.organizations == {world.org.pk}
    assert not _exists(world.acl.expired)
    assert _exists(world.acl.live) and _exists(world.acl.permanent)
    assert not any(_exists(row) for row in world.expired_guardian)
    assert _exists(world.guardian_live) and _exists(world.guardian_permanent)
    assert not _is_member(world.alice, world.team) and not _is_member(world.robot, world.team)
    assert _is_member(world.bob, world.team) and _is_member(world.carol, world.team)
    assert set(GroupMembershipExpiry.objects.values_list("user_id", flat=True)) == {world.bob.pk}
    assert set(GroupNesting.objects.filter(group=world.team).values_list("member_group__name", flat=True)) == {"Live", "Permanent"}


@pytest.mark.parametrize("subject", ["user", "group"])
@pytest.mark.parametrize("object_type", CONCRETE_TYPES)
def test_every_guardian_grant_table_is_purged(object_type, subject):
    org = OrganizationFactory()
    member = add_member(org)
    grantee = {"user": member} if subject == "user" else {"group": custom_group(org, member)}
    obj = _objects_by_type(org)[object_type]
    expired = _set_expiry(raw_guardian_grant(obj, "update", **grantee), _ago(seconds=1))
    live = _set_expiry(raw_guardian_grant(obj, "delete", **grantee), _ahead(days=1))
    table = getattr(grant_tables(object_type), subject)
    assert type(expired) is table
    result = purge_expired_access()
    assert (result.grants, result.removed) == (1, 1)
    assert not _exists(expired) and _exists(live)
    [event] = AuditEvent.objects.filter(action="acl.delete")
    assert event.target_id == str(expired.pk)
    assert (event.before["object_type"], event.before["object_id"], event.before["permission"]) == (object_type, str(obj.pk), "update")


def test_a_row_expiring_at_the_runs_instant_is_removed_and_one_expiring_after_it_stays():
    org = OrganizationFactory()
    project = two_projects(org).p
    member = add_member(org)
    now = timezone.now()
    at_now = _set_expiry(raw_acl_grant(org, project, user=member, permission="read", restrict="dataset"), now)
    just_after = _set_expiry(
        raw_acl_grant(org, project, user=member, permission="read", restrict="prompt"), now + timedelta(microseconds=1)
    )
    purge_expired_access(now=now)
    assert not _exists(at_now) and _exists(just_after)


def test_purge_refuses_a_time_without_a_time_zone():
    with pytest.raises(ValueError, match="time zone"):
        purge_expired_access(now=timezone.now().replace(tzinfo=None))


# Audit


def test_each_removed_row_writes_one_audit_event_by_nobody_from_the_job(world):
    existing = _event_ids()
    result = purge_expired_access()
    events = _events_since(existing)
    assert len(events) == result.removed == 1 + 2 * len(CONCRETE_TYPES) + 3
    assert all(e.actor is None and e.actor_email == "" and e.origin == ORIGIN and e.org_id == world.org.pk for e in events)
    grant_events = [e for e in events if e.action == "acl.delete"]
    assert {e.target_id for e in grant_events} == {str(row.pk) for row in [world.acl.expired, *world.expired_guardian]}
    assert all(e.target_type == "acl" and e.after is None for e in grant_events)
    group_events = [e for e in events if e.action == "group.update"]
    assert len(group_events) == 3
    assert all((e.target_type, e.target_id) == ("group", str(world.team.pk)) for e in group_events)


def test_a_removed_grant_is_audited_with_what_it_said_and_when_it_expired(world):
    purge_expired_access()
    event = AuditEvent.objects.get(action="acl.delete", target_id=str(world.acl.expired.pk))
    before = dict(event.before)
    expired_at = datetime.fromisoformat(before.pop("expires_at"))
    assert before == {
        "object_type": "project",
        "object_id": str(world.acl.live.object_id),
        "user_id": str(world.alice.pk),
        "group_id": None,
        "permission": "update",
        "role_id": None,
        "restrict_object_type": "experiment",
    }
    assert expired_at.tzinfo is not None and expired_at < timezone.now()


def test_a_removed_guardian_grant_is_audited_in_the_grant_services_shape(world):
    purge_expired_access()
    row = next(r for r in world.expired_guardian if type(r) is grant_tables("project").group)
    event = AuditEvent.objects.get(action="acl.delete", target_id=str(row.pk))
    assert {k: v for k, v in event.before.items() if k != "expires_at"} == {
        "object_type": "project",
        "object_id": str(row.content_object_id),
        "user_id": None,
        "group_id": str(world.team.pk),
        "permission": "read",
        "role_id": None,
        "restrict_object_type": None,
    }


def test_removals_from_one_group_are_audited_one_after_another(world):
    existing = _event_ids()
    purge_expired_access()
    events = [e for e in _events_since(existing) if e.action == "group.update"]
    for earlier, later in pairwise(events):
        assert later.before == earlier.after
    first, last = events[0].before, events[-1].after
    assert {str(world.alice.pk), str(world.robot.pk)} <= set(first["member_users"])
    assert str(world.gone.pk) in first["member_groups"]
    assert set(last["member_users"]) == {str(world.bob.pk), str(world.carol.pk)}
    assert set(last["member_groups"]) == {str(world.live.pk), str(world.permanent.pk)}
    assert [e["user"] for e in last["member_user_expiries"]] == [str(world.bob.pk)]
    assert [e["group"] for e in last["member_group_expiries"]] == [str(world.live.pk)]


def test_purge_is_idempotent(world):
    purge_expired_access()
    existing = _event_ids()
    again = purge_expired_access()
    assert (again.grants, again.member_users, again.member_groups, again.removed) == (0, 0, 0, 0)
    assert again.organizations == set()
    assert _events_since(existing) == []


def test_a_grant_removed_by_someone_else_during_the_run_is_not_audited_by_the_run(world, monkeypatch):
    remove_grants = expiry._remove_grants

    def removed_first_by_someone_else(org, rows, **kwargs):
        for row in rows:
            kwargs["source"].model.objects.filter(pk=row["pk"]).delete()
        remove_grants(org, rows, **kwargs)

    monkeypatch.setattr(expiry, "_remove_grants", removed_first_by_someone_else)
    existing = _event_ids()
    result = purge_expired_access()
    assert result.grants == 0
    assert not _exists(world.acl.expired)
    assert [e.action for e in _events_since(existing)] == ["group.update"] * 3


def test_a_membership_removed_by_someone_else_during_the_run_is_not_audited_by_the_run(world, monkeypatch):
    remove_member_users = expiry._remove_member_users

    def removed_first_by_someone_else(org, rows, **kwargs):
        world.team.auth_group.user_set.remove(world.alice)
        remove_member_users(org, rows, **kwargs)

    monkeypatch.setattr(expiry, "_remove_member_users", removed_first_by_someone_else)
    existing = _event_ids()
    result = purge_expired_access()
    assert result.member_users == 1
    assert not _is_member(world.alice, world.team) and not _is_member(world.robot, world.team)
    alice = str(world.alice.pk)
    group_events = [e for e in _events_since(existing) if e.action == "group.update"]
    assert len(group_events) == 2  # the member group's removal and the robot's
    assert not [e for e in group_events if alice in e.before["member_users"] and alice not in e.after["member_users"]]


# Batches and organizations


def test_purge_works_through_several_organizations_in_small_batches():
    orgs = [OrganizationFactory(), OrganizationFactory()]
    expired = []
    for org, count in zip(orgs, (5, 3), strict=True):
        project, member = two_projects(org).p, add_member(org)
        for permission in ("read", "update", "delete", "create", "read_acls")[:count]:
            expired.append(_set_expiry(raw_acl_grant(org, project, user=member, permission=permission, restrict="dataset"), _ago(hours=1)))
    existing = _event_ids()
    result = purge_expired_access(batch_size=2)
    assert result.grants == 8
    assert result.organizations == {org.pk for org in orgs}
    assert not any(_exists(row) for row in expired)
    events = _events_since(existing)
    assert sorted(e.target_id for e in events) == sorted(str(row.pk) for row in expired)
    assert {org.pk: sum(e.org_id == org.pk for e in events) for org in orgs} == {orgs[0].pk: 5, orgs[1].pk: 3}


def test_an_expiry_left_by_a_membership_that_is_gone_is_removed_without_an_event():
    org = OrganizationFactory()
    team, former = custom_group(org, name="Team"), add_member(org)
    leftover = GroupMembershipExpiry.objects.create(user=former, group=team, expires_at=_ago(days=1))
    existing = _event_ids()
    result = purge_expired_access()
    assert not _exists(leftover)
    assert result.removed == 0
    assert _events_since(existing) == []


# Owners


def test_owners_grants_on_their_organization_stay_even_when_expired():
    org = OrganizationFactory()
    owners_grants = grant_tables("organization").group.objects.filter(group=builtin_group(org, "owners").auth_group)
    count = owners_grants.count()
    owners_grants.update(expires_at=_ago(days=1))
    result = purge_expired_access()
    assert owners_grants.count() == count == 8
    assert (result.kept, result.removed) == (count, 0)


def test_the_last_direct_owner_stays_even_when_the_membership_expired():
    org = OrganizationFactory()
    owners, owner = builtin_group(org, "owners"), owner_of(org)
    GroupMembershipExpiry.objects.create(user=owner, group=owners, expires_at=_ago(days=1))
    result = purge_expired_access()
    assert _is_member(owner, owners)
    assert (result.kept, result.removed) == (1, 0)


def test_an_expired_owner_membership_is_removed_when_another_direct_owner_remains():
    org = OrganizationFactory()
    owners, owner = builtin_group(org, "owners"), owner_of(org)
    second = add_member(org, None, owners)
    GroupMembershipExpiry.objects.create(user=second, group=owners, expires_at=_ago(days=1))
    result = purge_expired_access()
    assert not _is_member(second, owners) and _is_member(owner, owners)
    assert (result.member_users, result.kept) == (1, 0)


# The command


def test_command_prints_what_it_removed(world):
    out = StringIO()
    call_command("purge_expired_access", stdout=out)
    grants = 1 + 2 * len(CONCRETE_TYPES)
    assert out.getvalue() == (
        f"Removed {grants} expired grants, 2 expired group memberships and 1 expired member group in 1 organization.\n"
    )
    again = StringIO()
    call_command("purge_expired_access", "--batch-size", "1", stdout=again)
    assert again.getvalue() == "Removed 0 expired grants, 0 expired group memberships and 0 expired member groups in 0 organizations.\n"


def test_command_says_which_expired_rows_it_kept():
    org = OrganizationFactory()
    GroupMembershipExpiry.objects.create(user=owner_of(org), group=builtin_group(org, "owners"), expires_at=_ago(days=1))
    out = StringIO()
    call_command("purge_expired_access", stdout=out)
    assert "Kept 1 expired row that must stay" in out.getvalue()
