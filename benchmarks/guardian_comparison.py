"""The engine against django-guardian on the same rows, interleaved so that drift affects both alike.

Each round times one batch of the engine's work and one of guardian's, alternating which goes first,
and the figure reported is the median of the per-round ratios (engine time ÷ guardian time: below 1 the
engine is faster). Every round is a fresh request for both: the engine opens a new request scope (its
per-request memo is empty, as on a new request), guardian gets a new ``ObjectPermissionChecker``.
"""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, reset_queries
from guardian.core import ObjectPermissionChecker
from guardian.shortcuts import get_objects_for_user

from benchmarks.access_world import AccessWorld
from permissions.engine import access_cache_scope, can, restrict
from permissions.models import AclGrant
from projects.models import Experiment, ExperimentGroupObjectPermission, ExperimentUserObjectPermission

CHECKS_PER_ROUND = 20
PAGE = 50


@dataclass(frozen=True)
class Comparison:
    label: str
    goal: float
    ratios: list[float]
    engine_ms: list[float]
    guardian_ms: list[float]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    def line(self) -> str:
        verdict = "meets" if self.ratio <= self.goal else "misses"
        return (
            f"{self.label:<52} {self.ratio:>5.2f}x  (goal <= {self.goal:.1f}x, {verdict})"
            f"  engine {statistics.median(self.engine_ms):.3f} ms, guardian {statistics.median(self.guardian_ms):.3f} ms"
        )


def _timed(action: Callable[[int], object], round_number: int) -> float:
    start = time.perf_counter()
    action(round_number)
    return (time.perf_counter() - start) * 1000


def _interleaved(label: str, goal: float, rounds: int, engine: Callable[[int], object], guardian: Callable[[int], object]) -> Comparison:
    ratios, engine_ms, guardian_ms = [], [], []
    for round_number in range(rounds + 2):
        reset_queries()
        if round_number % 2:
            ours, theirs = _timed(engine, round_number), _timed(guardian, round_number)
        else:
            theirs, ours = _timed(guardian, round_number), _timed(engine, round_number)
        if round_number < 2:
            continue  # warm-up: the first rounds load code paths and caches for both
        ratios.append(ours / theirs)
        engine_ms.append(ours)
        guardian_ms.append(theirs)
    return Comparison(label, goal, ratios, engine_ms, guardian_ms)


def compare_with_guardian(world: AccessWorld, rounds: int) -> list[Comparison]:
    """The checks and lists of the issue's table, for a group grant and for a nested-group grant."""
    targets = world.readable

    def engine_checks(reader):
        def run(round_number: int) -> None:
            for index in range(CHECKS_PER_ROUND):
                with access_cache_scope():
                    if not can(reader, "read", targets[(round_number * CHECKS_PER_ROUND + index) % len(targets)]):
                        raise RuntimeError("The engine refused a grant the world holds.")

        return run

    def guardian_checks(reader):
        def run(round_number: int) -> None:
            for index in range(CHECKS_PER_ROUND):
                checker = ObjectPermissionChecker(reader)
                if not checker.has_perm("read_experiment", targets[(round_number * CHECKS_PER_ROUND + index) % len(targets)]):
                    raise RuntimeError("Guardian refused a grant the world holds.")

        return run

    ordered = Experiment.objects.order_by("-created", "pk")

    def engine_page(reader):
        def run(round_number: int) -> None:
            with access_cache_scope():
                if len(list(restrict(ordered, reader, listing=True)[:PAGE])) != min(PAGE, len(targets)):
                    raise RuntimeError("The engine listed a short page.")

        return run

    def guardian_page(reader):
        def run(round_number: int) -> None:
            page = get_objects_for_user(reader, "projects.read_experiment", ordered, accept_global_perms=False)[:PAGE]
            if len(list(page)) != min(PAGE, len(targets)):
                raise RuntimeError("Guardian listed a short page.")

        return run

    _same_pages(world, ordered)
    return [
        _interleaved(
            f"can() vs has_perm, group grant ({CHECKS_PER_ROUND} checks)",
            0.5,
            rounds,
            engine_checks(world.group_reader),
            guardian_checks(world.group_reader),
        ),
        _interleaved(
            f"can() vs has_perm, nested group ({CHECKS_PER_ROUND} checks)",
            0.5,
            rounds,
            engine_checks(world.nested_reader),
            guardian_checks(world.flat_reader),
        ),
        _interleaved(
            f"restrict() vs get_objects_for_user, page of {PAGE}, group",
            1.0,
            rounds,
            engine_page(world.group_reader),
            guardian_page(world.group_reader),
        ),
        _interleaved(
            f"restrict() vs get_objects_for_user, page of {PAGE}, nested",
            1.0,
            rounds,
            engine_page(world.nested_reader),
            guardian_page(world.flat_reader),
        ),
    ]


def _same_pages(world: AccessWorld, ordered) -> None:
    """Both sides must list the same rows, or the comparison would mean nothing."""
    with access_cache_scope():
        ours = [e.pk for e in restrict(ordered, world.nested_reader, listing=True)[:PAGE]]
    theirs = [e.pk for e in get_objects_for_user(world.flat_reader, "projects.read_experiment", ordered, accept_global_perms=False)[:PAGE]]
    if ours != theirs:
        raise RuntimeError("The engine and guardian list different pages of the same world.")
    if connection.queries_log:
        connection.queries_log.clear()


GRANT_TABLES = (
    AclGrant._meta.db_table,
    ExperimentUserObjectPermission._meta.db_table,
    ExperimentGroupObjectPermission._meta.db_table,
)


def explain_guardian_first_page(world: AccessWorld) -> str:
    """The database's plan of guardian's first page for the flattened reader: what its ratio is against."""
    page = get_objects_for_user(
        world.flat_reader, "projects.read_experiment", Experiment.objects.order_by("-created", "pk"), accept_global_perms=False
    )[:PAGE]
    return _plan(*page.query.sql_with_params())


def _plan(sql: str, params) -> str:
    prefix = "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        return "\n".join(" ".join(str(column) for column in row) for row in cursor.fetchall())


def explain_first_page(world: AccessWorld) -> tuple[str, list[str]]:
    """The database's plan of the engine's first page for the nested reader, and the grant tables it
    reads by sequential scan, with their sizes (there should be none beyond a few thousand rows, where
    an index is cheaper than reading the table)."""
    with access_cache_scope():
        page = restrict(Experiment.objects.order_by("-created", "pk"), world.nested_reader, listing=True)[:PAGE]
        plan = _plan(*page.query.sql_with_params())
    lines = plan.split("\n")
    scanned = sorted({table for table in GRANT_TABLES for line in lines if f"Seq Scan on {table}" in line or f"SCAN {table}" in line})
    return plan, [f"{table} ({_rows(table):,} rows)" for table in scanned]


def _rows(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 (a table name from model metadata)
        return cursor.fetchone()[0]
