"""The organization every page test runs in, and the cast of people it runs as."""

import pytest

from tests.access_helpers import custom_group, grant
from tests.factories import OrganizationFactory, ProjectFactory
from tests.worlds import people_of


@pytest.fixture
def org():
    return OrganizationFactory(name="Acme")


@pytest.fixture
def annotators(org):
    """A custom group holding nothing until a test grants it something."""
    return custom_group(org, name="Annotators")


@pytest.fixture
def people(org, annotators):
    return people_of(org, annotators)


@pytest.fixture
def project(org):
    return ProjectFactory(org=org, name="support-bot")


@pytest.fixture
def annotators_read_the_project(org, project, annotators):
    """The custom group reads the project, so that its member ("custom") sees the project and no more."""
    grant(org, project, group=annotators, permission="read")
