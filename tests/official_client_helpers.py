"""Braintrust's official Python client (``braintrust-api``), pointed at pytest-django's live server."""

import httpx
from braintrust_api import Braintrust, DefaultHttpxClient

from accounts.models import Organization, User
from accounts.services.credentials import api_key_create


def official_client_for(live_server, user: User, org: Organization) -> Braintrust:
    """The official client with a fresh API key of `user` in `org`, which never retries a request.

    It keeps no connection open between requests: the live server hands each connection to a thread that
    shares the test's database connection, and a connection still open when the server stops at the end
    of the run would end its thread on a database connection that is no longer shared."""
    _, raw = api_key_create(actor=user, org=org, name="client")
    connections = DefaultHttpxClient(limits=httpx.Limits(max_keepalive_connections=0))
    return Braintrust(api_key=raw, base_url=live_server.url, max_retries=0, http_client=connections)
