"""Deleting the grants and group memberships whose ``expires_at`` has passed.

From its ``expires_at`` on, a grant, a member group or a user's membership of a group counts for nothing
(docs/access-model.md, "Grants"): the engine ignores it on the very next request, so no decision waits for
this job. The job removes the rows that no longer mean anything, so that grant lists, group pages and the
audit log say what holds. Run it periodically: ``manage.py purge_expired_access``.

Each organization is worked through in batches, each its own short transaction that first locks the
organization's row, as every change to its groups does: no batch waits long or keeps anyone waiting long,
and two runs at once take an organization's batches in turn, the later one reading what the earlier one
left. A row is audited only when this run's statement deleted it, so a row removed first by another run,
or by a person, is never audited twice.

Holding the organization's row, a batch never waits for the lock of another row: it locks the rows it
deletes with SKIP LOCKED and leaves one that someone is changing at that moment to them, or to the next
run. Waiting would risk a deadlock, since a change to a grant or a membership locks its own row first and
the organization's row after (the triggers that move its versions).

Two kinds of expired row stay, because removing them would break a rule the services keep: a grant of
Owners on its organization, and the membership of the last direct member of Owners. The services never
set an expiry on either; the run counts them in ``kept``.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.db.models import F, UUIDField, Value
from django.db.models.functions import Cast
from django.utils import timezone

from permissions.audit import record_event, request_origin
from permissions.engine import invalidate_access_cache
from permissions.engine.nodes import chain_plan, grant_tables, is_concrete
from permissions.exceptions import ValidationError
from permissions.models import AclGrant, GroupMembershipExpiry, GroupNesting, PermissionGroup
from permissions.services.groups import ensure_owner_remains, group_state
from permissions.types import ObjectType, parse_codename

BATCH_SIZE = 500

# Where the audit events of a run say they come from.
ORIGIN = {"channel": "system", "job": "purge_expired_access"}

Row = dict[str, Any]


@dataclass
class PurgeResult:
    """What one run removed, by kind, and how many expired rows it had to keep."""

    grants: int = 0
    member_groups: int = 0
    member_users: int = 0
    kept: int = 0
    organizations: set[UUID | None] = field(default_factory=set)  # those it removed something of

    @property
    def removed(self) -> int:
        return self.grants + self.member_groups + self.member_users


def purge_expired_access(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> PurgeResult:
    """Delete every grant (in :class:`AclGrant` and in every guardian table), member group and user
    membership that expired at or before `now` (default: the start of the run), writing one audit event
    per row removed, each in the transaction that removes it, by nobody, from this job."""
    now = now or timezone.now()
    if timezone.is_naive(now):
        raise ValueError("now must be a date and time with its time zone.")
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1.")
    result = PurgeResult()
    with request_origin(**ORIGIN):
        for source in _grant_sources(now):
            result.kept += source.kept.count()
            _in_batches(source.expired, batch_size, result, partial(_remove_grants, source=source, now=now, result=result))
        nestings = GroupNesting.objects.filter(expires_at__lte=now).values("pk", "group_id", r_org=F("group__org_id"))
        _in_batches(nestings, batch_size, result, partial(_remove_member_groups, now=now, result=result))
        memberships = GroupMembershipExpiry.objects.filter(expires_at__lte=now)
        memberships = memberships.values("pk", "user_id", "group_id", r_org=F("group__org_id"))
        _in_batches(memberships, batch_size, result, partial(_remove_member_users, now=now, result=result))
    return result


# Batches


def _organization_model() -> type[models.Model]:
    return PermissionGroup._meta.get_field("org").related_model


def _in_batches(expired: models.QuerySet, batch_size: int, result: PurgeResult, remove: Callable[[Any, list[Row]], None]) -> None:
    """Hands `remove` the rows of `expired` (values with ``pk`` and the organization's id as ``r_org``),
    one organization at a time and at most `batch_size` rows at a time, each batch in a transaction of
    its own that starts by locking the organization's row."""
    org_ids = sorted(set(expired.order_by().values_list("r_org", flat=True).distinct()), key=lambda org_id: str(org_id or ""))
    for org_id in org_ids:
        of_org = expired.filter(r_org=org_id) if org_id is not None else expired.filter(r_org__isnull=True)
        last = None
        while True:
            with transaction.atomic():
                org, rows = None, []
                if org_id is not None:
                    # Locked as lock_organization locks it: first, in the order of every change to its groups.
                    org = _organization_model()._base_manager.select_for_update(no_key=True).filter(pk=org_id).first()
                if org is not None or org_id is None:  # else deleted meanwhile, with everything it held
                    batch = of_org if last is None else of_org.filter(pk__gt=last)
                    rows = list(batch.order_by("pk")[:batch_size])
                if rows:
                    removed = result.removed
                    remove(org, rows)
                    if result.removed > removed:
                        result.organizations.add(org_id)
                    invalidate_access_cache()
            if len(rows) < batch_size:
                break
            last = rows[-1]["pk"]


# Grants


@dataclass(frozen=True)
class _GrantSource:
    """The expired grants of one table, as values named alike whatever the table, and the expired rows of
    that table the job keeps."""

    model: type[models.Model]
    object_type: str | None  # None: AclGrant, whose rows name their type
    expired: models.QuerySet
    kept: models.QuerySet


def _null_uuid() -> Cast:
    return Cast(Value(None), output_field=UUIDField())


def _grant_sources(now: datetime) -> list[_GrantSource]:
    acl = AclGrant.objects.filter(expires_at__lte=now).values(
        "pk",
        "object_type",
        "object_id",
        "user_id",
        "group_id",
        "permission",
        "role_id",
        "restrict_object_type",
        "expires_at",
        r_org=F("org_id"),
    )
    sources = [_GrantSource(AclGrant, None, acl, AclGrant.objects.none())]
    for object_type in ObjectType.values:
        if not is_concrete(object_type):
            continue
        org_lookup = chain_plan(object_type).org_lookup
        org_path = "content_object_id" if org_lookup == "pk" else f"content_object__{org_lookup}"
        tables = grant_tables(object_type)
        for model, subject in ((tables.user, "user"), (tables.group, "group")):
            expired = model.objects.filter(expires_at__lte=now)
            kept = model.objects.none()
            if object_type == "organization" and subject == "group":
                # Owners' grants on the organization stay for good (docs/access-model.md, "Built-in groups").
                owners = {"group__permission_group__builtin": PermissionGroup.Builtin.OWNERS}
                kept = expired.filter(**owners)
                expired = expired.exclude(**owners)
            rows = expired.values(
                "pk",
                "expires_at",
                object_id=F("content_object_id"),
                r_user=F("user_id") if subject == "user" else _null_uuid(),
                r_group=F("group__permission_group__id") if subject == "group" else _null_uuid(),
                r_permission=F("permission__codename"),
                r_org=F(org_path),
            )
            sources.append(_GrantSource(model, object_type, rows, kept))
    return sources


def _text(value) -> str | None:
    return str(value) if value is not None else None


def _grant_state(row: Row, object_type: str | None) -> dict:
    """The state an ``acl.delete`` event records, as the grant services record it, with the expiry."""
    if object_type is None:
        state = {
            "object_type": row["object_type"],
            "object_id": str(row["object_id"]),
            "user_id": _text(row["user_id"]),
            "group_id": _text(row["group_id"]),
            "permission": row["permission"],
            "role_id": _text(row["role_id"]),
            "restrict_object_type": row["restrict_object_type"] or None,
        }
    else:
        parsed = parse_codename(row["r_permission"])
        state = {
            "object_type": object_type,
            "object_id": str(row["object_id"]),
            "user_id": _text(row["r_user"]),
            "group_id": _text(row["r_group"]),
            "permission": parsed[0] if parsed else row["r_permission"],
            "role_id": None,
            "restrict_object_type": None,
        }
    return {**state, "expires_at": row["expires_at"].isoformat()}


def _lock_free(rows: models.QuerySet) -> set:
    """The primary keys of those of `rows` that nobody else has locked, now locked by this transaction."""
    return set(rows.select_for_update(skip_locked=True).values_list("pk", flat=True))


def _remove_grants(org, rows: list[Row], *, source: _GrantSource, now: datetime, result: PurgeResult) -> None:
    free = _lock_free(source.model.objects.filter(pk__in=[row["pk"] for row in rows], expires_at__lte=now))
    for row in rows:
        if row["pk"] not in free:  # removed meanwhile, or being changed right now: by and for someone else
            continue
        deleted, _ = source.model.objects.filter(pk=row["pk"]).delete()
        if deleted:
            before = _grant_state(row, source.object_type)
            record_event(actor=None, org=org, action="acl.delete", target_type="acl", target_id=row["pk"], before=before)
            result.grants += 1


# Memberships


def _groups_of(rows: list[Row]) -> dict[UUID, PermissionGroup]:
    return PermissionGroup.objects.in_bulk({row["group_id"] for row in rows})


def _record_group_change(org, group: PermissionGroup, states: dict[UUID, dict], before: dict) -> None:
    after = states[group.pk] = group_state(group)
    record_event(actor=None, org=org, action="group.update", target=group, before=before, after=after)


def _remove_member_groups(org, rows: list[Row], *, now: datetime, result: PurgeResult) -> None:
    groups = _groups_of(rows)
    free = _lock_free(GroupNesting.objects.filter(pk__in=[row["pk"] for row in rows], expires_at__lte=now))
    states: dict[UUID, dict] = {}  # each group's state as the last removal left it
    for row in rows:
        if row["pk"] not in free:
            continue
        group = groups[row["group_id"]]
        before = states.get(group.pk) or group_state(group)
        deleted, _ = GroupNesting.objects.filter(pk=row["pk"]).delete()
        if deleted:
            _record_group_change(org, group, states, before)
            result.member_groups += 1


def _keeps_last_direct_owner(org, group: PermissionGroup, user_id: UUID) -> bool:
    if group.builtin != PermissionGroup.Builtin.OWNERS:
        return False
    try:
        ensure_owner_remains(org, removing_user_ids=[user_id])
    except ValidationError:
        return True
    return False


def _remove_member_users(org, rows: list[Row], *, now: datetime, result: PurgeResult) -> None:
    """Removes each expired membership, the row of the user-group relation (a trigger removes its expiry
    row with it), as a removal of the member from its group."""
    memberships = get_user_model().groups.through.objects
    groups = _groups_of(rows)
    free = _lock_free(GroupMembershipExpiry.objects.filter(pk__in=[row["pk"] for row in rows], expires_at__lte=now))
    states: dict[UUID, dict] = {}
    for row in rows:
        if row["pk"] not in free:
            continue
        group = groups[row["group_id"]]
        membership = memberships.filter(user_id=row["user_id"], group_id=group.auth_group_id)
        held = _lock_free(membership)
        if not held:
            if not membership.exists():
                # The expiry of a membership that is gone already: it means nothing, and must not be
                # taken up by a later membership of the same user.
                GroupMembershipExpiry.objects.filter(pk=row["pk"]).delete()
            continue  # else being removed right now by someone else, whose removal takes the expiry too
        if _keeps_last_direct_owner(org, group, row["user_id"]):
            result.kept += 1
            continue
        before = states.get(group.pk) or group_state(group)
        deleted, _ = memberships.filter(pk__in=held).delete()
        if deleted:
            _record_group_change(org, group, states, before)
            result.member_users += 1
