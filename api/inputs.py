"""Request bodies, validated strictly: an unknown field or a value of the wrong type is a 400 that names
it, before anything is written.

DRF's own fields are lenient (a number is accepted as a string, an integer as a UUID); these are not,
so a client that sends the wrong shape learns it at once instead of storing something it did not mean.
"""

from collections.abc import Mapping
from datetime import UTC, datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request

from permissions.exceptions import ValidationError


class StrictCharField(serializers.CharField):
    """A string, and only a string."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictUUIDField(serializers.UUIDField):
    """A UUID written as a string (not an integer)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """true or false, and only those (DRF's own field also takes "yes", 1 and "on")."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


@extend_schema_field(OpenApiTypes.DATETIME)
class FutureDateTimeField(serializers.Field):
    """An ISO 8601 date and time in the future (an expiry). One without an offset is read as UTC, unless
    `offset_required`: an expiry of access (a grant's, a membership's) names its offset, as the services
    that write those require, so that no reader has to guess which zone was meant."""

    default_error_messages = {
        "invalid": "Must be an ISO 8601 date and time, not {value!r}.",
        "offset": "Must name its UTC offset (such as Z or +02:00).",
        "past": "Must be in the future.",
    }

    def __init__(self, *, offset_required: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.offset_required = offset_required

    def to_internal_value(self, data) -> datetime:
        parsed = parse_datetime(data) if isinstance(data, str) else None
        if parsed is None:
            self.fail("invalid", value=data)
        if timezone.is_naive(parsed):
            if self.offset_required:
                self.fail("offset")
            parsed = parsed.replace(tzinfo=UTC)
        if parsed <= timezone.now():
            self.fail("past")
        return parsed

    def to_representation(self, value: datetime) -> str:
        return value.isoformat()


def object_list(item: serializers.Serializer, help_text: str) -> serializers.ListField:
    """An optional, nullable list of objects, each validated by `item`, none of them null.

    (``Item(many=True, allow_null=True)`` would let null items through: DRF hands ``allow_null`` to the
    item serializer too.)
    """
    return serializers.ListField(child=item, required=False, allow_null=True, help_text=help_text)


def uuid_list(help_text: str) -> serializers.ListField:
    """An optional, nullable list of UUIDs."""
    return serializers.ListField(child=StrictUUIDField(), required=False, allow_null=True, help_text=help_text)


class StrictSerializer(serializers.Serializer):
    """An input serializer that refuses fields it does not declare."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


def validated_body(request: Request, serializer_class: type[StrictSerializer]) -> dict:
    """The request's JSON object, validated by `serializer_class` (a 400 naming each problem otherwise).

    Fields the body leaves out are absent from the result; fields sent as null are present as None.
    """
    if not isinstance(request.data, dict):
        raise ValidationError("The request body must be a JSON object.")
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
