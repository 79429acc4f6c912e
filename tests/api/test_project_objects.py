"""What ``/v1/experiment`` and ``/v1/dataset`` share, for every kind of caller: who lists, reads, creates,
changes and deletes which object, and that a refusal writes nothing. Each test runs for both kinds; what
one kind has alone (experiments' links, datasets' URL slugs, each one's fields) stays in its own module."""

import pytest
from django.utils import timezone

from tests.api_helpers import DEAD_CREDENTIALS, crud_calls
from tests.assertions import (
    assert_every_call_refused_without_writing,
    assert_hidden_as_if_missing,
    assert_reads,
    assert_refused_without_writing,
    assert_taken_without_naming,
    error,
    ids,
    names,
    not_found,
)
from tests.worlds import READERS, ProjectWorld, creator_client, listed_for_each_caller, project_world, read_by_a_holder_of_update_alone

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module", params=["experiment", "dataset"])
def built_world(request, module_db) -> ProjectWorld:
    return project_world(request.param)


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
    listed_for_each_caller(
        {"Target", "Also in P", "In Q"}, through_the_group={"Target", "Also in P"}, one_object={"Target"}, outsider={"Foreign"}
    ),
)
def test_list_shows_exactly_the_objects_the_caller_may_read(world, who, visible):
    _everything(world)
    response = world.client(who).get(world.url())
    assert response.status_code == 200
    assert names(response) == visible


def test_deleted_objects_and_objects_of_deleted_projects_leave_the_list_and_answer_404(world):
    made = _everything(world)
    made["in_p"].deleted_at = timezone.now()
    made["in_p"].save(update_fields=["deleted_at"])
    world.other_project.deleted_at = timezone.now()
    world.other_project.save(update_fields=["deleted_at"])
    client = world.client("owner")
    assert names(client.get(world.url())) == {"Target"}
    for gone in (made["in_p"], made["in_q"]):
        assert client.get(world.url(gone.pk)).json() == not_found(world.object_type, gone.pk)
        assert_refused_without_writing(lambda gone=gone: client.patch(world.url(gone.pk), {"name": "Back"}), 404)
        assert_refused_without_writing(lambda gone=gone: client.delete(world.url(gone.pk)), 404)


def test_list_by_ids_does_not_reveal_objects_the_caller_cannot_read(world):
    made = _everything(world)
    response = world.client("object_grant").client.get(world.url(), {"ids": [str(world.target.pk), str(made["in_p"].pk)]})
    assert ids(response) == {str(world.target.pk)}


# Reading one


@pytest.mark.parametrize("who", READERS)
def test_callers_who_may_read_the_object_get_it(world, who):
    assert_reads(world.client(who), world.object_type, world.target.pk)


@pytest.mark.parametrize("who", ["no_grant", "outsider"])
def test_callers_who_cannot_see_the_object_get_the_same_404_as_for_a_missing_id(world, who):
    assert_hidden_as_if_missing(world.client(who), world.object_type, world.target.pk)


def test_object_grant_on_one_object_does_not_reach_another(world):
    other = world.make(name="Other")
    assert world.client("object_grant").get(world.url(other.pk)).json() == not_found(world.object_type, other.pk)


def test_holder_of_update_only_is_told_it_lacks_read(world):
    response = read_by_a_holder_of_update_alone(world)
    assert response.status_code == 403
    assert error(response)["missing_permission"] == "read"


def test_object_of_another_organization_is_not_found_even_for_an_owner(world):
    theirs = world.make(world.foreign_project)
    assert world.client("owner").get(world.url(theirs.pk)).json() == not_found(world.object_type, theirs.pk)


# Creating, changing and deleting


@pytest.mark.parametrize(("who", "status"), [("viewer", 403), ("object_grant", 404), ("no_grant", 404), ("outsider", 404)])
def test_callers_who_may_not_create_objects_are_refused_and_nothing_is_written(world, who, status):
    client = world.client(who)
    body = {"project_id": str(world.project.pk), "name": "New"}
    response = assert_refused_without_writing(lambda: client.post(world.url(), body), status)
    if status == 403:
        assert error(response)["missing_permission"] == "create"


def test_post_with_the_name_of_an_object_the_caller_cannot_read_says_only_that_the_name_is_taken(world):
    client = creator_client(world.org, world.project, world.object_type)
    body = {"project_id": str(world.project.pk), "name": "Target"}
    assert_taken_without_naming(lambda: client.post(world.url(), body), world.target)


@pytest.mark.parametrize("who", ["no_grant", "outsider"])
def test_callers_who_cannot_see_the_object_cannot_update_it(world, who):
    client = world.client(who)
    response = assert_refused_without_writing(lambda: client.patch(world.url(world.target.pk), {"name": "X"}), 404)
    assert response.json() == not_found(world.object_type, world.target.pk)


def test_object_grant_on_one_object_cannot_update_another(world):
    other = world.make(name="Other")
    client = world.client("object_grant")
    assert_refused_without_writing(lambda: client.patch(world.url(other.pk), {"name": "X"}), 404)


@pytest.mark.parametrize(("who", "status"), [("viewer", 403), ("object_grant", 403), ("no_grant", 404), ("outsider", 404)])
def test_callers_without_delete_cannot_delete_the_object(world, who, status):
    client = world.client(who)
    response = assert_refused_without_writing(lambda: client.delete(world.url(world.target.pk)), status)
    if status == 403:
        assert error(response)["missing_permission"] == "delete"


# Credentials


@pytest.mark.parametrize("credential", DEAD_CREDENTIALS)
def test_every_endpoint_answers_401_and_writes_nothing(world, credential):
    calls = crud_calls(world.url(), world.target.pk, {"project_id": str(world.project.pk), "name": "X"})
    client = DEAD_CREDENTIALS[credential](world.callers["owner"], world.org)
    assert_every_call_refused_without_writing(client, calls, 401)
