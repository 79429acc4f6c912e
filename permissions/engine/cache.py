"""A per-request memo of decisions, so that a repeated check costs no query, and the shared cache.

Nothing is memoized outside a scope: the middleware opens one per request (and tests and commands may
open their own), and every service that changes grants, groups, roles or memberships clears it, at once
and again on commit. So a revocation is seen by the next check, and no decision outlives its request.

What is kept across requests (a principal's context, the ids it was granted below projects) goes in the
shared cache (Redis when configured, else each process's memory), always with the versions it was read
under, and is taken only while they still match (:mod:`permissions.engine.context`).
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.core.cache import cache as shared_cache
from django.db import transaction

logger = logging.getLogger(__name__)

SHARED_CACHE_SECONDS = 600

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


def shared_cache_get(key: str) -> Any | None:
    """A value kept across requests, or None: an unreachable cache is a miss, never a failed request."""
    try:
        return shared_cache.get(key)
    except Exception:
        logger.warning("The shared cache could not be read; reading from the database instead.", exc_info=True)
        return None


def shared_cache_set(key: str, value: Any) -> None:
    try:
        shared_cache.set(key, value, SHARED_CACHE_SECONDS)
    except Exception:
        logger.warning("The shared cache could not be written; the value is kept for this request only.", exc_info=True)
