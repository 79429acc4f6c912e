"""What ``/v1/experiment`` and ``/v1/dataset`` share, for every kind of caller: who lists, reads, creates,
changes and deletes which object, and that a refusal writes nothing. Each test runs for both kinds; what
one kind has alone (experiments' links, datasets' URL slugs, each one's fields) stays in its own module."""

import pytest
from django.utils import timezone

from tests.access_helpers import grant
from tests.api_helpers import ApiClient, api_client_for, revoked_key_client
from tests.assertions import assert_every_call_refused_without_writing, assert_refused_without_writing, error, ids, names, not_found
from tests.factories import add_member
from tests.worlds import READERS, ProjectWorld, project_world

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["experiment", "dataset"])
def world(request) -> ProjectWorld:
    return project_world(request.param)


def _url(world: ProjectWorld, object_id=None) -> str:
    return f"/v1/{world.object_type}" if object_id is None else f"/v1/{world.object_type}/{object_id}"


def _everything(world: ProjectWorld) -> dict:
    """Another object in each project of the organization, and one in the other organization."""
    return {
        "in_p": world.make(name="Also in P"),
        "in_q": world.make(world.other_project, name="In Q"),
        "foreign": world.make(world.foreign_project, name="Foreign"),
    }


# Listing


@pytest.mark.parametrize(
    ("who", "visible"),
    [
        ("owner", {"Target", "Also in P", "In Q"}),
        ("engineer", {"Target", "Also in P", "In Q"}),
        ("viewer", {"Target", "Also in P", "In Q"}),
        ("group_grant", {"Target", "Also in P"}),
        ("nested_group", {"Target", "Also in P"}),
        ("object_grant", {"Target"}),
        ("no_grant", set()),
        ("outsider", {"Foreign"}),
    ],
)
def test_list_shows_exactly_the_objects_the_caller_may_read(world, who, visible):
    _everything(world)
    response = world.client(who).get(_url(world))
    assert response.status_code == 200
    assert names(response) == visible


def test_deleted_objects_and_objects_of_deleted_projects_leave_the_list_and_answer_404(world):
    made = _everything(world)
    made["in_p"].deleted_at = timezone.now()
    made["in_p"].save(update_fields=["deleted_at"])
    world.other_project.deleted_at = timezone.now()
    world.other_project.save(update_fields=["deleted_at"])
    client = world.client("owner")
    assert names(client.get(_url(world))) == {"Target"}
    for gone in (made["in_p"], made["in_q"]):
        assert client.get(_url(world, gone.pk)).json() == not_found(world.object_type, gone.pk)
        assert_refused_without_writing(lambda gone=gone: client.patch(_url(world, gone.pk), {"name": "Back"}), 404)
        assert_refused_without_writing(lambda gone=gone: client.delete(_url(world, gone.pk)), 404)


def test_list_by_ids_does_not_reveal_objects_the_caller_cannot_read(world):
    made = _everything(world)
    response = world.client("object_grant").client.get(_url(world), {"ids": [str(world.target.pk), str(made["in_p"].pk)]})
    assert ids(response) == {str(world.target.pk)}


# Reading one


@pytest.mark.parametrize("who", READERS)
def test_callers_who_may_read_the_object_get_it(world, who):
    response = world.client(who).get(_url(world, world.target.pk))
    assert response.status_code == 200
    assert response.json()["id"] == str(world.target.pk)


def test_object_grant_on_one_object_does_not_reach_another(world):
    other = world.make(name="Other")
    assert world.client("object_grant").get(_url(world, other.pk)).json() == not_found(world.object_type, other.pk)


def test_holder_of_update_only_is_told_it_lacks_read(world):
    updater = add_member(world.org)
    grant(world.org, world.target, user=updater, permission="update")
    response = api_client_for(updater, world.org).get(_url(world, world.target.pk))
    assert response.status_code == 403
    assert error(response)["missing_permission"] == "read"


def test_object_of_another_organization_is_not_found_even_for_an_owner(world):
    theirs = world.make(world.foreign_project)
    assert world.client("owner").get(_url(world, theirs.pk)).json() == not_found(world.object_type, theirs.pk)


# Creating, changing and deleting


@pytest.mark.parametrize(("who", "status"), [("viewer", 403), ("object_grant", 404), ("no_grant", 404), ("outsider", 404)])
def test_callers_who_may_not_create_objects_are_refused_and_nothing_is_written(world, who, status):
    client = world.client(who)
    body = {"project_id": str(world.project.pk), "name": "New"}
    response = assert_refused_without_writing(lambda: client.post(_url(world), body), status)
    if status == 403:
        assert error(response)["missing_permission"] == "create"


@pytest.mark.parametrize("who", ["no_grant", "outsider"])
def test_callers_who_cannot_see_the_object_cannot_update_it(world, who):
    client = world.client(who)
    response = assert_refused_without_writing(lambda: client.patch(_url(world, world.target.pk), {"name": "X"}), 404)
    assert response.json() == not_found(world.object_type, world.target.pk)


def test_object_grant_on_one_object_cannot_update_another(world):
    other = world.make(name="Other")
    client = world.client("object_grant")
    assert_refused_without_writing(lambda: client.patch(_url(world, other.pk), {"name": "X"}), 404)


@pytest.mark.parametrize(("who", "status"), [("viewer", 403), ("object_grant", 403), ("no_grant", 404), ("outsider", 404)])
def test_callers_without_delete_cannot_delete_the_object(world, who, status):
    client = world.client(who)
    response = assert_refused_without_writing(lambda: client.delete(_url(world, world.target.pk)), status)
    if status == 403:
        assert error(response)["missing_permission"] == "delete"


# Credentials


def _every_endpoint(world: ProjectWorld) -> list[tuple[str, str, dict | None]]:
    target = world.target.pk
    return [
        ("get", _url(world), None),
        ("post", _url(world), {"project_id": str(world.project.pk), "name": "X"}),
        ("get", _url(world, target), None),
        ("patch", _url(world, target), {"name": "X"}),
        ("delete", _url(world, target), None),
    ]


def test_every_endpoint_without_a_credential_answers_401_and_writes_nothing(world):
    assert_every_call_refused_without_writing(ApiClient(), _every_endpoint(world), 401)


def test_every_endpoint_with_a_revoked_token_answers_401_and_writes_nothing(world):
    client = revoked_key_client(world.callers["owner"], world.org)
    assert_every_call_refused_without_writing(client, _every_endpoint(world), 401)
