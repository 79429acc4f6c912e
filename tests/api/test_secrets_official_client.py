"""Braintrust's official Python client (``braintrust-api``) managing AI secrets and environment variables
against a live server: every call it makes parses, and no answer carries a value."""

import braintrust_api
import pytest

from projects.models import Project
from secrets_store import crypto
from secrets_store.models import AISecret, EnvVar
from tests.factories import OrganizationFactory, ProjectFactory, add_member, owner_of
from tests.official_client_helpers import official_client_for

pytestmark = pytest.mark.django_db(transaction=True)

RAW = "sk-client-VeryPrivateValue-97531-efgh"


def test_ai_secrets_and_env_vars_round_trip_through_the_official_client(live_server):
    org = OrganizationFactory()
    project: Project = ProjectFactory(org=org)
    client = official_client_for(live_server, owner_of(org), org)

    secret = client.ai_secrets.create(name="OPENAI_API_KEY", type="openai", secret=RAW, metadata={"models": ["gpt-4o"]})
    assert (secret.name, secret.type, secret.preview_secret) == ("OPENAI_API_KEY", "openai", "********efgh")
    assert client.ai_secrets.retrieve(secret.id).org_id == str(org.pk)
    assert [s.name for s in client.ai_secrets.list(ai_secret_type="openai")] == ["OPENAI_API_KEY"]
    updated = client.ai_secrets.update(secret.id, metadata={"region": "eu"})
    assert updated.metadata == {"models": ["gpt-4o"], "region": "eu"}
    replaced = client.ai_secrets.replace(name="OPENAI_API_KEY", type="azure")
    assert (replaced.id, replaced.type, replaced.preview_secret) == (secret.id, "azure", "********efgh")
    assert crypto.decrypt(AISecret.objects.get(pk=secret.id).encrypted_value) == RAW
    assert client.ai_secrets.find_and_delete(name="OPENAI_API_KEY").id == secret.id

    variable = client.env_vars.create(name="DATABASE_URL", object_type="project", object_id=str(project.pk), value=RAW)
    assert (variable.object_type, variable.object_id, variable.preview_secret) == ("project", str(project.pk), "********efgh")
    listed = client.env_vars.list(object_type="project", object_id=str(project.pk))
    assert [v.name for v in listed.objects] == ["DATABASE_URL"]
    assert "VeryPrivate" not in listed.to_json()
    renamed = client.env_vars.update(variable.id, name="DB_URL", value="another-value-0000")
    assert (renamed.name, renamed.preview_secret) == ("DB_URL", "********0000")
    assert client.env_vars.replace(name="DB_URL", object_type="project", object_id=str(project.pk)).id == variable.id
    assert client.env_vars.delete(variable.id).id == variable.id
    assert not EnvVar.objects.exists()


def test_the_official_client_reports_a_refusal_as_its_permission_error(live_server):
    org = OrganizationFactory()
    viewer = add_member(org, None, "viewers")
    client = official_client_for(live_server, viewer, org)
    with pytest.raises(braintrust_api.PermissionDeniedError):
        client.ai_secrets.create(name="NOPE", secret=RAW)
    assert not AISecret.objects.exists()
