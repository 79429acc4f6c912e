"""Settings → Audit log: who may read it, what an event shows (a sentence, and what it changed), the
filters, keyset pages that neither skip nor repeat, the CSV and JSON Lines exports of what the filters
select, and a fixed number of queries whatever the number of events."""

import csv
import io
import json
import re
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.services.members import member_invite
from permissions.engine.nodes import Node
from permissions.models import AuditEvent
from permissions.services.grants import acl_grant
from permissions.services.groups import group_create, group_update
from tests.access_helpers import grant, spec_for
from tests.assertions import refusal_names
from tests.factories import ExperimentFactory, OrganizationFactory, add_member, builtin_group, owner_of
from tests.query_helpers import steady_state_download_queries, steady_state_queries
from tests.worlds import client_for
from web.views import audit as audit_views

pytestmark = pytest.mark.django_db


def log_url(org) -> str:
    return reverse("web:audit-log", kwargs={"org_name": org.name})


def _event(org, *, action="group.update", actor_email="ada@example.com", target_type="group", target_name="Reviewers", created=None):
    return AuditEvent.objects.create(
        org=org,
        actor_email=actor_email,
        action=action,
        target_type=target_type,
        target_id="",
        target_name=target_name,
        created=created or timezone.now(),
    )


def _three_events(org) -> datetime:
    """Ada's group update three days ago, Grace's group deletion a day ago and Ada's API key made now, the
    events the filters and the exports pick from; returns now."""
    now = timezone.now()
    _event(org, action="group.update", actor_email="ada@example.com", target_name="Reviewers", created=now - timedelta(days=3))
    _event(org, action="group.delete", actor_email="grace@example.com", target_name="Old", created=now - timedelta(days=1))
    _event(org, action="api_key.create", actor_email="ada@example.com", target_type="api_key", target_name="laptop", created=now)
    return now


def _logged_group_update(org, people, **changes):
    """The owner makes the group Reviewers, then updates it with `changes` and adds the viewer to it: the log
    page the owner gets, its row of the update, and that row's changes by field."""
    owner, viewer = people["owner"], people["viewer"]
    group = group_create(actor=owner, org=org, name="Reviewers")
    group_update(actor=owner, group=group, add_member_users=[viewer.pk], **changes)
    response = client_for(owner).get(log_url(org))
    row = next(r for r in response.context["rows"] if r["event"].action == "group.update")
    return response, row, {change["field"]: change for change in row["changes"]["rows"]}


@pytest.mark.parametrize(("who", "status"), [("owner", 200), ("engineer", 404), ("viewer", 404), ("custom", 404), ("outsider", 404)])
def test_only_those_who_read_audit_logs_see_the_audit_log(org, people, who, status):
    response = client_for(people[who]).get(log_url(org))
    assert response.status_code == status
    if status == 200:
        assert "organization.create" in response.content.decode()


@pytest.mark.parametrize("who", ["owner", "engineer", "viewer", "custom"])
def test_the_sidebar_links_the_audit_log_to_those_who_may_read_it(org, people, who):
    html = client_for(people[who]).get(reverse("web:api-keys", kwargs={"org_name": org.name})).content.decode()
    assert (log_url(org) in html) is (who == "owner")


def test_the_read_audit_logs_box_opens_the_audit_log(org, people):
    person = people["custom"]
    grant(org, Node("org_audit_logs", org.pk), user=person, permission="read")
    response = client_for(person).get(log_url(org))
    assert response.status_code == 200
    assert log_url(org) in response.content.decode()


def test_someone_who_holds_another_permission_on_the_log_gets_the_explained_refusal(org, people):
    person = people["custom"]
    grant(org, Node("org_audit_logs", org.pk), user=person, permission="update")
    response = client_for(person).get(log_url(org))
    assert response.status_code == 403 and refusal_names("Read audit logs <code") in response.content.decode()


def test_an_event_shows_actor_action_target_and_a_readable_before_and_after(org, people):
    owner, viewer = people["owner"], people["viewer"]
    response, row, changes = _logged_group_update(org, people, description="Label checkers")
    html = response.content.decode()
    assert row["changes"]["columns"] == ("before", "after")
    assert set(changes) == {"description", "member users"}  # an update shows what changed
    assert changes["member users"]["after"] == viewer.email and changes["member users"]["before"] == "—"
    assert changes["description"]["after"] == "Label checkers"
    created = next(r for r in response.context["rows"] if r["event"].action == "group.create")
    assert created["changes"]["columns"] == ("after",) and "name" in {c["field"] for c in created["changes"]["rows"]}
    assert owner.email in html and "Reviewers" in html and "via web" not in html  # written by a service call, not a request
    table = html[html.index('aria-label="Audit events"') :]
    assert table.index("group.update") < table.index("group.create") < table.index("organization.create")  # newest first


def test_another_organizations_events_are_not_shown(org, people):
    elsewhere = OrganizationFactory(name="Beta")
    group_create(actor=owner_of(elsewhere), org=elsewhere, name="Their secret group")
    html = client_for(people["owner"]).get(log_url(org)).content.decode()
    assert "Their secret group" not in html


def test_the_filters_narrow_the_log(org, people):
    now = _three_events(org)
    client = client_for(people["owner"])

    def shown(**filters) -> set[str]:
        response = client.get(log_url(org), filters)
        assert response.status_code == 200
        return {row["event"].target_name for row in response.context["rows"]} - {"Acme", "Owners", "Engineers", "Viewers"}

    assert shown(actor="ADA@") == {"Reviewers", "laptop"}
    assert shown(action="group.delete") == {"Old"}
    assert shown(target_type="api_key") == {"laptop"}
    assert shown(target="review") == {"Reviewers"}
    since = (now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    until = (now - timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M")
    assert shown(since=since, until=until) == {"Old"}
    assert shown(actor="ada", target_type="group") == {"Reviewers"}


def test_a_bad_time_range_is_a_form_error(org, people):
    response = client_for(people["owner"]).get(log_url(org), {"since": "2030-01-02T00:00", "until": "2030-01-01T00:00"})
    assert response.status_code == 400 and "must be after" in response.content.decode()
    assert response.context["rows"] == []


def test_pages_go_back_in_time_without_skipping_or_repeating(org, people):
    same_moment = timezone.now() - timedelta(hours=1)
    for index in range(70):  # many share a timestamp: the id breaks the tie
        _event(org, target_name=f"event-{index}", created=same_moment if index % 2 else same_moment - timedelta(seconds=index))
    client = client_for(people["owner"])
    seen, address, pages = [], log_url(org) + "?action=group.update", 0
    while address:
        response = client.get(address)
        seen += [row["event"].pk for row in response.context["rows"]]
        next_url = response.context["next_url"]
        address = log_url(org) + next_url if next_url else None
        pages += 1
    assert pages == 2
    assert len(seen) == len(set(seen)) == 70
    assert "action=group.update" in response.context["newest_url"]


def test_an_htmx_request_gets_only_the_results(org, people):
    response = client_for(people["owner"]).get(log_url(org), {"action": "organization.create"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html and "organization.create" in html


def test_the_audit_log_costs_the_same_queries_for_few_and_many_events(org, people):
    owner = people["owner"]
    client = client_for(owner)

    def count() -> int:
        return steady_state_queries(client, log_url(org))

    group = group_create(actor=owner, org=org, name="Reviewers", member_users=[people["viewer"].pk])
    few = count()
    for index in range(30):
        person = add_member(org, None, "viewers")
        group_update(actor=owner, group=group, add_member_users=[person.pk])
        member_invite(actor=owner, org=org, email=f"invitee{index}@example.com", group_ids=[builtin_group(org, "viewers").pk])
    assert count() == few


# Each event in words, with what it changed


def test_each_event_reads_as_a_sentence_with_what_it_changed_folded_under_it(org, people):
    owner, viewer = people["owner"], people["viewer"]
    response, row, changes = _logged_group_update(org, people, name="Reviewers EU")
    html = response.content.decode()
    assert row["words"].sentence == f"{owner.full_name} renamed the group Reviewers to Reviewers EU and added {viewer.full_name} to it"
    assert escape(row["words"].predicate) in html and escape(owner.full_name) in html
    assert set(changes) == {"name", "member users"}
    assert (changes["member users"]["added"], changes["member users"]["removed"]) == ([viewer.email], [])
    assert "<del>“Reviewers”</del> → <ins>“Reviewers EU”</ins>" in html
    assert f"<ins>added {viewer.email}</ins>" in html
    table = html[html.index('aria-label="Audit events"') :]
    assert "<details>" in table and "{&quot;" not in table and '{"' not in table  # words, never raw JSON


def test_a_grant_reads_with_the_names_of_its_object_and_subject(org, people, project):
    owner = people["owner"]
    experiment = ExperimentFactory(project=project, name="baseline-v2")
    contractors = group_create(actor=owner, org=org, name="Contractors")
    until = timezone.now() + timedelta(days=30)
    acl_grant(actor=owner, spec=replace(spec_for(experiment, group=contractors, permission="read"), expires_at=until))
    response = client_for(owner).get(log_url(org), {"action": "acl.create"})
    (row,) = response.context["rows"]
    expected = f"granted read on the experiment baseline-v2 to the group Contractors, until {until.day} {until:%b %Y}"
    assert row["words"].predicate == expected
    assert expected in response.content.decode()


def test_a_secret_in_an_event_is_shown_as_hidden(org, people):
    before, after = {"api_key": "old-secret"}, {"api_key": "new-secret"}
    AuditEvent.objects.create(org=org, action="project.update", target_type="project", target_name="p", before=before, after=after)
    html = client_for(people["owner"]).get(log_url(org), {"action": "project.update"}).content.decode()
    assert "old-secret" not in html and "new-secret" not in html and "hidden" in html


def test_the_page_costs_the_same_queries_whatever_the_events_name(org, people, project):
    owner = people["owner"]
    client = client_for(owner)
    group = group_create(actor=owner, org=org, name="Reviewers", member_users=[people["viewer"].pk])
    few = steady_state_queries(client, log_url(org))
    grant(org, project, user=people["engineer"], permission="read", restrict="experiment")
    for index in range(5):
        grant(org, ExperimentFactory(project=project, name=f"run-{index}"), group=group, permission="read")
    assert steady_state_queries(client, log_url(org)) == few


# Export


def export_url(org, export_format: str) -> str:
    return reverse(f"web:audit-log-{export_format}", kwargs={"org_name": org.name})


def csv_rows(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode())))


def test_the_export_links_carry_the_current_filters(org, people):
    client = client_for(people["owner"])
    html = client.get(log_url(org), {"actor": "ada", "action": "organization.create", "after": "2030-01-01T00:00:00_x"}).content.decode()
    assert f'href="{export_url(org, "csv")}?actor=ada&amp;action=organization.create"' in html
    assert f'href="{export_url(org, "jsonl")}?actor=ada&amp;action=organization.create"' in html
    partial = client.get(log_url(org), {"action": "organization.create"}, headers={"HX-Request": "true"}).content.decode()
    assert f"{export_url(org, 'csv')}?action=organization.create" in partial  # the links follow the filters as they change
    assert ">Export CSV<" in html and ">Export JSON Lines<" in html


def test_the_csv_export_streams_every_event_the_filters_select_as_an_attachment(org, people):
    _three_events(org)
    client = client_for(people["owner"])
    response = client.get(export_url(org, "csv"), {"actor": "ada"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert re.fullmatch(r'attachment; filename="audit-log-acme-\d{8}-\d{6}\.csv"', response["Content-Disposition"])
    content = b"".join(response.streaming_content)
    assert content.decode().splitlines()[0] == "time,actor,action,sentence,target_type,target_id,target_name,origin,before,after"
    rows = csv_rows(content)
    assert [row["target_name"] for row in rows] == ["laptop", "Reviewers"]  # the filters, newest first
    laptop = rows[0]
    assert datetime.fromisoformat(laptop["time"]).utcoffset() == timedelta(0)
    assert (laptop["actor"], laptop["action"], laptop["target_type"]) == ("ada@example.com", "api_key.create", "api_key")
    assert laptop["sentence"] == "ada@example.com created the API key laptop"
    assert (laptop["origin"], laptop["before"], laptop["after"]) == ("{}", "", "")
    everything = csv_rows(b"".join(client.get(export_url(org, "csv")).streaming_content))
    assert len(everything) == AuditEvent.objects.filter(org=org).count()


def test_the_json_lines_export_writes_one_event_per_line_with_its_change(org, people):
    owner, viewer = people["owner"], people["viewer"]
    group = group_create(actor=owner, org=org, name="Reviewers")
    group_update(actor=owner, group=group, add_member_users=[viewer.pk])
    response = client_for(owner).get(export_url(org, "jsonl"), {"target_type": "group"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Disposition"].startswith("attachment; filename=") and response["Content-Disposition"].endswith('.jsonl"')
    lines = b"".join(response.streaming_content).decode().splitlines()
    records = [json.loads(line) for line in lines]
    assert [record["action"] for record in records] == ["group.update", "group.create"]
    update = records[0]
    assert set(update) == {"time", "actor", "action", "sentence", "target_type", "target_id", "target_name", "origin", "before", "after"}
    assert update["sentence"] == f"{owner.full_name} added {viewer.full_name} to the group Reviewers"
    assert (update["before"]["member_users"], update["after"]["member_users"]) == ([], [str(viewer.pk)])
    assert update["target_id"] == str(group.pk) and update["actor"] == owner.email


def test_the_export_writes_no_secret_and_no_cell_a_spreadsheet_would_run(org, people):
    AuditEvent.objects.create(
        org=org,
        actor_email="=cmd@example.com",
        action="project.update",
        target_type="project",
        target_name='=HYPERLINK("http://evil.example")',
        before={"settings": {"api_key": "old-secret"}},
        after={"settings": {"api_key": "new-secret"}, "token": "sk-" + "a" * 40},
    )
    _event(org, action="group.update", target_name="+1")
    _event(org, action="group.update", target_name="-1")
    _event(org, action="group.update", target_name="@SUM(A1)")
    client = client_for(people["owner"])
    content = b"".join(client.get(export_url(org, "csv")).streaming_content)
    rows = csv_rows(content)
    cells = [value for row in rows for value in row.values()]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@")]
    assert {'\'=HYPERLINK("http://evil.example")', "'+1", "'-1", "'@SUM(A1)", "'=cmd@example.com"} <= set(cells)
    jsonl = b"".join(client.get(export_url(org, "jsonl")).streaming_content).decode()
    for text in (content.decode(), jsonl):
        assert "old-secret" not in text and "new-secret" not in text and "sk-aaaa" not in text


@pytest.mark.parametrize("export_format", ["csv", "jsonl"])
@pytest.mark.parametrize("who", ["engineer", "viewer", "custom", "outsider", "holds update on the log"])
def test_the_export_refuses_whoever_the_page_refuses_in_the_same_way(org, people, who, export_format):
    person = people["custom"] if who == "holds update on the log" else people[who]
    if who == "holds update on the log":
        grant(org, Node("org_audit_logs", org.pk), user=person, permission="update")
    client = client_for(person)
    page, export = client.get(log_url(org)), client.get(export_url(org, export_format))
    assert export.status_code == page.status_code == (403 if who == "holds update on the log" else 404)
    assert not export.streaming and "organization.create" not in export.content.decode()
    if export.status_code == 403:
        assert refusal_names("Read audit logs <code") in export.content.decode()


def test_the_export_refuses_wrong_filters_rather_than_exporting_everything(org, people):
    response = client_for(people["owner"]).get(export_url(org, "csv"), {"since": "2030-01-02T00:00", "until": "2030-01-01T00:00"})
    assert response.status_code == 400 and not response.streaming and "must be after" in response.content.decode()


def test_the_export_reads_the_log_a_chunk_at_a_time_without_skipping_or_repeating(org, people, monkeypatch):
    monkeypatch.setattr(audit_views, "EXPORT_CHUNK", 2)
    same_moment = timezone.now() - timedelta(hours=1)
    for index in range(7):
        _event(org, target_name=f"event-{index}", created=same_moment if index % 2 else same_moment - timedelta(seconds=index))
    rows = csv_rows(b"".join(client_for(people["owner"]).get(export_url(org, "csv"), {"action": "group.update"}).streaming_content))
    expected = AuditEvent.objects.filter(org=org, action="group.update").order_by("-created", "-id")
    assert [row["target_name"] for row in rows] == [event.target_name for event in expected]
    assert len({row["target_name"] for row in rows}) == 7


@pytest.mark.parametrize("export_format", ["csv", "jsonl"])
def test_the_export_costs_the_same_queries_for_one_and_for_many_events(org, people, export_format):
    owner = people["owner"]
    client = client_for(owner)
    group = group_create(actor=owner, org=org, name="Reviewers", member_users=[people["viewer"].pk])
    one, content = steady_state_download_queries(client, export_url(org, export_format), {"target_type": "group"})
    assert len(content.decode().strip().splitlines()) == (2 if export_format == "csv" else 1)
    for _ in range(30):
        person = add_member(org, None, "viewers")
        group_update(actor=owner, group=group, add_member_users=[person.pk])
    many, content = steady_state_download_queries(client, export_url(org, export_format), {"target_type": "group"})
    assert len(content.decode().strip().splitlines()) == (32 if export_format == "csv" else 31)
    assert many == one
