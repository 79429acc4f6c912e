"""Each request gets its own decision cache and declares itself the origin of audit events."""

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from permissions.audit import current_origin
from permissions.engine import can
from permissions.middleware import AccessRequestMiddleware
from tests.factories import OrganizationFactory, owner_of


def test_api_request_is_recorded_as_api_origin_with_address_and_agent():
    seen = {}

    def view(request):
        seen.update(current_origin())
        return HttpResponse()

    request = RequestFactory().get("/v1/acl", REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT="client/1.0")
    AccessRequestMiddleware(view)(request)
    assert seen == {"channel": "api", "ip": "10.1.2.3", "user_agent": "client/1.0"}
    assert current_origin() == {"channel": "system"}


def test_page_request_is_recorded_as_web_origin():
    seen = {}

    def view(request):
        seen.update(current_origin())
        return HttpResponse()

    AccessRequestMiddleware(view)(RequestFactory().get("/settings/members"))
    assert seen["channel"] == "web"


@pytest.mark.django_db
def test_decisions_are_cached_within_a_request_and_forgotten_after_it():
    org = OrganizationFactory()
    owner = owner_of(org)
    counts = []

    def view(request):
        for _ in range(2):
            with CaptureQueriesContext(connection) as queries:
                assert can(owner, "update", org)
            counts.append(len(queries))
        return HttpResponse()

    AccessRequestMiddleware(view)(RequestFactory().get("/"))
    AccessRequestMiddleware(view)(RequestFactory().get("/"))
    # The principal's context and the chain's grants, then nothing; a new request starts afresh.
    assert counts == [2, 0, 2, 0]
