"""permissions.services.groups.group_member_expiry_set: group memberships that expire (docs/access-model.md,
"Grants": a group membership may carry ``expires_at``; "Built-in groups": Owners always keeps a direct member).

What the engine decides once a membership has expired is tested with the engine; these tests prove what is
stored and audited, and who may change it.
"""

import uuid
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from accounts.services.members import member_remove
from permissions.exceptions import AccessDenied, NotFound, ValidationError
from permissions.models import AuditEvent, GroupMembershipExpiry, GroupNesting
from permissions.services.groups import group_member_expiry_set, group_state, group_update
from tests.access_helpers import custom_group, grant, nest, row_counts
from tests.factories import OrganizationFactory, ServiceAccountFactory, UserFactory, add_member, builtin_group, owner_of

pytestmark = pytest.mark.django_db


def _in_days(days: float) -> datetime:
    return (timezone.now() + timedelta(days=days)).replace(microsecond=0)


def _expiry_of(user, group) -> datetime | None:
    return GroupMembershipExpiry.objects.filter(user=user, group=group).values_list("expires_at", flat=True).first()


def _nesting_expiry(group, member_group) -> datetime | None:
    return GroupNesting.objects.get(group=group, member_group=member_group).expires_at


def _stored_expiries() -> dict[str, int]:
    return {**row_counts(), "expiries": GroupMembershipExpiry.objects.count()}


@pytest.fixture
def team():
    org = OrganizationFactory()
    alice = add_member(org)
    group = custom_group(org, alice, name="Team")
    inner = custom_group(org, name="Inner")
    nest(group, inner)
    return org, group, alice, inner


# Setting and clearing


def test_owner_sets_when_a_member_users_membership_expires(team):
    org, group, alice, _ = team
    when = _in_days(7)
    group_member_expiry_set(actor=owner_of(org), group=group, member_user_id=alice.pk, expires_at=when)
    assert _expiry_of(alice, group) == when


def test_service_accounts_membership_can_expire(team):
    org, group, _, _ = team
    robot = ServiceAccountFactory(service_account_org=org)
    group_update(actor=owner_of(org), group=group, add_member_users=[robot.pk])
    when = _in_days(1)
    group_member_expiry_set(actor=owner_of(org), group=group, member_user_id=robot.pk, expires_at=when)
    assert _expiry_of(robot, group) == when


def test_member_groups_membership_expiry_is_stored_on_its_nesting(team):
    org, group, _, inner = team
    when = _in_days(30)
    group_member_expiry_set(actor=owner_of(org), group=group, member_group_id=inner.pk, expires_at=when)
    assert _nesting_expiry(group, inner) == when
    assert not GroupMembershipExpiry.objects.exists()


def test_setting_an_expiry_again_moves_it(team):
    org, group, alice, _ = team
    group_member_expiry_set(actor=owner_of(org), group=group, member_user_id=alice.pk, expires_at=_in_days(7))
    later = _in_days(14)
    group_member_expiry_set(actor=owner_of(org), group=group, member_user_id=str(alice.pk), expires_at=later)
    assert _expiry_of(alice, group) == later
    assert GroupMembershipExpiry.objects.filter(user=alice, group=group).count() == 1


def test_clearing_makes_a_member_users_membership_permanent_again(team):
    org, group, alice, _ = team
    group_member_expiry_set(actor=owner_of(org), group=group, member_user_id=alice.pk, expires_at=_in_days(7))
    group_member_expiry_set(actor=owner_of(org), group=group, member_user_id=alice.pk, expires_at=None)
    assert not GroupMembershipExpiry.objects.filter(user=alice, group=group).exists()
    assert alice.groups.filter(pk=group.auth_group_id).exists()


def test_clearing_makes_a_member_groups_membership_permanent_again(team):
    org, group, _, inner = team
    group_member_expiry_set(actor=owner_of(org), group=group, member_group_id=inner.pk, expires_at=_in_days(7))
    group_member_expiry_set(actor=owner_of(org), group=group, member_group_id=inner.pk, expires_at=None)
    assert _nesting_expiry(group, inner) is None


def test_an_expiry_in_another_time_zone_is_the_same_instant(team):
    org, group, alice, _ = team
    when = _in_days(3).astimezone(timezone.get_fixed_timezone(-300))
    group_member_expiry_set(actor=owner_of(org), group=group, member_user_id=alice.pk, expires_at=when)
    assert _expiry_of(alice, group) == when


# Refusals


@pytest.mark.parametrize("member", ["user", "group"])
@pytest.mark.parametrize("ago", [timedelta(seconds=1), timedelta(days=400)], ids=["just-now", "long-ago"])
def test_an_expiry_that_is_not_in_the_future_is_refused_naming_expires_at(team, member, ago):
    org, group, alice, inner = team
    named = {"member_user_id": alice.pk} if member == "user" else {"member_group_id": inner.pk}
    before = _stored_expiries()
    with pytest.raises(ValidationError) as refused:
        group_member_expiry_set(actor=owner_of(org), group=group, expires_at=timezone.now() - ago, **named)
    assert list(refused.value.message_dict) == ["expires_at"]
    assert "future" in refused.value.message_dict["expires_at"][0]
    assert _stored_expiries() == before
    assert _nesting_expiry(group, inner) is None


@pytest.mark.parametrize(
    "expires_at",
    [datetime.now() + timedelta(days=7), (timezone.now() + timedelta(days=7)).date(), "2999-01-01T00:00:00Z"],
    ids=["naive", "a-date", "a-string"],
)
def test_an_expiry_without_a_time_zone_is_refused_naming_expires_at(team, expires_at):
    org, group, alice, _ = team
    before = _stored_expiries()
    with pytest.raises(ValidationError) as refused:
        group_member_expiry_set(actor=owner_of(org), group=group, member_user_id=alice.pk, expires_at=expires_at)
    assert list(refused.value.message_dict) == ["expires_at"]
    assert "time zone" in refused.value.message_dict["expires_at"][0]
    assert _stored_expiries() == before


def test_a_membership_of_owners_cannot_expire():
    org = OrganizationFactory()
    owners, owner = builtin_group(org, "owners"), owner_of(org)
    second = add_member(org, None, owners)
    admins = custom_group(org, name="Admins")
    nest(owners, admins)
    before = _stored_expiries()
    for member in ({"member_user_id": owner.pk}, {"member_user_id": second.pk}, {"member_group_id": admins.pk}):
        with pytest.raises(ValidationError, match="Memberships of Owners cannot expire: an organization must always keep a direct member"):
            group_member_expiry_set(actor=owner, group=owners, expires_at=_in_days(7), **member)
    assert _stored_expiries() == before
    assert _nesting_expiry(owners, admins) is None


def test_setting_an_expiry_for_someone_who_is_not_a_member_is_refused(team):
    org, group, _, inner = team
    outsider_member, other_group = add_member(org), custom_group(org, name="Other")
    nest(inner, other_group)  # a member group's member group is not a member group of the group
    foreigner = owner_of(OrganizationFactory())
    before = _stored_expiries()
    for member in (
        {"member_user_id": outsider_member.pk},
        {"member_user_id": foreigner.pk},
        {"member_user_id": uuid.uuid4()},
        {"member_group_id": other_group.pk},
        {"member_group_id": uuid.uuid4()},
    ):
        with pytest.raises(ValidationError, match=r"is not a member (group )?of the group Team: add it before"):
            group_member_expiry_set(actor=owner_of(org), group=group, expires_at=_in_days(7), **member)
    assert _stored_expiries() == before


def test_a_malformed_member_id_is_refused_naming_it(team):
    org, group, _, _ = team
    with pytest.raises(ValidationError) as refused:
        group_member_expiry_set(actor=owner_of(org), group=group, member_user_id="not-an-id", expires_at=_in_days(7))
    assert list(refused.value.message_dict) == ["member_user_id"]


def test_exactly_one_member_is_named(team):
    org, group, alice, inner = team
    with pytest.raises(ValidationError, match="exactly one member"):
        group_member_expiry_set(actor=owner_of(org), group=group, expires_at=_in_days(7))
    with pytest.raises(ValidationError, match="exactly one member"):
        group_member_expiry_set(actor=owner_of(org), group=group, member_user_id=alice.pk, member_group_id=inner.pk, expires_at=None)


# Access


def test_setting_an_expiry_needs_update_on_the_group(team):
    org, group, alice, _ = team
    viewer, editor, stranger = add_member(org, None, "viewers"), add_member(org), UserFactory()
    grant(org, group, user=editor, permission="update")
    before = _stored_expiries()
    with pytest.raises(AccessDenied) as denied:
        group_member_expiry_set(actor=viewer, group=group, member_user_id=alice.pk, expires_at=_in_days(7))
    assert denied.value.permission == "update"
    with pytest.raises(NotFound):
        group_member_expiry_set(actor=stranger, group=group, member_user_id=alice.pk, expires_at=_in_days(7))
    assert _stored_expiries() == before
    group_member_expiry_set(actor=editor, group=group, member_user_id=alice.pk, expires_at=_in_days(7))
    assert _expiry_of(alice, group) is not None


def test_an_actor_without_access_learns_nothing_from_a_bad_expiry(team):
    _, group, alice, _ = team
    with pytest.raises(NotFound):
        group_member_expiry_set(actor=UserFactory(), group=group, member_user_id=alice.pk, expires_at=timezone.now() - timedelta(days=1))


# Audit


def test_setting_an_expiry_is_audited_as_a_group_update_with_before_and_after(team):
    org, group, alice, inner = team
    when = _in_days(7)
    group_member_expiry_set(actor=owner_of(org), group=group, member_user_id=alice.pk, expires_at=when)
    event = AuditEvent.objects.get(action="group.update")
    assert (event.actor, event.target_type, event.target_id) == (owner_of(org), "group", str(group.pk))
    assert "member_user_expiries" not in event.before
    assert event.after["member_user_expiries"] == [{"user": str(alice.pk), "expires_at": when.isoformat()}]
    assert event.after["member_users"] == event.before["member_users"] == [str(alice.pk)]
    assert event.after["member_groups"] == [str(inner.pk)]


def test_clearing_a_member_groups_expiry_is_audited_with_the_expiry_it_removed(team):
    org, group, _, inner = team
    when = _in_days(7)
    group_member_expiry_set(actor=owner_of(org), group=group, member_group_id=inner.pk, expires_at=when)
    group_member_expiry_set(actor=owner_of(org), group=group, member_group_id=inner.pk, expires_at=None)
    set_event, cleared = AuditEvent.objects.filter(action="group.update").order_by("created", "id")
    assert set_event.after["member_group_expiries"] == [{"group": str(inner.pk), "expires_at": when.isoformat()}]
    assert cleared.before == set_event.after
    assert "member_group_expiries" not in cleared.after


def test_an_unchanged_expiry_writes_no_audit_event(team):
    org, group, alice, inner = team
    when = _in_days(7)
    group_member_expiry_set(actor=owner_of(org), group=group, member_user_id=alice.pk, expires_at=when)
    count = AuditEvent.objects.count()
    group_member_expiry_set(actor=owner_of(org), group=group, member_user_id=alice.pk, expires_at=when)
    group_member_expiry_set(actor=owner_of(org), group=group, member_group_id=inner.pk, expires_at=None)
    assert AuditEvent.objects.count() == count


def test_group_state_shows_expiries_only_where_memberships_expire(team):
    org, group, alice, inner = team
    bob = add_member(org, None, group)
    assert set(group_state(group)) == {"name", "description", "member_users", "member_groups"}
    when = _in_days(2)
    group_member_expiry_set(actor=owner_of(org), group=group, member_user_id=bob.pk, expires_at=when)
    group_member_expiry_set(actor=owner_of(org), group=group, member_group_id=inner.pk, expires_at=when)
    state = group_state(group)
    assert state["member_users"] == sorted([str(alice.pk), str(bob.pk)])
    assert state["member_user_expiries"] == [{"user": str(bob.pk), "expires_at": when.isoformat()}]
    assert state["member_group_expiries"] == [{"group": str(inner.pk), "expires_at": when.isoformat()}]


# Removing members


def test_removing_a_member_user_leaves_no_expiry_behind(team):
    org, group, alice, _ = team
    group_member_expiry_set(actor=owner_of(org), group=group, member_user_id=alice.pk, expires_at=_in_days(7))
    group_update(actor=owner_of(org), group=group, remove_member_users=[alice.pk])
    assert not GroupMembershipExpiry.objects.exists()
    event = AuditEvent.objects.filter(action="group.update").latest("created")
    assert "member_user_expiries" in event.before and "member_user_expiries" not in event.after


@pytest.mark.parametrize("kind", ["user", "group"])
def test_a_member_user_or_group_added_again_after_removal_is_a_member_for_good(team, kind):
    """Removing an expiring member takes its expiry with it: added again, it is a member with no end."""
    org, group, alice, inner = team
    member = alice if kind == "user" else inner
    group_member_expiry_set(actor=owner_of(org), group=group, expires_at=_in_days(7), **{f"member_{kind}_id": member.pk})
    group_update(actor=owner_of(org), group=group, **{f"remove_member_{kind}s": [member.pk]})
    group_update(actor=owner_of(org), group=group, **{f"add_member_{kind}s": [member.pk]})
    assert (_expiry_of(alice, group) if kind == "user" else _nesting_expiry(group, inner)) is None
    assert f"member_{kind}_expiries" not in group_state(group)


def test_removing_a_member_from_the_organization_leaves_no_expiry_behind(team):
    org, group, alice, _ = team
    other = custom_group(org, alice, name="Other")
    for each in (group, other):
        group_member_expiry_set(actor=owner_of(org), group=each, member_user_id=alice.pk, expires_at=_in_days(7))
    member_remove(actor=owner_of(org), org=org, user=alice)
    assert not GroupMembershipExpiry.objects.exists()


def test_adding_an_expiring_member_again_keeps_its_expiry(team):
    org, group, alice, _ = team
    when = _in_days(7)
    group_member_expiry_set(actor=owner_of(org), group=group, member_user_id=alice.pk, expires_at=when)
    group_update(actor=owner_of(org), group=group, add_member_users=[alice.pk], description="same people")
    assert _expiry_of(alice, group) == when
