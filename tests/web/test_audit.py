"""Settings → Audit log: who may read it, what an event shows, the filters, keyset pages that neither skip
nor repeat, and a fixed number of queries whatever the number of events."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.services.members import member_invite
from permissions.engine.nodes import Node
from permissions.models import AuditEvent
from permissions.services.groups import group_create, group_update
from tests.access_helpers import grant
from tests.assertions import refusal_names
from tests.factories import OrganizationFactory, add_member, builtin_group, owner_of
from tests.query_helpers import steady_state_queries
from tests.worlds import client_for

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
    group = group_create(actor=owner, org=org, name="Reviewers")
    group_update(actor=owner, group=group, description="Label checkers", add_member_users=[viewer.pk])
    response = client_for(owner).get(log_url(org))
    html = response.content.decode()
    row = next(r for r in response.context["rows"] if r["event"].action == "group.update")
    assert row["changes"]["columns"] == ("before", "after")
    changes = {change["field"]: change for change in row["changes"]["rows"]}
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
    now = timezone.now()
    _event(org, action="group.update", actor_email="ada@example.com", target_name="Reviewers", created=now - timedelta(days=3))
    _event(org, action="group.delete", actor_email="grace@example.com", target_name="Old", created=now - timedelta(days=1))
    _event(org, action="api_key.create", actor_email="ada@example.com", target_type="api_key", target_name="laptop", created=now)
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
