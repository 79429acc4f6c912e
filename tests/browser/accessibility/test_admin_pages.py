"""axe-core inside the admin: its index, and the changelist and change form of every registered model."""

import pytest

from tests.browser.accessibility.site import ADMIN_PAGES, KNOWN_PAGE_VIOLATIONS, axe_problems, cases, visit

pytestmark = [pytest.mark.long_running, pytest.mark.browser, pytest.mark.django_db]


@pytest.mark.parametrize("target", cases(ADMIN_PAGES, KNOWN_PAGE_VIOLATIONS))
def test_axe_finds_nothing_on_the_admin_page(browser, site, signed_in, axe_script, target):
    problems = axe_problems(visit(browser, site, signed_in, target), axe_script)
    assert not problems, "\n".join(problems)
