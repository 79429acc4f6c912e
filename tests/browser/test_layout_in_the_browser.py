"""The pages on a phone (375 px wide): a one-line top bar, the settings menu as a strip above the page
rather than a column pushing it down, project tabs on one scrolling line; and the small touches every
page shares: the product name on the login page, the favicon, the slider of a human review score."""

import pytest
from playwright.sync_api import expect

from projects.models import ProjectScore
from tests.browser.conftest import log_in, screenshot, with_password
from tests.factories import ExperimentFactory, OrganizationFactory, ProjectFactory, add_member, owner_of
from tests.factories_configuration import ProjectScoreFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}


@pytest.fixture
def world():
    # Two organizations, so that the top bar also holds the organization switcher.
    org = OrganizationFactory(name="Acme Research Laboratories")
    owner = with_password(owner_of(org))
    add_member(OrganizationFactory(name="Globex"), owner, "viewers")
    project = ProjectFactory(org=org, name="support-bot")
    experiment = ExperimentFactory(project=project, name="baseline")
    ProjectScoreFactory(project=project, name="helpfulness", score_type=ProjectScore.ScoreType.SLIDER)
    return {"org": org, "owner": owner, "project": project, "experiment": experiment}


def box(locator) -> dict:
    result = locator.bounding_box()
    assert result is not None, f"{locator} is not displayed"
    return result


def line_height(page, selector: str) -> float:
    return page.eval_on_selector(selector, "element => parseFloat(getComputedStyle(element).lineHeight) || 20")


def test_on_a_phone_the_top_bar_is_one_line_and_the_settings_title_is_near_the_top(page, world):
    page.set_viewport_size(PHONE)
    log_in(page, world["owner"].email)
    page.goto(f"/app/{world['org'].name}/settings/members/")
    heading = page.get_by_role("heading", name="Members", level=1)
    heading.wait_for()
    screenshot(page, "phone-settings-members")

    topbar = box(page.locator("header.topbar"))
    assert topbar["height"] < 64, f"the top bar wraps: {topbar['height']} px high"
    assert box(heading)["y"] < 200, "the settings menu pushes the page title down"
    # Nothing makes the page wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # Every settings section stays one tap away, in a strip that scrolls sideways.
    strip = page.get_by_role("navigation", name="Settings")
    links = strip.get_by_role("link")
    assert links.count() >= 5
    tops = {round(box(links.nth(i))["y"]) for i in range(links.count())}
    assert len(tops) == 1, "the settings sections are not on one line"
    strip.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log", level=1)).to_be_visible()


def test_on_a_phone_the_account_menu_opens_from_a_button_and_logs_out(page, world):
    page.set_viewport_size(PHONE)
    log_in(page, world["owner"].email)
    page.goto(f"/app/{world['org'].name}/")
    log_out = page.get_by_role("button", name="Log out")
    expect(log_out).to_be_hidden()
    page.locator("header.topbar details.account-menu > summary").click()
    panel = page.locator(".account-panel")
    expect(panel.get_by_text(world["owner"].email)).to_be_visible()
    expect(panel.get_by_label("Organization")).to_have_value(world["org"].name)
    screenshot(page, "phone-account-menu")
    log_out.click()
    page.wait_for_url("**/login/**")


def test_on_a_phone_the_project_tabs_stay_on_one_scrolling_line(page, world):
    page.set_viewport_size(PHONE)
    log_in(page, world["owner"].email)
    page.goto(f"/app/{world['org'].name}/p/{world['project'].pk}/")
    tabs = page.get_by_role("navigation", name="Project")
    tabs.wait_for()
    screenshot(page, "phone-project-tabs")
    links = tabs.get_by_role("link")
    assert links.count() >= 5
    assert box(tabs)["height"] < 2 * line_height(page, "nav.tabs a") + 24, "the project tabs wrap"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # The last tab is reachable by scrolling the strip, not cut off.
    last = links.nth(links.count() - 1)
    last.scroll_into_view_if_needed()
    expect(last).to_be_in_viewport()


def test_the_login_page_names_the_product_and_every_page_has_a_favicon(page, world):
    page.goto("/login/")
    expect(page.get_by_text("Braintrust access", exact=True)).to_be_visible()
    icon = page.locator('link[rel="icon"]').get_attribute("href")
    assert icon and icon.endswith(".svg")
    response = page.request.get(icon)
    assert response.ok and response.headers["content-type"].startswith("image/svg+xml")
    screenshot(page, "login")
    log_in(page, world["owner"].email)
    assert page.locator('link[rel="icon"]').get_attribute("href") == icon


def test_a_slider_score_is_a_range_that_shows_its_value(page, world):
    org, experiment = world["org"], world["experiment"]
    from projects.events.targets import EventTarget
    from projects.events.writes import insert_events

    insert_events(actor=world["owner"], target=EventTarget.of(experiment), events=[{"id": "q1", "input": "x"}])
    log_in(page, world["owner"].email)
    page.goto(f"/app/{org.name}/p/{experiment.project_id}/experiments/{experiment.pk}/")
    page.locator('tr[data-row="q1"]').get_by_role("button", name="Review").click()
    dialog = page.get_by_role("dialog", name="Human review")
    slider = dialog.get_by_role("slider", name="helpfulness")
    expect(slider).to_be_visible()
    expect(dialog.get_by_role("checkbox", name="No score")).to_be_checked()
    slider.fill("0.4")
    expect(dialog.locator("output")).to_have_text("40%")
    expect(dialog.get_by_role("checkbox", name="No score")).not_to_be_checked()
    screenshot(page, "review-slider")
