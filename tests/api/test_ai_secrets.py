"""``/v1/ai_secret``: Braintrust's shapes, who may read and change an organization's AI secrets, the
secret never answered or audited, bad input, and query counts."""

import logging

import pytest

from permissions.models import AuditEvent
from secrets_store import crypto
from secrets_store.models import AISecret
from tests.assertions import assert_refused_without_writing, error, names, not_found
from tests.factories_secrets import AISecretFactory
from tests.query_helpers import assert_one_and_thirty_cost_the_same
from tests.worlds import make_cast

pytestmark = pytest.mark.django_db

FIELDS = {
    "id",
    "created",
    "updated_at",
    "secret_updated_at",
    "org_id",
    "name",
    "type",
    "metadata",
    "secret_updated_by_user_id",
    "preview_secret",
}
RAW = "sk-proj-VeryPrivateValue-0123456789-wxyz"
READERS = ("owner", "engineer", "viewer", "custom", "nested")
MANAGERS = ("owner", "custom", "nested")  # custom and nested: "Manage settings" through the Team group


@pytest.fixture
def cast():
    return make_cast()


@pytest.fixture
def secret(cast):
    return AISecretFactory(org=cast.org, name="OPENAI_API_KEY", value=RAW, metadata={"models": ["gpt-4o"], "region": {"name": "us"}})


def _assert_secret_absent(*texts: str) -> None:
    for text in texts:
        assert RAW not in text


def test_creating_answers_braintrusts_shape_with_a_preview_and_stores_the_secret_encrypted(cast):
    response = cast.client("owner").post("/v1/ai_secret", {"name": "OPENAI_API_KEY", "type": "openai", "secret": RAW})
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == FIELDS
    assert (body["name"], body["type"], body["org_id"]) == ("OPENAI_API_KEY", "openai", str(cast.org.pk))
    assert body["preview_secret"] == "********wxyz"
    assert body["secret_updated_by_user_id"] == str(cast.owner.pk)
    _assert_secret_absent(response.content.decode())
    stored = AISecret.objects.get(pk=body["id"])
    assert RAW not in stored.encrypted_value and crypto.decrypt(stored.encrypted_value) == RAW


def test_a_short_secret_shows_none_of_its_characters(cast):
    body = cast.client("owner").post("/v1/ai_secret", {"name": "SHORT", "secret": "abc12345"}).json()
    assert body["preview_secret"] == "********"


@pytest.mark.parametrize("who", READERS)
def test_whoever_may_read_the_organization_lists_its_ai_secrets_without_their_values(cast, secret, who):
    response = cast.client(who).get("/v1/ai_secret")
    assert response.status_code == 200, response.content
    assert names(response) == {"OPENAI_API_KEY"}
    _assert_secret_absent(response.content.decode(), cast.client(who).get(f"/v1/ai_secret/{secret.pk}").content.decode())


def test_a_member_without_read_on_the_organization_is_refused_naming_read(cast, secret):
    """Membership shows the organization (docs/access-model.md), so the refusal is a 403, not a 404."""
    for response in (cast.client("nobody").get("/v1/ai_secret"), cast.client("nobody").get(f"/v1/ai_secret/{secret.pk}")):
        assert response.status_code == 403
        assert error(response)["missing_permission"] == "read"
        assert RAW not in response.content.decode()


def test_another_organizations_ai_secrets_are_not_found(cast, secret):
    assert names(cast.client("outsider").get("/v1/ai_secret")) == set()
    assert cast.client("outsider").get(f"/v1/ai_secret/{secret.pk}").json() == not_found("ai_secret", secret.pk)
    assert cast.client("outsider").patch(f"/v1/ai_secret/{secret.pk}", {"secret": "x" * 20}).status_code == 404


@pytest.mark.parametrize("who", MANAGERS)
def test_manage_settings_adds_changes_and_deletes_ai_secrets(cast, who):
    client = cast.client(who)
    created = client.post("/v1/ai_secret", {"name": "ANTHROPIC_API_KEY", "secret": RAW}).json()
    changed = client.patch(f"/v1/ai_secret/{created['id']}", {"type": "anthropic", "secret": "sk-ant-another-value-5678"})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["type"], changed.json()["preview_secret"]) == ("anthropic", "********5678")
    assert client.delete(f"/v1/ai_secret/{created['id']}").status_code == 200
    assert not AISecret.objects.exists()


@pytest.mark.parametrize("who", ["engineer", "viewer"])
def test_readers_without_manage_settings_are_refused_every_change_naming_update(cast, secret, who):
    client = cast.client(who)
    calls = [
        lambda: client.post("/v1/ai_secret", {"name": "NEW", "secret": RAW}),
        lambda: client.put("/v1/ai_secret", {"name": "OPENAI_API_KEY", "secret": RAW}),
        lambda: client.patch(f"/v1/ai_secret/{secret.pk}", {"secret": RAW}),
        lambda: client.delete(f"/v1/ai_secret/{secret.pk}"),
        lambda: client.delete("/v1/ai_secret", {"name": "OPENAI_API_KEY"}),
    ]
    for call in calls:
        response = assert_refused_without_writing(call, 403)
        assert error(response)["missing_permission"] == "update"


def test_posting_an_existing_name_returns_it_unmodified_to_a_reader(cast, secret):
    response = cast.client("viewer").post("/v1/ai_secret", {"name": "OPENAI_API_KEY", "secret": "sk-other-value-0000000"})
    assert response.status_code == 200
    assert response.json()["id"] == str(secret.pk)
    secret.refresh_from_db()
    assert crypto.decrypt(secret.encrypted_value) == RAW


def test_put_replaces_type_and_metadata_and_keeps_the_secret_when_it_is_left_out(cast, secret):
    response = cast.client("owner").put("/v1/ai_secret", {"name": "OPENAI_API_KEY", "type": "azure", "metadata": {"deployment": "d1"}})
    assert response.status_code == 200, response.content
    assert (response.json()["type"], response.json()["metadata"], response.json()["id"]) == ("azure", {"deployment": "d1"}, str(secret.pk))
    secret.refresh_from_db()
    assert crypto.decrypt(secret.encrypted_value) == RAW


def test_patch_deep_merges_metadata_and_leaves_null_fields_as_they_are(cast, secret):
    response = cast.client("owner").patch(f"/v1/ai_secret/{secret.pk}", {"metadata": {"region": {"zone": "b"}}, "type": None})
    assert response.json()["metadata"] == {"models": ["gpt-4o"], "region": {"name": "us", "zone": "b"}}
    assert response.json()["type"] == "openai"


def test_delete_by_name_answers_the_deleted_secret(cast, secret):
    response = cast.client("owner").delete("/v1/ai_secret", {"name": "OPENAI_API_KEY"})
    assert response.status_code == 200
    assert response.json()["id"] == str(secret.pk)
    assert cast.client("owner").delete("/v1/ai_secret", {"name": "OPENAI_API_KEY"}).status_code == 404


def test_audit_events_record_what_changed_and_never_the_secret(cast, secret, caplog):
    caplog.set_level(logging.DEBUG)
    client = cast.client("owner")
    client.post("/v1/ai_secret", {"name": "OTHER", "secret": RAW})
    client.patch(f"/v1/ai_secret/{secret.pk}", {"name": "RENAMED", "secret": RAW + "-new"})
    client.delete(f"/v1/ai_secret/{secret.pk}")
    events = list(AuditEvent.objects.filter(target_type="ai_secret").order_by("created", "id"))
    assert [event.action for event in events] == ["ai_secret.create", "ai_secret.update", "ai_secret.delete"]
    assert events[1].before["name"] == "OPENAI_API_KEY"
    assert (events[1].after["name"], events[1].after["value_changed"]) == ("RENAMED", True)
    _assert_secret_absent(*(str(event.before) + str(event.after) for event in events), caplog.text)


def test_filters_by_name_type_and_ids(cast, secret):
    other = AISecretFactory(org=cast.org, name="ANTHROPIC_API_KEY", type="anthropic")
    client = cast.client("viewer")
    assert names(client.get("/v1/ai_secret", {"ai_secret_name": "ANTHROPIC_API_KEY"})) == {"ANTHROPIC_API_KEY"}
    assert names(client.get("/v1/ai_secret", {"ai_secret_type": "openai"})) == {"OPENAI_API_KEY"}
    assert names(client.get("/v1/ai_secret", {"ai_secret_type": ["openai", "anthropic"]})) == {"OPENAI_API_KEY", "ANTHROPIC_API_KEY"}
    assert names(client.get("/v1/ai_secret", {"ids": str(other.pk)})) == {"ANTHROPIC_API_KEY"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "name: This field is required."),
        ({"name": ""}, "name: This field may not be blank."),
        ({"name": "K", "secret": 12345}, "secret: Must be a string."),
        ({"name": "K", "metadata": [1]}, "metadata: Must be an object."),
        ({"name": "K", "type": {"a": 1}}, "type: Not a valid string."),
        ({"name": "K" * 256}, "name: Ensure this field has no more than 255 characters."),
        ({"name": "K", "secret": "x" * 65_537}, "secret: At most 65536 characters."),
        ({"name": "K", "unknown": 1}, "unknown: Unknown field."),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_writes_nothing(cast, body, message):
    response = assert_refused_without_writing(lambda: cast.client("owner").post("/v1/ai_secret", body), 400, message)
    assert "x" * 100 not in response.content.decode()


@pytest.mark.parametrize("raw_body", ['{"name": "K", "secret": "abc\\u0000def"}', '{"name": "K", "secret": "abc\\ud800def"}'])
def test_a_secret_the_database_could_not_store_is_a_400_and_writes_nothing(cast, raw_body):
    client = cast.client("owner")
    response = assert_refused_without_writing(lambda: client.raw_post("/v1/ai_secret", raw_body), 400)
    assert "abc" not in error(response)["message"]


def test_a_bad_id_or_a_second_secret_with_the_same_name_is_a_400(cast, secret):
    client = cast.client("owner")
    assert client.get("/v1/ai_secret/not-a-uuid").status_code == 400
    other = AISecretFactory(org=cast.org, name="SECOND")
    response = assert_refused_without_writing(lambda: client.patch(f"/v1/ai_secret/{other.pk}", {"name": "OPENAI_API_KEY"}), 400)
    assert "already exists" in error(response)["message"]


def test_a_page_of_one_and_of_thirty_cost_the_same_queries(cast):
    AISecretFactory.create_batch(30, org=cast.org)
    assert_one_and_thirty_cost_the_same("/v1/ai_secret", cast.org, [cast.owner, cast.viewer, cast.nested], at_most=8)
