"""``GET /healthz`` and ``GET /readyz``, for load balancers and orchestrators.

* ``/healthz``: the process is up and answers (no dependency is touched, so a slow database never makes a
  healthy process look dead and get restarted).
* ``/readyz``: this process can serve: the database answers and has every migration applied; the Redis
  cache answers when ``REDIS_URL`` is set; the Celery broker answers when ``CELERY_BROKER_URL`` is set.
  503 with each check's result otherwise, so that a load balancer sends it no traffic yet.

They are answered by :class:`HealthCheckMiddleware`, first in the chain: before the host is validated
(probes often use the machine's address as Host), before the HTTPS redirect, and without sessions.
"""

from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse

BROKER_TIMEOUT_SECONDS = 2


def _database() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return f"{len(pending)} migration(s) not applied" if pending else None


def _cache() -> str | None:
    cache.set("readyz", "ok", timeout=10)
    return None if cache.get("readyz") == "ok" else "the cache does not keep what is written"


def _broker() -> str | None:
    from braintrust_site.celery import app

    with app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
    return None


def readiness_checks() -> dict[str, Callable[[], str | None]]:
    checks: dict[str, Callable[[], str | None]] = {"database": _database}
    if settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        checks["cache"] = _cache
    if settings.CELERY_BROKER_URL:
        checks["broker"] = _broker
    return checks


def readiness() -> tuple[bool, dict[str, str]]:
    results = {}
    for name, check in readiness_checks().items():
        try:
            problem = check()
        except Exception as exc:  # any failure of a dependency means "not ready", with its reason
            problem = f"{type(exc).__name__}: {exc}"
        results[name] = problem or "ok"
    return all(result == "ok" for result in results.values()), results


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if request.method in ("GET", "HEAD"):
            if request.path == "/healthz":
                return JsonResponse({"status": "ok"})
            if request.path == "/readyz":
                ready, checks = readiness()
                return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)
        return self.get_response(request)
