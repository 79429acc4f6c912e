"""Fixtures shared by the /v1 tests."""

import pytest

from tests.factories import ExperimentFactory, OrganizationFactory, ProjectFactory, owner_of


@pytest.fixture
def experiment_world():
    """A new organization, its project "Support bot" with the experiment "baseline" in it, and its owner, as
    ``(org, project, experiment, owner)``: the object the questions about access (who can, who could) ask
    about."""
    org = OrganizationFactory()
    project = ProjectFactory(org=org, name="Support bot")
    experiment = ExperimentFactory(project=project, name="baseline")
    return org, project, experiment, owner_of(org)
