"""Real-browser tests: Playwright driving the Debian Chromium against pytest-django's live server.

Playwright's own browser download cannot work on these machines, so the tests use the system Chromium
(``CHROMIUM_PATH``, default ``/usr/bin/chromium``). Without it they are skipped with a message saying how
to enable them, except under CI=true, where they fail (CI installs Chromium first). Screenshots of the
pages land in ``test-artifacts/screenshots/``.

They run once per CI run, in its SQLite half: a browser sees the HTML the pages render, which does not
depend on the database, and the pages' reads and writes run on both databases in tests/web.
"""

import os
import shutil
from pathlib import Path

import pytest
from django.db import connection

from tests.factories import OrganizationFactory, owner_of

PASSWORD = "correct horse battery staple"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    configured = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    return configured if Path(configured).exists() else shutil.which("chromium")


@pytest.fixture(scope="session")
def browser():
    if connection.vendor != "sqlite":
        pytest.skip("the browser tests run once per CI run, in its SQLite half")
    path = chromium_path()
    if path is None:
        message = "browser tests need Chromium: apt-get install chromium (or set CHROMIUM_PATH)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are not async code.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


PHONE_WIDTH = 375


def screenshots_at_both_widths(page, name: str) -> int:
    """The page as a desktop (1280 px) and a phone (375 px) show it, for a person to look at; the viewport
    is given back as it was. Answers how wide the page is on the phone (wider than the phone: it scrolls
    sideways)."""
    size = page.viewport_size
    for width in (1280, PHONE_WIDTH):
        page.set_viewport_size({"width": width, "height": 800})
        screenshot(page, f"{name}-{width}")
    phone_width = page.evaluate("document.documentElement.scrollWidth")
    if size:
        page.set_viewport_size(size)
    return phone_width


def with_password(user):
    """`user`, able to log in with PASSWORD."""
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


@pytest.fixture
def org_with_owner():
    """Acme and its owner, who logs in with PASSWORD."""
    org = OrganizationFactory(name="Acme")
    return org, with_password(owner_of(org))


def log_in(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/app/**")


def open_settings(page, section: str | None = None) -> None:
    """Follow the app's Settings link, then `section`'s link in the settings navigation."""
    page.get_by_role("link", name="Settings").click()
    if section:
        page.get_by_role("navigation", name="Settings").get_by_role("link", name=section).click()


def open_dialog(page, button: str, dialog: str | None = None):
    """Press `button` and return the dialog it opens (named `dialog`, or as the button)."""
    page.get_by_role("button", name=button).click()
    return page.get_by_role("dialog", name=dialog or button)
