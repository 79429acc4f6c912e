"""A per-request memo of decisions, so that a repeated check costs no query.

Nothing is cached outside a scope: the middleware opens one per request (and tests and commands may
open their own), and every service that changes grants, groups, roles or memberships clears it, at once
and again on commit. So a revocation is seen by the next check, and no decision outlives its request.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import transaction

_scope: ContextVar[dict[Any, Any] | None] = ContextVar("access_decision_cache", default=None)


@contextmanager
def access_cache_scope() -> Iterator[None]:
    token = _scope.set({})
    try:
        yield
    finally:
        _scope.reset(token)


def cache_get(key: Any) -> Any | None:
    memo = _scope.get()
    return None if memo is None else memo.get(key)


def cache_set(key: Any, value: Any) -> None:
    memo = _scope.get()
    if memo is not None:
        memo[key] = value


def _clear() -> None:
    memo = _scope.get()
    if memo is not None:
        memo.clear()


def invalidate_access_cache() -> None:
    """Forget every cached decision now, and again when the current transaction commits."""
    _clear()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_clear)
