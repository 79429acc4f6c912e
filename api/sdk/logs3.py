"""``POST /logs3``: the rows Braintrust's SDK sends, for any number of experiments, datasets and project logs.

The body is ``{"rows": [...], "api_version": 2}``, read as JSON whatever the Content-Type (the SDK sends
raw bytes), or ``{"rows": {"type": "logs3_overflow", "key": ...}}`` naming a payload uploaded through
``/logs3/overflow`` because it was larger than this endpoint accepts.

The view is a parser and nothing more: :mod:`api.sdk.rows` turns the rows into each object's writes, the
view declares update on every object they name (so :class:`permissions.drf.EngineAccess` answers 404 or
403 before anything is written, as docs/access-model.md says for that object alone), and
:func:`projects.events.writes.write_batch` writes them atomically through the same inserts and feedback
as ``/v1/.../insert`` and ``/v1/.../feedback``.
"""

from functools import cached_property

from django.db import transaction
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import APIException
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import OrgScopedView
from api.json_bodies import parse_json_body
from api.schema import operation_schema
from api.sdk.rows import parse_rows
from api.sdk.version import logs3_payload_max_bytes
from permissions.exceptions import ValidationError
from permissions.requirements import Needs
from projects.events.overflow import overflow_payload_read, overflow_payload_take
from projects.events.writes import TargetWrites, write_batch

DATA_API_VERSION = 2
OVERFLOW_REFERENCE_TYPE = "logs3_overflow"


class PayloadTooLarge(APIException):
    status_code = 413
    default_detail = "The request body is too large."


class AnyContentTypeJSONParser(BaseParser):
    """The body as JSON, whatever Content-Type the client sent, up to ``logs3_payload_max_bytes``.

    DRF reads the stream itself, past Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``, so the limit the server
    advertises is enforced here: a larger body is a 413, which tells the SDK not to retry.
    """

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = logs3_payload_max_bytes()
        data = stream.read(limit + 1)
        if len(data) > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit} bytes: upload it through /logs3/overflow.")
        return parse_json_body(data, "The request body")


class Logs3View(OrgScopedView):
    """Rows for several objects at once, written whole or not at all."""

    parser_classes = [AnyContentTypeJSONParser]

    @cached_property
    def overflow_key(self) -> str | None:
        """The key of the uploaded payload the body names instead of rows, if it does."""
        rows = self._body().get("rows")
        if not isinstance(rows, dict):
            return None
        if rows.get("type") != OVERFLOW_REFERENCE_TYPE or not isinstance(rows.get("key"), str):
            raise ValidationError(f'rows must be a list, or {{"type": "{OVERFLOW_REFERENCE_TYPE}", "key": ...}}.')
        return rows["key"]

    @cached_property
    def writes(self) -> list[TargetWrites]:
        body = self._body()
        if self.overflow_key is not None:
            payload = overflow_payload_read(actor=self.request.user, org=self.org, key=self.overflow_key)
            body = parse_json_body(payload, "The uploaded payload")
            if not isinstance(body, dict):
                raise ValidationError("The uploaded payload must be a JSON object with rows.")
        return parse_rows(body.get("rows"), org_id=self.org.pk)

    def _body(self) -> dict:
        body = self.request.data
        if not isinstance(body, dict):
            raise ValidationError("The request body must be a JSON object with rows.")
        version = body.get("api_version", DATA_API_VERSION)
        if version != DATA_API_VERSION:
            raise ValidationError(f"api_version must be {DATA_API_VERSION}, not {version!r}.")
        return body

    def requirements_post(self):
        return [Needs("update", write.target.node) for write in self.writes]

    @operation_schema(
        "postLogs3",
        tag="SDK",
        summary="Insert rows for experiments, datasets and project logs",
        answer=inline_serializer("Logs3Response", {"status": serializers.CharField()}),
        errors=(400, 401, 403, 404, 413),
        description="Rows of Braintrust's SDK, each naming its object (experiment_id, dataset_id, or project_id with "
        'log_id "g"). Needs update on every object named; one refused row refuses the whole request. The largest body '
        "accepted is GET /version's logs3_payload_max_bytes; larger payloads go through POST /logs3/overflow.",
        request=inline_serializer(
            "Logs3Request",
            {
                "rows": serializers.JSONField(help_text='A list of rows, or {"type": "logs3_overflow", "key": ...}'),
                "api_version": serializers.IntegerField(required=False, help_text="2"),
            },
        ),
    )
    def post(self, request: Request) -> Response:
        with transaction.atomic():
            if self.overflow_key is not None:
                overflow_payload_take(actor=request.user, org=self.org, key=self.overflow_key)
            write_batch(actor=request.user, writes=self.writes)
        return Response({"status": "success"})
