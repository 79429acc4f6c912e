"""This server's public base URL, as clients outside it must use it.

``PUBLIC_URL`` when it is set (the address a reverse proxy publishes), else the request's own scheme and
host. Django reads ``X-Forwarded-Host``/``-Proto`` for the latter only when ``TRUST_FORWARDED_HEADERS`` is
on, so a client cannot make the server hand out another host's address by sending those headers.
"""

from django.conf import settings
from django.http import HttpRequest


def public_base_url(request: HttpRequest) -> str:
    """Scheme and host (and port), without a trailing slash: ``https://braintrust.example.com``."""
    if settings.PUBLIC_URL:
        return settings.PUBLIC_URL
    return f"{request.scheme}://{request.get_host()}"


def public_url(request: HttpRequest, path: str) -> str:
    """An absolute URL for `path` (which starts with ``/``) on this server."""
    return public_base_url(request) + path
