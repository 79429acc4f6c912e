"""Helpers for tests that run the site as separate processes on a database file of their own."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

PROJECT = Path(__file__).resolve().parent.parent
COMMAND_TIMEOUT = 120

# The variables that would point the processes elsewhere than the test's own database (or at a broker).
ISOLATED_VARIABLES = {
    "DATABASE_URL",
    "DATABASE_CONN_MAX_AGE",
    "CELERY_BROKER_URL",
    "REDIS_URL",
    "DEBUG",
    "ALLOWED_HOSTS",
    "LOG_FORMAT",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by the browser tests for their own process only
}


def isolated_env(database_file: Path, **extra: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in ISOLATED_VARIABLES}
    env.update(DATABASE_URL=f"sqlite:///{database_file}", DJANGO_SETTINGS_MODULE="braintrust_site.settings", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def manage(env: dict, *arguments: str) -> str:
    result = subprocess.run(  # noqa: S603 (a fixed command line)
        [sys.executable, "manage.py", *arguments], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT
    )
    assert result.returncode == 0, f"manage.py {' '.join(arguments)} failed:\n{result.stderr}"
    return result.stdout


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def wait_until_serving(session: requests.Session, url: str, server: subprocess.Popen, log_tail: Callable[[], str], timeout: float) -> None:
    """Until `url` answers 200 through `session`; fails with the server's log if it stops or takes too long."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, f"the server stopped while starting:\n{log_tail()}"
        try:
            if session.get(url, timeout=5).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass  # not listening yet, or a worker still booting: ask again until the deadline
        time.sleep(0.2)
    pytest.fail(f"the server did not answer within {timeout} s:\n{log_tail()}")
