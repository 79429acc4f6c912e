"""How API requests authenticate: a bearer token (``sk-`` API key or ``bt-st-`` service token) or the
browser session (with CSRF), and how failed attempts are slowed down.

A failed bearer attempt is counted for the client's address (:func:`braintrust_site.client_address`) and
for the credential presented. A valid credential is always accepted; an invalid one from an address, or
the same invalid one from anywhere, past the limit answers 429 until the window passes. So a client that
keeps sending a revoked key, or guesses, is slowed down without locking out anyone else behind the same
address.
"""

from django.conf import settings
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header

from accounts.models import ApiKey
from accounts.services.credentials import authenticate_token
from accounts.throttles import bearer_failure_counters
from braintrust_site.client_address import client_address


class FailedAuthenticationThrottled(exceptions.Throttled):
    default_detail = "Too many failed authentication attempts; try again later."


class BearerTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <token>``; the principal is the token's user, ``request.auth`` the key."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        presented = b" ".join(header[1:])
        if len(header) != 2:
            self._refuse(request, presented, "Malformed Authorization header: expected 'Bearer <token>'.")
        try:
            raw = header[1].decode()
        except UnicodeDecodeError:
            self._refuse(request, presented, "The token is not valid.")
        key = authenticate_token(raw)
        if key is None:
            self._refuse(request, presented, "Invalid, expired or revoked token.")
        return key.user, key

    @staticmethod
    def _refuse(request, presented: bytes, message: str):
        """Count the failure, then answer 401, or 429 once the address or this credential failed too often."""
        by_address, by_credential = bearer_failure_counters()
        address, credential = client_address(request), presented.decode(errors="replace")
        throttled = by_address.exceeded(address) or by_credential.exceeded(credential)
        by_address.record(address)
        by_credential.record(credential)
        if throttled:
            raise FailedAuthenticationThrottled(wait=settings.AUTH_FAILURE_WINDOW_SECONDS)
        raise exceptions.AuthenticationFailed(message)

    def authenticate_header(self, request) -> str:
        return self.keyword


class BrowserSessionAuthentication(SessionAuthentication):
    """The logged-in person of the web pages, with CSRF enforced on unsafe methods. Never a service account."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and result[0].is_service_account:
            return None
        return result


def is_api_key_request(request) -> bool:
    """Whether the request is authenticated by a bearer credential rather than the browser session."""
    return isinstance(getattr(request, "auth", None), ApiKey)
