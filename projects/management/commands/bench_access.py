"""Measure the access engine at scale: checks, lists and explanations, with their query counts.

Builds a throwaway organization inside a transaction that is rolled back at the end, so it can run
against any database without leaving anything behind:

    python manage.py bench_access --objects 10000 --depth 10 --grants 10000 --grants 1000000

With ``--grants N`` it also builds an organization of about N grant rows and compares the engine with
django-guardian on the same rows (see :mod:`benchmarks.guardian_comparison`), as ratios measured in one
interleaved run, and times who-can (:func:`permissions.engine.holders`) on one of its experiments and
what-can (:func:`permissions.engine.reachable_rows` and :func:`permissions.engine.explain_reach`): the
first page of 50 experiments the nested-group reader may read, each with its reasons; the Preview of two
changes (:mod:`permissions.services.preview`); and who-could (:func:`permissions.engine.who_could`) before
twenty grant changes.
"""

import statistics
import time
from collections.abc import Callable
from itertools import pairwise

from django.contrib.auth.models import Group as AuthGroup
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from guardian.shortcuts import assign_perm

from accounts.models import Membership, User
from accounts.services.organizations import organization_create
from benchmarks.access_world import AccessWorld, build_access_world
from benchmarks.database import analyze, vacuum
from benchmarks.guardian_comparison import compare_with_guardian, explain_first_page, explain_guardian_first_page
from permissions.engine import Node, access_cache_scope, can, explain, explain_reach, holders, reachable_rows, restrict, who_could
from permissions.models import AclGrant, GroupNesting, PermissionGroup, Role, RoleNesting, RolePermission
from permissions.services.grants import GrantSpec, acl_batch_update
from permissions.services.preview import acl_batch_update_preview, group_update_preview
from projects.models import Experiment, Project


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Measure access checks, restricted lists and explanations on a generated organization (rolled back)."

    def add_arguments(self, parser):
        parser.add_argument("--objects", type=int, default=5000, help="experiments in the project")
        parser.add_argument("--depth", type=int, default=10, help="nesting depth of groups and of roles")
        parser.add_argument("--repeat", type=int, default=30, help="timed repetitions of each measurement")
        parser.add_argument(
            "--grants", type=int, action="append", default=[], help="compare with guardian on a world of this many grants (repeatable)"
        )
        parser.add_argument("--rounds", type=int, default=40, help="interleaved rounds of each comparison with guardian")

    def handle(self, *args, objects: int, depth: int, repeat: int, grants: list[int], rounds: int, **options):
        self._rolled_back(lambda: self._run(objects, depth, repeat))
        for count in grants:
            self._rolled_back(lambda count=count: self._compare(count, rounds))

    def _rolled_back(self, action: Callable[[], None]) -> None:
        vacuum()  # each world on tables of its own size, not bloated by the worlds rolled back before it
        try:
            with transaction.atomic():
                action()
                raise _Rollback
        except _Rollback:
            pass

    def _compare(self, grants: int, rounds: int) -> None:
        start = time.perf_counter()
        world = build_access_world(grants=grants)
        self.stdout.write(
            f"\n{connection.vendor}: engine vs django-guardian, {world.grants} grants on {world.experiments} experiments"
            f" (built in {time.perf_counter() - start:.0f} s), median of {rounds} interleaved rounds (engine ÷ guardian)"
        )
        for comparison in compare_with_guardian(world, rounds):
            self.stdout.write(comparison.line())
        experiment = world.readable[0]
        found = holders("read", experiment)
        people = sum(holder.kind != "group" for holder in found)
        self._measure(
            f"who can read one experiment ({people} of {world.org.memberships.count()} members, {len(found) - people} groups)",
            max(5, rounds // 4),
            lambda: holders("read", experiment),
        )
        reader = world.nested_reader

        def what_can_page() -> list:
            rows = list(reachable_rows(reader, "read", "experiment", world.org.pk).order_by("-created", "-pk")[:50])
            return explain_reach(reader, "read", "experiment", rows, world.org.pk)

        label = "what the nested-group reader can read, first page of 50 experiments, with reasons"
        self._measure(label, max(5, rounds // 4), what_can_page)
        self._measure_previews(world, max(5, rounds // 4))
        self._measure_who_could(world, max(5, rounds // 4))
        plan, scanned = explain_first_page(world)
        verdict = f"sequential scans on {', '.join(scanned)}" if scanned else "no sequential scan on a grant table"
        self.stdout.write(f"plan of the engine's first page ({verdict}):")
        self.stdout.write("    " + plan.replace("\n", "\n    "))
        self.stdout.write("plan of guardian's first page:")
        self.stdout.write("    " + explain_guardian_first_page(world).replace("\n", "\n    "))

    def _measure_previews(self, world: AccessWorld, repeat: int) -> None:
        """A Save's Preview, rolled back like every preview: a grant that reaches every member of a team on
        all projects, and one more member for the group that reads the measured experiments."""
        team = PermissionGroup.objects.filter(org=world.org, name__startswith="member team").order_by("name").first()
        members = team.auth_group.user_set.count()
        grant = GrantSpec(object_type="org_project", object_id=world.org.pk, group_id=team.pk, permission="update")
        label = f"preview: update on all projects for a team of {members}"
        self._measure(label, repeat, lambda: acl_batch_update_preview(actor=world.owner, add=[grant], remove=[]))
        readers = PermissionGroup.objects.get(org=world.org, name="readers 0")
        newcomer = Membership.objects.filter(org=world.org).exclude(user__groups=readers.auth_group).values_list("user_id", flat=True)[0]
        label = f"preview: one more member of the group that reads {len(world.readable)} experiments"
        self._measure(label, repeat, lambda: group_update_preview(actor=world.owner, group=readers, add_member_users=[newcomer]))

    def _measure_who_could(self, world: AccessWorld, repeat: int) -> None:
        """Who could read a measured experiment before 20 changes of its project's grants (made through the
        services, so that the audit log has them to replay)."""
        before = timezone.now()
        experiment = world.readable[0]
        people = Membership.objects.filter(org=world.org).values_list("user_id", flat=True)[:10]
        grants = [GrantSpec(object_type="project", object_id=experiment.project_id, user_id=user, permission="read") for user in people]
        acl_batch_update(actor=world.owner, add=grants, remove=[])
        acl_batch_update(actor=world.owner, add=[], remove=grants)
        node = Node("experiment", experiment.pk)
        self._measure("who could read one experiment before 20 grant changes", repeat, lambda: who_could("read", node, before))

    def _world(self, objects: int, depth: int):
        owner = User.objects.create_user(email="bench-owner@example.com")
        org = organization_create(name="Access benchmark", owner=owner)
        reader = User.objects.create_user(email="bench-reader@example.com")
        Membership.objects.create(org=org, user=reader)
        # reader ∈ G1 ⊂ G2 ⊂ … ⊂ Gdepth; the grant goes to the outermost group.
        groups = []
        for level in range(depth):
            group = PermissionGroup(org=org, name=f"bench group {level}")
            group.auth_group = AuthGroup.objects.create(name=f"bench-{group.id}")
            group.save()
            groups.append(group)
        groups[0].auth_group.user_set.add(reader)
        GroupNesting.objects.bulk_create([GroupNesting(group=outer, member_group=inner) for inner, outer in pairwise(groups)])
        # R1 ⊃ R2 ⊃ … ⊃ Rdepth; only the innermost holds (read, experiment).
        roles = [Role.objects.create(org=org, name=f"bench role {level}") for level in range(depth)]
        RoleNesting.objects.bulk_create([RoleNesting(role=outer, member_role=inner) for outer, inner in pairwise(roles)])
        RolePermission.objects.create(role=roles[-1], permission="read", restrict_object_type="experiment")
        project = Project.objects.create(org=org, name="bench project")
        Experiment.objects.bulk_create([Experiment(project=project, name=f"experiment {i}") for i in range(objects)])
        experiments = list(Experiment.objects.filter(project=project).order_by("created", "name")[:3])
        AclGrant.objects.create(org=org, object_type="project", object_id=project.pk, group=groups[-1], role=roles[0])
        for experiment in Experiment.objects.filter(project=project)[: objects // 10]:
            assign_perm("update_experiment", reader, experiment)
        analyze()  # as autovacuum would: planned for empty tables, a list scans what an index would skip
        return org, reader, project, experiments

    def _measure(self, label: str, repeat: int, action: Callable[[], object], setup: Callable[[], object] | None = None) -> None:
        timings, queries = [], 0
        for _ in range(repeat):
            connection.queries_log.clear()  # the log is bounded; a full one would hide new queries
            with access_cache_scope():
                if setup:
                    setup()
                with CaptureQueriesContext(connection) as captured:
                    start = time.perf_counter()
                    action()
                    timings.append((time.perf_counter() - start) * 1000)
                queries = len(captured.captured_queries)
        self.stdout.write(f"{label:<58} {statistics.median(timings):>9.2f} ms  {queries:>3} queries")

    def _run(self, objects: int, depth: int, repeat: int) -> None:
        org, reader, project, (first, second, _) = self._world(objects, depth)
        vendor = connection.vendor
        self.stdout.write(f"{vendor}: {objects} experiments, groups and roles nested {depth} deep, {repeat} runs each (median)\n")
        if not can(reader, "read", first):
            raise RuntimeError("The benchmark world does not grant what it should.")
        self._measure("check, first in a request (context + chain)", repeat, lambda: can(reader, "read", first))
        self._measure(
            "check, another node in the same request", repeat, lambda: can(reader, "read", second), lambda: can(reader, "read", first)
        )
        self._measure("check, repeated in the same request", repeat, lambda: can(reader, "read", first), lambda: can(reader, "read", first))
        self._measure("check, virtual node (org_member)", repeat, lambda: can(reader, "read", Node("org_member", org.pk)))
        readable = Experiment.objects.filter(project=project).order_by("-created", "pk")
        # Pages and counts as the API's lists ask for them (listing), then one as a subquery of another statement.
        self._measure(f"list: first page of 50 of {objects} readable", repeat, lambda: list(restrict(readable, reader, listing=True)[:50]))
        self._measure(f"list: count of {objects} readable", repeat, lambda: restrict(readable, reader, listing=True).count())
        updatable = f"list: count of {objects // 10} updatable"
        self._measure(updatable, repeat, lambda: restrict(readable, reader, "update", listing=True).count())
        self._measure(f"subquery: count of {objects} readable", repeat, lambda: restrict(readable, reader).count())
        self._measure("explain one decision", max(3, repeat // 5), lambda: explain(reader, "read", first))
