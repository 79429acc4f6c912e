"""The decision rule of docs/access-model.md for whole lists: :func:`restrict` narrows a queryset in the database.

The rule is stated as a ``Q`` over the model, per organization the principal belongs to:

* the whole organization, when the principal's context holds a grant on one of the organization's own
  nodes (the organization, all its projects, its members, its audit log) that yields the permission: no
  row is tested;
* otherwise the rows reached from the grants below the organization: those whose node, or a node of
  whose chain, carries a matching grant to the principal or one of its groups there.

How the second case is stated decides what the database does, because its planner cannot see how many
rows a subquery of grants reaches:

* a list of projects (one level below the organization), and a lookup or a subquery of another
  statement, keep subqueries: ``id IN (granted ids)``, or the rows under them;
* a list of what projects hold (experiments, datasets, ...) to page or count (``listing``) first reads
  the ids granted at each level (one statement, once per request) and names them in the list's
  statement, ``project_id = ANY(...) OR id = ANY(...)``, levels without grants left out. The planner
  then knows how many there are, and tests every row by hash when they reach most of them, or looks a
  few up by index. Stated with subqueries, a reader granted every project read each row twice, once to
  find it below its project and once to fetch it;
* where the principal was granted more of the listed nodes themselves than :data:`INLINE_OWN_IDS` (or
  more of a level than :data:`READ_GRANTED_IDS`), the rows are found from the grants' subqueries, by
  index: a planner that was told of a thousand ids among a hundred thousand rows chose to scan them all.

So a list's cost follows what the principal may see, not the size of the organization. The subqueries
are raw SQL of a fixed text (see :mod:`permissions.engine.statements`): stated with the ORM, building
and compiling them cost several times what the database spends running them.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cache, reduce
from operator import or_
from uuid import UUID

from django.contrib.auth.models import Permission
from django.db.models import BooleanField, F, Func, Q, QuerySet
from django.db.models.expressions import RawSQL

from permissions.engine.cache import cache_get, cache_set, shared_cache_get, shared_cache_set
from permissions.engine.context import PrincipalContext, load_context, request_stamp, still_valid
from permissions.engine.decision import is_acting_principal
from permissions.engine.nodes import ChainPlan, chain_plan, grant_tables, is_concrete, model_for_type
from permissions.engine.statements import (
    UUID_FIELD,
    any_of,
    as_datetime,
    engine_cursor,
    in_subquery,
    live,
    now_param,
    placeholder_any,
    placeholder_counts,
    prep_uuid,
    uses_arrays,
    uuid_type,
)
from permissions.models import AclGrant
from permissions.types import ALL_PERMISSIONS, codename

# At most this many granted ids are read before a list below projects; past it the list selects them itself.
READ_GRANTED_IDS = 1000
# At most this many ids of the listed nodes themselves are written into its statement; past it, the rows
# are found from their grants by index (a planner that knows of a thousand ids chose to scan every row).
INLINE_OWN_IDS = 100

# The subqueries of one organization's granted ids, by the lookup (from the anchor) of the level they name.
GrantedIds = dict[str, list[RawSQL]]


@dataclass(frozen=True)
class IdsRead:
    """The ids granted at one level, as the list's statement binds them: on PostgreSQL the text of a
    ``uuid[]`` literal, joined from the ids as the database wrote them; on SQLite a list."""

    count: int
    ids: str | list


# The ids read, by organization and lookup, or None where there were more than fit.
GrantedIdsRead = dict[tuple[UUID, str], IdsRead | None]


def restrict(queryset: QuerySet, principal, permission: str = "read", *, node_type: str | None = None, listing: bool = False) -> QuerySet:
    """`queryset` narrowed, in the database, to the rows on which `principal` holds `permission`.

    With `node_type`, the rows stand for the nodes of that type that hang on them instead of for
    themselves: projects as their ``project_log``, organizations as their ``org_member`` or
    ``org_audit_logs`` node ("the projects whose logs the principal may read").

    With `listing`, the queryset is a list to page or count: a list of nodes below projects then reads the
    ids granted at its levels first and names them in its statement (see the module's docstring). A
    lookup, or a subquery of another statement, is better served without that round trip.
    """
    if permission not in ALL_PERMISSIONS:
        raise ValueError(f"Unknown permission {permission!r}.")
    object_type = node_type or queryset.model.acl_object_type
    if node_type is not None and model_for_type(node_type) is not queryset.model:
        raise ValueError(f"{queryset.model.__name__} rows do not stand for {node_type} nodes.")
    if not is_acting_principal(principal):
        return queryset.none()
    context = load_context(principal)
    if not context.member_org_ids:
        return queryset.none()
    return queryset.filter(permission_filter(context, permission, object_type, chain_plan(object_type), listing=listing))


def permission_filter(context: PrincipalContext, permission: str, node_type: str, plan: ChainPlan, *, listing: bool = False) -> Q:
    """A filter on ``plan.anchor`` rows: does the principal hold `permission` on a `node_type` there?"""
    per_org: list[Q] = []
    below: dict[UUID, GrantedIds] = {}
    for org_id in sorted(context.member_org_ids, key=str):
        levels_of_the_organization = [level for level in plan.levels if level.lookup == plan.org_lookup]
        if any(context.holds_organization_wide(org_id, level.type, permission, node_type) for level in levels_of_the_organization):
            per_org.append(Q(**{plan.org_lookup: org_id}))
            continue
        by_column: GrantedIds = {}
        for level in plan.levels:
            if level.lookup != plan.org_lookup:
                by_column.setdefault(level.lookup, []).append(_granted_ids(context, permission, node_type, level.type, org_id))
        if by_column:  # none for the organization's own nodes, which only organization-wide grants reach
            below[org_id] = by_column
    read = None
    if listing and any(len(by_column) > 1 for by_column in below.values()):  # a list of nodes below projects
        read = _granted_ids_of_the_request(context, permission, node_type, below)
    for org_id, by_column in below.items():
        reached = _reached_from_grants(plan, org_id, by_column, read)
        if reached is not None:
            per_org.append(Q(**{plan.org_lookup: org_id}) & reached)
    return reduce(or_, per_org) if per_org else Q(pk__in=[])


def _reached_from_grants(plan: ChainPlan, org_id: UUID, by_column: GrantedIds, read: "GrantedIdsRead | None") -> Q | None:
    """The rows of the organization that its grants below it reach (None: none), from the ids read
    first where there are, else from the grants' subqueries."""
    if read is not None:
        by_column = {lookup: subqueries for lookup, subqueries in by_column.items() if _granted_any(read[org_id, lookup])}
        if not by_column:
            return None
        if all(read[org_id, lookup] is not None for lookup in by_column):
            return reduce(or_, [_is_among(lookup, read[org_id, lookup].ids) for lookup in by_column])
    return Q(pk__in=_union([_rows_under(plan, lookup, _union(subqueries)) for lookup, subqueries in by_column.items()]))


def _granted_ids_of_the_request(
    context: PrincipalContext, permission: str, node_type: str, below: dict[UUID, GrantedIds]
) -> GrantedIdsRead:
    """:func:`_read_granted_ids`, once per request (the request's memo forgets it with any change of grants),
    and kept across requests in the shared cache, stamped with the versions of the principal's
    organizations that the request read with its context: a change of the principal's groups or roles
    moves ``access_version``, a change of a grant on a project or an object in one ``grants_version``
    (database triggers, in the change's own transaction), so a stamp that still matches means the same
    ids. A stamp is read before the ids it is kept with, so it is never newer than they are. No version
    moves when a grant or a membership expires, so the ids are also kept only until the earliest expiry
    among the grants read and the context's."""
    key = ("granted ids", context.principal_id, permission, node_type)
    read = cache_get(key)
    if read is None:
        stamp = request_stamp(context.principal_id)
        shared_key = f"granted-ids:{context.principal_id}:{permission}:{node_type}:{INLINE_OWN_IDS}:{READ_GRANTED_IDS}"
        stored = shared_cache_get(shared_key) if stamp is not None else None
        if stored is not None and stored[0] == stamp and still_valid(stored[2]):
            read = stored[1]
        else:
            read, earliest_expiry = _read_granted_ids(below)
            if stamp is not None:
                valid_until = min((t for t in (earliest_expiry, context.valid_until) if t is not None), default=None)
                shared_cache_set(shared_key, (stamp, read, valid_until))
        cache_set(key, read)
    return read


def _read_granted_ids(below: dict[UUID, GrantedIds]) -> tuple[GrantedIdsRead, datetime | None]:
    """The granted ids of every organization and level, read in one statement, each level at most one more
    than may be named in a list's statement, and the earliest expiry among the grants read (None: none
    expires).

    On PostgreSQL the ids are read as text and joined into the text of one ``uuid[]`` literal per level,
    bound as it is in the list's statement: neither reading nor binding them then costs a step per id in
    psycopg (reading two hundred UUIDs and adapting them again cost more than the statement that found
    them). Building the array in the statement instead (``ARRAY(...)``) measured slower. The ids come as
    the database gave them, repeats and all, which is harmless in the list's condition.
    """
    keys: list[tuple[UUID, str]] = []
    parts, params = [], []
    as_text = uses_arrays()
    for org_id, by_column in below.items():
        for lookup, subqueries in by_column.items():
            granted = _union([subquery.with_expiry for subquery in subqueries])
            limit = _room_for(lookup) + 1
            node_id = "CAST(granted.node_id AS text), granted.expires_at" if as_text else "granted.*"
            source = f"({granted.sql}) granted (node_id, expires_at)" if as_text else f"({granted.sql}) granted"
            # Only a counter and a limit are formatted into the text; the values are parameters.
            level = f"SELECT {len(keys)} AS position, {node_id} FROM {source} LIMIT {limit}"  # noqa: S608
            parts.append(f"SELECT * FROM ({level}) part")  # noqa: S608
            params += granted.params
            keys.append((org_id, lookup))
    with engine_cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        rows = cursor.fetchall()
    by_key: dict[tuple[UUID, str], list] = {key: [] for key in keys}
    expiries = []
    for position, node_id, expires_at in rows:
        by_key[keys[position]].append(node_id)
        if expires_at is not None:
            expiries.append(as_datetime(expires_at))
    found = {key: IdsRead(len(ids), "{" + ",".join(ids) + "}" if as_text else ids) for key, ids in by_key.items()}
    return {key: None if ids.count > _room_for(key[1]) else ids for key, ids in found.items()}, min(expiries, default=None)


def _granted_any(read: IdsRead | None) -> bool:
    """Whether a level holds any grant (None: more than fit, so some)."""
    return read is None or read.count > 0


def _room_for(lookup: str) -> int:
    """How many ids of a level may be named in a list's statement."""
    return INLINE_OWN_IDS if lookup == "pk" else READ_GRANTED_IDS


def _is_among(lookup: str, ids: str | list) -> Q:
    """`lookup` is one of `ids`: on PostgreSQL one array parameter (a ``uuid[]`` literal), whose size the
    planner then sees."""
    if uses_arrays():
        return Q(_AmongIds(lookup, ids))
    return Q(**{f"{lookup}__in": ids})


class _AmongIds(Func):
    """``column = ANY(%s::uuid[])``, the ids bound as one array literal (spelled out ``IN`` lists cost
    Django and psycopg a step per id)."""

    output_field = BooleanField()

    def __init__(self, lookup: str, ids: str) -> None:
        super().__init__(F(lookup))
        self.ids = ids

    def as_sql(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.source_expressions[0])
        return f"{column} = ANY(%s::{uuid_type()}[])", [*params, self.ids]


@cache
def _granted_ids_statement(level_type: str, auth_group_count: int, group_count: int, role_count: int, with_expiry: bool = False) -> str:
    """The text of :func:`_granted_ids` (the counts are -1 on PostgreSQL, where lists are arrays); `with_expiry`
    selects each grant's ``expires_at`` beside its node's id."""
    uuid, permission_table = uuid_type(), Permission._meta.db_table
    parts = []
    if is_concrete(level_type):
        tables = grant_tables(level_type)
        for table, subject in ((tables.user, "user"), (tables.group, "group")):
            meta = table._meta
            subject_column = f"t.{meta.get_field(subject).column}"
            where = f"{subject_column} = %s" if subject == "user" else placeholder_any(subject_column, auth_group_count, "integer")
            permission_ids = f"SELECT p.id FROM {permission_table} p WHERE p.codename = %s"  # noqa: S608
            of_the_permission = in_subquery(f"t.{meta.get_field('permission').column}", permission_ids)
            expiry = ", t.expires_at" if with_expiry else ""
            parts.append(
                f"SELECT t.{meta.get_field('content_object').column}{expiry} FROM {meta.db_table} t"  # noqa: S608
                f" WHERE {where} AND {of_the_permission} AND {live('t')}"
            )
    expiry = ", a.expires_at" if with_expiry else ""
    parts.append(
        f"SELECT a.object_id{expiry} FROM {AclGrant._meta.db_table} a WHERE a.org_id = %s AND a.object_type = %s"  # noqa: S608
        f" AND (a.user_id = %s OR {placeholder_any('a.group_id', group_count, uuid)})"
        f" AND ((a.permission = %s AND a.restrict_object_type IN ('', %s)) OR {placeholder_any('a.role_id', role_count, uuid)})"
        f" AND {live('a')}"
    )
    return " UNION ALL ".join(parts)


def _granted_ids(context: PrincipalContext, permission: str, node_type: str, level_type: str, org_id: UUID) -> RawSQL:
    """A subquery of the ids of `level_type` nodes of the organization on which a grant yields
    `permission` for a `node_type` to the principal or one of its groups there (grants that have expired
    left out). The same subquery selecting each grant's expiry as well is kept on it as ``with_expiry``,
    for :func:`_read_granted_ids`."""
    groups = [prep_uuid(g) for g, org in context.group_org.items() if org == org_id]
    auth_groups = [g for g, org in context.auth_group_org.items() if org == org_id]
    roles = [prep_uuid(r) for r in context.roles_yielding(permission, node_type) if context.role_org.get(r) in (None, org_id)]
    principal, now = prep_uuid(context.principal_id), now_param()
    params: list = []
    if is_concrete(level_type):
        perm = codename(permission, level_type)
        params += [principal, perm, now, *any_of("", auth_groups, "integer")[1], perm, now]
    params += [prep_uuid(org_id), level_type, principal, *any_of("", groups, "uuid")[1], permission, node_type]
    params += [*any_of("", roles, "uuid")[1], now]
    counts = placeholder_counts(auth_groups, groups, roles)
    # Only table and column names from model metadata are in the text; every value is a parameter.
    return _GrantedIds(_granted_ids_statement(level_type, *counts), _granted_ids_statement(level_type, *counts, with_expiry=True), params)


class _GrantedIds(RawSQL):
    """A subquery of granted ids (:func:`_granted_ids`), which also knows its text with each grant's expiry."""

    def __init__(self, sql: str, sql_with_expiry: str, params: list) -> None:
        super().__init__(sql, params, output_field=UUID_FIELD)
        self.with_expiry = RawSQL(sql_with_expiry, params)  # noqa: S611 (model metadata only; values are parameters)


_GRANTED = "SELECT granted_ids_placeholder"


@cache
def _rows_under_statement(node_type: str, lookup: str) -> str:
    """The text selecting the anchor rows whose `lookup` column is in ``{granted}``."""
    anchor = chain_plan(node_type).anchor
    marker = RawSQL(_GRANTED, [], output_field=UUID_FIELD)  # noqa: S611 (a fixed text)
    sql, params = anchor._base_manager.order_by().filter(**{f"{lookup}__in": marker}).values("pk").query.sql_with_params()
    if params or _GRANTED not in sql:
        raise RuntimeError(f"Unexpected statement selecting {node_type} rows by {lookup}.")
    return sql.replace(_GRANTED, "{granted}")


def _rows_under(plan: ChainPlan, lookup: str, granted: RawSQL) -> RawSQL:
    """The ids of the anchor rows whose chain has, at `lookup`, one of the `granted` ids.

    Driving the list from the grants (looked up by index) rather than testing every row of the anchor
    against each id set keeps a list of what a principal was granted here and there fast however many
    rows the organization holds.
    """
    if lookup == "pk":
        return granted
    sql = _rows_under_statement(plan.node_type, lookup).format(granted=granted.sql)
    return RawSQL(sql, list(granted.params), output_field=UUID_FIELD)  # noqa: S611


def _union(subqueries: list[RawSQL]) -> RawSQL:
    if len(subqueries) == 1:
        return subqueries[0]
    sql = " UNION ALL ".join(subquery.sql for subquery in subqueries)
    return RawSQL(sql, [param for subquery in subqueries for param in subquery.params], output_field=UUID_FIELD)  # noqa: S611
