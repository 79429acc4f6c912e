"""Failed sign-ins and bearer authentications, counted in the cache so that guessing is slow.

Counts live in Django's cache (Redis when ``REDIS_URL`` is set, so that every process shares them) for a
window that starts at the first failure. What is counted is hashed, so that no email address or
presented token is kept in the cache. A success is never refused because of other people's failures:

* a bearer credential that is valid is accepted whatever its address has failed; only further invalid
  ones are answered 429 (:class:`api.authentication.BearerTokenAuthentication`);
* a password sign-in is refused, right password or not, once the account or the client address has
  failed too often, with one message whether or not the account exists (:class:`web.forms.sign_in.ThrottledAuthenticationForm`).
"""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


@dataclass(frozen=True)
class FailureCounter:
    """Failures per subject (an address, an account, a credential) within `window_seconds`."""

    namespace: str
    limit: int
    window_seconds: int

    def _key(self, subject: str) -> str:
        return f"failures:{self.namespace}:{hashlib.sha256(subject.encode(errors='surrogatepass')).hexdigest()}"

    def exceeded(self, subject: str) -> bool:
        return cache.get(self._key(subject), 0) >= self.limit

    def record(self, subject: str) -> None:
        key = self._key(subject)
        if not cache.add(key, 1, timeout=self.window_seconds):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, timeout=self.window_seconds)

    def clear(self, subject: str) -> None:
        cache.delete(self._key(subject))


def bearer_failure_counters() -> tuple[FailureCounter, FailureCounter]:
    """Failed bearer authentications: per client address, and per presented credential."""
    limit, window = settings.AUTH_FAILURE_LIMIT, settings.AUTH_FAILURE_WINDOW_SECONDS
    return FailureCounter("bearer-address", limit, window), FailureCounter("bearer-credential", limit, window)


def login_failure_counters() -> tuple[FailureCounter, FailureCounter]:
    """Failed password sign-ins: per account (its normalized email, existing or not), and per client address."""
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    return (
        FailureCounter("login-account", settings.LOGIN_FAILURE_LIMIT_PER_ACCOUNT, window),
        FailureCounter("login-address", settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS, window),
    )
