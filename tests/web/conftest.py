"""The organization every page test runs in, and the cast of people it runs as."""

import pytest

from tests.access_helpers import custom_group
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
