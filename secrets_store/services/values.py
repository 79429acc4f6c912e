"""The checks and the bookkeeping both kinds of secret share.

Every message here names the field and never repeats the value it refuses: a value sent in the wrong
place may well be a key.
"""

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils import timezone

from permissions.audit import record_event
from permissions.audit_states import fields_state
from permissions.exceptions import ValidationError
from permissions.services.changes import UNCHANGED
from permissions.services.names import save_named
from permissions.services.rows import row_or_not_found
from secrets_store import crypto
from secrets_store.models import EncryptedValue

MAX_NAME_LENGTH = 255
MAX_TYPE_LENGTH = 255
MAX_VALUE_LENGTH = 65_536  # room for a cloud provider's service-account file, not for arbitrary payloads


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


def state(row: EncryptedValue, fields: tuple[str, ...]) -> dict:
    """What an audit event records of `row`: `fields` and whether a value is set, never the value."""
    return {**fields_state(row, fields), "has_value": row.has_value}


# The columns that set_value writes.
VALUE_FIELDS = ("encrypted_value", "preview_secret", "secret_updated_at", "secret_updated_by")


@dataclass(frozen=True)
class SecretKind:
    """One kind of secret, as the writes both kinds share need it: how its services check access and clean
    their own fields differs, while storing the value, saving under a unique name, re-reading a row to
    change it and auditing without the value are the same for both."""

    model: type[EncryptedValue]
    what: str  # its name in messages: "AI secret"
    unique_in: str  # where a name is unique, in messages: "in this organization"
    fields: tuple[str, ...]  # what its audit events record, besides whether a value is set
    editable: tuple[str, ...]  # the columns a change may write besides the value's
    value_argument: str  # the argument that carries the value, as messages name it
    stamp: str | None = None  # the column that records when the row last changed, where it has one

    def _save(self, row: EncryptedValue, *, update_fields: list[str] | None = None) -> None:
        save_unique(row, f"name: an {self.what} named {row.name!r} already exists {self.unique_in}.", update_fields=update_fields)

    def _record(self, *, actor, row: EncryptedValue, verb: str, **states: dict) -> None:
        record_event(actor=actor, org=row.org, action=f"{self.model.audit_type}.{verb}", target=row, **states)

    def insert(self, row: EncryptedValue, *, actor, value: Any) -> EncryptedValue:
        """Store the new `row` with `value` (None: none) and audit its creation."""
        cleaned = clean_value(value, self.value_argument)
        if cleaned is not None:
            set_value(row, cleaned, actor=actor)
        self._save(row)
        self._record(actor=actor, row=row, verb="create", after=state(row, self.fields))
        return row

    def locked(self, row: EncryptedValue) -> EncryptedValue:
        """`row` re-read with its organization and locked until the change commits ("not found" if it was
        deleted meanwhile). The caller has checked that the actor may change it."""
        return row_or_not_found(self.model.objects.select_for_update().select_related("org"), row.pk, self.model.audit_type)

    def save_change(self, row: EncryptedValue, *, actor, before: dict, value: Any = UNCHANGED) -> EncryptedValue:
        """Replace the value of the locked `row` when `value` is given (None removes it), then save and audit
        the change, if `row` differs from its state `before` or the value was replaced."""
        value_changed = value is not UNCHANGED
        if value_changed:
            set_value(row, clean_value(value, self.value_argument), actor=actor)
        after = state(row, self.fields)
        if after == before and not value_changed:
            return row
        stamped = []
        if self.stamp is not None:
            setattr(row, self.stamp, timezone.now())
            stamped.append(self.stamp)
        self._save(row, update_fields=[*self.editable, *stamped, *VALUE_FIELDS])
        self._record(actor=actor, row=row, verb="update", before=before, after={**after, "value_changed": value_changed})
        return row

    def delete(self, row: EncryptedValue, *, actor) -> EncryptedValue:
        """Audit and delete the locked `row`; answers it as it was, with its id."""
        self._record(actor=actor, row=row, verb="delete", before=state(row, self.fields))
        pk = row.pk
        row.delete()
        row.pk = pk
        return row
