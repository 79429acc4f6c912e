"""Worlds built once for a test module and seen by each of its tests exactly as built.

A world (two organizations, a cast of callers, their groups and grants, all through the audited
services) costs more to build than most of the tests that use it do. A module builds it once inside
``module_db``'s transaction, which stays open while the module's tests run: each test runs in
pytest-django's own transaction, which nested inside is a savepoint, and is rolled back to it; and each
test gets its own deep copy of the world's objects (:func:`as_built`), so that what one test writes, to
the database or to an object in memory, is gone for the next. It is Django's ``TestCase.setUpTestData``
for pytest fixtures. A module declares how its world is built, once::

    @pytest.fixture(scope="module")
    def built_world(module_db):
        return build_world()

and its tests ask for ``world``, a copy of it for each (``cast`` for a module's ``built_cast``).

Only for modules whose tests all run in a transaction (no ``transaction=True``, no live server): a test
that commits would commit the world with it, and the collection refuses such a module.
"""

import copy
from typing import TypeVar

import pytest
from django.db import connection, transaction

World = TypeVar("World")


@pytest.fixture(scope="module")
def module_db(django_db_setup, django_db_blocker):
    """An open transaction for the module's shared worlds, rolled back after its last test."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture
def world(built_world, db):
    """The module's world (its ``built_world``), as built, for one test."""
    return as_built(built_world)


@pytest.fixture
def cast(built_cast, db):
    """The module's cast of callers (its ``built_cast``), as built, for one test."""
    return as_built(built_cast)


def as_built(world: World) -> World:
    """A test's own copy of a shared world (its model instances and clients as they were built)."""
    if not connection.in_atomic_block:
        raise RuntimeError("A shared world is used inside the module's transaction only.")
    return copy.deepcopy(world)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Refuse a module where a test that commits would run inside ``module_db``'s open transaction."""
    sharing, committing = set(), set()
    for item in items:
        names = getattr(item, "fixturenames", ())
        module = item.nodeid.split("::")[0]
        if "module_db" in names:
            sharing.add(module)
        marker = item.get_closest_marker("django_db")
        if {"transactional_db", "live_server"} & set(names) or (marker is not None and marker.kwargs.get("transaction")):
            committing.add(module)
    if sharing & committing:
        raise pytest.UsageError(f"these modules share a world and also run tests that commit: {sorted(sharing & committing)}")
