"""docs/access-model.md, "Creator grants": the owner role on what one creates, while the org setting is on."""

import pytest

from accounts.services.organizations import organization_update
from permissions.engine import permissions_on
from permissions.engine.nodes import Node
from permissions.grants import grant_records
from permissions.services.roles import system_role
from permissions.types import ALL_PERMISSIONS, CRUD_PERMISSIONS
from projects.services import object_create, project_create
from tests.access_helpers import grant
from tests.factories import OrganizationFactory, ProjectFactory, ServiceAccountFactory, add_member, owner_of

pytestmark = pytest.mark.django_db

OBJECT_TYPES = ["experiment", "dataset", "prompt", "prompt_session"]


def _creator_grants(node: Node, user) -> list:
    return grant_records(nodes=[node], user_id=user.pk)


def test_new_organizations_create_direct_ownership_grants_by_default():
    assert OrganizationFactory().create_direct_ownership_grants is True


def test_creating_a_project_grants_the_creator_the_owner_role_on_it():
    org = OrganizationFactory()
    engineer = add_member(org, None, "engineers")
    project = project_create(actor=engineer, org=org, name="mine")
    [record] = _creator_grants(Node.of(project), engineer)
    assert (record.role_id, record.permission, record.restrict_object_type) == (system_role("owner").pk, None, None)
    assert permissions_on(engineer, project) == frozenset(ALL_PERMISSIONS)
    other = ProjectFactory(org=org)
    assert permissions_on(engineer, other) == frozenset(CRUD_PERMISSIONS)


@pytest.mark.parametrize("object_type", OBJECT_TYPES)
def test_creating_an_object_grants_the_creator_the_owner_role_on_it_only(object_type):
    org = OrganizationFactory()
    project = ProjectFactory(org=org)
    creator = add_member(org)
    grant(org, project, user=creator, permission="create", restrict=object_type)
    grant(org, project, user=creator, permission="read")
    obj = object_create(actor=creator, project=project, object_type=object_type, name="mine")
    [record] = _creator_grants(Node.of(obj), creator)
    assert record.role_id == system_role("owner").pk
    assert permissions_on(creator, obj) == frozenset(ALL_PERMISSIONS)
    assert permissions_on(creator, project) == {"read"}


def test_service_account_creator_receives_the_owner_role_too():
    org = OrganizationFactory()
    robot = ServiceAccountFactory(service_account_org=org)
    grant(org, Node("org_project", org.pk), user=robot, permission="create")
    project = project_create(actor=robot, org=org, name="robot's")
    assert permissions_on(robot, project) == frozenset(ALL_PERMISSIONS)


def test_with_the_setting_off_creating_grants_nothing():
    org = OrganizationFactory()
    org = organization_update(actor=owner_of(org), org=org, create_direct_ownership_grants=False)
    engineer = add_member(org, None, "engineers")
    project = project_create(actor=engineer, org=org, name="mine")
    assert _creator_grants(Node.of(project), engineer) == []
    objects = [object_create(actor=engineer, project=project, object_type=t, name=f"mine {t}") for t in OBJECT_TYPES]
    assert grant_records(org_id=org.pk, user_id=engineer.pk) == []
    for obj in [project, *objects]:
        assert permissions_on(engineer, obj) == frozenset(CRUD_PERMISSIONS)


def test_creator_grant_follows_the_stored_setting_even_when_the_caller_holds_an_older_copy():
    org = OrganizationFactory()
    engineer = add_member(org, None, "engineers")
    organization_update(actor=owner_of(org), org=org, create_direct_ownership_grants=False)
    project = project_create(actor=engineer, org=org, name="mine")
    assert _creator_grants(Node.of(project), engineer) == []


def test_turning_the_setting_back_on_grants_again():
    org = OrganizationFactory()
    org = organization_update(actor=owner_of(org), org=org, create_direct_ownership_grants=False)
    org = organization_update(actor=owner_of(org), org=org, create_direct_ownership_grants=True)
    engineer = add_member(org, None, "engineers")
    project = project_create(actor=engineer, org=org, name="mine")
    assert len(_creator_grants(Node.of(project), engineer)) == 1
