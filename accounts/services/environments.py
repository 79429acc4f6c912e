"""An organization's environments: the ones it starts with, and creating, changing and deleting others.

Environments are settings of the organization, so they are governed as its settings are ("Manage
settings"): changing them needs update on the organization, which the pages' box of that name grants
(restricted to organization). Seeing them needs read on the organization, which every built-in group holds
(Engineers and Viewers restricted to organization), the closest analogue the access model has to "reading
the organization's objects that are not projects". Deleting is soft: the row keeps ``deleted_at``, leaves
lists, frees its slug, and its pins are no longer found through it.
"""

import re

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Environment, Organization
from permissions.audit import record_event
from permissions.engine.guards import require
from permissions.exceptions import ValidationError
from permissions.services.names import NAME_MAX_LENGTH, clean_name, create_named
from permissions.services.rows import row_or_not_found

# Every organization starts with these (slug, name); the data migration that made them for the
# organizations existing then keeps its own copy.
BUILTIN_ENVIRONMENTS = (("development", "Development"), ("staging", "Staging"), ("production", "Production"))

_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]*")
ENVIRONMENT_FIELDS = ("name", "slug", "description")


def is_environment_slug(slug: object) -> bool:
    """Whether `slug` is url-friendly: lowercase letters, digits, hyphens and underscores, 1 to 255 of them."""
    return isinstance(slug, str) and len(slug) <= NAME_MAX_LENGTH and _SLUG.fullmatch(slug) is not None


def clean_environment_slug(slug: str) -> str:
    """`slug`, if :func:`is_environment_slug`; otherwise a refusal naming the field."""
    if not is_environment_slug(slug):
        raise ValidationError(
            f"slug must be 1 to {NAME_MAX_LENGTH} lowercase letters, digits, hyphens and underscores, starting with a letter or digit."
        )
    return slug


def environment_state(environment: Environment) -> dict:
    return {field: getattr(environment, field) for field in ENVIRONMENT_FIELDS}


def _slug_taken(slug: str) -> str:
    return f"An environment with slug {slug!r} already exists in this organization."


def create_builtin_environments(*, org: Organization) -> list[Environment]:
    """Development, staging and production; part of creating an organization, in its transaction."""
    return Environment.objects.bulk_create(Environment(org=org, slug=slug, name=name) for slug, name in BUILTIN_ENVIRONMENTS)


@transaction.atomic
def environment_create(*, actor, org: Organization, name: str, slug: str, description: str | None = None) -> Environment:
    """A new environment of `org` ("Manage settings": update on the organization)."""
    require(actor, "update", org)
    name, slug = clean_name(name, "environment"), clean_environment_slug(slug)
    environment = create_named(
        Environment,
        taken=Environment.objects.filter(org=org, slug=slug, deleted_at__isnull=True),
        refusal=_slug_taken(slug),
        org=org,
        name=name,
        slug=slug,
        description=description or "",
    )
    record_event(actor=actor, org=org, action="environment.create", target=environment, after=environment_state(environment))
    return environment


def _locked_live(environment: Environment) -> Environment:
    return row_or_not_found(Environment.objects.select_for_update().filter(deleted_at__isnull=True), environment.pk, "environment")


@transaction.atomic
def environment_update(
    *, actor, environment: Environment, name: str | None = None, slug: str | None = None, description: str | None = None
) -> Environment:
    """Rename, re-slug or describe an environment (None leaves a field as it is); its pins follow it."""
    require(actor, "update", environment.org)
    environment = _locked_live(environment)
    before = environment_state(environment)
    if name is not None:
        environment.name = clean_name(name, "environment")
    if slug is not None:
        environment.slug = clean_environment_slug(slug)
    if description is not None:
        environment.description = description
    after = environment_state(environment)
    if after == before:
        return environment
    taken = Environment.objects.filter(org_id=environment.org_id, slug=environment.slug, deleted_at__isnull=True).exclude(pk=environment.pk)
    if taken.exists():
        raise ValidationError(_slug_taken(environment.slug))
    try:
        with transaction.atomic():
            environment.save(update_fields=list(ENVIRONMENT_FIELDS))
    except IntegrityError as exc:
        raise ValidationError(_slug_taken(environment.slug)) from exc
    changed = [field for field in ENVIRONMENT_FIELDS if before[field] != after[field]]
    record_event(
        actor=actor,
        org=environment.org,
        action="environment.update",
        target=environment,
        before={field: before[field] for field in changed},
        after={field: after[field] for field in changed},
    )
    return environment


@transaction.atomic
def environment_delete(*, actor, environment: Environment) -> Environment:
    """Soft delete: the environment leaves lists and frees its slug; what was pinned to it is no longer found."""
    require(actor, "update", environment.org)
    environment = _locked_live(environment)
    environment.deleted_at = timezone.now()
    environment.save(update_fields=["deleted_at"])
    record_event(actor=actor, org=environment.org, action="environment.delete", target=environment, before=environment_state(environment))
    return environment
