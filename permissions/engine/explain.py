"""Why a principal may or may not do something: the grants that allow it, and the way each one reaches.

A reason names the grant, the node of the chain that carries it (the node itself or an ancestor), the
groups through which it reaches the principal (from the principal's own group outwards), and the roles
through which it yields the permission (from the granted role inwards). When nothing allows it, the
explanation lists who could grant it: the members holding create_acls on the node. :func:`who_can` turns
the question round: every member and group of the organization that holds a permission on a node, each
with its reasons.

This is a support tool, so it loads the organization's group and role graphs and walks them in Python;
the property tests hold it to the same answers as :func:`permissions.engine.can`.
"""

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from permissions.engine.nodes import Node
from permissions.exceptions import NotFound
from permissions.grants import GrantRecord, grant_records, resolve_chain
from permissions.models import GroupMembershipExpiry, GroupNesting, PermissionGroup, Role, RoleNesting, RolePermission
from permissions.types import ALL_PERMISSIONS


@dataclass(frozen=True)
class Ref:
    """A group, role or principal, by id and a name people recognize."""

    id: UUID
    name: str


@dataclass(frozen=True)
class Reason:
    grant: GrantRecord
    node: Node
    via_groups: tuple[Ref, ...]
    via_roles: tuple[Ref, ...]


@dataclass(frozen=True)
class Explanation:
    principal: Ref
    permission: str
    node: Node
    is_member: bool
    reasons: tuple[Reason, ...]
    grantors: tuple[Ref, ...] = field(default=())

    @property
    def allowed(self) -> bool:
        """Whether the principal holds the permission (for a group: whether the group alone carries it)."""
        return self.is_member and bool(self.reasons)


class _OrgGraph:
    """The organization's groups, group nesting, direct memberships and roles, as the decision sees them at
    one instant (memberships and nestings that have expired by then left out): loaded from the database
    for now (:meth:`load`), or built from a history's rows for an earlier instant."""

    def __init__(
        self,
        *,
        group_names: dict[UUID, str],
        nestings: "Iterable[tuple[UUID, UUID]]",
        memberships: "Iterable[tuple[UUID, UUID]]",
        role_names: dict[UUID, str],
        role_nestings: "Iterable[tuple[UUID, UUID]]",
        role_pairs: "Iterable[tuple[UUID, str, str]]",
        members: dict[UUID, tuple],
    ) -> None:
        """`nestings` are (group, member group), `memberships` (user, group), `role_nestings` (role, member
        role), `role_pairs` (role, permission, restriction), `members` the organization's members by id, each
        (id, email, given name, kind)."""
        self.group_names = group_names
        self.containers: dict[UUID, list[UUID]] = {}
        self.member_groups: dict[UUID, list[UUID]] = {}
        for group_id, member_id in nestings:
            self.containers.setdefault(member_id, []).append(group_id)
            self.member_groups.setdefault(group_id, []).append(member_id)
        self.direct_groups: dict[UUID, list[UUID]] = {}
        self.direct_users: dict[UUID, list[UUID]] = {}
        for user_id, group_id in memberships:
            self.direct_groups.setdefault(user_id, []).append(group_id)
            self.direct_users.setdefault(group_id, []).append(user_id)
        self.role_names = role_names
        self.member_roles: dict[UUID, list[UUID]] = {}
        for role_id, member_id in role_nestings:
            self.member_roles.setdefault(role_id, []).append(member_id)
        self.pairs: dict[UUID, set[tuple[str, str]]] = {}
        for role_id, permission, restrict in role_pairs:
            self.pairs.setdefault(role_id, set()).add((permission, restrict))
        self.members = members

    @classmethod
    def load(cls, org_id: UUID) -> "_OrgGraph":
        """The organization's graph now, in nine queries."""
        now = timezone.now()
        group_names = dict(PermissionGroup.objects.filter(org_id=org_id).values_list("id", "name"))
        nestings = GroupNesting.objects.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now), group__org_id=org_id)
        auth_to_group = dict(PermissionGroup.objects.filter(org_id=org_id).values_list("auth_group_id", "id"))
        expired = set(GroupMembershipExpiry.objects.filter(group__org_id=org_id, expires_at__lte=now).values_list("user_id", "group_id"))
        through = get_user_model().groups.through
        direct = through.objects.filter(group_id__in=list(auth_to_group)).values_list("user_id", "group_id")
        memberships = [(user_id, auth_to_group[auth_id]) for user_id, auth_id in direct if (user_id, auth_to_group[auth_id]) not in expired]
        roles = Role.objects.filter(org_id=org_id) | Role.objects.filter(org_id__isnull=True)
        role_names = dict(roles.values_list("id", "name"))
        of_the_roles = {"role_id__in": list(role_names)}
        membership_model = get_user_model()._meta.get_field("memberships").related_model
        members = membership_model.objects.filter(org_id=org_id).values_list("user_id", "user__email", "user__given_name", "user__kind")
        return cls(
            group_names=group_names,
            nestings=nestings.values_list("group_id", "member_group_id"),
            memberships=memberships,
            role_names=role_names,
            role_nestings=RoleNesting.objects.filter(**of_the_roles).values_list("role_id", "member_role_id"),
            role_pairs=RolePermission.objects.filter(**of_the_roles).values_list("role_id", "permission", "restrict_object_type"),
            members={row[0]: row for row in members},
        )

    def group_paths(self, principal_id: UUID) -> dict[UUID, tuple[UUID, ...]]:
        """Each group containing the principal, with the shortest chain of groups that leads to it."""
        return self.outwards(self.direct_groups.get(principal_id, ()))

    def outwards(self, start: "tuple[UUID, ...] | list[UUID]") -> dict[UUID, tuple[UUID, ...]]:
        """Each group containing one of `start` (or being one), with the shortest chain of groups to it."""
        paths: dict[UUID, tuple[UUID, ...]] = {}
        queue = deque()
        for group_id in start:
            paths[group_id] = (group_id,)
            queue.append(group_id)
        while queue:
            current = queue.popleft()
            for container in self.containers.get(current, ()):
                if container not in paths:
                    paths[container] = (*paths[current], container)
                    queue.append(container)
        return paths

    def inwards(self, start) -> set[UUID]:
        """`start` and every group nested in one of them, transitively: the groups whose members a grant
        to one of `start` reaches."""
        found, queue = set(start), deque(start)
        while queue:
            for member in self.member_groups.get(queue.popleft(), ()):
                if member not in found:
                    found.add(member)
                    queue.append(member)
        return found

    def role_path(self, role_id: UUID, permission: str, node_type: str) -> tuple[UUID, ...] | None:
        """The shortest chain from `role_id` through member roles to a role holding a matching pair."""
        paths = {role_id: (role_id,)}
        queue = deque([role_id])
        while queue:
            current = queue.popleft()
            if any(p == permission and r in ("", node_type) for p, r in self.pairs.get(current, ())):
                return paths[current]
            for member in self.member_roles.get(current, ()):
                if member not in paths:
                    paths[member] = (*paths[current], member)
                    queue.append(member)
        return None

    def principal_ref(self, principal_id: UUID, fallback: str = "") -> Ref:
        row = self.members.get(principal_id)
        if row is None:
            return Ref(principal_id, fallback)
        _, email, given_name, kind = row
        return Ref(principal_id, given_name if kind == "service_account" and given_name else email)


def _reasons(graph: _OrgGraph, records: list[GrantRecord], principal_id: UUID, permission: str, node: Node) -> list[Reason]:
    return _reasons_through(graph, records, graph.group_paths(principal_id), principal_id, permission, node)


def _reasons_through(
    graph: _OrgGraph,
    records: list[GrantRecord],
    group_paths: dict[UUID, tuple[UUID, ...]],
    user_id: UUID | None,
    permission: str,
    node: Node,
) -> list[Reason]:
    """The grants among `records` that yield `permission` on `node` to the user `user_id` (if any) or
    to anyone in the groups of `group_paths`."""
    reasons = []
    for record in records:
        if user_id is not None and record.user_id == user_id:
            via_groups: tuple[UUID, ...] = ()
        elif record.group_id in group_paths:
            via_groups = group_paths[record.group_id]
        else:
            continue
        if record.permission is not None:
            if record.permission != permission or record.restrict_object_type not in (None, node.type):
                continue
            via_roles: tuple[UUID, ...] = ()
        else:
            via_roles = graph.role_path(record.role_id, permission, node.type)
            if via_roles is None:
                continue
        reasons.append(
            Reason(
                grant=record,
                node=record.node,
                via_groups=tuple(Ref(g, graph.group_names.get(g, "")) for g in via_groups),
                via_roles=tuple(Ref(r, graph.role_names.get(r, "")) for r in via_roles),
            )
        )
    return reasons


def _grantors(graph: _OrgGraph, records: list[GrantRecord], node: Node) -> tuple[Ref, ...]:
    """The members who hold create_acls on `node`: who could grant what is missing."""
    holders = (graph.principal_ref(member_id) for member_id in graph.members if _reasons(graph, records, member_id, "create_acls", node))
    return tuple(sorted(holders, key=lambda ref: ref.name))


def _chain_and_graph(node: Node) -> tuple[UUID, _OrgGraph, list[GrantRecord]]:
    chain = resolve_chain(node)
    if chain is None:
        raise NotFound(node.type, node.id)
    org_id = chain[-1].id
    return org_id, _OrgGraph.load(org_id), grant_records(nodes=chain, org_id=org_id)


@dataclass(frozen=True)
class Holder:
    """A member (person or service account) or a group holding a permission on a node, with every grant
    that gives it and the way each one reaches."""

    kind: str  # "user", "service_account" or "group"
    ref: Ref
    reasons: tuple[Reason, ...]

    @property
    def id(self) -> UUID:
        return self.ref.id


HOLDER_KINDS = ("user", "service_account", "group")


def _candidates(graph: _OrgGraph, records: list[GrantRecord]) -> tuple[set[UUID], set[UUID]]:
    """The members and the groups of the organization that can hold anything through `records`: those a
    grant names, and those in a group nested in one a grant names. The walks are over them, not over every
    member of the organization."""
    reached_groups = graph.inwards({record.group_id for record in records if record.group_id is not None})
    members = {record.user_id for record in records if record.user_id is not None}
    members.update(user_id for group_id in reached_groups for user_id in graph.direct_users.get(group_id, ()))
    return members & graph.members.keys(), reached_groups & graph.group_names.keys()


def who_can(permission: str, node: Node) -> list[Holder]:
    """Every member of the node's organization holding `permission` on `node`, and every group of it whose
    membership alone gives it, by kind (people, service accounts, groups) and name.

    The organization's graph and the grants on the node's chain are read once, so the cost in queries is
    the same for any number of principals and any depth of nesting; the rest is the walk
    :func:`explain_access` makes for one principal, made for each.
    """
    _, graph, records = _chain_and_graph(node)
    return holders_in(graph, records, permission, node)


def holders_in(graph: _OrgGraph, records: list[GrantRecord], permission: str, node: Node) -> list[Holder]:
    """:func:`who_can` over a graph and the live grants on the node's chain, at whatever instant they were
    taken (now, or an earlier one of the audit log's history)."""
    candidates, reached_groups = _candidates(graph, records)
    holders = []
    for member_id in candidates:
        kind = graph.members[member_id][3]
        reasons = _reasons(graph, records, member_id, permission, node)
        if reasons:
            holders.append(
                Holder("service_account" if kind == "service_account" else "user", graph.principal_ref(member_id), tuple(reasons))
            )
    for group_id in reached_groups:
        reasons = _reasons_through(graph, records, graph.outwards([group_id]), None, permission, node)
        if reasons:
            holders.append(Holder("group", Ref(group_id, graph.group_names[group_id]), tuple(reasons)))
    return sorted(holders, key=lambda holder: (HOLDER_KINDS.index(holder.kind), holder.ref.name.lower(), str(holder.id)))


@dataclass(frozen=True)
class Access:
    """A member (person or service account) or a group holding some permission on a node: each permission
    it holds there, with every grant that gives it and the way each one reaches."""

    kind: str  # "user", "service_account" or "group"
    ref: Ref
    reasons: dict[str, tuple[Reason, ...]]  # permission -> its reasons, in the order of ALL_PERMISSIONS

    @property
    def id(self) -> UUID:
        return self.ref.id

    @property
    def permissions(self) -> tuple[str, ...]:
        return tuple(self.reasons)


def access_on(node) -> list[Access]:
    """Everyone holding any permission on `node` (a model instance or a :class:`Node`): :func:`who_can` for
    the eight permissions at once, by kind (people, service accounts, groups) and name. Callers check that
    the asker may read the node's grants: this answers for everyone.

    One load of the organization's graph and one read of the chain's grants answer for every permission,
    so the cost in queries is the same for any number of principals and any depth of nesting.
    """
    node = Node.of(node)
    _, graph, records = _chain_and_graph(node)
    candidates, reached_groups = _candidates(graph, records)
    found = []

    def held(group_paths, user_id) -> dict[str, tuple[Reason, ...]]:
        by_permission = {}
        for permission in ALL_PERMISSIONS:
            reasons = _reasons_through(graph, records, group_paths, user_id, permission, node)
            if reasons:
                by_permission[permission] = tuple(reasons)
        return by_permission

    for member_id in candidates:
        reasons = held(graph.group_paths(member_id), member_id)
        if reasons:
            kind = "service_account" if graph.members[member_id][3] == "service_account" else "user"
            found.append(Access(kind, graph.principal_ref(member_id), reasons))
    for group_id in reached_groups:
        reasons = held(graph.outwards([group_id]), None)
        if reasons:
            found.append(Access("group", Ref(group_id, graph.group_names[group_id]), reasons))
    return sorted(found, key=lambda access: (HOLDER_KINDS.index(access.kind), access.ref.name.lower(), str(access.id)))


def explain_access(principal, permission: str, node: Node) -> Explanation:
    """Why the user or service account `principal` may or may not do `permission` on `node`."""
    _, graph, records = _chain_and_graph(node)
    is_member = principal.pk in graph.members
    reasons = tuple(_reasons(graph, records, principal.pk, permission, node)) if is_member else ()
    return Explanation(
        principal=graph.principal_ref(principal.pk, getattr(principal, "email", "")),
        permission=permission,
        node=node,
        is_member=is_member,
        reasons=reasons,
        grantors=() if reasons else _grantors(graph, records, node),
    )


def explain_group_access(group: PermissionGroup, permission: str, node: Node) -> Explanation:
    """Why every member of `group` may (or why its membership alone does not let them) do `permission`
    on `node`: the grants to the group and to every group that contains it, transitively. A member may
    hold more through its own grants and other groups; this explains what the group itself carries.

    A group of another organization carries nothing here (``is_member`` is false), as grants count only
    inside the organization that owns the node.
    """
    org_id, graph, records = _chain_and_graph(node)
    is_member = group.org_id == org_id
    reasons = tuple(_reasons_through(graph, records, graph.outwards([group.pk]), None, permission, node)) if is_member else ()
    return Explanation(
        principal=Ref(group.pk, group.name),
        permission=permission,
        node=node,
        is_member=is_member,
        reasons=reasons,
        grantors=() if reasons else _grantors(graph, records, node),
    )
