"""Granting and revoking access, one grant at a time or in atomic batches."""

from dataclasses import dataclass
from uuid import UUID

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction

from permissions.audit import record_event
from permissions.engine import invalidate_access_cache
from permissions.engine.guards import require
from permissions.engine.nodes import Node, grant_tables, is_concrete, model_for_type
from permissions.exceptions import NotFound, ValidationError
from permissions.grants import GrantRecord, grant_records, guardian_tables, resolve_chain
from permissions.models import AclGrant, PermissionGroup, Role
from permissions.types import ALL_PERMISSIONS, ObjectType, codename


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
            )
        except TypeError as exc:
            raise ValidationError(str(exc)) from exc


def _uuid_or_none(value, field: str) -> UUID | None:
    if value in (None, ""):
        return None
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except ValueError as exc:
        raise ValidationError(f"{field} must be a UUID, not {value!r}.") from exc


def validate_spec(spec: GrantSpec) -> None:
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
    matches = grant_records(
        nodes=[Node(spec.object_type, spec.object_id)],
        user_id=spec.user_id,
        group_id=spec.group_id,
        permission=spec.permission,
        role_id=spec.role_id,
        restrict_object_type=spec.restrict_object_type,
    )
    for record in matches:
        if (record.user_id, record.group_id, record.permission, record.role_id, record.restrict_object_type) == (
            spec.user_id,
            spec.group_id,
            spec.permission,
            spec.role_id,
            spec.restrict_object_type,
        ):
            return record
    return None


def _node_org(node: Node) -> UUID:
    chain = resolve_chain(node)
    if chain is None:
        raise NotFound(node.type, node.id)
    return chain[-1].id


def _write(spec: GrantSpec, org_id: UUID, user, group, role) -> tuple[GrantRecord, bool]:
    """Write the grant; also say whether this call made it (False when a concurrent identical grant won)."""
    if is_concrete(spec.object_type) and spec.permission is not None and spec.restrict_object_type is None:
        target = model_for_type(spec.object_type)._base_manager.get(pk=spec.object_id)
        tables = grant_tables(spec.object_type)
        permission = Permission.objects.get(
            content_type=ContentType.objects.get_for_model(target), codename=codename(spec.permission, spec.object_type)
        )
        subject = {"user": user} if user is not None else {"group": group.auth_group}
        table = tables.user if user is not None else tables.group
        # The same write guardian's assign_perm makes, keeping get_or_create's answer to "was it new?".
        _, created = table.objects.get_or_create(permission=permission, content_object=target, **subject)
    else:
        try:
            with transaction.atomic():
                AclGrant.objects.create(
                    org_id=org_id,
                    object_type=spec.object_type,
                    object_id=spec.object_id,
                    user=user,
                    group=group,
                    permission=spec.permission,
                    role=role,
                    restrict_object_type=spec.restrict_object_type or "",
                )
            created = True
        except IntegrityError:
            created = False  # A concurrent identical grant won: the grant exists, which is what was asked.
    record = _existing(spec)
    if record is None:
        raise RuntimeError("A grant just written could not be read back.")
    return record, created


def _audit_state(record: GrantRecord) -> dict:
    return {
        "object_type": record.object_type,
        "object_id": str(record.object_id),
        "user_id": str(record.user_id) if record.user_id else None,
        "group_id": str(record.group_id) if record.group_id else None,
        "permission": record.permission,
        "role_id": str(record.role_id) if record.role_id else None,
        "restrict_object_type": record.restrict_object_type,
    }


def _add(actor, spec: GrantSpec) -> GrantRecord:
    validate_spec(spec)
    node = Node(spec.object_type, spec.object_id)
    org_id = _node_org(node)
    require(actor, "create_acls", node)
    user, group, role = _resolve_subjects(spec, org_id)
    existing = _existing(spec)
    if existing is not None:
        return existing
    record, created = _write(spec, org_id, user, group, role)
    if created:  # an identical grant made meanwhile by someone else was their change, audited there
        record_event(actor=actor, org=_org(org_id), action="acl.create", target_type="acl", target_id=record.id, after=_audit_state(record))
    return record


def _org(org_id: UUID):
    return model_for_type("organization")._base_manager.get(pk=org_id)


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
    if record.in_guardian:
        for table in guardian_tables():
            if table.object_type == record.object_type:
                table.model.objects.filter(pk=record.id).delete()
    else:
        AclGrant.objects.filter(pk=record.id).delete()
    record_event(
        actor=actor, org=_org(record.org_id), action="acl.delete", target_type="acl", target_id=record.id, before=_audit_state(record)
    )
    return record


def _find(spec: GrantSpec) -> GrantRecord:
    validate_spec(spec)
    record = _existing(spec)
    if record is None:
        raise NotFound("acl")
    return record


@transaction.atomic
def acl_grant(*, actor, spec: GrantSpec) -> GrantRecord:
    """Add a grant; an identical existing grant is returned instead of a duplicate."""
    record = _add(actor, spec)
    invalidate_access_cache()
    return record


def get_grant(grant_id: UUID) -> GrantRecord | None:
    records = grant_records(ids=[grant_id])
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
    still required).
    """
    added = [_add(actor, spec) for spec in add]
    removed = []
    for spec in remove:
        validate_spec(spec)
        require(actor, "delete_acls", Node(spec.object_type, spec.object_id))
        record = _existing(spec)
        if record is not None:  # removing a grant that does not exist has no effect
            removed.append(_remove(actor, record))
    invalidate_access_cache()
    return added, removed
