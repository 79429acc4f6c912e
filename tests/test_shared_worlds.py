"""A world built once per module: each test sees it exactly as built, in the database and in memory,
whatever the tests before it wrote (tests/shared_worlds.py). The tests run in this order, in one module."""

import pytest

from accounts.models import Organization
from projects.models import Project
from tests.factories import OrganizationFactory, ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def built_world(module_db):
    org = OrganizationFactory(name="As built")
    return {"org": org, "project": ProjectFactory(org=org, name="first")}


def test_a_test_changes_the_world_in_the_database_and_in_memory(world):
    Organization.objects.filter(pk=world["org"].pk).update(name="Changed")
    world["org"].name = "Changed"
    world["project"].delete()
    ProjectFactory(org=world["org"], name="second")
    assert set(Project.objects.filter(org=world["org"]).values_list("name", flat=True)) == {"second"}


def test_the_next_test_sees_the_world_as_built(world):
    assert world["org"].name == "As built"
    assert Organization.objects.get(pk=world["org"].pk).name == "As built"
    assert set(Project.objects.filter(org=world["org"]).values_list("name", flat=True)) == {"first"}


def test_each_test_gets_its_own_copy_of_the_objects(world, built_world):
    assert world["org"] is not built_world["org"]
    assert world["org"].pk == built_world["org"].pk
