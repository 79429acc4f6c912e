"""Query counts of a page in its steady state, and of a list's page.

A change to memberships, groups or grants moves the organization's access version, so the first request
after it reloads the caller's access context (one query more than a request that finds it current). A
query-count guard compares steady states: it makes one request first, then counts the next.
"""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api_helpers import ApiClient


def steady_state_queries(client, address: str, data=None, **extra) -> int:
    """The queries of a successful GET of `address`, after one warm-up request."""
    client.get(address, data, **extra)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(address, data, **extra)
        assert response.status_code == 200, response.content.decode()[:500]
    return len(queries)


def list_queries(client: ApiClient, path: str, limit: int) -> tuple[int, int]:
    """How many objects one page of `limit` answers, and how many SQL queries it costs."""
    client.get(path, {"limit": limit})  # warm the connection and the content types
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, {"limit": limit})
    assert response.status_code == 200, response.content
    return len(response.json()["objects"]), len(queries)
