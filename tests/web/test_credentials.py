"""Settings → Service accounts and Settings → API keys, for each kind of person: who sees them, what each
form writes, that a new token's raw value appears in exactly one response, and a fixed number of queries."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import ApiKey, Membership, User
from accounts.services.credentials import api_key_create, service_account_create, service_token_create
from permissions.models import AuditEvent
from permissions.selectors import member_user_ids
from tests.access_helpers import custom_group, row_counts
from tests.factories import OrganizationFactory, add_member, builtin_group, owner_of
from tests.web.addresses import org_page
from tests.worlds import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def robot(org, people):
    return service_account_create(actor=people["owner"], org=org, name="ci-bot", group_ids=[builtin_group(org, "engineers").pk])


def _queries(client, address) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(address).status_code == 200
    return len(queries)


# Service accounts: who sees them


@pytest.mark.parametrize(("who", "status"), [("owner", 200), ("engineer", 403), ("viewer", 403), ("custom", 403), ("outsider", 404)])
def test_service_accounts_exist_only_for_owners(org, people, robot, who, status):
    client = client_for(people[who])
    assert client.get(org_page(org, "service-accounts")).status_code == status
    assert client.get(org_page(org, "service-account", account_id=robot.pk)).status_code == status
    if status == 200:
        assert "ci-bot" in client.get(org_page(org, "service-accounts")).content.decode()


@pytest.mark.parametrize("who", ["owner", "engineer", "viewer", "custom"])
def test_the_sidebar_links_service_accounts_only_for_owners(org, people, who):
    html = client_for(people[who]).get(org_page(org, "api-keys")).content.decode()
    assert (org_page(org, "service-accounts") in html) is (who == "owner")


@pytest.mark.parametrize("who", ["engineer", "viewer", "custom", "outsider"])
def test_no_one_but_an_owner_can_write_service_accounts_by_posting(org, people, robot, who):
    token, _ = service_token_create(actor=people["owner"], org=org, account_id=robot.pk, name="deploy")
    before = row_counts()
    client = client_for(people[who])
    posts = [
        (org_page(org, "service-accounts"), {"name": "intruder"}),
        (org_page(org, "service-account-rename", account_id=robot.pk), {"name": "renamed"}),
        (org_page(org, "service-account-groups", account_id=robot.pk), {"groups": [str(builtin_group(org, "owners").pk)]}),
        (org_page(org, "service-token-create", account_id=robot.pk), {"name": "stolen"}),
        (org_page(org, "service-token-revoke", account_id=robot.pk, token_id=token.pk), {}),
        (org_page(org, "service-account-delete", account_id=robot.pk), {}),
    ]
    refused = 404 if who == "outsider" else 403  # members are told only Owners manage service accounts
    for address, data in posts:
        assert client.post(address, data).status_code == refused, address
    assert row_counts() == before


def test_another_organizations_service_account_is_not_found(org, people):
    elsewhere = OrganizationFactory(name="Beta")
    theirs = service_account_create(actor=owner_of(elsewhere), org=elsewhere, name="their-bot")
    client = client_for(people["owner"])
    assert client.get(org_page(org, "service-account", account_id=theirs.pk)).status_code == 404
    assert client.post(org_page(org, "service-account-delete", account_id=theirs.pk)).status_code == 404
    assert User.objects.filter(pk=theirs.pk).exists()


# Service accounts: what the forms write


def test_an_owner_creates_a_service_account_in_groups(org, people):
    engineers = builtin_group(org, "engineers")
    response = client_for(people["owner"]).post(org_page(org, "service-accounts"), {"name": "ingest", "groups": [str(engineers.pk)]})
    account = User.objects.get(kind=User.Kind.SERVICE_ACCOUNT, given_name="ingest")
    assert response.status_code == 302 and response["Location"] == org_page(org, "service-account", account_id=account.pk)
    assert Membership.objects.filter(org=org, user=account).exists()
    assert account.pk in member_user_ids(engineers)
    assert AuditEvent.objects.filter(action="service_account.create", target_id=str(account.pk)).exists()


@pytest.mark.parametrize("data", [{"name": ""}, {"name": "bot", "groups": ["not-a-group"]}])
def test_a_bad_service_account_form_writes_nothing_and_says_why(org, people, data):
    before = row_counts()
    response = client_for(people["owner"]).post(org_page(org, "service-accounts"), data)
    assert response.status_code == 400
    assert "form-error" in response.content.decode() and "data-open-on-load" in response.content.decode()
    assert row_counts() == before


def test_an_owner_renames_moves_and_deletes_a_service_account(org, people, robot):
    client = client_for(people["owner"])
    assert client.post(org_page(org, "service-account-rename", account_id=robot.pk), {"name": "  nightly  "}).status_code == 302
    robot.refresh_from_db()
    assert robot.given_name == "nightly"

    viewers, engineers = builtin_group(org, "viewers"), builtin_group(org, "engineers")
    response = client.post(org_page(org, "service-account-groups", account_id=robot.pk), {"groups": [str(viewers.pk)]}, follow=True)
    assert "Updated the groups of nightly." in response.content.decode()
    assert robot.pk in member_user_ids(viewers) and robot.pk not in member_user_ids(engineers)

    response = client.post(org_page(org, "service-account-delete", account_id=robot.pk))
    assert response.status_code == 302 and response["Location"] == org_page(org, "service-accounts")
    assert not User.objects.filter(pk=robot.pk).exists()


def test_renaming_to_nothing_is_a_form_error(org, people, robot):
    before = row_counts()
    response = client_for(people["owner"]).post(org_page(org, "service-account-rename", account_id=robot.pk), {"name": " "})
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    assert row_counts() == before


# Service tokens: shown once


def _every_page(client, org, robot) -> str:
    pages = [
        org_page(org, "service-accounts"),
        org_page(org, "service-account", account_id=robot.pk),
        org_page(org, "api-keys"),
        org_page(org, "api-keys") + "?scope=all",
        org_page(org, "audit-log"),
        org_page(org, "members"),
        org_page(org, "organization"),
        org_page(org, "projects"),
    ]
    html = ""
    for address in pages:
        response = client.get(address)
        assert response.status_code == 200, address
        html += response.content.decode()
    return html


def _stored_anywhere(raw: str) -> bool:
    """Whether any text the database holds about credentials or the audit log contains `raw`."""
    texts = [str(values) for values in ApiKey.objects.values_list()]
    texts += [str(values) for values in AuditEvent.objects.values_list("before", "after", "target_name", "origin")]
    return any(raw in text for text in texts)


def test_a_new_service_token_is_shown_once_and_never_again(org, people, robot):
    client = client_for(people["owner"])
    response = client.post(org_page(org, "service-token-create", account_id=robot.pk), {"name": "deploy", "expires_on": ""})
    html = response.content.decode()
    assert response.status_code == 200
    token = ApiKey.objects.get(user=robot, name="deploy")
    raw = response.context["raw_token"]
    assert raw.startswith("bt-st-") and raw[-4:] == token.preview_name[-4:]
    assert f'id="new-token" type="text" value="{raw}" readonly' in html
    assert 'data-copy="new-token"' in html and "only time it is shown" in html
    assert "no-store" in response["Cache-Control"]
    assert html.count(raw) == 1

    later = _every_page(client, org, robot)
    assert raw not in later
    assert token.preview_name in later
    assert raw not in str(dict(client.session))
    assert not _stored_anywhere(raw)


def test_a_service_token_can_expire_after_a_chosen_day(org, people, robot):
    day = date.today() + timedelta(days=30)
    response = client_for(people["owner"]).post(
        org_page(org, "service-token-create", account_id=robot.pk), {"name": "temporary", "expires_on": day.isoformat()}
    )
    assert response.status_code == 200
    assert ApiKey.objects.get(name="temporary").expires_at == datetime.combine(day, time.max, tzinfo=UTC)


@pytest.mark.parametrize(
    ("data", "message"),
    [({"name": ""}, "This field is required"), ({"name": "old", "expires_on": "2001-01-01"}, "Choose today or a later day")],
)
def test_a_bad_token_form_writes_nothing_and_shows_no_token(org, people, robot, data, message):
    before = row_counts()
    response = client_for(people["owner"]).post(org_page(org, "service-token-create", account_id=robot.pk), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and "bt-st-" not in html.replace("bt-st-****", "")
    assert row_counts() == before


def test_the_token_list_shows_previews_last_use_and_expiry_and_revoke_deletes(org, people, robot):
    token, _ = service_token_create(
        actor=people["owner"], org=org, account_id=robot.pk, name="deploy", expires_at=timezone.now() + timedelta(days=3)
    )
    ApiKey.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(hours=2))
    client = client_for(people["owner"])
    html = client.get(org_page(org, "service-account", account_id=robot.pk)).content.decode()
    assert token.preview_name in html and "2\xa0hours ago" in html and token.expires_at.strftime("%b %-d, %Y") in html

    response = client.post(org_page(org, "service-token-revoke", account_id=robot.pk, token_id=token.pk), follow=True)
    assert f"Revoked the token deploy ({token.preview_name})." in response.content.decode()
    assert not ApiKey.objects.filter(pk=token.pk).exists()
    assert AuditEvent.objects.filter(action="service_token.delete", target_id=str(token.pk)).exists()


def test_a_token_is_revoked_only_through_its_own_account(org, people, robot):
    other = service_account_create(actor=people["owner"], org=org, name="other-bot")
    token, _ = service_token_create(actor=people["owner"], org=org, account_id=other.pk, name="deploy")
    response = client_for(people["owner"]).post(org_page(org, "service-token-revoke", account_id=robot.pk, token_id=token.pk))
    assert response.status_code == 404
    assert ApiKey.objects.filter(pk=token.pk).exists()


def test_the_service_accounts_list_costs_the_same_queries_for_few_and_many(org, people):
    owner = people["owner"]
    groups = [builtin_group(org, "engineers").pk, custom_group(org, name="Bots").pk]
    account = service_account_create(actor=owner, org=org, name="first", group_ids=groups)
    service_token_create(actor=owner, org=org, account_id=account.pk, name="t")
    client = client_for(owner)
    few = _queries(client, org_page(org, "service-accounts"))
    for index in range(20):
        account = service_account_create(actor=owner, org=org, name=f"bot-{index}", group_ids=groups)
        service_token_create(actor=owner, org=org, account_id=account.pk, name="t")
    assert _queries(client, org_page(org, "service-accounts")) == few
    html = client.get(org_page(org, "service-accounts")).content.decode()
    assert html.count('<span class="chip">Bots</span>') == 21


def test_a_service_account_page_costs_the_same_queries_for_few_and_many_tokens(org, people, robot):
    owner = people["owner"]
    service_token_create(actor=owner, org=org, account_id=robot.pk, name="first")
    client = client_for(owner)
    few = _queries(client, org_page(org, "service-account", account_id=robot.pk))
    for index in range(20):
        service_token_create(actor=owner, org=org, account_id=robot.pk, name=f"t{index}")
    assert _queries(client, org_page(org, "service-account", account_id=robot.pk)) == few


# API keys


@pytest.mark.parametrize(("who", "status"), [("owner", 200), ("engineer", 200), ("viewer", 200), ("custom", 200), ("outsider", 404)])
def test_every_member_has_an_api_keys_page(org, people, who, status):
    response = client_for(people[who]).get(org_page(org, "api-keys"))
    assert response.status_code == status
    if status == 200:
        assert 'data-open-dialog="api-key-dialog"' in response.content.decode()


@pytest.mark.parametrize(("who", "settings_page"), [("owner", "members"), ("viewer", "members"), ("custom", "api-keys")])
def test_the_settings_link_goes_to_the_first_settings_page_the_person_sees(org, people, who, settings_page):
    html = client_for(people[who]).get(org_page(org, "projects")).content.decode()
    assert f'<a href="{org_page(org, settings_page)}"' in html


def test_a_custom_group_member_creates_an_api_key_shown_once(org, people):
    person = people["custom"]
    client = client_for(person)
    response = client.post(org_page(org, "api-keys"), {"name": "laptop"})
    assert response.status_code == 200
    raw = response.context["raw_token"]
    key = ApiKey.objects.get(user=person, kind=ApiKey.Kind.API_KEY)
    assert raw.startswith("sk-") and key.org == org and key.name == "laptop"
    assert 'data-copy="new-token"' in response.content.decode() and "no-store" in response["Cache-Control"]
    later = client.get(org_page(org, "api-keys")).content.decode() + client.get(org_page(org, "api-keys") + "?scope=all").content.decode()
    assert raw not in later and key.preview_name in later
    assert not _stored_anywhere(raw)


def test_the_api_keys_list_shows_only_the_persons_own_keys_here_or_everywhere(org, people):
    person = people["engineer"]
    other_org = OrganizationFactory(name="Beta")
    add_member(other_org, person, "viewers")
    api_key_create(actor=person, org=org, name="here-key")
    api_key_create(actor=person, org=other_org, name="there-key")
    api_key_create(actor=people["owner"], org=org, name="owner-key")
    client = client_for(person)
    this_org = client.get(org_page(org, "api-keys")).content.decode()
    assert "here-key" in this_org and "there-key" not in this_org and "owner-key" not in this_org
    everywhere = client.get(org_page(org, "api-keys") + "?scope=all").content.decode()
    assert "here-key" in everywhere and "there-key" in everywhere and "Beta" in everywhere and "owner-key" not in everywhere


def test_a_person_deletes_their_own_key_but_not_anyone_elses(org, people):
    person = people["viewer"]
    mine, _ = api_key_create(actor=person, org=org, name="mine")
    theirs, _ = api_key_create(actor=people["owner"], org=org, name="theirs")
    client = client_for(person)
    response = client.post(org_page(org, "api-key-delete", key_id=mine.pk), {"scope": "all"})
    assert response.status_code == 302 and response["Location"] == org_page(org, "api-keys") + "?scope=all"
    assert not ApiKey.objects.filter(pk=mine.pk).exists()
    assert client.post(org_page(org, "api-key-delete", key_id=theirs.pk)).status_code == 404
    assert ApiKey.objects.filter(pk=theirs.pk).exists()


def test_an_expired_key_is_marked_expired(org, people):
    key, _ = api_key_create(actor=people["viewer"], org=org, name="old", expires_at=timezone.now() + timedelta(minutes=1))
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(days=1))
    assert "Expired" in client_for(people["viewer"]).get(org_page(org, "api-keys")).content.decode()


def test_a_bad_api_key_form_writes_nothing(org, people):
    before = row_counts()
    response = client_for(people["viewer"]).post(org_page(org, "api-keys"), {"name": "", "expires_on": "yesterday"})
    assert response.status_code == 400 and "Enter a valid date" in response.content.decode()
    assert row_counts() == before


def test_the_api_keys_page_costs_the_same_queries_for_few_and_many(org, people):
    person = people["engineer"]
    other_org = OrganizationFactory(name="Beta")
    add_member(other_org, person, "viewers")
    api_key_create(actor=person, org=org, name="first")
    client = client_for(person)
    few_here, few_all = _queries(client, org_page(org, "api-keys")), _queries(client, org_page(org, "api-keys") + "?scope=all")
    for index in range(20):
        api_key_create(actor=person, org=org if index % 2 else other_org, name=f"key-{index}")
    assert _queries(client, org_page(org, "api-keys")) == few_here
    assert _queries(client, org_page(org, "api-keys") + "?scope=all") == few_all


def test_the_groups_a_service_account_can_act_through_come_owners_engineers_viewers_then_by_name(org, people):
    custom_group(org, name="zebras")

    response = client_for(people["owner"]).get(org_page(org, "service-accounts"))

    offered = [label for _, label in response.context["form"].fields["groups"].choices]
    assert offered == ["Owners", "Engineers", "Viewers", "Annotators", "zebras"]
