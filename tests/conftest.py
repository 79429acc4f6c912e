"""Shared fixtures and test-run policy."""

import os
import socket
from collections import Counter

import pytest
from django.core.cache import cache
from django.db import connection
from hypothesis import HealthCheck, settings

from permissions.engine import access_cache_scope
from projects.events.targets import EventTarget
from tests.factories import OrganizationFactory, ProjectFactory, owner_of

pytest_plugins = ["tests.shared_worlds"]  # module_db: worlds built once per module

settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", parent=settings.get_profile("default"), print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")


def _redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def pytest_collection_modifyitems(items):
    """Every test has its own id, or pytest-xdist, which hands tests to its workers by id, runs one of
    those that share it and drops the rest without a word.

    Schemathesis names a test per API operation (``test_x[GET /v1/project]``) but, under this pytest,
    gives them all the function's id (pytest 9 builds an id from the function's name and its parameters only);
    the operation is put back into the id here.
    """
    for item in items:
        label = getattr(item, "operation_label", None)
        if label and item.id.params is None:
            item._id = item.id.with_params(label)
    repeated = sorted(nodeid for nodeid, count in Counter(item.nodeid for item in items).items() if count > 1)
    if repeated:
        raise pytest.UsageError(f"these test ids name more than one test each: {repeated[:10]}")
    items[:] = _long_running_modules_first(items)


def _long_running_modules_first(items: list[pytest.Item]) -> list[pytest.Item]:
    """The modules marked `long_running` first, then the others from the most tests to the fewest.

    pytest-xdist hands whole modules to its workers in this order (``make test`` turns its own reordering,
    by number of tests alone, off). By that count a module of one long property test or of two servers
    started as processes came last, and one worker ran it alone while the other waited.
    """
    modules: dict[str, list[pytest.Item]] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::")[0], []).append(item)
    order = sorted(modules.values(), key=lambda tests: (tests[0].get_closest_marker("long_running") is None, -len(tests)))
    return [item for tests in order for item in tests]


def pytest_runtest_setup(item):
    """Tests marked `postgres` skip on other databases, and tests marked `redis` without Redis; under
    CI=true both fail instead, so that CI never passes by skipping them. Tests marked `once_per_run` skip
    on any database but SQLite, whose half of a CI run runs them."""
    if item.get_closest_marker("once_per_run") and connection.vendor != "sqlite":
        pytest.skip("runs once per CI run, in its SQLite half: what it shows does not depend on the database")
    message = None
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        message = "needs PostgreSQL: run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/test"
    elif item.get_closest_marker("redis") and not _redis_reachable():
        message = "needs Redis on 127.0.0.1:6379: start it with redis-server"
    if message is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Production-strength hashing costs ~0.4 s per user; what the tests prove does not depend on it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def empty_cache():
    """Counters kept in the cache (failed authentications) start at zero in every test."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def request_scope():
    """The per-request decision cache, as the middleware opens it around every request."""
    with access_cache_scope():
        yield


# A project with its logs, for the logs and online-scoring tests.


@pytest.fixture
def project():
    return ProjectFactory(org=OrganizationFactory())


@pytest.fixture
def owner(project):
    return owner_of(project.org)


@pytest.fixture
def logs(project):
    return EventTarget.of(project)
