"""The engine's statements: one text per request shape, prepared on PostgreSQL, with the same answers
prepared or not (the fast path agrees with the plain one)."""

from contextlib import nullcontext

import pytest
from django.db import DatabaseError, connection, transaction
from guardian.shortcuts import assign_perm

from permissions.engine import access_cache_scope, can, permissions_on, restrict
from permissions.engine.context import load_context
from permissions.engine.decision import _chain_grants_sql
from permissions.engine.nodes import chain_plan
from permissions.engine.statements import any_of, engine_cursor
from permissions.models import AclGrant
from projects.models import Experiment
from tests.factories import ExperimentFactory, OrganizationFactory, PermissionGroupFactory, ProjectFactory, add_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Two readers of the same project through groups: one in a single group, one in three."""
    org = OrganizationFactory()
    project = ProjectFactory(org=org)
    experiments = ExperimentFactory.create_batch(4, project=project)
    groups = PermissionGroupFactory.create_batch(3, org=org)
    for group in groups:
        AclGrant.objects.create(
            org=org, object_type="project", object_id=project.pk, group=group, permission="read", restrict_object_type="experiment"
        )
    assign_perm("update_experiment", groups[0].auth_group, experiments[0])
    few = add_member(org, None, groups[0])
    many = add_member(org, None, *groups)
    outsider = add_member(OrganizationFactory())
    return experiments, few, many, outsider


def _chain_text(principal, experiment) -> str:
    with access_cache_scope():
        return _chain_grants_sql(load_context(principal), chain_plan("experiment"), experiment.pk)[0]


def _answers(experiments, *principals):
    with access_cache_scope():
        checks = [(p.pk, e.pk, permissions_on(p, e)) for p in principals for e in experiments]
        lists = [
            sorted(restrict(Experiment.objects.all(), p, permission).values_list("pk", flat=True))
            for p in principals
            for permission in ("read", "update")
        ]
    return checks, lists


@pytest.mark.postgres
def test_chain_statement_text_is_the_same_whatever_the_number_of_groups(world):
    experiments, few, many, _ = world
    assert _chain_text(few, experiments[0]) == _chain_text(many, experiments[1])
    assert "IN (%s" not in _chain_text(many, experiments[0])


@pytest.mark.postgres
def test_engine_statements_are_planned_once_per_connection_and_reused(world):
    experiments, few, many, _ = world
    for principal in (few, many):
        for experiment in experiments:
            with access_cache_scope():
                assert can(principal, "read", experiment)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans FROM pg_prepared_statements")
        prepared = cursor.fetchall()
    chain = [plans for statement, plans in prepared if "'acl'" in statement]
    # Eight checks by two principals with different groups, on different nodes: one chain statement.
    assert len(chain) == 1
    assert chain[0] >= 7


def _plan_mode() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("in_transaction", [False, True], ids=["autocommit", "in a transaction"])
def test_engine_statements_leave_the_connection_on_postgresqls_own_plan_mode(world, in_transaction):
    """Generic plans are forced for the engine's statements alone: PostgreSQL's own plans (foreign-key
    checks, say) keep choosing, and would otherwise keep a plan made while a table was empty."""
    experiments, few, many, _ = world
    with transaction.atomic() if in_transaction else nullcontext():
        with access_cache_scope():
            assert can(many, "read", experiments[0])
            assert list(restrict(Experiment.objects.all(), few, "read"))
        assert _plan_mode() == "auto"
    assert _plan_mode() == "auto"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("in_transaction", [False, True], ids=["autocommit", "in a transaction"])
def test_a_failing_engine_statement_takes_its_plan_mode_back_with_it(in_transaction):
    with pytest.raises(DatabaseError), transaction.atomic() if in_transaction else nullcontext(), engine_cursor() as cursor:
        cursor.execute("SELECT 1 / %s::integer", [0])
    assert _plan_mode() == "auto"


@pytest.mark.postgres
def test_engine_answers_the_same_with_prepared_statements_turned_off(world, monkeypatch):
    experiments, few, many, outsider = world
    prepared = _answers(experiments, few, many, outsider)
    options = {k: v for k, v in connection.settings_dict["OPTIONS"].items() if k != "prepare_threshold"}
    monkeypatch.setitem(connection.settings_dict, "OPTIONS", options)
    assert _answers(experiments, few, many, outsider) == prepared


def test_restricted_lists_agree_with_single_checks_for_members_in_one_and_many_groups(world):
    experiments, few, many, outsider = world
    checks, lists = _answers(experiments, few, many, outsider)
    readable = {principal: sorted(e for p, e, held in checks if p == principal and "read" in held) for principal, *_ in checks}
    assert lists[0] == readable[few.pk] == sorted(e.pk for e in experiments)
    assert lists[2] == readable[many.pk]
    assert lists[1] == lists[3] == [experiments[0].pk]
    assert lists[4] == lists[5] == readable[outsider.pk] == []


def test_an_empty_list_matches_nothing_on_either_database():
    condition, params = any_of("a.group_id", [], "integer")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM (SELECT 1 AS group_id) a WHERE {condition}", params)  # noqa: S608
        assert cursor.fetchone() == (0,)
