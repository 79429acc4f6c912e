"""Granting and revoking access, one grant at a time or in atomic batches.

A grant may carry ``expires_at``; from that instant it counts for nothing (docs/access-model.md, "Grants").
The expiry is not part of what a grant says: granting again what exists with another expiry changes the
expiry of the grant that exists (``acl.update``), and removing a grant finds it whatever its expiry, even
one that has passed and whose row the cleanup job has not deleted yet. Granting again without a word on
the expiry (a client that knows nothing of it, a ticked box) leaves a live grant's expiry as it is and
makes a passed one permanent; ``expires_at: null`` clears it.
"""

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from permissions.audit import record_event
from permissions.audit_states import grant_state
from permissions.engine import invalidate_access_cache
from permissions.engine.guards import require
from permissions.engine.nodes import Node, grant_tables, is_concrete, model_for_type
from permissions.exceptions import NotFound, ValidationError
from permissions.grants import GrantRecord, grant_records, guardian_tables, resolve_chain
from permissions.models import AclGrant, PermissionGroup, Role
from permissions.permission_rows import permission_row
from permissions.types import ALL_PERMISSIONS, ObjectType


@dataclass(frozen=True)
class GrantSpec:
    """What a grant says, as given by a caller: validated by :func:`validate_spec`."""

    object_type: str
    object_id: UUID
    user_id: UUID | None = None
    group_id: UUID | None = None
    permission: str | None = None
    role_id: UUID | None = None
    restrict_object_type: str | None = None
    expires_at: datetime | None = None  # when the grant stops counting; never if None
    # With expires_at None: whether the caller said so (null), which clears an existing grant's expiry,
    # rather than saying nothing, which keeps it.
    clears_expiry: bool = False

    def grantee_and_permission(self) -> dict:
        """Whom the grant is to and what it gives, as :class:`GrantRecord` and ``grant_records`` name them."""
        return {
            "user_id": self.user_id,
            "group_id": self.group_id,
            "permission": self.permission,
            "role_id": self.role_id,
            "restrict_object_type": self.restrict_object_type,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "GrantSpec":
        unknown = set(data) - {f for f in cls.__dataclass_fields__}
        if unknown:
            raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
        try:
            return cls(
                object_type=data.get("object_type"),
                object_id=_uuid_or_none(data.get("object_id"), "object_id"),
                user_id=_uuid_or_none(data.get("user_id"), "user_id"),
                group_id=_uuid_or_none(data.get("group_id"), "group_id"),
                permission=data.get("permission"),
                role_id=_uuid_or_none(data.get("role_id"), "role_id"),
                restrict_object_type=data.get("restrict_object_type") or None,
                expires_at=_datetime_or_none(data.get("expires_at"), "expires_at"),
                clears_expiry="expires_at" in data and data["expires_at"] is None,
            )
        except TypeError as exc:
            raise ValidationError(str(exc)) from exc


def _datetime_or_none(value, field: str) -> datetime | None:
    """An ISO 8601 date and time as given (whether it names its offset is for :func:`validate_spec`)."""
    if value is None or isinstance(value, datetime):
        return value
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:  # well formed but impossible, such as a 13th month
        parsed = None
    if parsed is None:
        raise ValidationError(f"{field} must be an ISO 8601 date and time with a UTC offset, not {value!r}.")
    return parsed


def _uuid_or_none(value, field: str) -> UUID | None:
    if value in (None, ""):
        return None
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except ValueError as exc:
        raise ValidationError(f"{field} must be a UUID, not {value!r}.") from exc


def validate_spec(spec: GrantSpec, *, removing: bool = False) -> None:
    """Refuse a spec that cannot be a grant; `removing` for one that names a grant to remove, which is
    found by what it says, never by its expiry."""
    if spec.object_type not in ObjectType.values:
        raise ValidationError(f"object_type must be one of {', '.join(ObjectType.values)}, not {spec.object_type!r}.")
    if spec.object_id is None:
        raise ValidationError("object_id is required.")
    if (spec.user_id is None) == (spec.group_id is None):
        raise ValidationError("Exactly one of user_id and group_id must be given.")
    if (spec.permission is None) == (spec.role_id is None):
        raise ValidationError("Exactly one of permission and role_id must be given.")
    if spec.permission is not None and spec.permission not in ALL_PERMISSIONS:
        raise ValidationError(f"permission must be one of {', '.join(ALL_PERMISSIONS)}, not {spec.permission!r}.")
    if spec.restrict_object_type is not None:
        if spec.role_id is not None:
            raise ValidationError("restrict_object_type cannot be set together with role_id.")
        if spec.restrict_object_type not in ObjectType.values:
            raise ValidationError(f"restrict_object_type must be an object type, not {spec.restrict_object_type!r}.")
    if spec.expires_at is not None:
        if removing:
            raise ValidationError("expires_at applies when adding a grant; leave it out to remove one.")
        _validate_expiry(spec.expires_at)


def _validate_expiry(expires_at: datetime) -> None:
    if not isinstance(expires_at, datetime):
        raise ValidationError(f"expires_at must be a date and time, not {expires_at!r}.")
    if timezone.is_naive(expires_at):
        raise ValidationError("expires_at must name its UTC offset (such as Z or +02:00).")
    try:
        in_utc = expires_at.astimezone(UTC)
    except OverflowError as exc:  # an offset that takes the instant past the year 9999
        raise ValidationError("expires_at is out of range.") from exc
    if in_utc <= timezone.now():
        raise ValidationError("expires_at must be in the future.")


def _resolve_subjects(spec: GrantSpec, org_id: UUID):
    """The user, group and role the spec names, each required to belong to the node's organization."""
    user = group = role = None
    if spec.user_id is not None:
        user = get_user_model().objects.filter(pk=spec.user_id, memberships__org_id=org_id).first()
        if user is None:
            raise ValidationError(f"user_id {spec.user_id} is not a member of this organization.")
    if spec.group_id is not None:
        group = PermissionGroup.objects.select_related("auth_group").filter(pk=spec.group_id, org_id=org_id).first()
        if group is None:
            raise ValidationError(f"group_id {spec.group_id} is not a group of this organization.")
    if spec.role_id is not None:
        role = (
            Role.objects.filter(pk=spec.role_id).filter(org_id__isnull=True).first()
            or Role.objects.filter(pk=spec.role_id, org_id=org_id).first()
        )
        if role is None:
            raise ValidationError(f"role_id {spec.role_id} is not a role of this organization.")
    return user, group, role


def _existing(spec: GrantSpec) -> GrantRecord | None:
    """The grant that says what `spec` says, whatever its expiry (even a passed one not yet purged)."""
    says = spec.grantee_and_permission()
    matches = grant_records(nodes=[Node(spec.object_type, spec.object_id)], include_expired=True, **says)
    return next((record for record in matches if all(getattr(record, field) == value for field, value in says.items())), None)


def _node_org(node: Node) -> UUID:
    chain = resolve_chain(node)
    if chain is None:
        raise NotFound(node.type, node.id)
    return chain[-1].id


def _write(spec: GrantSpec, org_id: UUID, user, group, role) -> tuple[GrantRecord, bool]:
    """Write the grant; also say whether this call made it (False when a concurrent identical grant won).

    The row is built from what the caller has already read, and the grant is answered from the row
    written, not read back: granting is what every world the tests build and every ticked box does.
    """
    if _held_by_guardian(spec):
        tables = grant_tables(spec.object_type)
        table, subject = (tables.user, {"user": user}) if user is not None else (tables.group, {"group": group.auth_group})
        # The row guardian's assign_perm writes; its save() checks the permission is one of the object's type.
        row = table(
            permission=permission_row(spec.object_type, spec.permission),
            content_object=model_for_type(spec.object_type)(pk=spec.object_id),
            expires_at=spec.expires_at,
            **subject,
        )
    else:
        row = AclGrant(
            org_id=org_id,
            object_type=spec.object_type,
            object_id=spec.object_id,
            user=user,
            group=group,
            permission=spec.permission,
            role=role,
            restrict_object_type=spec.restrict_object_type or "",
            expires_at=spec.expires_at,
        )
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:
        # A concurrent identical grant won: the grant exists, which is what was asked.
        record = _existing(spec)
        if record is None:
            raise RuntimeError("A grant that a concurrent change made could not be read.") from None
        return record, False
    record = GrantRecord(
        id=row.pk,
        object_type=spec.object_type,
        object_id=spec.object_id,
        **spec.grantee_and_permission(),
        org_id=org_id,
        created=row.created,
        expires_at=spec.expires_at.astimezone(UTC) if spec.expires_at else None,  # as a read answers it
    )
    return record, True


def _held_by_guardian(spec: GrantSpec) -> bool:
    """Whether the grant goes to guardian's table of its object type (a permission, unrestricted, on a
    concrete object) rather than to ``AclGrant``; :attr:`GrantRecord.in_guardian` says it of a record."""
    return is_concrete(spec.object_type) and spec.permission is not None and spec.restrict_object_type is None


def _add(actor, spec: GrantSpec) -> GrantRecord:
    """Add the grant `spec` says; if it exists, give it the spec's expiry (a change of its own, audited as
    ``acl.update``), or leave it as it is when the expiry is the same too."""
    validate_spec(spec)
    node = Node(spec.object_type, spec.object_id)
    org_id = _node_org(node)
    require(actor, "create_acls", node)
    user, group, role = _resolve_subjects(spec, org_id)
    if spec.expires_at is not None and is_owners_group(spec.group_id, org_id):
        raise ValidationError("expires_at cannot be set on a grant to the Owners group: an organization keeps its owners' grants.")
    existing = _existing(spec)
    if existing is not None:
        changed = _set_expiry(actor, existing, _expiry_wanted(spec, existing))
        if changed is not None:
            return changed
        # The row went (revoked, or purged once expired) since it was read: the grant is made anew.
    record, created = _write(spec, org_id, user, group, role)
    if created:
        record_event(actor=actor, org=org_id, action="acl.create", target_type="acl", target_id=record.id, after=grant_state(record))
        return record
    # An identical grant was made meanwhile by someone else (their change, audited there); the expiry
    # asked for here is still this call's to give.
    return _set_expiry(actor, record, _expiry_wanted(spec, record)) or record


def _expiry_wanted(spec: GrantSpec, existing: GrantRecord) -> datetime | None:
    """The expiry the grant that exists gets from `spec`: the spec's when it names one (or null), else
    its own while it is live, and none once it has passed (granting again renews an expired grant)."""
    if spec.expires_at is not None or spec.clears_expiry:
        return spec.expires_at
    if existing.expires_at is not None and existing.expires_at <= timezone.now():
        return None
    return existing.expires_at


def _rows_of(record: GrantRecord) -> models.QuerySet:
    """The one row that holds `record`, in whichever table holds it."""
    if not record.in_guardian:
        return AclGrant.objects.filter(pk=record.id)
    subject = "user" if record.user_id is not None else "group"
    (table,) = (t for t in guardian_tables() if t.object_type == record.object_type and t.subject == subject)
    return table.model.objects.filter(pk=record.id)


def _set_expiry(actor, record: GrantRecord, expires_at: datetime | None) -> GrantRecord | None:
    """Give the grant `record` the expiry `expires_at` (None: never), auditing the change as ``acl.update``
    with the grant before and after. The row is locked first, so that the event's "before" is what the
    change replaced even when two changes race. None if the row no longer exists."""
    if record.expires_at == expires_at:
        return record  # an identical grant: nothing to change, nothing to audit
    rows = _rows_of(record)
    current = list(rows.select_for_update().values_list("expires_at", flat=True))
    if not current:
        return None
    before = replace(record, expires_at=current[0])
    if before.expires_at == expires_at:
        return before
    rows.update(expires_at=expires_at)
    after = replace(record, expires_at=expires_at.astimezone(UTC) if expires_at else None)  # as a read answers it
    record_event(
        actor=actor,
        org=record.org_id,
        action="acl.update",
        target_type="acl",
        target_id=record.id,
        before=grant_state(before),
        after=grant_state(after),
    )
    return after


def is_owners_group(group_id: UUID | None, org_id: UUID) -> bool:
    """Whether `group_id` is the Owners group of the organization `org_id`, whose grants there stay for good
    (docs/access-model.md, "Built-in groups")."""
    if group_id is None:
        return False
    return PermissionGroup.objects.filter(pk=group_id, org_id=org_id, builtin=PermissionGroup.Builtin.OWNERS).exists()


def _is_owners_grant(record: GrantRecord) -> bool:
    return record.object_type == "organization" and record.in_guardian and is_owners_group(record.group_id, record.object_id)


def _remove(actor, record: GrantRecord) -> GrantRecord:
    require(actor, "delete_acls", record.node)
    if _is_owners_grant(record):
        raise ValidationError("The Owners group's grants on the organization cannot be removed.")
    _rows_of(record).delete()
    record_event(actor=actor, org=record.org_id, action="acl.delete", target_type="acl", target_id=record.id, before=grant_state(record))
    return record


def _find(spec: GrantSpec) -> GrantRecord:
    validate_spec(spec, removing=True)
    record = _existing(spec)
    if record is None:
        raise NotFound("acl")
    return record


@transaction.atomic
def acl_grant(*, actor, spec: GrantSpec) -> GrantRecord:
    """Add a grant; an existing grant that says the same is returned instead of a duplicate, with its
    expiry changed to the spec's if that differs (``acl.update``). A grant to the Owners group never
    expires."""
    record = _add(actor, spec)
    invalidate_access_cache()
    return record


def get_grant(grant_id: UUID) -> GrantRecord | None:
    """The grant with this id, expired or not: a passed expiry is shown as it is, and the grant can still
    be revoked until the cleanup job deletes it."""
    records = grant_records(ids=[grant_id], include_expired=True)
    return records[0] if records else None


@transaction.atomic
def acl_revoke(*, actor, grant_id: UUID) -> GrantRecord:
    """Remove the grant with this id."""
    record = get_grant(grant_id)
    if record is None:
        raise NotFound("acl", grant_id)
    _remove(actor, record)
    invalidate_access_cache()
    return record


@transaction.atomic
def acl_revoke_matching(*, actor, spec: GrantSpec) -> GrantRecord:
    """Remove the grant that says exactly what `spec` says."""
    record = _remove(actor, _find(spec))
    invalidate_access_cache()
    return record


@transaction.atomic
def acl_batch_update(*, actor, add: list[GrantSpec], remove: list[GrantSpec]) -> tuple[list[GrantRecord], list[GrantRecord]]:
    """Add and remove grants all together: one refused item refuses the whole batch and writes nothing.

    Adding a grant that exists, or removing one that does not, has no effect (the permission to do so is
    still required), except that adding one that exists with another expiry changes its expiry.
    """
    added = [_add(actor, spec) for spec in add]
    removed = []
    for spec in remove:
        validate_spec(spec, removing=True)
        require(actor, "delete_acls", Node(spec.object_type, spec.object_id))
        record = _existing(spec)
        if record is not None:  # removing a grant that does not exist has no effect
            removed.append(_remove(actor, record))
    invalidate_access_cache()
    return added, removed
