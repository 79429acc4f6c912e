"""Invitation emails and the link they carry: inviting and resending from Settings → Members, creating an
account or logging in to accept, and links that were replaced, revoked, used or have expired."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, Membership, User
from accounts.services.invitations import invitation_resend, member_invite_with_link
from accounts.services.members import invitation_revoke, member_invite
from accounts.tokens import hash_token
from permissions.exceptions import NotFound
from permissions.models import AuditEvent
from permissions.selectors import member_user_ids
from tests.access_helpers import row_counts
from tests.factories import OrganizationFactory, UserFactory, add_member, builtin_group, owner_of
from tests.worlds import client_for

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
SITE = "http://testserver/"
LINK = re.compile(r"http://testserver/invite/([A-Za-z0-9_-]+)/")


@pytest.fixture
def owner(org):
    return owner_of(org)


def members_url(org, name="members", **kwargs) -> str:
    return reverse(f"web:{name}", kwargs={"org_name": org.name, **kwargs})


def invite_path(token: str) -> str:
    return reverse("web:invitation", kwargs={"token": token})


def token_in(message) -> str:
    return LINK.search(message.body).group(1)


@pytest.fixture
def invited(org, owner, mailoutbox, django_capture_on_commit_callbacks):
    """An invitation of ada@example.com into Engineers, and the token its email carries."""
    with django_capture_on_commit_callbacks(execute=True):
        invitation = member_invite_with_link(
            actor=owner, org=org, email="ada@example.com", group_ids=[builtin_group(org, "engineers").pk], site_url=SITE
        )
    (message,) = mailoutbox
    mailoutbox.clear()
    return invitation, token_in(message)


# Sending


def test_inviting_from_the_members_page_emails_each_person_a_link(org, owner, mailoutbox, django_capture_on_commit_callbacks):
    engineers = builtin_group(org, "engineers")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).post(
            members_url(org, "members-invite"), {"emails": "ada@example.com\ngrace@example.com", "group": str(engineers.pk)}
        )
    assert response.status_code == 302
    assert sorted(m.to[0] for m in mailoutbox) == ["ada@example.com", "grace@example.com"]
    for message in mailoutbox:
        token = token_in(message)
        invitation = Invitation.objects.get(email=message.to[0])
        assert invitation.token_hash == hash_token(token)
        assert "Acme" in message.subject and owner.email in message.body
        assert f"http://testserver{invite_path(token)}" in message.alternatives[0][0]
        assert not Invitation.objects.filter(token_hash=token).exists()  # only the hash is stored


def test_a_refused_batch_of_invitations_sends_no_email(org, owner, mailoutbox, django_capture_on_commit_callbacks):
    viewer = add_member(org, None, "viewers")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).post(
            members_url(org, "members-invite"),
            {"emails": f"ada@example.com\n{viewer.email}", "group": str(builtin_group(org, "viewers").pk)},
        )
    assert response.status_code == 400
    assert mailoutbox == [] and not Invitation.objects.exists()


def test_the_api_service_invites_as_before_without_a_link(org, owner, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = member_invite(actor=owner, org=org, email="api@example.com")
    assert mailoutbox == [] and invitation.token_hash is None


def test_resend_replaces_the_link_and_extends_the_invitation(org, owner, invited, mailoutbox, django_capture_on_commit_callbacks):
    invitation, old_token = invited
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(days=1))
    client = client_for(owner)
    assert f'action="{members_url(org, "invitation-resend", invitation_id=invitation.pk)}"' in client.get(members_url(org)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(members_url(org, "invitation-resend", invitation_id=invitation.pk), follow=True)
    assert "Sent the invitation to ada@example.com again." in response.content.decode()
    (message,) = mailoutbox
    new_token = token_in(message)
    assert new_token != old_token
    assert Client().get(invite_path(old_token)).status_code == 404
    assert Client().get(invite_path(new_token)).status_code == 200
    invitation.refresh_from_db()
    assert invitation.expires_at > timezone.now() + timedelta(days=13)
    assert AuditEvent.objects.filter(action="invitation.resend", target_id=str(invitation.pk)).exists()


def test_a_viewer_cannot_resend_an_invitation(org, invited, mailoutbox, django_capture_on_commit_callbacks):
    invitation, token = invited
    viewer = add_member(org, None, "viewers")
    assert "Resend" not in client_for(viewer).get(members_url(org)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(viewer).post(members_url(org, "invitation-resend", invitation_id=invitation.pk))
    assert response.status_code == 403 and mailoutbox == []
    invitation.refresh_from_db()
    assert invitation.token_hash == hash_token(token)


def test_a_revoked_invitation_cannot_be_resent(org, owner, invited, mailoutbox):
    invitation, _ = invited
    invitation_revoke(actor=owner, invitation=invitation)
    response = client_for(owner).post(members_url(org, "invitation-resend", invitation_id=invitation.pk), follow=True)
    assert "no longer pending" in response.content.decode() and mailoutbox == []


def test_resending_another_organizations_invitation_is_not_found(org, owner):
    elsewhere = OrganizationFactory(name="Beta")
    theirs = member_invite(actor=owner_of(elsewhere), org=elsewhere, email="eve@example.com")
    assert client_for(owner).post(members_url(org, "invitation-resend", invitation_id=theirs.pk)).status_code == 404
    with pytest.raises(NotFound):  # the service refuses too, whatever the page does
        invitation_resend(actor=owner, invitation=theirs, site_url=SITE)


# Accepting


def test_a_new_person_creates_an_account_and_joins_with_the_invited_groups(org, invited):
    invitation, token = invited
    client = Client()
    page = client.get(invite_path(token))
    html = page.content.decode()
    assert page.status_code == 200 and "Join Acme" in html and "ada@example.com" in html and "Engineers" in html
    assert "no-store" in page["Cache-Control"]
    response = client.post(invite_path(token), {"name": "Ada Lovelace", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302 and response["Location"] == members_url(org, "projects")
    user = User.objects.get(email="ada@example.com")
    assert user.get_full_name() == "Ada Lovelace" and user.check_password(PASSWORD)
    assert Membership.objects.filter(org=org, user=user).exists()
    assert user.pk in member_user_ids(builtin_group(org, "engineers"))
    assert client.get(members_url(org, "projects")).status_code == 200  # logged in
    invitation.refresh_from_db()
    assert invitation.accepted_by == user
    used = Client().get(invite_path(token))
    assert used.status_code == 410 and "already used" in used.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "Ada", "password1": PASSWORD, "password2": PASSWORD + "!"}, "The two passwords differ"),
        ({"name": "Ada", "password1": "short", "password2": "short"}, "too short"),
        ({"name": "", "password1": PASSWORD, "password2": PASSWORD}, "This field is required"),
    ],
)
def test_a_bad_new_account_form_writes_nothing(invited, data, message):
    _, token = invited
    before = row_counts()
    response = Client().post(invite_path(token), data)
    assert response.status_code == 400 and message in response.content.decode()
    assert row_counts() == before


def test_someone_with_an_account_is_asked_to_log_in_first(org, invited):
    _, token = invited
    person = UserFactory(email="ada@example.com")
    html = Client().get(invite_path(token)).content.decode()
    login_link = reverse("web:login") + "?next=" + invite_path(token)
    assert "Log in to accept" in html and login_link in html and 'name="password1"' not in html
    before = row_counts()
    response = Client().post(invite_path(token), {"name": "Eve", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 400 and "already exists" in response.content.decode()
    assert row_counts() == before and not Membership.objects.filter(org=org, user=person).exists()

    client = Client()
    response = client.post(reverse("web:login"), {"username": "ada@example.com", "password": PASSWORD, "next": invite_path(token)})
    assert response.status_code == 302 and response["Location"] == invite_path(token)
    assert "Accept invitation" in client.get(invite_path(token)).content.decode()
    assert client.post(invite_path(token)).status_code == 302
    assert Membership.objects.filter(org=org, user=person).exists()


def test_a_logged_in_invited_person_accepts(org, invited):
    _, token = invited
    person = UserFactory(email="ADA@example.com".lower())
    client = client_for(person)
    assert "Accept invitation" in client.get(invite_path(token)).content.decode()
    response = client.post(invite_path(token))
    assert response.status_code == 302
    assert Membership.objects.filter(org=org, user=person).exists()
    assert person.pk in member_user_ids(builtin_group(org, "engineers"))


def test_someone_logged_in_as_another_person_cannot_accept(org, invited):
    invitation, token = invited
    other = UserFactory(email="eve@example.com")
    client = client_for(other)
    html = client.get(invite_path(token)).content.decode()
    assert "this invitation is for <strong>ada@example.com</strong>" in html and "Log out" in html
    response = client.post(invite_path(token))
    assert response.status_code == 400 and "another email address" in response.content.decode()
    assert not Membership.objects.filter(org=org, user=other).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


@pytest.mark.parametrize(("state", "status", "message"), [("expired", 410, "has expired"), ("revoked", 410, "was revoked")])
def test_a_link_that_no_longer_works_says_why_and_changes_nothing(org, owner, invited, state, status, message):
    invitation, token = invited
    if state == "expired":
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    else:
        invitation_revoke(actor=owner, invitation=invitation)
    client = Client()
    assert client.get(invite_path(token)).status_code == status
    before = row_counts()
    response = client.post(invite_path(token), {"name": "Ada", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == status and message in response.content.decode()
    assert row_counts() == before


def test_an_unknown_link_is_not_found(invited):
    response = Client().get(invite_path("made-up-token"))
    assert response.status_code == 404 and "does not work" in response.content.decode()
