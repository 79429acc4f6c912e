"""The decision rule of ACCESS_MODEL.md, for one node and for whole lists.

``can(X, p, N)`` holds iff X is a member of N's organization and some grant on a node of chain(N), to X or
to a group containing X (in that organization), yields (p, r) with r empty or N's type.

* For one node, :func:`held_on_chain` reads every grant on the chain that names X or one of its groups
  in one ``UNION ALL`` query (the chain's ids are resolved inside it), then applies the rule in Python
  with the principal's context. With the context, a first check costs two queries, and a repeated one none.
* For a list, :func:`restrict` states the same rule as a ``Q`` over the model (one ``EXISTS`` per store and
  level of the chain), so the database filters, counts and paginates.
"""

from functools import cache, reduce
from operator import or_
from uuid import UUID

from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import Q, QuerySet, UUIDField

from permissions.engine.cache import cache_get, cache_set
from permissions.engine.context import PrincipalContext, load_context
from permissions.engine.nodes import ChainPlan, Node, chain_plan, grant_tables, is_concrete, model_for_type
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
    sql, params = anchor._base_manager.filter(pk=UUID(int=0)).values(lookup)[:1].query.sql_with_params()
    if len(params) != 1:
        raise RuntimeError(f"Unexpected parameters resolving {lookup} of a {object_type}.")
    return f"({sql})"


def _uuid_type() -> str:
    return UUIDField().db_type(connection)


def _in_list(values: list) -> str:
    return ", ".join(["%s"] * len(values))


def _chain_grants_sql(context: PrincipalContext, plan: ChainPlan, node_id: UUID) -> tuple[str, list]:
    """One ``UNION ALL`` statement: the node's organization, then every grant on its chain naming the
    principal or one of its groups, as rows (kind, permission or codename, restriction, role, group,
    auth group, organization).

    Raw SQL because this runs on every check: building the same statement with the ORM costs ten times
    the query itself. Only table and column names from model metadata are formatted in.
    """
    prep = UUIDField().get_db_prep_value
    node = prep(node_id, connection)
    principal = prep(context.principal_id, connection)
    auth_groups = list(context.auth_group_org)
    groups = [prep(g, connection) for g in context.group_org]
    uuid, permission_table = _uuid_type(), Permission._meta.db_table
    null_uuid, null_int = f"CAST(NULL AS {uuid})", "CAST(NULL AS integer)"
    parts = [f"SELECT 'org', NULL, NULL, {null_uuid}, {null_uuid}, {null_int}, {_level_id_sql(plan.node_type, plan.org_lookup)}"]
    params: list = [node]
    acl_nodes, acl_params = [], []
    for level in plan.levels:
        level_id = _level_id_sql(plan.node_type, level.lookup)
        if is_concrete(level.type):
            tables = grant_tables(level.type)
            for table, subject in ((tables.user, "user"), (tables.group, "group")):
                if subject == "group" and not auth_groups:
                    continue
                meta = table._meta
                content = meta.get_field("content_object").column
                permission = meta.get_field("permission").column
                subject_column = meta.get_field(subject).column
                auth_group = f"t.{subject_column}" if subject == "group" else null_int
                where = f"t.{subject_column} = %s" if subject == "user" else f"t.{subject_column} IN ({_in_list(auth_groups)})"
                parts.append(
                    f"SELECT '{subject}', p.codename, '', {null_uuid}, {null_uuid}, {auth_group}, {null_uuid}"  # noqa: S608
                    f" FROM {meta.db_table} t JOIN {permission_table} p ON p.id = t.{permission}"
                    f" WHERE t.{content} = {level_id} AND {where}"
                )
                params += [node, principal] if subject == "user" else [node, *auth_groups]
        acl_nodes.append(f"(a.object_type = %s AND a.object_id = {level_id})")
        acl_params += [level.type, node]
    subjects = "a.user_id = %s" + (f" OR a.group_id IN ({_in_list(groups)})" if groups else "")
    parts.append(
        f"SELECT 'acl', a.permission, a.restrict_object_type, a.role_id, a.group_id, {null_int}, a.org_id"  # noqa: S608
        f" FROM {AclGrant._meta.db_table} a WHERE ({' OR '.join(acl_nodes)}) AND ({subjects})"
    )
    params += [*acl_params, principal, *groups]
    return " UNION ALL ".join(parts), params


def held_on_chain(principal, plan: ChainPlan, node_id: UUID, node_type: str) -> frozenset[str]:
    """The permissions `principal` holds on a `node_type` whose chain is that of ``plan`` at `node_id`."""
    context = load_context(principal)
    if not context.member_org_ids:
        return frozenset()
    sql, params = _chain_grants_sql(context, plan, node_id)
    with connection.cursor() as cursor:
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

    For each organization the principal belongs to: the row is in that organization, and the id of some
    node of its chain is among the ids that carry a matching grant there. Each of those id sets is an
    uncorrelated subquery, which the database computes once per statement rather than once per row.
    """
    per_org = []
    for org_id in sorted(context.member_org_ids, key=str):
        reasons = [
            Q(**{f"{level.lookup}__in": ids})
            for level in plan.levels
            for ids in _granted_ids(context, permission, node_type, level.type, org_id)
        ]
        if reasons:
            per_org.append(Q(**{plan.org_lookup: org_id}) & reduce(or_, reasons))
    return reduce(or_, per_org) if per_org else Q(pk__in=[])


def _granted_ids(context: PrincipalContext, permission: str, node_type: str, level_type: str, org_id: UUID) -> list[QuerySet]:
    """Subqueries of the ids of `level_type` nodes of the organization on which a grant yields
    `permission` for a `node_type` to the principal or one of its groups there."""
    groups = [g for g, org in context.group_org.items() if org == org_id]
    auth_groups = [g for g, org in context.auth_group_org.items() if org == org_id]
    roles = [r for r in context.roles_yielding(permission, node_type) if context.role_org.get(r) in (None, org_id)]
    subqueries = []
    if is_concrete(level_type):
        tables = grant_tables(level_type)
        perm = codename(permission, level_type)
        subqueries.append(tables.user.objects.filter(user_id=context.principal_id, permission__codename=perm).values("content_object_id"))
        if auth_groups:
            subqueries.append(tables.group.objects.filter(group_id__in=auth_groups, permission__codename=perm).values("content_object_id"))
    subjects = Q(user_id=context.principal_id) | Q(group_id__in=groups) if groups else Q(user_id=context.principal_id)
    yields = Q(permission=permission, restrict_object_type__in=["", node_type])
    if roles:
        yields |= Q(role_id__in=roles)
    acl = AclGrant.objects.filter(org_id=org_id, object_type=level_type).filter(subjects).filter(yields)
    subqueries.append(acl.values("object_id"))
    return [subquery.order_by() for subquery in subqueries]


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
