"""The access engine against a naive reading of docs/access-model.md, on small random worlds.

Hypothesis generates a *world description* (plain data, no database): two organizations, people and
service accounts with their memberships, custom and built-in groups with member users and acyclic member
groups, system and organization roles with pairs and acyclic member roles, projects with experiments,
datasets, prompts and playgrounds, and grants at every level. The test writes that world to the database
and compares every answer of the engine with an oracle that reads only the description and follows the
contract word for word: chain(node), groups*(principal), role expansion, restriction matching and the
membership requirement. Cross-organization rows (grants to non-members, to another organization's
groups, of another organization's roles) are part of the generated worlds and of explicit examples, and
so are grants, group memberships and nestings that have expired (they count for nothing) or will expire
(they count until then).
"""

import itertools
import random
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from guardian.shortcuts import assign_perm
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from accounts.models import Membership, Organization
from permissions.engine import (
    access_cache_scope,
    access_on,
    can,
    can_create_in,
    explain,
    explain_reach,
    holders,
    lists,
    permissions_on,
    reachable_rows,
    restrict,
)
from permissions.engine.context import _from_shared_cache, _load
from permissions.engine.nodes import Node
from permissions.exceptions import NotFound
from permissions.models import AclGrant, GroupMembershipExpiry, GroupNesting, PermissionGroup, Role, RoleNesting, RolePermission
from permissions.types import ALL_PERMISSIONS, CRUD_PERMISSIONS, VIRTUAL_TYPES, ObjectType, codename
from projects.models import Dataset, Experiment, Project, Prompt, PromptSession
from tests.factories import (
    DatasetFactory,
    ExperimentFactory,
    OrganizationFactory,
    PermissionGroupFactory,
    ProjectFactory,
    PromptFactory,
    PromptSessionFactory,
    ServiceAccountFactory,
    UserFactory,
)

pytestmark = pytest.mark.long_running

ORGS = (0, 1)
# The limits on the ids written into a list's statement: as they are, and leaving room for none, so that
# restrict takes its subqueries' way.
ROOM_FOR_IDS = {"INLINE_OWN_IDS": lists.INLINE_OWN_IDS, "READ_GRANTED_IDS": lists.READ_GRANTED_IDS}
NO_ROOM_FOR_IDS = {"INLINE_OWN_IDS": -1, "READ_GRANTED_IDS": -1}
# (name, listing, limits): a lookup's subqueries; a page's granted ids, read first and named in the
# statement; a page whose ids were read and did not fit, found from the grants' subqueries.
LIST_FORMS = (
    ("subqueries", False, ROOM_FOR_IDS),
    ("granted ids named", True, ROOM_FOR_IDS),
    ("granted ids read, subqueries", True, NO_ROOM_FOR_IDS),
)
EXPLAINED_PER_EXAMPLE = 16
OBJECT_TYPES = tuple(ObjectType.values)
ORG_LEVEL_TYPES = ("organization", "org_member", "org_audit_logs", "org_project")
PROJECT_OBJECT_TYPES = ("experiment", "dataset", "prompt", "prompt_session")

# The contract's system roles and built-in groups (docs/access-model.md, "Principals" and "Built-in groups").
SYSTEM_ROLES = {"owner": ALL_PERMISSIONS, "engineer": CRUD_PERMISSIONS, "viewer": ("read",)}
BUILTIN_KINDS = ("owners", "engineers", "viewers")
BUILTIN_ORG_READ_RESTRICTIONS = ("organization", "org_member", "group", "role")
# The hierarchy (docs/access-model.md, "Objects and their hierarchy"): the types whose parent is each type.
CHILD_TYPES = {
    "organization": ("org_member", "org_audit_logs", "group", "role", "org_project"),
    "org_project": ("project",),
    "project": ("project_log", "experiment", "dataset", "prompt", "prompt_session"),
}

# A node of a world: (object type, index). The index names an organization for organization,
# org_member, org_audit_logs and org_project; a group, a role or a project for those types and for
# project_log; an object of `World.objects` for the four object types.
Ref = tuple[str, int]


@dataclass(frozen=True)
class Principal:
    kind: str  # "person" or "service_account"
    orgs: frozenset[int]  # the organizations it is a member of
    sa_org: int | None = None


@dataclass(frozen=True)
class Group:
    org: int
    builtin: str  # "", "owners", "engineers" or "viewers"
    users: frozenset[int]  # the memberships that count: none expired
    members: frozenset[int]  # member groups, by index, whose nesting counts
    expiring_users: frozenset[int] = frozenset()  # of `users`, those whose membership expires later
    lapsed_users: frozenset[int] = frozenset()  # memberships that have expired (rows not yet removed)
    lapsed_members: frozenset[int] = frozenset()  # nestings that have expired


@dataclass(frozen=True)
class RoleSpec:
    org: int | None  # None for a system role
    name: str
    pairs: frozenset[tuple[str, str]]
    members: frozenset[int]  # member roles, by index


@dataclass(frozen=True)
class Grant:
    node: Ref
    subject: tuple[str, int]  # ("user", principal) or ("group", group)
    permission: str | None
    restrict: str  # "" for no restriction
    role: int | None
    builtin: bool = False  # written by organization_create, not by the test
    expiry: str = ""  # "" (never), "past" (has expired: counts for nothing) or "future" (counts until then)


@dataclass(frozen=True)
class World:
    principals: tuple[Principal, ...]  # 0 and 1 are the people who created organizations 0 and 1
    groups: tuple[Group, ...]
    roles: tuple[RoleSpec, ...]  # 0, 1, 2 are the system roles owner, engineer, viewer
    projects: tuple[int, ...]  # the organization of each project
    objects: tuple[tuple[str, int], ...]  # (type, project) of each object in a project
    grants: tuple[Grant, ...]

    # The hierarchy, from the description alone.

    def nodes(self) -> list[Ref]:
        refs: list[Ref] = [(t, org) for org in ORGS for t in ORG_LEVEL_TYPES]
        refs += [("group", g) for g in range(len(self.groups))]
        refs += [("role", r) for r in range(len(self.roles))]
        refs += [(t, p) for p in range(len(self.projects)) for t in ("project", "project_log")]
        refs += [(t, i) for i, (t, _) in enumerate(self.objects)]
        return refs

    def org_of(self, ref: Ref) -> int | None:
        object_type, index = ref
        if object_type in ORG_LEVEL_TYPES:
            return index
        if object_type == "group":
            return self.groups[index].org
        if object_type == "role":
            return self.roles[index].org
        if object_type in ("project", "project_log"):
            return self.projects[index]
        return self.projects[self.objects[index][1]]

    def parent(self, ref: Ref) -> Ref | None:
        object_type, index = ref
        if object_type == "organization":
            return None
        if object_type == "project":
            return ("org_project", self.projects[index])
        if object_type == "project_log":
            return ("project", index)
        if object_type in PROJECT_OBJECT_TYPES:
            return ("project", self.objects[index][1])
        org = self.org_of(ref)
        return None if org is None else ("organization", org)

    def chain(self, ref: Ref | None) -> list[Ref]:
        nodes = []
        while ref is not None:
            nodes.append(ref)
            ref = self.parent(ref)
        return nodes

    def members_of(self, org: int) -> list[int]:
        return [p for p, principal in enumerate(self.principals) if org in principal.orgs]

    # The oracle: docs/access-model.md, "Grants" and "The decision".

    def groups_containing(self, principal: int) -> set[int]:
        """groups*(principal): groups with the principal as a member user, then their containers, transitively."""
        return self.with_containers({g for g, group in enumerate(self.groups) if principal in group.users})

    def with_containers(self, groups: set[int]) -> set[int]:
        """`groups` and every group containing one of them, transitively."""
        found = set(groups)
        grown = True
        while grown:
            grown = False
            for g, group in enumerate(self.groups):
                if g not in found and group.members & found:
                    found.add(g)
                    grown = True
        return found

    def role_pairs(self, role: int) -> set[tuple[str, str]]:
        pairs: set[tuple[str, str]] = set()
        seen: set[int] = set()
        todo = [role]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            pairs |= self.roles[current].pairs
            todo.extend(self.roles[current].members)
        return pairs

    def granted_permissions(self, principal: int) -> tuple[set[str], set[str]]:
        """The permissions named by the non-built-in grants reaching `principal` (directly or through its
        groups, in any organization): those with a restriction, and all of them."""
        groups = self.groups_containing(principal)
        restricted: set[str] = set()
        named: set[str] = set()
        for grant in self.grants:
            kind, who = grant.subject
            if grant.builtin or grant.expiry == "past" or (kind == "user" and who != principal) or (kind == "group" and who not in groups):
                continue
            pairs = self.grant_pairs(grant)
            named |= {p for p, _ in pairs}
            restricted |= {p for p, r in pairs if r}
        return restricted, named

    def grant_pairs(self, grant: Grant) -> set[tuple[str, str]]:
        """A role grant behaves as one direct grant per pair the role expands to."""
        return {(grant.permission, grant.restrict)} if grant.role is None else self.role_pairs(grant.role)

    def grant_yields(self, grant: Grant, permission: str, node_type: str) -> bool:
        return any(p == permission and r in ("", node_type) for p, r in self.grant_pairs(grant))

    def allowing_grants(self, principal: int, permission: str, chain: list[Ref], node_type: str) -> set[int]:
        """Indices of the grants that give `principal` `permission` on a `node_type` whose chain is `chain`."""
        org = self.org_of(chain[0])
        if org is None or org not in self.principals[principal].orgs:
            return set()
        # Groups and roles are the organization's own (or system roles): nothing else counts inside it.
        groups = {g for g in self.groups_containing(principal) if self.groups[g].org == org}
        allowing = set()
        for i, grant in enumerate(self.grants):
            if grant.node not in chain or grant.expiry == "past":
                continue
            kind, who = grant.subject
            if (kind == "user" and who != principal) or (kind == "group" and who not in groups):
                continue
            if grant.role is not None and self.roles[grant.role].org not in (None, org):
                continue
            if self.grant_yields(grant, permission, node_type):
                allowing.add(i)
        return allowing

    def can(self, principal: int, permission: str, ref: Ref) -> bool:
        return bool(self.allowing_grants(principal, permission, self.chain(ref), ref[0]))

    def group_carries(self, group: int, permission: str, ref: Ref, as_type: str | None = None) -> bool:
        """Whether membership of `group` alone gives `permission` on `ref` (or, with `as_type`, on a node of
        that type at or below `ref`): a live grant on its chain to the group or to a group containing it
        (transitively), in the node's organization."""
        org = self.org_of(ref)
        if org is None or self.groups[group].org != org:
            return False
        containing = self.with_containers({group})
        chain = self.chain(ref)
        return any(
            grant.node in chain
            and grant.expiry != "past"
            and grant.subject[0] == "group"
            and grant.subject[1] in containing
            and (grant.role is None or self.roles[grant.role].org in (None, org))
            and self.grant_yields(grant, permission, as_type or ref[0])
            for grant in self.grants
        )

    def can_create(self, principal: int, object_type: str, parent: Ref) -> bool:
        """create on a not-yet-existing node of `object_type` under `parent`: its chain is the parent's."""
        return bool(self.allowing_grants(principal, "create", self.chain(parent), object_type))

    def creatable_children(self, parent: Ref) -> tuple[str, ...]:
        return CHILD_TYPES.get(parent[0], ())


def builtin_grants(groups: list[Group]) -> list[Grant]:
    """What organization_create grants the built-in groups (docs/access-model.md, "Built-in groups")."""
    grants = []
    for org in ORGS:
        owners, engineers, viewers = (
            next(g for g, group in enumerate(groups) if (group.org, group.builtin) == (org, kind)) for kind in BUILTIN_KINDS
        )
        grants += [Grant(("organization", org), ("group", owners), p, "", None, True) for p in ALL_PERMISSIONS]
        for group, project_permissions in ((engineers, CRUD_PERMISSIONS), (viewers, ("read",))):
            grants += [Grant(("org_project", org), ("group", group), p, "", None, True) for p in project_permissions]
            grants += [Grant(("organization", org), ("group", group), "read", t, None, True) for t in BUILTIN_ORG_READ_RESTRICTIONS]
    return grants


def grant_key(grant: Grant) -> tuple:
    return (grant.node, grant.subject, grant.permission, grant.restrict, grant.role)


def system_roles() -> list[RoleSpec]:
    return [RoleSpec(None, name, frozenset((p, "") for p in perms), frozenset()) for name, perms in SYSTEM_ROLES.items()]


def assemble(principals, groups, roles, projects, objects, extra_grants) -> World:
    """A world whose grants are the built-in ones plus `extra_grants`, without duplicates."""
    grants: list[Grant] = []
    seen: set[tuple] = set()
    for grant in [*builtin_grants(groups), *extra_grants]:
        if grant_key(grant) not in seen:
            seen.add(grant_key(grant))
            grants.append(grant)
    return World(tuple(principals), tuple(groups), tuple(roles), tuple(projects), tuple(objects), tuple(grants))


# No restriction, a concrete type (what restrict lists), or any type.
restrictions = st.one_of(st.just(""), st.sampled_from(sorted(set(OBJECT_TYPES) - VIRTUAL_TYPES)), st.sampled_from(OBJECT_TYPES))


@st.composite
def worlds(draw) -> World:
    principals = [Principal("person", frozenset({org} | ({1 - org} if draw(st.booleans()) else set()))) for org in ORGS]
    for _ in range(draw(st.integers(0, 2))):
        principals.append(Principal("person", draw(st.frozensets(st.sampled_from(ORGS)))))
    for _ in range(draw(st.integers(0, 2))):
        org = draw(st.sampled_from(ORGS))
        principals.append(Principal("service_account", frozenset({org}), org))
    anyone = st.sampled_from(range(len(principals)))

    groups: list[Group] = []
    for org in ORGS:
        kinds = [*BUILTIN_KINDS, *[""] * draw(st.integers(0, 2))]
        order = draw(st.permutations(range(len(kinds))))
        base = len(groups)
        made: dict[int, Group] = {}
        for position, k in enumerate(order):
            if kinds[k] == "owners":
                # The person who created the organization, and rarely anyone else: Owners hold everything.
                users = {org, *draw(st.frozensets(anyone, max_size=1))}
            else:
                users = set(draw(st.frozensets(anyone, max_size=2)))
            expiring = draw(st.frozensets(st.sampled_from(sorted(users)), max_size=1)) if users else frozenset()
            lapsed = draw(st.frozensets(anyone, max_size=1)) - users
            # A group may contain only groups placed before it: the nesting is acyclic.
            earlier = [base + order[j] for j in range(position)]
            members = draw(st.frozensets(st.sampled_from(earlier), max_size=2)) if earlier else frozenset()
            lapsed_members = draw(st.frozensets(st.sampled_from(earlier), max_size=1)) - members if earlier else frozenset()
            made[k] = Group(org, kinds[k], frozenset(users), members, expiring, lapsed, lapsed_members)
        groups += [made[k] for k in range(len(kinds))]

    roles = system_roles()
    pair = st.tuples(st.sampled_from(ALL_PERMISSIONS), restrictions)
    for org in ORGS:
        own: list[int] = []
        for _ in range(draw(st.integers(0, 2))):
            inheritable = [0, 1, 2, *own]  # system roles and this organization's earlier roles: acyclic
            members = draw(st.frozensets(st.sampled_from(inheritable), max_size=2))
            roles.append(RoleSpec(org, f"role {len(roles)}", draw(st.frozensets(pair, max_size=3)), members))
            own.append(len(roles) - 1)

    projects = [org for org in ORGS for _ in range(draw(st.integers(0, 2)))]
    objects = [(t, p) for p in range(len(projects)) for t in draw(st.lists(st.sampled_from(PROJECT_OBJECT_TYPES), max_size=3))]

    partial = World(tuple(principals), tuple(groups), tuple(roles), tuple(projects), tuple(objects), ())
    grantable = [ref for ref in partial.nodes() if partial.org_of(ref) is not None]
    subject = st.one_of(
        st.tuples(st.just("user"), anyone),
        st.tuples(st.just("group"), st.sampled_from(range(len(groups)))),
    )
    permission_grant = st.builds(lambda p, r: (p, r, None), st.sampled_from(ALL_PERMISSIONS), restrictions)
    role_grant = st.builds(lambda r: (None, "", r), st.sampled_from(range(len(roles))))
    expiry = st.sampled_from(("", "", "past", "future"))
    grant = st.builds(
        lambda node, who, what, when: Grant(node, who, *what, expiry=when),
        st.sampled_from(grantable),
        subject,
        permission_grant | role_grant,
        expiry,
    )
    return assemble(principals, groups, roles, projects, objects, draw(st.lists(grant, max_size=14)))


def _cross_organization_world() -> World:
    """Principals 2 and 5 (a service account) are members of organization 0 only, 3 of both, 4 of none.

    Every grant below is on a node of organization 1 and none of them may count: either the principal is
    not a member of organization 1, or the group or role granted belongs to organization 0.
    """
    principals = [
        Principal("person", frozenset({0})),
        Principal("person", frozenset({1})),
        Principal("person", frozenset({0})),
        Principal("person", frozenset({0, 1})),
        Principal("person", frozenset()),
        Principal("service_account", frozenset({0}), 0),
    ]
    groups = [
        Group(0, "owners", frozenset({0}), frozenset()),
        Group(0, "engineers", frozenset({2, 4}), frozenset()),
        Group(0, "viewers", frozenset(), frozenset()),
        Group(1, "owners", frozenset({1}), frozenset()),
        Group(1, "engineers", frozenset({2}), frozenset()),  # a non-member in a group of organization 1
        Group(1, "viewers", frozenset(), frozenset()),
        Group(0, "", frozenset({3, 5}), frozenset({1})),  # organization 0's group, holding both people
    ]
    roles = [*system_roles(), RoleSpec(0, "org 0 role", frozenset({("read", ""), ("update", "")}), frozenset({0}))]
    projects = [0, 1]
    objects = [("experiment", 0), ("experiment", 1), ("dataset", 1), ("prompt_session", 1)]
    grants = []
    for who in (("user", 2), ("user", 4), ("user", 5), ("group", 6), ("group", 1)):
        grants += [
            Grant(("organization", 1), who, "read", "", None),
            Grant(("org_project", 1), who, "create", "", None),
            Grant(("project", 1), who, "update", "experiment", None),
            Grant(("experiment", 1), who, "delete", "", None),
            Grant(("project_log", 1), who, "read", "", None),
            Grant(("dataset", 2), who, None, "", 0),
            Grant(("org_member", 1), who, None, "", 3),
        ]
    # Organization 0's role granted, on organization 1's nodes, to a member of both organizations.
    grants += [Grant(("project", 1), ("user", 3), None, "", 3), Grant(("organization", 1), ("user", 3), None, "", 3)]
    # And a grant that does count: principal 3 is a member of organization 1.
    grants.append(Grant(("prompt_session", 3), ("user", 3), "read", "", None))
    return assemble(principals, groups, roles, projects, objects, grants)


def _deep_world() -> World:
    """Nested groups and roles three deep, with restricted pairs, in one organization.

    The service account (2) is in group 7, inside group 6, inside Viewers; group 6 holds the role "top",
    which inherits "middle", which inherits "leaf", which inherits the system role viewer.
    """
    principals = [Principal("person", frozenset({0})), Principal("person", frozenset({1})), Principal("service_account", frozenset({0}), 0)]
    groups = [
        Group(0, "owners", frozenset({0}), frozenset()),
        Group(0, "engineers", frozenset(), frozenset()),
        Group(0, "viewers", frozenset(), frozenset({6})),
        Group(1, "owners", frozenset({1}), frozenset()),
        Group(1, "engineers", frozenset(), frozenset()),
        Group(1, "viewers", frozenset(), frozenset()),
        Group(0, "", frozenset(), frozenset({7})),
        Group(0, "", frozenset({2}), frozenset()),
    ]
    roles = [
        *system_roles(),
        RoleSpec(0, "leaf", frozenset({("update", "experiment"), ("read_acls", "")}), frozenset({2})),
        RoleSpec(0, "middle", frozenset({("delete", "dataset")}), frozenset({3})),
        RoleSpec(0, "top", frozenset(), frozenset({4})),
    ]
    projects = [0]
    objects = [("experiment", 0), ("dataset", 0), ("prompt", 0)]
    grants = [
        Grant(("project", 0), ("group", 6), None, "", 5),
        Grant(("org_project", 0), ("group", 7), "create", "experiment", None),
        Grant(("project_log", 0), ("user", 2), "update", "", None),
        Grant(("organization", 0), ("group", 7), "create_acls", "prompt", None),
        Grant(("role", 3), ("group", 6), "read", "", None),
    ]
    return assemble(principals, groups, roles, projects, objects, grants)


def _expiring_world() -> World:
    """Everything principal 2 could hold through expired rows, and what principal 3 holds until later.

    Principal 2's membership of group 6 has expired, as has group 6's nesting in Engineers and principal
    2's own grants; principal 3 is in group 7 until later, and group 7 in Viewers, with grants that expire
    later: all of those count.
    """
    principals = [Principal("person", frozenset({0})), Principal("person", frozenset({1}))]
    principals += [Principal("person", frozenset({0})), Principal("service_account", frozenset({0}), 0)]
    groups = [
        Group(0, "owners", frozenset({0}), frozenset()),
        Group(0, "engineers", frozenset(), frozenset(), lapsed_members=frozenset({6})),
        Group(0, "viewers", frozenset(), frozenset({7})),
        Group(1, "owners", frozenset({1}), frozenset()),
        Group(1, "engineers", frozenset(), frozenset()),
        Group(1, "viewers", frozenset(), frozenset()),
        Group(0, "", frozenset(), frozenset(), lapsed_users=frozenset({2})),
        Group(0, "", frozenset({3}), frozenset(), expiring_users=frozenset({3})),
    ]
    projects = [0]
    objects = [("experiment", 0), ("dataset", 0)]
    grants = [
        Grant(("organization", 0), ("user", 2), None, "", 0, expiry="past"),
        Grant(("project", 0), ("user", 2), "update", "", None, expiry="past"),
        Grant(("experiment", 0), ("user", 2), "delete", "", None, expiry="past"),
        Grant(("project", 0), ("group", 6), "read", "experiment", None),
        Grant(("org_project", 0), ("group", 7), "create", "", None, expiry="future"),
        Grant(("dataset", 1), ("user", 3), "update", "", None, expiry="future"),
        Grant(("project_log", 0), ("group", 7), None, "", 2, expiry="future"),
    ]
    return assemble(principals, groups, system_roles(), projects, objects, grants)


CROSS_ORGANIZATION_WORLD = _cross_organization_world()
DEEP_WORLD = _deep_world()
EXPIRING_WORLD = _expiring_world()

OBJECT_FACTORIES = {
    "experiment": ExperimentFactory,
    "dataset": DatasetFactory,
    "prompt": PromptFactory,
    "prompt_session": PromptSessionFactory,
}
CONCRETE_MODELS = {
    "organization": Organization,
    "group": PermissionGroup,
    "role": Role,
    "project": Project,
    "experiment": Experiment,
    "dataset": Dataset,
    "prompt": Prompt,
    "prompt_session": PromptSession,
}


class Materialized:
    """A world written to the database, with the ids of everything it names."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.users = []
        self.orgs = []
        for _ in ORGS:
            owner = UserFactory(password=None)
            self.users.append(owner)
            self.orgs.append(OrganizationFactory(owner=owner))
        for p, principal in enumerate(world.principals):
            if p < len(ORGS):
                user = self.users[p]
            elif principal.kind == "service_account":
                user = ServiceAccountFactory(service_account_org=self.orgs[principal.sa_org])
            else:
                user = UserFactory(password=None)
            if p >= len(ORGS):
                self.users.append(user)
            for org in principal.orgs:
                Membership.objects.get_or_create(org=self.orgs[org], user=user)

        now = timezone.now()
        self.expires_at = {"": None, "past": now - timedelta(hours=1), "future": now + timedelta(days=1)}
        self.groups = []
        for group in world.groups:
            if group.builtin:
                row = PermissionGroup.objects.get(org=self.orgs[group.org], builtin=group.builtin)
            else:
                row = PermissionGroupFactory(org=self.orgs[group.org])
            row.auth_group.user_set.add(*(self.users[u] for u in group.users | group.lapsed_users))
            for users, when in ((group.expiring_users, "future"), (group.lapsed_users, "past")):
                GroupMembershipExpiry.objects.bulk_create(
                    GroupMembershipExpiry(user=self.users[u], group=row, expires_at=self.expires_at[when]) for u in users
                )
            self.groups.append(row)
        for g, group in enumerate(world.groups):
            for members, when in ((group.members, ""), (group.lapsed_members, "past")):
                for member in members:
                    GroupNesting.objects.create(group=self.groups[g], member_group=self.groups[member], expires_at=self.expires_at[when])

        self.roles = []
        for role in world.roles:
            if role.org is None:
                self.roles.append(Role.objects.get(org=None, name=role.name))
                continue
            row = Role.objects.create(org=self.orgs[role.org], name=role.name)
            RolePermission.objects.bulk_create([RolePermission(role=row, permission=p, restrict_object_type=r) for p, r in role.pairs])
            self.roles.append(row)
        for r, role in enumerate(world.roles):
            if role.org is not None:
                for member in role.members:
                    RoleNesting.objects.create(role=self.roles[r], member_role=self.roles[member])

        self.projects = [ProjectFactory(org=self.orgs[org]) for org in world.projects]
        self.objects = [OBJECT_FACTORIES[t](project=self.projects[p]) for t, p in world.objects]

        for grant in world.grants:
            if not grant.builtin:
                self._write_grant(grant)

        self.principal_index = {user.pk: p for p, user in enumerate(self.users)}
        self.group_index = {group.pk: g for g, group in enumerate(self.groups)}
        self.role_index = {role.pk: r for r, role in enumerate(self.roles)}

    def instance(self, ref: Ref):
        object_type, index = ref
        if object_type in ORG_LEVEL_TYPES:
            return self.orgs[index]
        if object_type == "group":
            return self.groups[index]
        if object_type == "role":
            return self.roles[index]
        if object_type in ("project", "project_log"):
            return self.projects[index]
        return self.objects[index]

    def node(self, ref: Ref) -> Node:
        return Node(ref[0], self.instance(ref).pk)

    @cached_property
    def ref_of(self) -> dict[Node, Ref]:
        return {self.node(ref): ref for ref in self.world.nodes()}

    def _write_grant(self, grant: Grant) -> None:
        kind, who = grant.subject
        user = self.users[who] if kind == "user" else None
        group = self.groups[who] if kind == "group" else None
        object_type = grant.node[0]
        expires_at = self.expires_at[grant.expiry]
        if object_type not in VIRTUAL_TYPES and grant.permission and not grant.restrict:
            row = assign_perm(codename(grant.permission, object_type), user or group.auth_group, self.instance(grant.node))
            type(row).objects.filter(pk=row.pk).update(expires_at=expires_at)
        else:
            AclGrant.objects.create(
                expires_at=expires_at,
                org=self.orgs[self.world.org_of(grant.node)],
                object_type=object_type,
                object_id=self.node(grant.node).id,
                user=user,
                group=group,
                permission=grant.permission,
                role=self.roles[grant.role] if grant.role is not None else None,
                restrict_object_type=grant.restrict,
            )

    def world_key(self, record) -> tuple:
        """The world's description of a grant the engine reports."""
        subject = ("user", self.principal_index[record.user_id]) if record.user_id else ("group", self.group_index[record.group_id])
        role = self.role_index[record.role_id] if record.role_id else None
        return (self.ref_of[record.node], subject, record.permission, record.restrict_object_type or "", role)


def checks(world: World) -> list[tuple]:
    """Every single-node check of the world: can on each node, and create of each child type under it."""
    keys = []
    for p in range(len(world.principals)):
        for ref in world.nodes():
            keys += [("can", p, ref, permission) for permission in ALL_PERMISSIONS]
            keys += [("create", p, ref, child) for child in world.creatable_children(ref)]
    return keys


def engine_answers(m: Materialized, keys: list[tuple]) -> dict[tuple, bool]:
    answers = {}
    for kind, p, ref, what in keys:
        if kind == "can":
            answers[kind, p, ref, what] = can(m.users[p], what, m.node(ref))
        else:
            answers[kind, p, ref, what] = can_create_in(m.users[p], what, m.node(ref))
    return answers


def contract_answers(world: World, keys: list[tuple]) -> dict[tuple, bool]:
    answers = {}
    for kind, p, ref, what in keys:
        answers[kind, p, ref, what] = world.can(p, what, ref) if kind == "can" else world.can_create(p, what, ref)
    return answers


def differences(actual: dict, expected: dict) -> list[tuple]:
    """(check, engine, contract) for every check on which the two disagree."""
    return sorted(((key, actual.get(key), value) for key, value in expected.items() if actual.get(key) != value), key=repr)


class EngineAgreesWithTheAccessModelTests(TestCase):
    """Each example runs in a transaction that is rolled back afterwards (hypothesis' Django TestCase).

    Single-node checks (can, permissions_on, can_create_in) are exhaustive: every principal, permission
    and node, and every child type under every node. restrict and explain build much larger statements
    or load whole graphs, so each example checks restrict for every principal and concrete model with a
    drawn permission, and explain on a drawn sample of (principal, permission, node); the explicit
    examples explain every (principal, node) pair.

    The fast paths are the ones checked: answers in a scope come from the request's memo, answers outside
    one from the context kept in the shared cache (checked against a fresh load), lists below projects
    both from the granted ids read first and from the grants' subqueries, and on PostgreSQL every engine
    statement runs prepared, with its arrays bound as single parameters.
    """

    maxDiff = None

    @settings(max_examples=40)
    @example(world=CROSS_ORGANIZATION_WORLD, picks=random.Random(1), thorough=True)
    @example(world=DEEP_WORLD, picks=random.Random(2), thorough=True)
    @example(world=EXPIRING_WORLD, picks=random.Random(3), thorough=True)
    @given(world=worlds(), picks=st.randoms(use_true_random=False), thorough=st.just(False))
    def test_can_restrict_explain_and_create_checks_match_the_contract_cached_or_not(
        self, world: World, picks: random.Random, thorough: bool
    ) -> None:
        m = Materialized(world)
        self.check_single_node_answers_cached_and_uncached(m)
        self.check_restrict_returns_exactly_the_allowed_objects(m, picks, thorough)
        self.check_explain_matches_and_its_reasons_hold(m, picks, thorough)

    def check_single_node_answers_cached_and_uncached(self, m: Materialized) -> None:
        keys = checks(m.world)
        expected = contract_answers(m.world, keys)
        with access_cache_scope():
            first = engine_answers(m, keys)
            with CaptureQueriesContext(connection) as queries:
                again = engine_answers(m, keys)
            self.assertEqual(len(queries), 0, "a repeated check inside a scope must be served from the cache")
        self.assertEqual(differences(first, expected), [], "engine (in a scope) vs contract: (check, engine, contract)")
        self.assertEqual(again, first, "answers served from the cache differ from the first ones")
        # Outside any scope nothing is cached: can() is `permission in permissions_on()`, one fresh read each.
        for p, user in enumerate(m.users):
            for ref in m.world.nodes():
                held = {permission for permission in ALL_PERMISSIONS if expected["can", p, ref, permission]}
                self.assertEqual(permissions_on(user, m.node(ref)), held, f"permissions_on(principal {p}, {ref}) outside a scope")
        uncached = {key: can_create_in(m.users[key[1]], key[3], m.node(key[2])) for key in keys if key[0] == "create"}
        self.assertEqual(
            differences(uncached, {k: v for k, v in expected.items() if k[0] == "create"}), [], "can_create_in outside a scope"
        )
        # Those reads found each principal's context in the shared cache, current: the one a fresh load gives.
        for p, user in enumerate(m.users):
            stored = _from_shared_cache(user)
            self.assertIsNotNone(stored, f"principal {p}'s context is not in the shared cache")
            fresh = _load(user, type(user)._meta.pk.get_db_prep_value(user.pk, connection))[1]
            self.assertEqual(stored[1], fresh, f"principal {p}'s context in the shared cache is not the fresh one")

    def check_restrict_returns_exactly_the_allowed_objects(self, m: Materialized, picks: random.Random, thorough: bool) -> None:
        world = m.world
        # For each principal, preferably a permission its own (non-built-in) grants and roles give with
        # a restriction, then any they give: that is where types and roles decide.
        candidates = {p: world.granted_permissions(p) for p in range(len(world.principals))}
        for object_type, model in CONCRETE_MODELS.items():
            refs = [ref for ref in world.nodes() if ref[0] == object_type]
            for p, user in enumerate(m.users):
                restricted, given_at_all = candidates[p]
                permissions = ALL_PERMISSIONS if thorough else [picks.choice(sorted(restricted or given_at_all) or ALL_PERMISSIONS)]
                for permission in permissions:
                    allowed = {m.instance(ref).pk for ref in refs if world.can(p, permission, ref)}
                    # Every way of stating a list below projects (see LIST_FORMS).
                    for form, listing, room in LIST_FORMS:
                        with mock.patch.multiple(lists, **room):
                            got = set(restrict(model.objects.all(), user, permission, listing=listing).values_list("pk", flat=True))
                        self.assertEqual(got, allowed, f"restrict({model.__name__}, principal {p}, {permission}), {form}")
                    # Two requests: the second takes the granted ids the first read from the shared cache.
                    for request in ("first request", "next request"):
                        with access_cache_scope():
                            got = set(restrict(model.objects.all(), user, permission, listing=True).values_list("pk", flat=True))
                        self.assertEqual(got, allowed, f"restrict({model.__name__}, principal {p}, {permission}), {request}")

    def check_explain_matches_and_its_reasons_hold(self, m: Materialized, picks: random.Random, thorough: bool) -> None:
        world = m.world
        pairs = [(p, ref) for p in range(len(world.principals)) for ref in world.nodes()]
        if not thorough:
            pairs = picks.sample(pairs, min(EXPLAINED_PER_EXAMPLE, len(pairs)))
        for p, ref in pairs:
            self.check_explain(m, p, picks.choice(ALL_PERMISSIONS), ref)
        nodes = [ref for ref in world.nodes() if world.org_of(ref) is not None]
        for ref in nodes if thorough else picks.sample(nodes, min(4, len(nodes))):
            self.check_holders(m, picks.choice(ALL_PERMISSIONS), ref)
            self.check_access_on(m, ref)
        types = sorted({ref[0] for ref in nodes})
        for org in ORGS:
            for object_type in types if thorough else [picks.choice(types)]:
                permission = picks.choice(ALL_PERMISSIONS)
                for p in range(len(world.principals)):
                    self.check_what_can(m, ("principal", p), permission, object_type, org)
                for g in range(len(world.groups)):
                    if world.groups[g].org == org:
                        self.check_what_can(m, ("group", g), permission, object_type, org)

    def check_what_can(self, m: Materialized, who: tuple[str, int], permission: str, object_type: str, org: int) -> None:
        """reachable_rows() lists exactly the nodes of a type where a member can, or where a group's membership
        alone gives it, and explain_reach() gives each a reason that holds."""
        world = m.world
        kind, index = who
        where = f"what_can({kind} {index}, {permission}, {object_type}, organization {org})"
        principal = m.users[index] if kind == "principal" else m.groups[index]
        org_id = m.node(("organization", org)).id
        refs = [ref for ref in world.nodes() if ref[0] == object_type and world.org_of(ref) == org]
        allowed = {
            m.node(ref).id
            for ref in refs
            if (world.can(index, permission, ref) if kind == "principal" else world.group_carries(index, permission, ref))
        }
        rows = list(reachable_rows(principal, permission, object_type, org_id))
        self.assertEqual({row.pk for row in rows}, allowed, where)
        for reach in explain_reach(principal, permission, object_type, rows, org_id):
            self.assertTrue(reach.reasons, f"{where}: {reach.node} is listed without a reason")
            if kind == "principal":
                for reason in reach.reasons:
                    self.assert_reason_holds(m, index, permission, m.ref_of[reach.node], reason, where)

    def check_holders(self, m: Materialized, permission: str, ref: Ref) -> None:
        """holders() names exactly the members who can, and the groups whose membership alone gives it."""
        world = m.world
        where = f"holders({permission}, {ref})"
        found = holders(permission, m.node(ref))
        members = {m.principal_index[h.id] for h in found if h.kind != "group"}
        self.assertEqual(members, {p for p in world.members_of(world.org_of(ref)) if world.can(p, permission, ref)}, where)
        groups = {m.group_index[h.id] for h in found if h.kind == "group"}
        self.assertEqual(groups, {g for g in range(len(world.groups)) if world.group_carries(g, permission, ref)}, where)
        for holder in found:
            self.assertTrue(holder.reasons, f"{where}: {holder.ref.name} is listed without a reason")

    def check_access_on(self, m: Materialized, ref: Ref) -> None:
        """access_on() names, for every permission at once, exactly the members who can and the groups whose
        membership alone gives it, each permission with the reasons holders() gives for it."""
        world = m.world
        where = f"access_on({ref})"
        found = access_on(m.node(ref))
        members = {(m.principal_index[a.id], p) for a in found if a.kind != "group" for p in a.permissions}
        expected = {
            (p, permission) for p in world.members_of(world.org_of(ref)) for permission in ALL_PERMISSIONS if world.can(p, permission, ref)
        }
        self.assertEqual(members, expected, where)
        groups = {(m.group_index[a.id], p) for a in found if a.kind == "group" for p in a.permissions}
        expected = {(g, p) for g in range(len(world.groups)) for p in ALL_PERMISSIONS if world.group_carries(g, p, ref)}
        self.assertEqual(groups, expected, where)
        for access in found:
            self.assertTrue(access.permissions, f"{where}: {access.ref.name} is listed without a permission")
            for permission, reasons in access.reasons.items():
                self.assertTrue(reasons, f"{where}: {access.ref.name} holds {permission} without a reason")
                if access.kind != "group":
                    p = m.principal_index[access.id]
                    allowing = world.allowing_grants(p, permission, world.chain(ref), ref[0])
                    self.assertEqual({m.world_key(r.grant) for r in reasons}, {grant_key(world.grants[i]) for i in allowing}, where)
                    for reason in reasons:
                        self.assert_reason_holds(m, p, permission, ref, reason, where)

    def check_explain(self, m: Materialized, p: int, permission: str, ref: Ref) -> None:
        world = m.world
        org = world.org_of(ref)
        where = f"explain(principal {p}, {permission}, {ref})"
        if org is None:
            # A system role: no organization owns it, nobody holds anything on it, so it is not found.
            with self.assertRaises(NotFound, msg=where):
                explain(m.users[p], permission, m.node(ref))
            return
        chain = world.chain(ref)
        allowing = world.allowing_grants(p, permission, chain, ref[0])
        why = explain(m.users[p], permission, m.node(ref))
        self.assertEqual(why.allowed, bool(allowing), where)
        self.assertEqual(why.is_member, org in world.principals[p].orgs, where)
        self.assertEqual({m.world_key(r.grant) for r in why.reasons}, {grant_key(world.grants[i]) for i in allowing}, where)
        for reason in why.reasons:
            self.assert_reason_holds(m, p, permission, ref, reason, where)
        if not allowing:
            grantors = {m.users[q].pk for q in world.members_of(org) if world.can(q, "create_acls", ref)}
            self.assertEqual({g.id for g in why.grantors}, grantors, f"{where}: grantors")

    def assert_reason_holds(self, m: Materialized, p: int, permission: str, ref: Ref, reason, where: str) -> None:
        world = m.world
        org = world.org_of(ref)
        grant = reason.grant
        self.assertIn(m.ref_of[reason.node], world.chain(ref), f"{where}: reason on a node outside the chain")
        self.assertEqual(reason.node, grant.node, where)
        groups = [m.group_index[g.id] for g in reason.via_groups]
        if grant.user_id is not None:
            self.assertEqual(m.principal_index[grant.user_id], p, where)
            self.assertEqual(groups, [], where)
        else:
            self.assertTrue(groups, f"{where}: a group grant needs a group path")
            self.assertIn(p, world.groups[groups[0]].users, f"{where}: the first group must contain the principal")
            for inner, outer in itertools.pairwise(groups):
                self.assertIn(inner, world.groups[outer].members, f"{where}: broken group path {groups}")
            self.assertEqual(groups[-1], m.group_index[grant.group_id], where)
            self.assertTrue(all(world.groups[g].org == org for g in groups), where)
        roles = [m.role_index[r.id] for r in reason.via_roles]
        if grant.role_id is None:
            self.assertEqual(roles, [], where)
            self.assertEqual(grant.permission, permission, where)
            self.assertIn(grant.restrict_object_type, (None, ref[0]), where)
        else:
            self.assertTrue(roles, f"{where}: a role grant needs a role path")
            self.assertEqual(roles[0], m.role_index[grant.role_id], where)
            for outer, inner in itertools.pairwise(roles):
                self.assertIn(inner, world.roles[outer].members, f"{where}: broken role path {roles}")
            self.assertTrue(any(p_ == permission and r in ("", ref[0]) for p_, r in world.roles[roles[-1]].pairs), where)
