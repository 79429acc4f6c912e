"""The endpoints Braintrust's SDK calls outside /v1, through Django's test client: login, version, /logs3
and base experiments. (tests/sdk/test_python.py drives the SDK itself against a live server.)"""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import ApiKey
from accounts.services.credentials import api_key_create, api_key_delete, service_account_create, service_token_create
from permissions.engine import Node
from projects.events.reads import fetch_events
from projects.events.targets import EventTarget
from projects.events.writes import insert_events
from projects.models import EventFeedback, EventRow
from tests.access_helpers import grant, row_counts
from tests.api_helpers import ApiClient, api_client_for
from tests.factories import DatasetFactory, ExperimentFactory, OrganizationFactory, ProjectFactory, add_member, owner_of

pytestmark = pytest.mark.django_db

LOGIN = "/api/apikey/login"


def logs_row(project, **fields) -> dict:
    return {"project_id": str(project.pk), "log_id": "g", **fields}


def post_rows(client: ApiClient, rows, **body):
    return client.raw_post("/logs3", json.dumps({"rows": rows, "api_version": 2, **body}), content_type="")


def stored(target: EventTarget, owner) -> dict[str, dict]:
    return {event["id"]: event for event in fetch_events(actor=owner, target=target, limit=1000).events}


# Login


def test_login_with_an_api_key_answers_its_organization_served_by_this_server(org, owner):
    response = api_client_for(owner, org).post(LOGIN)
    assert response.status_code == 200
    assert response.json() == {
        "org_info": [
            {
                "id": str(org.pk),
                "name": "Acme",
                "api_url": "http://testserver",
                "proxy_url": None,
                "realtime_url": None,
                "is_universal_api": False,
                "git_metadata": None,
            }
        ]
    }


def test_login_with_a_service_token_answers_the_service_accounts_organization(org, owner):
    robot = service_account_create(actor=owner, org=org, name="logger")
    _, raw = service_token_create(actor=owner, org=org, account_id=robot.pk, name="t")
    assert raw.startswith("bt-st-")
    assert [o["id"] for o in ApiClient(raw).post(LOGIN).json()["org_info"]] == [str(org.pk)]


def test_login_answers_a_member_with_no_grant_at_all_its_organization(org):
    nobody = add_member(org)
    assert [o["name"] for o in api_client_for(nobody, org).post(LOGIN).json()["org_info"]] == ["Acme"]


def test_login_answers_only_the_credentials_own_organization(org, owner):
    other = OrganizationFactory(name="Other")
    add_member(other, owner, "owners")
    assert [o["name"] for o in api_client_for(owner, other).post(LOGIN).json()["org_info"]] == ["Other"]


def test_login_api_url_is_the_organizations_setting_then_public_url_then_the_request_host(org, owner, settings):
    client = api_client_for(owner, org)
    settings.PUBLIC_URL = "https://bt.example.com"
    assert client.post(LOGIN).json()["org_info"][0]["api_url"] == "https://bt.example.com"
    org.api_url = "https://api.example.com"
    org.save(update_fields=["api_url"])
    assert client.post(LOGIN).json()["org_info"][0]["api_url"] == "https://api.example.com"


def test_login_ignores_forwarded_headers_unless_they_are_trusted(org, owner, settings):
    settings.ALLOWED_HOSTS = ["testserver", "evil.example.com"]
    _, raw = api_key_create(actor=owner, org=org, name="k")
    spoofed = ApiClient(raw, HTTP_X_FORWARDED_HOST="evil.example.com", HTTP_X_FORWARDED_PROTO="https")
    assert spoofed.post(LOGIN).json()["org_info"][0]["api_url"] == "http://testserver"
    settings.USE_X_FORWARDED_HOST = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert spoofed.post(LOGIN).json()["org_info"][0]["api_url"] == "https://evil.example.com"


@pytest.mark.parametrize("how", ["bad", "revoked", "expired", "none"])
def test_login_refuses_a_bad_revoked_expired_or_missing_credential_with_json_401(org, owner, how):
    key, raw = api_key_create(actor=owner, org=org, name="k")
    if how == "revoked":
        api_key_delete(actor=owner, key_id=key.pk)
    if how == "expired":
        ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    client = {"bad": ApiClient("sk-" + "x" * 49), "none": ApiClient()}.get(how, ApiClient(raw))
    response = client.post(LOGIN)
    assert response.status_code == 401
    assert response.json()["error"]["status"] == 401


def test_version_advertises_the_largest_logs3_body_accepted(settings, client):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 12345
    assert client.get("/version").json()["logs3_payload_max_bytes"] == 12345


def test_ping_names_the_credentials_principal(org, owner):
    assert api_client_for(owner, org).get("/ping").json()["id"] == str(owner.pk)
    assert ApiClient().get("/ping").status_code == 401


# /logs3: where rows go


def test_logs3_reads_json_whatever_the_content_type_and_writes_every_object_named(org, owner, project):
    experiment = ExperimentFactory(project=project)
    dataset = DatasetFactory(project=project)
    rows = [
        logs_row(project, id="log-1", input="hi", output="hello"),
        {"experiment_id": str(experiment.pk), "id": "exp-1", "input": 1, "scores": {"accuracy": 1}},
        {"dataset_id": str(dataset.pk), "id": "case-1", "input": "q", "expected": "a"},
    ]
    response = post_rows(api_client_for(owner, org), rows)
    assert response.status_code == 200, response.content
    assert stored(EventTarget.of(project), owner)["log-1"]["output"] == "hello"
    assert stored(EventTarget.of(experiment), owner)["exp-1"]["scores"] == {"accuracy": 1}
    assert stored(EventTarget.of(dataset), owner)["case-1"]["expected"] == "a"


def test_logs3_merges_and_deletes_rows_as_the_v1_insert_does(org, owner, project):
    client = api_client_for(owner, org)
    post_rows(client, [logs_row(project, id="r", metadata={"a": {"x": 1}}, tags=["t"]), logs_row(project, id="gone", input=1)])
    post_rows(
        client, [logs_row(project, id="r", _is_merge=True, metadata={"a": {"y": 2}}), logs_row(project, id="gone", _object_delete=True)]
    )
    rows = stored(EventTarget.of(project), owner)
    assert rows["r"]["metadata"] == {"a": {"x": 1, "y": 2}} and rows["r"]["tags"] == ["t"]
    assert "gone" not in rows


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("nope", "rows must be a list"),
        ([{"id": "x"}], "rows[0]: name the destination"),
        ([{"project_id": "not-a-uuid", "log_id": "g"}], "rows[0].project_id: must be a UUID"),
        ([{"project_id": "00000000-0000-0000-0000-000000000000"}], "rows[0].log_id"),
        ([{"prompt_session_id": "00000000-0000-0000-0000-000000000000", "log_id": "x"}], "rows[0].prompt_session_id"),
        (["row"], "rows[0] must be a JSON object"),
    ],
)
def test_logs3_refuses_rows_without_a_clear_destination_naming_the_row(org, owner, rows, message):
    response = post_rows(api_client_for(owner, org), rows)
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]


def test_logs3_refuses_an_invalid_row_by_its_position_and_writes_nothing(org, owner, project):
    rows = [logs_row(project, id="fine"), logs_row(project, id="bad", scores={"s": 7})]
    client = api_client_for(owner, org)
    before = row_counts()
    response = post_rows(client, rows)
    assert response.status_code == 400
    assert "rows[1].scores.s" in response.json()["error"]["message"]
    assert row_counts() == before


def test_logs3_refuses_malformed_json_deep_nesting_and_another_api_version(org, owner, project):
    client = api_client_for(owner, org)
    assert client.raw_post("/logs3", "{not json", content_type="").status_code == 400
    assert client.raw_post("/logs3", "[" * 100_000, content_type="text/plain").status_code == 400
    response = post_rows(client, [logs_row(project)], api_version=1)
    assert response.status_code == 400 and "api_version" in response.json()["error"]["message"]


def test_logs3_refuses_a_body_larger_than_it_advertises_with_413(org, owner, project, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post_rows(api_client_for(owner, org), [logs_row(project, input="x" * 2000)])
    assert response.status_code == 413
    assert not EventRow.objects.exists()


def test_logs3_accepts_a_body_of_exactly_the_advertised_size(org, owner, project, settings):
    body = json.dumps({"rows": [logs_row(project, id="r", input="")], "api_version": 2})
    padding = 1000 - len(body)
    body = json.dumps({"rows": [logs_row(project, id="r", input="x" * padding)], "api_version": 2})
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = len(body)
    assert api_client_for(owner, org).raw_post("/logs3", body, content_type="").status_code == 200


# /logs3: access


def test_a_logging_service_account_writes_logs_and_nothing_else(org, owner, project):
    robot = service_account_create(actor=owner, org=org, name="logger")
    grant(org, Node("project_log", project.pk), user=robot, permission="update")
    _, raw = service_token_create(actor=owner, org=org, account_id=robot.pk, name="t")
    client = ApiClient(raw)
    assert post_rows(client, [logs_row(project, id="ok")]).status_code == 200
    experiment = ExperimentFactory(project=project)
    before = row_counts()
    response = post_rows(client, [logs_row(project, id="again"), {"experiment_id": str(experiment.pk), "id": "e"}])
    assert response.status_code == 404
    assert row_counts() == before


def test_one_object_the_caller_sees_but_may_not_update_refuses_the_whole_request_with_403(org, owner, project):
    viewer = add_member(org, None, "viewers")
    grant(org, Node("project_log", project.pk), user=viewer, permission="update")
    experiment = ExperimentFactory(project=project)
    client = api_client_for(viewer, org)
    before = row_counts()
    response = post_rows(client, [logs_row(project, id="l"), {"experiment_id": str(experiment.pk), "id": "e"}])
    assert response.status_code == 403
    assert response.json()["error"]["missing_permission"] == "update"
    assert row_counts() == before


def test_an_outsiders_rows_are_refused_as_not_found_and_nothing_lands(org, project):
    other = OrganizationFactory()
    client = api_client_for(owner_of(other), other)
    before = row_counts()
    response = post_rows(client, [logs_row(project, id="x")])
    assert response.status_code == 404
    assert response.json() == {"error": {"status": 404, "message": f"No project with id {project.pk} was found."}}
    assert row_counts() == before


def test_rows_for_a_deleted_experiment_are_not_found(org, owner, project):
    experiment = ExperimentFactory(project=project, deleted_at=timezone.now())
    response = post_rows(api_client_for(owner, org), [{"experiment_id": str(experiment.pk), "id": "e"}])
    assert response.status_code == 404


def test_logs3_costs_the_same_queries_for_one_row_and_for_many(org, owner, project):
    client = api_client_for(owner, org)

    def queries(count: int, start: int) -> int:
        rows = [logs_row(project, id=f"r{start + i}", input=i) for i in range(count)]
        with CaptureQueriesContext(connection) as captured:
            assert post_rows(client, rows).status_code == 200
        return len(captured)

    queries(1, 0)  # warm the per-process caches
    assert queries(1, 100) == queries(50, 200)


# /logs3: feedback


def test_feedback_rows_merge_scores_and_keep_their_metadata_in_the_history_only(org, owner, project):
    client = api_client_for(owner, org)
    post_rows(client, [logs_row(project, id="span", scores={"auto": 0.5}, metadata={"model": "m"})])
    feedback = logs_row(project, id="span", _is_merge=True, scores={"human": 1}, _audit_source="external", _audit_metadata={"by": "me"})
    comment = logs_row(project, id="c1", origin={"id": "span"}, comment={"text": "nice"}, _audit_source="app", _audit_metadata={"by": "me"})
    assert post_rows(client, [feedback, comment]).status_code == 200
    row = stored(EventTarget.of(project), owner)["span"]
    assert row["scores"] == {"auto": 0.5, "human": 1}
    assert row["metadata"] == {"model": "m"}
    assert [c["comment"] for c in row["comments"]] == ["nice"]
    history = list(EventFeedback.objects.order_by("id").values_list("source", "metadata", "comment"))
    assert history == [("external", {"by": "me"}, ""), ("app", {"by": "me"}, "nice")]


def test_feedback_merged_into_its_span_by_the_sdk_is_kept_as_history_too(org, owner, project):
    merged = logs_row(project, id="span", input="i", scores={"human": 1}, _audit_source="external", _audit_metadata={"by": "me"})
    assert post_rows(api_client_for(owner, org), [merged]).status_code == 200
    row = stored(EventTarget.of(project), owner)["span"]
    assert row["scores"] == {"human": 1} and row["metadata"] is None
    assert list(EventFeedback.objects.values_list("row_id", "metadata")) == [("span", {"by": "me"})]


def test_a_comment_on_a_missing_row_refuses_the_whole_request(org, owner, project):
    rows = [logs_row(project, id="new"), logs_row(project, id="c", origin={"id": "ghost"}, comment={"text": "?"}, _audit_source="app")]
    client = api_client_for(owner, org)
    before = row_counts()
    response = post_rows(client, rows)
    assert response.status_code == 400 and "ghost" in response.json()["error"]["message"]
    assert row_counts() == before


@pytest.mark.parametrize(
    ("extra", "field"),
    [({"comment": "plain", "origin": {"id": "span"}}, "rows[0].comment"), ({"comment": {"text": "x"}, "origin": "span"}, "rows[0].origin")],
)
def test_a_malformed_comment_row_is_refused_naming_the_field(org, owner, project, extra, field):
    response = post_rows(api_client_for(owner, org), [logs_row(project, id="c", _audit_source="app", **extra)])
    assert response.status_code == 400 and field in response.json()["error"]["message"]


# Base experiment


def test_base_experiment_is_the_stored_base_else_the_latest_earlier_one_and_none_is_400(org, owner, project):
    client = api_client_for(owner, org)
    first = ExperimentFactory(project=project, name="first")
    assert client.post("/api/base_experiment/get_id", {"id": str(first.pk)}).status_code == 400
    second = ExperimentFactory(project=project, name="second")
    assert client.post("/api/base_experiment/get_id", {"id": str(second.pk)}).json() == {
        "base_exp_id": str(first.pk),
        "base_exp_name": "first",
    }
    other = ExperimentFactory(project=ProjectFactory(org=org), name="elsewhere")
    third = ExperimentFactory(project=project, name="third", base_exp=other)
    assert client.post("/api/base_experiment/get_id", {"id": str(third.pk)}).json()["base_exp_name"] == "elsewhere"


def test_base_experiment_never_names_one_the_caller_may_not_read(org, project):
    hidden = ExperimentFactory(project=ProjectFactory(org=org), name="hidden")
    mine = ExperimentFactory(project=project, base_exp=hidden)
    person = add_member(org)
    grant(org, mine, user=person, permission="read")
    client = api_client_for(person, org)
    assert client.post("/api/base_experiment/get_id", {"id": str(mine.pk)}).status_code == 400
    assert client.post("/api/base_experiment/get_id", {"id": str(hidden.pk)}).status_code == 404


def test_inserted_rows_are_identical_through_logs3_and_v1_insert(org, owner):
    """The same rows through both entry points store the same data (one write path)."""
    via_sdk, via_v1 = ProjectFactory(org=org), ProjectFactory(org=org)
    events = [{"id": "a", "input": {"q": 1}, "metadata": {"m": [1, 2]}, "tags": ["x"]}, {"id": "b", "_parent_id": "a", "output": 2}]
    post_rows(api_client_for(owner, org), [logs_row(via_sdk, **event) for event in events])
    insert_events(actor=owner, target=EventTarget.of(via_v1), events=events)

    def shape(project):
        return {
            row_id: {k: v for k, v in event.items() if k in ("input", "output", "metadata", "tags", "is_root")}
            for row_id, event in stored(EventTarget.of(project), owner).items()
        }

    assert shape(via_sdk) == shape(via_v1) and len(shape(via_sdk)) == 2


def test_rows_checked_by_the_sdk_parser_are_not_checked_again_but_another_kinds_are():
    from permissions.exceptions import ValidationError
    from projects.events.validation import CheckedEvents, validate_events
    from projects.models import ObjectKind

    checked = CheckedEvents(ObjectKind.PROJECT_LOGS, [{"id": "a", "input": 1}])
    assert validate_events(ObjectKind.PROJECT_LOGS, checked) is checked
    with pytest.raises(ValidationError, match=r"events\[0\]\.scores: unknown field"):  # datasets hold no scores
        validate_events(ObjectKind.DATASET, CheckedEvents(ObjectKind.PROJECT_LOGS, [{"id": "a", "scores": {"s": 1}}]))
