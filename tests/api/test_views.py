"""``/v1/view``: saved views, read with read on their object and written with update on it; get or create by
name, replace, deep-merging patches, deletes with a body, bad input, deleted objects, other organizations,
the published shapes, the database's uniqueness rule and the list's query count."""

from dataclasses import dataclass

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Organization, User
from permissions.engine import Node
from permissions.models import AuditEvent, Role
from projects.models import Experiment, Project, View
from tests.access_helpers import custom_group, custom_role, grant, grant_many
from tests.api_helpers import ApiClient, api_client_for
from tests.assertions import assert_refused_without_writing, error
from tests.factories import ExperimentFactory, OrganizationFactory, ProjectFactory, add_member, objects_in, owner_of
from tests.factories_configuration import ViewFactory
from tests.query_helpers import assert_one_and_thirty_cost_the_same

pytestmark = pytest.mark.django_db

VIEW_FIELDS = {"id", "object_type", "object_id", "view_type", "name", "created", "view_data", "options", "user_id", "deleted_at"}
SEARCH = {"search": {"filter": [{"field": "scores", "name": "accuracy", "min": 0.5}], "tag": ["production"]}}


@dataclass
class World:
    org: Organization
    other_org: Organization
    project: Project
    experiment: Experiment
    theirs: Project
    production: View  # a logs view of the project's logs
    callers: dict[str, User]

    clients: dict[str, ApiClient]  # each caller's, made with the world: a refused call writes no key

    def client(self, who: str) -> ApiClient:
        return self.clients[who]

    def logs(self, **extra) -> dict:
        return {"object_type": "project_log", "object_id": str(self.project.pk), **extra}


@pytest.fixture(scope="module")
def built_world(module_db) -> World:
    org, other_org = OrganizationFactory(), OrganizationFactory()
    project, theirs = ProjectFactory(org=org, name="P"), ProjectFactory(org=other_org, name="Theirs")
    experiment = ExperimentFactory(project=project, name="E")
    logs = Node("project_log", project.pk)
    logs_reader, logs_writer = add_member(org), add_member(org)
    grant(org, logs, user=logs_reader, permission="read")
    grant_many(org, logs, ("read", "update"), user=logs_writer)
    experiment_reader = add_member(org)
    grant(org, experiment, user=experiment_reader, permission="read")
    callers = {
        "owner": owner_of(org),
        "engineer": add_member(org, None, "engineers"),
        "viewer": add_member(org, None, "viewers"),
        "logs_reader": logs_reader,
        "logs_writer": logs_writer,
        "experiment_reader": experiment_reader,
        "no_grant": add_member(org),
        "outsider": owner_of(other_org),
    }
    production = ViewFactory(project=project, name="Production", view_data=SEARCH)
    ViewFactory(project=theirs, name="Their view")
    clients = {who: api_client_for(user, other_org if who == "outsider" else org) for who, user in callers.items()}
    return World(org, other_org, project, experiment, theirs, production, callers, clients)


def views_state() -> dict:
    return {"views": {str(v["id"]): v for v in View.objects.values()}, "events": AuditEvent.objects.count()}


def refused(call, status: int, message: str | None = None):
    return assert_refused_without_writing(call, status, message, also_unchanged=[views_state])


def listed(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["name"] for row in response.json()["objects"]}


# Shapes


def test_a_view_answers_braintrusts_fields(world):
    response = world.client("viewer").get(f"/v1/view/{world.production.pk}", world.logs())
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == VIEW_FIELDS
    assert {key: body[key] for key in ("object_type", "object_id", "view_type", "name", "view_data", "options", "deleted_at")} == {
        "object_type": "project_log",
        "object_id": str(world.project.pk),
        "view_type": "logs",
        "name": "Production",
        "view_data": SEARCH,
        "options": None,
        "deleted_at": None,
    }


def test_published_schema_has_the_view_shapes_and_operations():
    schema = ApiClient().get("/v1/openapi.json", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    assert set(components["View"]["properties"]) == VIEW_FIELDS
    assert set(components["CreateView"]["required"]) == {"object_type", "object_id", "view_type", "name"}
    assert set(components["PatchView"]["required"]) == {"object_type", "object_id"}
    assert set(components["DeleteView"]["properties"]) == set(components["DeleteView"]["required"]) == {"object_type", "object_id"}
    assert "logs" in components["ViewType"]["enum"]
    collection = {method: op["operationId"] for method, op in schema["paths"]["/v1/view"].items()}
    assert collection == {"get": "getView", "post": "postView", "put": "putView"}
    detail = {method: op["operationId"] for method, op in schema["paths"]["/v1/view/{view_id}"].items()}
    assert detail == {"get": "getViewId", "patch": "patchViewId", "delete": "deleteViewId"}
    required = {p["name"] for p in schema["paths"]["/v1/view"]["get"]["parameters"] if p.get("required")}
    assert required == {"object_type", "object_id"}
    assert "requestBody" in schema["paths"]["/v1/view/{view_id}"]["delete"]


# Reading


@pytest.mark.parametrize("who", ["owner", "engineer", "viewer", "logs_reader", "logs_writer"])
def test_whoever_reads_the_logs_lists_and_gets_their_views(world, who):
    client = world.client(who)
    assert listed(client.get("/v1/view", world.logs())) == {"Production"}
    assert client.get(f"/v1/view/{world.production.pk}", world.logs()).status_code == 200


@pytest.mark.parametrize("who", ["no_grant", "experiment_reader", "outsider"])
def test_whoever_sees_nothing_of_the_logs_is_told_they_do_not_exist(world, who):
    client = world.client(who)
    assert client.get("/v1/view", world.logs()).status_code == 404
    response = client.get(f"/v1/view/{world.production.pk}", world.logs())
    assert response.status_code == 404
    assert error(response)["message"] == f"No view with id {world.production.pk} was found."


def test_holder_of_update_alone_is_refused_naming_read(world):
    updater = add_member(world.org)
    grant(world.org, Node("project_log", world.project.pk), user=updater, permission="update")
    response = api_client_for(updater, world.org).get("/v1/view", world.logs())
    assert response.status_code == 403
    assert "read" in error(response)["message"]


def test_list_filters_by_view_type_name_and_ids(world):
    ViewFactory(project=world.project, name="Staging")
    ViewFactory(project=world.project, name="Production", view_type="monitor")
    ViewFactory(org=world.org, object_type="project", object_id=world.project.pk, view_type="experiments", name="Elsewhere")
    client = world.client("viewer")
    assert listed(client.get("/v1/view", world.logs())) == {"Production", "Staging"}
    assert len(client.get("/v1/view", world.logs()).json()["objects"]) == 3
    assert listed(client.get("/v1/view", world.logs(view_type="monitor"))) == {"Production"}
    assert listed(client.get("/v1/view", world.logs(view_name="Staging"))) == {"Staging"}
    assert listed(client.get("/v1/view", world.logs(ids=str(world.production.pk)))) == {"Production"}
    assert listed(client.get("/v1/view", {"object_type": "project", "object_id": str(world.project.pk)})) == {"Elsewhere"}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "object_type is required."),
        ({"object_type": "project_log"}, "object_id is required."),
        ({"object_type": "table", "object_id": "00000000-0000-4000-8000-000000000000"}, "object_type must be one of"),
        ({"object_type": "project_log", "object_id": "nope"}, "object_id must be a UUID"),
        ({"view_type": "charts"}, "view_type must be one of"),
    ],
)
def test_list_refuses_bad_parameters_naming_them(world, params, message):
    query = {**world.logs(), **params} if "view_type" in params else params
    response = world.client("owner").get("/v1/view", query)
    assert response.status_code == 400
    assert message in error(response)["message"]


def test_get_by_id_needs_the_object_the_view_belongs_to(world):
    client = world.client("owner")
    assert client.get(f"/v1/view/{world.production.pk}").status_code == 400
    other = {"object_type": "project", "object_id": str(world.project.pk)}
    assert client.get(f"/v1/view/{world.production.pk}", other).status_code == 404


def test_views_of_a_deleted_project_are_gone(world):
    Project.objects.filter(pk=world.project.pk).update(deleted_at=timezone.now())
    client = world.client("owner")
    assert client.get("/v1/view", world.logs()).status_code == 404
    assert client.get(f"/v1/view/{world.production.pk}", world.logs()).status_code == 404
    refused(lambda: client.post("/v1/view", world.logs(name="New", view_type="logs")), 404)


# Creating and replacing


def _nodes_of_every_type(world) -> dict[str, str]:
    """An id of a live node of each object type in the world's organization."""
    org, project = world.org.pk, world.project.pk
    objects = objects_in(world.project)
    return {
        **{object_type: org for object_type in ("organization", "org_member", "org_audit_logs", "org_project")},
        "project": project,
        "project_log": project,
        **{object_type: obj.pk for object_type, obj in objects.items()},
        "group": custom_group(world.org).pk,
        "role": custom_role(world.org, "Reviewer").pk,
    }


def test_an_owner_saves_and_lists_views_of_a_node_of_every_type(world):
    client = world.client("owner")
    for object_type, object_id in _nodes_of_every_type(world).items():
        node = {"object_type": object_type, "object_id": str(object_id)}
        response = client.post("/v1/view", {**node, "name": f"Of {object_type}", "view_type": None})
        assert response.status_code == 200, (object_type, response.content)
        assert f"Of {object_type}" in listed(client.get("/v1/view", node)), object_type


def test_a_view_of_a_system_role_is_not_found(world):
    system_role = Role.objects.filter(org__isnull=True).first()
    body = {"object_type": "role", "object_id": str(system_role.pk), "name": "Mine", "view_type": None}
    refused(lambda: world.client("owner").post("/v1/view", body), 404)


@pytest.mark.parametrize("who", ["owner", "engineer", "logs_writer"])
def test_whoever_may_update_the_logs_saves_a_view_with_one_audit_event(world, who):
    response = world.client(who).post("/v1/view", world.logs(name="Errors", view_type="logs", view_data=SEARCH))
    assert response.status_code == 200, response.content
    body = response.json()
    view = View.objects.get(pk=body["id"])
    assert (view.name, view.view_data, view.org_id, body["user_id"]) == ("Errors", SEARCH, world.org.pk, str(world.callers[who].pk))
    assert list(AuditEvent.objects.filter(target_id=body["id"]).values_list("action", flat=True)) == ["view.create"]


@pytest.mark.parametrize(("who", "status"), [("viewer", 403), ("logs_reader", 403), ("no_grant", 404), ("outsider", 404)])
def test_saving_a_view_needs_update_on_its_object(world, who, status):
    response = refused(lambda: world.client(who).post("/v1/view", world.logs(name="Errors", view_type="logs")), status)
    if status == 403:
        assert "update" in error(response)["message"]


def test_post_answers_an_existing_view_unmodified_to_a_reader(world):
    response = refused(lambda: world.client("viewer").post("/v1/view", world.logs(name="Production", view_type="logs")), 200)
    assert (response.json()["id"], response.json()["view_data"]) == (str(world.production.pk), SEARCH)


def test_the_same_name_with_another_view_type_is_another_view(world):
    response = world.client("owner").post("/v1/view", world.logs(name="Production", view_type="monitor"))
    assert response.status_code == 200
    assert response.json()["id"] != str(world.production.pk)
    assert View.objects.filter(name="Production", object_id=world.project.pk).count() == 2


def test_put_replaces_the_definition_of_the_view_with_that_name(world):
    replaced = {"search": {"tag": ["staging"]}}
    response = world.client("logs_writer").put("/v1/view", world.logs(name="Production", view_type="logs", view_data=replaced))
    assert response.status_code == 200, response.content
    assert response.json()["id"] == str(world.production.pk)
    world.production.refresh_from_db()
    assert world.production.view_data == replaced
    assert AuditEvent.objects.filter(action="view.update", target_id=str(world.production.pk)).count() == 1


def test_put_by_a_reader_is_refused_naming_update(world):
    refused(lambda: world.client("viewer").put("/v1/view", world.logs(name="Production", view_type="logs", view_data={})), 403, "update")


# Changing and deleting


def test_patch_deep_merges_the_definition_and_options(world):
    View.objects.filter(pk=world.production.pk).update(options={"columnVisibility": {"input": True}, "layout": "list"})
    body = world.logs(view_data={"search": {"tag": ["staging"]}}, options={"columnVisibility": {"output": False}}, name="Prod")
    response = world.client("logs_writer").patch(f"/v1/view/{world.production.pk}", body)
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["name"] == "Prod"
    assert answer["view_data"] == {"search": {**SEARCH["search"], "tag": ["staging"]}}
    assert answer["options"] == {"columnVisibility": {"input": True, "output": False}, "layout": "list"}


def test_patch_by_a_reader_is_refused_naming_update(world):
    refused(lambda: world.client("logs_reader").patch(f"/v1/view/{world.production.pk}", world.logs(name="X")), 403, "update")


def test_renaming_onto_another_views_name_is_refused(world):
    ViewFactory(project=world.project, name="Staging")
    refused(lambda: world.client("owner").patch(f"/v1/view/{world.production.pk}", world.logs(name="Staging")), 400, "already exists")


def test_delete_takes_the_object_in_its_body_and_answers_the_deleted_view(world):
    client = world.client("logs_writer")
    refused(lambda: client.delete(f"/v1/view/{world.production.pk}"), 400, "object_type: This field is required.")
    response = client.delete(f"/v1/view/{world.production.pk}", world.logs())
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Production" and response.json()["deleted_at"]
    assert not View.objects.filter(pk=world.production.pk).exists()
    assert AuditEvent.objects.filter(action="view.delete", target_id=str(world.production.pk)).count() == 1


def test_delete_by_a_reader_is_refused_naming_update(world):
    refused(lambda: world.client("viewer").delete(f"/v1/view/{world.production.pk}", world.logs()), 403, "update")


# Bad input

BAD_BODIES = [
    ({"object_type": None}, "object_type"),
    ({"object_type": "widget"}, "object_type"),
    ({"object_id": 5}, "object_id"),
    ({"object_id": "not-a-uuid"}, "object_id"),
    ({"view_type": "charts"}, "view_type"),
    ({"view_type": ["logs"]}, "view_type"),
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": 5}, "name"),
    ({"name": "x" * 256}, "name"),
    ({"colour": "red"}, "colour: Unknown field."),
    ({"view_data": []}, "view_data: must be an object."),
    ({"view_data": {"search": {"filter": "scores.x > 1"}}}, "view_data.search.filter: must be a list."),
    ({"view_data": {"columns": []}}, "view_data: unknown field 'columns'"),
    ({"options": "wide"}, "options: must be an object or null."),
    ({"options": {"columnOrder": [1]}}, "options.columnOrder[0]: must be a string."),
    ({"options": {"columnSizing": {"input": "wide"}}}, "options.columnSizing.input: must be a number."),
    ({"options": {"viewType": "monitor"}}, "options.options: is required."),
    ({"options": {"viewType": "table", "options": {}}}, "options.viewType: must be one of monitor"),
    ({"options": {"queryShape": "rows"}}, "options.queryShape"),
    ({"options": {"timeRangeFilter": 3}}, "options.timeRangeFilter"),
    ({"options": {"yMetric": {"type": "score"}}}, "options.yMetric.value: is required."),
]


@pytest.mark.parametrize(("change", "message"), BAD_BODIES)
@pytest.mark.parametrize("method", ["post", "put"])
def test_bad_bodies_are_refused_naming_the_field(world, method, change, message):
    body = {**world.logs(name="New", view_type="logs"), **change}
    refused(lambda: getattr(world.client("owner"), method)("/v1/view", body), 400, message)


@pytest.mark.parametrize(
    ("change", "message"),
    [({"name": ""}, "name"), ({"options": {"layout": 1}}, "options.layout: must be a string."), ({"extra": 1}, "extra: Unknown field.")],
)
def test_bad_patches_are_refused_naming_the_field(world, change, message):
    refused(lambda: world.client("owner").patch(f"/v1/view/{world.production.pk}", world.logs(**change)), 400, message)


def test_a_view_of_another_organizations_object_is_not_found(world):
    body = {"object_type": "project", "object_id": str(world.theirs.pk), "name": "Mine", "view_type": "logs"}
    refused(lambda: world.client("owner").post("/v1/view", body), 404)


# The database and the list's cost


def test_the_database_refuses_two_views_of_one_name_type_and_object(world):
    for view_type in ("logs", None):
        ViewFactory(project=world.project, name="Twin", view_type=view_type)
        with pytest.raises(IntegrityError), transaction.atomic():
            ViewFactory(project=world.project, name="Twin", view_type=view_type)


def test_a_page_of_one_view_and_of_thirty_cost_the_same(world):
    ViewFactory.create_batch(30, project=world.project)
    users = [world.callers[who] for who in ("owner", "viewer", "logs_reader")]
    assert_one_and_thirty_cost_the_same("/v1/view", world.org, users, at_most=8, **world.logs())
