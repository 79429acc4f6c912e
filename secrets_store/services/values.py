"""The checks and the bookkeeping both kinds of secret share.

Every message here names the field and never repeats the value it refuses: a value sent in the wrong
place may well be a key.
"""

from typing import Any
from uuid import UUID

from django.db import models
from django.utils import timezone

from permissions.exceptions import ValidationError
from permissions.services.names import save_named
from secrets_store import crypto
from secrets_store.models import EncryptedValue

MAX_NAME_LENGTH = 255
MAX_TYPE_LENGTH = 255
MAX_VALUE_LENGTH = 65_536  # room for a cloud provider's service-account file, not for arbitrary payloads

UNCHANGED: Any = object()  # an argument left out: the stored value stays


def clean_name(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"name: a {what} needs a name.")
    value = value.strip()
    if len(value) > MAX_NAME_LENGTH:
        raise ValidationError(f"name: a {what} name is at most {MAX_NAME_LENGTH} characters.")
    return value


def clean_label(value: Any, field: str) -> str | None:
    """An optional short text (a type): None, or a string of at most 255 characters ("" is None)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{field}: must be a string.")
    if len(value) > MAX_TYPE_LENGTH:
        raise ValidationError(f"{field}: at most {MAX_TYPE_LENGTH} characters.")
    return value.strip() or None


def clean_metadata(value: Any) -> dict | None:
    if value is not None and not isinstance(value, dict):
        raise ValidationError("metadata: must be an object.")
    return value


def clean_value(value: Any, field: str) -> str | None:
    """A secret value: None (no value) or a string; the message never quotes it."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{field}: must be a string.")
    if len(value) > MAX_VALUE_LENGTH:
        raise ValidationError(f"{field}: at most {MAX_VALUE_LENGTH} characters.")
    return value


def set_value(row: EncryptedValue, value: str | None, *, actor) -> None:
    """Store `value` (None: none) encrypted on `row`, with its preview, and who set it and when."""
    row.encrypted_value = crypto.encrypt(value) if value is not None else ""
    row.preview_secret = crypto.preview(value) if value is not None else ""
    row.secret_updated_at = timezone.now()
    row.secret_updated_by = actor if getattr(actor, "pk", None) else None


def save_unique(row: models.Model, message: str, *, update_fields: list[str] | None = None) -> None:
    """Save `row`; the database's uniqueness constraint decides a race for the same name (a 400 saying `message`)."""
    save_named(row, taken=None, refusal=message, update_fields=update_fields)


def state(row: models.Model, fields: tuple[str, ...]) -> dict:
    """What an audit event records of `row`: `fields` and whether a value is set, never the value."""
    recorded = {field: getattr(row, field) for field in fields}
    return {**{field: str(value) if isinstance(value, UUID) else value for field, value in recorded.items()}, "has_value": row.has_value}
