"""Settings → AI providers: the keys listed with their previews to whoever may read the organization, added,
replaced and deleted with "Manage settings", and a key never rendered back, not even after an error."""

import pytest
from django.urls import reverse

from permissions.models import AuditEvent
from secrets_store import crypto
from secrets_store.models import AISecret
from tests.access_helpers import row_counts
from tests.factories_secrets import AISecretFactory
from tests.query_helpers import steady_state_queries
from tests.worlds import client_for

pytestmark = pytest.mark.django_db

RAW = "sk-page-VeryPrivateValue-13579-lmno"


def page_url(org, name: str = "ai-providers", **kwargs) -> str:
    return reverse(f"web:{name}", kwargs={"org_name": org.name, **kwargs})


@pytest.fixture
def secret(org):
    return AISecretFactory(org=org, name="OPENAI_API_KEY", type="openai", value=RAW)


@pytest.mark.parametrize(
    ("who", "status", "manages"),
    [("owner", 200, True), ("engineer", 200, False), ("viewer", 200, False), ("custom", 403, False), ("outsider", 404, False)],
)
def test_the_page_lists_keys_by_preview_and_offers_changes_only_with_manage_settings(org, people, secret, who, status, manages):
    response = client_for(people[who]).get(page_url(org))
    assert response.status_code == status
    html = response.content.decode()
    assert RAW not in html and secret.encrypted_value not in html
    if status == 200:
        assert "OPENAI_API_KEY" in html and "********lmno" in html
        assert ('name="secret"' in html) is manages
        assert ("Manage settings" in html) is not manages


def test_the_sidebar_links_the_page_to_those_who_manage_settings(org, people):
    for who in ("owner", "viewer"):
        html = client_for(people[who]).get(page_url(org, "api-keys")).content.decode()
        assert (page_url(org) in html) is (who == "owner")


def test_adding_a_key_stores_it_encrypted_and_audits_without_it(org, people):
    response = client_for(people["owner"]).post(page_url(org), {"name": "ANTHROPIC_API_KEY", "type": "anthropic", "secret": RAW})
    assert response.status_code == 302
    secret = AISecret.objects.get(org=org, name="ANTHROPIC_API_KEY")
    assert crypto.decrypt(secret.encrypted_value) == RAW
    event = AuditEvent.objects.get(action="ai_secret.create")
    assert RAW not in str(event.after)


def test_a_refused_key_is_not_rendered_back_and_nothing_is_written(org, people, secret):
    client = client_for(people["owner"])
    before = row_counts()
    response = client.post(page_url(org), {"name": "OPENAI_API_KEY", "secret": RAW + "-second"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "already exists" in html and "name: " not in html
    assert RAW not in html
    assert row_counts() == before


def test_replacing_a_key_changes_its_value_and_preview(org, people, secret):
    client = client_for(people["owner"])
    assert client.post(page_url(org, "ai-provider-replace", secret_id=secret.pk), {"value": "sk-new-value-000-wxyz"}).status_code == 302
    secret.refresh_from_db()
    assert (crypto.decrypt(secret.encrypted_value), secret.preview_secret) == ("sk-new-value-000-wxyz", "********wxyz")
    assert "sk-new-value-000-wxyz" not in client.get(page_url(org)).content.decode()


def test_deleting_a_key_asks_first_then_deletes_it(org, people, secret):
    client = client_for(people["owner"])
    question = client.get(page_url(org, "ai-provider-delete", secret_id=secret.pk))
    assert question.status_code == 200 and "Delete the AI provider key OPENAI_API_KEY?" in question.content.decode()
    assert client.post(page_url(org, "ai-provider-delete", secret_id=secret.pk)).status_code == 302
    assert not AISecret.objects.exists()


@pytest.mark.parametrize("who", ["engineer", "viewer", "custom"])
def test_changes_without_manage_settings_are_refused_and_write_nothing(org, people, secret, who):
    client = client_for(people[who])
    before = row_counts()
    calls = [
        lambda: client.post(page_url(org), {"name": "NEW", "secret": RAW}),
        lambda: client.post(page_url(org, "ai-provider-replace", secret_id=secret.pk), {"value": RAW + "x"}),
        lambda: client.post(page_url(org, "ai-provider-delete", secret_id=secret.pk)),
    ]
    for call in calls:
        assert call().status_code == 403
    assert row_counts() == before


def test_the_page_costs_the_same_queries_with_one_key_and_with_many(org, people):
    AISecretFactory(org=org, secret_updated_by=people["owner"])
    client = client_for(people["owner"])
    one = steady_state_queries(client, page_url(org))
    AISecretFactory.create_batch(20, org=org, secret_updated_by=people["owner"])
    assert steady_state_queries(client, page_url(org)) == one
