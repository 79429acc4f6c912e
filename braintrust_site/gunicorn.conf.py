"""gunicorn's settings for production, read from the environment (see docs/deploy.md).

Run: ``gunicorn -c braintrust_site/gunicorn.conf.py braintrust_site.wsgi``.

* ``BIND`` (default ``0.0.0.0:8000``): where to listen.
* ``WEB_CONCURRENCY`` (default: twice the CPUs plus one): worker processes.
* ``GUNICORN_THREADS`` (default 4): threads per worker (the gthread worker); requests wait on the database
  more than on the CPU.
* ``GUNICORN_TIMEOUT`` (default 60): seconds a request may take before its worker is restarted; keep it
  above the slowest ``/logs3`` upload the SDK may send.
* ``GUNICORN_GRACEFUL_TIMEOUT`` (default 30), ``GUNICORN_KEEPALIVE`` (default 5).
* ``GUNICORN_MAX_REQUESTS`` (default 2000, with jitter): requests before a worker is replaced.
* ``GUNICORN_CONTROL_SOCKET``: the path of gunicorn's control socket; none without it.

Access logs go to stdout with the method, status, size, time and request id, but no URL, so that nothing
sent in a query string is logged (the request id finds the request's own log lines).
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    if not value:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise SystemExit(f"{name} must be a whole number, not {value!r}.") from exc


bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = _int("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1)
worker_class = "gthread"
threads = _int("GUNICORN_THREADS", 4)
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = max(1, max_requests // 10)
accesslog = "-"
errorlog = "-"
access_log_format = "%(h)s %(m)s %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s"
# gunicorn's control socket (for gunicornc) only where GUNICORN_CONTROL_SOCKET names its path: by default it
# would sit in the home folder, shared by every gunicorn of the user.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket
