"""/v1/user: the members of the caller's organization, for every kind of principal.

Listing members is read on org_member (which Owners, Engineers and Viewers hold). docs/access-model.md: no
permission at all on org_member answers 404, some other permission there 403 naming read.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.services.credentials import service_account_create
from api.users import UserSerializer, user_json
from permissions.engine.nodes import Node
from tests.access_helpers import grant, row_counts
from tests.api_helpers import ApiClient, api_client_for
from tests.factories import OrganizationFactory, UserFactory, add_member, owner_of
from tests.worlds import make_cast, revoked_client, session_client

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def built_cast(module_db):
    return make_cast()


def ids_of(response) -> set[str]:
    return {u["id"] for u in response.json()["objects"]}


def error(response) -> str:
    return response.json()["error"]["message"]


def members_of(cast) -> set[str]:
    return {str(u.pk) for u in (cast.owner, cast.engineer, cast.viewer, cast.custom, cast.nested, cast.nobody)}


# GET /v1/user


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 200), ("engineer", 200), ("viewer", 200), ("custom", 200), ("nested", 200), ("nobody", 404)],
)
def test_listing_users_is_read_on_org_member(cast, who, status):
    response = cast.client(who).get("/v1/user")
    assert response.status_code == status
    if status == 200:
        assert ids_of(response) == members_of(cast)


def test_outsider_lists_only_its_own_organizations_members(cast):
    response = cast.client("outsider").get("/v1/user")
    assert response.status_code == 200
    assert ids_of(response) == {str(cast.outsider.pk)}


def test_outsider_naming_this_organization_is_refused(cast):
    response = cast.client("outsider").get("/v1/user", {"org_name": cast.org.name})
    assert response.status_code == 400
    assert cast.other_org.name in error(response)


def test_member_holding_only_remove_members_is_403_naming_read(cast):
    grant(cast.org, Node("org_member", cast.org.pk), user=cast.nobody, permission="delete")
    response = cast.client("nobody").get("/v1/user")
    assert response.status_code == 403
    assert response.json()["error"]["missing_permission"] == "read"


def test_member_holding_only_manage_members_invite_sees_no_members(cast):
    grant(cast.org, Node("org_member", cast.org.pk), user=cast.nobody, permission="create")
    assert cast.client("nobody").get("/v1/user").status_code == 404


def test_listing_users_refuses_no_credential_and_a_revoked_token(cast):
    assert ApiClient().get("/v1/user").status_code == 401
    assert revoked_client(cast.owner, cast.org).get("/v1/user").status_code == 401


def test_users_answer_in_braintrusts_shape(cast):
    response = cast.client("owner").get("/v1/user", {"ids": str(cast.engineer.pk)})
    [user] = response.json()["objects"]
    assert user == user_json(cast.engineer)
    assert set(user) == set(UserSerializer().fields)
    assert (user["email"], user["given_name"], user["family_name"]) == (
        cast.engineer.email,
        cast.engineer.given_name,
        cast.engineer.family_name,
    )
    assert user["avatar_url"] is None


def test_service_accounts_are_listed_among_users(cast):
    robot = service_account_create(actor=cast.owner, org=cast.org, name="robot")
    response = cast.client("viewer").get("/v1/user")
    assert str(robot.pk) in ids_of(response)
    assert cast.client("viewer").get(f"/v1/user/{robot.pk}").json()["given_name"] == "robot"


def test_users_filter_by_email_given_name_family_name_and_ids(cast):
    client = cast.client("owner")
    alice = add_member(cast.org, UserFactory(given_name="Alice-test", family_name="Smith-test", email="alice@example.com"))
    bob = add_member(cast.org, UserFactory(given_name="Bob-test", family_name="Smith-test", email="bob@example.com"))
    UserFactory(given_name="Alice-test", family_name="Smith-test")  # not a member
    assert ids_of(client.get("/v1/user", {"email": "ALICE@example.com"})) == {str(alice.pk)}
    assert ids_of(client.get("/v1/user", {"email": ["alice@example.com", "bob@example.com"]})) == {str(alice.pk), str(bob.pk)}
    assert ids_of(client.get("/v1/user", {"given_name": "Alice-test"})) == {str(alice.pk)}
    assert ids_of(client.get("/v1/user", {"family_name": "Smith-test"})) == {str(alice.pk), str(bob.pk)}
    assert ids_of(client.get("/v1/user", {"family_name": "Smith-test", "given_name": "Bob-test"})) == {str(bob.pk)}
    assert ids_of(client.get("/v1/user", {"ids": [str(bob.pk), str(cast.owner.pk)]})) == {str(bob.pk), str(cast.owner.pk)}
    assert ids_of(client.get("/v1/user", {"ids": f"{bob.pk},{alice.pk}"})) == {str(bob.pk), str(alice.pk)}
    assert ids_of(client.get("/v1/user", {"given_name": "alice-test"})) == set()


def test_users_page_newest_first_with_a_cursor(cast):
    client = cast.client("owner")
    first = client.get("/v1/user", {"limit": 2}).json()["objects"]
    everyone = client.get("/v1/user").json()["objects"]
    assert first == everyone[:2]
    after = client.get("/v1/user", {"limit": 2, "starting_after": first[-1]["id"]}).json()["objects"]
    assert after == everyone[2:4]
    before = client.get("/v1/user", {"ending_before": after[0]["id"]}).json()["objects"]
    assert before == everyone[:2]


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"ids": "not-a-uuid"}, "ids must be a UUID"),
        ({"limit": "ten"}, "limit must be a whole number"),
        ({"limit": -1}, "limit must be between"),
        ({"starting_after": "nope"}, "starting_after must be a UUID"),
        ({"starting_after": "00000000-0000-0000-0000-000000000001", "ending_before": "00000000-0000-0000-0000-000000000002"}, "only one"),
    ],
)
def test_bad_list_parameters_answer_400(cast, params, says):
    response = cast.client("owner").get("/v1/user", params)
    assert response.status_code == 400
    assert says in error(response)


def test_a_person_in_several_organizations_names_one_with_a_session(cast):
    add_member(cast.other_org, cast.engineer, "viewers")
    client = session_client(cast.engineer)
    assert client.get("/v1/user").status_code == 400
    response = client.get("/v1/user", {"org_name": cast.other_org.name})
    assert ids_of(response) == {str(cast.outsider.pk), str(cast.engineer.pk)}


@pytest.mark.parametrize("rows", [1, 30])
def test_listing_users_costs_a_fixed_number_of_queries(rows):
    org = OrganizationFactory()
    for _ in range(rows - 1):
        add_member(org, None, "viewers")
    client = api_client_for(owner_of(org), org)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/v1/user")
    assert len(response.json()["objects"]) == rows
    assert len(queries) <= 7, [q["sql"] for q in queries]


def test_listing_users_query_count_does_not_grow_with_rows():
    counts = []
    for rows in (1, 30):
        org = OrganizationFactory()
        for _ in range(rows - 1):
            add_member(org, None, "viewers")
        client = api_client_for(owner_of(org), org)
        with CaptureQueriesContext(connection) as queries:
            assert len(client.get("/v1/user").json()["objects"]) == rows
        counts.append(len(queries))
    assert counts[0] == counts[1]


# GET /v1/user/{id}


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 200), ("engineer", 200), ("viewer", 200), ("custom", 200), ("nested", 200), ("nobody", 404), ("outsider", 404)],
)
def test_reading_a_user_is_read_on_org_member_of_the_callers_organization(cast, who, status):
    response = cast.client(who).get(f"/v1/user/{cast.viewer.pk}")
    assert response.status_code == status
    if status == 200:
        assert response.json() == user_json(cast.viewer)


def test_a_user_of_another_organization_is_404_like_a_missing_one(cast):
    client = cast.client("owner")
    other = client.get(f"/v1/user/{cast.outsider.pk}")
    missing = client.get("/v1/user/00000000-0000-0000-0000-000000000000")
    assert other.status_code == missing.status_code == 404
    assert str(cast.outsider.pk) in error(other)


def test_reading_a_user_refuses_no_credential_a_revoked_token_and_a_malformed_id(cast):
    assert ApiClient().get(f"/v1/user/{cast.viewer.pk}").status_code == 401
    assert revoked_client(cast.owner, cast.org).get(f"/v1/user/{cast.viewer.pk}").status_code == 401
    response = cast.client("owner").get("/v1/user/not-a-uuid")
    assert response.status_code == 400
    assert "user_id must be a UUID" in error(response)


def test_reading_users_writes_nothing(cast):
    client = cast.client("owner")
    before = row_counts()
    client.get("/v1/user")
    client.get(f"/v1/user/{cast.viewer.pk}")
    assert row_counts() == before
