"""``/v1/env_var``: variables of an organization, a project and a function, each read and changed with its
object's permissions; lists restricted in the database; values never answered; bad input; query counts."""

from dataclasses import dataclass

import pytest

from accounts.models import Organization, User
from permissions.models import AuditEvent
from projects.models import Project, Prompt
from secrets_store import crypto
from secrets_store.models import EnvVar
from tests.access_helpers import grant_many
from tests.api_helpers import ApiClient, api_client_for
from tests.assertions import assert_refused_without_writing, error, names, not_found
from tests.factories import OrganizationFactory, ProjectFactory, PromptFactory, add_member, owner_of
from tests.factories_secrets import EnvVarFactory
from tests.query_helpers import assert_one_and_thirty_cost_the_same

pytestmark = pytest.mark.django_db

FIELDS = {
    "id",
    "object_type",
    "object_id",
    "name",
    "created",
    "secret_updated_at",
    "secret_updated_by_user_id",
    "used",
    "metadata",
    "preview_secret",
    "secret_type",
    "secret_category",
}
NOWHERE = "00000000-0000-4000-8000-000000000000"
RAW = "postgres://app:VeryPrivatePassword@db.internal/app-7777"


@dataclass
class World:
    org: Organization
    project: Project  # P, with the function
    other: Project  # Q, the only project q_editor may read and change
    function: Prompt
    callers: dict[str, User]

    def client(self, who: str) -> ApiClient:
        org = OrganizationFactory() if who == "outsider" else self.org
        user = owner_of(org) if who == "outsider" else self.callers[who]
        return api_client_for(user, org)


@pytest.fixture(scope="module")
def built_world(module_db) -> World:
    org = OrganizationFactory()
    project, other = ProjectFactory(org=org, name="P"), ProjectFactory(org=org, name="Q")
    function = PromptFactory(project=project, name="Tool")
    q_editor = add_member(org)
    grant_many(org, other, ("read", "update"), user=q_editor)
    callers = {
        "owner": owner_of(org),
        "engineer": add_member(org, None, "engineers"),
        "viewer": add_member(org, None, "viewers"),
        "q_editor": q_editor,
    }
    EnvVarFactory(org=org, name="ORG_VAR", value=RAW)
    EnvVarFactory(org=org, project=project, name="P_VAR", value=RAW)
    EnvVarFactory(org=org, project=other, name="Q_VAR", value=RAW)
    EnvVarFactory(org=org, function=function, name="F_VAR", value=RAW)
    return World(org, project, other, function, callers)


def _body(world: World, object_type: str, **fields) -> dict:
    object_id = {"organization": world.org.pk, "project": world.project.pk, "function": world.function.pk}[object_type]
    return {"object_type": object_type, "object_id": str(object_id), "name": "NEW_VAR", "value": RAW, **fields}


def test_creating_answers_braintrusts_shape_with_a_preview_and_stores_the_value_encrypted(world):
    response = world.client("owner").post("/v1/env_var", _body(world, "project", secret_type="database"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == FIELDS
    assert (body["object_type"], body["object_id"], body["name"]) == ("project", str(world.project.pk), "NEW_VAR")
    assert (body["preview_secret"], body["secret_category"], body["secret_type"]) == ("********7777", "env_var", "database")
    assert RAW not in response.content.decode()
    assert crypto.decrypt(EnvVar.objects.get(pk=body["id"]).encrypted_value) == RAW


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("owner", {"ORG_VAR", "P_VAR", "Q_VAR", "F_VAR"}),
        ("engineer", {"ORG_VAR", "P_VAR", "Q_VAR", "F_VAR"}),
        ("viewer", {"ORG_VAR", "P_VAR", "Q_VAR", "F_VAR"}),
        ("q_editor", {"Q_VAR"}),
        ("outsider", set()),
    ],
)
def test_lists_keep_the_variables_of_objects_the_caller_may_read(world, who, expected):
    response = world.client(who).get("/v1/env_var")
    assert names(response) == expected
    assert RAW not in response.content.decode()


def test_lists_filter_by_object_and_name(world):
    client = world.client("owner")
    assert names(client.get("/v1/env_var", {"object_type": "function"})) == {"F_VAR"}
    assert names(client.get("/v1/env_var", {"object_id": str(world.other.pk)})) == {"Q_VAR"}
    assert names(client.get("/v1/env_var", {"env_var_name": "ORG_VAR"})) == {"ORG_VAR"}
    assert client.get("/v1/env_var", {"object_type": "experiment"}).status_code == 400
    assert client.get("/v1/env_var", {"object_id": "nope"}).status_code == 400


@pytest.mark.parametrize(
    ("who", "object_type", "allowed"),
    [
        ("owner", "organization", True),
        ("engineer", "organization", False),  # read on the organization, not Manage settings
        ("engineer", "project", True),
        ("engineer", "function", True),
        ("viewer", "project", False),
        ("viewer", "function", False),
    ],
)
def test_changing_a_variable_needs_update_on_its_object(world, who, object_type, allowed):
    client = world.client(who)
    call = lambda: client.post("/v1/env_var", _body(world, object_type))  # noqa: E731
    if allowed:
        assert call().status_code == 200
    else:
        response = assert_refused_without_writing(call, 403, counts=lambda: EnvVar.objects.count())
        assert error(response)["missing_permission"] == "update"


def test_objects_the_caller_holds_nothing_on_are_not_found(world):
    client = world.client("q_editor")
    p_var = EnvVar.objects.get(name="P_VAR")
    assert client.get(f"/v1/env_var/{p_var.pk}").json() == not_found("env_var", p_var.pk)
    assert client.patch(f"/v1/env_var/{p_var.pk}", {"name": "X"}).status_code == 404
    assert client.post("/v1/env_var", _body(world, "project")).status_code == 404
    q_var = EnvVar.objects.get(name="Q_VAR")
    assert client.patch(f"/v1/env_var/{q_var.pk}", {"name": "Q_VAR", "value": "changed-value-123456"}).status_code == 200


def test_another_organizations_objects_are_not_found(world):
    theirs = ProjectFactory()
    body = {"object_type": "project", "object_id": str(theirs.pk), "name": "X"}
    client = world.client("owner")
    response = assert_refused_without_writing(lambda: client.post("/v1/env_var", body), 404)
    assert error(response)["message"] == f"No project with id {theirs.pk} was found."
    wrong_org = {"object_type": "organization", "object_id": str(theirs.org_id), "name": "X"}
    assert client.post("/v1/env_var", wrong_org).status_code == 404


def test_names_are_unique_per_object_and_posting_one_again_returns_it_unmodified(world):
    client = world.client("owner")
    first = client.post("/v1/env_var", _body(world, "project", name="P_VAR", value="another-value-000000"))
    assert first.json()["id"] == str(EnvVar.objects.get(name="P_VAR").pk)
    assert crypto.decrypt(EnvVar.objects.get(name="P_VAR").encrypted_value) == RAW
    assert client.post("/v1/env_var", _body(world, "function", name="P_VAR")).status_code == 200
    q_var = EnvVar.objects.get(name="Q_VAR")
    other = {"object_type": "project", "object_id": str(world.other.pk), "name": "SECOND"}
    second = client.post("/v1/env_var", other).json()
    response = assert_refused_without_writing(lambda: client.patch(f"/v1/env_var/{second['id']}", {"name": q_var.name}), 400)
    assert "already exists" in error(response)["message"]


def test_put_replaces_and_keeps_the_value_when_it_is_left_out(world):
    body = _body(world, "project", name="P_VAR", metadata={"a": 1})
    del body["value"]
    response = world.client("engineer").put("/v1/env_var", body)
    assert response.status_code == 200, response.content
    assert response.json()["metadata"] == {"a": 1}
    assert crypto.decrypt(EnvVar.objects.get(name="P_VAR").encrypted_value) == RAW


def test_patch_replaces_the_value_and_audits_that_it_changed_without_it(world):
    p_var = EnvVar.objects.get(name="P_VAR")
    new = "brand-new-private-value-4321"
    response = world.client("engineer").patch(f"/v1/env_var/{p_var.pk}", {"name": "P_VAR", "value": new})
    assert response.json()["preview_secret"] == "********4321"
    assert new not in response.content.decode()
    event = AuditEvent.objects.get(action="env_var.update")
    assert event.after["value_changed"] is True
    assert new not in str(event.before) + str(event.after) and RAW not in str(event.before) + str(event.after)


def test_deleting_needs_update_on_the_object(world):
    f_var = EnvVar.objects.get(name="F_VAR")
    assert world.client("viewer").delete(f"/v1/env_var/{f_var.pk}").status_code == 403
    response = world.client("engineer").delete(f"/v1/env_var/{f_var.pk}")
    assert response.status_code == 200
    assert response.json()["id"] == str(f_var.pk)
    assert not EnvVar.objects.filter(pk=f_var.pk).exists()


def test_variables_of_a_deleted_project_are_gone_from_lists_and_lookups(world):
    Project.objects.filter(pk=world.other.pk).update(deleted_at=world.other.created)
    q_var = EnvVar.objects.get(name="Q_VAR")
    assert "Q_VAR" not in names(world.client("owner").get("/v1/env_var"))
    assert world.client("owner").get(f"/v1/env_var/{q_var.pk}").status_code == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"object_type": "organization", "name": "X"}, "object_id: This field is required."),
        ({"object_type": "dataset", "object_id": NOWHERE, "name": "X"}, "object_type"),
        ({"object_type": "project", "object_id": 7, "name": "X"}, "object_id"),
        ({"object_type": "project", "object_id": "not-a-uuid", "name": "X"}, "object_id"),
        ({"object_type": "project", "object_id": NOWHERE, "name": "X", "value": 5}, "value: Must be a string."),
        ({"object_type": "project", "object_id": NOWHERE, "name": "X", "extra": 1}, "extra: Unknown field."),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_writes_nothing(world, body, message):
    client = world.client("owner")
    assert_refused_without_writing(lambda: client.post("/v1/env_var", body), 400, message)


def test_a_page_of_one_and_of_thirty_cost_the_same_queries(world):
    EnvVarFactory.create_batch(15, org=world.org, project=world.project)
    EnvVarFactory.create_batch(15, org=world.org, function=world.function)
    users = [world.callers["owner"], world.callers["viewer"]]
    assert_one_and_thirty_cost_the_same("/v1/env_var", world.org, users, at_most=10)


def test_update_on_the_function_alone_is_enough_for_its_variables_and_for_nothing_else(world):
    function_editor = add_member(world.org)
    grant_many(world.org, world.function, ("read", "update"), user=function_editor)
    client = api_client_for(function_editor, world.org)
    assert names(client.get("/v1/env_var")) == {"F_VAR"}
    assert client.post("/v1/env_var", _body(world, "function")).status_code == 200
    assert client.post("/v1/env_var", _body(world, "project")).status_code == 404  # holds nothing on the project
    assert error(client.post("/v1/env_var", _body(world, "organization")))["missing_permission"] == "update"
