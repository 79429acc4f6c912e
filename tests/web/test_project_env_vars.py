"""The Environment variables section of a project's Configuration page: listed by preview to whoever reads
the project, added, replaced and deleted with update on it, and a value never rendered back."""

import pytest

from permissions.models import AuditEvent
from secrets_store import crypto
from secrets_store.models import EnvVar
from tests.access_helpers import row_counts
from tests.factories import ProjectFactory
from tests.factories_secrets import EnvVarFactory
from tests.query_helpers import steady_state_queries
from tests.web.addresses import project_page
from tests.worlds import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("annotators_read_the_project")]

RAW = "postgres://bot:VeryPrivatePassword@db/bot-2468"


@pytest.fixture
def variable(org, project):
    return EnvVarFactory(org=org, project=project, name="DATABASE_URL", value=RAW)


@pytest.mark.parametrize(("who", "can_change"), [("owner", True), ("engineer", True), ("viewer", False), ("custom", False)])
def test_readers_of_the_project_see_its_variables_by_preview_and_updaters_may_change_them(project, people, variable, who, can_change):
    html = client_for(people[who]).get(project_page(project)).content.decode()
    assert "DATABASE_URL" in html and "********2468" in html
    assert RAW not in html and variable.encrypted_value not in html
    assert ('name="env-new-name"' in html) is can_change
    assert (project_page(project, "project-env-var-delete", env_var_id=variable.pk) in html) is can_change


def test_an_engineer_adds_replaces_and_deletes_a_variable(org, project, people):
    client = client_for(people["engineer"])
    response = client.post(project_page(project, "project-env-var-create"), {"env-new-name": "API_TOKEN", "env-new-value": RAW})
    assert response.status_code == 302
    variable = EnvVar.objects.get(project=project, name="API_TOKEN")
    assert (variable.object_type, variable.object_id, crypto.decrypt(variable.encrypted_value)) == ("project", project.pk, RAW)
    address = project_page(project, "project-env-var-update", env_var_id=variable.pk)
    replaced = client.post(address, {f"env-{variable.pk.hex}-value": "new-value-1234"})
    assert replaced.status_code == 302
    variable.refresh_from_db()
    assert crypto.decrypt(variable.encrypted_value) == "new-value-1234"
    assert client.post(project_page(project, "project-env-var-delete", env_var_id=variable.pk)).status_code == 302
    assert not EnvVar.objects.exists()
    events = AuditEvent.objects.filter(target_type="env_var").order_by("created", "id")
    assert [event.action for event in events] == ["env_var.create", "env_var.update", "env_var.delete"]
    assert all(RAW not in str(event.before) + str(event.after) for event in events)


def test_a_refused_variable_is_shown_again_without_its_value_and_nothing_is_written(org, project, people, variable):
    client = client_for(people["owner"])
    before = row_counts()
    response = client.post(
        project_page(project, "project-env-var-create"), {"env-new-name": "DATABASE_URL", "env-new-value": RAW + "-other"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "already exists" in html and "name: " not in html and RAW not in html
    assert row_counts() == before


@pytest.mark.parametrize("who", ["viewer", "custom"])
def test_reading_the_project_is_not_enough_to_change_its_variables(project, people, variable, who):
    client = client_for(people[who])
    before = row_counts()
    calls = [
        lambda: client.post(project_page(project, "project-env-var-create"), {"env-new-name": "X", "env-new-value": RAW}),
        lambda: client.post(project_page(project, "project-env-var-update", env_var_id=variable.pk), {f"env-{variable.pk.hex}-value": "x"}),
        lambda: client.post(project_page(project, "project-env-var-delete", env_var_id=variable.pk)),
    ]
    for call in calls:
        assert call().status_code == 403
    assert row_counts() == before


def test_a_variable_of_another_project_is_not_found_here(org, project, people):
    theirs = EnvVarFactory(org=org, project=ProjectFactory(org=org), name="OTHER")
    assert client_for(people["owner"]).post(project_page(project, "project-env-var-delete", env_var_id=theirs.pk)).status_code == 404
    assert EnvVar.objects.filter(pk=theirs.pk).exists()


def test_the_section_costs_the_same_queries_for_one_variable_and_many(org, project, people):
    client = client_for(people["owner"])
    EnvVarFactory(org=org, project=project)
    one = steady_state_queries(client, project_page(project))
    EnvVarFactory.create_batch(12, org=org, project=project)
    assert steady_state_queries(client, project_page(project)) == one
