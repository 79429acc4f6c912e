"""Service accounts, their tokens, people's API keys, and authenticating a bearer token."""

from collections.abc import Iterable
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import ApiKey, Membership, Organization, User
from accounts.services.members import organization_groups, require_owner
from accounts.tokens import API_KEY_PREFIX, SERVICE_TOKEN_PREFIX, generate_token, hash_token, looks_valid
from permissions.audit import record_event
from permissions.audit_states import departing_member_state, sorted_ids
from permissions.engine import invalidate_access_cache, is_member
from permissions.exceptions import AccessDenied, NotFound, ValidationError
from permissions.models import PermissionGroup
from permissions.services.groups import ensure_owner_remains
from permissions.services.names import clean_name
from permissions.services.rows import row_or_not_found

SERVICE_ACCOUNT_EMAIL_DOMAIN = "service-accounts.invalid"  # .invalid never routes (RFC 2606)
# How stale a key's recorded last use may be before a request records it again.
LAST_USE_RESOLUTION = timedelta(minutes=1)


def _key_state(key: ApiKey) -> dict:
    return {
        "name": key.name,
        "kind": key.kind,
        "preview_name": key.preview_name,
        "user_id": str(key.user_id),
        "expires_at": key.expires_at.isoformat() if key.expires_at else None,
    }


def _clean_expiry(expires_at: datetime | None) -> datetime | None:
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError("expires_at must be in the future.")
    return expires_at


# How each kind of key is told apart by its prefix, named in messages, and named in audit actions.
_KEY_KINDS: dict[str, tuple[str, str, str]] = {
    ApiKey.Kind.SERVICE_TOKEN: (SERVICE_TOKEN_PREFIX, "service token", "service_token"),
    ApiKey.Kind.API_KEY: (API_KEY_PREFIX, "API key", "api_key"),
}


def _issue_key(*, actor, kind: str, holder: User, org: Organization, name: str, expires_at: datetime | None) -> tuple[ApiKey, str]:
    """Store a new key of `kind` for `holder` and audit it; the raw value is returned here and never again
    (only its hash and preview are stored). The caller has checked that `actor` may issue it."""
    prefix, what, audit_type = _KEY_KINDS[kind]
    token = generate_token(prefix)
    key = ApiKey.objects.create(
        kind=kind,
        name=clean_name(name, what),
        user=holder,
        org=org,
        key_hash=token.hash,
        preview_name=token.preview,
        created_by=actor,
        expires_at=_clean_expiry(expires_at),
    )
    record_event(actor=actor, org=org, action=f"{audit_type}.create", target=key, after=_key_state(key))
    return key, token.raw


@transaction.atomic
def service_account_create(*, actor, org: Organization, name: str, group_ids: Iterable[UUID] = ()) -> User:
    """A new service account of `org`, a member of it and of the given groups. Owners only."""
    require_owner(actor, org, "create service accounts")
    name = clean_name(name, "service account")
    groups = organization_groups(org, group_ids)
    account = User.objects.create_user(
        email=f"{slugify(name) or 'service-account'}-{uuid4().hex[:12]}@{SERVICE_ACCOUNT_EMAIL_DOMAIN}",
        given_name=name,
        kind=User.Kind.SERVICE_ACCOUNT,
        service_account_org=org,
    )
    Membership.objects.create(org=org, user=account)
    for group in groups:
        group.auth_group.user_set.add(account)
    record_event(
        actor=actor,
        org=org,
        action="service_account.create",
        target=account,
        after={"name": name, "groups": sorted_ids(g.pk for g in groups)},
    )
    invalidate_access_cache()
    return account


def _service_account(org: Organization, account_id: UUID, *, locked: bool = False) -> User:
    accounts = User.objects.filter(kind=User.Kind.SERVICE_ACCOUNT, service_account_org=org)
    return row_or_not_found(accounts.select_for_update() if locked else accounts, account_id, "service_account")


@transaction.atomic
def service_account_rename(*, actor, org: Organization, account_id: UUID, name: str) -> User:
    require_owner(actor, org, "edit service accounts")
    account = _service_account(org, account_id)
    before = {"name": account.given_name}
    account.given_name = clean_name(name, "service account")
    account.save(update_fields=["given_name"])
    record_event(actor=actor, org=org, action="service_account.update", target=account, before=before, after={"name": account.given_name})
    return account


@transaction.atomic
def service_account_delete(*, actor, org: Organization, account_id: UUID) -> None:
    require_owner(actor, org, "delete service accounts")
    account = _service_account(org, account_id)
    if account.groups.filter(permission_group__org=org, permission_group__builtin=PermissionGroup.Builtin.OWNERS).exists():
        ensure_owner_remains(org, removing_user_ids=[account.pk])
    before = {"name": account.given_name, **departing_member_state(org.pk, account)}
    record_event(actor=actor, org=org, action="service_account.delete", target=account, before=before)
    account.delete()  # its membership, group memberships, grants and tokens go with it
    invalidate_access_cache()


@transaction.atomic
def service_token_create(
    *, actor, org: Organization, account_id: UUID, name: str, expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    """A new token for a service account; the raw value is returned here and never again. Owners only."""
    require_owner(actor, org, "create service tokens")
    account = _service_account(org, account_id)
    return _issue_key(actor=actor, kind=ApiKey.Kind.SERVICE_TOKEN, holder=account, org=org, name=name, expires_at=expires_at)


@transaction.atomic
def service_token_replace(
    *, actor, org: Organization, account_id: UUID, name: str, expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    """A new token for a service account in place of the tokens it has of that name, which stop working in
    the same transaction (each revoke audited). The account stays locked until then, so that two
    replacements run one after the other and leave one token of that name. Owners only."""
    require_owner(actor, org, "create service tokens")
    account = _service_account(org, account_id, locked=True)
    tokens = ApiKey.objects.filter(user=account, kind=ApiKey.Kind.SERVICE_TOKEN)
    replaced = list(tokens.filter(name=name.strip()).values_list("pk", flat=True))
    key, raw = service_token_create(actor=actor, org=org, account_id=account.pk, name=name, expires_at=expires_at)
    for token_id in replaced:
        service_token_revoke(actor=actor, org=org, token_id=token_id)
    return key, raw


@transaction.atomic
def service_token_revoke(*, actor, org: Organization, token_id: UUID) -> ApiKey:
    require_owner(actor, org, "revoke service tokens")
    key = row_or_not_found(ApiKey.objects.select_for_update().filter(org=org, kind=ApiKey.Kind.SERVICE_TOKEN), token_id, "service_token")
    record_event(actor=actor, org=org, action="service_token.delete", target=key, before=_key_state(key))
    key.delete()
    return key


@transaction.atomic
def api_key_create(
    *, actor: User, org: Organization, name: str, expires_at: datetime | None = None, via_api_key: bool = False
) -> tuple[ApiKey, str]:
    """A person's own API key in one of their organizations; the raw value is returned once.

    A request that is itself authenticated by an API key may not mint another one.
    """
    if via_api_key:
        raise AccessDenied("create", "api_key", "API keys cannot create API keys")
    if actor.is_service_account:
        raise AccessDenied("create", "api_key", "Service accounts use service tokens, not API keys.")
    if not Membership.objects.filter(org=org, user=actor).exists():
        raise NotFound("organization", org.pk)
    return _issue_key(actor=actor, kind=ApiKey.Kind.API_KEY, holder=actor, org=org, name=name, expires_at=expires_at)


@transaction.atomic
def api_key_delete(*, actor: User, key_id: UUID) -> ApiKey:
    """Delete one of the actor's own API keys; anyone else's is "not found"."""
    key = row_or_not_found(ApiKey.objects.select_for_update().filter(user=actor, kind=ApiKey.Kind.API_KEY), key_id, "api_key")
    record_event(actor=actor, org=key.org, action="api_key.delete", target=key, before=_key_state(key))
    key.delete()
    return key


def authenticate_token(raw: str) -> ApiKey | None:
    """The usable key for a raw bearer token, or None; malformed tokens cost no query.

    The key must be unrevoked and unexpired, its principal active and still a member of the key's
    organization, which the access engine answers from the principal's context: the request's checks then
    find that context loaded, and the membership costs the request no query of its own.

    Its ``last_used_at`` is recorded to within :data:`LAST_USE_RESOLUTION`: the column is written only when
    the stored value is older than that, so that a busy key does not make every request a write (on SQLite
    each write takes the whole database's write lock).
    """
    if not raw or not looks_valid(raw):
        return None
    key = ApiKey.objects.select_related("user", "org").filter(key_hash=hash_token(raw)).first()
    if key is None or not key.is_usable() or not key.user.is_active:
        return None
    if not is_member(key.user, key.org_id):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USE_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
