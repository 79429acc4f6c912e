"""The /v1 conventions every endpoint shares: the open index, authentication, errors, the schema."""

import pytest

from tests.api_helpers import ApiClient, api_client_for
from tests.factories import OrganizationFactory, owner_of

pytestmark = pytest.mark.django_db


def test_index_answers_without_credentials():
    response = ApiClient().get("/v1")
    assert response.status_code == 200
    assert response.content == b"Hello, World!"


@pytest.mark.parametrize("header", ["Bearer sk-not-a-real-key", "Bearer", "Bearer a b"])
def test_bad_credentials_answer_401_in_json(header):
    response = ApiClient().client.get("/v1/acl/list_org", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["error"]["status"] == 401


def test_missing_credentials_answer_401_with_a_bearer_challenge():
    response = ApiClient().get("/v1/acl/list_org")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_malformed_json_answers_400_and_says_why():
    org = OrganizationFactory()
    response = api_client_for(owner_of(org), org).raw_post("/v1/acl", "{not json")
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert "not valid JSON" in message and "line 1 column 2" in message


def test_failed_authentications_are_throttled_per_address(settings):
    settings.AUTH_FAILURE_LIMIT = 3
    client = ApiClient("sk-guess")
    statuses = [client.get("/v1/acl/list_org").status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 429, 429]


def test_schema_and_docs_are_published():
    schema = ApiClient().get("/v1/openapi.json")  # JSON, as its name says, without asking
    assert schema.status_code == 200
    assert schema["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert "/v1/acl" in schema.json()["paths"]
    assert ApiClient().get("/v1/docs").status_code == 200
