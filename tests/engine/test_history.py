"""Who could do something at an earlier instant, rebuilt from the audit log, agrees with what was true at
that instant: a history of changes made through the services (grants added and revoked, members in and
out of groups, groups nested and deleted, a role's pairs changed, members leaving and coming back, a
service account deleted) is replayed backwards to each instant it passed through.

What was true then is taken twice while the history is made: the engine's answer, with the grants each
holder held it through, and the naive oracle's: the decision rule of docs/access-model.md applied by hand
to the rows as they stood (memberships, group members and nesting, grants in every table, roles), read
without the engine or its grant readers."""

import contextlib
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group as AuthGroup
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from accounts.models import Membership, OrganizationGroupObjectPermission, OrganizationUserObjectPermission, User
from accounts.services.credentials import service_account_create, service_account_delete
from accounts.services.members import invitation_accept, member_invite_user, member_remove
from permissions.engine import holders, who_could
from permissions.engine.nodes import Node
from permissions.exceptions import AccessDenied, NotFound, ValidationError
from permissions.grants import grant_records
from permissions.models import AclGrant, GroupNesting, PermissionGroup, Role, RoleNesting, RolePermission
from permissions.services.grants import GrantSpec, acl_grant, acl_revoke
from permissions.services.groups import group_create, group_delete, group_update
from permissions.services.roles import role_create, role_update
from projects.models import (
    ExperimentGroupObjectPermission,
    ExperimentUserObjectPermission,
    ProjectGroupObjectPermission,
    ProjectUserObjectPermission,
)
from projects.services.objects import project_create
from tests.factories import ExperimentFactory, OrganizationFactory, ProjectFactory, UserFactory, add_member, owner_of

pytestmark = pytest.mark.long_running

PERMISSIONS = ("read", "update")
PAIRS = (("read", ""), ("update", "experiment"), ("update", ""), ("create_acls", ""))

operations = st.lists(
    st.tuples(
        st.sampled_from(["grant", "grant", "revoke", "join", "leave", "nest", "unnest", "role", "remove", "rejoin", "delete_group", "bot"]),
        st.integers(0, 2),
        st.integers(0, 2),
        st.integers(0, 3),
    ),
    min_size=1,
    max_size=10,
)


class History:
    """A small organization whose every change after it is built goes through the services."""

    def __init__(self) -> None:
        self.org = OrganizationFactory()
        self.owner = owner_of(self.org)
        self.project = ProjectFactory(org=self.org)
        self.experiment = ExperimentFactory(project=self.project)
        self.people = [add_member(self.org, UserFactory(password=None)) for _ in range(3)]
        self.groups = [group_create(actor=self.owner, org=self.org, name=f"team {i}") for i in range(3)]
        self.role = role_create(actor=self.owner, org=self.org, name="Reviewer", member_permissions=[("read", None)])
        self.bot = service_account_create(actor=self.owner, org=self.org, name="ingest-bot", group_ids=[self.groups[0].pk])
        self.nodes = [Node("org_project", self.org.pk), Node("project", self.project.pk), Node("experiment", self.experiment.pk)]
        self.asked = self.nodes[1:]  # grants on all three reach these two

    def subject(self, index: int) -> dict:
        """One of the people, the service account or a group (one that is gone is refused as not found)."""
        users = [*self.people, self.bot]
        if index < len(users):
            return {"user_id": users[index].pk}
        return {"group_id": self.groups[index - len(users)].pk}

    def apply(self, operation: tuple) -> None:
        kind, a, b, c = operation
        actor, person = self.owner, self.people[a]
        group = PermissionGroup.objects.filter(pk=self.groups[b].pk).first()
        if group is None and kind in ("join", "leave", "nest", "unnest", "delete_group"):
            return  # deleted earlier in the history
        if kind == "grant":
            node = self.nodes[c % 3]
            what = {"role_id": self.role.pk} if c == 3 else {"permission": (*PERMISSIONS, "create_acls")[a], "restrict_object_type": None}
            acl_grant(actor=actor, spec=GrantSpec(object_type=node.type, object_id=node.id, **self.subject((4 * b + c) % 7), **what))
        elif kind == "revoke":
            records = [r for r in grant_records(org_id=self.org.pk, nodes=self.nodes)]
            if records:
                acl_revoke(actor=actor, grant_id=records[(a + b + c) % len(records)].id)
        elif kind in ("join", "leave"):
            key = "add_member_users" if kind == "join" else "remove_member_users"
            group_update(actor=actor, group=group, **{key: [person.pk]})
        elif kind in ("nest", "unnest"):
            key = "add_member_groups" if kind == "nest" else "remove_member_groups"
            group_update(actor=actor, group=group, **{key: [self.groups[a].pk]})
        elif kind == "role":
            role = Role.objects.get(pk=self.role.pk)
            change = "add_member_permissions" if c % 2 == 0 else "remove_member_permissions"
            permission, restrict = PAIRS[a]
            role_update(actor=actor, role=role, **{change: [(permission, restrict or None)]})
        elif kind == "remove":
            member_remove(actor=actor, org=self.org, user=person)
        elif kind == "rejoin":
            invitation = member_invite_user(actor=actor, org=self.org, user=person, group_ids=[group.pk] if group else [])
            invitation_accept(user=person, invitation=invitation)
        elif kind == "delete_group":
            group_delete(actor=actor, group=group)
        elif kind == "bot":
            service_account_delete(actor=actor, org=self.org, account_id=self.bot.pk)

    def answers(self) -> dict:
        """Who holds each permission on each node now: (kind, id) and the grants it holds it through."""
        return {
            (permission, node): {(h.kind, h.id, frozenset(r.grant.id for r in h.reasons)) for h in holders(permission, node)}
            for permission in PERMISSIONS
            for node in self.asked
        }


DIRECT_TABLES = {
    "organization": (OrganizationUserObjectPermission, OrganizationGroupObjectPermission),
    "project": (ProjectUserObjectPermission, ProjectGroupObjectPermission),
    "experiment": (ExperimentUserObjectPermission, ExperimentGroupObjectPermission),
}


def naive_answers(history: History) -> dict:
    """Who holds each permission on each asked node, by the decision rule applied to the rows as they stand:
    a member holds it if a grant on the node's chain to the member, or to a group containing it (directly
    or through member groups), yields it for the node's type; a group, if one to it or to a group containing
    it does."""
    org = history.org
    members = {
        user_id: "service_account" if kind == User.Kind.SERVICE_ACCOUNT else "user"
        for user_id, kind in Membership.objects.filter(org=org).values_list("user_id", "user__kind")
    }
    group_of_auth = dict(PermissionGroup.objects.filter(org=org).values_list("auth_group_id", "id"))
    containers: dict = {}
    for outer, inner in GroupNesting.objects.filter(group__org=org).values_list("group_id", "member_group_id"):
        containers.setdefault(inner, set()).add(outer)
    direct_groups: dict = {}
    for user_id, auth_group_id in AuthGroup.user_set.through.objects.filter(group_id__in=group_of_auth).values_list("user_id", "group_id"):
        direct_groups.setdefault(user_id, set()).add(group_of_auth[auth_group_id])
    role_pairs = set(RolePermission.objects.values_list("role_id", "permission", "restrict_object_type"))
    role_members = set(RoleNesting.objects.values_list("role_id", "member_role_id"))

    def outwards(groups: set) -> set:
        found, todo = set(groups), list(groups)
        while todo:
            for outer in containers.get(todo.pop(), ()):
                if outer not in found:
                    found.add(outer)
                    todo.append(outer)
        return found

    def role_gives(role_id, as_type: str) -> set[str]:
        roles, todo = {role_id}, [role_id]
        while todo:
            current = todo.pop()
            for inner in {inner for outer, inner in role_members if outer == current} - roles:
                roles.add(inner)
                todo.append(inner)
        return {permission for role, permission, restrict in role_pairs if role in roles and restrict in ("", None, as_type)}

    def grants_on(node_type: str, node_id, as_type: str) -> list[tuple]:
        """(user id, group id, permissions it gives a node of `as_type` below) of each grant on the node."""
        found = []
        for grant in AclGrant.objects.filter(org=org, object_type=node_type, object_id=node_id):
            if grant.role_id is not None:
                given = role_gives(grant.role_id, as_type)
            else:
                given = {grant.permission} if grant.restrict_object_type in ("", None, as_type) else set()
            found.append((grant.user_id, grant.group_id, given))
        users, groups = DIRECT_TABLES.get(node_type, (None, None))
        if users is not None:
            for user_id, codename in users.objects.filter(content_object_id=node_id).values_list("user_id", "permission__codename"):
                found.append((user_id, None, {codename.removesuffix(f"_{node_type}")}))
            for auth_group_id, codename in groups.objects.filter(content_object_id=node_id).values_list("group_id", "permission__codename"):
                found.append((None, group_of_auth.get(auth_group_id), {codename.removesuffix(f"_{node_type}")}))
        return found

    tail = [("org_project", org.pk), ("organization", org.pk)]
    chains = {
        Node("project", history.project.pk): [("project", history.project.pk), *tail],
        Node("experiment", history.experiment.pk): [("experiment", history.experiment.pk), ("project", history.project.pk), *tail],
    }
    answers = {}
    for node, chain in chains.items():
        grants = [grant for node_type, node_id in chain for grant in grants_on(node_type, node_id, node.type)]
        for permission in PERMISSIONS:
            to_users = {user for user, _, given in grants if user is not None and permission in given}
            to_groups = {group for _, group, given in grants if group is not None and permission in given}
            found = {("group", group) for group in group_of_auth.values() if outwards({group}) & to_groups}
            for user_id, kind in members.items():
                if user_id in to_users or outwards(direct_groups.get(user_id, set())) & to_groups:
                    found.add((kind, user_id))
            answers[permission, node] = found
    return answers


def past_answers(history: History, at) -> dict:
    found = {}
    for permission in PERMISSIONS:
        for node in history.asked:
            past = who_could(permission, node, at)
            found[permission, node] = {(h.kind, h.id, frozenset(r.grant.id for r in h.reasons)) for h in past.holders}
    return found


def checkpoint():
    """An instant strictly between the events before it and those after it."""
    time.sleep(0.002)
    instant = timezone.now()
    time.sleep(0.002)
    return instant


class WhoCouldReplaysTheAuditLogTests(TestCase):
    @settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(history=operations)
    def test_who_could_at_each_instant_is_what_the_engine_and_the_naive_oracle_answered_then(self, history: list[tuple]) -> None:
        world = History()
        instants = [checkpoint()]
        recorded, oracle = [world.answers()], [naive_answers(world)]
        for operation in history:
            with contextlib.suppress(ValidationError, AccessDenied, NotFound):  # a refused change changes nothing
                world.apply(operation)
            instants.append(checkpoint())
            recorded.append(world.answers())
            oracle.append(naive_answers(world))
        for step, (instant, expected, naive) in enumerate(zip(instants, recorded, oracle, strict=True)):
            past = past_answers(world, instant)
            self.assertEqual(past, expected, f"after step {step} of {history}")
            holders_then = {key: {(kind, pk) for kind, pk, _ in found} for key, found in past.items()}
            self.assertEqual(holders_then, naive, f"the oracle, after step {step} of {history}")

    def test_a_node_created_after_the_instant_did_not_exist_then(self) -> None:
        world = History()
        before = checkpoint()
        later = project_create(actor=world.owner, org=world.org, name="Later")
        past = who_could("read", Node("project", later.pk), before)
        self.assertFalse(past.existed)
        self.assertEqual(past.holders, [])
        self.assertTrue(past.gained, "whoever reads it now gained it since")

    def test_a_grant_that_has_expired_since_counted_then(self) -> None:
        world = History()
        person = world.people[0]
        spec = GrantSpec(
            object_type="experiment",
            object_id=world.experiment.pk,
            user_id=person.pk,
            permission="update",
            expires_at=timezone.now() + timedelta(milliseconds=300),
        )
        acl_grant(actor=world.owner, spec=spec)
        while_live = checkpoint()
        time.sleep(0.35)
        past = who_could("update", Node("experiment", world.experiment.pk), while_live)
        self.assertIn(person.pk, {h.id for h in past.holders})
        self.assertIn(person.pk, {h.id for h in past.lost}, "it expired since")

    def test_the_changes_since_are_the_events_that_changed_access_newest_first(self) -> None:
        world = History()
        before = checkpoint()
        person = world.people[1]
        acl_grant(
            actor=world.owner, spec=GrantSpec(object_type="project", object_id=world.project.pk, user_id=person.pk, permission="read")
        )
        group_update(actor=world.owner, group=world.groups[1], add_member_users=[world.people[2].pk])
        past = who_could("read", Node("experiment", world.experiment.pk), before)
        self.assertEqual([event.action for event in past.changes], ["group.update", "acl.create"])
        self.assertIn(person.pk, {h.id for h in past.gained})
