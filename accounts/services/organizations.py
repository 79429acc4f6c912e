"""Creating organizations and changing their settings."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import transaction

from accounts.models import Membership, Organization, User
from accounts.services.environments import create_builtin_environments
from permissions.audit import record_event
from permissions.engine import invalidate_access_cache
from permissions.engine.guards import require
from permissions.exceptions import ValidationError
from permissions.services.groups import create_builtin_groups
from permissions.services.names import create_named

SETTINGS_FIELDS = ("name", "api_url", "proxy_url", "realtime_url", "create_direct_ownership_grants")


def organization_state(org: Organization) -> dict:
    return {field: getattr(org, field) for field in SETTINGS_FIELDS}


@transaction.atomic
def organization_create(*, name: str, owner: User) -> Organization:
    """A new organization with Owners, Engineers and Viewers, `owner` as its first member in Owners, and the
    environments development, staging and production."""
    name = (name or "").strip()
    if not name:
        raise ValidationError("An organization needs a name.")
    if owner.is_service_account:
        raise ValidationError("A service account cannot create an organization.")
    refusal = f"An organization named {name!r} already exists."
    org = create_named(Organization, taken=Organization.objects.filter(name=name), refusal=refusal, name=name)
    groups = create_builtin_groups(org=org, actor=owner)
    create_builtin_environments(org=org)
    Membership.objects.create(org=org, user=owner)
    groups["owners"].auth_group.user_set.add(owner)
    record_event(actor=owner, org=org, action="organization.create", target=org, after=organization_state(org))
    invalidate_access_cache()
    return org


def _clean_url(field: str, value):
    if value in (None, ""):
        return None
    try:
        URLValidator(schemes=["http", "https"])(value)
    except DjangoValidationError as exc:
        raise ValidationError(f"{field} must be an http or https URL, not {value!r}.") from exc
    return value


@transaction.atomic
def organization_update(*, actor, org: Organization, **changes) -> Organization:
    """Change settings ("Manage settings": update on the organization, restricted to organization)."""
    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown organization settings: {', '.join(sorted(unknown))}.")
    require(actor, "update", org)
    org = Organization.objects.select_for_update(no_key=True).get(pk=org.pk)
    before = organization_state(org)
    if "name" in changes:
        name = (changes["name"] or "").strip()
        if not name:
            raise ValidationError("An organization needs a name.")
        if Organization.objects.filter(name=name).exclude(pk=org.pk).exists():
            raise ValidationError(f"An organization named {name!r} already exists.")
        org.name = name
    for field in ("api_url", "proxy_url", "realtime_url"):
        if field in changes:
            setattr(org, field, _clean_url(field, changes[field]))
    if "create_direct_ownership_grants" in changes:
        value = changes["create_direct_ownership_grants"]
        if not isinstance(value, bool):
            raise ValidationError("create_direct_ownership_grants must be true or false.")
        org.create_direct_ownership_grants = value
    org.save(update_fields=list(SETTINGS_FIELDS))
    after = organization_state(org)
    if after != before:
        record_event(actor=actor, org=org, action="organization.update", target=org, before=before, after=after)
    return org
