"""How /v1 requests authenticate: docs/access-model.md, "Tokens" (bearer keys and service tokens, the browser
session with CSRF, expiry, revocation on the next request, throttled failures, last use)."""

import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import ApiKey
from accounts.services.credentials import (
    api_key_create,
    api_key_delete,
    service_account_create,
    service_token_create,
    service_token_revoke,
)
from accounts.services.members import member_remove
from accounts.tokens import API_KEY_PREFIX, SERVICE_TOKEN_PREFIX, generate_token
from permissions.engine import Node
from permissions.services.grants import acl_revoke
from permissions.services.groups import group_update
from tests.access_helpers import grant
from tests.api_helpers import ApiClient
from tests.factories import OrganizationFactory, ServiceAccountFactory, UserFactory, add_member, builtin_group, owner_of

pytestmark = pytest.mark.django_db

CSRF_TOKEN = "a" * 32  # a well-formed unmasked CSRF secret


def _key(user, org, name="key", **kwargs) -> tuple[ApiKey, str]:
    return api_key_create(actor=user, org=org, name=name, **kwargs)


def _robot(org, *groups, name="robot"):
    return service_account_create(actor=owner_of(org), org=org, name=name, group_ids=[builtin_group(org, g).pk for g in groups])


def _robot_token(org, robot, name="token", **kwargs) -> tuple[ApiKey, str]:
    return service_token_create(actor=owner_of(org), org=org, account_id=robot.pk, name=name, **kwargs)


def _session(user, *, csrf: bool = False) -> Client:
    """A browser session of `user` that enforces CSRF; with `csrf`, it holds a CSRF cookie to echo."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    if csrf:
        client.cookies["csrftoken"] = CSRF_TOKEN
    return client


def _answer_after(raw: str, path: str, change: Callable[[], object]):
    """What `path` answers the bearer credential `raw` on the request right after `change()`, having answered
    200 on the one before it: a change to a credential or to what it may do counts from the next request."""
    client = ApiClient(raw)
    assert client.get(path).status_code == 200
    change()
    return client.get(path)


def _send(client: Client, method: str, path: str, body=None, *, csrf: bool = False):
    headers = {"HTTP_X_CSRFTOKEN": CSRF_TOKEN} if csrf else {}
    data = json.dumps(body) if body is not None else ""
    return getattr(client, method)(path, data, content_type="application/json", **headers)


# Bearer credentials that work


def test_an_api_key_authenticates_as_its_person():
    org = OrganizationFactory()
    key, raw = _key(owner_of(org), org)
    response = ApiClient(raw).get("/v1/api_key")
    assert response.status_code == 200
    assert [o["id"] for o in response.json()["objects"]] == [str(key.pk)]
    assert response.json()["objects"][0]["user_id"] == str(owner_of(org).pk)


def test_a_service_token_authenticates_as_its_service_account():
    org = OrganizationFactory()
    robot = _robot(org, "owners")
    token, raw = _robot_token(org, robot)
    assert raw.startswith(SERVICE_TOKEN_PREFIX)
    response = ApiClient(raw).get("/v1/service_token")
    assert response.status_code == 200
    assert [o["id"] for o in response.json()["objects"]] == [str(token.pk)]
    # a service account has no API keys of its own
    assert ApiClient(raw).get("/v1/api_key").json() == {"objects": []}


# Bearer credentials that do not


def _refused(raw: str | None):
    response = ApiClient(raw).get("/v1/api_key")
    assert response.status_code == 401, response.content
    assert response.json()["error"]["status"] == 401
    return response


def test_no_credential_is_401_with_a_bearer_challenge():
    response = _refused(None)
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("prefix", [API_KEY_PREFIX, SERVICE_TOKEN_PREFIX])
def test_a_well_formed_but_unknown_token_is_401(prefix):
    OrganizationFactory()
    _refused(generate_token(prefix).raw)


@pytest.mark.parametrize("mangle", [lambda raw: raw[:-1] + ("A" if raw[-1] != "A" else "B"), lambda raw: raw[:-1], lambda raw: raw + "0"])
def test_a_malformed_token_is_401_without_looking_it_up(mangle):
    org = OrganizationFactory()
    _, raw = _key(owner_of(org), org)
    with CaptureQueriesContext(connection) as queries:
        _refused(mangle(raw))
    assert not [q for q in queries.captured_queries if "apikey" in q["sql"].lower()]


def test_an_expired_api_key_is_401():
    org = OrganizationFactory()
    key, raw = _key(owner_of(org), org, expires_at=timezone.now() + timedelta(hours=1))
    assert ApiClient(raw).get("/v1/api_key").status_code == 200
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    _refused(raw)


def test_an_expired_service_token_is_401():
    org = OrganizationFactory()
    token, raw = _robot_token(org, _robot(org), expires_at=timezone.now() + timedelta(hours=1))
    ApiKey.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    _refused(raw)


def test_a_revoked_key_is_401():
    org = OrganizationFactory()
    key, raw = _key(owner_of(org), org)
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
    _refused(raw)


def test_a_deleted_api_key_is_401_on_the_next_request():
    org = OrganizationFactory()
    key, raw = _key(owner_of(org), org)
    assert _answer_after(raw, "/v1/api_key", lambda: api_key_delete(actor=owner_of(org), key_id=key.pk)).status_code == 401


def test_a_key_deleting_itself_stops_working_at_once():
    org = OrganizationFactory()
    key, raw = _key(owner_of(org), org)
    client = ApiClient(raw)
    assert client.delete(f"/v1/api_key/{key.pk}").status_code == 200
    assert client.get("/v1/api_key").status_code == 401


def test_a_revoked_service_token_is_401_on_the_next_request():
    org = OrganizationFactory()
    token, raw = _robot_token(org, _robot(org, "owners"))
    revoke = lambda: service_token_revoke(actor=owner_of(org), org=org, token_id=token.pk)  # noqa: E731
    assert _answer_after(raw, "/v1/service_token", revoke).status_code == 401


def test_the_key_of_a_member_removed_from_the_organization_is_401():
    org = OrganizationFactory()
    engineer = add_member(org, None, "engineers")
    _, raw = _key(engineer, org)
    assert _answer_after(raw, "/v1/api_key", lambda: member_remove(actor=owner_of(org), org=org, user=engineer)).status_code == 401


def test_the_key_of_a_deactivated_person_is_401():
    org = OrganizationFactory()
    engineer = add_member(org, None, "engineers")
    _, raw = _key(engineer, org)
    engineer.is_active = False
    engineer.save(update_fields=["is_active"])
    _refused(raw)


def test_a_bad_bearer_token_is_refused_even_with_a_valid_session():
    org = OrganizationFactory()
    client = _session(owner_of(org))
    response = client.get("/v1/api_key", HTTP_AUTHORIZATION="Bearer sk-not-a-key")
    assert response.status_code == 401


# Revocation of access takes effect on the next request


def test_a_revoked_grant_takes_effect_on_the_next_request():
    org = OrganizationFactory()
    member = add_member(org)
    grant(org, Node("organization", org.pk), user=member, permission="read")  # so the organization stays visible
    record = grant(org, Node("organization", org.pk), user=member, permission="read_acls")
    _, raw = _key(member, org)
    response = _answer_after(raw, "/v1/acl/list_org", lambda: acl_revoke(actor=owner_of(org), grant_id=record.id))
    assert response.status_code == 403
    assert response.json()["error"]["missing_permission"] == "read_acls"


def test_leaving_owners_takes_effect_on_the_next_request():
    org = OrganizationFactory()
    robot = _robot(org, "owners")
    _, raw = _robot_token(org, robot)
    leave = lambda: group_update(actor=owner_of(org), group=builtin_group(org, "owners"), remove_member_users=[robot.pk])  # noqa: E731
    response = _answer_after(raw, "/v1/service_token", leave)
    assert response.status_code == 403
    assert "Only Owners" in response.json()["error"]["message"]


def test_a_removed_membership_takes_effect_on_the_next_request_for_a_service_token():
    org = OrganizationFactory()
    robot = _robot(org, "engineers")
    _, raw = _robot_token(org, robot)
    assert _answer_after(raw, "/v1/api_key", lambda: member_remove(actor=owner_of(org), org=org, user=robot)).status_code == 401


# The browser session


def test_the_session_reads_without_a_csrf_token():
    org = OrganizationFactory()
    key, _ = _key(owner_of(org), org)
    response = _session(owner_of(org)).get("/v1/api_key")
    assert response.status_code == 200
    assert [o["id"] for o in response.json()["objects"]] == [str(key.pk)]


def test_the_session_needs_csrf_to_create_an_api_key():
    org = OrganizationFactory()
    owner = owner_of(org)
    refused = _send(_session(owner), "post", "/v1/api_key", {"name": "from the browser"})
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["error"]["message"]
    assert not ApiKey.objects.filter(user=owner).exists()

    created = _send(_session(owner, csrf=True), "post", "/v1/api_key", {"name": "from the browser"}, csrf=True)
    assert created.status_code == 200, created.content
    assert created.json()["key"].startswith(API_KEY_PREFIX)
    assert ApiKey.objects.filter(user=owner, name="from the browser").count() == 1


def test_the_session_needs_csrf_to_delete_an_api_key():
    org = OrganizationFactory()
    owner = owner_of(org)
    key, _ = _key(owner, org)
    assert _send(_session(owner), "delete", f"/v1/api_key/{key.pk}").status_code == 403
    assert ApiKey.objects.filter(pk=key.pk).exists()
    assert _send(_session(owner, csrf=True), "delete", f"/v1/api_key/{key.pk}", csrf=True).status_code == 200
    assert not ApiKey.objects.filter(pk=key.pk).exists()


def test_the_session_needs_csrf_for_service_tokens_too():
    org = OrganizationFactory()
    robot = _robot(org)
    body = {"name": "deploy", "service_account_id": str(robot.pk)}
    assert _send(_session(owner_of(org)), "post", "/v1/service_token", body).status_code == 403
    assert not ApiKey.objects.filter(user=robot).exists()
    response = _send(_session(owner_of(org), csrf=True), "post", "/v1/service_token", body, csrf=True)
    assert response.status_code == 200, response.content
    assert ApiKey.objects.filter(user=robot).count() == 1


def test_a_service_account_can_never_use_the_session():
    org = OrganizationFactory()
    robot = _robot(org, "owners")
    client = _session(robot, csrf=True)
    assert client.get("/v1/api_key").status_code == 401
    assert client.get("/v1/service_token").status_code == 401
    body = {"name": "x", "service_account_id": str(robot.pk)}
    assert _send(client, "post", "/v1/service_token", body, csrf=True).status_code == 401
    assert not ApiKey.objects.exists()


def test_a_service_account_made_by_the_factory_cannot_use_the_session_either():
    robot = ServiceAccountFactory()
    assert _session(robot).get("/v1/api_key").status_code == 401


def test_an_api_key_cannot_create_an_api_key_even_alongside_a_session():
    org = OrganizationFactory()
    owner = owner_of(org)
    _, raw = _key(owner, org)
    client = _session(owner, csrf=True)
    response = _send(client, "post", "/v1/api_key", {"name": "minted"}, csrf=True)
    assert response.status_code == 200  # the session alone may
    response = client.post(
        "/v1/api_key", json.dumps({"name": "minted"}), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "API keys cannot create API keys"
    assert ApiKey.objects.filter(user=owner, name="minted").count() == 1


# Throttling failed attempts


def test_failed_bearer_attempts_are_throttled_per_address_and_valid_keys_still_work(settings):
    settings.AUTH_FAILURE_LIMIT = 3
    org = OrganizationFactory()
    _, good = _key(owner_of(org), org)
    attacker = ApiClient(generate_token(API_KEY_PREFIX).raw, REMOTE_ADDR="203.0.113.7")
    statuses = [attacker.get("/v1/api_key").status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 429, 429]
    throttled = attacker.get("/v1/api_key")
    assert throttled.json()["error"]["status"] == 429
    assert int(throttled["Retry-After"]) > 0
    # a valid key is never refused for others' failures, even from the throttled address
    assert ApiClient(good, REMOTE_ADDR="203.0.113.7").get("/v1/api_key").status_code == 200
    assert ApiClient(good, REMOTE_ADDR="198.51.100.2").get("/v1/api_key").status_code == 200
    # while any other invalid token from that address is still slowed down
    assert ApiClient(generate_token(API_KEY_PREFIX).raw, REMOTE_ADDR="203.0.113.7").get("/v1/api_key").status_code == 429


def test_the_same_invalid_token_is_throttled_from_any_address(settings):
    settings.AUTH_FAILURE_LIMIT = 2
    revoked = generate_token(API_KEY_PREFIX).raw
    statuses = [ApiClient(revoked, REMOTE_ADDR=f"198.51.100.{n}").get("/v1/api_key").status_code for n in range(10, 14)]
    assert statuses == [401, 401, 429, 429]
    assert ApiClient(generate_token(API_KEY_PREFIX).raw, REMOTE_ADDR="198.51.100.20").get("/v1/api_key").status_code == 401


def test_behind_a_trusted_proxy_each_forwarded_client_is_counted_on_its_own(settings):
    settings.AUTH_FAILURE_LIMIT = 2
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]

    def status(forwarded_for: str, peer: str = "10.0.0.5") -> int:
        client = ApiClient(generate_token(API_KEY_PREFIX).raw, REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded_for)
        return client.get("/v1/api_key").status_code

    assert [status("203.0.113.1, 10.0.0.9") for _ in range(3)] == [401, 401, 429]
    assert status("203.0.113.2") == 401  # another client behind the same proxy
    assert status("203.0.113.2, 203.0.113.1, 10.0.0.9") == 429  # prepending an address does not escape
    # from an untrusted peer the header is ignored: that peer itself is the client
    assert [status(f"203.0.113.{n}", peer="192.0.2.50") for n in range(3, 6)] == [401, 401, 429]


def test_successful_requests_are_not_counted_as_failures(settings):
    settings.AUTH_FAILURE_LIMIT = 2
    org = OrganizationFactory()
    _, good = _key(owner_of(org), org)
    client = ApiClient(good, REMOTE_ADDR="198.51.100.3")
    assert [client.get("/v1/api_key").status_code for _ in range(4)] == [200] * 4


def test_requests_without_a_bearer_header_are_not_counted(settings):
    settings.AUTH_FAILURE_LIMIT = 1
    org = OrganizationFactory()
    _, good = _key(owner_of(org), org)
    anonymous = ApiClient(REMOTE_ADDR="198.51.100.4")
    assert [anonymous.get("/v1/api_key").status_code for _ in range(3)] == [401] * 3
    assert ApiClient(good, REMOTE_ADDR="198.51.100.4").get("/v1/api_key").status_code == 200


# Last use


def test_last_used_at_is_recorded_for_api_keys_and_service_tokens():
    org = OrganizationFactory()
    key, raw = _key(owner_of(org), org)
    token, token_raw = _robot_token(org, _robot(org, "owners"))
    assert key.last_used_at is None and token.last_used_at is None
    before = timezone.now()
    assert ApiClient(raw).get("/v1/api_key").status_code == 200
    assert ApiClient(token_raw).get("/v1/service_token").status_code == 200
    key.refresh_from_db()
    token.refresh_from_db()
    assert before <= key.last_used_at <= timezone.now()
    assert before <= token.last_used_at <= timezone.now()


def test_a_failed_attempt_records_no_use():
    org = OrganizationFactory()
    key, raw = _key(owner_of(org), org)
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    _refused(raw)
    key.refresh_from_db()
    assert key.last_used_at is None


def test_a_person_with_keys_in_two_organizations_acts_in_each_key_s_own():
    first, second = OrganizationFactory(), OrganizationFactory()
    person = UserFactory()
    add_member(first, person, "engineers")
    add_member(second, person, "engineers")
    in_first, raw_first = _key(person, first)
    in_second, _ = _key(person, second)
    client = ApiClient(raw_first)
    assert [o["id"] for o in client.get("/v1/api_key").json()["objects"]] == [str(in_first.pk)]
    assert client.get(f"/v1/api_key/{in_second.pk}").status_code == 404
    response = client.get("/v1/api_key", {"org_name": second.name})
    assert response.status_code == 400
    assert first.name in response.json()["error"]["message"]
