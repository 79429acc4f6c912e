"""Writes of an organization's AI secrets.

An AI secret is one of the organization's settings, so changing it is "Manage settings": update on the
organization (a grant restricted to organization is enough), exactly as ``organization_update`` asks.
Every service checks that, writes in one transaction and records one audit event whose state has the
name, type and metadata and whether the value changed, never the value.
"""

from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Organization
from permissions.audit import record_event
from permissions.engine import Node
from permissions.engine.guards import require
from permissions.exceptions import NotFound
from secrets_store.models import AISecret
from secrets_store.services.values import UNCHANGED, clean_label, clean_metadata, clean_name, clean_value, save_unique, set_value, state

FIELDS = ("name", "type", "metadata")
_WHAT = "AI secret"


def _require_manage_settings(actor, org_id) -> None:
    require(actor, "update", Node("organization", org_id))


def _taken(name: str) -> str:
    return f"name: an AI secret named {name!r} already exists in this organization."


@transaction.atomic
def ai_secret_create(
    *, actor, org: Organization, name: str, type: str | None = None, metadata: dict | None = None, secret: str | None = None
) -> AISecret:
    """Add an AI secret to the organization (Manage settings)."""
    _require_manage_settings(actor, org.pk)
    row = AISecret(org=org, name=clean_name(name, _WHAT), type=clean_label(type, "type"), metadata=clean_metadata(metadata))
    value = clean_value(secret, "secret")
    if value is not None:
        set_value(row, value, actor=actor)
    save_unique(row, _taken(row.name))
    record_event(actor=actor, org=org, action="ai_secret.create", target=row, after=state(row, FIELDS))
    return row


def _locked(actor, secret: AISecret) -> AISecret:
    _require_manage_settings(actor, secret.org_id)
    locked = AISecret.objects.select_for_update().filter(pk=secret.pk).select_related("org").first()
    if locked is None:
        raise NotFound("ai_secret", secret.pk)
    return locked


@transaction.atomic
def ai_secret_update(
    *,
    actor,
    secret: AISecret,
    name: str | None = None,
    type: Any = UNCHANGED,
    metadata: Any = UNCHANGED,
    value: Any = UNCHANGED,
) -> AISecret:
    """Change an AI secret (Manage settings). `name` None and the others left out stay as they are; `type`
    and `metadata` given (None included) replace the stored ones; `value` given replaces the secret, None
    included (which removes it)."""
    row = _locked(actor, secret)
    before = state(row, FIELDS)
    if name is not None:
        row.name = clean_name(name, _WHAT)
    if type is not UNCHANGED:
        row.type = clean_label(type, "type")
    if metadata is not UNCHANGED:
        row.metadata = clean_metadata(metadata)
    value_changed = value is not UNCHANGED
    if value_changed:
        set_value(row, clean_value(value, "secret"), actor=actor)
    after = state(row, FIELDS)
    if after == before and not value_changed:
        return row
    row.updated_at = timezone.now()
    save_unique(
        row,
        _taken(row.name),
        update_fields=[*FIELDS, "updated_at", "encrypted_value", "preview_secret", "secret_updated_at", "secret_updated_by"],
    )
    record_event(
        actor=actor, org=row.org, action="ai_secret.update", target=row, before=before, after={**after, "value_changed": value_changed}
    )
    return row


@transaction.atomic
def ai_secret_delete(*, actor, secret: AISecret) -> AISecret:
    """Remove an AI secret (Manage settings); answers the row as it was."""
    row = _locked(actor, secret)
    record_event(actor=actor, org=row.org, action="ai_secret.delete", target=row, before=state(row, FIELDS))
    pk = row.pk
    row.delete()
    row.pk = pk
    return row
