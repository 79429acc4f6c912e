"""Invitation links: the emailed one-time token that lets an invited person join.

`member_invite` (used as is by the API) records the invitation; the functions here add the link. Each
link carries a fresh random token of which only the SHA-256 hash is stored, so the database never holds
a working link; issuing a new one (Resend) replaces the hash and the old link stops working. The email
goes out only after the transaction commits, so a refused or rolled-back invitation sends nothing.
"""

import secrets
from collections.abc import Iterable
from datetime import timedelta
from uuid import UUID

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, Organization, User
from accounts.services.members import invitation_accept, member_invite
from accounts.tokens import hash_token
from permissions.audit import record_event
from permissions.engine.guards import require
from permissions.engine.nodes import Node
from permissions.exceptions import ValidationError


def _issue_token(invitation: Invitation) -> str:
    raw = secrets.token_urlsafe(32)
    invitation.token_hash = hash_token(raw)
    invitation.save(update_fields=["token_hash"])
    return raw


def _send_link_on_commit(invitation: Invitation, raw: str, *, inviter, site_url: str) -> None:
    link = site_url.rstrip("/") + reverse("web:invitation", kwargs={"token": raw})
    context = {
        "org_name": invitation.org.name,
        "inviter": getattr(inviter, "email", "") or "",
        "link": link,
        "expires_at": invitation.expires_at,
    }
    email = invitation.email

    def send() -> None:
        subject = render_to_string("web/email/invitation_subject.txt", context).strip()
        text = render_to_string("web/email/invitation.txt", context)
        html = render_to_string("web/email/invitation.html", context)
        send_mail(subject, text, None, [email], html_message=html)

    # robust: a mail server that is down must not turn a committed invitation into an error page;
    # the inviter can send it again.
    transaction.on_commit(send, robust=True)


@transaction.atomic
def member_invite_with_link(*, actor, org: Organization, email: str, group_ids: Iterable[UUID] = (), site_url: str) -> Invitation:
    """Invite as `member_invite` does, and email the invited address a link to accept."""
    invitation = member_invite(actor=actor, org=org, email=email, group_ids=group_ids)
    raw = _issue_token(invitation)
    _send_link_on_commit(invitation, raw, inviter=actor, site_url=site_url)
    return invitation


@transaction.atomic
def invitation_resend(*, actor, invitation: Invitation, site_url: str) -> Invitation:
    """A new link for a pending invitation, valid for a full period again; the previous link stops working."""
    require(actor, "create", Node("org_member", invitation.org_id))
    invitation = Invitation.objects.select_for_update(no_key=True).select_related("org").get(pk=invitation.pk)
    if invitation.accepted_at or invitation.revoked_at:
        raise ValidationError("This invitation is no longer pending.")
    before = {"expires_at": invitation.expires_at.isoformat()}
    invitation.expires_at = timezone.now() + timedelta(days=settings.INVITATION_TTL_DAYS)
    invitation.save(update_fields=["expires_at"])
    raw = _issue_token(invitation)
    record_event(
        actor=actor,
        org=invitation.org,
        action="invitation.resend",
        target=invitation,
        before=before,
        after={"expires_at": invitation.expires_at.isoformat()},
    )
    _send_link_on_commit(invitation, raw, inviter=actor, site_url=site_url)
    return invitation


def invitation_for_token(raw: str) -> Invitation | None:
    """The invitation whose current link carries `raw`, whatever its state; None for an unknown or replaced link."""
    if not raw or len(raw) > 128:
        return None
    return Invitation.objects.select_related("org", "invited_by").filter(token_hash=hash_token(raw)).first()


@transaction.atomic
def invitation_accept_new_account(*, invitation: Invitation, name: str, password: str) -> User:
    """Create the invited person's account and join the organization with the invited groups, all or nothing."""
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise ValidationError("An account with this email address already exists: log in to accept the invitation.")
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=invitation.email, password=password, given_name=(name or "").strip())
    except IntegrityError as exc:
        raise ValidationError("An account with this email address already exists: log in to accept the invitation.") from exc
    invitation_accept(user=user, invitation=invitation)
    return user
