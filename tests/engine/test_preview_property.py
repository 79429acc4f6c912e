"""A preview of a change of access against the oracle, on the property tests' random worlds.

For a generated world (:func:`tests.engine.test_property.worlds`) and a generated change, a batch of
grants added and removed or a group's member users and member groups added and removed, the preview
(:mod:`permissions.services.preview`) must answer exactly the difference the oracle finds between the
world before and the world after the change, on the places the change concerns, and exactly what
applying the change for real does; a change the services refuse is refused by the preview with the
same message, and writes nothing either way.
"""

from dataclasses import replace

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from permissions.engine.holdings import Target, holdings
from permissions.services.grants import GrantSpec, acl_batch_update
from permissions.services.groups import group_update
from permissions.services.preview import AccessPreview, acl_batch_update_preview, group_update_preview
from permissions.types import ALL_PERMISSIONS, chain_types
from tests.access_helpers import row_counts
from tests.engine.test_property import ORGS, Grant, Materialized, Ref, World, grant_key, restrictions, worlds

pytestmark = pytest.mark.long_running

MAX_EXAMPLES = 15

# (principal, permission, place) in the world's words: ("member", index) or ("group", index), and a
# place as (node, the type asked for there).
Triple = tuple[tuple[str, int], str, tuple[Ref, str]]


def grants_of(world: World, org: int) -> st.SearchStrategy[Grant]:
    """A grant the services accept in `org`: on one of its nodes, to one of its members or groups, of a
    permission (restricted or not) or of a system role or one of its own roles."""
    nodes = [ref for ref in world.nodes() if world.org_of(ref) == org]
    subjects = [("user", p) for p in world.members_of(org)] + [("group", g) for g, group in enumerate(world.groups) if group.org == org]
    roles = [r for r, role in enumerate(world.roles) if role.org in (None, org)]
    what = st.builds(lambda p, r: (p, r, None), st.sampled_from(ALL_PERMISSIONS), restrictions) | st.builds(
        lambda r: (None, "", r), st.sampled_from(roles)
    )
    return st.builds(lambda node, who, given: Grant(node, who, *given), st.sampled_from(nodes), st.sampled_from(subjects), what)


def after_grants_change(world: World, add: list[Grant], remove: list[Grant]) -> World:
    """The world once ``acl_batch_update`` adds `add` (a grant that exists keeps its expiry, but for one
    that has passed, which is renewed for good) and then removes `remove`."""
    grants = list(world.grants)
    for grant in add:
        keys = [grant_key(g) for g in grants]
        if grant_key(grant) not in keys:
            grants.append(grant)
        else:
            i = keys.index(grant_key(grant))
            if grants[i].expiry == "past":
                grants[i] = replace(grants[i], expiry="")
    removed = {grant_key(g) for g in remove}
    return replace(world, grants=tuple(g for g in grants if grant_key(g) not in removed))


def after_members_change(world: World, g: int, add_users, remove_users, add_groups, remove_groups) -> World:
    """The world once ``group_update`` adds and then removes those members of group `g`. Adding a member
    whose membership (or nesting) has expired leaves it expired: the row is there already."""
    group = world.groups[g]
    users, expiring, lapsed = set(group.users), set(group.expiring_users), set(group.lapsed_users)
    members, lapsed_members = set(group.members), set(group.lapsed_members)
    users |= {u for u in add_users if u not in lapsed}
    members |= {m for m in add_groups if m not in lapsed_members}
    users -= set(remove_users)
    expiring -= set(remove_users)
    lapsed -= set(remove_users)
    members -= set(remove_groups)
    lapsed_members -= set(remove_groups)
    changed = replace(
        group,
        users=frozenset(users),
        expiring_users=frozenset(expiring),
        lapsed_users=frozenset(lapsed),
        members=frozenset(members),
        lapsed_members=frozenset(lapsed_members),
    )
    return replace(world, groups=tuple(changed if i == g else other for i, other in enumerate(world.groups)))


def places_of(world: World, grants: list[Grant]) -> set[tuple[Ref, str]]:
    """Where the grants may give something: each one's node, and the types below it that its restriction
    (or a pair of its role, if the role counts in the node's organization) names."""
    places = set()
    for grant in grants:
        ref, org = grant.node, world.org_of(grant.node)
        if org is None:
            continue
        places.add((ref, ref[0]))
        if grant.role is None:
            named = {grant.restrict}
        else:
            named = {r for _, r in world.role_pairs(grant.role)} if world.roles[grant.role].org in (None, org) else set()
        places |= {(ref, t) for t in named if t and t != ref[0] and ref[0] in chain_types(t)}
    return places


def oracle_triples(world: World, places: set[tuple[Ref, str]]) -> set[Triple]:
    triples = set()
    for ref, as_type in places:
        org = world.org_of(ref)
        chain = world.chain(ref)
        for permission in ALL_PERMISSIONS:
            triples |= {
                (("member", p), permission, (ref, as_type))
                for p in world.members_of(org)
                if world.allowing_grants(p, permission, chain, as_type)
            }
            triples |= {
                (("group", g), permission, (ref, as_type))
                for g in range(len(world.groups))
                if world.group_carries(g, permission, ref, as_type)
            }
    return triples


class PreviewAgreesWithTheOracleTests(TestCase):
    """Each example runs in a transaction rolled back afterwards (hypothesis' Django TestCase)."""

    maxDiff = None

    def world_triples(self, m: Materialized, triples) -> set[Triple]:
        """The engine's (principal, permission, place) in the world's words."""
        found = set()
        for who, permission, place in triples:
            principal = ("group", m.group_index[who.id]) if who.kind == "group" else ("member", m.principal_index[who.id])
            found.add((principal, permission, (m.ref_of[place.node], place.as_type)))
        return found

    def preview_sides(self, m: Materialized, preview: AccessPreview) -> tuple[set[Triple], set[Triple]]:
        gains = self.world_triples(m, ((c.principal, c.permission, c.place) for c in preview.gains))
        losses = self.world_triples(m, ((c.principal, c.permission, c.place) for c in preview.losses))
        return gains, losses

    def targets(self, m: Materialized, places: set[tuple[Ref, str]]) -> list[Target]:
        """Targets whose places are `places` (a restricted permission grant for each type below a node)."""
        return [Target(m.node(ref), restrict_object_type=None if as_type == ref[0] else as_type) for ref, as_type in places]

    def check(self, m: Materialized, after: World, places, preview, apply) -> None:
        """The preview against the oracle's difference, then against the change made for real."""
        before_triples, after_triples = oracle_triples(m.world, places), oracle_triples(after, places)
        gains, losses = self.preview_sides(m, preview)
        self.assertEqual(gains, after_triples - before_triples, "gains: preview vs oracle")
        self.assertEqual(losses, before_triples - after_triples, "losses: preview vs oracle")
        targets = self.targets(m, places)
        before = holdings(targets)
        apply()
        real = holdings(targets)
        self.assertEqual(self.world_triples(m, real.triples() - before.triples()), gains, "gains: preview vs the change made")
        self.assertEqual(self.world_triples(m, before.triples() - real.triples()), losses, "losses: preview vs the change made")

    def refused_alike(self, preview, apply) -> AccessPreview | None:
        """The preview, or None when the change is refused: then the real change is refused with the same
        message, and neither writes anything."""
        rows = row_counts()
        try:
            return preview()
        except ValidationError as refusal:
            self.assertEqual(row_counts(), rows, "a refused preview wrote something")
            with self.assertRaises(ValidationError) as real:
                apply()
            self.assertEqual(real.exception.messages, refusal.messages)
            self.assertEqual(row_counts(), rows, "a refused change wrote something")
            return None

    @settings(max_examples=MAX_EXAMPLES, deadline=None)
    @given(world=worlds(), data=st.data())
    def test_a_grants_preview_is_the_oracles_difference_and_the_real_changes(self, world: World, data) -> None:
        org = data.draw(st.sampled_from(ORGS))
        own = [g for g in world.grants if not g.builtin and world.org_of(g.node) == org]
        add = data.draw(st.lists(grants_of(world, org), max_size=3))
        remove = data.draw(st.lists(st.sampled_from(own), max_size=2)) if own else []
        remove += data.draw(st.lists(grants_of(world, org), max_size=1))  # maybe one that does not exist
        m = Materialized(world)
        actor = m.users[org]  # the organization's creator, in its Owners

        def spec(grant: Grant) -> GrantSpec:
            kind, who = grant.subject
            return GrantSpec(
                object_type=grant.node[0],
                object_id=m.node(grant.node).id,
                user_id=m.users[who].pk if kind == "user" else None,
                group_id=m.groups[who].pk if kind == "group" else None,
                permission=grant.permission,
                role_id=m.roles[grant.role].pk if grant.role is not None else None,
                restrict_object_type=grant.restrict or None,
            )

        add_specs, remove_specs = [spec(g) for g in add], [spec(g) for g in remove]

        def apply():
            return acl_batch_update(actor=actor, add=add_specs, remove=remove_specs)

        preview = self.refused_alike(lambda: acl_batch_update_preview(actor=actor, add=add_specs, remove=remove_specs), apply)
        if preview is None:
            return
        existing = {grant_key(g) for g in world.grants}
        changed = [*add, *(g for g in remove if grant_key(g) in existing)]  # removing a missing grant names nothing
        self.check(m, after_grants_change(world, add, remove), places_of(world, changed), preview, apply)

    @settings(max_examples=MAX_EXAMPLES, deadline=None)
    @given(world=worlds(), data=st.data())
    def test_a_membership_preview_is_the_oracles_difference_and_the_real_changes(self, world: World, data) -> None:
        org = data.draw(st.sampled_from(ORGS))
        groups = [g for g, group in enumerate(world.groups) if group.org == org]
        g = data.draw(st.sampled_from(groups))
        group = world.groups[g]
        members = world.members_of(org)
        add_users = data.draw(st.lists(st.sampled_from(members), max_size=2))
        remove_users = data.draw(st.lists(st.sampled_from(sorted(set(members) | group.users | group.lapsed_users)), max_size=2))
        # A group that contains `g` (through any nesting, expired or not) would make a cycle: refused.
        nested_in = {g}
        grown = True
        while grown:
            grown = False
            for h, other in enumerate(world.groups):
                if h not in nested_in and (other.members | other.lapsed_members) & nested_in:
                    nested_in.add(h)
                    grown = True
        addable = [h for h in groups if h not in nested_in]
        add_groups = data.draw(st.lists(st.sampled_from(addable), max_size=2)) if addable else []
        remove_groups = data.draw(st.lists(st.sampled_from(groups), max_size=2))
        m = Materialized(world)
        actor = m.users[org]
        changes = {
            "add_member_users": [m.users[u].pk for u in add_users],
            "remove_member_users": [m.users[u].pk for u in remove_users],
            "add_member_groups": [m.groups[h].pk for h in add_groups],
            "remove_member_groups": [m.groups[h].pk for h in remove_groups],
        }

        def apply():
            return group_update(actor=actor, group=m.groups[g], **changes)

        preview = self.refused_alike(lambda: group_update_preview(actor=actor, group=m.groups[g], **changes), apply)
        if preview is None:
            return
        # The places: what the live grants, in the organization, to the group and every group containing it name.
        containing = world.with_containers({g})
        carried = [
            grant
            for grant in world.grants
            if grant.subject[0] == "group" and grant.subject[1] in containing and grant.expiry != "past" and world.org_of(grant.node) == org
        ]
        after = after_members_change(world, g, add_users, remove_users, add_groups, remove_groups)
        self.check(m, after, places_of(world, carried), preview, apply)
