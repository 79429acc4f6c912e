"""``expires_at`` on /v1/acl: this server's addition to Braintrust's ``Acl`` and ``AclItem``.

docs/access-model.md, "Grants": from its ``expires_at`` on, a grant counts for nothing, whether or not a job
has removed it yet. So ``POST /v1/acl`` and the ``add_acls`` of a batch take an optional expiry (ISO 8601,
with its UTC offset, in the future), every ACL answered says its expiry (null: none), and the lists leave
out a grant whose expiry has passed. A bad value is a 400 that names the field and writes nothing. Whether
an expired grant still gives access is the engine's business, tested with the engine.
"""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import Organization, User
from permissions.engine.nodes import Node
from permissions.grants import grant_records
from permissions.models import AuditEvent
from projects.models import Project
from tests.access_helpers import audit_actions, grant, raw_grant_expiry, row_counts
from tests.api_helpers import ApiClient, api_client_for
from tests.assertions import ACL_FIELDS
from tests.factories import ExperimentFactory, OrganizationFactory, ProjectFactory, add_member, builtin_group, owner_of

pytestmark = pytest.mark.django_db

BATCH_PATHS = ["/v1/acl/batch_update", "/v1/acl/batch-update"]
ADD_PATHS = ["/v1/acl", *BATCH_PATHS]


class World:
    """An organization with a project, a member to grant to, and its owner's API client."""

    def __init__(self) -> None:
        self.org: Organization = OrganizationFactory()
        self.project: Project = ProjectFactory(org=self.org)
        self.grantee: User = add_member(self.org)
        self.owner: User = owner_of(self.org)
        self.client: ApiClient = api_client_for(self.owner, self.org)

    @property
    def node(self) -> Node:
        return Node.of(self.project)


@pytest.fixture(scope="module")
def built_world(module_db) -> World:
    return World()


def in_days(days: float) -> datetime:
    return timezone.now() + timedelta(days=days)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def item(node: Node, **fields) -> dict:
    """An `AclItem` body on `node`, ids as text."""
    return {
        "object_type": node.type,
        "object_id": str(node.id),
        **{k: str(v) if isinstance(v, uuid.UUID) else v for k, v in fields.items()},
    }


def add(world: World, path: str, acl: dict):
    """Add `acl` through `path`, and answer the response and the ACL it answered (None on a refusal)."""
    response = world.client.post(path, {"add_acls": [acl]} if "batch" in path else acl)
    if response.status_code != 200:
        return response, None
    return response, response.json()["added_acls"][0] if "batch" in path else response.json()


def instant(text: str | None) -> datetime | None:
    return parse_datetime(text) if text is not None else None


def state() -> tuple:
    """Every grant with its expiry, the audit trail and every table's row count: a refusal changes none."""
    return frozenset((r.id, r.expires_at) for r in grant_records(include_expired=True)), audit_actions(), row_counts()


# Storing and answering the expiry

STORES = {
    "direct": {"permission": "read"},  # guardian's table
    "restricted": {"permission": "read", "restrict_object_type": "experiment"},  # AclGrant
}


@pytest.mark.parametrize("path", ADD_PATHS)
@pytest.mark.parametrize("store", STORES)
def test_an_acl_added_with_an_expiry_stores_it_and_answers_it(world, path, store):
    expiry = in_days(7)
    response, acl = add(world, path, item(world.node, user_id=world.grantee.pk, **STORES[store], expires_at=iso(expiry)))
    assert response.status_code == 200, response.content
    assert instant(acl["expires_at"]) == expiry
    (record,) = grant_records(ids=[uuid.UUID(acl["id"])])
    assert record.expires_at == expiry
    assert world.client.get(f"/v1/acl/{acl['id']}").json() == acl
    listed = world.client.get("/v1/acl", {"object_type": "project", "object_id": world.project.pk}).json()["objects"]
    assert acl in listed


def test_an_expiry_given_with_an_offset_is_answered_as_the_same_instant(world):
    response, acl = add(
        world, "/v1/acl", item(world.node, user_id=world.grantee.pk, permission="read", expires_at="2999-01-01T12:00:00+02:00")
    )
    assert response.status_code == 200, response.content
    assert instant(acl["expires_at"]) == datetime(2999, 1, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize("expires_at", ["absent", None], ids=["absent", "null"])
def test_an_acl_without_an_expiry_answers_expires_at_null_everywhere(world, expires_at):
    body = item(world.node, user_id=world.grantee.pk, permission="update")
    if expires_at != "absent":
        body["expires_at"] = expires_at
    response, acl = add(world, "/v1/acl", body)
    assert response.status_code == 200, response.content
    assert acl["expires_at"] is None
    answers = [
        world.client.get(f"/v1/acl/{acl['id']}").json(),
        *world.client.get("/v1/acl", {"object_type": "project", "object_id": world.project.pk}).json()["objects"],
        *world.client.get("/v1/acl/list_org").json(),
        world.client.delete("/v1/acl", body).json(),  # null names no expiry, which removing accepts
    ]
    assert all("expires_at" in answer for answer in answers)
    assert answers[0]["expires_at"] is None and answers[-1]["expires_at"] is None


def test_expires_at_is_the_last_field_of_an_acl(world):
    _, acl = add(world, "/v1/acl", item(world.node, user_id=world.grantee.pk, permission="read", expires_at=iso(in_days(1))))
    assert list(acl) == list(ACL_FIELDS)
    assert list(acl)[-1] == "expires_at"


# Adding again

CHANGES = {
    "none_to_a_date": (None, 5),
    "a_date_to_another": (5, 9),
    "a_date_to_none": (5, None),
}


@pytest.mark.parametrize("path", ADD_PATHS)
@pytest.mark.parametrize(("first", "then"), CHANGES.values(), ids=CHANGES.keys())
def test_adding_an_acl_again_with_another_expiry_updates_it_and_audits_before_and_after(world, path, first, then):
    first, then = (iso(in_days(d)) if d is not None else None for d in (first, then))
    body = item(world.node, group_id=builtin_group(world.org, "viewers").pk, permission="update")
    _, original = add(world, "/v1/acl", {**body, "expires_at": first})
    grants_before = {r.id for r in grant_records(include_expired=True)}
    response, again = add(world, path, {**body, "expires_at": then})
    assert response.status_code == 200, response.content
    assert again["id"] == original["id"]
    assert instant(again["expires_at"]) == instant(then)
    assert {k: v for k, v in again.items() if k != "expires_at"} == {k: v for k, v in original.items() if k != "expires_at"}
    assert {r.id for r in grant_records(include_expired=True)} == grants_before
    event = AuditEvent.objects.get(action="acl.update", target_id=original["id"])
    assert (instant(event.before["expires_at"]), instant(event.after["expires_at"])) == (instant(first), instant(then))
    assert event.origin["channel"] == "api"


@pytest.mark.parametrize("path", ADD_PATHS)
@pytest.mark.parametrize("days", [None, 3], ids=["without_expiry", "with_expiry"])
def test_adding_an_identical_acl_again_changes_nothing(world, path, days):
    body = item(world.node, user_id=world.grantee.pk, permission="read", expires_at=iso(in_days(days)) if days else None)
    _, first = add(world, "/v1/acl", body)
    before = state()
    response, again = add(world, path, body)
    assert response.status_code == 200, response.content
    assert again == first
    assert state() == before


@pytest.mark.parametrize("path", ADD_PATHS)
def test_adding_again_without_expires_at_keeps_the_expiry_and_null_clears_it(world, path):
    body = item(world.node, user_id=world.grantee.pk, permission="read")
    _, original = add(world, "/v1/acl", {**body, "expires_at": iso(in_days(2))})
    _, kept = add(world, path, body)
    assert kept == original
    _, cleared = add(world, path, {**body, "expires_at": None})
    assert (cleared["id"], cleared["expires_at"]) == (original["id"], None)


def test_adding_again_an_expired_acl_not_yet_purged_renews_it(world):
    body = item(world.node, user_id=world.grantee.pk, permission="read")
    _, original = add(world, "/v1/acl", {**body, "expires_at": iso(in_days(1))})
    (record,) = grant_records(ids=[uuid.UUID(original["id"])])
    raw_grant_expiry(record, in_days(-1))
    response, renewed = add(world, "/v1/acl", body)
    assert response.status_code == 200, response.content
    assert (renewed["id"], renewed["expires_at"]) == (original["id"], None)
    assert audit_actions()[-1] == "acl.update"


# Bad values

BAD_EXPIRIES = {
    "garbage": "soon",
    "impossible_date": "2999-02-30T00:00:00Z",
    "no_offset": "2999-01-01T00:00:00",
    "date_only": "2999-01-01",
    "past": "2000-01-01T00:00:00Z",
    "a_second_ago": lambda: iso(timezone.now() - timedelta(seconds=1)),  # made when the test runs
    "beyond_the_calendar_in_utc": "9999-12-31T23:00:00-05:00",
    "before_the_calendar_in_utc": "0001-01-01T00:00:00+05:00",
    "empty": "",
    "a_number": 4102444800,
    "a_boolean": True,
    "an_object": {"at": "2999-01-01T00:00:00Z"},
    "a_list": ["2999-01-01T00:00:00Z"],
}


def _bad(value):
    return value() if callable(value) else value


@pytest.mark.parametrize("path", ADD_PATHS)
@pytest.mark.parametrize("kind", BAD_EXPIRIES)
def test_a_bad_expiry_answers_400_naming_expires_at_and_writes_nothing(world, path, kind):
    before = state()
    response, _ = add(world, path, item(world.node, user_id=world.grantee.pk, permission="read", expires_at=_bad(BAD_EXPIRIES[kind])))
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["status"] == 400
    assert "expires_at" in error["message"]
    assert state() == before


@pytest.mark.parametrize("path", ADD_PATHS)
@pytest.mark.parametrize("kind", ["past", "no_offset", "garbage"])
def test_a_bad_expiry_leaves_an_existing_acl_as_it_was(world, path, kind):
    body = item(world.node, user_id=world.grantee.pk, permission="read")
    add(world, "/v1/acl", {**body, "expires_at": iso(in_days(2))})
    before = state()
    response, _ = add(world, path, {**body, "expires_at": BAD_EXPIRIES[kind]})
    assert response.status_code == 400, response.content
    assert state() == before


@pytest.mark.parametrize("path", BATCH_PATHS)
def test_a_batch_with_one_bad_expiry_writes_nothing(world, path):
    experiment = Node.of(ExperimentFactory(project=world.project))
    good = [
        item(world.node, user_id=world.grantee.pk, permission="read", expires_at=iso(in_days(1))),
        item(experiment, user_id=world.grantee.pk, permission="update"),
    ]
    before = state()
    response = world.client.post(
        path, {"add_acls": [*good, item(experiment, user_id=world.grantee.pk, permission="delete", expires_at="2001-01-01T00:00:00Z")]}
    )
    assert response.status_code == 400, response.content
    assert "expires_at" in response.json()["error"]["message"]
    assert state() == before


def test_removing_an_acl_with_an_expiry_answers_400_naming_expires_at_and_writes_nothing(world):
    body = item(world.node, user_id=world.grantee.pk, permission="read", expires_at=iso(in_days(1)))
    add(world, "/v1/acl", body)
    before = state()
    for response in (
        world.client.delete("/v1/acl", body),
        world.client.post("/v1/acl/batch_update", {"remove_acls": [body]}),
        world.client.delete("/v1/acl", {**body, "expires_at": "2001-01-01T00:00:00Z"}),
    ):
        assert response.status_code == 400, response.content
        assert "expires_at" in response.json()["error"]["message"]
    assert state() == before


# The Owners group


@pytest.mark.parametrize("path", ADD_PATHS)
@pytest.mark.parametrize("on", ["organization", "project"])
def test_an_acl_of_the_owners_group_refuses_an_expiry(world, path, on):
    node = Node("organization", world.org.pk) if on == "organization" else world.node
    owners = builtin_group(world.org, "owners")
    before = state()
    response, _ = add(world, path, item(node, group_id=owners.pk, permission="read", expires_at=iso(in_days(30))))
    assert response.status_code == 400, response.content
    message = response.json()["error"]["message"]
    assert "expires_at" in message and "Owners" in message
    assert state() == before


# Lists leave out expired grants


def _expiring_and_expired(world: World) -> tuple[str, str]:
    """Two grants on the project that expire: one still live, one whose expiry has passed (not purged)."""
    _, live = add(world, "/v1/acl", item(world.node, user_id=world.grantee.pk, permission="read", expires_at=iso(in_days(1))))
    _, expired = add(world, "/v1/acl", item(world.node, user_id=world.grantee.pk, permission="update", expires_at=iso(in_days(1))))
    (record,) = grant_records(ids=[uuid.UUID(expired["id"])])
    raw_grant_expiry(record, in_days(-1))
    return live["id"], expired["id"]


def test_an_expired_acl_is_left_out_of_the_lists_while_a_live_expiring_one_is_listed(world):
    live, expired = _expiring_and_expired(world)
    on_project = world.client.get("/v1/acl", {"object_type": "project", "object_id": world.project.pk})
    in_org = world.client.get("/v1/acl/list_org")
    in_org_filtered = world.client.get("/v1/acl/list_org", {"object_id": world.project.pk, "user_id": world.grantee.pk})
    listed = [
        {a["id"] for a in on_project.json()["objects"]},
        {a["id"] for a in in_org.json()},
        {a["id"] for a in in_org_filtered.json()},
    ]
    for ids in listed:
        assert live in ids and expired not in ids
    assert {a["id"] for a in in_org_filtered.json()} == {live}


def test_an_expired_acl_not_yet_purged_is_still_answered_by_id_and_can_be_deleted(world):
    _, expired = _expiring_and_expired(world)
    by_id = world.client.get(f"/v1/acl/{expired}")
    assert by_id.status_code == 200, by_id.content
    assert instant(by_id.json()["expires_at"]) < timezone.now()
    deleted = world.client.delete(f"/v1/acl/{expired}")
    assert deleted.status_code == 200, deleted.content
    assert grant_records(ids=[uuid.UUID(expired)], include_expired=True) == []


@pytest.mark.parametrize("how", ["by_body", "in_a_batch"])
def test_an_expired_acl_not_yet_purged_can_be_removed_by_what_it_says(world, how):
    _, expired = _expiring_and_expired(world)
    body = item(world.node, user_id=world.grantee.pk, permission="update")
    if how == "by_body":
        response = world.client.delete("/v1/acl", body)
        removed = response.json()
    else:
        response = world.client.post("/v1/acl/batch_update", {"remove_acls": [body]})
        (removed,) = response.json()["removed_acls"]
    assert response.status_code == 200, response.content
    assert removed["id"] == expired
    assert grant_records(ids=[uuid.UUID(expired)], include_expired=True) == []


def _page(client: ApiClient, path: str, params: dict, limit: int) -> tuple[int, int]:
    """How many ACLs one page of `limit` answers, and how many SQL queries it costs (after a warm-up)."""
    client.get(path, {**params, "limit": limit})
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, {**params, "limit": limit})
    assert response.status_code == 200, response.content
    body = response.json()
    return len(body["objects"] if isinstance(body, dict) else body), len(queries)


@pytest.mark.parametrize("path", ["/v1/acl", "/v1/acl/list_org"])
def test_listing_costs_the_same_queries_for_1_and_30_acls_among_expired_ones(world, path):
    experiment = ExperimentFactory(project=world.project)
    params = {"object_type": "experiment", "object_id": experiment.pk} if path == "/v1/acl" else {"object_type": "experiment"}
    for person in [add_member(world.org) for _ in range(15)]:
        grant(world.org, experiment, user=person, permission="read")
        raw_grant_expiry(grant(world.org, experiment, user=person, permission="update", restrict="experiment"), in_days(3))
        raw_grant_expiry(grant(world.org, experiment, user=person, role="viewer"), in_days(-3))
    node = Node.of(experiment)
    assert (len(grant_records(nodes=[node])), len(grant_records(nodes=[node], include_expired=True))) == (30, 45)
    (one, one_cost), (thirty, thirty_cost) = _page(world.client, path, params, 1), _page(world.client, path, params, 30)
    assert (one, thirty) == (1, 30)
    assert one_cost == thirty_cost


# The OpenAPI schema


def test_the_schema_documents_expires_at_as_this_servers_addition():
    components = ApiClient().get("/v1/openapi.json", {"format": "json"}).json()["components"]["schemas"]
    for component in ("Acl", "AclItem"):
        field = components[component]["properties"]["expires_at"]
        assert (field["type"], field["format"], field["nullable"]) == ("string", "date-time", True)
        assert field["description"].startswith("This server's addition to Braintrust's")
    assert "expires_at" not in components["AclItem"].get("required", [])
    assert list(components["Acl"]["properties"])[-2:] == ["created", "expires_at"]
