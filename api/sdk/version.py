"""``GET /version`` and ``GET /ping``: what Braintrust's SDK asks of the server before it sends data.

``logs3_payload_max_bytes`` is the largest ``/logs3`` body this server accepts (Django's
``DATA_UPLOAD_MAX_MEMORY_SIZE``): the SDK splits its batches to fit, and sends a single larger row through
the overflow upload instead, so the two numbers must be the same one.
"""

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.base import OrgScopedView
from api.schema import error_responses

SERVER_VERSION = "1.0.0"


def logs3_payload_max_bytes() -> int:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


class VersionView(APIView):
    """Answers without credentials: it says only what any client may know."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="getVersion",
        tags=["SDK"],
        summary="Server version and limits",
        responses={
            200: inline_serializer(
                "VersionResponse",
                {
                    "version": serializers.CharField(),
                    "logs3_payload_max_bytes": serializers.IntegerField(help_text="The largest /logs3 body accepted, in bytes"),
                    "logs3_overflow_max_bytes": serializers.IntegerField(help_text="The largest payload an overflow upload takes"),
                },
            )
        },
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

    @extend_schema(
        operation_id="getPing",
        tags=["SDK"],
        summary="Check a credential",
        responses={
            200: inline_serializer(
                "PingResponse",
                {"id": serializers.UUIDField(), "email": serializers.CharField(), "kind": serializers.CharField()},
            ),
            **error_responses(401),
        },
    )
    def get(self, request: Request) -> Response:
        user = request.user
        return Response({"id": str(user.pk), "email": user.email, "kind": user.kind})
