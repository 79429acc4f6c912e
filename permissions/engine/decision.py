"""The decision rule of docs/access-model.md, for one node (lists: :mod:`permissions.engine.lists`).

``can(X, p, N)`` holds iff X is a member of N's organization and some grant on a node of chain(N), to X or
to a group containing X (in that organization), yields (p, r) with r empty or N's type.

* For one node, :func:`held_on_chain` reads every grant on the chain that names X or one of its groups
  in one ``UNION ALL`` query (the chain's ids are resolved inside it), then applies the rule in Python
  with the principal's context. With the context, a first check costs two queries, and a repeated one none.
  A grant whose ``expires_at`` has passed is not read.
* For a list, :func:`permissions.engine.lists.restrict` states the same rule as a filter over the model.
"""

from functools import cache
from uuid import UUID

from django.contrib.auth.models import Permission

from permissions.engine.cache import cache_get, cache_set
from permissions.engine.context import PrincipalContext, load_context
from permissions.engine.nodes import ChainPlan, Node, chain_plan, grant_tables, is_concrete
from permissions.engine.statements import (
    any_of,
    as_uuid,
    engine_cursor,
    live,
    now_param,
    placeholder_any,
    placeholder_counts,
    prep_uuid,
    uuid_type,
)
from permissions.models import AclGrant
from permissions.types import PARENT_TYPE, parse_codename


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
    uuid, permission_table = uuid_type(), Permission._meta.db_table
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
                    auth_group, where = subject_column, placeholder_any(subject_column, auth_group_count, "integer")
                parts.append(
                    f"SELECT '{subject}', p.codename, '', {null_uuid}, {null_uuid}, {auth_group}, {null_uuid}"  # noqa: S608
                    f" FROM {meta.db_table} t JOIN {permission_table} p ON p.id = t.{permission}"
                    f" WHERE t.{content} = {level_id} AND {where} AND {live('t')}"
                )
        acl_nodes.append(f"(a.object_type = %s AND a.object_id = {level_id})")
    parts.append(
        f"SELECT 'acl', a.permission, a.restrict_object_type, a.role_id, a.group_id, {null_int}, a.org_id"  # noqa: S608
        f" FROM {AclGrant._meta.db_table} a WHERE ({' OR '.join(acl_nodes)})"
        f" AND (a.user_id = %s OR {placeholder_any('a.group_id', group_count, uuid)}) AND {live('a')}"
    )
    return " UNION ALL ".join(parts)


def _chain_grants_sql(context: PrincipalContext, plan: ChainPlan, node_id: UUID) -> tuple[str, list]:
    """The chain statement for this principal and node, with its parameters (see :func:`_chain_statement`)."""
    node, principal = prep_uuid(node_id), prep_uuid(context.principal_id)
    auth_groups = list(context.auth_group_org)
    groups = [prep_uuid(g) for g in context.group_org]
    _, auth_group_params = any_of("", auth_groups, "integer")
    _, group_params = any_of("", groups, "uuid")
    now = now_param()
    params: list = [node]
    acl_params: list = []
    for level in plan.levels:
        if is_concrete(level.type):
            params += [node, principal, now, node, *auth_group_params, now]
        acl_params += [level.type, node]
    params += [*acl_params, principal, *group_params, now]
    return _chain_statement(plan.node_type, *placeholder_counts(auth_groups, groups)), params


def held_on_chain(principal, plan: ChainPlan, node_id: UUID, node_type: str) -> frozenset[str]:
    """The permissions `principal` holds on a `node_type` whose chain is that of ``plan`` at `node_id`."""
    context = load_context(principal)
    if not context.member_org_ids:
        return frozenset()
    sql, params = _chain_grants_sql(context, plan, node_id)
    with engine_cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    node_org = next((as_uuid(row[6]) for row in rows if row[0] == "org"), None)
    if node_org is None or node_org not in context.member_org_ids:
        return frozenset()
    pairs: set[tuple[str, str]] = set()
    for kind, perm, restrict, role, group, auth_group, org in rows:
        if kind == "user":
            pairs.add((parse_codename(perm)[0], ""))
        elif kind == "group":
            if context.auth_group_org.get(auth_group) == node_org:
                pairs.add((parse_codename(perm)[0], ""))
        elif kind == "acl" and as_uuid(org) == node_org:
            if group is not None and context.group_org.get(as_uuid(group)) != node_org:
                continue
            if perm:
                pairs.add((perm, restrict or ""))
            elif context.role_org.get(as_uuid(role)) in (None, node_org):  # a system role or the organization's own
                pairs.update(context.role_pairs.get(as_uuid(role), ()))
    return frozenset(p for p, r in pairs if r in ("", node_type))


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
