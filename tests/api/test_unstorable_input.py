"""Input that would fail later, in the database or in a recursive write, is a 400 naming where it is, with
nothing written, the same on SQLite and on PostgreSQL: null items in lists of objects, JSON nested deeper
than ``JSON_MAX_DEPTH``, NUL characters and lone surrogates, and bodies over the size limit."""

import json

import pytest

from projects.events.reads import fetch_events
from projects.events.targets import EventTarget
from projects.models import Dataset, Project
from tests.access_helpers import row_counts
from tests.api_helpers import api_client_for
from tests.factories import OrganizationFactory, ProjectFactory, owner_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return OrganizationFactory(name="Acme")


@pytest.fixture
def client(org):
    return api_client_for(owner_of(org), org)


@pytest.fixture
def project(org):
    return ProjectFactory(org=org, name="Chatbot")


def refused(response, *fragments: str) -> str:
    assert response.status_code == 400, response.content
    message = response.json()["error"]["message"]
    for fragment in fragments:
        assert fragment in message, message
    return message


def nested(depth: int, leaf=1):
    """A value `depth` containers deep (dicts and lists alternating), built without recursion."""
    value = leaf
    for level in range(depth):
        value = {"k": value} if level % 2 else [value]
    return value


def raw_post(client, path: str, text: str):
    return client.raw_post(path, text)


# Null items in lists of objects


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("post", "/v1/role", {"name": "r", "member_permissions": [None]}, "member_permissions"),
        ("patch", "/v1/role/{role}", {"add_member_permissions": [None]}, "add_member_permissions"),
        ("patch", "/v1/role/{role}", {"remove_member_permissions": [None, None]}, "remove_member_permissions"),
    ],
)
def test_a_null_item_in_a_list_of_permissions_is_a_400_naming_the_list(org, client, method, path, body, field):
    role = client.post("/v1/role", {"name": "base"}).json()["id"]
    before = row_counts()
    refused(getattr(client, method)(path.format(role=role), body), field)
    assert row_counts() == before


def test_a_null_acl_in_a_batch_update_is_a_400(org, client):
    before = row_counts()
    assert client.post("/v1/acl/batch_update", {"add_acls": [None]}).status_code == 400
    assert row_counts() == before


# Depth


def test_a_body_nested_far_deeper_than_python_can_parse_is_a_400(client):
    before = row_counts()
    refused(raw_post(client, "/v1/project", '{"name": ' + "[" * 100_000 + "]" * 100_000 + "}"), "nested deeper than 64 levels")
    assert row_counts() == before


@pytest.mark.parametrize("depth", [65, 5_000])
def test_metadata_nested_deeper_than_the_limit_is_a_400_naming_where(project, client, depth):
    deep = "[" * depth + "1" + "]" * depth  # as text: json.dumps itself cannot write 5,000 levels
    before = row_counts()
    body = f'{{"project_id": "{project.pk}", "name": "d", "metadata": {{"deep": {deep}}}}}'
    refused(raw_post(client, "/v1/dataset", body), "nested deeper than 64 levels")
    assert not Dataset.objects.exists()
    rows = f'{{"events": [{{"id": "r", "metadata": {{"deep": {deep}}}}}]}}'
    message = refused(raw_post(client, f"/v1/project_logs/{project.pk}/insert", rows), "nested deeper")
    if depth == 65:
        assert "events[0].metadata.deep[0]" in message
    assert row_counts() == before


def test_a_row_as_deep_as_the_limit_is_stored_and_merged(org, project, client):
    deepest = nested(60)  # with the body, events, the row and the field: 64 levels
    path = f"/v1/project_logs/{project.pk}/insert"
    assert client.post(path, {"events": [{"id": "r", "input": deepest}]}).status_code == 200
    merged = client.post(path, {"events": [{"id": "r", "_is_merge": True, "input": deepest, "output": 1}]})
    assert merged.status_code == 200, merged.content
    (row,) = fetch_events(actor=owner_of(org), target=EventTarget.of(project), limit=10).events
    assert row["input"] == deepest and row["output"] == 1


# NUL characters and lone surrogates


@pytest.mark.parametrize(
    ("path", "parameter"),
    [("/v1/project", "project_name"), ("/v1/group", "group_name"), ("/v1/user", "email"), ("/v1/experiment", "experiment_name")],
)
def test_a_nul_in_a_query_parameter_is_a_400_naming_it(client, path, parameter):
    response = client.get(path, {parameter: "a\x00b"})
    refused(response, parameter, "NUL")


def test_a_nul_in_a_page_path_or_form_is_a_400(org, client):
    assert client.client.get("/app/Ac%00me/").status_code == 400
    assert client.client.post("/login/", {"email": "a\x00@example.com", "password": "x"}).status_code == 400


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{"id": "r", "input": "a\\u0000b"}', "events[0].input"),
        ('{"id": "r", "metadata": {"a\\u0000b": 1}}', "events[0].metadata has a key"),
        ('{"id": "r", "input": "\\udfff"}', "events[0].input"),
        ('{"id": "r", "input": ["ok", "\\ud800 alone"]}', "events[0].input[1]"),
        ('{"id": "r", "tags": ["\\\\\\u0000"]}', "events[0].tags[0]"),
    ],
)
def test_a_nul_or_a_lone_surrogate_in_a_row_is_a_400_naming_the_field(project, client, text, where):
    before = row_counts()
    refused(raw_post(client, f"/v1/project_logs/{project.pk}/insert", '{"events": [' + text + "]}"), where, "cannot be stored")
    assert row_counts() == before
    sdk_row = text.replace('{"id"', f'{{"project_id": "{project.pk}", "log_id": "g", "id"', 1)
    refused(raw_post(client, "/logs3", '{"rows": [' + sdk_row + '], "api_version": 2}'), "cannot be stored")
    assert row_counts() == before


def test_escaped_backslashes_and_surrogate_pairs_are_ordinary_text(org, project, client):
    text = '{"events": [{"id": "r", "input": "\\\\u0000 and \\ud83d\\ude00", "output": "\\\\\\\\u0000"}]}'
    assert raw_post(client, f"/v1/project_logs/{project.pk}/insert", text).status_code == 200
    (row,) = fetch_events(actor=owner_of(org), target=EventTarget.of(project), limit=10).events
    assert row["input"] == "\\u0000 and \U0001f600"
    assert row["output"] == "\\\\u0000"


def test_a_nul_in_a_project_name_is_refused_and_nothing_is_made(org, client):
    refused(raw_post(client, "/v1/project", '{"name": "a\\u0000b"}'), "name", "cannot be stored")
    assert not Project.objects.filter(org=org).exists()


# Size


def test_a_json_body_over_the_upload_limit_is_refused(project, client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    body = json.dumps({"events": [{"id": "r", "input": "x" * 2_000}]})
    before = row_counts()
    refused(raw_post(client, f"/v1/project_logs/{project.pk}/insert", body), "too large")
    assert row_counts() == before
