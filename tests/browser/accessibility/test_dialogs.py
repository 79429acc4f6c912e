"""axe-core with each of a page's dialogs open, one at a time (the admin has none)."""

import pytest

from tests.browser.accessibility.site import DIALOG_PAGES, KNOWN_DIALOG_VIOLATIONS, OPENERS, axe_problems, cases, close_dialog, open_dialog

pytestmark = [pytest.mark.long_running, pytest.mark.browser, pytest.mark.django_db]


@pytest.mark.parametrize("target", cases(DIALOG_PAGES, KNOWN_DIALOG_VIOLATIONS))
def test_axe_finds_nothing_with_each_dialog_of_the_page_open(site, signed_in, axe_script, target):
    page = signed_in
    page.goto(target.path(site.world))
    openers = page.evaluate(OPENERS)
    assert openers["ids"] or openers["fetched"], f"{target.name} has no dialog to open"
    problems: dict[str, list[str]] = {}
    for dialog_id in openers["ids"]:
        open_dialog(page, page.locator(f'[data-open-dialog="{dialog_id}"]').first)
        problems[dialog_id] = axe_problems(page, axe_script)
        if dialog_id == "permissions-dialog":  # and again with a principal's boxes fetched into it
            page.locator("#principal-list button[hx-get]").first.click()
            page.locator("#permission-boxes form").wait_for()
            problems[f"{dialog_id} with boxes"] = axe_problems(page, axe_script)
        close_dialog(page)
    for index in openers["fetched"]:
        button = page.locator("button[hx-get]").nth(index)
        name = button.get_attribute("aria-label") or button.inner_text()
        open_dialog(page, button)
        problems[name] = axe_problems(page, axe_script)
        close_dialog(page)
    found = [f"{dialog}: {problem}" for dialog, listed in problems.items() for problem in listed]
    assert not found, "\n".join(found)
