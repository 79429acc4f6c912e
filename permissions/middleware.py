"""Per-request setup for the access engine and the audit log."""

from braintrust_site.client_address import client_address
from permissions.audit import request_origin
from permissions.engine import access_cache_scope


class AccessRequestMiddleware:
    """Opens the request's decision cache and declares the request as the origin of audit events."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        channel = "api" if request.path.startswith("/v1") else "web"
        origin = {
            "channel": channel,
            "ip": client_address(request) or None,
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200],
        }
        with access_cache_scope(), request_origin(**origin):
            return self.get_response(request)
