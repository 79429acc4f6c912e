"""``/environment-object/...`` and ``environment=`` on ``/v1/prompt`` and ``/v1/function``: the version of a
prompt, function or dataset pinned to each environment, read with read on the object and moved with update
on it."""

import uuid

import pytest

from accounts.models import Environment
from projects.models import EnvironmentObject, EventVersion
from projects.services.environments import environment_object_update
from projects.services.prompts import prompt_update
from tests.assertions import assert_refused_without_writing, error
from tests.factories import DatasetFactory, insert_as_owner, owner_of
from tests.factories_prompts import build_world
from tests.query_helpers import steady_state_queries
from tests.worlds import READERS, UPDATERS

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def built_world(module_db):
    world = build_world()
    first = world.target.xact_id
    prompt_update(actor=owner_of(world.org), prompt=world.target, description="second version")
    world.first, world.second = first, world.target.xact_id
    return world


def _environment(world, slug: str = "production") -> Environment:
    return Environment.objects.get(org=world.org, slug=slug, deleted_at__isnull=True)


def _pin(world, version: int, slug: str = "production", obj=None) -> None:
    environment = _environment(world, slug)
    environment_object_update(actor=owner_of(world.org), environment=environment, obj=obj or world.target, object_version=version)


def _path(world, slug: str = "production", object_type: str = "prompt", obj=None) -> str:
    return f"/environment-object/{object_type}/{(obj or world.target).pk}/{slug}"


# Reading and moving a pin


@pytest.mark.parametrize("who", READERS)
def test_readers_of_the_prompt_read_its_pinned_version(world, who):
    _pin(world, world.first)
    response = world.client(who).get(_path(world))
    assert response.status_code == 200, response.content
    assert response.json() == {"object_version": str(world.first)}


@pytest.mark.parametrize("who", ["no_grant", "outsider"])
def test_callers_who_cannot_see_the_prompt_get_404(world, who):
    _pin(world, world.first)
    assert world.client(who).get(_path(world)).status_code == 404


def test_an_unpinned_object_or_an_unknown_environment_is_404_naming_it(world):
    client = world.client("owner")
    assert "environment object" in error(client.get(_path(world)))["message"]
    for slug in ("qa", "Not A Slug", "x" * 300):
        response = client.get(_path(world, slug))
        assert response.status_code == 404 and "environment" in error(response)["message"]


@pytest.mark.parametrize("who", UPDATERS)
def test_updaters_of_the_prompt_pin_move_and_unpin_it(world, who):
    client = world.client(who)
    assert client.put(_path(world), {"object_version": str(world.first)}).json() == {"object_version": str(world.first)}
    assert client.put(_path(world), {"object_version": str(world.second)}).status_code == 200
    assert client.get(_path(world)).json() == {"object_version": str(world.second)}
    assert client.delete(_path(world)).json() == {"object_version": str(world.second)}
    assert client.get(_path(world)).status_code == 404


def test_a_viewer_reads_a_pin_but_cannot_move_it(world):
    _pin(world, world.first)
    viewer = world.client("viewer")
    for call in (lambda: viewer.put(_path(world), {"object_version": str(world.second)}), lambda: viewer.delete(_path(world))):
        response = assert_refused_without_writing(call, 403)
        assert error(response)["missing_permission"] == "update"
    assert EnvironmentObject.objects.get().object_version == world.first


def test_a_prompt_of_another_organization_is_not_found_even_for_its_pin_there(world):
    theirs = Environment.objects.get(org=world.other_org, slug="production")
    environment_object_update(actor=owner_of(world.other_org), environment=theirs, obj=world.theirs, object_version=world.theirs.xact_id)
    response = world.client("owner").get(_path(world, obj=world.theirs))
    assert response.status_code == 404 and str(world.theirs.pk) in error(response)["message"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/environment-object/experiment/{id}/production", {"object_version": "1"}, "object_type"),
        ("/environment-object/prompt/not-a-uuid/production", {"object_version": "1"}, "object_id"),
        ("/environment-object/prompt/{id}/production", {"object_version": "v1"}, "object_version"),
        ("/environment-object/prompt/{id}/production", {"object_version": 12}, "object_version"),
        ("/environment-object/prompt/{id}/production", {"object_version": "99999999999999999999"}, "object_version"),
        ("/environment-object/prompt/{id}/production", {"object_version": "1\x00"}, "object_version"),
        ("/environment-object/prompt/{id}/production", {}, "object_version"),
        ("/environment-object/prompt/{id}/production", {"object_version": "1", "note": "x"}, "note"),
    ],
)
def test_bad_input_is_a_400_naming_it_and_writes_nothing(world, path, body, field):
    client = world.client("owner")
    response = assert_refused_without_writing(lambda: client.put(path.format(id=world.target.pk), body), 400)
    assert field in error(response)["message"]


def test_a_version_the_prompt_never_had_is_refused_naming_object_version(world):
    client, version = world.client("owner"), str(world.second + 1000)
    response = assert_refused_without_writing(lambda: client.put(_path(world), {"object_version": version}), 400)
    assert "object_version" in error(response)["message"]


def test_a_function_and_its_prompt_share_one_pin(world):
    client = world.client("owner")
    assert client.put(_path(world, object_type="function"), {"object_version": str(world.first)}).status_code == 200
    assert client.get(_path(world)).json() == {"object_version": str(world.first)}
    assert client.get(_path(world, object_type="prompt", obj=world.function)).status_code == 404  # a code function is no prompt


def test_a_dataset_is_pinned_at_a_version_it_has(world):
    dataset = DatasetFactory(project=world.project)
    insert_as_owner(dataset, [{"input": "a"}])
    version = str(EventVersion.objects.get(object_id=dataset.pk).xact_id)
    client = world.client("owner")
    assert client.put(_path(world, "staging", "dataset", dataset), {"object_version": version}).status_code == 200
    assert client.get(_path(world, "staging", "dataset", dataset)).json() == {"object_version": version}


def test_the_pins_of_an_object_are_listed_for_its_readers(world):
    _pin(world, world.first, "staging")
    _pin(world, world.second, "production")
    response = world.client("viewer").get(f"/environment-object/prompt/{world.target.pk}")
    assert [(o["environment_slug"], o["object_version"]) for o in response.json()["objects"]] == [
        ("staging", str(world.first)),
        ("production", str(world.second)),
    ]
    assert world.client("no_grant").get(f"/environment-object/prompt/{world.target.pk}").status_code == 404


def test_the_list_of_pins_costs_the_same_queries_for_one_pin_and_three(world):
    client = world.client("viewer").client
    path = f"/environment-object/prompt/{world.target.pk}"
    _pin(world, world.first, "staging")
    one = steady_state_queries(client, path)
    _pin(world, world.first, "development")
    _pin(world, world.second, "production")
    assert steady_state_queries(client, path) == one


# environment= on /v1/prompt and /v1/function


def test_a_prompt_by_id_with_environment_is_the_pinned_version(world):
    _pin(world, world.first)
    answer = world.client("viewer").get(f"/v1/prompt/{world.target.pk}", {"environment": "production"}).json()
    assert (answer["_xact_id"], answer["description"]) == (str(world.first), "drafts replies")


def test_a_list_with_environment_answers_the_one_matching_prompt_at_its_pinned_version(world):
    _pin(world, world.first)
    params = {"project_id": str(world.project.pk), "slug": "reply-drafter", "environment": "production"}
    for path in ("/v1/prompt", "/v1/function"):
        objects = world.client("object_grant").get(path, params).json()["objects"]
        assert [(o["id"], o["_xact_id"]) for o in objects] == [(str(world.target.pk), str(world.first))]


def test_a_list_with_environment_matching_several_prompts_is_a_400_unless_limited(world):
    _pin(world, world.first)
    client = world.client("owner")
    response = client.get("/v1/prompt", {"environment": "production"})
    assert response.status_code == 400 and "single prompt" in error(response)["message"]
    assert client.get("/v1/prompt", {"environment": "production", "slug": "query-rewriter"}).status_code == 404  # not pinned


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"environment": "staging"}, 404, "pinned to the environment staging"),
        ({"environment": "qa"}, 404, "environment"),
        ({"environment": "production", "version": "1"}, 400, "environment cannot be used together with version"),
    ],
)
def test_environment_without_a_pin_or_unknown_or_with_version_is_refused_naming_it(world, params, status, message):
    _pin(world, world.first)
    response = world.client("owner").get(f"/v1/prompt/{world.target.pk}", params)
    assert response.status_code == status
    assert message in error(response)["message"]


def test_a_pinned_prompt_is_not_found_by_callers_who_cannot_read_it(world):
    _pin(world, world.first)
    missing = uuid.uuid4()
    for path in (f"/v1/prompt/{world.target.pk}", f"/v1/prompt/{missing}"):
        assert world.client("no_grant").get(path, {"environment": "production"}).status_code == 404


def test_a_code_function_is_pinned_and_read_at_its_pinned_version_too(world):
    _pin(world, world.function.xact_id, obj=world.function)
    answer = world.client("owner").get(f"/v1/function/{world.function.pk}", {"environment": "production"}).json()
    assert answer["_xact_id"] == str(world.function.xact_id)
