"""The admin of AI secrets and environment variables: writes through the services (checked, encrypted,
audited from the admin), rows restricted to what the operator may read, and the value never rendered."""

import pytest

from permissions.models import AuditEvent
from secrets_store import crypto
from secrets_store.models import AISecret, EnvVar
from tests.admin.pages import admin_client, form_data, messages_of, staff_owner_of, url
from tests.factories import OrganizationFactory, ProjectFactory, UserFactory, add_member
from tests.factories_secrets import AISecretFactory, EnvVarFactory
from tests.query_helpers import steady_state_queries

pytestmark = pytest.mark.django_db

RAW = "sk-admin-VeryPrivateValue-24680-qrst"


@pytest.fixture
def org():
    return OrganizationFactory()


@pytest.fixture
def operator(org):
    user = staff_owner_of(org)
    client = admin_client(user)
    client.user = user
    return client


def test_an_operator_adds_replaces_and_deletes_an_ai_secret_through_the_service(org, operator):
    response = operator.post(url(AISecret, "add"), {"org": org.pk, "name": "OPENAI_API_KEY", "type": "openai", "new_value": RAW})
    assert response.status_code == 302, response.content.decode()[:2000]
    secret = AISecret.objects.get(org=org, name="OPENAI_API_KEY")
    assert crypto.decrypt(secret.encrypted_value) == RAW
    page = operator.get(url(AISecret, "change", secret.pk))
    assert RAW not in page.content.decode() and "********qrst" in page.content.decode()
    assert operator.post(url(AISecret, "change", secret.pk), form_data(page, type="azure")).status_code == 302
    secret.refresh_from_db()
    assert (secret.type, crypto.decrypt(secret.encrypted_value)) == ("azure", RAW)  # an empty value field keeps the value
    assert operator.post(url(AISecret, "change", secret.pk), form_data(page, new_value="sk-replaced-value-1357")).status_code == 302
    secret.refresh_from_db()
    assert crypto.decrypt(secret.encrypted_value) == "sk-replaced-value-1357"
    assert operator.post(url(AISecret, "delete", secret.pk), {"post": "yes"}).status_code == 302
    events = AuditEvent.objects.filter(target_type="ai_secret").order_by("created", "id")
    assert [event.action for event in events] == ["ai_secret.create", "ai_secret.update", "ai_secret.update", "ai_secret.delete"]
    assert {event.origin["channel"] for event in events} == {"admin"}
    assert all(RAW not in str(event.before) + str(event.after) for event in events)


def test_no_admin_page_renders_a_value(org, operator):
    project = ProjectFactory(org=org)
    secret = AISecretFactory(org=org, value=RAW)
    variable = EnvVarFactory(org=org, project=project, value=RAW)
    pages = [
        url(AISecret, "changelist"),
        url(AISecret, "change", secret.pk),
        url(AISecret, "delete", secret.pk),
        url(EnvVar, "changelist"),
        url(EnvVar, "change", variable.pk),
        url(EnvVar, "delete", variable.pk),
        url(AISecret, "add"),
        url(EnvVar, "add"),
    ]
    for address in pages:
        response = operator.get(address)
        assert response.status_code == 200, address
        assert RAW not in response.content.decode() and secret.encrypted_value not in response.content.decode(), address


def test_an_operator_without_manage_settings_sees_the_refusal_and_nothing_is_written(org):
    engineer = add_member(org, UserFactory(is_staff=True), "engineers")
    response = admin_client(engineer).post(url(AISecret, "add"), {"org": org.pk, "name": "K", "new_value": RAW}, follow=True)
    assert any("update" in message for message in messages_of(response)), messages_of(response)
    assert not AISecret.objects.exists()


def test_an_operator_adds_a_projects_variable_and_sees_only_variables_of_objects_they_may_read(org, operator):
    project = ProjectFactory(org=org)
    data = {"org": org.pk, "object_type": "project", "object_id": project.pk, "name": "DATABASE_URL", "new_value": RAW}
    assert operator.post(url(EnvVar, "add"), data).status_code == 302
    variable = EnvVar.objects.get(name="DATABASE_URL")
    assert (variable.project, crypto.decrypt(variable.encrypted_value)) == (project, RAW)
    EnvVarFactory(org=OrganizationFactory(), name="ELSEWHERE")
    listed = operator.get(url(EnvVar, "changelist")).content.decode()
    assert "DATABASE_URL" in listed and "ELSEWHERE" not in listed


@pytest.mark.parametrize("model", [AISecret, EnvVar])
def test_a_changelist_costs_the_same_queries_for_one_row_and_for_many(org, operator, model):
    project = ProjectFactory(org=org)
    make = (lambda: AISecretFactory(org=org)) if model is AISecret else (lambda: EnvVarFactory(org=org, project=project))
    make()
    one = steady_state_queries(operator, url(model, "changelist"))
    for _ in range(15):
        make()
    assert steady_state_queries(operator, url(model, "changelist")) == one
