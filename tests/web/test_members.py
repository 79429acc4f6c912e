"""Settings → Members and the Projects list, for each kind of person: what is shown, what is refused,
what each form writes, and a fixed number of queries whatever the number of rows."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Invitation, Membership
from accounts.services.members import member_invite
from permissions.engine import can
from permissions.engine.nodes import Node
from permissions.selectors import member_user_ids
from projects.models import Project
from tests.access_helpers import custom_group, grant, row_counts
from tests.assertions import refusal_names
from tests.factories import ExperimentFactory, OrganizationFactory, ProjectFactory, add_member, builtin_group
from tests.worlds import client_for

pytestmark = pytest.mark.django_db


def members_url(org, name="members", **kwargs) -> str:
    return reverse(f"web:{name}", kwargs={"org_name": org.name, **kwargs})


@pytest.mark.parametrize(
    ("who", "status", "invite", "remove"),
    [
        ("owner", 200, True, True),
        ("engineer", 200, False, False),
        ("viewer", 200, False, False),
        ("custom", 404, False, False),  # holds nothing on org_member: the page does not exist for them
        ("outsider", 404, False, False),
    ],
)
def test_members_page_shows_each_person_what_they_may_do(org, people, who, status, invite, remove):
    response = client_for(people[who]).get(members_url(org))
    assert response.status_code == status
    html = response.content.decode()
    assert ('data-open-dialog="invite-dialog"' in html) is invite
    assert ('class="danger">Remove' in html) is remove
    if status == 200:
        assert people["viewer"].email in html and people["owner"].email in html


def test_someone_who_sees_members_but_may_not_read_them_gets_the_explained_refusal(org, people):
    grant(org, Node("org_member", org.pk), user=people["custom"], permission="delete")
    response = client_for(people["custom"]).get(members_url(org))
    html = response.content.decode()
    assert response.status_code == 403
    assert "You can't do this" in html and refusal_names("Read</span>") in html
    assert "Who can give you access" not in html  # may not read the members, so no names
    assert people["owner"].email not in html


def test_the_refusal_page_names_who_could_grant_to_those_who_may_read_members(org, people):
    viewer = people["viewer"]
    response = client_for(viewer).post(
        members_url(org, "members-invite"), {"emails": "eve@example.com", "group": str(builtin_group(org, "viewers").pk)}
    )
    html = response.content.decode()
    assert response.status_code == 403 and "Who can give you access" in html and people["owner"].email in html


def test_an_anonymous_visitor_is_sent_to_log_in(org):
    response = Client().get(members_url(org))
    assert response.status_code == 302 and response["Location"].startswith(reverse("web:login"))


def test_inviting_several_people_into_a_group_writes_one_invitation_each(org, people):
    engineers = builtin_group(org, "engineers")
    response = client_for(people["owner"]).post(
        members_url(org, "members-invite"), {"emails": "ada@example.com\n\n grace@example.com ", "group": str(engineers.pk)}
    )
    assert response.status_code == 302
    invitations = Invitation.objects.filter(org=org).order_by("email")
    assert [i.email for i in invitations] == ["ada@example.com", "grace@example.com"]
    assert all(list(i.groups.all()) == [engineers] for i in invitations)


@pytest.mark.parametrize(
    ("emails", "message"),
    [("ada@example.com\nnot-an-email", "Not valid email addresses"), ("", "This field is required"), ("{viewer}", "already a member")],
)
def test_a_bad_invitation_writes_nothing_and_says_why(org, people, emails, message):
    before = row_counts()
    response = client_for(people["owner"]).post(
        members_url(org, "members-invite"),
        {"emails": emails.format(viewer=people["viewer"].email), "group": str(builtin_group(org, "viewers").pk)},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert row_counts() == before


def test_a_viewer_cannot_invite_even_by_posting_the_form(org, people):
    response = client_for(people["viewer"]).post(
        members_url(org, "members-invite"), {"emails": "eve@example.com", "group": str(builtin_group(org, "viewers").pk)}
    )
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_an_owner_moves_a_member_from_viewers_to_engineers(org, people):
    viewer, project = people["viewer"], ProjectFactory(org=org)
    engineers, viewers = builtin_group(org, "engineers"), builtin_group(org, "viewers")
    prefix = f"m{viewer.pk.hex}"
    response = client_for(people["owner"]).post(
        members_url(org, "member-groups", user_id=viewer.pk), {f"{prefix}-groups": [str(engineers.pk)]}
    )
    assert response.status_code == 302
    assert viewer.pk in member_user_ids(engineers) and viewer.pk not in member_user_ids(viewers)
    assert can(viewer, "update", project)


def test_removing_the_last_owner_is_refused_with_a_clear_message(org, people):
    owner = people["owner"]
    client = client_for(owner)
    response = client.post(members_url(org, "member-remove", user_id=owner.pk), follow=True)
    assert "Owners" in response.content.decode()
    assert Membership.objects.filter(org=org, user=owner).exists()


def test_an_owner_removes_a_member_and_revokes_an_invitation(org, people):
    client = client_for(people["owner"])
    client.post(members_url(org, "member-remove", user_id=people["viewer"].pk))
    assert not Membership.objects.filter(org=org, user=people["viewer"]).exists()
    invitation = member_invite(actor=people["owner"], org=org, email="late@example.com")
    client.post(members_url(org, "invitation-revoke", invitation_id=invitation.pk))
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_another_organizations_member_cannot_be_removed_through_this_one(org, people):
    response = client_for(people["owner"]).post(members_url(org, "member-remove", user_id=people["outsider"].pk))
    assert response.status_code == 404


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_members_page_costs_the_same_queries_for_few_and_many_members(org, people):
    client = client_for(people["owner"])
    custom = custom_group(org, name="More")
    member_invite(actor=people["owner"], org=org, email="first@example.com", group_ids=[custom.pk])
    few = _queries(client, members_url(org))
    for index in range(25):
        add_member(org, None, custom)
        member_invite(actor=people["owner"], org=org, email=f"invitee{index}@example.com", group_ids=[custom.pk])
    assert _queries(client, members_url(org)) == few


# Projects


def test_the_projects_list_shows_only_readable_projects_and_create_when_allowed(org, people):
    visible, hidden = ProjectFactory(org=org, name="support-bot"), ProjectFactory(org=org, name="secret")
    grant(org, visible, user=people["custom"], permission="read")
    html = client_for(people["custom"]).get(members_url(org, "projects")).content.decode()
    assert "support-bot" in html and hidden.name not in html
    assert "Create project" not in html
    assert "Create project" in client_for(people["engineer"]).get(members_url(org, "projects")).content.decode()


def test_creating_a_project_from_the_page_makes_the_creator_its_owner(org, people):
    response = client_for(people["engineer"]).post(members_url(org, "projects"), {"name": "checkout", "description": ""})
    assert response.status_code == 302
    project = Project.objects.get(org=org, name="checkout")
    assert can(people["engineer"], "delete_acls", project)


def test_a_taken_project_name_is_a_form_error(org, people):
    ProjectFactory(org=org, name="checkout")
    response = client_for(people["owner"]).post(members_url(org, "projects"), {"name": "checkout"})
    assert response.status_code == 400 and "already exists" in response.content.decode()


def test_the_projects_list_costs_the_same_queries_for_few_and_many(org, people):
    client = client_for(people["viewer"])
    ProjectFactory(org=org)
    few = _queries(client, members_url(org, "projects"))
    for _ in range(25):
        ProjectFactory(org=org)
    assert _queries(client, members_url(org, "projects")) == few


def test_home_sends_a_person_to_the_organization_the_switcher_names(org, people):
    person = people["owner"]
    other = OrganizationFactory(name="Beta")
    add_member(other, person, "viewers")
    client = client_for(person)
    assert client.get(reverse("web:home"))["Location"] == members_url(org, "projects")
    assert client.get(reverse("web:home"), {"org": "Beta"})["Location"] == reverse("web:projects", kwargs={"org_name": "Beta"})
    assert client.get(reverse("web:home"), {"org": "Elsewhere"})["Location"] == members_url(org, "projects")


def test_a_project_where_one_reads_a_single_experiment_is_listed(org, people):
    project = ProjectFactory(org=org, name="evals")
    experiment = ExperimentFactory(project=project)
    grant(org, experiment, user=people["custom"], permission="read")
    html = client_for(people["custom"]).get(members_url(org, "projects")).content.decode()
    assert "evals" in html


def test_the_groups_a_member_can_be_put_in_come_owners_engineers_viewers_then_by_name(org, people):
    custom_group(org, name="zebras")
    custom_group(org, name="Auditors")

    response = client_for(people["owner"]).get(members_url(org))

    offered = [label for _, label in response.context["members"][0]["form"].fields["groups"].choices]
    assert offered == ["Owners", "Engineers", "Viewers", "Annotators", "Auditors", "zebras"]
