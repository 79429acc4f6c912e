"""``/environment``: an organization's environments, read by its members with read on the organization and
changed with Manage settings, at Braintrust's paths outside /v1."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Environment
from accounts.services.environments import environment_create
from tests.assertions import assert_refused_without_writing, error, not_found
from tests.worlds import make_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return make_cast()


def _slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [o["slug"] for o in response.json()["objects"]]


def _id(cast, slug: str) -> uuid.UUID:
    return Environment.objects.get(org=cast.org, slug=slug, deleted_at__isnull=True).pk


@pytest.mark.parametrize("who", ["owner", "engineer", "viewer", "custom", "nested"])
def test_members_who_read_the_organization_list_its_environments_newest_first(cast, who):
    assert _slugs(cast.client(who).get("/environment")) == ["production", "staging", "development"]


def test_the_list_answers_braintrusts_shape(cast):
    production = cast.client("viewer").get("/environment", {"name": "Production"}).json()["objects"]
    assert len(production) == 1
    assert set(production[0]) == {"id", "org_id", "name", "slug", "description", "created", "deleted_at"}
    assert (production[0]["org_id"], production[0]["description"], production[0]["deleted_at"]) == (str(cast.org.pk), None, None)


def test_a_member_without_read_on_the_organization_is_told_read_is_missing(cast):
    response = cast.client("nobody").get("/environment")  # membership shows the organization, nothing more of it
    assert response.status_code == 403 and error(response)["missing_permission"] == "read"


def test_an_outsider_lists_its_own_organizations_environments_and_cannot_read_ours(cast):
    outsider = cast.client("outsider")
    assert {o["org_id"] for o in outsider.get("/environment").json()["objects"]} == {str(cast.other_org.pk)}
    production = _id(cast, "production")
    assert outsider.get(f"/environment/{production}").json() == not_found("environment", production)
    assert outsider.patch(f"/environment/{production}", {"name": "Mine"}).status_code == 404


def test_the_list_filters_by_ids(cast):
    staging = _id(cast, "staging")
    assert _slugs(cast.client("owner").get("/environment", {"ids": str(staging)})) == ["staging"]


def test_the_list_costs_the_same_queries_for_three_environments_and_thirty(cast):
    client = cast.client("viewer")

    def cost() -> int:
        client.get("/environment")
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/environment").status_code == 200
        return len(queries)

    three = cost()
    for n in range(27):
        environment_create(actor=cast.owner, org=cast.org, name=f"Env {n}", slug=f"env-{n}")
    assert cost() == three
    assert len(_slugs(client.get("/environment"))) == 30


@pytest.mark.parametrize("who", ["owner", "custom"])
def test_manage_settings_creates_changes_and_deletes_an_environment(cast, who):
    client = cast.client(who)
    created = client.post("/environment", {"name": "QA", "slug": "qa", "description": "manual checks"})
    assert created.status_code == 200, created.content
    qa = created.json()
    assert (qa["name"], qa["slug"], qa["description"], qa["deleted_at"]) == ("QA", "qa", "manual checks", None)
    changed = client.patch(f"/environment/{qa['id']}", {"name": "Quality", "slug": None})
    assert (changed.json()["name"], changed.json()["slug"]) == ("Quality", "qa")
    deleted = client.delete(f"/environment/{qa['id']}")
    assert deleted.status_code == 200 and deleted.json()["deleted_at"] is not None
    assert client.get(f"/environment/{qa['id']}").json() == not_found("environment", qa["id"])
    assert "qa" not in _slugs(client.get("/environment"))


@pytest.mark.parametrize("who", ["engineer", "viewer"])
def test_readers_are_refused_changes_naming_update(cast, who):
    client, production = cast.client(who), _id(cast, "production")
    for call in (
        lambda: client.post("/environment", {"name": "QA", "slug": "qa"}),
        lambda: client.patch(f"/environment/{production}", {"name": "Prod"}),
        lambda: client.delete(f"/environment/{production}"),
    ):
        response = assert_refused_without_writing(call, 403)
        assert error(response)["missing_permission"] == "update"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"slug": "qa"}, "name"),
        ({"name": "QA"}, "slug"),
        ({"name": "QA", "slug": "Q A"}, "slug"),
        ({"name": "QA", "slug": "staging"}, "staging"),
        ({"name": "QA", "slug": 5}, "slug"),
        ({"name": "x" * 256, "slug": "qa"}, "name"),
        ({"name": "QA", "slug": "qa\x00"}, "slug"),
        ({"name": "QA", "slug": "qa", "color": "red"}, "color"),
        ({"name": "QA", "slug": "qa", "description": ["no"]}, "description"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(cast, body, field):
    response = assert_refused_without_writing(lambda: cast.client("owner").post("/environment", body), 400)
    assert field in error(response)["message"]


def test_a_rename_to_a_taken_slug_is_refused(cast):
    staging = _id(cast, "staging")
    response = assert_refused_without_writing(lambda: cast.client("owner").patch(f"/environment/{staging}", {"slug": "production"}), 400)
    assert "'production' already exists" in error(response)["message"]


def test_an_environment_id_that_is_not_a_uuid_is_a_400(cast):
    response = cast.client("owner").get("/environment/nope")
    assert response.status_code == 400 and "environment_id" in error(response)["message"]
