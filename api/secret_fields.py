"""What the ``/v1/ai_secret`` and ``/v1/env_var`` shapes share: the preview in place of the value, and
Braintrust's deep merge of an object field on PATCH.

A secret's value is write-only: input serializers take it, no output serializer has a field that could
answer it, and a value refused as input is never quoted back (``value_field``).
"""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.inputs import StrictCharField
from api.json_fields import JsonObjectField


@extend_schema_field({"type": "object", "nullable": True, "additionalProperties": {"nullable": True}})
class MetadataField(JsonObjectField):
    """Free-form metadata: a JSON object, or null."""


class PreviewField(serializers.CharField):
    """``preview_secret``: a mask and the value's last characters, null when no value is set."""

    def __init__(self, **kwargs) -> None:
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value):
        return value or None


class SecretValueField(StrictCharField):
    """A secret value: a string (null where the shape allows it), never echoed in an error."""

    default_error_messages = {
        "invalid": "Must be a string.",
        "blank": "Must not be empty.",
        "max_length": "At most {max_length} characters.",
    }

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("trim_whitespace", False)  # a key is stored exactly as given
        kwargs.setdefault("style", {"input_type": "password"})
        super().__init__(**kwargs)


def deep_merged(stored: Any, changes: dict) -> dict:
    """`stored` (an object or null) with `changes` merged in, object fields merged at any depth."""
    merged = dict(stored) if isinstance(stored, dict) else {}
    for key, value in changes.items():
        merged[key] = deep_merged(merged.get(key), value) if isinstance(value, dict) and isinstance(merged.get(key), dict) else value
    return merged
