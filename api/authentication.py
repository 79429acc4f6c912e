"""How API requests authenticate: a bearer token (``sk-`` API key or ``bt-st-`` service token) or the
browser session (with CSRF), and how failed attempts are slowed down.

A failed bearer attempt is counted per client address; past the limit, further attempts from that
address answer 429 until the window passes, so that keys cannot be guessed at speed.
"""

from django.conf import settings
from django.core.cache import cache
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header

from accounts.models import ApiKey
from accounts.services.credentials import authenticate_token


def _failure_key(request) -> str:
    return f"auth-failures:{request.META.get('REMOTE_ADDR', '')}"


class FailedAuthenticationThrottled(exceptions.Throttled):
    default_detail = "Too many failed authentication attempts; try again later."


class BearerTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <token>``; the principal is the token's user, ``request.auth`` the key."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        limit, window = settings.AUTH_FAILURE_LIMIT, settings.AUTH_FAILURE_WINDOW_SECONDS
        if cache.get(_failure_key(request), 0) >= limit:
            raise FailedAuthenticationThrottled(wait=window)
        if len(header) != 2:
            self._fail(request, window)
            raise exceptions.AuthenticationFailed("Malformed Authorization header: expected 'Bearer <token>'.")
        try:
            raw = header[1].decode()
        except UnicodeDecodeError as exc:
            self._fail(request, window)
            raise exceptions.AuthenticationFailed("The token is not valid.") from exc
        key = authenticate_token(raw)
        if key is None:
            self._fail(request, window)
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        return key.user, key

    def _fail(self, request, window: int) -> None:
        key = _failure_key(request)
        if not cache.add(key, 1, timeout=window):
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, timeout=window)

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
