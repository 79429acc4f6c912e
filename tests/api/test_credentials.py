"""``/v1/api_key`` and ``/v1/service_token``: docs/access-model.md, "Tokens" (own API keys for everyone, service
tokens for Owners only, the raw key shown once, bad input refused with nothing written)."""

import json
from dataclasses import dataclass, field
from datetime import UTC, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import ApiKey, User
from accounts.services.credentials import api_key_create, service_account_create, service_token_create
from accounts.tokens import API_KEY_PREFIX, SERVICE_TOKEN_PREFIX, hash_token
from permissions.models import AuditEvent
from tests.access_helpers import audit_actions, row_counts
from tests.api_helpers import ApiClient
from tests.factories import OrganizationFactory, UserFactory, add_member, builtin_group, owner_of

pytestmark = pytest.mark.django_db

CSRF_TOKEN = "b" * 32
API_KEY_FIELDS = {"id", "created", "name", "preview_name", "user_id", "user_email", "user_given_name", "user_family_name", "org_id"}
SERVICE_TOKEN_FIELDS = {
    "id",
    "created",
    "name",
    "preview_name",
    "service_account_id",
    "service_account_email",
    "service_account_name",
    "org_id",
}
ROLES = ("owner", "engineer", "viewer", "member")
NON_OWNERS = ("engineer", "viewer", "member")


@dataclass
class World:
    org: object
    other_org: object
    people: dict = field(default_factory=dict)  # role -> User
    keys: dict = field(default_factory=dict)  # role -> (ApiKey, raw), the key each person calls with
    robot: User | None = None
    token: ApiKey | None = None
    token_raw: str = ""

    def client(self, role: str) -> ApiClient:
        return ApiClient(self.keys[role][1])


@pytest.fixture(scope="module")
def built_world(module_db) -> World:
    org, other_org = OrganizationFactory(), OrganizationFactory()
    w = World(org=org, other_org=other_org)
    w.people = {
        "owner": owner_of(org),
        "engineer": add_member(org, None, "engineers"),
        "viewer": add_member(org, None, "viewers"),
        "member": add_member(org),
        "outsider": owner_of(other_org),
    }
    for role, person in w.people.items():
        w.keys[role] = api_key_create(actor=person, org=other_org if role == "outsider" else org, name=f"{role} key")
    w.robot = service_account_create(actor=w.people["owner"], org=org, name="deploy bot")
    w.token, w.token_raw = service_token_create(actor=w.people["owner"], org=org, account_id=w.robot.pk, name="ci")
    return w


def _session(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.cookies["csrftoken"] = CSRF_TOKEN
    return client


def _session_post(user, body):
    return _session(user).post("/v1/api_key", json.dumps(body), content_type="application/json", HTTP_X_CSRFTOKEN=CSRF_TOKEN)


def _call(client: ApiClient, method: str, path: str, body=None):
    if method == "get":
        return client.get(path)
    return getattr(client, method)(path, body)


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [o["id"] for o in response.json()["objects"]]


# API keys: everyone manages their own


@pytest.mark.parametrize("role", ROLES)
def test_everyone_lists_reads_and_deletes_only_their_own_api_keys(world, role):
    person, (calling_key, _) = world.people[role], world.keys[role]
    second, _ = api_key_create(actor=person, org=world.org, name="second")
    someone_else = world.keys["engineer" if role != "engineer" else "owner"][0]
    client = world.client(role)

    assert _ids(client.get("/v1/api_key")) == [str(second.pk), str(calling_key.pk)]
    got = client.get(f"/v1/api_key/{second.pk}")
    assert got.status_code == 200
    assert got.json()["user_id"] == str(person.pk)
    assert client.get(f"/v1/api_key/{someone_else.pk}").status_code == 404

    assert client.delete(f"/v1/api_key/{someone_else.pk}").status_code == 404
    assert ApiKey.objects.filter(pk=someone_else.pk).exists()
    deleted = client.delete(f"/v1/api_key/{second.pk}")
    assert deleted.status_code == 200
    assert deleted.json()["id"] == str(second.pk)
    assert not ApiKey.objects.filter(pk=second.pk).exists()
    assert audit_actions()[-1] == "api_key.delete"


@pytest.mark.parametrize("role", [*ROLES, "outsider"])
def test_no_bearer_credential_creates_an_api_key(world, role):
    before = row_counts()
    response = world.client(role).post("/v1/api_key", {"name": "minted"})
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "API keys cannot create API keys"
    assert row_counts() == before


def test_a_service_token_creates_no_api_key(world):
    before = row_counts()
    response = ApiClient(world.token_raw).post("/v1/api_key", {"name": "minted"})
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "API keys cannot create API keys"
    assert row_counts() == before


def test_a_principal_of_another_organization_sees_none_of_our_api_keys(world):
    client = world.client("outsider")
    assert _ids(client.get("/v1/api_key")) == [str(world.keys["outsider"][0].pk)]
    owner_key = world.keys["owner"][0]
    assert client.get(f"/v1/api_key/{owner_key.pk}").status_code == 404
    assert client.delete(f"/v1/api_key/{owner_key.pk}").status_code == 404
    assert ApiKey.objects.filter(pk=owner_key.pk).exists()


def test_the_not_found_answer_is_the_same_for_a_missing_and_an_invisible_key(world):
    client = world.client("engineer")
    invisible = client.get(f"/v1/api_key/{world.keys['owner'][0].pk}")
    missing = client.get("/v1/api_key/00000000-0000-0000-0000-000000000000")
    assert invisible.status_code == missing.status_code == 404
    assert invisible.json()["error"]["message"].replace(str(world.keys["owner"][0].pk), "X") == missing.json()["error"]["message"].replace(
        "00000000-0000-0000-0000-000000000000", "X"
    )


def test_a_person_creates_an_api_key_through_the_session(world):
    engineer = world.people["engineer"]
    response = _session_post(engineer, {"name": "laptop", "expires_at": (timezone.now() + timedelta(days=30)).isoformat()})
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == API_KEY_FIELDS | {"key"}
    key = ApiKey.objects.get(pk=body["id"])
    assert (key.user, key.org, key.kind, key.name) == (engineer, world.org, ApiKey.Kind.API_KEY, "laptop")
    assert key.expires_at is not None
    assert body["key"].startswith(API_KEY_PREFIX) and key.key_hash == hash_token(body["key"])
    assert body["preview_name"] == key.preview_name == f"{API_KEY_PREFIX}****{body['key'][-4:]}"
    assert (body["user_email"], body["user_given_name"], body["user_family_name"], body["org_id"]) == (
        engineer.email,
        engineer.given_name,
        engineer.family_name,
        str(world.org.pk),
    )
    assert ApiClient(body["key"]).get("/v1/api_key").status_code == 200
    assert audit_actions()[-1] == "api_key.create"


def test_a_person_in_several_organizations_names_the_one_for_a_new_key(world):
    engineer = world.people["engineer"]
    add_member(world.other_org, engineer, "engineers")
    before = row_counts()
    assert _session_post(engineer, {"name": "k"}).status_code == 400
    assert row_counts() == before
    response = _session_post(engineer, {"name": "k", "org_name": world.other_org.name})
    assert response.status_code == 200
    assert response.json()["org_id"] == str(world.other_org.pk)
    # and the session lists the person's keys of every organization, or of the one named
    assert len(_ids(_session(engineer).get("/v1/api_key"))) == 2
    assert _ids(_session(engineer).get("/v1/api_key", {"org_name": world.other_org.name})) == [response.json()["id"]]


def test_a_person_cannot_create_a_key_in_an_organization_they_are_not_in(world):
    before = row_counts()
    response = _session_post(world.people["engineer"], {"name": "k", "org_name": world.other_org.name})
    assert response.status_code == 404
    assert row_counts() == before


def test_api_key_filters_and_pagination(world):
    owner = world.people["owner"]
    made = [api_key_create(actor=owner, org=world.org, name=f"k{i}")[0] for i in range(4)]
    client = world.client("owner")
    assert _ids(client.get("/v1/api_key", {"api_key_name": "k2"})) == [str(made[2].pk)]
    response = client.client.get("/v1/api_key", {"ids": [str(made[0].pk), str(made[3].pk)]})
    assert set(_ids(response)) == {str(made[0].pk), str(made[3].pk)}
    assert _ids(client.get("/v1/api_key", {"org_name": world.org.name, "limit": 2})) == [str(made[3].pk), str(made[2].pk)]
    page = client.get("/v1/api_key", {"limit": 2, "starting_after": str(made[2].pk)})
    assert _ids(page) == [str(made[1].pk), str(made[0].pk)]
    assert _ids(client.get("/v1/api_key", {"ending_before": str(made[1].pk), "limit": 1})) == [str(made[2].pk)]


def test_api_key_json_has_exactly_braintrusts_fields(world):
    client = world.client("owner")
    listed = client.get("/v1/api_key").json()["objects"][0]
    assert set(listed) == API_KEY_FIELDS
    assert set(client.get(f"/v1/api_key/{listed['id']}").json()) == API_KEY_FIELDS


# Service tokens: Owners only


def _token_endpoints(w: World) -> dict:
    create_body = {"name": "new token", "service_account_id": str(w.robot.pk)}
    return {
        "list": ("get", "/v1/service_token", None),
        "create": ("post", "/v1/service_token", create_body),
        "create_or_replace": ("put", "/v1/service_token", {**create_body, "name": "ci"}),
        "get": ("get", f"/v1/service_token/{w.token.pk}", None),
        "delete": ("delete", f"/v1/service_token/{w.token.pk}", None),
        "delete_by_body": ("delete", "/v1/service_token", {"id": str(w.token.pk)}),
    }


ENDPOINT_NAMES = ("list", "create", "create_or_replace", "get", "delete", "delete_by_body")


@pytest.mark.parametrize("endpoint", ENDPOINT_NAMES)
def test_an_owner_uses_every_service_token_endpoint(world, endpoint):
    method, path, body = _token_endpoints(world)[endpoint]
    response = _call(world.client("owner"), method, path, body)
    assert response.status_code == 200, response.content
    data = response.json()
    if endpoint == "list":
        assert [set(o) for o in data["objects"]] == [SERVICE_TOKEN_FIELDS]
        assert data["objects"][0]["id"] == str(world.token.pk)
    elif endpoint in ("create", "create_or_replace"):
        assert set(data) == SERVICE_TOKEN_FIELDS | {"key"}
        assert data["key"].startswith(SERVICE_TOKEN_PREFIX)
        assert data["service_account_id"] == str(world.robot.pk)
        assert ApiClient(data["key"]).get("/v1/api_key").status_code == 200
    else:
        assert set(data) == SERVICE_TOKEN_FIELDS
        assert data["id"] == str(world.token.pk)
        assert ApiKey.objects.filter(pk=world.token.pk).exists() == (endpoint == "get")


@pytest.mark.parametrize("role", NON_OWNERS)
@pytest.mark.parametrize("endpoint", ENDPOINT_NAMES)
def test_anyone_but_an_owner_is_refused_with_the_reason(world, role, endpoint):
    method, path, body = _token_endpoints(world)[endpoint]
    before = row_counts()
    response = _call(world.client(role), method, path, body)
    assert response.status_code == 403, response.content
    assert response.json()["error"]["message"].startswith("Only Owners can ")
    assert row_counts() == before


@pytest.mark.parametrize("endpoint", ENDPOINT_NAMES)
def test_an_owner_of_another_organization_finds_nothing_of_ours(world, endpoint):
    method, path, body = _token_endpoints(world)[endpoint]
    before = row_counts()
    response = _call(world.client("outsider"), method, path, body)
    if endpoint == "list":
        assert _ids(response) == []
    else:
        assert response.status_code == 404, response.content
    assert row_counts() == before


@pytest.mark.parametrize("endpoint", ENDPOINT_NAMES)
def test_no_credential_is_401_on_service_token_endpoints(world, endpoint):
    method, path, body = _token_endpoints(world)[endpoint]
    before = row_counts()
    assert _call(ApiClient(), method, path, body).status_code == 401
    assert row_counts() == before


@pytest.mark.parametrize("endpoint", ENDPOINT_NAMES)
def test_a_revoked_owner_key_is_401_on_service_token_endpoints(world, endpoint):
    ApiKey.objects.filter(pk=world.keys["owner"][0].pk).update(revoked_at=timezone.now())
    method, path, body = _token_endpoints(world)[endpoint]
    before = row_counts()
    assert _call(world.client("owner"), method, path, body).status_code == 401
    assert row_counts() == before


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/v1/api_key"), ("post", "/v1/api_key"), ("get", "/v1/api_key/{key}"), ("delete", "/v1/api_key/{key}")],
)
@pytest.mark.parametrize("credential", ["none", "revoked", "expired"])
def test_api_key_endpoints_refuse_a_missing_or_dead_credential(world, method, path, credential):
    key, raw = world.keys["engineer"]
    if credential == "revoked":
        ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
    if credential == "expired":
        ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    client = ApiClient(None if credential == "none" else raw)
    before = row_counts()
    response = _call(client, method, path.format(key=key.pk), {"name": "x"} if method == "post" else None)
    assert response.status_code == 401
    assert row_counts() == before


def test_a_service_account_in_owners_manages_service_tokens_with_its_token(world):
    owner_bot = service_account_create(
        actor=world.people["owner"], org=world.org, name="admin bot", group_ids=[builtin_group(world.org, "owners").pk]
    )
    _, raw = service_token_create(actor=world.people["owner"], org=world.org, account_id=owner_bot.pk, name="admin")
    client = ApiClient(raw)
    response = client.post("/v1/service_token", {"name": "made by a bot", "service_account_id": str(world.robot.pk)})
    assert response.status_code == 200, response.content
    assert AuditEvent.objects.filter(action="service_token.create", actor=owner_bot).count() == 1
    assert client.delete(f"/v1/service_token/{response.json()['id']}").status_code == 200


def test_an_owner_cannot_make_a_token_for_a_person_or_another_organizations_service_account(world):
    other_robot = service_account_create(actor=world.people["outsider"], org=world.other_org, name="theirs")
    client = world.client("owner")
    before = row_counts()
    for account in (other_robot, world.people["engineer"]):
        for method in ("post", "put"):
            response = getattr(client, method)("/v1/service_token", {"name": "x", "service_account_id": str(account.pk)})
            assert response.status_code == 404, response.content
    assert row_counts() == before


def test_a_bearer_credential_naming_another_organization_is_refused(world):
    before = row_counts()
    response = world.client("owner").post(
        "/v1/service_token", {"name": "x", "service_account_id": str(world.robot.pk), "org_name": world.other_org.name}
    )
    assert response.status_code == 400
    assert row_counts() == before
    same = world.client("owner").post(
        "/v1/service_token", {"name": "x", "service_account_id": str(world.robot.pk), "org_name": world.org.name}
    )
    assert same.status_code == 200


def test_service_token_filters_and_pagination(world):
    owner = world.people["owner"]
    made = [service_token_create(actor=owner, org=world.org, account_id=world.robot.pk, name=f"t{i}")[0] for i in range(3)]
    client = world.client("owner")
    assert _ids(client.get("/v1/service_token", {"service_token_name": "t1"})) == [str(made[1].pk)]
    assert _ids(client.get("/v1/service_token", {"ids": f"{made[0].pk},{world.token.pk}"})) == [
        str(made[0].pk),
        str(world.token.pk),
    ]
    assert _ids(client.get("/v1/service_token", {"limit": 2})) == [str(made[2].pk), str(made[1].pk)]
    assert _ids(client.get("/v1/service_token", {"starting_after": str(made[1].pk)})) == [str(made[0].pk), str(world.token.pk)]
    # API keys are not service tokens, and service tokens are not API keys
    assert str(world.keys["owner"][0].pk) not in _ids(client.get("/v1/service_token"))
    assert client.get(f"/v1/service_token/{world.keys['owner'][0].pk}").status_code == 404
    assert client.get(f"/v1/api_key/{world.token.pk}").status_code == 404


# PUT: create or replace by name, per service account


def test_put_without_a_token_of_that_name_creates_one(world):
    response = world.client("owner").put("/v1/service_token", {"name": "fresh", "service_account_id": str(world.robot.pk)})
    assert response.status_code == 200
    assert ApiKey.objects.filter(user=world.robot, kind=ApiKey.Kind.SERVICE_TOKEN).count() == 2
    assert ApiKey.objects.filter(pk=world.token.pk).exists()


def test_put_replaces_the_token_of_that_name_with_a_new_key(world):
    old_client = ApiClient(world.token_raw)
    assert old_client.get("/v1/api_key").status_code == 200
    response = world.client("owner").put("/v1/service_token", {"name": "ci", "service_account_id": str(world.robot.pk)})
    assert response.status_code == 200
    new = response.json()
    assert new["id"] != str(world.token.pk) and new["name"] == "ci"
    assert not ApiKey.objects.filter(pk=world.token.pk).exists()
    assert old_client.get("/v1/api_key").status_code == 401
    assert ApiClient(new["key"]).get("/v1/api_key").status_code == 200
    assert _ids(world.client("owner").get("/v1/service_token", {"service_token_name": "ci"})) == [new["id"]]
    assert audit_actions()[-2:] == ["service_token.create", "service_token.delete"]


def test_put_leaves_the_same_name_on_another_service_account_alone(world):
    other_robot = service_account_create(actor=world.people["owner"], org=world.org, name="other bot")
    response = world.client("owner").put("/v1/service_token", {"name": "ci", "service_account_id": str(other_robot.pk)})
    assert response.status_code == 200
    assert ApiKey.objects.filter(pk=world.token.pk).exists()
    assert ApiClient(world.token_raw).get("/v1/api_key").status_code == 200


def test_a_refused_put_keeps_the_old_token(world):
    before = row_counts()
    response = world.client("owner").put(
        "/v1/service_token",
        {"name": "ci", "service_account_id": str(world.robot.pk), "expires_at": (timezone.now() - timedelta(days=1)).isoformat()},
    )
    assert response.status_code == 400
    assert row_counts() == before
    assert ApiClient(world.token_raw).get("/v1/api_key").status_code == 200


# The raw key is shown once


def _assert_secret_nowhere_stored(raw: str) -> None:
    for key in ApiKey.objects.all():
        stored = " ".join(str(getattr(key, f.attname)) for f in ApiKey._meta.concrete_fields)
        assert raw not in stored
        assert raw[len(API_KEY_PREFIX) :] not in stored and raw[-12:] not in stored
    for event in AuditEvent.objects.all():
        dumped = json.dumps({f.attname: getattr(event, f.attname) for f in AuditEvent._meta.concrete_fields}, default=str)
        assert raw not in dumped and raw[-12:] not in dumped


def _assert_secret_not_in(response, raw: str) -> None:
    text = response.content.decode()
    assert raw not in text
    assert hash_token(raw) not in text
    assert raw[-12:] not in text


def test_a_new_api_key_is_shown_exactly_once(world):
    engineer = world.people["engineer"]
    created = _session_post(engineer, {"name": "once"})
    raw = created.json()["key"]
    assert created.content.decode().count(raw) == 1
    session = _session(engineer)
    client = ApiClient(raw)
    for response in (
        session.get("/v1/api_key"),
        session.get(f"/v1/api_key/{created.json()['id']}"),
        client.get("/v1/api_key"),
        client.get(f"/v1/api_key/{created.json()['id']}"),
    ):
        assert response.status_code == 200
        _assert_secret_not_in(response, raw)
    _assert_secret_nowhere_stored(raw)
    deleted = client.delete(f"/v1/api_key/{created.json()['id']}")
    _assert_secret_not_in(deleted, raw)
    _assert_secret_nowhere_stored(raw)


@pytest.mark.parametrize("method", ["post", "put"])
def test_a_new_service_token_is_shown_exactly_once(world, method):
    client = world.client("owner")
    created = getattr(client, method)("/v1/service_token", {"name": "ci", "service_account_id": str(world.robot.pk)})
    raw = created.json()["key"]
    assert created.content.decode().count(raw) == 1
    for response in (client.get("/v1/service_token"), client.get(f"/v1/service_token/{created.json()['id']}")):
        assert response.status_code == 200
        _assert_secret_not_in(response, raw)
    _assert_secret_nowhere_stored(raw)
    _assert_secret_not_in(client.delete(f"/v1/service_token/{created.json()['id']}"), raw)
    _assert_secret_nowhere_stored(raw)


def test_no_response_ever_carries_a_stored_hash(world):
    client = world.client("owner")
    text = client.get("/v1/api_key").content.decode() + client.get("/v1/service_token").content.decode()
    for key in ApiKey.objects.all():
        assert key.key_hash not in text


# Bad input: 400, nothing written


def _future() -> str:
    return (timezone.now() + timedelta(days=1)).isoformat()


def _past() -> str:
    return (timezone.now() - timedelta(seconds=5)).isoformat()


def _bad_api_key_bodies() -> dict:
    return {
        "missing name": {},
        "empty name": {"name": ""},
        "blank name": {"name": "   "},
        "name not a string": {"name": 12},
        "name too long": {"name": "x" * 256},
        "unknown field": {"name": "k", "scopes": ["all"]},
        "expiry in the past": {"name": "k", "expires_at": _past()},
        "expiry not a date": {"name": "k", "expires_at": "tomorrow"},
        "expiry not a string": {"name": "k", "expires_at": 1700000000},
        "not an object": ["name"],
    }


@pytest.mark.parametrize("case", list(_bad_api_key_bodies()))
def test_bad_api_key_bodies_are_400_and_write_nothing(world, case):
    body = _bad_api_key_bodies()[case]
    before = row_counts()
    response = _session_post(world.people["engineer"], body)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["status"] == 400
    assert row_counts() == before


def _bad_token_bodies(w: World) -> dict:
    robot = str(w.robot.pk)
    return {
        "missing name": {"service_account_id": robot},
        "empty name": {"name": "", "service_account_id": robot},
        "blank name": {"name": "  ", "service_account_id": robot},
        "name not a string": {"name": ["ci"], "service_account_id": robot},
        "missing service account": {"name": "ci"},
        "service account not a UUID": {"name": "ci", "service_account_id": "robot-1"},
        "unknown field": {"name": "ci", "service_account_id": robot, "user_id": robot},
        "expiry in the past": {"name": "ci", "service_account_id": robot, "expires_at": _past()},
        "expiry not a date": {"name": "ci", "service_account_id": robot, "expires_at": "2020-13-45"},
        "not an object": "ci",
    }


@pytest.mark.parametrize("method", ["post", "put"])
@pytest.mark.parametrize("case", list(_bad_token_bodies(World(org=None, other_org=None, robot=User(pk=None)))))
def test_bad_service_token_bodies_are_400_and_write_nothing(world, method, case):
    body = _bad_token_bodies(world)[case]
    before = row_counts()
    response = getattr(world.client("owner"), method)("/v1/service_token", body)
    assert response.status_code == 400, response.content
    assert row_counts() == before
    assert ApiClient(world.token_raw).get("/v1/api_key").status_code == 200


@pytest.mark.parametrize(
    "body", [{}, {"id": "not-a-uuid"}, {"id": None}, {"id": "00000000-0000-0000-0000-000000000000", "name": "ci"}, ["x"]]
)
def test_bad_delete_bodies_are_400_and_write_nothing(world, body):
    before = row_counts()
    response = world.client("owner").delete("/v1/service_token", body)
    assert response.status_code == 400, response.content
    assert row_counts() == before


@pytest.mark.parametrize(
    ("method", "path", "params"),
    [
        ("get", "/v1/api_key/not-a-uuid", None),
        ("delete", "/v1/api_key/not-a-uuid", None),
        ("get", "/v1/service_token/not-a-uuid", None),
        ("delete", "/v1/service_token/not-a-uuid", None),
        ("get", "/v1/api_key", {"ids": "nope"}),
        ("get", "/v1/api_key", {"limit": "many"}),
        ("get", "/v1/api_key", {"starting_after": "nope"}),
        ("get", "/v1/service_token", {"ids": "nope"}),
        ("get", "/v1/service_token", {"limit": "-1"}),
        ("get", "/v1/service_token", {"starting_after": "00000000-0000-0000-0000-000000000000"}),
    ],
)
def test_bad_ids_and_list_parameters_are_400_and_write_nothing(world, method, path, params):
    before = row_counts()
    client = world.client("owner")
    response = client.get(path, params) if method == "get" else client.delete(path)
    assert response.status_code == 400, response.content
    assert row_counts() == before


def test_a_future_expiry_is_kept_and_enforced(world):
    expires = timezone.now() + timedelta(hours=2)
    response = world.client("owner").post(
        "/v1/service_token", {"name": "short", "service_account_id": str(world.robot.pk), "expires_at": expires.isoformat()}
    )
    assert response.status_code == 200
    key = ApiKey.objects.get(pk=response.json()["id"])
    assert abs((key.expires_at - expires).total_seconds()) < 1
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert ApiClient(response.json()["key"]).get("/v1/api_key").status_code == 401


def test_an_expiry_without_an_offset_is_read_as_utc(world):
    naive = (timezone.now() + timedelta(days=1)).replace(tzinfo=None, microsecond=0)
    response = _session_post(world.people["viewer"], {"name": "naive", "expires_at": naive.isoformat()})
    assert response.status_code == 200, response.content
    key = ApiKey.objects.get(pk=response.json()["id"])
    assert key.expires_at == naive.replace(tzinfo=UTC)


# Query counts


def _list_queries(client: ApiClient, path: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries.captured_queries), len(response.json()["objects"])


def test_listing_api_keys_costs_the_same_for_1_and_30_rows():
    org = OrganizationFactory()
    person = add_member(org, UserFactory(), "engineers")
    _, raw = api_key_create(actor=person, org=org, name="caller")
    client = ApiClient(raw)
    client.get("/v1/api_key")  # the key's first use records last_used_at; later ones within a minute do not
    one, rows = _list_queries(client, "/v1/api_key")
    assert rows == 1
    for i in range(29):
        api_key_create(actor=person, org=org, name=f"k{i}")
    thirty, rows = _list_queries(client, "/v1/api_key")
    assert rows == 30
    assert one == thirty <= 5


def test_listing_service_tokens_costs_the_same_for_1_and_30_rows():
    org = OrganizationFactory()
    owner = owner_of(org)
    _, raw = api_key_create(actor=owner, org=org, name="caller")
    robots = [service_account_create(actor=owner, org=org, name=f"bot {i}") for i in range(3)]
    service_token_create(actor=owner, org=org, account_id=robots[0].pk, name="t")
    client = ApiClient(raw)
    client.get("/v1/service_token")  # the key's first use records last_used_at; later ones within a minute do not
    one, rows = _list_queries(client, "/v1/service_token")
    assert rows == 1
    for i in range(29):
        service_token_create(actor=owner, org=org, account_id=robots[i % 3].pk, name=f"t{i}")
    thirty, rows = _list_queries(client, "/v1/service_token")
    assert rows == 30
    assert one == thirty <= 7


def test_the_schema_documents_the_credential_endpoints():
    paths = ApiClient().get("/v1/openapi.json", {"format": "json"}).json()["paths"]
    assert set(paths["/v1/api_key"]) >= {"get", "post"}
    assert set(paths["/v1/api_key/{api_key_id}"]) >= {"get", "delete"}
    assert set(paths["/v1/service_token"]) >= {"get", "post", "put", "delete"}
    assert set(paths["/v1/service_token/{service_token_id}"]) >= {"get", "delete"}
    assert paths["/v1/service_token"]["put"]["operationId"] == "putServiceToken"
