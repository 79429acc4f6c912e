"""Schemathesis fuzzes every operation of ``/v1/openapi.json``: no request may answer a server error, and
every answer must have the shape the schema promises.

Both valid and invalid input are generated, with an owner's API key in an organization with a project,
an experiment and a dataset. In the suite, requests go through the site's WSGI application (the whole
middleware chain, as a server runs it) in the test's own process, a bounded number per operation
(``FUZZ_EXAMPLES``, default 12), on each database. With ``FUZZ_LIVE=1`` they go over HTTP to a live
server instead; ``make fuzz`` runs a long pass that way on both databases.
"""

import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from accounts.services.credentials import api_key_create
from braintrust_site.wsgi import application
from tests.factories import DatasetFactory, ExperimentFactory, OrganizationFactory, ProjectFactory, owner_of

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
FUZZ_LIVE = os.environ.get("FUZZ_LIVE", "") == "1"

ORG_NAME = "Fuzzed"

pytestmark = [pytest.mark.long_running, pytest.mark.django_db(transaction=FUZZ_LIVE)]  # a live server sees committed rows only

schema = schemathesis.openapi.from_wsgi("/v1/openapi.json", application)
if FUZZ_LIVE:  # the same schema, without the application: requests go over HTTP to the base URL given
    schema = schemathesis.openapi.from_dict(schema.raw_schema)
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])  # valid and invalid input


@pytest.fixture
def owner_key() -> str:
    org = OrganizationFactory(name=ORG_NAME)
    project = ProjectFactory(org=org, name="fuzzed")
    ExperimentFactory(project=project)
    DatasetFactory(project=project)
    _, raw = api_key_create(actor=owner_of(org), org=org, name="fuzz")
    return raw


@pytest.fixture
def connection_kept_open():
    """In process, each request's end would close the database connection the test's transaction is on
    (Django's test client disconnects the same handlers for the same reason)."""
    if FUZZ_LIVE:
        yield
        return
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_operation_answers_a_server_error_or_breaks_its_schema(case, owner_key, connection_kept_open, request):
    where = {"base_url": request.getfixturevalue("live_server").url} if FUZZ_LIVE else {}
    headers = {"Authorization": f"Bearer {owner_key}"}
    # A generated org_name would stop nearly every request at "this credential acts in Fuzzed only":
    # naming the key's own organization lets the cases reach the handlers.
    for parameters in (case.body, case.query):
        if isinstance(parameters, dict) and "org_name" in parameters:
            parameters["org_name"] = ORG_NAME
    case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance], **where)
