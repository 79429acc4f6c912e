"""``POST /logs3/overflow`` and the signed URL it hands out: how the SDK sends a batch too big for ``/logs3``.

When a batch is larger than ``logs3_payload_max_bytes`` (``GET /version``), Braintrust's SDK asks
``POST /logs3/overflow`` for an upload URL, declaring the payload's size and a summary of its rows. Any
authenticated principal may ask: what the rows may touch is checked when ``/logs3`` takes the payload.
The answer is ``{"method": "PUT", "signedUrl", "headers", "key"}``; the SDK PUTs the raw payload to
``signedUrl`` with ``headers`` and then posts ``/logs3`` with ``{"rows": {"type": "logs3_overflow", "key"}}``.

The signed URL (``PUT /logs3/overflow/upload/<token>``) carries no credential and needs none: its random
token is the authorization, and it works once. It answers 200 ``{}`` (as a bucket does), 404 when the
token is unknown, already used or expired (the same answer for the three), 413 when the body is larger
than declared or than ``LOGS3_OVERFLOW_MAX_BYTES``, 400 when it is smaller than declared or of another
content type, and 405 to any method but PUT. The body is streamed to storage in chunks: it is never read
whole into memory, so ``DATA_UPLOAD_MAX_MEMORY_SIZE`` does not apply to it. See
:mod:`projects.events.overflow`.
"""

from django.http import HttpRequest, JsonResponse
from django.urls import path, reverse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import OrgScopedView
from api.inputs import StrictBooleanField, StrictCharField, StrictSerializer
from api.schema import operation_schema
from braintrust_site.public_url import public_url
from permissions.exceptions import NotFound, ValidationError
from projects.events.overflow import PayloadTooLarge, overflow_upload_create, overflow_upload_store


class _StrictIntegerField(serializers.IntegerField):
    """An integer written as a JSON number (not a string, not a boolean)."""

    def to_internal_value(self, data):
        if not isinstance(data, int) or isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class OverflowRowSerializer(serializers.Serializer):
    """What the SDK says of one row of the payload; checked loosely (fields it may add later are let through)."""

    object_ids = serializers.DictField(help_text="The row's object ids (project_id, experiment_id, dataset_id, log_id, ...)")
    has_comment = StrictBooleanField(required=False)
    is_delete = StrictBooleanField(required=False)
    input_row = serializers.DictField(required=False, help_text='{"byte_size": n}: the row\'s size in the payload')


class Logs3OverflowRequestSerializer(StrictSerializer):
    content_type = StrictCharField(help_text="The payload's content type: application/json")
    size_bytes = _StrictIntegerField(help_text="The payload's exact size in bytes")
    rows = serializers.ListField(child=OverflowRowSerializer(), allow_empty=False, help_text="One summary per row of the payload")


_OverflowUploadOutput = inline_serializer(
    "Logs3OverflowUpload",
    {
        "method": serializers.ChoiceField(choices=["PUT"], help_text="The method to upload the payload with"),
        "signedUrl": serializers.URLField(help_text="Where to upload the payload; it works once, without a credential"),
        "headers": serializers.DictField(child=serializers.CharField(), help_text="Headers to send with the upload"),
        "key": serializers.CharField(help_text="What the following POST /logs3 names the payload by"),
    },
)


class Logs3OverflowView(OrgScopedView):
    """``POST /logs3/overflow``: an upload URL for a payload too large for ``/logs3``."""

    object_type = "upload"

    def requirements_post(self):
        return ()  # any authenticated principal; /logs3 checks the rows when it takes the payload

    @operation_schema(
        "postLogs3Overflow",
        tag="SDK",
        summary="Request a logs3 overflow upload",
        answer=_OverflowUploadOutput,
        errors=(400, 401),
        description="A signed URL to PUT a /logs3 payload larger than logs3_payload_max_bytes to, and the key the "
        "following POST /logs3 names it by. The URL works once, with no credential, until it expires.",
        request=Logs3OverflowRequestSerializer,
    )
    def post(self, request: Request) -> Response:
        body = self.body(Logs3OverflowRequestSerializer)
        upload, raw_token = overflow_upload_create(
            actor=request.user, org=self.org, size_bytes=body["size_bytes"], content_type=body["content_type"]
        )
        signed_url = public_url(request, reverse("sdk-logs3-overflow-upload", kwargs={"token": raw_token}))
        return Response({"method": "PUT", "signedUrl": signed_url, "headers": {"Content-Type": upload.content_type}, "key": upload.key})


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": {"status": status, "message": message}}, status=status)


def _content_length(request: HttpRequest) -> int | None:
    try:
        return int(request.META["CONTENT_LENGTH"])
    except (KeyError, TypeError, ValueError):
        return None


@csrf_exempt
def logs3_overflow_upload(request: HttpRequest, token: str) -> JsonResponse:
    """``PUT /logs3/overflow/upload/<token>``: the signed URL. A plain Django view, so the body is read from
    the request's stream in chunks and never as ``request.body``; no credential, the token is the authorization."""
    if request.method != "PUT":
        response = _error(405, f"Method {request.method} is not allowed: upload with PUT.")
        response["Allow"] = "PUT"
        return response
    try:
        overflow_upload_store(
            raw_token=token, stream=request, content_length=_content_length(request), content_type=request.META.get("CONTENT_TYPE")
        )
    except NotFound:
        return _error(404, "No such upload: the URL is unknown, already used or expired.")
    except PayloadTooLarge as exc:
        return _error(413, " ".join(exc.messages))
    except ValidationError as exc:
        return _error(400, " ".join(exc.messages))
    return JsonResponse({})


urlpatterns = [
    path("logs3/overflow", Logs3OverflowView.as_view(), name="sdk-logs3-overflow"),
    path("logs3/overflow/upload/<str:token>", logs3_overflow_upload, name="sdk-logs3-overflow-upload"),
]
