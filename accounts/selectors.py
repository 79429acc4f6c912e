"""Reads about organizations, memberships, invitations and credentials that the API, the SDK's endpoints
and the pages share. Who may read them is declared by whoever asks (a page's or a view's requirements)."""

from collections.abc import Iterable
from uuid import UUID

from django.contrib.auth.models import Group as AuthGroup
from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.models import ApiKey, Invitation, Membership, Organization, User
from permissions.engine import can
from permissions.engine.nodes import Node


def credential_organizations(user, api_key: ApiKey | None) -> QuerySet[Organization]:
    """The organizations a request may act in, each of which its principal is a member of.

    An API key or service token acts in the organization it was made in only; a browser session (no key)
    in every organization of the person. Membership alone is enough to see an organization
    (docs/access-model.md), so this is also what ``GET /v1/organization`` and the SDK's login list.
    """
    orgs = Organization.objects.filter(memberships__user=user)
    if api_key is not None:
        orgs = orgs.filter(pk=api_key.org_id)
    return orgs


def organizations_of(user) -> QuerySet[Organization]:
    """The organizations `user` is a member of, by name: the organization switcher's list."""
    return credential_organizations(user, None).order_by("name")


def membership_named(user, org_name: str) -> Membership | None:
    """`user`'s membership of the organization named `org_name`, with the organization, or None."""
    return Membership.objects.filter(user=user, org__name=org_name).select_related("org").first()


def may_read_members(actor, org: Organization) -> bool:
    """Whether `actor` may read the organization's members (read on org_member): who they are, and so the
    names of those who could grant what a refusal or an explanation is about."""
    return can(actor, "read", Node("org_member", org.pk))


def members_visible_to(actor, org: Organization) -> QuerySet[User]:
    """The organization's members and service accounts, people first, if `actor` may read its members
    (read on org_member); none otherwise."""
    if not may_read_members(actor, org):
        return User.objects.none()
    return members_of(org).order_by("kind", "email")


def members_of(org: Organization) -> QuerySet[User]:
    """The organization's members and service accounts, before anyone is asked whether they may read them."""
    return User.objects.filter(memberships__org=org)


def member_in(org: Organization, user_id: UUID) -> User | None:
    """The member (person or service account) of `org` with this id, or None (anyone else's included)."""
    return members_of(org).filter(pk=user_id).first()


def has_account(email: str) -> bool:
    """Whether someone already signed up with `email` (case aside): an invitation then asks them to log in."""
    return User.objects.filter(email__iexact=email).exists()


# The Members page: who may read it is declared there (read on org_member)


def people_of(org: Organization) -> list[Membership]:
    """The organization's memberships of people (not service accounts), each with its user, by email."""
    return list(Membership.objects.filter(org=org, user__kind=User.Kind.PERSON).select_related("user").order_by("user__email"))


def membership_in(org: Organization, user_id: UUID) -> Membership | None:
    """`user_id`'s membership of `org`, with the user, or None."""
    return Membership.objects.filter(org=org, user_id=user_id).select_related("user").first()


def members_with_ids(org: Organization, user_ids: Iterable[UUID]) -> dict[UUID, User]:
    """The members of `org` among these ids, by id (one query)."""
    return {user.pk: user for user in members_of(org).filter(pk__in=list(user_ids))}


def members_with_emails(org: Organization, emails: Iterable[str]) -> dict[str, User]:
    """The members of `org` with these (normalized) emails, by email (one query)."""
    return {user.email: user for user in members_of(org).filter(email__in=list(emails))}


def pending_invitation_for(org: Organization, email: str) -> Invitation | None:
    """The invitation of `email` to `org` neither accepted nor revoked, if there is one."""
    return Invitation.objects.filter(org=org, email=email, accepted_at__isnull=True, revoked_at__isnull=True).first()


def memberships_of(user) -> QuerySet[Membership]:
    """`user`'s memberships, each with its organization: where a browser session may act."""
    return Membership.objects.filter(user=user).select_related("org")


def pending_invitations_of(org: Organization) -> list[Invitation]:
    """The organization's invitations neither accepted nor revoked, newest first, each with who sent it and
    the groups it offers."""
    pending = Invitation.objects.filter(org=org, accepted_at__isnull=True, revoked_at__isnull=True)
    return list(pending.select_related("invited_by").prefetch_related("groups").order_by("-created"))


def invitation_in(org: Organization, invitation_id: UUID) -> Invitation | None:
    """The invitation of `org` with this id, in whatever state, or None."""
    return Invitation.objects.filter(org=org, pk=invitation_id).first()


# Credentials: the pages declare who may see them (Owners for service accounts; a key's own person)


def service_accounts_of(org: Organization) -> list[User]:
    """The organization's service accounts, by name, each with ``token_count`` (its number of tokens) and
    ``permission_groups`` (its groups, by name): two queries for the whole list."""
    tokens = Count("api_keys", filter=Q(api_keys__kind=ApiKey.Kind.SERVICE_TOKEN))
    groups = AuthGroup.objects.filter(permission_group__org=org).select_related("permission_group").order_by("permission_group__name")
    accounts = list(
        User.objects.filter(kind=User.Kind.SERVICE_ACCOUNT, service_account_org=org)
        .annotate(token_count=tokens)
        .prefetch_related(Prefetch("groups", queryset=groups, to_attr="auth_groups"))
        .order_by("given_name", "created")
    )
    for account in accounts:
        account.permission_groups = [auth_group.permission_group for auth_group in account.auth_groups]
    return accounts


def service_account_in(org: Organization, account_id: UUID) -> User | None:
    """The service account of `org` with this id, or None (a person's id included)."""
    return User.objects.filter(pk=account_id, kind=User.Kind.SERVICE_ACCOUNT, service_account_org=org).first()


def service_tokens_of(account: User) -> list[ApiKey]:
    """The service account's tokens, newest first."""
    return list(ApiKey.objects.filter(user=account, kind=ApiKey.Kind.SERVICE_TOKEN).order_by("-created"))


def service_token_of(account: User, token_id: UUID) -> ApiKey | None:
    """The service account's token with this id, or None."""
    return ApiKey.objects.filter(pk=token_id, user=account, kind=ApiKey.Kind.SERVICE_TOKEN).first()


def api_keys_of(user: User, org: Organization | None = None) -> QuerySet[ApiKey]:
    """The person's own API keys (of `org` only, when given), newest first, each with its organization."""
    keys = ApiKey.objects.filter(user=user, kind=ApiKey.Kind.API_KEY).select_related("org").order_by("-created")
    return keys if org is None else keys.filter(org=org)


def api_key_of(user: User, key_id: UUID) -> ApiKey | None:
    """The person's own API key with this id, with its organization, or None (anyone else's included)."""
    return api_keys_of(user).filter(pk=key_id).first()
