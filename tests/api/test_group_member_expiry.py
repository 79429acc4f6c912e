"""``/v1/group/{group_id}/member_expiry``: setting, clearing and listing when memberships of a group expire,
for every kind of caller, with bad input refused before anything is written; and the group's own member
lists, which leave out memberships whose expiry has passed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from permissions.models import GroupMembershipExpiry, GroupNesting
from tests.access_helpers import audit_actions, custom_group, nest
from tests.assertions import assert_refused_without_writing, error
from tests.factories import add_member, builtin_group
from tests.query_helpers import steady_state_queries
from tests.worlds import OrganizationObjectWorld, organization_object_world

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def built_world(module_db) -> OrganizationObjectWorld:
    return organization_object_world("group")


def path(group) -> str:
    return f"/v1/group/{group.pk}/member_expiry"


def iso(days: float) -> str:
    return (timezone.now() + timedelta(days=days)).isoformat()


def test_an_owner_sets_lists_and_clears_a_members_expiry(world):
    member = add_member(world.org, None, world.target)
    owner = world.client("owner")
    when = iso(3)
    response = owner.post(path(world.target), {"user_id": str(member.pk), "expires_at": when})
    assert response.status_code == 200, response.content
    assert response.json()["user_id"] == str(member.pk) and response.json()["group_id"] is None
    (listed,) = owner.get(path(world.target)).json()["objects"]
    assert listed["user_id"] == str(member.pk)
    assert GroupMembershipExpiry.objects.get(user=member, group=world.target).expires_at.isoformat() == when
    assert audit_actions()[-1] == "group.update"
    cleared = owner.post(path(world.target), {"user_id": str(member.pk), "expires_at": None})
    assert cleared.status_code == 200 and cleared.json()["expires_at"] is None
    assert owner.get(path(world.target)).json()["objects"] == []
    assert not GroupMembershipExpiry.objects.filter(user=member).exists()


def test_a_member_groups_membership_may_expire_too(world):
    nest(world.target, world.inner)
    response = world.client("owner").post(path(world.target), {"group_id": str(world.inner.pk), "expires_at": iso(1)})
    assert response.status_code == 200, response.content
    assert GroupNesting.objects.get(group=world.target, member_group=world.inner).expires_at is not None
    assert world.client("owner").get(path(world.target)).json()["objects"][0]["group_id"] == str(world.inner.pk)


@pytest.mark.parametrize(
    ("who", "get_status", "post_status"),
    [
        ("owner", 200, 200),
        ("group_grant", 200, 200),
        ("object_grant", 200, 200),
        ("viewer", 200, 403),
        ("no_grant", 404, 404),
        ("outsider", 404, 404),
    ],
)
def test_reading_needs_read_on_the_group_and_setting_needs_update(world, who, get_status, post_status):
    member, client = add_member(world.org, None, world.target), world.client(who)
    assert client.get(path(world.target)).status_code == get_status
    body = {"user_id": str(member.pk), "expires_at": iso(2)}
    if post_status == 200:
        assert client.post(path(world.target), body).status_code == 200
    else:
        assert_refused_without_writing(lambda: client.post(path(world.target), body), post_status)


BAD_BODIES = {
    "in the past": ({"expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
    "not a date": ({"expires_at": "next friday"}, "expires_at"),
    "no UTC offset": ({"expires_at": "2999-01-01T00:00:00"}, "expires_at"),
    "a number": ({"expires_at": 1700000000}, "expires_at"),
    "missing": ({}, "expires_at"),
    "unknown field": ({"expires_at": None, "until": "soon"}, "until"),
    "both members": ({"expires_at": None, "group_id": "inner"}, "user_id"),
    "no member": ({"expires_at": None, "user_id": None}, "user_id"),
    "not a uuid": ({"expires_at": None, "user_id": "nobody"}, "user_id"),
}


@pytest.mark.parametrize(("body", "field"), BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(world, body, field):
    member = add_member(world.org, None, world.target)
    nest(world.target, world.inner)
    body = {"user_id": str(member.pk), **body}
    if body.get("group_id") == "inner":
        body["group_id"] = str(world.inner.pk)
    owner = world.client("owner")
    response = assert_refused_without_writing(lambda: owner.post(path(world.target), body), 400)
    assert field in str(response.json())


def test_an_expiry_without_its_utc_offset_is_refused_as_a_grants_is(world):
    member = add_member(world.org, None, world.target)
    owner = world.client("owner")
    body = {"user_id": str(member.pk), "expires_at": "2999-01-01T00:00:00"}
    response = assert_refused_without_writing(lambda: owner.post(path(world.target), body), 400)
    assert "expires_at: Must name its UTC offset (such as Z or +02:00)." in response.json()["error"]["message"]


def test_someone_not_in_the_group_is_refused(world):
    stranger, owner = add_member(world.org), world.client("owner")
    response = assert_refused_without_writing(
        lambda: owner.post(path(world.target), {"user_id": str(stranger.pk), "expires_at": iso(1)}), 400
    )
    assert "not a member" in error(response)["message"]


def test_memberships_of_owners_cannot_expire(world):
    owners = builtin_group(world.org, "owners")
    second, owner = add_member(world.org, None, owners), world.client("owner")
    response = assert_refused_without_writing(lambda: owner.post(path(owners), {"user_id": str(second.pk), "expires_at": iso(1)}), 400)
    assert "Owners" in error(response)["message"]


def test_the_group_lists_members_leave_out_memberships_that_have_expired(world):
    lasting, leaving = add_member(world.org, None, world.target), add_member(world.org, None, world.target)
    GroupMembershipExpiry.objects.create(user=leaving, group=world.target, expires_at=timezone.now() - timedelta(minutes=1))
    nest(world.target, world.inner)
    GroupNesting.objects.filter(group=world.target).update(expires_at=timezone.now() - timedelta(minutes=1))
    body = world.client("owner").get(f"/v1/group/{world.target.pk}").json()
    assert body["member_users"] == [str(lasting.pk)]
    assert body["member_groups"] == []
    assert world.client("owner").get(path(world.target)).json()["objects"] == [], "nor are they listed as expiring"


def test_listing_costs_the_same_queries_for_one_expiring_membership_as_for_thirty(world):
    owner = world.client("owner")

    def queries_for(count: int) -> int:
        group, until = custom_group(world.org), timezone.now() + timedelta(days=1)
        for _ in range(count):
            GroupMembershipExpiry.objects.create(user=add_member(world.org, None, group), group=group, expires_at=until)
        assert len(owner.get(path(group)).json()["objects"]) == count
        return steady_state_queries(owner, path(group))

    assert queries_for(1) == queries_for(30)
