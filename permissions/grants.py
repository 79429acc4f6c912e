"""Reading grants from both stores as one list of :class:`GrantRecord` (Braintrust's ``Acl`` shape).

Direct grants live in guardian's per-model tables and the rest in :class:`AclGrant`; this module is the
one place that knows the split. A read is a single ``UNION ALL`` query whatever the number of tables.

A grant whose ``expires_at`` has come counts for nothing (docs/access-model.md, "Grants"), so reads leave it
out unless they ask for it with ``include_expired``: only the grant services do, to find the row a repeated
grant or a revoke concerns before the cleanup job has deleted it.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from uuid import UUID

from django.db import models
from django.db.models import CharField, F, Q, UUIDField, Value
from django.db.models.functions import Cast
from django.utils import timezone

from permissions.engine.nodes import Node, chain_plan, grant_tables, is_concrete
from permissions.models import AclGrant
from permissions.types import ObjectType, parse_codename

_COLUMNS = (
    "r_id",
    "r_object_type",
    "r_object_id",
    "r_user_id",
    "r_group_id",
    "r_permission",
    "r_role_id",
    "r_restrict",
    "r_org_id",
    "r_created",
    "r_expires_at",
)


@dataclass(frozen=True)
class GrantRecord:
    """One grant, whichever table holds it."""

    id: UUID
    object_type: str
    object_id: UUID
    user_id: UUID | None
    group_id: UUID | None
    permission: str | None
    role_id: UUID | None
    restrict_object_type: str | None
    org_id: UUID
    created: datetime
    expires_at: datetime | None = None  # from this instant it counts for nothing

    @property
    def node(self) -> Node:
        return Node(self.object_type, self.object_id)

    @property
    def in_guardian(self) -> bool:
        return is_concrete(self.object_type) and self.permission is not None and self.restrict_object_type is None


@dataclass(frozen=True)
class GuardianTable:
    object_type: str
    model: type[models.Model]
    subject: str  # "user" or "group"


@cache
def guardian_tables() -> tuple[GuardianTable, ...]:
    tables = []
    for object_type in ObjectType.values:
        if is_concrete(object_type):
            direct = grant_tables(object_type)
            tables.append(GuardianTable(object_type, direct.user, "user"))
            tables.append(GuardianTable(object_type, direct.group, "group"))
    return tuple(tables)


def _null_uuid() -> Cast:
    # Typed, so that PostgreSQL can match the column across the parts of the UNION.
    return Cast(Value(None), output_field=UUIDField())


def _guardian_part(table: GuardianTable, where: dict) -> models.QuerySet | None:
    qs = table.model.objects.all()
    if where.get("object_type") not in (None, table.object_type):
        return None
    if where.get("restricted") or where.get("role_id") or where.get("with_role"):
        return None
    if (where.get("user_id") and table.subject != "user") or (where.get("group_id") and table.subject != "group"):
        return None
    org_lookup = chain_plan(table.object_type).org_lookup
    org_path = "content_object_id" if org_lookup == "pk" else f"content_object__{org_lookup}"
    if where.get("object_ids") is not None:
        qs = qs.filter(content_object_id__in=where["object_ids"])
    if where.get("ids") is not None:
        qs = qs.filter(pk__in=where["ids"])
    if where.get("org_id"):
        qs = qs.filter(**{org_path: where["org_id"]})
    if where.get("user_id"):
        qs = qs.filter(user_id=where["user_id"])
    if where.get("group_id"):
        qs = qs.filter(group__permission_group__id=where["group_id"])
    granted_to = where.get("granted_to")
    if granted_to is not None:
        ids = granted_to.user_ids if table.subject == "user" else granted_to.group_ids
        if not ids:
            return None
        qs = qs.filter(user_id__in=ids) if table.subject == "user" else qs.filter(group__permission_group__id__in=ids)
    if where.get("permission"):
        qs = qs.filter(permission__codename=f"{where['permission']}_{table.object_type}")
    if where.get("live_at") is not None:
        qs = qs.filter(_live_q(where["live_at"]))
    is_user = table.subject == "user"
    return (
        qs.annotate(
            r_id=F("id"),
            r_object_type=Value(table.object_type, output_field=CharField()),
            r_object_id=F("content_object_id"),
            r_user_id=F("user_id") if is_user else _null_uuid(),
            r_group_id=_null_uuid() if is_user else F("group__permission_group__id"),
            r_permission=F("permission__codename"),
            r_role_id=_null_uuid(),
            r_restrict=Value("", output_field=CharField()),
            r_org_id=F(org_path),
            r_created=F("created"),
            r_expires_at=F("expires_at"),
        )
        .order_by()
        .values_list(*_COLUMNS)
    )


def _acl_part(where: dict) -> models.QuerySet:
    qs = AclGrant.objects.all()
    if where.get("object_type"):
        qs = qs.filter(object_type=where["object_type"])
    if where.get("object_ids") is not None:
        qs = qs.filter(object_id__in=where["object_ids"])
    if where.get("nodes") is not None:
        qs = qs.filter(_nodes_q(where["nodes"]))
    for key in ("org_id", "user_id", "group_id", "permission", "role_id"):
        if where.get(key):
            qs = qs.filter(**{key: where[key]})
    granted_to = where.get("granted_to")
    if granted_to is not None:
        qs = qs.filter(Q(user_id__in=granted_to.user_ids) | Q(group_id__in=granted_to.group_ids))
    if where.get("ids") is not None:
        qs = qs.filter(pk__in=where["ids"])
    if where.get("restrict_object_type"):
        qs = qs.filter(restrict_object_type=where["restrict_object_type"])
    if where.get("live_at") is not None:
        qs = qs.filter(_live_q(where["live_at"]))
    return (
        qs.annotate(
            r_id=F("id"),
            r_object_type=F("object_type"),
            r_object_id=F("object_id"),
            r_user_id=F("user_id"),
            r_group_id=F("group_id"),
            r_permission=F("permission"),
            r_role_id=F("role_id"),
            r_restrict=F("restrict_object_type"),
            r_org_id=F("org_id"),
            r_created=F("created"),
            r_expires_at=F("expires_at"),
        )
        .order_by()
        .values_list(*_COLUMNS)
    )


def _live_q(instant: datetime) -> Q:
    """Grants that still count at `instant`: no expiry, or one after it (the engine's rule)."""
    return Q(expires_at__isnull=True) | Q(expires_at__gt=instant)


def _nodes_q(nodes: Iterable[Node]) -> Q:
    """Grants on any of `nodes`: one condition per type, its ids as one list."""
    ids_by_type: dict[str, list[UUID]] = {}
    for node in nodes:
        ids_by_type.setdefault(node.type, []).append(node.id)
    q = Q(pk__in=[])
    for object_type, ids in ids_by_type.items():
        q |= Q(object_type=object_type, object_id__in=ids) if len(ids) > 1 else Q(object_type=object_type, object_id=ids[0])
    return q


@dataclass(frozen=True)
class Subjects:
    """Grants to any of these users (people or service accounts) or these groups."""

    user_ids: tuple[UUID, ...] = ()
    group_ids: tuple[UUID, ...] = ()


def grant_records(
    *,
    nodes: Iterable[Node] | None = None,
    ids: Iterable[UUID] | None = None,
    org_id: UUID | None = None,
    user_id: UUID | None = None,
    group_id: UUID | None = None,
    permission: str | None = None,
    role_id: UUID | None = None,
    restrict_object_type: str | None = None,
    granted_to: Subjects | None = None,
    include_expired: bool = False,
) -> list[GrantRecord]:
    """Grants matching every given filter, from both stores, newest first, in one query.

    Grants whose ``expires_at`` is now or earlier are left out: they count for nothing, whether or not
    the cleanup job has deleted them yet. `include_expired` keeps them, for the services that must find
    such a row to change or remove it (never for what people or programs are shown).
    """
    nodes = list(nodes) if nodes is not None else None
    where = {
        "live_at": None if include_expired else timezone.now(),
        "ids": list(ids) if ids is not None else None,
        "org_id": org_id,
        "user_id": user_id,
        "group_id": group_id,
        "permission": permission,
        "role_id": role_id,
        "restrict_object_type": restrict_object_type,
        "restricted": bool(restrict_object_type),
        "granted_to": granted_to,
    }
    parts = []
    if nodes is not None:
        for node_type in {n.type for n in nodes}:
            if is_concrete(node_type):
                ids_of_type = [n.id for n in nodes if n.type == node_type]
                for table in guardian_tables():
                    if table.object_type == node_type:
                        part = _guardian_part(table, {**where, "object_type": node_type, "object_ids": ids_of_type})
                        if part is not None:
                            parts.append(part)
        parts.append(_acl_part({**where, "nodes": nodes}))
    else:
        for table in guardian_tables():
            part = _guardian_part(table, where)
            if part is not None:
                parts.append(part)
        parts.append(_acl_part(where))
    query = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    records = [_record(row) for row in query]
    records.sort(key=lambda r: (r.created, str(r.id)), reverse=True)
    return records


def _record(row: tuple) -> GrantRecord:
    rid, object_type, object_id, user_id, group_id, permission, role_id, restrict, org_id, created, expires_at = row
    if permission and permission not in ("create", "read", "update", "delete", "create_acls", "read_acls", "update_acls", "delete_acls"):
        parsed = parse_codename(permission)
        permission = parsed[0] if parsed else permission
    return GrantRecord(
        id=_as_uuid(rid),
        object_type=object_type,
        object_id=_as_uuid(object_id),
        user_id=_as_uuid(user_id),
        group_id=_as_uuid(group_id),
        permission=permission or None,
        role_id=_as_uuid(role_id),
        restrict_object_type=restrict or None,
        org_id=_as_uuid(org_id),
        created=created,
        expires_at=expires_at,
    )


def _as_uuid(value) -> UUID | None:
    if value is None or isinstance(value, UUID):
        return value
    return UUID(str(value))


def resolve_chain(node: Node) -> list[Node] | None:
    """The nodes of chain(node), node first; None if the node does not exist or no organization owns it
    (a system role). One query."""
    plan = chain_plan(node.type)
    row = plan.anchor._base_manager.filter(pk=node.id).values_list(*(level.lookup for level in plan.levels)).first()
    if row is None or None in row:
        return None
    return [Node(level.type, value) for level, value in zip(plan.levels, row, strict=True)]


def resolve_chains(nodes: Iterable[Node]) -> dict[Node, list[Node]]:
    """:func:`resolve_chain` of many nodes: one query per type of node. Nodes without a chain are left out."""
    ids_by_type: dict[str, set] = {}
    for node in nodes:
        ids_by_type.setdefault(node.type, set()).add(node.id)
    chains: dict[Node, list[Node]] = {}
    for node_type, ids in ids_by_type.items():
        plan = chain_plan(node_type)
        rows = plan.anchor._base_manager.filter(pk__in=ids).values_list("pk", *(level.lookup for level in plan.levels))
        for pk, *row in rows:
            if None not in row:
                chains[Node(node_type, _as_uuid(pk))] = [Node(level.type, value) for level, value in zip(plan.levels, row, strict=True)]
    return chains
