"""``/v1/span_iframe``: every endpoint for every kind of caller, the https rule for what may be embedded,
bad input, other organizations, query counts, and names unique per project."""

from dataclasses import dataclass
from functools import partial

import pytest
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.utils import timezone

from accounts.models import Organization, User
from permissions.engine import Node
from permissions.models import PermissionGroup
from projects.models import Project, SpanIframe
from tests.access_helpers import audit_actions, custom_group, grant, grant_many, nest
from tests.api_helpers import DEAD_CREDENTIALS, ApiClient, api_client_for, crud_calls
from tests.assertions import (
    MOVE_TO_ANOTHER_PROJECT,
    assert_every_call_refused_without_writing,
    assert_hidden_as_if_missing,
    assert_refused_without_writing,
    error,
    listed_names,
    not_found,
    rows_of,
)
from tests.factories import OrganizationFactory, ProjectFactory, add_member
from tests.factories_configuration import SpanIframeFactory
from tests.query_helpers import assert_one_and_thirty_cost_the_same, projects_and_their_readers
from tests.worlds import ActsAsCallers, callers_of, listed_for_each_caller

pytestmark = pytest.mark.django_db

FIELDS = {"id", "project_id", "user_id", "created", "deleted_at", "name", "description", "url", "post_message"}
READERS = ["owner", "engineer", "viewer", "group_grant", "nested_group", "object_grant"]
WRITERS = ["owner", "engineer", "group_grant", "nested_group", "object_grant"]


@dataclass
class World(ActsAsCallers):
    """An organization with one caller of each kind (``object_grant`` holds read and update on ``target``
    alone), a span iframe in each of its two projects, and a second organization with its own."""

    org: Organization
    other_org: Organization
    target: Project
    sibling: Project
    theirs: Project
    iframe: SpanIframe  # "viewer", in target
    editors: PermissionGroup
    callers: dict[str, User]


@pytest.fixture(scope="module")
def built_world(module_db) -> World:
    org, other_org = OrganizationFactory(), OrganizationFactory()
    target, sibling = ProjectFactory(org=org, name="Target"), ProjectFactory(org=org, name="Sibling")
    theirs = ProjectFactory(org=other_org, name="Theirs")
    iframe = SpanIframeFactory(project=target, name="viewer", url="https://tools.example.com/span")
    SpanIframeFactory(project=sibling, name="sibling-viewer")
    SpanIframeFactory(project=theirs, name="their-viewer")
    editors = custom_group(org, name="Editors")
    grant_many(org, Node("org_project", org.pk), ("read", "update"), group=editors)
    inner = custom_group(org, name="Inner")
    nest(editors, inner)
    callers = callers_of(org, other_org, managers=editors, inner=inner, target=target)
    return World(org, other_org, target, sibling, theirs, iframe, editors, callers)


def _refused(call, status: int, message: str | None = None):
    """A refusal that also leaves every span iframe as it was; its answer's JSON."""
    return assert_refused_without_writing(call, status, message, also_unchanged=[partial(rows_of, SpanIframe)]).json()


def _body(world: World, **fields) -> dict:
    return {"project_id": str(world.target.pk), "name": "trace viewer", "url": "https://tools.example.com/t", **fields}


# The JSON shape and the schema


def test_span_iframe_json_has_braintrust_fields(world):
    SpanIframe.objects.filter(pk=world.iframe.pk).update(description="Our viewer", post_message=True, created_by=world.callers["owner"])
    body = world.client("viewer").get(f"/v1/span_iframe/{world.iframe.pk}").json()
    assert body == {
        "id": str(world.iframe.pk),
        "project_id": str(world.target.pk),
        "user_id": str(world.callers["owner"].pk),
        "created": body["created"],
        "deleted_at": None,
        "name": "viewer",
        "description": "Our viewer",
        "url": "https://tools.example.com/span",
        "post_message": True,
    }


def test_published_schema_names_the_span_iframe_operations_as_braintrust_does():
    schema = ApiClient().get("/v1/openapi.json", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    assert set(components["SpanIFrame"]["properties"]) == FIELDS
    assert set(components["CreateSpanIFrame"]["properties"]) == {"project_id", "name", "description", "url", "post_message"}
    assert set(components["PatchSpanIFrame"]["properties"]) == {"name", "url", "post_message", "description"}
    collection = {method: op["operationId"] for method, op in schema["paths"]["/v1/span_iframe"].items()}
    assert collection == {"get": "getSpanIframe", "post": "postSpanIframe", "put": "putSpanIframe"}
    detail = {method: op["operationId"] for method, op in schema["paths"]["/v1/span_iframe/{span_iframe_id}"].items()}
    assert detail == {"get": "getSpanIframeId", "patch": "patchSpanIframeId", "delete": "deleteSpanIframeId"}
    listed = {p["name"] for p in schema["paths"]["/v1/span_iframe"]["get"]["parameters"]}
    assert listed == {"limit", "starting_after", "ending_before", "ids", "span_iframe_name", "org_name"}


# Listing


ALL = {"viewer", "sibling-viewer"}


@pytest.mark.parametrize(("who", "expected"), listed_for_each_caller(ALL, one_object={"viewer"}, outsider={"their-viewer"}))
def test_list_shows_exactly_the_span_iframes_of_projects_the_caller_may_read(world, who, expected):
    assert listed_names(world.client(who).get("/v1/span_iframe")) == expected


def test_list_filters_by_name_and_ids_and_pages_newest_first(world):
    client = world.client("owner")
    assert listed_names(client.get("/v1/span_iframe", {"span_iframe_name": "viewer"})) == {"viewer"}
    assert listed_names(client.get("/v1/span_iframe", {"ids": str(world.iframe.pk)})) == {"viewer"}
    assert listed_names(client.get("/v1/span_iframe", {"org_name": world.org.name})) == ALL
    newest = client.get("/v1/span_iframe", {"limit": 1}).json()["objects"]
    assert [row["name"] for row in newest] == ["sibling-viewer"]
    rest = client.get("/v1/span_iframe", {"starting_after": newest[0]["id"]}).json()["objects"]
    assert [row["name"] for row in rest] == ["viewer"]


@pytest.mark.parametrize("params", [{"ids": "not-a-uuid"}, {"limit": "many"}, {"starting_after": "x"}, {"org_name": "Elsewhere"}])
def test_list_with_malformed_parameters_answers_400(world, params):
    assert world.client("owner").get("/v1/span_iframe", params).status_code == 400


def test_list_costs_the_same_number_of_queries_for_one_and_thirty_span_iframes():
    org, projects, readers = projects_and_their_readers(3)
    for n in range(30):
        SpanIframeFactory(project=projects[n % 3])
    assert_one_and_thirty_cost_the_same("/v1/span_iframe", org, readers, at_most=6)


# Reading one


@pytest.mark.parametrize("who", READERS)
def test_callers_who_may_read_the_project_get_its_span_iframe(world, who):
    response = world.client(who).get(f"/v1/span_iframe/{world.iframe.pk}")
    assert (response.status_code, response.json()["id"]) == (200, str(world.iframe.pk))


@pytest.mark.parametrize("who", ["no_grant", "outsider"])
def test_callers_who_cannot_see_the_project_get_the_same_404_as_for_a_missing_id(world, who):
    client = world.client(who)
    assert_hidden_as_if_missing(client, "span_iframe", world.iframe.pk)
    _refused(lambda: client.patch(f"/v1/span_iframe/{world.iframe.pk}", {"name": "x"}), 404)
    _refused(lambda: client.delete(f"/v1/span_iframe/{world.iframe.pk}"), 404)


def test_span_iframe_of_a_deleted_project_is_not_found(world):
    Project.objects.filter(pk=world.target.pk).update(deleted_at=timezone.now())
    client = world.client("owner")
    assert "viewer" not in listed_names(client.get("/v1/span_iframe"))
    assert client.get(f"/v1/span_iframe/{world.iframe.pk}").status_code == 404
    assert _refused(lambda: client.post("/v1/span_iframe", _body(world)), 404) == not_found("project", world.target.pk)


# Writing


@pytest.mark.parametrize("who", WRITERS)
def test_callers_with_update_on_the_project_create_a_span_iframe(world, who):
    response = world.client(who).post("/v1/span_iframe", _body(world, description="Traces", post_message=True))
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == FIELDS
    assert (body["name"], body["url"], body["post_message"], body["user_id"]) == (
        "trace viewer",
        "https://tools.example.com/t",
        True,
        str(world.callers[who].pk),
    )
    assert audit_actions()[-1] == "span_iframe.create"


def test_viewer_reads_but_cannot_create_change_or_delete(world):
    client, path = world.client("viewer"), f"/v1/span_iframe/{world.iframe.pk}"
    calls = [
        lambda: client.post("/v1/span_iframe", _body(world)),
        lambda: client.put("/v1/span_iframe", _body(world)),
        lambda: client.patch(path, {"name": "x"}),
        lambda: client.delete(path),
    ]
    for call in calls:
        assert _refused(call, 403)["error"]["missing_permission"] == "update"


def test_post_of_an_existing_name_answers_it_unmodified_even_to_a_viewer(world):
    body = _body(world, name="viewer", url="https://elsewhere.example.com/")
    for who in ("owner", "viewer"):
        response = world.client(who).post("/v1/span_iframe", body)
        assert (response.status_code, response.json()["id"], response.json()["url"]) == (200, str(world.iframe.pk), world.iframe.url)
    assert "span_iframe.update" not in audit_actions()


def test_creating_in_another_organizations_project_is_not_found(world):
    client = world.client("owner")
    body = {**_body(world), "project_id": str(world.theirs.pk)}
    assert _refused(lambda: client.post("/v1/span_iframe", body), 404) == not_found("project", world.theirs.pk)


def test_put_replaces_the_span_iframe_of_that_name(world):
    SpanIframe.objects.filter(pk=world.iframe.pk).update(post_message=True, description="old")
    response = world.client("object_grant").put("/v1/span_iframe", _body(world, name="viewer", url="https://new.example.com/x"))
    assert response.status_code == 200, response.content
    assert (response.json()["id"], response.json()["url"], response.json()["description"], response.json()["post_message"]) == (
        str(world.iframe.pk),
        "https://new.example.com/x",
        None,
        None,
    )
    assert audit_actions()[-1] == "span_iframe.update"


def test_patch_changes_the_fields_given_and_keeps_the_others(world):
    client = world.client("object_grant")
    path = f"/v1/span_iframe/{world.iframe.pk}"
    response = client.patch(path, {"post_message": True, "description": "d"})
    assert (response.json()["post_message"], response.json()["description"], response.json()["url"]) == (True, "d", world.iframe.url)
    response = client.patch(path, {"name": "renamed", "post_message": None})
    assert (response.json()["name"], response.json()["post_message"]) == ("renamed", True)
    assert audit_actions()[-2:] == ["span_iframe.update", "span_iframe.update"]


def test_delete_answers_the_span_iframe_with_its_deletion_time_and_removes_it(world):
    response = world.client("engineer").delete(f"/v1/span_iframe/{world.iframe.pk}")
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["name"]) == (str(world.iframe.pk), "viewer")
    assert response.json()["deleted_at"] is not None
    assert not SpanIframe.objects.filter(pk=world.iframe.pk).exists()
    assert audit_actions()[-1] == "span_iframe.delete"


def test_names_are_unique_in_a_project_but_not_across_projects(world):
    client = world.client("owner")
    other = SpanIframeFactory(project=world.target, name="other")
    taken = "name: a span iframe named 'viewer' already exists"
    _refused(lambda: client.patch(f"/v1/span_iframe/{other.pk}", {"name": "viewer"}), 400, taken)
    response = client.post("/v1/span_iframe", {**_body(world, name="viewer"), "project_id": str(world.sibling.pk)})
    assert response.status_code == 200
    with pytest.raises(IntegrityError), transaction.atomic():
        SpanIframe.objects.create(project=world.target, name="viewer", url="https://x.example.com")


# What may be embedded


REFUSED_URLS = [
    ("http://tools.example.com/span", "url: only https URLs may be embedded"),
    ("http://127.0.0.1:8000/span", "url: only https URLs may be embedded; http on a loopback address"),
    ("javascript:alert(1)", "url: must be an absolute URL with a host"),
    ("data:text/html,<script>alert(1)</script>", "url: must be an absolute URL with a host"),
    ("//tools.example.com/span", "url: only https URLs may be embedded"),
    ("/relative/path", "url: must be an absolute URL with a host"),
    ("ftp://tools.example.com/", "url: only https URLs may be embedded"),
    ("https://user:secret@tools.example.com/", "url: must not carry a user name or password"),
    ("https://tools.example.com:port/", "url: is not a valid URL"),
    ("https://tools.example.com/a b", "url: must not contain spaces"),
    ("", "url: This field may not be blank."),
    ("https://tools.example.com/" + "a" * 2048, "url: Ensure this field has no more than 2048 characters."),
]


@pytest.mark.parametrize(("url", "message"), REFUSED_URLS, ids=[url[:30] for url, _ in REFUSED_URLS])
def test_every_write_refuses_a_url_that_may_not_be_embedded_naming_url(world, url, message):
    client = world.client("owner")
    _refused(lambda: client.post("/v1/span_iframe", _body(world, url=url)), 400, message)
    _refused(lambda: client.put("/v1/span_iframe", _body(world, name="viewer", url=url)), 400, message)
    _refused(lambda: client.patch(f"/v1/span_iframe/{world.iframe.pk}", {"url": url}), 400, message)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/span", "http://127.8.9.10/", "http://[::1]:3000/", "http://localhost:5173/"])
def test_http_on_a_loopback_address_is_accepted_only_while_developing(world, url):
    client = world.client("owner")
    _refused(lambda: client.post("/v1/span_iframe", _body(world, url=url)), 400, "url:")
    with override_settings(SPAN_IFRAME_ALLOW_LOOPBACK_HTTP=True):
        assert client.post("/v1/span_iframe", _body(world, url=url)).status_code == 200
        _refused(lambda: client.post("/v1/span_iframe", _body(world, name="b", url="http://example.com/")), 400, "url:")


# Bad input


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "x", "url": "https://a.example.com"}, "project_id: This field is required."),
        ({"project_id": "nope", "name": "x", "url": "https://a.example.com"}, "project_id: Must be a valid UUID."),
        ({"project_id": "P", "url": "https://a.example.com"}, "name: This field is required."),
        ({"project_id": "P", "name": "x"}, "url: This field is required."),
        ({"project_id": "P", "name": ["x"], "url": "https://a.example.com"}, "name: Not a valid string."),
        ({"project_id": "P", "name": "x", "url": 5}, "url: Not a valid string."),
        ({"project_id": "P", "name": "x", "url": "https://a.example.com", "post_message": "yes"}, "post_message: Must be a valid boolean."),
        ({"project_id": "P", "name": "x" * 256, "url": "https://a.example.com"}, "name: Ensure this field has no more than 255"),
        ({"project_id": "P", "name": "x", "url": "https://a.example.com", "color": "red"}, "color: Unknown field."),
    ],
)
def test_create_with_bad_input_answers_400_naming_the_field_and_writes_nothing(world, body, message):
    if body.get("project_id") == "P":
        body = {**body, "project_id": str(world.target.pk)}
    client = world.client("owner")
    _refused(lambda: client.post("/v1/span_iframe", body), 400, message)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": ""}, "name: This field may not be blank."),
        ({"post_message": 1}, "post_message: Must be a valid boolean."),
        MOVE_TO_ANOTHER_PROJECT,
    ],
)
def test_patch_with_bad_input_answers_400_and_writes_nothing(world, body, message):
    client = world.client("owner")
    _refused(lambda: client.patch(f"/v1/span_iframe/{world.iframe.pk}", body), 400, message)


def test_a_malformed_id_is_400_and_a_nul_byte_never_a_server_error(world):
    client = world.client("owner")
    assert client.get("/v1/span_iframe/not-a-uuid").status_code == 400
    _refused(lambda: client.post("/v1/span_iframe", _body(world, name="a\x00b")), 400)
    _refused(lambda: client.post("/v1/span_iframe", _body(world, url="https://a.example.com/\x00")), 400)


@pytest.mark.parametrize("credential", DEAD_CREDENTIALS)
def test_every_endpoint_answers_401_and_writes_nothing(world, credential):
    body = _body(world)
    client = DEAD_CREDENTIALS[credential](world.callers["owner"], world.org)
    calls = crud_calls("/v1/span_iframe", world.iframe.pk, body, body, {"name": "y"})
    assert_every_call_refused_without_writing(client, calls, 401, refused=_refused)


def test_holder_of_update_alone_may_write_but_is_told_it_lacks_read(world):
    updater = add_member(world.org)
    grant(world.org, world.target, user=updater, permission="update")
    client = api_client_for(updater, world.org)
    assert error(client.get(f"/v1/span_iframe/{world.iframe.pk}"))["missing_permission"] == "read"
    assert client.patch(f"/v1/span_iframe/{world.iframe.pk}", {"description": "noted"}).status_code == 200
