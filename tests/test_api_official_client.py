"""Braintrust's official Python client (``braintrust-api``) driving the main flows against a live server.

The server runs in a thread on a real socket (pytest-django's ``live_server``), so these tests exercise
exactly what a team pointing its existing automation at this server would.
"""

import braintrust_api
import pytest
from braintrust_api import Braintrust

from accounts.services.credentials import api_key_create, service_account_create, service_token_create
from permissions.engine import Node, can
from tests.factories import OrganizationFactory, ProjectFactory, add_member, builtin_group, owner_of

pytestmark = pytest.mark.django_db(transaction=True)


def client_for(live_server, user, org) -> Braintrust:
    _, raw = api_key_create(actor=user, org=org, name="client")
    return Braintrust(api_key=raw, base_url=live_server.url, max_retries=0)


@pytest.fixture
def org():
    return OrganizationFactory()


def test_owner_grants_reads_and_revokes_an_acl_with_the_official_client(live_server, org):
    owner = owner_of(org)
    viewer = add_member(org, None, "viewers")
    project = ProjectFactory(org=org)
    client = client_for(live_server, owner, org)

    acl = client.acls.create(object_type="project", object_id=str(project.pk), user_id=str(viewer.pk), permission="update")
    assert acl.permission == "update" and acl.user_id == str(viewer.pk)
    assert can(viewer, "update", project)
    again = client.acls.create(object_type="project", object_id=str(project.pk), user_id=str(viewer.pk), permission="update")
    assert again.id == acl.id

    listed = [item.id for item in client.acls.list(object_type="project", object_id=str(project.pk))]
    assert acl.id in listed
    assert client.acls.retrieve(acl.id).id == acl.id

    client.acls.delete(acl.id)
    assert not can(viewer, "update", project)


def test_batch_update_and_find_and_delete_with_the_official_client(live_server, org):
    owner = owner_of(org)
    engineers = builtin_group(org, "engineers")
    project = ProjectFactory(org=org)
    client = client_for(live_server, owner, org)
    item = {"object_type": "project", "object_id": str(project.pk), "group_id": str(engineers.pk), "permission": "create_acls"}

    result = client.acls.batch_update(add_acls=[item])
    assert [a.permission for a in result.added_acls] == ["create_acls"]

    removed = client.acls.find_and_delete(**item)
    assert removed.permission == "create_acls"
    assert client.acls.batch_update(remove_acls=[item]).removed_acls == []


def test_auto_pagination_walks_every_acl_of_a_node(live_server, org):
    owner = owner_of(org)
    project = ProjectFactory(org=org)
    people = [add_member(org) for _ in range(5)]
    client = client_for(live_server, owner, org)
    for person in people:
        client.acls.create(object_type="project", object_id=str(project.pk), user_id=str(person.pk), permission="read")

    seen = [acl.user_id for acl in client.acls.list(object_type="project", object_id=str(project.pk), limit=2)]
    assert {str(p.pk) for p in people} <= set(seen)
    assert len(seen) == len(set(seen))


def test_the_client_sees_404_403_and_401_as_its_own_errors(live_server, org):
    owner = owner_of(org)
    viewer = add_member(org, None, "viewers")
    project = ProjectFactory(org=org)
    other_project = ProjectFactory(org=OrganizationFactory())

    with pytest.raises(braintrust_api.NotFoundError):
        client_for(live_server, owner, org).acls.list(object_type="project", object_id=str(other_project.pk))
    with pytest.raises(braintrust_api.PermissionDeniedError) as denied:
        client_for(live_server, viewer, org).acls.create(
            object_type="project", object_id=str(project.pk), user_id=str(viewer.pk), permission="update"
        )
    assert "create_acls" in str(denied.value)
    with pytest.raises(braintrust_api.AuthenticationError):
        Braintrust(api_key="sk-wrong", base_url=live_server.url, max_retries=0).acls.list(object_type="project", object_id=str(project.pk))


def test_a_service_token_acts_with_exactly_its_accounts_grants(live_server, org):
    owner = owner_of(org)
    project = ProjectFactory(org=org)
    robot = service_account_create(actor=owner, org=org, name="logger")
    _, raw = service_token_create(actor=owner, org=org, account_id=robot.pk, name="t")
    robot_client = Braintrust(api_key=raw, base_url=live_server.url, max_retries=0)
    owner_client = client_for(live_server, owner, org)

    with pytest.raises(braintrust_api.NotFoundError):
        robot_client.acls.list(object_type="project", object_id=str(project.pk))
    owner_client.acls.create(object_type="project", object_id=str(project.pk), user_id=str(robot.pk), permission="read_acls")
    assert robot_client.acls.list(object_type="project", object_id=str(project.pk)).objects
    assert can(robot, "read_acls", Node("project", project.pk))
