"""Braintrust's official Python client (``braintrust-api``), pointed at pytest-django's live server."""

from braintrust_api import Braintrust

from accounts.models import Organization, User
from accounts.services.credentials import api_key_create


def official_client_for(live_server, user: User, org: Organization) -> Braintrust:
    """The official client with a fresh API key of `user` in `org`, which never retries a request."""
    _, raw = api_key_create(actor=user, org=org, name="client")
    return Braintrust(api_key=raw, base_url=live_server.url, max_retries=0)
