"""``GET /version`` and ``GET /ping``: what Braintrust's SDK asks of the server before it sends data.

``logs3_payload_max_bytes`` is the largest ``/logs3`` body this server accepts (Django's
``DATA_UPLOAD_MAX_MEMORY_SIZE``): the SDK splits its batches to fit, and sends a single larger row through
the overflow upload instead, so the two numbers must be the same one.
"""

from django.conf import settings
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.base import OrgScopedView
from api.schema import operation_schema

SERVER_VERSION = "1.0.0"


def logs3_payload_max_bytes() -> int:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


class VersionView(APIView):
    """Answers without credentials: it says only what any client may know."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @operation_schema(
        "getVersion",
        tag="SDK",
        summary="Server version and limits",
        answer=inline_serializer(
            "VersionResponse",
            {
                "version": serializers.CharField(),
                "logs3_payload_max_bytes": serializers.IntegerField(help_text="The largest /logs3 body accepted, in bytes"),
                "logs3_overflow_max_bytes": serializers.IntegerField(help_text="The largest payload an overflow upload takes"),
            },
        ),
        errors=(),
    )
    def get(self, request: Request) -> Response:
        return Response(
            {
                "version": SERVER_VERSION,
                "logs3_payload_max_bytes": logs3_payload_max_bytes(),
                "logs3_overflow_max_bytes": settings.LOGS3_OVERFLOW_MAX_BYTES,
            }
        )


class PingView(OrgScopedView):
    """Who the credential is (the SDK's ``user_info()``)."""

    @operation_schema(
        "getPing",
        tag="SDK",
        summary="Check a credential",
        answer=inline_serializer(
            "PingResponse",
            {"id": serializers.UUIDField(), "email": serializers.CharField(), "kind": serializers.CharField()},
        ),
        errors=(401,),
    )
    def get(self, request: Request) -> Response:
        user = request.user
        return Response({"id": str(user.pk), "email": user.email, "kind": user.kind})
