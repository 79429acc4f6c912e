"""/v1/organization: listing and reading the caller's organizations, "Manage settings", and
PATCH /v1/organization/members (invite, add, remove, service accounts), for every kind of principal.

docs/access-model.md: no permission on a node answers 404 like a missing id, some other permission 403 naming
the missing one; "Manage settings" is update on the organization; "Manage members (invite)" is create on
org_member and putting someone in a group is update on it; "Remove members" is delete on org_member;
only Owners create service accounts; an organization keeps at least one direct member of Owners.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import ApiKey, Invitation, Membership, User
from accounts.services.credentials import service_account_create
from accounts.services.members import invitation_accept, member_invite
from api.organizations import OrganizationSerializer, organization_json
from permissions.engine.nodes import Node
from permissions.models import AuditEvent
from permissions.selectors import member_user_ids
from tests.access_helpers import ACL_PERMISSIONS, custom_group, grant, grant_many, nest, row_counts
from tests.api_helpers import ApiClient, api_client_for
from tests.factories import OrganizationFactory, UserFactory, add_member, builtin_group, owner_of
from tests.worlds import make_cast, revoked_client, session_client

pytestmark = pytest.mark.django_db

MEMBERS = "/v1/organization/members"


@pytest.fixture(scope="module")
def built_cast(module_db):
    return make_cast()


def detail(org) -> str:
    return f"/v1/organization/{org.pk}"


def error(response) -> str:
    return response.json()["error"]["message"]


# GET /v1/organization


@pytest.mark.parametrize(
    ("who", "sees_org"),
    [("owner", True), ("engineer", True), ("viewer", True), ("custom", True), ("nested", True), ("nobody", True), ("outsider", False)],
)
def test_organization_list_shows_the_organization_to_every_member_and_no_one_else(cast, who, sees_org):
    response = cast.client(who).get("/v1/organization")
    assert response.status_code == 200
    ids = [o["id"] for o in response.json()["objects"]]
    assert (str(cast.org.pk) in ids) is sees_org
    if who == "outsider":
        assert ids == [str(cast.other_org.pk)]


def test_organization_list_answers_in_braintrusts_shape(cast):
    [org] = cast.client("owner").get("/v1/organization").json()["objects"]
    assert org == organization_json(cast.org)
    assert set(org) == set(OrganizationSerializer().fields)
    assert (org["is_universal_api"], org["is_dataplane_private"], org["image_rendering_mode"]) == (None, None, None)


def test_api_key_lists_only_its_own_organization_even_for_a_person_in_several(cast):
    add_member(cast.other_org, cast.engineer, "viewers")
    response = cast.client("engineer").get("/v1/organization")
    assert [o["id"] for o in response.json()["objects"]] == [str(cast.org.pk)]


def test_browser_session_lists_every_organization_of_the_person_and_filters_by_org_name(cast):
    add_member(cast.other_org, cast.engineer, "viewers")
    client = session_client(cast.engineer)
    assert {o["id"] for o in client.get("/v1/organization").json()["objects"]} == {str(cast.org.pk), str(cast.other_org.pk)}
    filtered = client.get("/v1/organization", {"org_name": cast.other_org.name}).json()["objects"]
    assert [o["id"] for o in filtered] == [str(cast.other_org.pk)]


def test_organization_list_refuses_no_credential_and_a_revoked_token(cast):
    assert ApiClient().get("/v1/organization").status_code == 401
    assert revoked_client(cast.owner, cast.org).get("/v1/organization").status_code == 401


def test_organization_list_refuses_a_malformed_id_filter(cast):
    response = cast.client("owner").get("/v1/organization", {"ids": "not-a-uuid"})
    assert response.status_code == 400
    assert "ids must be a UUID" in error(response)


@pytest.mark.parametrize("count", [1, 30])
def test_organization_list_costs_the_same_queries_for_1_and_30_organizations(count):
    person = UserFactory()
    for _ in range(count):
        OrganizationFactory(owner=person)
    client = session_client(person)
    client.get("/v1/organization")  # the session's first request
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/v1/organization")
    assert len(response.json()["objects"]) == count
    assert len(queries) <= 4, [q["sql"] for q in queries]


def test_organization_list_query_count_does_not_grow_with_rows():
    counts = []
    for count in (1, 30):
        person = UserFactory()
        for _ in range(count):
            OrganizationFactory(owner=person)
        client = session_client(person)
        with CaptureQueriesContext(connection) as queries:
            assert len(client.get("/v1/organization").json()["objects"]) == count
        counts.append(len(queries))
    assert counts[0] == counts[1]


# GET /v1/organization/{id}


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 200), ("engineer", 200), ("viewer", 200), ("custom", 200), ("nested", 200), ("nobody", 200), ("outsider", 404)],
)
def test_organization_detail_is_visible_to_every_member_and_no_one_else(cast, who, status):
    response = cast.client(who).get(detail(cast.org))
    assert response.status_code == status
    if status == 200:
        assert response.json() == organization_json(cast.org)


def test_organization_detail_is_404_alike_for_another_and_a_missing_organization(cast):
    client = cast.client("owner")
    other = client.get(detail(cast.other_org))
    missing = client.get("/v1/organization/00000000-0000-0000-0000-000000000000")
    assert other.status_code == missing.status_code == 404
    assert set(other.json()["error"]) == set(missing.json()["error"]) == {"status", "message"}


def test_api_key_of_one_organization_does_not_read_another_the_person_belongs_to(cast):
    add_member(cast.other_org, cast.engineer, "owners")
    assert cast.client("engineer").get(detail(cast.other_org)).status_code == 404
    assert session_client(cast.engineer).get(detail(cast.other_org)).status_code == 200


def test_a_member_holding_only_manage_settings_reads_and_changes_the_organization(cast):
    person = add_member(cast.org)
    grant(cast.org, Node("organization", cast.org.pk), user=person, permission="update", restrict="organization")
    client = api_client_for(person, cast.org)
    assert client.get(detail(cast.org)).json() == organization_json(cast.org)
    assert client.patch(detail(cast.org), {"api_url": "https://api.example.com"}).status_code == 200


def test_organization_detail_refuses_no_credential_a_revoked_token_and_a_malformed_id(cast):
    assert ApiClient().get(detail(cast.org)).status_code == 401
    assert revoked_client(cast.owner, cast.org).get(detail(cast.org)).status_code == 401
    response = cast.client("owner").get("/v1/organization/not-a-uuid")
    assert response.status_code == 400
    assert "organization_id must be a UUID" in error(response)


# PATCH /v1/organization/{id} ("Manage settings")


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 200), ("engineer", 403), ("viewer", 403), ("custom", 200), ("nested", 200), ("nobody", 403), ("outsider", 404)],
)
def test_manage_settings_is_update_on_the_organization(cast, who, status):
    client = cast.client(who)
    before = row_counts()
    response = client.patch(detail(cast.org), {"api_url": "https://api.example.com"})
    assert response.status_code == status
    cast.org.refresh_from_db()
    if status == 200:
        assert response.json()["api_url"] == cast.org.api_url == "https://api.example.com"
        assert AuditEvent.objects.filter(action="organization.update", target_id=cast.org.pk).exists()
    else:
        assert cast.org.api_url is None
        assert row_counts() == before
    if status == 403:
        assert response.json()["error"]["missing_permission"] == "update"
        assert "update" in error(response)


def test_owner_changes_every_setting_and_clears_a_url_with_an_empty_string(cast):
    client = cast.client("owner")
    body = {
        "name": "Renamed",
        "api_url": "https://api.example.com",
        "proxy_url": "https://proxy.example.com",
        "realtime_url": "https://realtime.example.com",
        "create_direct_ownership_grants": False,
    }
    assert client.patch(detail(cast.org), body).status_code == 200
    response = client.patch(detail(cast.org), {"proxy_url": "", "name": None, "is_universal_api": None})
    assert response.status_code == 200
    cast.org.refresh_from_db()
    assert response.json() == organization_json(cast.org)
    assert (cast.org.name, cast.org.api_url, cast.org.proxy_url) == ("Renamed", "https://api.example.com", None)
    assert (cast.org.realtime_url, cast.org.create_direct_ownership_grants) == ("https://realtime.example.com", False)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"api_url": "ftp://example.com"}, "api_url must be an http or https URL"),
        ({"proxy_url": "not a url"}, "proxy_url must be an http or https URL"),
        ({"name": "Renamed", "realtime_url": "javascript:alert(1)"}, "realtime_url must be"),
        ({"name": ""}, "name: This field may not be blank."),
        ({"name": 5}, "name: Not a valid string."),
        ({"create_direct_ownership_grants": "yes"}, "create_direct_ownership_grants: Must be a valid boolean."),
        ({"is_universal_api": True}, "Not settings of this server"),
        ({"image_rendering_mode": "auto"}, "Not settings of this server"),
        ({"colour": "blue"}, "colour: Unknown field."),
    ],
)
def test_bad_settings_answer_400_and_write_nothing(cast, body, says):
    before = row_counts()
    response = cast.client("owner").patch(detail(cast.org), body)
    assert response.status_code == 400
    assert says in error(response)
    assert row_counts() == before
    cast.org.refresh_from_db()
    assert cast.org.name != "Renamed"


def test_renaming_to_another_organizations_name_answers_400(cast):
    response = cast.client("owner").patch(detail(cast.org), {"name": cast.other_org.name})
    assert response.status_code == 400
    assert "already exists" in error(response)


def test_a_body_that_is_not_an_object_answers_400(cast):
    response = cast.client("owner").patch(detail(cast.org), ["name"])
    assert response.status_code == 400
    assert "JSON object" in error(response)


def test_manage_settings_refuses_no_credential_and_a_revoked_token(cast):
    assert ApiClient().patch(detail(cast.org), {"name": "x"}).status_code == 401
    assert revoked_client(cast.owner, cast.org).patch(detail(cast.org), {"name": "x"}).status_code == 401
    cast.org.refresh_from_db()
    assert cast.org.name != "x"


# PATCH /v1/organization/members: inviting and adding


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 200), ("engineer", 403), ("viewer", 403), ("custom", 200), ("nested", 200), ("nobody", 404)],
)
def test_inviting_by_email_is_create_on_org_member(cast, who, status):
    client = cast.client(who)
    before = row_counts()
    response = client.patch(MEMBERS, {"invite_users": {"emails": ["New.Person@Example.com"]}})
    assert response.status_code == status
    pending = Invitation.objects.filter(org=cast.org, email="new.person@example.com", accepted_at__isnull=True)
    if status == 200:
        assert response.json() == {"status": "success", "org_id": str(cast.org.pk), "send_email_error": None, "added_users": []}
        assert pending.exists()
    else:
        assert not pending.exists()
        assert row_counts() == before
    if status == 403:
        assert response.json()["error"]["missing_permission"] == "create"


def test_outsider_naming_this_organization_in_the_body_is_refused(cast):
    before = row_counts()
    body = {"org_id": str(cast.org.pk), "invite_users": {"emails": ["new@example.com"]}}
    response = cast.client("outsider").patch(MEMBERS, body)
    assert response.status_code == 400
    assert cast.other_org.name in error(response)
    response = cast.client("outsider").patch(MEMBERS, {"org_name": cast.org.name, "remove_users": {"ids": [str(cast.engineer.pk)]}})
    assert response.status_code == 400
    assert row_counts() == before


def test_outsider_cannot_remove_a_member_of_this_organization_by_id(cast):
    response = cast.client("outsider").patch(MEMBERS, {"remove_users": {"ids": [str(cast.engineer.pk)]}})
    assert response.status_code == 400
    assert "Not members of this organization" in error(response)
    assert Membership.objects.filter(org=cast.org, user=cast.engineer).exists()


def test_members_patch_refuses_no_credential_and_a_revoked_token(cast):
    body = {"invite_users": {"emails": ["new@example.com"]}}
    assert ApiClient().patch(MEMBERS, body).status_code == 401
    assert revoked_client(cast.owner, cast.org).patch(MEMBERS, body).status_code == 401
    assert not Invitation.objects.exists()


def test_existing_people_named_by_id_are_invited_into_the_groups_named_in_every_form_and_join_only_on_accepting(cast):
    person, other = UserFactory(), UserFactory()
    team = custom_group(cast.org, name="Data team")
    body = {
        "invite_users": {
            "ids": [str(person.pk), str(other.pk)],
            "group_id": str(builtin_group(cast.org, "engineers").pk),
            "group_names": ["Data team"],
            "group_name": "Viewers",
        }
    }
    response = cast.client("owner").patch(MEMBERS, body)
    assert response.status_code == 200
    assert response.json()["added_users"] == []
    named = {builtin_group(cast.org, "engineers"), builtin_group(cast.org, "viewers"), team}
    for user in (person, other):
        assert not Membership.objects.filter(org=cast.org, user=user).exists()
        invitation = Invitation.objects.get(org=cast.org, email=user.email)
        assert set(invitation.groups.all()) == named
        assert user.pk not in member_user_ids(team)
    invitation_accept(user=person, invitation=Invitation.objects.get(org=cast.org, email=person.email))
    assert Membership.objects.filter(org=cast.org, user=person).exists()
    assert all(person.pk in member_user_ids(group) for group in named)
    assert not Membership.objects.filter(org=cast.org, user=other).exists()


def test_another_organizations_service_account_and_an_unknown_id_are_refused_alike(cast):
    elsewhere = OrganizationFactory()
    robot = service_account_create(actor=owner_of(elsewhere), org=elsewhere, name="robot")
    unknown = "00000000-0000-4000-8000-000000000001"
    before = row_counts()
    answers = [cast.client("owner").patch(MEMBERS, {"invite_users": {"ids": [i]}}) for i in (str(robot.pk), unknown)]
    assert [a.status_code for a in answers] == [400, 400]
    assert [error(a).replace(i, "<id>") for a, i in zip(answers, (str(robot.pk), unknown), strict=True)] == [
        "No users with these ids: <id>."
    ] * 2
    assert row_counts() == before


def test_emails_become_invitations_into_the_named_groups_even_for_a_registered_person(cast):
    registered = UserFactory(email="known@example.com")
    body = {"invite_users": {"emails": ["known@example.com", "new@example.com"], "group_ids": [str(builtin_group(cast.org, "viewers").pk)]}}
    response = cast.client("owner").patch(MEMBERS, body)
    assert response.status_code == 200
    assert response.json()["added_users"] == []
    assert not Membership.objects.filter(org=cast.org, user=registered).exists()
    for email in ("known@example.com", "new@example.com"):
        invitation = Invitation.objects.get(org=cast.org, email=email)
        assert list(invitation.groups.all()) == [builtin_group(cast.org, "viewers")]


def test_asking_for_invite_emails_reports_that_none_are_sent(cast):
    body = {"invite_users": {"emails": ["new@example.com"], "send_invite_emails": True}}
    response = cast.client("owner").patch(MEMBERS, body)
    assert response.status_code == 200
    assert "does not send invitation emails" in response.json()["send_email_error"]


def test_manage_members_invite_alone_cannot_invite_into_owners_by_id_or_by_name(cast):
    inviter = add_member(cast.org)
    grant(cast.org, Node("org_member", cast.org.pk), user=inviter, permission="create")
    client = api_client_for(inviter, cast.org)
    person = UserFactory()
    before = row_counts()
    owners = builtin_group(cast.org, "owners")
    by_id = client.patch(MEMBERS, {"invite_users": {"emails": ["new@example.com"], "group_id": str(owners.pk)}})
    assert by_id.status_code == 404
    by_name = client.patch(MEMBERS, {"invite_users": {"ids": [str(person.pk)], "group_name": "Owners"}})
    assert by_name.status_code == 400
    assert "No groups with these names" in error(by_name)
    assert row_counts() == before
    assert client.patch(MEMBERS, {"invite_users": {"emails": ["new@example.com"]}}).status_code == 200


def test_inviter_who_sees_groups_is_403_naming_update_on_owners(cast):
    response = cast.client("custom").patch(MEMBERS, {"invite_users": {"emails": ["new@example.com"], "group_name": "Team"}})
    assert response.status_code == 400  # the custom group holds nothing on groups, so none is visible by name
    assert "No groups with these names" in error(response)
    add_member(cast.org, cast.custom, "viewers")  # viewers read every group
    before = row_counts()
    response = cast.client("custom").patch(MEMBERS, {"invite_users": {"emails": ["new@example.com"], "group_name": "Owners"}})
    assert response.status_code == 403
    assert response.json()["error"]["missing_permission"] == "update"
    assert row_counts() == before


def test_inviter_with_update_on_a_group_invites_into_it(cast):
    grant(cast.org, cast.custom_group, group=cast.custom_group, permission="update")
    response = cast.client("nested").patch(MEMBERS, {"invite_users": {"emails": ["new@example.com"], "group_name": "Team"}})
    assert response.status_code == 200
    assert list(Invitation.objects.get(email="new@example.com").groups.all()) == [cast.custom_group]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"invite_users": {"ids": ["not-a-uuid"]}}, "Must be a valid UUID"),
        ({"invite_users": {"ids": [12345]}}, "Must be a valid UUID"),
        ({"invite_users": {"ids": "00000000-0000-0000-0000-000000000001"}}, "Expected a list"),
        ({"invite_users": {"ids": ["00000000-0000-0000-0000-000000000001"]}}, "No users with these ids"),
        ({"invite_users": {"emails": ["not an email"]}}, "is not a valid email address"),
        ({"invite_users": {"emails": [7]}}, "Not a valid string"),
        ({"invite_users": {"emails": ["a@example.com"], "group_id": "nope"}}, "group_id: Must be a valid UUID"),
        ({"invite_users": {"emails": ["a@example.com"], "group_ids": ["00000000-0000-0000-0000-000000000002"]}}, "Not groups of"),
        ({"invite_users": {"emails": ["a@example.com"], "group_names": ["Nope"]}}, "No groups with these names in this organization: Nope"),
        ({"invite_users": {"emails": ["a@example.com"], "send_invite_emails": "yes"}}, "Must be a valid boolean"),
        ({"invite_users": {"emails": ["a@example.com"], "colour": "blue"}}, "colour: Unknown field."),
        ({"invite_users": {"service_accounts": [{"token_name": "t"}]}}, "name: This field is required."),
        ({"invite_users": {"service_accounts": [{"name": "bot", "extra": 1}]}}, "extra: Unknown field."),
        ({"remove_users": {"emails": ["nobody@example.com"]}}, "Neither a member nor invited"),
        ({"remove_users": {"ids": ["bad"]}}, "Must be a valid UUID"),
        ({"add_users": {}}, "add_users: Unknown field."),
        ({"invite_users": []}, "invite_users"),
    ],
)
def test_bad_member_changes_answer_400_and_write_nothing(cast, body, says):
    before = row_counts()
    response = cast.client("owner").patch(MEMBERS, body)
    assert response.status_code == 400, response.json()
    assert says in error(response)
    assert row_counts() == before


def test_inviting_someone_already_a_member_answers_400_and_writes_nothing(cast):
    before = row_counts()
    response = cast.client("owner").patch(MEMBERS, {"invite_users": {"emails": ["new@example.com", cast.engineer.email]}})
    assert response.status_code == 400
    assert "already a member" in error(response)
    assert row_counts() == before


def test_a_person_in_several_organizations_names_one_in_the_body_over_the_session(cast):
    add_member(cast.other_org, cast.owner, "owners")
    client = session_client(cast.owner)
    ambiguous = client.patch(MEMBERS, {"invite_users": {"emails": ["new@example.com"]}})
    assert ambiguous.status_code == 400
    assert "several organizations" in error(ambiguous)
    response = client.patch(MEMBERS, {"org_name": cast.other_org.name, "invite_users": {"emails": ["new@example.com"]}})
    assert response.status_code == 200
    assert response.json()["org_id"] == str(cast.other_org.pk)
    assert Invitation.objects.get(email="new@example.com").org == cast.other_org


# Service accounts


def test_owner_creates_service_accounts_with_a_first_token_shown_once(cast):
    body = {
        "invite_users": {
            "service_accounts": [{"name": "ci bot", "token_name": "deploy"}, {"name": "no token"}],
            "group_name": "Engineers",
        }
    }
    response = cast.client("owner").patch(MEMBERS, body)
    assert response.status_code == 200
    with_token, without = response.json()["added_users"]
    robot = User.objects.get(pk=with_token["id"])
    assert robot.is_service_account and robot.service_account_org == cast.org and robot.given_name == "ci bot"
    assert with_token["api_key"].startswith("bt-st-") and with_token["token_name"] == "deploy"
    assert without["api_key"] is None and without["token_name"] is None
    assert robot.pk in member_user_ids(builtin_group(cast.org, "engineers"))
    key = ApiKey.objects.get(user=robot)
    assert with_token["api_key"] not in {key.key_hash, key.preview_name}
    as_robot = ApiClient(with_token["api_key"]).get("/v1/user")
    assert as_robot.status_code == 200
    assert str(robot.pk) in {u["id"] for u in as_robot.json()["objects"]}


def test_service_accounts_are_created_by_owners_through_a_session_too(cast):
    response = session_client(cast.owner).patch(MEMBERS, {"invite_users": {"service_accounts": [{"name": "bot", "token_name": "t"}]}})
    assert response.status_code == 200
    assert response.json()["added_users"][0]["api_key"].startswith("bt-st-")


@pytest.mark.parametrize("who", ["engineer", "viewer", "custom", "nested"])
def test_only_owners_create_service_accounts(cast, who):
    client = cast.client(who)
    before = row_counts()
    response = client.patch(MEMBERS, {"invite_users": {"service_accounts": [{"name": "bot", "token_name": "t"}]}})
    assert response.status_code == 403
    assert "Only Owners" in error(response)
    assert row_counts() == before


def test_engineer_with_manage_access_and_an_api_key_cannot_create_service_accounts(cast):
    grant_many(cast.org, Node("organization", cast.org.pk), ACL_PERMISSIONS, user=cast.engineer)
    grant(cast.org, Node("org_member", cast.org.pk), user=cast.engineer, permission="create")
    before = row_counts()
    response = cast.client("engineer").patch(MEMBERS, {"invite_users": {"service_accounts": [{"name": "bot"}]}})
    assert response.status_code == 403
    assert row_counts() == before


def test_a_member_of_owners_through_a_nested_group_creates_service_accounts(cast):
    admins = custom_group(cast.org, cast.nobody, name="Admins")
    nest(builtin_group(cast.org, "owners"), admins)
    response = cast.client("nobody").patch(MEMBERS, {"invite_users": {"service_accounts": [{"name": "bot"}]}})
    assert response.status_code == 200


def test_a_refused_service_account_refuses_the_invitations_of_the_same_request(cast):
    before = row_counts()
    body = {"invite_users": {"emails": ["new@example.com"], "service_accounts": [{"name": "bot"}]}}
    response = cast.client("custom").patch(MEMBERS, body)
    assert response.status_code == 403
    assert row_counts() == before


# PATCH /v1/organization/members: removing


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 200), ("engineer", 403), ("viewer", 403), ("custom", 403), ("nested", 403), ("nobody", 404)],
)
def test_removing_members_is_delete_on_org_member(cast, who, status):
    target = add_member(cast.org, None, "viewers")
    client = cast.client(who)
    before = row_counts()
    response = client.patch(MEMBERS, {"remove_users": {"ids": [str(target.pk)]}})
    assert response.status_code == status
    assert Membership.objects.filter(org=cast.org, user=target).exists() is (status != 200)
    if status != 200:
        assert row_counts() == before
    if status == 403:
        assert response.json()["error"]["missing_permission"] == "delete"


def test_remove_members_by_email_and_a_pending_invitation_is_revoked(cast):
    member_invite(actor=cast.owner, org=cast.org, email="invited@example.com")
    body = {"remove_users": {"emails": [cast.viewer.email.upper(), "invited@example.com"]}}
    response = cast.client("owner").patch(MEMBERS, body)
    assert response.status_code == 200
    assert not Membership.objects.filter(org=cast.org, user=cast.viewer).exists()
    assert Invitation.objects.get(email="invited@example.com").revoked_at is not None


def test_remove_members_alone_cannot_remove_an_owner(cast):
    remover = add_member(cast.org)
    grant(cast.org, Node("org_member", cast.org.pk), user=remover, permission="delete")
    second_owner = add_member(cast.org, None, "owners")
    client = api_client_for(remover, cast.org)
    before = row_counts()
    response = client.patch(MEMBERS, {"remove_users": {"ids": [str(second_owner.pk)]}})
    assert response.status_code == 404  # it holds nothing on the Owners group
    assert row_counts() == before


def test_remove_members_alone_cannot_delete_a_service_account(cast):
    robot = service_account_create(actor=cast.owner, org=cast.org, name="robot")
    remover = add_member(cast.org)
    grant(cast.org, Node("org_member", cast.org.pk), user=remover, permission="delete")
    client = api_client_for(remover, cast.org)
    before = row_counts()
    response = client.patch(MEMBERS, {"remove_users": {"ids": [str(robot.pk)]}})
    assert response.status_code == 403
    assert "Only Owners" in error(response)
    assert row_counts() == before
    assert cast.client("owner").patch(MEMBERS, {"remove_users": {"ids": [str(robot.pk)]}}).status_code == 200
    assert not User.objects.filter(pk=robot.pk).exists()


def test_removing_the_last_owner_answers_400_and_writes_nothing(cast):
    before = row_counts()
    response = cast.client("owner").patch(MEMBERS, {"remove_users": {"ids": [str(cast.owner.pk)]}})
    assert response.status_code == 400
    assert "at least one member in Owners" in error(response)
    assert row_counts() == before


def test_removing_every_owner_at_once_answers_400_and_writes_nothing(cast):
    second_owner = add_member(cast.org, None, "owners")
    before = row_counts()
    response = cast.client("owner").patch(MEMBERS, {"remove_users": {"ids": [str(cast.owner.pk), str(second_owner.pk)]}})
    assert response.status_code == 400
    assert row_counts() == before
    response = cast.client("owner").patch(MEMBERS, {"remove_users": {"ids": [str(second_owner.pk)]}})
    assert response.status_code == 200


def test_a_refused_removal_refuses_the_invitations_and_additions_of_the_same_request(cast):
    person = UserFactory()
    before, events = row_counts(), AuditEvent.objects.count()
    body = {
        "invite_users": {"ids": [str(person.pk)], "emails": ["new@example.com"], "service_accounts": [{"name": "bot", "token_name": "t"}]},
        "remove_users": {"ids": [str(cast.owner.pk)]},
    }
    response = cast.client("owner").patch(MEMBERS, body)
    assert response.status_code == 400
    assert "at least one member in Owners" in error(response)
    assert row_counts() == before and AuditEvent.objects.count() == events
    assert not Membership.objects.filter(user=person).exists()


def test_an_empty_members_patch_changes_nothing(cast):
    before = row_counts()
    response = cast.client("owner").patch(MEMBERS, {})
    assert response.status_code == 200
    assert response.json() == {"status": "success", "org_id": str(cast.org.pk), "send_email_error": None, "added_users": []}
    assert row_counts() == before
