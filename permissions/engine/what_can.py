"""What a principal can do: every node of one type in an organization on which it holds a permission,
each with the grants that give it and the way they reach.

The list is the engine's own restriction (:func:`permissions.engine.lists.permission_filter`) of the
type's rows, so it is narrowed, ordered and paged in the database like any list of the API; only the
nodes of one page are explained, from the organization's graph and the grants on their chains, each read
once for the page. A page then costs the same number of queries whatever the number of nodes, groups or
roles.

The principal is a member (a person or a service account), whose context the engine loads as for any
request, or a permission group, whose context is built here from the organization's graph: the group
and every group containing it, and the organization-wide grants to them. A group has no grants of its
own as a user has, so the restriction then finds what the group's membership alone carries, as
:func:`permissions.engine.explain.explain_group_access` explains it.
"""

from dataclasses import dataclass
from functools import cache
from uuid import UUID

from django.db.models import QuerySet

from permissions.engine.context import PrincipalContext, load_context
from permissions.engine.decision import is_acting_principal
from permissions.engine.explain import Reason, _OrgGraph, _reasons_through
from permissions.engine.lists import permission_filter
from permissions.engine.nodes import Node, chain_plan, model_for_type
from permissions.grants import GrantRecord, Subjects, grant_records
from permissions.models import PermissionGroup
from permissions.types import ALL_PERMISSIONS, ORGANIZATION_NODE_TYPES, PARENT_TYPE


@dataclass(frozen=True)
class Reach:
    """A node on which the principal holds the permission, with every grant that gives it."""

    node: Node
    name: str
    reasons: tuple[Reason, ...]


def reachable_rows(principal: "PermissionGroup | object", permission: str, object_type: str, org_id: UUID) -> QuerySet:
    """The rows standing for the `object_type` nodes of organization `org_id` on which `principal` (a
    member or a permission group of the organization) holds `permission`, restricted in the database,
    deleted ones left out. Unordered: the caller pages it."""
    if permission not in ALL_PERMISSIONS:
        raise ValueError(f"Unknown permission {permission!r}.")
    if object_type not in PARENT_TYPE:
        raise ValueError(f"Unknown object type {object_type!r}.")
    plan = chain_plan(object_type)
    rows = plan.anchor._base_manager.filter(**{plan.org_lookup: org_id}, **{lookup: True for lookup in _alive_lookups(object_type)})
    if isinstance(principal, PermissionGroup):
        context = group_context(principal)
    elif is_acting_principal(principal):
        context = load_context(principal)
    else:
        return rows.none()
    if org_id not in context.member_org_ids:
        return rows.none()
    listing = not isinstance(principal, PermissionGroup)  # a group's granted ids are not kept across requests
    return rows.filter(permission_filter(context, permission, object_type, plan, listing=listing))


def explain_reach(principal: "PermissionGroup | object", permission: str, object_type: str, rows: list, org_id: UUID) -> list[Reach]:
    """The reasons `principal` holds `permission` on each of `rows` (a page of :func:`reachable_rows`),
    in their order: the organization's graph and the grants on every row's chain are read once."""
    plan = chain_plan(object_type)
    anchor_ids = [row.pk for row in rows]
    chains = {
        values[0]: [Node(level.type, value) for level, value in zip(plan.levels, values, strict=True)]
        for values in plan.anchor._base_manager.filter(pk__in=anchor_ids).values_list(*(level.lookup for level in plan.levels))
    }
    graph = _OrgGraph.load(org_id)
    if isinstance(principal, PermissionGroup):
        group_paths, user_id = graph.outwards([principal.pk]), None
    else:
        group_paths, user_id = graph.group_paths(principal.pk), principal.pk
    # Only the grants to the principal and its groups, of all those on the page's chains.
    granted_to = Subjects(user_ids=(user_id,) if user_id else (), group_ids=tuple(group_paths))
    on_chains = {node for chain in chains.values() for node in chain}
    records_on: dict[Node, list[tuple[int, GrantRecord]]] = {}
    for position, record in enumerate(grant_records(nodes=on_chains, org_id=org_id, granted_to=granted_to) if on_chains else []):
        records_on.setdefault(record.node, []).append((position, record))
    found = []
    for row in rows:
        chain = chains[row.pk]
        node = chain[0]
        on_chain = [record for _, record in sorted(entry for node in chain for entry in records_on.get(node, ()))]  # newest first
        reasons = _reasons_through(graph, on_chain, group_paths, user_id, permission, node)
        found.append(Reach(node=node, name=str(getattr(row, "name", "")), reasons=tuple(reasons)))
    return found


def group_context(group: PermissionGroup) -> PrincipalContext:
    """The context of what `group`'s membership alone carries: the group and every group containing it
    (nestings that have expired left out), the organization's roles, and the grants to those groups on
    the organization's own nodes."""
    org_id = group.org_id
    graph = _OrgGraph.load(org_id)
    containing = graph.outwards([group.pk])
    auth_groups = dict(PermissionGroup.objects.filter(pk__in=list(containing)).values_list("auth_group_id", "id"))
    role_pairs = {role_id: frozenset(_role_pairs(graph, role_id)) for role_id in graph.role_names}
    wide_nodes = [Node(node_type, org_id) for node_type in ORGANIZATION_NODE_TYPES]
    organization_wide = set()
    for record in grant_records(nodes=wide_nodes, org_id=org_id):
        if record.group_id not in containing:
            continue
        pairs = [(record.permission, record.restrict_object_type or "")] if record.permission else role_pairs.get(record.role_id, ())
        organization_wide.update((org_id, record.node.type, pair) for pair in pairs)
    return PrincipalContext(
        principal_id=group.pk,
        member_org_ids=frozenset({org_id}),
        group_org={group_id: org_id for group_id in containing},
        auth_group_org={auth_group_id: org_id for auth_group_id in auth_groups},
        role_pairs=role_pairs,
        role_org=dict.fromkeys(role_pairs),  # only "system or this organization" matters, and both count here
        organization_wide=frozenset(organization_wide),
    )


def _role_pairs(graph: _OrgGraph, role_id: UUID) -> set[tuple[str, str]]:
    """Every (permission, restriction) pair a role yields, its member roles unfolded."""
    seen, stack, pairs = {role_id}, [role_id], set()
    while stack:
        current = stack.pop()
        pairs.update((permission, restrict or "") for permission, restrict in graph.pairs.get(current, ()))
        for member in graph.member_roles.get(current, ()):
            if member not in seen:
                seen.add(member)
                stack.append(member)
    return pairs


@cache
def _alive_lookups(object_type: str) -> tuple[str, ...]:
    """``<path>deleted_at__isnull`` for the anchor and each model above it that deletes softly: a deleted
    project's experiments are gone with it."""
    model, path, lookups = model_for_type(object_type), "", []
    while model is not None:
        if any(field.name == "deleted_at" for field in model._meta.get_fields()):
            lookups.append(f"{path}deleted_at__isnull")
        parent_field = getattr(model, "acl_parent_field", None)
        if not parent_field:
            break
        field = model._meta.get_field(parent_field)
        path, model = f"{path}{field.name}__", field.related_model
    return tuple(lookups)
