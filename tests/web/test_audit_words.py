"""permissions/audit_words.py: every action the services record reads as a sentence, a change shows only
the fields it touched (lists as what they gained and lost), and no secret is ever shown."""

from types import SimpleNamespace

import pytest

from permissions.audit_words import (
    HIDDEN,
    PHRASES,
    SYSTEM_ACTOR,
    AuditNames,
    change_lines,
    changes,
    event_words,
    is_secret_key,
    readable_time,
    redacted,
    sentence,
)
from permissions.models import AuditEvent
from permissions.selectors import audit_names
from tests.services.test_audit_events import CASES, ctx  # noqa: F401 (the services' cases, and the world they run in)

PRIYA = "00000000-0000-4000-8000-000000000001"
SAM = "00000000-0000-4000-8000-000000000002"
ADA = "00000000-0000-4000-8000-000000000003"
DEPLOYER = "00000000-0000-4000-8000-000000000004"
REVIEWERS = "00000000-0000-4000-8000-000000000005"
CONTRACTORS = "00000000-0000-4000-8000-000000000006"
BASELINE = "00000000-0000-4000-8000-000000000007"
SUPPORT_BOT = "00000000-0000-4000-8000-000000000008"
ENGINEER = "00000000-0000-4000-8000-000000000009"
ACME = "00000000-0000-4000-8000-00000000000a"
GOLDEN = "00000000-0000-4000-8000-00000000000b"
INVITATION = "00000000-0000-4000-8000-00000000000c"

NAMES = AuditNames(
    people={PRIYA: "Priya Nair", SAM: "Sam Lee", ADA: "Ada Byron", DEPLOYER: "Deployer"},
    exact={
        PRIYA: "priya@example.com",
        SAM: "sam@example.com",
        ADA: "ada@example.com",
        DEPLOYER: "Deployer",
        REVIEWERS: "Reviewers",
        CONTRACTORS: "Contractors",
        BASELINE: "baseline-v2",
        SUPPORT_BOT: "support-bot",
        ENGINEER: "engineer",
        ACME: "Acme",
        GOLDEN: "golden",
    },
)

UNTIL = "2026-12-12T00:00:00+00:00"
GRANT = {
    "object_type": "experiment",
    "object_id": BASELINE,
    "user_id": None,
    "group_id": CONTRACTORS,
    "permission": "read",
    "role_id": None,
    "restrict_object_type": None,
    "expires_at": UNTIL,
}
TOKEN = {"name": "ci-deploy", "kind": "service_token", "preview_name": "bt-st-…abcd", "user_id": DEPLOYER, "expires_at": None}
API_KEY = {**TOKEN, "name": "laptop", "kind": "api_key", "user_id": PRIYA}
PIN = {"environment": "production", "object_type": "prompt", "object_id": GOLDEN, "object_name": "reply", "object_version": "12"}
ROLE = {"name": "Auditor", "description": "", "member_permissions": [["read", None]], "member_roles": []}


def group(**fields) -> dict:
    return {"name": "Reviewers", "description": "", "member_users": [], "member_groups": [], **fields}


def event(action, target_type, target_name="", *, before=None, after=None, actor=PRIYA, email="priya@example.com", target_id=""):
    return SimpleNamespace(
        action=action,
        target_type=target_type,
        target_name=target_name,
        target_id=target_id,
        before=before,
        after=after,
        actor_id=actor,
        actor_email=email,
        origin={},
    )


# (event, its sentence): at least one for every action the services record
SENTENCES = [
    (event("organization.create", "organization", "Acme", after={"name": "Acme"}), "Priya Nair created the organization Acme"),
    (
        event(
            "organization.update",
            "organization",
            "Acme",
            before={"name": "Acme", "api_url": None},
            after={"name": "Acme", "api_url": "https://x.test"},
        ),
        "Priya Nair changed the API URL of the organization Acme",
    ),
    (
        event("organization.update", "organization", "Acme Inc", before={"name": "Acme"}, after={"name": "Acme Inc"}),
        "Priya Nair renamed the organization Acme to Acme Inc",
    ),
    (
        event("invitation.create", "invitation", "new@example.com", after={"email": "new@example.com", "groups": [REVIEWERS]}),
        "Priya Nair invited new@example.com into the group Reviewers",
    ),
    (event("invitation.revoke", "invitation", "new@example.com"), "Priya Nair revoked the invitation of new@example.com"),
    (
        event(
            "invitation.resend",
            "invitation",
            "new@example.com",
            before={"expires_at": UNTIL},
            after={"expires_at": "2026-12-19T10:00:00+00:00"},
        ),
        "Priya Nair sent the invitation of new@example.com again, valid until 19 Dec 2026",
    ),
    (
        event(
            "member.join", "user", "sam@example.com", after={"invitation": INVITATION}, actor=SAM, email="sam@example.com", target_id=SAM
        ),
        "Sam Lee joined the organization, accepting an invitation",
    ),
    (
        event("member.remove", "user", "sam@example.com", before={"groups": [REVIEWERS]}, target_id=SAM),
        "Priya Nair removed Sam Lee from the organization",
    ),
    (
        event("member.remove", "service_account", "Deployer", before={"groups": []}, target_id=DEPLOYER),
        "Priya Nair removed the service account Deployer from the organization",
    ),
    (
        event("service_account.create", "service_account", "Deployer", after={"name": "Deployer", "groups": [REVIEWERS, CONTRACTORS]}),
        "Priya Nair created the service account Deployer in the groups Reviewers and Contractors",
    ),
    (
        event("service_account.update", "service_account", "Builder", before={"name": "Deployer"}, after={"name": "Builder"}),
        "Priya Nair renamed the service account Deployer to Builder",
    ),
    (
        event("service_account.delete", "service_account", "Deployer", before={"name": "Deployer"}),
        "Priya Nair deleted the service account Deployer",
    ),
    (
        event("service_token.create", "service_token", "ci-deploy", after={**TOKEN, "expires_at": UNTIL}),
        "Priya Nair created the token ci-deploy of the service account Deployer, expiring 12 Dec 2026",
    ),
    (
        event("service_token.delete", "service_token", "ci-deploy", before=TOKEN, actor=ADA, email="ada@example.com"),
        "Ada Byron revoked the token ci-deploy of the service account Deployer",
    ),
    (event("api_key.create", "api_key", "laptop", after=API_KEY), "Priya Nair created the API key laptop"),
    (event("api_key.delete", "api_key", "laptop", before=API_KEY), "Priya Nair deleted the API key laptop"),
    (
        event("group.create", "group", "Reviewers", after=group(member_users=[SAM], member_groups=[CONTRACTORS])),
        "Priya Nair created the group Reviewers with Sam Lee and the group Contractors",
    ),
    (
        event("group.update", "group", "Reviewers", before=group(), after=group(member_users=[SAM])),
        "Priya Nair added Sam Lee to the group Reviewers",
    ),
    (
        event("group.update", "group", "Reviewers", before=group(member_users=[SAM], member_groups=[CONTRACTORS]), after=group()),
        "Priya Nair removed Sam Lee and the group Contractors from the group Reviewers",
    ),
    (
        event(
            "group.update",
            "group",
            "Reviewers EU",
            before=group(member_users=[ADA]),
            after=group(name="Reviewers EU", description="Europe", member_users=[SAM]),
        ),
        "Priya Nair renamed the group Reviewers to Reviewers EU, changed its description, "
        "added Sam Lee to it and removed Ada Byron from it",
    ),
    (
        event(
            "group.update",
            "group",
            "Reviewers",
            before=group(member_users=[SAM]),
            after=group(member_users=[SAM], member_user_expiries=[{"user": SAM, "expires_at": UNTIL}]),
        ),
        "Priya Nair set the membership of Sam Lee in the group Reviewers to end on 12 Dec 2026",
    ),
    (
        event(
            "group.update",
            "group",
            "Reviewers",
            before=group(member_groups=[CONTRACTORS], member_group_expiries=[{"group": CONTRACTORS, "expires_at": UNTIL}]),
            after=group(member_groups=[CONTRACTORS]),
        ),
        "Priya Nair made the membership of the group Contractors in the group Reviewers permanent",
    ),
    (
        event(
            "group.update",
            "group",
            "Reviewers",
            before=group(member_users=[SAM], member_user_expiries=[{"user": SAM, "expires_at": UNTIL}]),
            after=group(),
            actor=None,
            email="",
        ),
        "The system removed Sam Lee from the group Reviewers",
    ),
    (event("group.delete", "group", "Reviewers", before=group()), "Priya Nair deleted the group Reviewers"),
    (event("role.create", "role", "Auditor", after=ROLE), "Priya Nair created the role Auditor"),
    (
        event(
            "role.update",
            "role",
            "Auditor",
            before=ROLE,
            after={**ROLE, "member_permissions": [["update", "dataset"]], "member_roles": [ENGINEER]},
        ),
        "Priya Nair gave the role Auditor update on datasets, took read from it and made it include the role engineer",
    ),
    (event("role.delete", "role", "Auditor", before=ROLE), "Priya Nair deleted the role Auditor"),
    (
        event("acl.create", "acl", after=GRANT),
        "Priya Nair granted read on the experiment baseline-v2 to the group Contractors, until 12 Dec 2026",
    ),
    (
        event(
            "acl.create",
            "acl",
            after={
                **GRANT,
                "object_type": "project",
                "object_id": SUPPORT_BOT,
                "group_id": None,
                "user_id": SAM,
                "restrict_object_type": "experiment",
                "expires_at": None,
            },
        ),
        "Priya Nair granted read on the experiments of the project support-bot to Sam Lee",
    ),
    (
        event(
            "acl.create",
            "acl",
            after={**GRANT, "object_type": "org_project", "object_id": ACME, "permission": None, "role_id": ENGINEER, "expires_at": None},
        ),
        "Priya Nair granted the role engineer on all projects to the group Contractors",
    ),
    (
        event(
            "acl.create",
            "acl",
            after={
                **GRANT,
                "object_type": "organization",
                "object_id": ACME,
                "permission": "update",
                "restrict_object_type": "organization",
                "expires_at": None,
            },
        ),
        "Priya Nair granted update on the organization Acme itself to the group Contractors",
    ),
    (
        event(
            "acl.create",
            "acl",
            after={**GRANT, "object_type": "organization", "object_id": ACME, "permission": "create_acls", "expires_at": None},
        ),
        "Priya Nair granted Manage access (add grants) on the organization Acme to the group Contractors",
    ),
    (
        event("acl.create", "acl", after={**GRANT, "object_type": "org_audit_logs", "object_id": ACME, "expires_at": None}),
        "Priya Nair granted read on the audit log to the group Contractors",
    ),
    (
        event("acl.update", "acl", before={**GRANT, "expires_at": None}, after=GRANT),
        "Priya Nair made the grant of read on the experiment baseline-v2 to the group Contractors last until 12 Dec 2026",
    ),
    (
        event("acl.update", "acl", before=GRANT, after={**GRANT, "expires_at": None}),
        "Priya Nair made the grant of read on the experiment baseline-v2 to the group Contractors permanent",
    ),
    (
        event("acl.delete", "acl", before={**GRANT, "expires_at": None}),
        "Priya Nair revoked read on the experiment baseline-v2 from the group Contractors",
    ),
    (
        event("acl.delete", "acl", before=GRANT, actor=None, email=""),
        "The system removed read on the experiment baseline-v2 from the group Contractors, expired on 12 Dec 2026",
    ),
    (event("project.create", "project", "support-bot", after={"name": "support-bot"}), "Priya Nair created the project support-bot"),
    (
        event(
            "project.update",
            "project",
            "support-bot",
            before={"name": "support-bot", "settings": None},
            after={"name": "support-bot", "settings": {"comparison_key": "input"}},
        ),
        "Priya Nair changed the settings of the project support-bot",
    ),
    (event("project.delete", "project", "support-bot", before={"name": "support-bot"}), "Priya Nair deleted the project support-bot"),
    (
        event("experiment.create", "experiment", "baseline-v2", after={"name": "baseline-v2"}),
        "Priya Nair created the experiment baseline-v2",
    ),
    (
        event(
            "experiment.update",
            "experiment",
            "baseline-v3",
            before={"name": "baseline-v2", "dataset_id": None},
            after={"name": "baseline-v3", "dataset_id": GOLDEN},
        ),
        "Priya Nair renamed the experiment baseline-v2 to baseline-v3 and changed its dataset",
    ),
    (
        event("experiment.delete", "experiment", "baseline-v2", before={"name": "baseline-v2"}),
        "Priya Nair deleted the experiment baseline-v2",
    ),
    (event("dataset.create", "dataset", "golden", after={"name": "golden"}), "Priya Nair created the dataset golden"),
    (
        event(
            "dataset.update",
            "dataset",
            "golden",
            before={"name": "golden", "description": ""},
            after={"name": "golden", "description": "Curated"},
        ),
        "Priya Nair changed the description of the dataset golden",
    ),
    (event("dataset.delete", "dataset", "golden", before={"name": "golden"}), "Priya Nair deleted the dataset golden"),
    (event("prompt.create", "prompt", "Reply", after={"name": "Reply"}), "Priya Nair created the prompt Reply"),
    (
        event("prompt.update", "prompt", "Reply", before={"description": ""}, after={"description": "Drafts replies", "_xact_id": "42"}),
        "Priya Nair changed the description of the prompt Reply",
    ),
    (event("prompt.delete", "prompt", "Reply", before={"name": "Reply"}), "Priya Nair deleted the prompt Reply"),
    (
        event("prompt.restore", "prompt", "Reply", before={"name": "Reply"}, after={"name": "Reply", "restored_from": "3"}),
        "Priya Nair restored the prompt Reply to its version 3",
    ),
    (event("prompt_session.create", "prompt_session", "Tries", after={"name": "Tries"}), "Priya Nair created the playground Tries"),
    (
        event(
            "prompt_session.update",
            "prompt_session",
            "Tries",
            before={"name": "Tries", "prompt_ids": []},
            after={"name": "Tries", "prompt_ids": [GOLDEN]},
        ),
        "Priya Nair changed the prompts of the playground Tries",
    ),
    (event("prompt_session.delete", "prompt_session", "Tries", before={"name": "Tries"}), "Priya Nair deleted the playground Tries"),
    (event("project_tag.create", "project_tag", "prod", after={"name": "prod"}), "Priya Nair created the tag prod"),
    (
        event("project_tag.update", "project_tag", "prod", before={"name": "prod", "color": ""}, after={"name": "prod", "color": "red"}),
        "Priya Nair changed the color of the tag prod",
    ),
    (event("project_tag.delete", "project_tag", "prod", before={"name": "prod"}), "Priya Nair deleted the tag prod"),
    (event("project_score.create", "project_score", "accuracy", after={"name": "accuracy"}), "Priya Nair created the score accuracy"),
    (
        event("project_score.update", "project_score", "correctness", before={"name": "accuracy"}, after={"name": "correctness"}),
        "Priya Nair renamed the score accuracy to correctness",
    ),
    (event("project_score.delete", "project_score", "accuracy", before={"name": "accuracy"}), "Priya Nair deleted the score accuracy"),
    (event("span_iframe.create", "span_iframe", "Viewer", after={"name": "Viewer"}), "Priya Nair created the span iframe Viewer"),
    (
        event(
            "span_iframe.update", "span_iframe", "Viewer", before={"url": "https://a.example.com"}, after={"url": "https://b.example.com"}
        ),
        "Priya Nair changed the URL of the span iframe Viewer",
    ),
    (event("span_iframe.delete", "span_iframe", "Viewer", before={"name": "Viewer"}), "Priya Nair deleted the span iframe Viewer"),
    (
        event("dataset_snapshot.create", "dataset_snapshot", "v1", after={"name": "v1", "xact_id": 4}),
        "Priya Nair created the dataset snapshot v1",
    ),
    (
        event("dataset_snapshot.update", "dataset_snapshot", "v2", before={"name": "v1"}, after={"name": "v2"}),
        "Priya Nair renamed the dataset snapshot v1 to v2",
    ),
    (
        event("dataset_snapshot.delete", "dataset_snapshot", "v1", before={"name": "v1"}),
        "Priya Nair deleted the dataset snapshot v1",
    ),
    (event("environment.create", "environment", "QA", after={"name": "QA", "slug": "qa"}), "Priya Nair created the environment QA"),
    (
        event("environment.update", "environment", "Pre-production", before={"name": "Staging"}, after={"name": "Pre-production"}),
        "Priya Nair renamed the environment Staging to Pre-production",
    ),
    (event("environment.delete", "environment", "QA", before={"name": "QA"}), "Priya Nair deleted the environment QA"),
    (
        event("environment_object.update", "environment_object", "production", before={**PIN, "object_version": None}, after=PIN),
        "Priya Nair pinned version 12 of the prompt reply to production",
    ),
    (
        event("environment_object.update", "environment_object", "production", before={**PIN, "object_version": "9"}, after=PIN),
        "Priya Nair pinned version 12 of the prompt reply to production (was 9)",
    ),
    (
        event("environment_object.delete", "environment_object", "production", before=PIN),
        "Priya Nair unpinned the prompt reply from production",
    ),
    (event("view.create", "view", "Production", after={"name": "Production"}), "Priya Nair created the saved view Production"),
    (
        event("view.update", "view", "Prod", before={"name": "Production"}, after={"name": "Prod"}),
        "Priya Nair renamed the saved view Production to Prod",
    ),
    (event("view.delete", "view", "Prod", before={"name": "Prod"}), "Priya Nair deleted the saved view Prod"),
    (
        event("ai_secret.create", "ai_secret", "OPENAI_API_KEY", after={"name": "OPENAI_API_KEY", "type": "openai", "has_value": True}),
        "Priya Nair added the AI provider key OPENAI_API_KEY",
    ),
    (
        event(
            "ai_secret.update",
            "ai_secret",
            "OPENAI_API_KEY",
            before={"name": "OPENAI_API_KEY", "type": "openai", "has_value": True},
            after={"name": "OPENAI_API_KEY", "type": "azure", "has_value": True, "value_changed": True},
        ),
        "Priya Nair changed the type of the AI provider key OPENAI_API_KEY and replaced the value of it",
    ),
    (
        event("ai_secret.delete", "ai_secret", "OPENAI_API_KEY", before={"name": "OPENAI_API_KEY"}),
        "Priya Nair deleted the AI provider key OPENAI_API_KEY",
    ),
    (
        event("env_var.create", "env_var", "DB_URL", after={"name": "DB_URL", "has_value": True}),
        "Priya Nair added the environment variable DB_URL",
    ),
    (
        event(
            "env_var.update",
            "env_var",
            "DB_URL",
            before={"name": "DB_URL", "has_value": True},
            after={"name": "DB_URL", "has_value": False, "value_changed": True},
        ),
        "Priya Nair removed the value of the environment variable DB_URL",
    ),
    (event("env_var.delete", "env_var", "DB_URL", before={"name": "DB_URL"}), "Priya Nair deleted the environment variable DB_URL"),
]


@pytest.mark.parametrize(("audit_event", "expected"), SENTENCES, ids=[f"{e.action}-{i}" for i, (e, _) in enumerate(SENTENCES)])
def test_an_event_reads_as_a_sentence(audit_event, expected):
    assert sentence(audit_event, NAMES) == expected


def test_every_phrased_action_has_a_sentence_above():
    assert set(PHRASES) == {audit_event.action for audit_event, _ in SENTENCES}


def test_the_sentence_is_who_acted_then_what_they_did():
    words = event_words(event("group.update", "group", "Reviewers", before=group(), after=group(member_users=[SAM])), NAMES)
    assert (words.actor, words.predicate) == ("Priya Nair", "added Sam Lee to the group Reviewers")


def test_an_actor_no_longer_known_is_named_by_the_email_recorded_with_the_event_and_no_actor_is_the_system():
    gone = event("group.delete", "group", "Reviewers", actor="00000000-0000-4000-8000-0000000000ff", email="gone@example.com")
    assert sentence(gone, NAMES).startswith("gone@example.com deleted")
    assert event_words(event("group.delete", "group", "Reviewers", actor=None, email=""), NAMES).actor == SYSTEM_ACTOR


def test_an_action_without_a_phrase_reads_its_name_in_words_never_json():
    text = sentence(event("widget.frobnicate_all", "widget", "W", after={"a": {"b": 1}}), NAMES)
    assert text == "Priya Nair made a change (widget frobnicate all) to the widget W"
    assert "{" not in text


def test_an_event_missing_what_its_phrase_reads_falls_back_to_its_name():
    broken = event("acl.update", "acl", before="not a grant", after=["nor this"])
    assert sentence(broken, NAMES) == "Priya Nair made a change (acl update) to the grant"


def test_an_update_shows_only_the_fields_that_changed_with_lists_as_added_and_removed():
    renamed = event(
        "group.update",
        "group",
        "Reviewers EU",
        before=group(member_users=[ADA, PRIYA]),
        after=group(name="Reviewers EU", member_users=[PRIYA, SAM]),
    )
    table = changes(renamed, NAMES)
    assert table["columns"] == ("before", "after")
    rows = {row["field"]: row for row in table["rows"]}
    assert set(rows) == {"name", "member users"}
    assert (rows["member users"]["added"], rows["member users"]["removed"]) == (["sam@example.com"], ["ada@example.com"])
    assert change_lines(renamed, NAMES) == [
        "member users: added sam@example.com; removed ada@example.com",
        "name: “Reviewers” → “Reviewers EU”",
    ]


def test_a_creation_shows_what_it_made_without_empty_fields():
    created = event("acl.create", "acl", after=GRANT)
    assert change_lines(created, NAMES) == [
        "expires: 12 Dec 2026",
        "group: Contractors",
        "object: baseline-v2",
        "object type: Experiment",
        "permission: read",
    ]


def test_a_settings_object_shows_each_of_its_keys_that_changed():
    changed = event(
        "project.update",
        "project",
        "support-bot",
        before={"settings": {"comparison_key": "input", "spanFieldOrder": None}},
        after={"settings": {"comparison_key": "expected", "spanFieldOrder": None}},
    )
    assert change_lines(changed, NAMES) == ["settings: comparison key: “input” → “expected”"]


def test_an_expiring_membership_reads_as_the_member_until_a_day():
    expiring = event(
        "group.update",
        "group",
        "Reviewers",
        before=group(member_users=[SAM]),
        after=group(member_users=[SAM], member_user_expiries=[{"user": SAM, "expires_at": UNTIL}]),
    )
    assert change_lines(expiring, NAMES) == ["member users until: added sam@example.com until 12 Dec 2026"]


@pytest.mark.parametrize(
    "key", ["token", "key", "api_key", "apiKey", "secret", "client_secret", "password", "private_key", "OPENAI_API_KEY"]
)
def test_a_field_named_for_a_secret_is_hidden_wherever_it_is(key):
    secret = "sk-" + "x" * 40
    leaky = event(
        "project.update",
        "project",
        "support-bot",
        before={key: "old-value", "settings": {key: "old-value"}},
        after={key: secret, "settings": {key: "new-value", "nested": {key: "deep"}}},
    )
    lines = change_lines(leaky, NAMES)
    assert is_secret_key(key)
    assert all(value not in " ".join(lines) for value in ("old-value", "new-value", secret, "deep")), lines
    created = event("project.create", "project", "support-bot", after={"settings": {key: "new-value", "nested": [{key: "deep"}]}})
    assert "new-value" not in " ".join(change_lines(created, NAMES)) and "deep" not in " ".join(change_lines(created, NAMES))
    assert redacted({"a": [{key: "v"}], key: "v"}) == {"a": [{key: HIDDEN}], key: HIDDEN}


@pytest.mark.parametrize("key", ["comparison_key", "preview_name", "name", "keyboard_layout"])
def test_an_ordinary_field_is_not_taken_for_a_secret(key):
    assert not is_secret_key(key)


def test_a_value_that_looks_like_a_credential_is_hidden_whatever_its_field():
    token = "bt-st-" + "a" * 40
    assert change_lines(event("project.create", "project", "p", after={"description": token}), NAMES) == ["description: hidden"]


def test_instants_read_as_days_and_times_in_utc():
    assert readable_time("2026-12-12T00:00:00+00:00") == "12 Dec 2026"
    assert readable_time("2026-12-12T10:30:00+01:00") == "12 Dec 2026, 09:30 UTC"
    assert readable_time("not a time") == "not a time"


# Every action the services really record, written by the services themselves


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(CASES))
def test_every_event_a_service_writes_has_a_phrase_of_its_own(request, name):
    world = request.getfixturevalue("ctx")
    expected = CASES[name](world)
    existing = set(AuditEvent.objects.values_list("id", flat=True))
    expected["call"]()
    events = list(AuditEvent.objects.exclude(id__in=existing))
    names = audit_names(world.org, events)
    assert events
    for audit_event in events:
        assert audit_event.action in PHRASES
        words = event_words(audit_event, names)
        assert words.actor == (expected["actor"] or world.owner).full_name
        assert not words.predicate.startswith("made a change ("), words.predicate
