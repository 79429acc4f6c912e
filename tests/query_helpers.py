"""Query counts of a page in its steady state, and of a list's page.

A change to memberships, groups or grants moves the organization's access version, so the first request
after it reloads the caller's access context (one query more than a request that finds it current). A
query-count guard compares steady states: it makes one request first, then counts the next.
"""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Organization, User
from projects.models import Project
from tests.access_helpers import grant
from tests.api_helpers import ApiClient, api_client_for
from tests.factories import OrganizationFactory, ProjectFactory, add_member, owner_of


def steady_state_queries(client, address: str, data=None, **extra) -> int:
    """The queries of a successful GET of `address`, after one warm-up request."""
    client.get(address, data, **extra)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(address, data, **extra)
        assert response.status_code == 200, response.content.decode()[:500]
    return len(queries)


def steady_state_download_queries(client, address: str, data=None, **extra) -> tuple[int, bytes]:
    """The queries of a successful GET of a streamed download at `address`, read to its end (a stream
    queries as it is read), after one warm-up download; and what it downloaded."""
    b"".join(client.get(address, data, **extra).streaming_content)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(address, data, **extra)
        assert response.status_code == 200, response.content.decode()[:500]
        content = b"".join(response.streaming_content)
    return len(queries), content


def list_queries(client: ApiClient, path: str, limit: int, **params) -> tuple[int, int]:
    """How many objects one page of `limit` answers, and how many SQL queries it costs."""
    client.get(path, {"limit": limit, **params})  # warm the connection and the content types
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, {"limit": limit, **params})
    assert response.status_code == 200, response.content
    return len(response.json()["objects"]), len(queries)


def assert_one_and_thirty_cost_the_same(path: str, org: Organization, users, *, at_most: int, **params) -> None:
    """For each of `users` (with an API key in `org`), a page of 1 and a page of 30 of `path` answer 1 and
    30 objects at the same number of queries, and that number is at most `at_most`."""
    for user in users:
        client = api_client_for(user, org)
        one, thirty = list_queries(client, path, 1, **params), list_queries(client, path, 30, **params)
        assert (one[0], thirty[0]) == (1, 30)
        assert one[1] == thirty[1]
        assert thirty[1] <= at_most


def projects_and_their_readers(count: int) -> tuple[Organization, list[Project], tuple[User, User, User]]:
    """A new organization with `count` projects and three people who read them all, each another way: the
    owner, a Viewer and a member granted read on each project (the readers a list guard counts for)."""
    org = OrganizationFactory()
    projects = [ProjectFactory(org=org) for _ in range(count)]
    granted = add_member(org)
    for project in projects:
        grant(org, project, user=granted, permission="read")
    return org, projects, (owner_of(org), add_member(org, None, "viewers"), granted)
