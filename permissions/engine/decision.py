"""The decision rule of docs/access-model.md, for one node and for whole lists.

``can(X, p, N)`` holds iff X is a member of N's organization and some grant on a node of chain(N), to X or
to a group containing X (in that organization), yields (p, r) with r empty or N's type.

* For one node, :func:`held_on_chain` reads every grant on the chain that names X or one of its groups
  in one ``UNION ALL`` query (the chain's ids are resolved inside it), then applies the rule in Python
  with the principal's context. With the context, a first check costs two queries, and a repeated one none.
* For a list, :func:`restrict` states the same rule as a ``Q`` over the model (per organization: the whole
  organization when the context holds an organization-wide grant, else the rows found from the grants on
  their chain), so the database filters, counts and paginates.
"""

from functools import cache, reduce
from operator import or_
from uuid import UUID

from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import Q, QuerySet, UUIDField
from django.db.models.expressions import RawSQL

from permissions.engine.cache import cache_get, cache_set
from permissions.engine.context import PrincipalContext, load_context
from permissions.engine.nodes import ChainPlan, Node, chain_plan, grant_tables, is_concrete, model_for_type
from permissions.engine.statements import any_of, engine_cursor, in_subquery, uses_arrays
from permissions.models import AclGrant
from permissions.types import ALL_PERMISSIONS, PARENT_TYPE, codename, parse_codename


def is_acting_principal(principal) -> bool:
    """Anonymous visitors and deactivated accounts hold nothing, whatever grants name them."""
    return principal is not None and getattr(principal, "is_authenticated", False) and principal.is_active


@cache
def _level_id_sql(object_type: str, lookup: str) -> str:
    """SQL for the id of one node of the chain of a `object_type`, given the node's own id as ``%s``."""
    if lookup == "pk":
        return "%s"
    anchor = chain_plan(object_type).anchor
    query = anchor._base_manager.filter(pk=UUID(int=0)).order_by().values(lookup)[:1].query
    sql, params = query.sql_with_params()
    if len(params) != 1:
        raise RuntimeError(f"Unexpected parameters resolving {lookup} of a {object_type}.")
    return f"({sql})"


def _uuid_type() -> str:
    return UUIDField().db_type(connection)


def _prep_uuid(value) -> object:
    return UUIDField().get_db_prep_value(value, connection)


@cache
def _chain_statement(node_type: str, auth_group_count: int, group_count: int) -> str:
    """The chain statement of a `node_type` for a principal in that many groups (on PostgreSQL the
    counts are always -1: the groups are one array parameter each, and the text never changes).

    Its rows: the node's organization, then every grant on its chain naming the principal or one of its
    groups, as (kind, permission or codename, restriction, role, group, auth group, organization).
    Raw SQL because this runs on every check: building it with the ORM cost ten times the query itself.
    Only table and column names from model metadata are formatted in.
    """
    plan = chain_plan(node_type)
    uuid, permission_table = _uuid_type(), Permission._meta.db_table
    null_uuid, null_int = f"CAST(NULL AS {uuid})", "CAST(NULL AS integer)"
    parts = [f"SELECT 'org', NULL, NULL, {null_uuid}, {null_uuid}, {null_int}, {_level_id_sql(node_type, plan.org_lookup)}"]
    acl_nodes = []
    for level in plan.levels:
        level_id = _level_id_sql(node_type, level.lookup)
        if is_concrete(level.type):
            tables = grant_tables(level.type)
            for table, subject in ((tables.user, "user"), (tables.group, "group")):
                meta = table._meta
                content = meta.get_field("content_object").column
                permission = meta.get_field("permission").column
                subject_column = f"t.{meta.get_field(subject).column}"
                if subject == "user":
                    auth_group, where = null_int, f"{subject_column} = %s"
                else:
                    auth_group, where = subject_column, _placeholder_any(subject_column, auth_group_count, "integer")
                parts.append(
                    f"SELECT '{subject}', p.codename, '', {null_uuid}, {null_uuid}, {auth_group}, {null_uuid}"  # noqa: S608
                    f" FROM {meta.db_table} t JOIN {permission_table} p ON p.id = t.{permission}"
                    f" WHERE t.{content} = {level_id} AND {where}"
                )
        acl_nodes.append(f"(a.object_type = %s AND a.object_id = {level_id})")
    parts.append(
        f"SELECT 'acl', a.permission, a.restrict_object_type, a.role_id, a.group_id, {null_int}, a.org_id"  # noqa: S608
        f" FROM {AclGrant._meta.db_table} a WHERE ({' OR '.join(acl_nodes)})"
        f" AND (a.user_id = %s OR {_placeholder_any('a.group_id', group_count, uuid)})"
    )
    return " UNION ALL ".join(parts)


def _placeholder_any(column: str, count: int, sql_type: str) -> str:
    """The text of :func:`any_of` for `count` values (-1: an array parameter)."""
    return any_of(column, [None] * max(count, 0), sql_type)[0]


def _chain_grants_sql(context: PrincipalContext, plan: ChainPlan, node_id: UUID) -> tuple[str, list]:
    """The chain statement for this principal and node, with its parameters (see :func:`_chain_statement`)."""
    node, principal = _prep_uuid(node_id), _prep_uuid(context.principal_id)
    auth_groups = list(context.auth_group_org)
    groups = [_prep_uuid(g) for g in context.group_org]
    _, auth_group_params = any_of("", auth_groups, "integer")
    _, group_params = any_of("", groups, "uuid")
    params: list = [node]
    acl_params: list = []
    for level in plan.levels:
        if is_concrete(level.type):
            params += [node, principal, node, *auth_group_params]
        acl_params += [level.type, node]
    params += [*acl_params, principal, *group_params]
    if uses_arrays():
        return _chain_statement(plan.node_type, -1, -1), params
    return _chain_statement(plan.node_type, len(auth_groups), len(groups)), params


def held_on_chain(principal, plan: ChainPlan, node_id: UUID, node_type: str) -> frozenset[str]:
    """The permissions `principal` holds on a `node_type` whose chain is that of ``plan`` at `node_id`."""
    context = load_context(principal)
    if not context.member_org_ids:
        return frozenset()
    sql, params = _chain_grants_sql(context, plan, node_id)
    with engine_cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    node_org = next((_uuid(row[6]) for row in rows if row[0] == "org"), None)
    if node_org is None or node_org not in context.member_org_ids:
        return frozenset()
    pairs: set[tuple[str, str]] = set()
    for kind, perm, restrict, role, group, auth_group, org in rows:
        if kind == "user":
            pairs.add((parse_codename(perm)[0], ""))
        elif kind == "group":
            if context.auth_group_org.get(auth_group) == node_org:
                pairs.add((parse_codename(perm)[0], ""))
        elif kind == "acl" and _uuid(org) == node_org:
            if group is not None and context.group_org.get(_uuid(group)) != node_org:
                continue
            if perm:
                pairs.add((perm, restrict or ""))
            elif context.role_org.get(_uuid(role)) in (None, node_org):  # a system role or the organization's own
                pairs.update(context.role_pairs.get(_uuid(role), ()))
    return frozenset(p for p, r in pairs if r in ("", node_type))


def _uuid(value) -> UUID | None:
    if value is None or isinstance(value, UUID):
        return value
    return UUID(str(value))


def effective_permissions(principal, node: Node) -> frozenset[str]:
    """Every permission the principal holds on an existing node (empty if it does not exist)."""
    key = ("node", principal.pk, node)
    cached = cache_get(key)
    if cached is not None:
        return cached
    held = held_on_chain(principal, chain_plan(node.type), node.id, node.type)
    cache_set(key, held)
    return held


def can_create(principal, object_type: str, parent: Node) -> bool:
    """May the principal create a node of `object_type` under `parent` (a create check on a new node)?"""
    if PARENT_TYPE.get(object_type) != parent.type:
        raise ValueError(f"A {object_type} cannot be created under a {parent.type}.")
    key = ("create", principal.pk, object_type, parent)
    cached = cache_get(key)
    if cached is not None:
        return cached
    allowed = "create" in held_on_chain(principal, chain_plan(parent.type), parent.id, object_type)
    cache_set(key, allowed)
    return allowed


def permission_filter(context: PrincipalContext, permission: str, node_type: str, plan: ChainPlan) -> Q:
    """A filter on ``plan.anchor`` rows: does the principal hold `permission` on a `node_type` there?

    For each organization the principal belongs to: the row is in that organization, and either a grant
    on the organization's own nodes (held in the principal's context) yields the permission, or the id
    of some node of its chain below them is among the ids that carry a matching grant there. The
    subqueries are raw SQL of a fixed text (see :mod:`permissions.engine.statements`): stated with
    the ORM, building and compiling them cost several times what the database spends running them.
    """
    per_org = []
    for org_id in sorted(context.member_org_ids, key=str):
        organization = Q(**{plan.org_lookup: org_id})
        # A grant on the organization's own nodes covers every row of it; the context holds those.
        levels_of_the_organization = [level for level in plan.levels if level.lookup == plan.org_lookup]
        if any(context.holds_organization_wide(org_id, level.type, permission, node_type) for level in levels_of_the_organization):
            per_org.append(organization)
            continue
        # Below them, the rows are found from their grants (a few ids, by index) rather than by testing
        # every row of the organization against each level's id set.
        by_column: dict[str, list[RawSQL]] = {}
        for level in plan.levels:
            if level.lookup != plan.org_lookup:
                by_column.setdefault(level.lookup, []).append(_granted_ids(context, permission, node_type, level.type, org_id))
        if by_column:
            rows = _union([_rows_under(plan, lookup, _union(subqueries)) for lookup, subqueries in by_column.items()])
            per_org.append(organization & Q(pk__in=rows))
    return reduce(or_, per_org) if per_org else Q(pk__in=[])


@cache
def _granted_ids_statement(level_type: str, auth_group_count: int, group_count: int, role_count: int) -> str:
    """The text of :func:`_granted_ids` (the counts are -1 on PostgreSQL, where lists are arrays)."""
    uuid, permission_table = _uuid_type(), Permission._meta.db_table
    parts = []
    if is_concrete(level_type):
        tables = grant_tables(level_type)
        for table, subject in ((tables.user, "user"), (tables.group, "group")):
            meta = table._meta
            subject_column = f"t.{meta.get_field(subject).column}"
            where = f"{subject_column} = %s" if subject == "user" else _placeholder_any(subject_column, auth_group_count, "integer")
            permission_ids = f"SELECT p.id FROM {permission_table} p WHERE p.codename = %s"  # noqa: S608
            of_the_permission = in_subquery(f"t.{meta.get_field('permission').column}", permission_ids)
            parts.append(
                f"SELECT t.{meta.get_field('content_object').column} FROM {meta.db_table} t"  # noqa: S608
                f" WHERE {where} AND {of_the_permission}"
            )
    parts.append(
        f"SELECT a.object_id FROM {AclGrant._meta.db_table} a WHERE a.org_id = %s AND a.object_type = %s"  # noqa: S608
        f" AND (a.user_id = %s OR {_placeholder_any('a.group_id', group_count, uuid)})"
        f" AND ((a.permission = %s AND a.restrict_object_type IN ('', %s)) OR {_placeholder_any('a.role_id', role_count, uuid)})"
    )
    return " UNION ALL ".join(parts)


def _granted_ids(context: PrincipalContext, permission: str, node_type: str, level_type: str, org_id: UUID) -> RawSQL:
    """A subquery of the ids of `level_type` nodes of the organization on which a grant yields
    `permission` for a `node_type` to the principal or one of its groups there."""
    groups = [_prep_uuid(g) for g, org in context.group_org.items() if org == org_id]
    auth_groups = [g for g, org in context.auth_group_org.items() if org == org_id]
    roles = [_prep_uuid(r) for r in context.roles_yielding(permission, node_type) if context.role_org.get(r) in (None, org_id)]
    principal = _prep_uuid(context.principal_id)
    params: list = []
    if is_concrete(level_type):
        perm = codename(permission, level_type)
        params += [principal, perm, *any_of("", auth_groups, "integer")[1], perm]
    params += [_prep_uuid(org_id), level_type, principal, *any_of("", groups, "uuid")[1], permission, node_type]
    params += any_of("", roles, "uuid")[1]
    counts = (-1, -1, -1) if uses_arrays() else (len(auth_groups), len(groups), len(roles))
    # Only table and column names from model metadata are in the text; every value is a parameter.
    return RawSQL(_granted_ids_statement(level_type, *counts), params, output_field=UUIDField())  # noqa: S611


_GRANTED = "SELECT granted_ids_placeholder"


@cache
def _rows_under_statement(node_type: str, lookup: str) -> str:
    """The text selecting the anchor rows whose `lookup` column is in ``{granted}``."""
    anchor = chain_plan(node_type).anchor
    marker = RawSQL(_GRANTED, [], output_field=UUIDField())  # noqa: S611 (a fixed text)
    sql, params = anchor._base_manager.order_by().filter(**{f"{lookup}__in": marker}).values("pk").query.sql_with_params()
    if params or _GRANTED not in sql:
        raise RuntimeError(f"Unexpected statement selecting {node_type} rows by {lookup}.")
    return sql.replace(_GRANTED, "{granted}")


def _rows_under(plan: ChainPlan, lookup: str, granted: RawSQL) -> RawSQL:
    """The ids of the anchor rows whose chain has, at `lookup`, one of the `granted` ids.

    Driving the list from the grants (a few ids, looked up by index) rather than testing every row of
    the anchor against each id set keeps a list of what a principal was granted here and there fast
    however many rows the organization holds.
    """
    if lookup == "pk":
        return granted
    sql = _rows_under_statement(plan.node_type, lookup).format(granted=granted.sql)
    return RawSQL(sql, list(granted.params), output_field=UUIDField())  # noqa: S611


def _union(subqueries: list[RawSQL]) -> RawSQL:
    if len(subqueries) == 1:
        return subqueries[0]
    sql = " UNION ALL ".join(subquery.sql for subquery in subqueries)
    return RawSQL(sql, [param for subquery in subqueries for param in subquery.params], output_field=UUIDField())  # noqa: S611


def restrict(queryset: QuerySet, principal, permission: str = "read", *, node_type: str | None = None) -> QuerySet:
    """`queryset` narrowed, in the database, to the rows on which `principal` holds `permission`.

    With `node_type`, the rows stand for the nodes of that type that hang on them instead of for
    themselves: projects as their ``project_log``, organizations as their ``org_member`` or
    ``org_audit_logs`` node ("the projects whose logs the principal may read").
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
    return queryset.filter(permission_filter(context, permission, object_type, chain_plan(object_type)))
