"""The accessibility modules' server, browser and person: built once per module, since the pages are
read, never changed (a per-test live_server would empty the database after every page).

Each module builds its organization, serves it from a server of its own and logs in once; each test runs
in a transaction of its own that is rolled back around it. Needs ``npm`` to install axe-core from the lock
file into tests/browser/axe/node_modules when it is missing (skipped without npm, a failure under CI=true,
as for Chromium).
"""

import fcntl
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.test.utils import override_settings
from pytest_django.live_server_helper import LiveServer

from tests.browser.accessibility.site import AXE_DIR, AXE_SCRIPT, FAST_HASHER, NPM_CI_TIMEOUT_SECONDS, build_world, skip_or_fail
from tests.browser.conftest import PASSWORD


@pytest.fixture(scope="module")
def axe_script() -> Path:
    """axe.min.js, installed with ``npm ci`` from tests/browser/axe's lock file if it is missing.

    The modules run on different workers at once; a lock file keeps a second ``npm ci`` from emptying
    node_modules under the first one's readers, and the second finds the script installed."""
    npm = shutil.which("npm")
    with open(AXE_DIR / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not AXE_SCRIPT.exists():
            if npm is None:
                skip_or_fail("the accessibility tests need npm to install axe-core (tests/browser/axe)")
            command = [npm, "ci", "--prefix", str(AXE_DIR), "--no-audit", "--no-fund"]
            installed = subprocess.run(command, capture_output=True, text=True, check=False, timeout=NPM_CI_TIMEOUT_SECONDS)  # noqa: S603 (a fixed command)
            assert installed.returncode == 0, f"npm ci failed:\n{installed.stdout}\n{installed.stderr}"
    return AXE_SCRIPT


# The server, the browser and the person, once for the module


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker):
    """The world, served by a server of this module's own until its last test, then emptied away."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=[FAST_HASHER]):
        world = build_world()
        server = LiveServer("localhost")
        server._live_server_modified_settings.enable()
        try:
            yield SimpleNamespace(url=server.url, world=world)
        finally:
            server._live_server_modified_settings.disable()
            server.stop()
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(scope="module")
def signed_in(browser, site):
    """One browser context for the module, with the owner logged in."""
    context = browser.new_context(base_url=site.url, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/login/")
    page.get_by_label("Email").fill(site.world.owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/app/**")
    yield page
    context.close()
