"""The unrestricted twins of ``benchmarks.urls`` differ from the real list views only by the engine's restriction.

``manage.py bench_api`` times ``GET /v1/project`` and ``GET /v1/experiment`` against these twins; the ratio
it prints means something only if the twins do the same work minus the restriction: the same
authentication, the same organization scoping, the same filters, pagination and shapes.
"""

import pytest

from api.experiments import ExperimentCollectionView
from api.projects import ProjectCollectionView
from benchmarks.urls import UNRESTRICTED_PREFIX, UnrestrictedExperimentListView, UnrestrictedProjectListView, WithoutRestriction
from tests.access_helpers import grant
from tests.api_helpers import ApiClient, api_client_for
from tests.factories import ExperimentFactory, OrganizationFactory, ProjectFactory, add_member, owner_of

pytestmark = [pytest.mark.django_db, pytest.mark.urls("benchmarks.urls")]


@pytest.fixture
def world():
    """An organization with two readable and two hidden projects (an experiment in each), and another organization."""
    org, other_org = OrganizationFactory(), OrganizationFactory()
    readable = [ProjectFactory(org=org, name=f"readable-{i}") for i in range(2)]
    hidden = [ProjectFactory(org=org, name=f"hidden-{i}") for i in range(2)]
    theirs = ProjectFactory(org=other_org, name="theirs")
    for project in [*readable, *hidden, theirs]:
        ExperimentFactory(project=project, name=f"experiment-of-{project.name}")
    caller = add_member(org)
    for project in readable:
        grant(org, project, user=caller, permission="read")
    return {"org": org, "other_org": other_org, "caller": caller, "readable": readable, "hidden": hidden}


def _names(client: ApiClient, path: str, params: dict | None = None) -> set[str]:
    response = client.get(path, params)
    assert response.status_code == 200, response.content
    return {row["name"] for row in response.json()["objects"]}


def test_twins_override_only_the_restriction():
    assert {name for name in vars(WithoutRestriction) if not name.startswith("__")} == {"visible_queryset"}
    assert UnrestrictedProjectListView.__mro__[2:] == ProjectCollectionView.__mro__
    assert UnrestrictedExperimentListView.__mro__[2:] == ExperimentCollectionView.__mro__
    for twin in (UnrestrictedProjectListView, UnrestrictedExperimentListView):
        assert {name for name in vars(twin) if not name.startswith("__")} == set()


def test_real_project_list_shows_what_the_caller_reads_and_the_twin_all_of_the_organizations(world):
    client = api_client_for(world["caller"], world["org"])
    assert _names(client, "/v1/project") == {"readable-0", "readable-1"}
    assert _names(client, f"{UNRESTRICTED_PREFIX}project") == {"readable-0", "readable-1", "hidden-0", "hidden-1"}


def test_real_experiment_list_shows_what_the_caller_reads_and_the_twin_all_of_the_organizations(world):
    client = api_client_for(world["caller"], world["org"])
    readable = {f"experiment-of-readable-{i}" for i in range(2)}
    assert _names(client, "/v1/experiment") == readable
    assert _names(client, f"{UNRESTRICTED_PREFIX}experiment") == readable | {f"experiment-of-hidden-{i}" for i in range(2)}


@pytest.mark.parametrize("endpoint", ["project", "experiment"])
def test_twin_never_lists_another_organizations_rows(world, endpoint):
    client = api_client_for(owner_of(world["other_org"]), world["other_org"])
    expected = {"theirs"} if endpoint == "project" else {"experiment-of-theirs"}
    assert _names(client, f"/v1/{endpoint}") == expected
    assert _names(client, f"{UNRESTRICTED_PREFIX}{endpoint}") == expected
    # Naming the other organization is refused alike: a credential acts in its own organization only.
    caller = api_client_for(world["caller"], world["org"])
    for path in (f"/v1/{endpoint}", f"{UNRESTRICTED_PREFIX}{endpoint}"):
        response = caller.get(path, {"org_name": world["other_org"].name})
        assert response.status_code == 400, response.content


@pytest.mark.parametrize("endpoint", ["project", "experiment"])
def test_twin_answers_a_caller_who_reads_everything_exactly_as_the_real_view(world, endpoint):
    client = api_client_for(owner_of(world["org"]), world["org"])
    for params in ({"limit": 3}, {"limit": 2, "project_name": "hidden-1"}, {}):
        real, twin = client.get(f"/v1/{endpoint}", params), client.get(f"{UNRESTRICTED_PREFIX}{endpoint}", params)
        assert real.status_code == twin.status_code == 200
        assert real.json() == twin.json()
        assert real.json()["objects"]


@pytest.mark.parametrize("endpoint", ["project", "experiment"])
def test_twin_authenticates_like_the_real_view(world, endpoint):
    for client in (ApiClient(), ApiClient("bt-not-a-key")):
        real, twin = client.get(f"/v1/{endpoint}"), client.get(f"{UNRESTRICTED_PREFIX}{endpoint}")
        assert real.status_code == twin.status_code == 401
        assert real.json() == twin.json()
