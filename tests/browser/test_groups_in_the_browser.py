"""Settings → Permission groups in a real browser: from creating a group to a member gaining what it grants."""

import pytest
from playwright.sync_api import expect

from permissions.engine import can
from permissions.models import PermissionGroup
from permissions.selectors import member_user_ids
from tests.access_helpers import custom_group
from tests.browser.conftest import log_in, open_dialog, open_settings, screenshot
from tests.factories import ProjectFactory, add_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_permission_groups_workflow_from_creating_a_group_to_a_member_gaining_what_it_grants(page, org_with_owner):
    org, owner = org_with_owner
    project = ProjectFactory(org=org, name="support-bot")
    member = add_member(org)  # a member in no group: reads no project
    assert not can(member, "read", project)

    log_in(page, owner.email)
    open_settings(page, "Permission groups")

    dialog = open_dialog(page, "Create permission group")
    dialog.get_by_label("Name").fill("Reviewers")
    dialog.get_by_label("Description").fill("Read every project")
    dialog.get_by_role("button", name="Create").click()
    page.get_by_text("Created the permission group Reviewers.").wait_for()
    group = PermissionGroup.objects.get(org=org, name="Reviewers")

    dialog = open_dialog(page, "Permissions of Reviewers")
    all_projects = dialog.get_by_role("group", name="All projects")
    all_projects.get_by_label("Read", exact=True).check()
    expect(dialog.get_by_text("can grant themselves anything").first).to_be_visible()
    screenshot(page, "settings-permission-groups-permissions-dialog")
    dialog.get_by_role("button", name="Save").click()
    page.get_by_text("Saved the permissions of Reviewers.").wait_for()
    assert not can(member, "read", project)  # the group grants it, but the member is not in it yet

    dialog = open_dialog(page, "Edit Reviewers")
    dialog.get_by_role("group", name="People").get_by_label(member.email).check()
    dialog.get_by_role("button", name="Save").click()
    page.get_by_text("Saved the group Reviewers.").wait_for()

    assert member.pk in member_user_ids(group)
    assert can(member, "read", project)
    row = page.locator('tr[data-group="Reviewers"]')
    assert "1 member" in row.inner_text()
    screenshot(page, "settings-permission-groups")


def test_group_access_dialog_gives_a_member_the_right_to_edit_the_group(page, org_with_owner):
    org, owner = org_with_owner
    editor = add_member(org, None, "viewers")
    group = custom_group(org, name="Annotators")
    assert not can(editor, "update", group)

    log_in(page, owner.email)
    page.goto(f"/app/{org.name}/settings/groups/")
    dialog = open_dialog(page, "Group access to Annotators", "Access to Annotators")
    dialog.get_by_label("Add a group, member or service account").select_option(value=f"u{editor.pk.hex}")
    dialog.get_by_role("group", name="Add access").get_by_label("Update", exact=True).check()
    screenshot(page, "settings-permission-groups-access-dialog")
    dialog.get_by_role("button", name="Save").click()
    page.get_by_text("Saved who has access to Annotators.").wait_for()
    assert can(editor, "update", group)

    dialog = open_dialog(page, "Group access to Annotators", "Access to Annotators")
    assert dialog.get_by_role("group", name=editor.email).get_by_label("Update", exact=True).is_checked()
    screenshot(page, "settings-permission-groups-access-dialog-saved")


def test_the_pages_work_without_javascript(browser, live_server, org_with_owner):
    org, owner = org_with_owner
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, owner.email)
        page.goto(f"/app/{org.name}/settings/groups/")
        page.get_by_role("button", name="Create permission group").click()
        page.get_by_role("heading", name="Create permission group").wait_for()
        page.get_by_label("Name").fill("Auditors")
        page.get_by_role("button", name="Create").click()
        page.get_by_text("Created the permission group Auditors.").wait_for()
        page.get_by_role("button", name="Permissions of Auditors").click()
        page.get_by_role("group", name="Organization").get_by_label("Read audit logs").check()
        page.get_by_role("button", name="Save").click()
        page.get_by_text("Saved the permissions of Auditors.").wait_for()
        page.set_viewport_size({"width": 390, "height": 844})
        screenshot(page, "settings-permission-groups-phone")
    finally:
        context.close()
