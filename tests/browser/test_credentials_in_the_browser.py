"""Service accounts, API keys and invitations in a real browser: a service token is shown once, with a copy
button, and never again; an invited person follows the emailed link and joins."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import ApiKey, Membership, User
from permissions.selectors import member_user_ids
from tests.browser.conftest import PASSWORD, log_in, open_dialog, open_settings, screenshot
from tests.factories import builtin_group

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_service_token_is_shown_once(page, org_with_owner):
    org, owner = org_with_owner
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in(page, owner.email)
    open_settings(page, "Service accounts")

    dialog = open_dialog(page, "Create service account")
    dialog.get_by_label("Name").fill("ci-bot")
    dialog.get_by_label("Engineers").check()
    dialog.get_by_role("button", name="Create").click()
    page.get_by_text("Created the service account ci-bot.").wait_for()
    account = User.objects.get(kind=User.Kind.SERVICE_ACCOUNT, given_name="ci-bot")
    assert account.pk in member_user_ids(builtin_group(org, "engineers"))
    account_path = f"/app/{org.name}/settings/service-accounts/{account.pk}/"

    dialog = open_dialog(page, "Create token", "Create service token")
    dialog.get_by_label("Name").fill("deploy")
    dialog.get_by_role("button", name="Create").click()

    field = page.get_by_label("Service token")
    raw = field.input_value()
    token = ApiKey.objects.get(user=account, name="deploy")
    assert re.fullmatch(r"bt-st-[0-9A-Za-z]{49}", raw) and raw.endswith(token.preview_name[-4:])
    assert field.get_attribute("readonly") is not None
    expect(page.get_by_text("This is the only time it is shown.")).to_be_visible()
    page.get_by_role("button", name="Copy").click()
    page.get_by_role("button", name="Copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == raw
    assert page.url.endswith(account_path)  # reloading shows the account, not the form posted again
    screenshot(page, "service-token-shown-once")

    page.reload()
    page.get_by_role("table", name="Service tokens").get_by_text(token.preview_name).wait_for()
    assert raw not in page.content()
    page.go_back()
    page.wait_for_load_state()
    assert raw not in page.content()

    page.goto(f"/app/{org.name}/settings/service-accounts/")
    row = page.locator('tr[data-service-account="ci-bot"]')
    expect(row.get_by_text("Engineers")).to_be_visible()
    assert row.locator("td").nth(2).inner_text() == "1"
    assert raw not in page.content()
    screenshot(page, "settings-service-accounts")
    for path in (account_path, f"/app/{org.name}/settings/api-keys/", f"/app/{org.name}/settings/audit-log/"):
        page.goto(path)
        assert raw not in page.content()
    page.get_by_role("table", name="Audit events").get_by_text("created the token deploy of the service account ci-bot").wait_for()
    screenshot(page, "settings-audit-log")
    assert ApiKey.objects.filter(user=account).count() == 1  # nothing was posted twice


def test_an_api_key_is_created_shown_once_and_deleted(page, org_with_owner):
    org, owner = org_with_owner
    log_in(page, owner.email)
    page.goto(f"/app/{org.name}/settings/api-keys/")
    dialog = open_dialog(page, "Create API key")
    dialog.get_by_label("Name").fill("laptop")
    dialog.get_by_role("button", name="Create").click()
    raw = page.get_by_label("API key").input_value()
    assert raw.startswith("sk-")
    page.get_by_role("link", name="Done").click()
    key = ApiKey.objects.get(user=owner, name="laptop")
    row = page.locator('tr[data-api-key="laptop"]')
    expect(row.get_by_text(key.preview_name)).to_be_visible()
    assert raw not in page.content()
    screenshot(page, "settings-api-keys")
    row.get_by_role("link", name="Delete").click()
    page.get_by_role("dialog", name=f"Delete the API key laptop ({key.preview_name})?").get_by_role("button", name="Delete API key").click()
    page.get_by_text(f"Deleted the API key laptop ({key.preview_name}).").wait_for()
    assert not ApiKey.objects.filter(pk=key.pk).exists()


def test_an_invited_person_follows_the_emailed_link_and_joins(page, browser, live_server, org_with_owner, mailoutbox):
    org, owner = org_with_owner
    log_in(page, owner.email)
    page.goto(f"/app/{org.name}/settings/members/")
    dialog = open_dialog(page, "Invite", "Invite members")
    dialog.get_by_label("Emails").fill("ada@example.com")
    dialog.get_by_label("Permission group").select_option(label="Engineers")
    dialog.get_by_role("button", name="Invite").click()
    page.get_by_text("Invited 1 person.").wait_for()
    (message,) = mailoutbox
    link = re.search(r"https?://\S+/invite/\S+/", message.body).group(0)

    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})  # a phone
    invited = context.new_page()
    invited.goto(link)
    invited.get_by_role("heading", name="Join Acme").wait_for()
    invited.get_by_label("Name").fill("Ada Lovelace")
    invited.get_by_label("Password", exact=True).fill(PASSWORD)
    invited.get_by_label("Password again").fill(PASSWORD)
    screenshot(invited, "invitation-create-account")
    invited.get_by_role("button", name="Create account and join").click()
    invited.get_by_text("Welcome to Acme.").wait_for()
    ada = User.objects.get(email="ada@example.com")
    assert Membership.objects.filter(org=org, user=ada).exists()
    assert ada.pk in member_user_ids(builtin_group(org, "engineers"))
    invited.goto(link)
    invited.get_by_role("heading", name="This invitation was already used").wait_for()
    context.close()
