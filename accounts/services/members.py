"""Members of an organization: inviting, accepting, adding and removing."""

from collections.abc import Iterable
from datetime import timedelta
from uuid import UUID

from django.conf import settings
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import ApiKey, Invitation, Membership, Organization, User, normalize_email
from permissions.audit import record_event
from permissions.audit_states import departing_member_state, sorted_ids
from permissions.engine import invalidate_access_cache
from permissions.engine.guards import is_owner as engine_is_owner
from permissions.engine.guards import require
from permissions.engine.guards import require_owner as engine_require_owner
from permissions.engine.nodes import Node
from permissions.exceptions import NotFound, ValidationError
from permissions.grants import grant_records, guardian_tables
from permissions.models import AclGrant, PermissionGroup
from permissions.selectors import owners_group
from permissions.services.groups import ensure_owner_remains, lock_organization


def organization_groups(org: Organization, group_ids: Iterable[UUID]) -> list[PermissionGroup]:
    ids = {UUID(str(g)) for g in group_ids}
    groups = list(PermissionGroup.objects.filter(org=org, pk__in=ids))
    if len(groups) != len(ids):
        missing = ids - {g.pk for g in groups}
        raise ValidationError(f"Not groups of this organization: {', '.join(sorted(map(str, missing)))}.")
    return groups


def _require_group_updates(actor, groups: Iterable[PermissionGroup]) -> None:
    """Putting someone into a group is adding a member to it: it needs update on that group.

    Without this, "Manage members (invite)" alone would let its holder invite anyone into Owners.
    """
    for group in groups:
        require(actor, "update", group)


@transaction.atomic
def member_invite(*, actor, org: Organization, email: str, group_ids: Iterable[UUID] = ()) -> Invitation:
    """Invite an email address into the organization and some of its groups (create on org_member)."""
    require(actor, "create", Node("org_member", org.pk))
    email = normalize_email(email or "")
    try:
        validate_email(email)
    except Exception as exc:
        raise ValidationError(f"{email!r} is not a valid email address.") from exc
    groups = organization_groups(org, group_ids)
    _require_group_updates(actor, groups)
    if Membership.objects.filter(org=org, user__email=email).exists():
        raise ValidationError(f"{email} is already a member of this organization.")
    Invitation.objects.filter(
        org=org, email=email, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__lte=timezone.now()
    ).update(revoked_at=timezone.now())
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                org=org, email=email, invited_by=actor, expires_at=timezone.now() + timedelta(days=settings.INVITATION_TTL_DAYS)
            )
    except IntegrityError as exc:
        raise ValidationError(f"{email} already has a pending invitation.") from exc
    invitation.groups.set(groups)
    record_event(
        actor=actor,
        org=org,
        action="invitation.create",
        target=invitation,
        after={"email": email, "groups": sorted_ids(g.pk for g in groups)},
    )
    return invitation


@transaction.atomic
def invitation_revoke(*, actor, invitation: Invitation) -> None:
    require(actor, "create", Node("org_member", invitation.org_id))
    invitation = Invitation.objects.select_for_update(no_key=True).get(pk=invitation.pk)
    if invitation.accepted_at or invitation.revoked_at:
        raise ValidationError("This invitation is no longer pending.")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    record_event(actor=actor, org=invitation.org, action="invitation.revoke", target=invitation)


@transaction.atomic
def invitation_accept(*, user: User, invitation: Invitation) -> Membership:
    """The invited person joins the organization and the invited groups; the invitation authorizes it."""
    invitation = Invitation.objects.select_for_update(no_key=True).get(pk=invitation.pk)
    if not invitation.is_pending:
        raise ValidationError("This invitation has expired or was already used or revoked.")
    if normalize_email(user.email) != normalize_email(invitation.email):
        raise ValidationError("This invitation was sent to another email address.")
    membership, _ = Membership.objects.get_or_create(org=invitation.org, user=user)
    for group in invitation.groups.select_related("auth_group"):
        group.auth_group.user_set.add(user)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    record_event(actor=user, org=invitation.org, action="member.join", target=user, after={"invitation": str(invitation.pk)})
    invalidate_access_cache()
    return membership


def people_with_ids(user_ids: Iterable[UUID]) -> dict[UUID, User]:
    """The people (not service accounts) among `user_ids`, by id; any other id is "no user with that id".

    A service account is named like an unknown id, so that an invitation cannot tell whether an id is
    another organization's service account.
    """
    ids = list(dict.fromkeys(user_ids))
    people = {user.pk: user for user in User.objects.filter(pk__in=ids, kind=User.Kind.PERSON)}
    missing = [str(i) for i in ids if i not in people]
    if missing:
        raise ValidationError(f"No users with these ids: {', '.join(missing)}.")
    return people


@transaction.atomic
def member_invite_user(*, actor, org: Organization, user: User, group_ids: Iterable[UUID] = ()) -> Invitation:
    """Invite an existing person, named by id, exactly as by their email: a pending invitation that they
    accept, or not (docs/access-model.md: nobody becomes a member without consent)."""
    if user.is_service_account:
        raise ValidationError(f"No users with these ids: {user.pk}.")
    return member_invite(actor=actor, org=org, email=user.email, group_ids=group_ids)


def is_owner(principal: User, org: Organization) -> bool:
    """Whether `principal` is in the organization's Owners group, directly or through a member group."""
    return engine_is_owner(principal, org.pk)


def require_owner(actor, org: Organization, what: str) -> None:
    """Only Owners manage service accounts and their tokens; see :func:`permissions.engine.guards.require_owner`."""
    engine_require_owner(actor, org.pk, what)


def _delete_grants_of(user: User, org: Organization) -> None:
    """A departing member's grants in the organization go with the membership."""
    AclGrant.objects.filter(org=org, user=user).delete()
    for record in grant_records(org_id=org.pk, user_id=user.pk, include_expired=True):  # expired rows go too
        for table in guardian_tables():
            if table.object_type == record.object_type and table.subject == "user":
                table.model.objects.filter(pk=record.id).delete()


@transaction.atomic
def member_remove(*, actor, org: Organization, user: User) -> None:
    """Remove a member (delete on org_member; removing an owner also needs update on Owners)."""
    require(actor, "delete", Node("org_member", org.pk))
    membership = Membership.objects.filter(org=org, user=user).first()
    if membership is None:
        raise NotFound("user", user.pk)
    if user.is_service_account:  # removing one deletes it, which only Owners may do
        require_owner(actor, org, "remove service accounts")
    owners = owners_group(org.pk)
    if is_owner(user, org):
        require(actor, "update", owners)
    # The organization's row first (with Owners after it, for an owner), as every change to its groups
    # takes it: the removals below move its version through triggers, which would otherwise lock it
    # after the membership rows, the other way round from a group edit removing the same member (a
    # deadlock on PostgreSQL).
    if user.groups.filter(pk=owners.auth_group_id).exists():
        ensure_owner_remains(org, removing_user_ids=[user.pk])
    else:
        lock_organization(org.pk)
    before = departing_member_state(org.pk, user)
    user.groups.remove(*PermissionGroup.objects.filter(org=org, auth_group__user=user).values_list("auth_group_id", flat=True))
    _delete_grants_of(user, org)
    ApiKey.objects.filter(org=org, user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    membership.delete()
    record_event(actor=actor, org=org, action="member.remove", target=user, before=before)
    if user.is_service_account:
        user.delete()
    invalidate_access_cache()
