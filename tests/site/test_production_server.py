"""The site as it runs in production: gunicorn with its config file, DEBUG off, JSON logs.

gunicorn starts with two workers on a migrated database file of the test's own, in production mode (a
real secret key, HTTPS redirect off as there is no TLS here). The test asks its probes, an API route, the
site's own error pages and a page, and reads its logs back as JSON lines carrying each request's id.
"""

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.db import connection

from tests.process_helpers import PROJECT, free_loopback_port, isolated_env, manage, stop, wait_until_serving

pytestmark = pytest.mark.long_running

STARTUP_TIMEOUT = 30
SECRET = "test-only " + "k3Y!" * 16
ENCRYPTION_KEY = "Zm9yLXRoZS1wcm9kdWN0aW9uLXNlcnZlci10ZXN0LTE="  # a Fernet key: 32 bytes in URL-safe base64


@pytest.fixture(autouse=True)
def once_per_run():
    if connection.vendor != "sqlite":
        pytest.skip("runs its own server on a database file: once per CI run, in the SQLite half")


@pytest.fixture
def server(tmp_path) -> Iterator[tuple[str, Path]]:
    env = isolated_env(
        tmp_path / "db.sqlite3",
        DEBUG="false",
        SECRET_KEY=SECRET,
        SECRETS_ENCRYPTION_KEYS=ENCRYPTION_KEY,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        LOG_FORMAT="json",
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="2",
    )
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")  # production serves the hashed files it collects
    port = free_loopback_port()
    env["BIND"] = f"127.0.0.1:{port}"
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "braintrust_site/gunicorn.conf.py", "braintrust_site.wsgi"],
            cwd=PROJECT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        with requests.Session() as session:
            wait_until_serving(session, f"{base_url}/healthz", process, lambda: log.read_text()[-3000:], STARTUP_TIMEOUT)
        yield base_url, log
    finally:
        stop(process)


def test_gunicorn_serves_probes_the_api_and_the_sites_own_error_pages(server):
    base_url, _ = server
    assert requests.get(f"{base_url}/healthz", timeout=10).json() == {"status": "ok"}
    ready = requests.get(f"{base_url}/readyz", timeout=10)
    assert ready.status_code == 200 and ready.json() == {"status": "ok", "checks": {"database": "ok"}}
    # probes answer whatever Host a load balancer sends; the site itself does not
    assert requests.get(f"{base_url}/healthz", headers={"Host": "10.1.2.3"}, timeout=10).status_code == 200
    assert requests.get(f"{base_url}/v1/project", headers={"Host": "evil.example"}, timeout=10).status_code == 400

    assert requests.get(f"{base_url}/v1/project", timeout=10).status_code == 401
    missing_api = requests.get(f"{base_url}/v1/no-such-thing", timeout=10)
    assert missing_api.status_code == 404 and missing_api.json() == {"error": {"status": 404, "message": "Not found."}}
    missing_page = requests.get(f"{base_url}/no-such-page/", timeout=10)
    assert missing_page.status_code == 404
    assert "Page not found" in missing_page.text and "Traceback" not in missing_page.text
    login = requests.get(f"{base_url}/login/", timeout=10)
    assert login.status_code == 200 and "Log in" in login.text
    stylesheet = re.search(r'href="(/static/web/app\.[0-9a-f]{12}\.css)"', login.text)
    assert stylesheet is not None, "the page links the collected, hashed stylesheet"
    served = requests.get(base_url + stylesheet.group(1), timeout=10)
    assert served.status_code == 200 and "immutable" in served.headers["Cache-Control"]


def test_logs_are_json_lines_with_the_request_id_the_response_carries(server):
    base_url, log = server
    sent = requests.get(f"{base_url}/v1/no-such-thing", headers={"X-Request-ID": "probe-1234"}, timeout=10)
    assert sent.headers["X-Request-ID"] == "probe-1234"
    made = requests.get(f"{base_url}/v1/project", timeout=10).headers["X-Request-ID"]
    assert len(made) == 32
    deadline = time.monotonic() + 10
    while True:
        lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
        ids = {line.get("request_id") for line in lines}
        if {"probe-1234", made} <= ids or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert {"probe-1234", made} <= ids, log.read_text()[-3000:]
    warning = next(line for line in lines if line.get("request_id") == "probe-1234")
    assert warning["level"] == "WARNING" and "/v1/no-such-thing" in warning["message"]
