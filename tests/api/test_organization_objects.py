"""What ``/v1/group`` and ``/v1/role`` share, for every kind of caller: who reads, creates, changes and
deletes the organization's groups and roles, and that a refusal writes nothing. Each test runs for both;
what one has alone (members and nesting, permission pairs and system roles, each one's fields) stays in
its own module."""

import pytest

from tests.api_helpers import DEAD_CREDENTIALS, crud_calls
from tests.assertions import (
    assert_every_call_refused_without_writing,
    assert_hidden_as_if_missing,
    assert_reads,
    assert_refused_without_writing,
    error,
    not_found,
)
from tests.worlds import READERS, OrganizationObjectWorld, organization_object_world, read_by_a_holder_of_update_alone

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module", params=["group", "role"])
def built_world(request, module_db) -> OrganizationObjectWorld:
    return organization_object_world(request.param)


# Reading one


@pytest.mark.parametrize("who", READERS)
def test_callers_who_may_read_it_get_it(world, who):
    assert_reads(world.client(who), world.object_type, world.target.pk)


@pytest.mark.parametrize("who", ["no_grant", "outsider"])
def test_callers_who_cannot_see_it_get_the_same_404_as_for_a_missing_id(world, who):
    assert_hidden_as_if_missing(world.client(who), world.object_type, world.target.pk)


def test_holder_of_update_only_is_told_it_lacks_read(world):
    response = read_by_a_holder_of_update_alone(world)
    assert response.status_code == 403
    assert error(response)["missing_permission"] == "read"


def test_an_id_that_is_not_a_uuid_answers_400(world):
    response = world.client("owner").get(world.url("not-a-uuid"))
    assert response.status_code == 400
    assert f"{world.object_type}_id must be a UUID" in error(response)["message"]


# Creating, changing and deleting


@pytest.mark.parametrize(("who", "status"), [("engineer", 403), ("viewer", 403), ("object_grant", 403), ("no_grant", 403)])
def test_callers_who_may_not_create_are_refused_and_nothing_is_written(world, who, status):
    client = world.client(who)
    assert_refused_without_writing(lambda: client.post(world.url(), {"name": "New"}), status)
    if status == 403:
        assert error(client.post(world.url(), {"name": "New"}))["missing_permission"] == "create"


def test_put_by_a_member_with_no_grant_is_refused_and_writes_nothing(world):
    # Membership makes the organization visible, so creating in it is refused (403), not "not found".
    client = world.client("no_grant")
    assert_refused_without_writing(lambda: client.put(world.url(), {"name": "Target"}), 403)
    assert_refused_without_writing(lambda: client.put(world.url(), {"name": "Brand new"}), 403)


@pytest.mark.parametrize("who", ["engineer", "viewer"])
def test_readers_cannot_update_it(world, who):
    client = world.client(who)
    assert_refused_without_writing(lambda: client.patch(world.url(world.target.pk), {"name": "X"}), 403)
    assert error(client.patch(world.url(world.target.pk), {"name": "X"}))["missing_permission"] == "update"


@pytest.mark.parametrize("who", ["no_grant", "outsider"])
def test_callers_who_cannot_see_it_cannot_update_it(world, who):
    client = world.client(who)
    assert_refused_without_writing(lambda: client.patch(world.url(world.target.pk), {"name": "X"}), 404)
    assert client.patch(world.url(world.target.pk), {"name": "X"}).json() == not_found(world.object_type, world.target.pk)


@pytest.mark.parametrize(
    ("who", "status"), [("engineer", 403), ("viewer", 403), ("object_grant", 403), ("no_grant", 404), ("outsider", 404)]
)
def test_callers_without_delete_cannot_delete_it(world, who, status):
    client = world.client(who)
    assert_refused_without_writing(lambda: client.delete(world.url(world.target.pk)), status)
    if status == 403:
        assert error(client.delete(world.url(world.target.pk)))["missing_permission"] == "delete"


# Credentials


@pytest.mark.parametrize("credential", DEAD_CREDENTIALS)
def test_every_endpoint_answers_401_and_writes_nothing(world, credential):
    client = DEAD_CREDENTIALS[credential](world.callers["owner"], world.org)
    assert_every_call_refused_without_writing(client, crud_calls(world.url(), world.target.pk, {"name": "X"}, {"name": "X"}), 401)
