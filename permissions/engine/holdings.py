"""Who holds which permissions on a few places at once: every member and group of the organization.

:func:`permissions.engine.explain.who_can` answers for one permission on one node; a preview of a change
(:mod:`permissions.services.preview`) needs every permission on every node the change concerns, before
and after it. :func:`holdings` reads the same things once for all of them: the organization's graph
(groups, nesting, memberships, roles) and the live grants on the places' chains, then applies the
decision rule (docs/access-model.md, "The decision") in Python. The number of queries grows with the
number of types of node (one to resolve the chains of each), never with the number of nodes, of
principals or the depth of nesting.

A *place* is a node and the type the permission is asked for there: the node's own type, or a type below
it, for what a grant restricted to that type gives ("read on the experiments of project P" is read on
a new experiment under P, as :func:`permissions.engine.can_create_in` checks a node about to be made).
"""

from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from permissions.engine.explain import _OrgGraph
from permissions.engine.nodes import Node
from permissions.grants import GrantRecord, Subjects, grant_records, resolve_chains
from permissions.types import chain_types

PRINCIPAL_KINDS = ("user", "service_account", "group")


@dataclass(frozen=True, order=True)
class Place:
    """A node, and the type of node the permission is asked for there: the node's own, or one below it."""

    node_type: str
    node_id: UUID
    as_type: str

    @classmethod
    def at(cls, node: Node, as_type: str | None = None) -> "Place":
        return cls(node.type, node.id, as_type or node.type)

    @property
    def node(self) -> Node:
        return Node(self.node_type, self.node_id)

    @property
    def restrict_object_type(self) -> str | None:
        """The type below the node the place stands for, or None for the node itself."""
        return None if self.as_type == self.node_type else self.as_type


@dataclass(frozen=True)
class Target:
    """What one grant names, as far as where it gives anything: its node, its restriction, its role."""

    node: Node
    restrict_object_type: str | None = None
    role_id: UUID | None = None

    @classmethod
    def of(cls, record: GrantRecord) -> "Target":
        return cls(record.node, record.restrict_object_type, record.role_id)


@dataclass(frozen=True, order=True)
class PrincipalKey:
    """A member (``user`` or ``service_account``) or a group of the organization."""

    kind: str
    id: UUID


@dataclass(frozen=True)
class Within:
    """The principals a change can concern: these members and these groups; the others are not read."""

    user_ids: frozenset[UUID] = frozenset()
    group_ids: frozenset[UUID] = frozenset()

    def __or__(self, other: "Within") -> "Within":
        return Within(self.user_ids | other.user_ids, self.group_ids | other.group_ids)


def subjects_within(org_id: UUID, user_ids: Iterable[UUID], group_ids: Iterable[UUID]) -> Within:
    """Everyone grants to these users and groups can concern: the users, the groups and every group nested
    in one of them, and their members (one load of the organization's graph)."""
    graph = _OrgGraph.load(org_id)
    groups = graph.inwards([g for g in group_ids if g in graph.group_names])
    users = {*user_ids, *(u for g in groups for u in graph.direct_users.get(g, ()))}
    return Within(frozenset(users), frozenset(groups))


def group_within(group_id: UUID, org_id: UUID) -> Within:
    """Everyone a change of the group's members can concern, as the organization stands now: the group, every
    group nested in it, and their members (one load of the organization's graph)."""
    return subjects_within(org_id, (), [group_id])


@dataclass(frozen=True)
class Holdings:
    """The permissions each principal holds at each place (principals holding nothing there left out),
    and the names of the principals, as people recognize them."""

    held: dict[Place, dict[PrincipalKey, frozenset[str]]]
    names: dict[PrincipalKey, str]

    def triples(self) -> set[tuple[PrincipalKey, str, Place]]:
        """(principal, permission, place) for every permission held."""
        return {(who, permission, place) for place, by_who in self.held.items() for who, perms in by_who.items() for permission in perms}


def _below(node_type: str, as_type: str | None) -> bool:
    """Whether `as_type` names nodes in the subtree of a `node_type` node, itself included."""
    return as_type is not None and node_type in chain_types(as_type)


class _Reading:
    """The organization's graph and the role pairs it expands to, for applying the decision rule."""

    def __init__(self, graph: _OrgGraph) -> None:
        self.graph = graph
        self._pairs: dict[UUID, frozenset[tuple[str, str]]] = {}
        self._containing: dict[UUID, frozenset[UUID]] = {}
        self._groups_of: dict[UUID, frozenset[UUID]] = {}
        self._reached: dict[frozenset[UUID], frozenset[UUID]] = {}

    # The graph's walks, once each for every place a preview reads.

    def containing(self, group_id: UUID) -> frozenset[UUID]:
        """The group and every group that contains it, transitively."""
        if group_id not in self._containing:
            self._containing[group_id] = frozenset(self.graph.outwards([group_id]))
        return self._containing[group_id]

    def groups_of(self, member_id: UUID) -> frozenset[UUID]:
        """Every group the member is in, directly or through member groups."""
        if member_id not in self._groups_of:
            self._groups_of[member_id] = frozenset(self.graph.group_paths(member_id))
        return self._groups_of[member_id]

    def reached(self, granted: frozenset[UUID]) -> frozenset[UUID]:
        """The organization's groups whose membership a grant to one of `granted` reaches: those, and every
        group nested in one of them."""
        if granted not in self._reached:
            self._reached[granted] = frozenset(self.graph.inwards(set(granted)) & self.graph.group_names.keys())
        return self._reached[granted]

    def role_pairs(self, role_id: UUID) -> frozenset[tuple[str, str]]:
        """Every (permission, restriction) the role gives, through its member roles; none for a role that is
        neither the organization's nor a system role (it counts for nothing here)."""
        if role_id not in self._pairs:
            pairs: set[tuple[str, str]] = set()
            if role_id in self.graph.role_names:
                seen, queue = {role_id}, deque([role_id])
                while queue:
                    current = queue.popleft()
                    pairs |= self.graph.pairs.get(current, set())
                    for member in self.graph.member_roles.get(current, ()):
                        if member not in seen:
                            seen.add(member)
                            queue.append(member)
            self._pairs[role_id] = frozenset(pairs)
        return self._pairs[role_id]

    def yields(self, record: GrantRecord, as_type: str) -> frozenset[str]:
        """The permissions `record` gives on a node of type `as_type` in its subtree."""
        if record.permission is not None:
            return frozenset({record.permission}) if record.restrict_object_type in (None, as_type) else frozenset()
        return frozenset(p for p, r in self.role_pairs(record.role_id) if r in ("", as_type))

    def places(self, target: Target) -> set[Place]:
        """The places where what `target` names may give something: its node, and each type below the
        node that its restriction (or a pair of its role) names."""
        node = target.node
        restrictions = {target.restrict_object_type} if target.role_id is None else {r for _, r in self.role_pairs(target.role_id)}
        return {Place.at(node)} | {Place.at(node, r) for r in restrictions if r and r != node.type and _below(node.type, r)}


def holdings(targets: Iterable[Target], within: Within | None = None) -> Holdings:
    """Who holds what at every place the `targets` concern: members (people and service accounts) by the
    decision rule, and groups by what their membership alone gives (as :func:`who_can` lists them); only
    the principals `within` names, if given (what the others hold is neither read nor answered).

    Nodes that no longer exist, or that no organization owns (a system role), concern nobody. The
    queries: one per type of node (their chains), then per organization its graph and one read of the
    grants on every chain.
    """
    targets = list(targets)
    chains = resolve_chains(target.node for target in targets)
    targets = [t for t in targets if t.node in chains]
    held: dict[Place, dict[PrincipalKey, frozenset[str]]] = {}
    names: dict[PrincipalKey, str] = {}
    by_org: dict[UUID, list[Target]] = defaultdict(list)
    for target in targets:
        by_org[chains[target.node][-1].id].append(target)
    for org_id, org_targets in by_org.items():
        reading = _Reading(_OrgGraph.load(org_id))
        chain_nodes = {node for target in org_targets for node in chains[target.node]}
        records_on: dict[Node, list[GrantRecord]] = defaultdict(list)
        for record in grant_records(nodes=chain_nodes, org_id=org_id, granted_to=_granted_to(reading, within)):
            records_on[record.node].append(record)
        for place in {place for target in org_targets for place in reading.places(target)}:
            on_chain = [record for node in chains[place.node] for record in records_on.get(node, ())]
            held[place] = _held_at(reading, place, on_chain, names, within)
    return Holdings(held, names)


def _granted_to(reading: _Reading, within: Within | None) -> Subjects | None:
    """The subjects of the grants that can give anything to the principals `within` names: they themselves,
    and every group containing one of them (None: every grant)."""
    if within is None:
        return None
    groups = set().union(*(reading.groups_of(u) for u in within.user_ids), *(reading.containing(g) for g in within.group_ids))
    return Subjects(user_ids=tuple(within.user_ids), group_ids=tuple(groups))


def _held_at(
    reading: _Reading, place: Place, records: list[GrantRecord], names: dict[PrincipalKey, str], within: Within | None = None
) -> dict[PrincipalKey, frozenset[str]]:
    """Who holds what at `place`, from `records`, the grants on its node's chain."""
    graph = reading.graph
    by_user: dict[UUID, set[str]] = defaultdict(set)
    by_group: dict[UUID, set[str]] = defaultdict(set)
    for record in records:
        given = reading.yields(record, place.as_type)
        if not given:
            continue
        if record.user_id is not None:
            by_user[record.user_id] |= given
        elif record.group_id is not None:
            by_group[record.group_id] |= given
    result: dict[PrincipalKey, frozenset[str]] = {}
    # Groups whose membership gives something: those granted, and every group nested in one of them.
    reached = reading.reached(frozenset(by_group))
    if within is not None:
        reached = reached & within.group_ids
    for group_id in reached:
        perms = frozenset().union(*(by_group.get(g, ()) for g in reading.containing(group_id)))
        if perms:
            key = PrincipalKey("group", group_id)
            result[key] = perms
            names[key] = graph.group_names[group_id]
    if within is None:
        candidates = set(by_user) | {user_id for group_id in reached for user_id in graph.direct_users.get(group_id, ())}
    else:
        candidates = set(within.user_ids)
    for member_id in candidates & graph.members.keys():
        perms = set(by_user.get(member_id, ()))
        for group_id in reading.groups_of(member_id):
            perms |= by_group.get(group_id, set())
        if perms:
            kind = "service_account" if graph.members[member_id][3] == "service_account" else "user"
            key = PrincipalKey(kind, member_id)
            result[key] = frozenset(perms)
            if key not in names:
                names[key] = graph.principal_ref(member_id).name
    return result


def group_targets(group_id: UUID, org_id: UUID) -> list[Target]:
    """What the grants to the group, and to every group containing it, name: the places where a change
    of the group's members changes anything (its graph and one read of grants)."""
    containers = _OrgGraph.load(org_id).outwards([group_id])
    return [Target.of(record) for record in grant_records(org_id=org_id, granted_to=Subjects(group_ids=tuple(containers)))]
