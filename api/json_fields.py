"""Serializer fields for JSON values that the API stores as they come and the services check in depth."""

from typing import Any

from rest_framework import serializers


class JsonObjectField(serializers.Field):
    """A JSON object (or null), stored as it is: the service that writes it checks what it holds, so that
    every entry point (the API, the pages) refuses the same values with the same messages. A subclass
    describes its shape to the schema with ``@extend_schema_field``."""

    default_error_messages = {"invalid": "Must be an object."}

    def to_internal_value(self, data: Any) -> dict:
        if not isinstance(data, dict):
            self.fail("invalid")
        return data

    def to_representation(self, value: Any) -> Any:
        return value
