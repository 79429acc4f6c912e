"""What the experiment and dataset API tests share: a world with one caller of each kind, and helpers."""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Organization, User
from permissions.models import PermissionGroup
from projects.models import Project, ProjectObject
from tests.access_helpers import custom_group, grant_many, nest, row_counts
from tests.api_helpers import ApiClient, api_client_for
from tests.factories import DatasetFactory, ExperimentFactory, OrganizationFactory, ProjectFactory, add_member, owner_of

FACTORIES = {"experiment": ExperimentFactory, "dataset": DatasetFactory}

CREATORS = ("owner", "engineer", "group_grant", "nested_group")
READERS = ("owner", "engineer", "viewer", "group_grant", "nested_group", "object_grant")
UPDATERS = ("owner", "engineer", "group_grant", "nested_group", "object_grant")
DELETERS = ("owner", "engineer", "group_grant", "nested_group")


@dataclass
class ProjectWorld:
    """An organization with two projects, one object (``target``) of the kind under test in the first, one
    caller of each kind, and a second organization with a project of its own.

    ``group_grant`` holds create, read, update and delete on objects of the kind in ``project`` through a
    custom group; ``nested_group`` the same through a group nested in it; ``object_grant`` read and update
    on ``target`` alone.
    """

    object_type: str
    org: Organization
    other_org: Organization
    project: Project
    other_project: Project
    foreign_project: Project
    managers: PermissionGroup
    target: ProjectObject
    callers: dict[str, User]

    def client(self, who: str) -> ApiClient:
        return api_client_for(self.callers[who], self.other_org if who == "outsider" else self.org)

    def make(self, project: Project | None = None, **fields) -> ProjectObject:
        return FACTORIES[self.object_type](project=project or self.project, **fields)


def project_world(object_type: str) -> ProjectWorld:
    org, other_org = OrganizationFactory(), OrganizationFactory()
    project = ProjectFactory(org=org, name="Project P")
    other_project = ProjectFactory(org=org, name="Project Q")
    foreign_project = ProjectFactory(org=other_org, name="Project P")
    managers = custom_group(org, name="Managers")
    grant_many(org, project, ("create", "read", "update", "delete"), group=managers, restrict=object_type)
    inner = custom_group(org, name="Inner")
    nest(managers, inner)
    target = FACTORIES[object_type](project=project, name="Target")
    object_grant = add_member(org)
    grant_many(org, target, ("read", "update"), user=object_grant)
    callers = {
        "owner": owner_of(org),
        "engineer": add_member(org, None, "engineers"),
        "viewer": add_member(org, None, "viewers"),
        "group_grant": add_member(org, None, managers),
        "nested_group": add_member(org, None, inner),
        "object_grant": object_grant,
        "no_grant": add_member(org),
        "outsider": owner_of(other_org),
    }
    return ProjectWorld(object_type, org, other_org, project, other_project, foreign_project, managers, target, callers)


def error(response) -> dict:
    return response.json()["error"]


def not_found(object_type: str, object_id) -> dict:
    return {"error": {"status": 404, "message": f"No {object_type} with id {object_id} was found."}}


def names(response) -> set[str]:
    return {o["name"] for o in response.json()["objects"]}


def ids(response) -> set[str]:
    return {o["id"] for o in response.json()["objects"]}


def assert_refused_without_writing(call: Callable, status: int, message: str | None = None):
    """`call()` answers `status` (its message containing `message`) and leaves every table as it was."""
    before = row_counts()
    response = call()
    assert response.status_code == status, response.content
    if message is not None:
        assert message in error(response)["message"], error(response)
    assert row_counts() == before
    return response


def list_queries(client: ApiClient, path: str, limit: int) -> tuple[int, int]:
    """How many objects one page of `limit` answers, and how many SQL queries it costs."""
    client.get(path, {"limit": limit})  # warm the connection and the content types
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, {"limit": limit})
    assert response.status_code == 200, response.content
    return len(response.json()["objects"]), len(queries)
