"""Every API error as JSON ``{"error": {"status": ..., "message": ...}}`` with the status the access model
prescribes: 404 for a missing or invisible object (the same body for both), 403 naming the missing
permission, 400 for bad input (nothing written), 401 for missing or bad credentials."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from permissions.exceptions import AccessDenied, NotFound


def error_response(status_code: int, message: str, **extra) -> Response:
    return Response({"error": {"status": status_code, "message": message, **extra}}, status=status_code)


def _validation_message(exc: DjangoValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


def _drf_message(detail) -> str:
    if isinstance(detail, dict):
        return "; ".join(f"{field}: {_drf_message(value)}" for field, value in detail.items())
    if isinstance(detail, list):
        return " ".join(_drf_message(item) for item in detail)
    return str(detail)


def api_exception_handler(exc, context):
    if isinstance(exc, NotFound | Http404):
        return error_response(404, str(exc) if isinstance(exc, NotFound) else "Not found.")
    if isinstance(exc, AccessDenied):
        return error_response(403, str(exc), missing_permission=exc.permission)
    if isinstance(exc, DjangoValidationError):
        return error_response(400, _validation_message(exc))
    if isinstance(exc, RequestDataTooBig):
        return error_response(400, "The request body is too large.")
    if isinstance(exc, DjangoPermissionDenied):
        return error_response(403, str(exc) or "Forbidden.")
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        response.status_code = status.HTTP_401_UNAUTHORIZED
    body = {"error": {"status": response.status_code, "message": _drf_message(getattr(exc, "detail", response.data))}}
    response.data = body
    return response
