"""axe-core inside every sign-in, settings and project page: no violation of any impact, and no
"incomplete" result of an aria rule (one axe could not decide, such as an aria-describedby whose target
it cannot find). Each page is kept as a screenshot at 1280 and at 375 px wide in test-artifacts/screenshots/, and fits
the phone without scrolling sideways."""

import pytest

from tests.browser.accessibility.site import KNOWN_PAGE_VIOLATIONS, PROJECT_PAGES, SETTINGS_PAGES, SIGN_IN_PAGES, axe_problems, cases, visit
from tests.browser.conftest import PHONE_WIDTH, screenshots_at_both_widths

pytestmark = [pytest.mark.long_running, pytest.mark.browser, pytest.mark.django_db]


@pytest.mark.parametrize("target", cases([*SIGN_IN_PAGES, *SETTINGS_PAGES, *PROJECT_PAGES], KNOWN_PAGE_VIOLATIONS))
def test_axe_finds_nothing_on_the_page(browser, site, signed_in, axe_script, target):
    page = visit(browser, site, signed_in, target)
    try:
        problems = axe_problems(page, axe_script)
        assert not problems, "\n".join(problems)
        assert screenshots_at_both_widths(page, target.name) <= PHONE_WIDTH, f"{target.name} scrolls sideways on a phone"
    finally:
        if target.logged_out:
            page.context.close()
