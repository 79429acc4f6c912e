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
from permissions.engine.guards import require
from permissions.services.changes import UNCHANGED, set_given
from secrets_store.models import EnvVar
from secrets_store.selectors import env_var_node, env_var_scope
from secrets_store.services.values import SecretKind, clean_label, clean_metadata, clean_name, state

FIELDS = ("name", "object_type", "object_id", "secret_type", "metadata")
ENV_VARS = SecretKind(
    model=EnvVar,
    what="environment variable",
    unique_in="on this object",
    fields=FIELDS,
    editable=("name", "metadata", "secret_type"),
    value_argument="value",
)


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
        name=clean_name(name, ENV_VARS.what),
        metadata=clean_metadata(metadata),
        secret_type=clean_label(secret_type, "secret_type"),
    )
    return ENV_VARS.insert(row, actor=actor, value=value)


def _locked(actor, env_var: EnvVar) -> EnvVar:
    require(actor, "update", env_var_node(env_var))
    return ENV_VARS.locked(env_var)


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
    set_given(row, None, name=(name, lambda given: clean_name(given, ENV_VARS.what)))
    set_given(
        row, UNCHANGED, metadata=(metadata, clean_metadata), secret_type=(secret_type, lambda given: clean_label(given, "secret_type"))
    )
    return ENV_VARS.save_change(row, actor=actor, before=before, value=value)


@transaction.atomic
def env_var_delete(*, actor, env_var: EnvVar) -> EnvVar:
    """Remove an environment variable (update on its object); answers the row as it was."""
    return ENV_VARS.delete(_locked(actor, env_var), actor=actor)
