"""Grants that carry ``expires_at``, in permissions.services.grants and permissions.grants.

docs/access-model.md, "Grants": from its ``expires_at`` on, a grant counts for nothing, whether or not a job
has removed it yet. So the reads that show grants leave an expired one out, while the services still find
its row to change or remove it. The expiry is not part of what a grant says: granting again what exists
with another expiry changes the expiry (``acl.update``, audited before and after). Whether an expired grant
still gives access is the engine's business, tested with the engine.
"""

from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta
from datetime import timezone as fixed_offset

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.services.members import member_remove
from permissions.engine.nodes import Node
from permissions.exceptions import ValidationError
from permissions.grants import grant_records
from permissions.models import AuditEvent
from permissions.services.grants import (
    GrantSpec,
    acl_batch_update,
    acl_grant,
    acl_revoke,
    acl_revoke_matching,
    get_grant,
)
from tests.access_helpers import audit_actions, raw_grant_expiry, row_counts, spec_for
from tests.factories import OrganizationFactory, ProjectFactory, add_member, builtin_group, owner_of

pytestmark = pytest.mark.django_db

# A grant on a project of each way it is stored, and one on a virtual node.
STORES = {
    "guardian-user": lambda org, user, project: spec_for(project, user=user, permission="read"),
    "guardian-group": lambda org, user, project: spec_for(project, group=builtin_group(org, "viewers"), permission="update"),
    "role": lambda org, user, project: spec_for(project, user=user, role="engineer"),
    "restricted": lambda org, user, project: spec_for(project, user=user, permission="read", restrict="experiment"),
    "virtual": lambda org, user, project: spec_for(Node("org_project", org.pk), user=user, permission="create"),
}
each_store = pytest.mark.parametrize("make", STORES.values(), ids=STORES.keys())


def in_days(days: float) -> datetime:
    return timezone.now() + timedelta(days=days)


def new_spec(make, **changes) -> tuple:
    """A new organization, its owner, and `make`'s spec for a new member on a new project, with `changes`."""
    org = OrganizationFactory()
    spec = make(org, add_member(org), ProjectFactory(org=org))
    return org, owner_of(org), replace(spec, **changes)


def with_expiry(spec: GrantSpec, expires_at: datetime | None) -> GrantSpec:
    """`spec` saying this expiry (None: none, said, not left unsaid)."""
    return replace(spec, expires_at=expires_at, clears_expiry=expires_at is None)


def as_data(spec: GrantSpec, expires_at) -> dict:
    """`spec` as the API hands it over (ids as text), with `expires_at` as given."""
    return {**{k: str(v) if v else v for k, v in asdict(spec).items()}, "expires_at": expires_at}


def record_node(spec: GrantSpec) -> Node:
    return Node(spec.object_type, spec.object_id)


def stored_expiry(record) -> datetime | None:
    (again,) = grant_records(ids=[record.id], include_expired=True)
    return again.expires_at


def snapshot() -> tuple:
    """Every grant with its expiry, and every table's row count: unchanged by a refused or idle call."""
    return frozenset((r.id, r.expires_at) for r in grant_records(include_expired=True)), row_counts()


# Storing and reading the expiry


@each_store
def test_a_grant_keeps_the_expiry_it_was_given_in_either_store(make):
    expiry = in_days(7)
    _, owner, spec = new_spec(make, expires_at=expiry)
    record = acl_grant(actor=owner, spec=spec)
    assert record.expires_at == expiry
    assert stored_expiry(record) == expiry
    assert get_grant(record.id).expires_at == expiry


@each_store
def test_a_grant_without_an_expiry_never_expires(make):
    _, owner, spec = new_spec(make)
    record = acl_grant(actor=owner, spec=spec)
    assert record.expires_at is None
    assert stored_expiry(record) is None


def test_an_expiry_given_with_another_offset_is_kept_as_the_same_instant():
    expiry = datetime(2999, 1, 1, 12, 0, tzinfo=fixed_offset(timedelta(hours=2)))
    _, owner, spec = new_spec(STORES["guardian-user"], expires_at=expiry)
    record = acl_grant(actor=owner, spec=spec)
    assert stored_expiry(record) == expiry == datetime(2999, 1, 1, 10, 0, tzinfo=UTC)


def test_the_audit_event_of_a_new_grant_records_its_expiry():
    expiry = in_days(3)
    _, owner, spec = new_spec(STORES["restricted"], expires_at=expiry)
    record = acl_grant(actor=owner, spec=spec)
    event = AuditEvent.objects.get(action="acl.create", target_id=str(record.id))
    assert event.after["expires_at"] == expiry.astimezone(UTC).isoformat()


def test_an_expiry_given_as_text_is_read_as_the_instant_it_names():
    _, owner, spec = new_spec(STORES["role"])
    record = acl_grant(actor=owner, spec=GrantSpec.from_dict(as_data(spec, "2999-06-01T08:30:00+02:00")))
    assert record.expires_at == datetime(2999, 6, 1, 6, 30, tzinfo=UTC)


# Granting again


@each_store
def test_granting_again_without_a_word_on_the_expiry_keeps_a_live_grants_expiry(make):
    _org, owner, spec = new_spec(make, expires_at=in_days(5))
    original = acl_grant(actor=owner, spec=spec)
    events = AuditEvent.objects.count()
    again = acl_grant(actor=owner, spec=replace(spec, expires_at=None))  # a client or a box that knows nothing of it
    assert (again.id, again.expires_at, stored_expiry(original)) == (original.id, original.expires_at, original.expires_at)
    assert AuditEvent.objects.count() == events


@each_store
def test_granting_again_without_a_word_on_the_expiry_renews_a_passed_grant_for_good(make):
    _org, owner, spec = new_spec(make, expires_at=in_days(5))
    original = acl_grant(actor=owner, spec=spec)
    raw_grant_expiry(original, in_days(-1))
    again = acl_grant(actor=owner, spec=replace(spec, expires_at=None))
    assert (again.id, again.expires_at, stored_expiry(original)) == (original.id, None, None)
    assert AuditEvent.objects.filter(action="acl.update", target_id=str(original.id)).exists()


CHANGES = {
    "none_to_a_date": (None, 5),
    "a_date_to_another": (5, 9),
    "a_date_to_none": (5, None),
}


@each_store
@pytest.mark.parametrize(("first", "then"), CHANGES.values(), ids=CHANGES.keys())
def test_granting_again_with_another_expiry_updates_the_grant_and_audits_before_and_after(make, first, then):
    first, then = (in_days(d) if d is not None else None for d in (first, then))
    org, owner, spec = new_spec(make, expires_at=first)
    original = acl_grant(actor=owner, spec=spec)
    grants_before = {r.id for r in grant_records(include_expired=True)}
    again = acl_grant(actor=owner, spec=with_expiry(spec, then))
    assert again.id == original.id
    assert again.expires_at == then
    assert stored_expiry(original) == then
    assert {r.id for r in grant_records(include_expired=True)} == grants_before  # the same row, no duplicate
    event = AuditEvent.objects.get(action="acl.update", target_id=str(original.id))
    iso = lambda moment: moment.astimezone(UTC).isoformat() if moment else None  # noqa: E731
    assert (event.before["expires_at"], event.after["expires_at"]) == (iso(first), iso(then))
    assert {k: v for k, v in event.before.items() if k != "expires_at"} == {k: v for k, v in event.after.items() if k != "expires_at"}
    assert event.after["object_id"] == str(spec.object_id)
    assert (event.actor, event.org, event.target_type) == (owner, org, "acl")


@each_store
@pytest.mark.parametrize("days", [None, 4], ids=["without_expiry", "with_expiry"])
def test_granting_again_exactly_the_same_writes_nothing_and_audits_nothing(make, days):
    _, owner, spec = new_spec(make, expires_at=in_days(days) if days else None)
    first = acl_grant(actor=owner, spec=spec)
    before, actions = snapshot(), audit_actions()
    again = acl_grant(actor=owner, spec=spec)
    assert again == first
    assert (snapshot(), audit_actions()) == (before, actions)


def test_granting_again_an_expired_grant_not_yet_purged_renews_that_grant():
    _, owner, spec = new_spec(STORES["guardian-user"], expires_at=in_days(1))
    record = acl_grant(actor=owner, spec=spec)
    raw_grant_expiry(record, in_days(-1))
    renewed_until = in_days(30)
    again = acl_grant(actor=owner, spec=with_expiry(spec, renewed_until))
    assert again.id == record.id
    assert [r.id for r in grant_records(nodes=[record.node], user_id=spec.user_id)] == [record.id]
    assert AuditEvent.objects.filter(action="acl.update", target_id=str(record.id)).count() == 1
    assert stored_expiry(record) == renewed_until


def test_a_batch_adds_expiring_grants_and_changes_the_expiry_of_existing_ones():
    org, owner, existing_spec = new_spec(STORES["guardian-user"])
    existing = acl_grant(actor=owner, spec=existing_spec)
    fresh_spec = spec_for(Node("org_project", org.pk), user=add_member(org), permission="read")
    expiry = in_days(2)
    added, removed = acl_batch_update(actor=owner, add=[with_expiry(existing_spec, expiry), with_expiry(fresh_spec, expiry)], remove=[])
    assert removed == []
    assert added[0].id == existing.id
    assert [stored_expiry(r) for r in added] == [expiry, expiry]
    assert audit_actions()[-2:] == ["acl.update", "acl.create"]


# Invalid expiries

BAD_EXPIRIES = {
    "garbage": ("next tuesday", "ISO 8601"),
    "impossible_date": ("2999-13-45T00:00:00Z", "ISO 8601"),
    "a_number": (1893456000, "ISO 8601"),
    "a_boolean": (True, "ISO 8601"),
    "a_list": (["2999-01-01T00:00:00Z"], "ISO 8601"),
    "an_empty_string": ("", "ISO 8601"),
    "naive_text": ("2999-01-01T00:00:00", "UTC offset"),
    "date_only": ("2999-01-01", "UTC offset"),
    "past": ("2001-01-01T00:00:00Z", "in the future"),
    "past_by_a_second": (lambda: (timezone.now() - timedelta(seconds=1)).isoformat(), "in the future"),  # made when the test runs
    "naive_datetime": (datetime(2999, 1, 1), "UTC offset"),
    "beyond_the_calendar_in_utc": ("9999-12-31T23:00:00-05:00", "out of range"),
}


@pytest.mark.parametrize("case", BAD_EXPIRIES)
def test_an_invalid_expiry_is_refused_naming_expires_at_and_writes_nothing(case):
    value, message = BAD_EXPIRIES[case]
    value = value() if callable(value) else value
    _, owner, spec = new_spec(STORES["guardian-user"])
    before, actions = snapshot(), audit_actions()
    with pytest.raises(ValidationError) as refused:
        acl_grant(actor=owner, spec=GrantSpec.from_dict(as_data(spec, value)))
    assert "expires_at" in str(refused.value.message)
    assert message in str(refused.value.message)
    assert (snapshot(), audit_actions()) == (before, actions)


def test_an_invalid_expiry_leaves_an_existing_grant_as_it_was():
    _, owner, spec = new_spec(STORES["role"], expires_at=in_days(3))
    record = acl_grant(actor=owner, spec=spec)
    before, actions = snapshot(), audit_actions()
    with pytest.raises(ValidationError, match="expires_at"):
        acl_grant(actor=owner, spec=with_expiry(spec, in_days(-1)))
    assert (snapshot(), audit_actions()) == (before, actions)
    assert stored_expiry(record) == record.expires_at


def test_a_batch_with_one_invalid_expiry_writes_nothing():
    org, owner, spec = new_spec(STORES["guardian-user"])
    existing = acl_grant(actor=owner, spec=spec)
    good = with_expiry(spec, in_days(2))
    bad = with_expiry(spec_for(Node("org_project", org.pk), user=add_member(org), permission="read"), in_days(-2))
    before, actions = snapshot(), audit_actions()
    with pytest.raises(ValidationError, match="expires_at"):
        acl_batch_update(actor=owner, add=[good, bad], remove=[])
    assert (snapshot(), audit_actions()) == (before, actions)
    assert stored_expiry(existing) is None


# The Owners group


@pytest.mark.parametrize("on", ["organization", "project"])
def test_a_grant_to_the_owners_group_cannot_carry_an_expiry(on):
    org = OrganizationFactory()
    node = Node("organization", org.pk) if on == "organization" else Node.of(ProjectFactory(org=org))
    spec = spec_for(node, group=builtin_group(org, "owners"), permission="read", restrict=None)
    spec = with_expiry(spec, in_days(10))
    before, actions = snapshot(), audit_actions()
    with pytest.raises(ValidationError, match=r"expires_at.*Owners"):
        acl_grant(actor=owner_of(org), spec=spec)
    assert (snapshot(), audit_actions()) == (before, actions)


def test_the_owners_grants_on_the_organization_keep_no_expiry():
    org = OrganizationFactory()
    owners_read = spec_for(Node("organization", org.pk), group=builtin_group(org, "owners"), permission="read")
    (record,) = grant_records(nodes=[record_node(owners_read)], group_id=owners_read.group_id, permission="read")
    assert record.expires_at is None
    with pytest.raises(ValidationError, match="expires_at"):
        acl_grant(actor=owner_of(org), spec=with_expiry(owners_read, in_days(1)))
    assert stored_expiry(record) is None
    # Granting it again without an expiry is still the idempotent no-op it always was.
    assert acl_grant(actor=owner_of(org), spec=owners_read) == record


# Which reads leave expired grants out


@each_store
def test_reads_leave_out_an_expired_grant_and_keep_a_live_expiring_one(make):
    org, owner, spec = new_spec(make, expires_at=in_days(1))
    record = acl_grant(actor=owner, spec=spec)
    shown = lambda: {r.id for r in grant_records(org_id=org.pk)}  # noqa: E731
    assert record.id in shown()
    raw_grant_expiry(record, in_days(-1))
    assert record.id not in shown()
    assert record.id not in {r.id for r in grant_records(nodes=[record.node])}
    assert record.id in {r.id for r in grant_records(org_id=org.pk, include_expired=True)}


def test_a_grant_stops_being_listed_at_the_very_instant_it_expires(monkeypatch):
    org, owner, spec = new_spec(STORES["restricted"], expires_at=in_days(1))
    record = acl_grant(actor=owner, spec=spec)

    def listed_at(instant: datetime) -> bool:
        monkeypatch.setattr(timezone, "now", lambda: instant)
        return record.id in {r.id for r in grant_records(org_id=org.pk)}

    assert listed_at(record.expires_at - timedelta(microseconds=1))
    assert not listed_at(record.expires_at)
    assert not listed_at(record.expires_at + timedelta(microseconds=1))


# Removing expired grants


@pytest.mark.parametrize("how", ["by_id", "by_spec", "in_a_batch"])
@each_store
def test_an_expired_grant_not_yet_purged_can_still_be_revoked(make, how):
    _, owner, spec = new_spec(make, expires_at=in_days(1))
    record = acl_grant(actor=owner, spec=spec)
    raw_grant_expiry(record, in_days(-1))
    plain = with_expiry(spec, None)
    if how == "by_id":
        removed = acl_revoke(actor=owner, grant_id=record.id)
    elif how == "by_spec":
        removed = acl_revoke_matching(actor=owner, spec=plain)
    else:
        _, (removed,) = acl_batch_update(actor=owner, add=[], remove=[plain])
    assert removed.id == record.id
    assert grant_records(ids=[record.id], include_expired=True) == []
    event = AuditEvent.objects.get(action="acl.delete", target_id=str(record.id))
    assert event.before["expires_at"] is not None


@pytest.mark.parametrize("how", ["by_spec", "in_a_batch"])
def test_naming_an_expiry_when_removing_a_grant_is_refused(how):
    expiry = in_days(1)
    _, owner, spec = new_spec(STORES["guardian-user"], expires_at=expiry)
    acl_grant(actor=owner, spec=spec)
    before, actions = snapshot(), audit_actions()
    with pytest.raises(ValidationError, match="expires_at"):
        if how == "by_spec":
            acl_revoke_matching(actor=owner, spec=spec)
        else:
            acl_batch_update(actor=owner, add=[], remove=[spec])
    assert (snapshot(), audit_actions()) == (before, actions)


def test_removing_a_member_deletes_their_expired_grants_too():
    org, owner, spec = new_spec(STORES["guardian-user"], expires_at=in_days(1))
    record = acl_grant(actor=owner, spec=spec)
    raw_grant_expiry(record, in_days(-1))
    member_remove(actor=owner, org=org, user=User.objects.get(pk=record.user_id))
    assert grant_records(ids=[record.id], include_expired=True) == []
