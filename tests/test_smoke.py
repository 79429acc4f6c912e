import pytest

from permissions.engine import can, permissions_on
from projects.services import object_create, project_create
from tests.factories import OrganizationFactory, add_member, owner_of


@pytest.mark.django_db
def test_engineer_reads_experiment_created_by_owner():
    org = OrganizationFactory()
    engineer = add_member(org, None, "engineers")
    project = project_create(actor=owner_of(org), org=org, name="p")
    experiment = object_create(actor=owner_of(org), project=project, object_type="experiment", name="e")
    assert can(engineer, "read", experiment)
    assert "create_acls" not in permissions_on(engineer, experiment)
