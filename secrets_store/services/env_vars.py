"""Writes of environment variables: an organization's, a project's or a function's.

Changing one is update on the object it is scoped for: "Manage settings" (update on the organization,
restricted to organization is enough) for an organization's, update on the project for a project's, update
on the function (a prompt node) for a function's. Every service checks that, writes in one transaction and
records one audit event without the value.
"""

from typing import Any
from uuid import UUID

from django.db import transaction

from accounts.models import Organization
from permissions.audit import record_event
from permissions.engine.guards import require
from permissions.exceptions import NotFound
from secrets_store.models import EnvVar
from secrets_store.selectors import env_var_node, env_var_scope
from secrets_store.services.values import UNCHANGED, clean_label, clean_metadata, clean_name, clean_value, save_unique, set_value, state

FIELDS = ("name", "object_type", "object_id", "secret_type", "metadata")
_WHAT = "environment variable"


def _taken(name: str) -> str:
    return f"name: an environment variable named {name!r} already exists on this object."


@transaction.atomic
def env_var_create(
    *,
    actor,
    org: Organization,
    object_type: str,
    object_id: UUID,
    name: str,
    value: str | None = None,
    metadata: dict | None = None,
    secret_type: str | None = None,
) -> EnvVar:
    """Add an environment variable to an object of `org` (update on the object)."""
    scope = env_var_scope(org, object_type, object_id)
    require(actor, "update", scope.node)
    row = EnvVar(
        org=org,
        object_type=scope.object_type,
        object_id=scope.object_id,
        project=scope.project,
        function=scope.function,
        name=clean_name(name, _WHAT),
        metadata=clean_metadata(metadata),
        secret_type=clean_label(secret_type, "secret_type"),
    )
    cleaned = clean_value(value, "value")
    if cleaned is not None:
        set_value(row, cleaned, actor=actor)
    save_unique(row, _taken(row.name))
    record_event(actor=actor, org=org, action="env_var.create", target=row, after=state(row, FIELDS))
    return row


def _locked(actor, env_var: EnvVar) -> EnvVar:
    require(actor, "update", env_var_node(env_var))
    locked = EnvVar.objects.select_for_update().filter(pk=env_var.pk).select_related("org").first()
    if locked is None:
        raise NotFound("env_var", env_var.pk)
    return locked


@transaction.atomic
def env_var_update(
    *,
    actor,
    env_var: EnvVar,
    name: str | None = None,
    value: Any = UNCHANGED,
    metadata: Any = UNCHANGED,
    secret_type: Any = UNCHANGED,
) -> EnvVar:
    """Change an environment variable (update on its object). `name` None and the others left out stay as
    they are; given (None included), they replace the stored ones (`value` None removes the value)."""
    row = _locked(actor, env_var)
    before = state(row, FIELDS)
    if name is not None:
        row.name = clean_name(name, _WHAT)
    if metadata is not UNCHANGED:
        row.metadata = clean_metadata(metadata)
    if secret_type is not UNCHANGED:
        row.secret_type = clean_label(secret_type, "secret_type")
    value_changed = value is not UNCHANGED
    if value_changed:
        set_value(row, clean_value(value, "value"), actor=actor)
    after = state(row, FIELDS)
    if after == before and not value_changed:
        return row
    fields = ["name", "metadata", "secret_type", "encrypted_value", "preview_secret", "secret_updated_at", "secret_updated_by"]
    save_unique(row, _taken(row.name), update_fields=fields)
    record_event(
        actor=actor, org=row.org, action="env_var.update", target=row, before=before, after={**after, "value_changed": value_changed}
    )
    return row


@transaction.atomic
def env_var_delete(*, actor, env_var: EnvVar) -> EnvVar:
    """Remove an environment variable (update on its object); answers the row as it was."""
    row = _locked(actor, env_var)
    record_event(actor=actor, org=row.org, action="env_var.delete", target=row, before=state(row, FIELDS))
    pk = row.pk
    row.delete()
    row.pk = pk
    return row
