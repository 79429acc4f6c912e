"""Writes of an organization's AI secrets.

An AI secret is one of the organization's settings, so changing it is "Manage settings": update on the
organization (a grant restricted to organization is enough), exactly as ``organization_update`` asks.
Every service checks that, writes in one transaction and records one audit event whose state has the
name, type and metadata and whether the value changed, never the value.
"""

from typing import Any

from django.db import transaction

from accounts.models import Organization
from permissions.engine import Node
from permissions.engine.guards import require
from permissions.services.changes import UNCHANGED, set_given
from secrets_store.models import AISecret
from secrets_store.services.values import SecretKind, clean_label, clean_metadata, clean_name, state

FIELDS = ("name", "type", "metadata")
AI_SECRETS = SecretKind(
    model=AISecret,
    what="AI secret",
    unique_in="in this organization",
    fields=FIELDS,
    editable=FIELDS,
    value_argument="secret",
    stamp="updated_at",
)


def _require_manage_settings(actor, org_id) -> None:
    require(actor, "update", Node("organization", org_id))


@transaction.atomic
def ai_secret_create(
    *, actor, org: Organization, name: str, type: str | None = None, metadata: dict | None = None, secret: str | None = None
) -> AISecret:
    """Add an AI secret to the organization (Manage settings)."""
    _require_manage_settings(actor, org.pk)
    row = AISecret(org=org, name=clean_name(name, AI_SECRETS.what), type=clean_label(type, "type"), metadata=clean_metadata(metadata))
    return AI_SECRETS.insert(row, actor=actor, value=secret)


def _locked(actor, secret: AISecret) -> AISecret:
    _require_manage_settings(actor, secret.org_id)
    return AI_SECRETS.locked(secret)


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
    set_given(row, None, name=(name, lambda given: clean_name(given, AI_SECRETS.what)))
    set_given(row, UNCHANGED, type=(type, lambda given: clean_label(given, "type")), metadata=(metadata, clean_metadata))
    return AI_SECRETS.save_change(row, actor=actor, before=before, value=value)


@transaction.atomic
def ai_secret_delete(*, actor, secret: AISecret) -> AISecret:
    """Remove an AI secret (Manage settings); answers the row as it was."""
    return AI_SECRETS.delete(_locked(actor, secret), actor=actor)
