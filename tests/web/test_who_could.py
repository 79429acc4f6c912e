"""Who could, beside Check access: who held a permission on an object at an earlier instant and what changed
since, as ``/v1/access/who_could`` answers it; refused, explained, to whoever may not read the object's grants
or the audit log; a fixed number of queries whatever the number of holders and changes."""

import time
from datetime import UTC, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from permissions.engine.nodes import Node
from permissions.services.grants import acl_revoke
from tests.access_helpers import grant
from tests.assertions import refusal_names
from tests.factories import ExperimentFactory, ProjectFactory, add_member
from tests.query_helpers import steady_state_queries
from tests.worlds import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def experiment(org):
    return ExperimentFactory(project=ProjectFactory(org=org, name="support-bot"), name="baseline")


def page_url(org) -> str:
    return reverse("web:who-could", kwargs={"org_name": org.name})


def instant():
    """Now, strictly after what came before and before what comes after."""
    time.sleep(0.002)
    now = timezone.now()
    time.sleep(0.002)
    return now


def query(experiment, at, permission="update") -> dict:
    return {
        "object_type": "experiment",
        "object_id": str(experiment.pk),
        "permission": permission,
        "at": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f"),
    }


def held(response, part: str = "holders") -> set[str]:
    return {row.name for row in response.context[part]}


def test_the_answer_at_an_instant_before_a_revoke_differs_from_the_answer_now(org, people, experiment):
    leaving = add_member(org)
    record = grant(org, experiment, user=leaving, permission="update")
    then = instant()
    acl_revoke(actor=people["owner"], grant_id=record.id)
    client = client_for(people["owner"])

    before = client.get(page_url(org), query(experiment, then))
    assert before.status_code == 200, before.content.decode()[:500]
    assert leaving.email in held(before) and held(before, "lost") == {leaving.email}
    html = before.content.decode()
    assert "Experiment baseline" in html and "Lost it since" in html
    (change,) = before.context["changes"]
    assert "revoked update on the experiment baseline" in change.sentence

    now = client.get(page_url(org), query(experiment, instant()))
    assert now.status_code == 200
    assert leaving.email not in held(now) and not now.context["lost"] and not now.context["changes"]
    assert held(before) - held(now) == {leaving.email}


@pytest.mark.parametrize("who", ["engineer", "viewer"])
def test_whoever_sees_the_object_but_may_not_read_its_grants_is_refused_explained_and_shown_nothing(org, people, experiment, who):
    secret = add_member(org)
    grant(org, experiment, user=secret, permission="update")
    response = client_for(people[who]).get(page_url(org), query(experiment, instant()))
    html = response.content.decode()
    assert response.status_code == 403 and refusal_names("Manage access: list grants") in html
    assert secret.email not in html


def test_reading_the_grants_without_the_audit_log_finds_nothing_as_the_audit_log_page_does(org, experiment):
    secret, person = add_member(org), add_member(org)
    grant(org, experiment, user=secret, permission="update")
    for permission in ("read", "read_acls"):
        grant(org, experiment, user=person, permission=permission)
    response = client_for(person).get(page_url(org), query(experiment, instant()))
    assert response.status_code == 404 and secret.email not in response.content.decode()


def test_an_object_the_person_cannot_see_is_not_offered_and_a_time_to_come_is_refused(org, people, experiment):
    unseen = client_for(people["custom"]).get(page_url(org), query(experiment, instant()))
    assert unseen.status_code == 400 and "object_id" in unseen.context["form"].errors
    later = client_for(people["owner"]).get(page_url(org), query(experiment, timezone.now() + timedelta(days=1)))
    assert later.status_code == 400
    assert later.context["form"].errors["at"] == ["Choose a time that has passed (UTC)."]


def test_every_member_may_open_the_question_and_check_access_links_it_with_the_object_asked_about(org, people, experiment):
    assert client_for(people["viewer"]).get(page_url(org)).status_code == 200
    client = client_for(people["owner"])
    engineer = f"user:{people['engineer'].pk}"
    checked = client.get(
        reverse("web:check-access", kwargs={"org_name": org.name}),
        {"principal": engineer, "object_type": "experiment", "object_id": str(experiment.pk), "permission": "update"},
    )
    url = checked.context["who_could_url"]
    assert url.startswith(page_url(org)) and str(experiment.pk) in url
    prefilled = client.get(url)
    assert prefilled.status_code == 200 and prefilled.context["form"]["object_id"].value() == str(experiment.pk)


def test_the_page_costs_the_same_queries_for_one_holder_and_change_and_for_many(org, people, experiment):
    def page_queries(count: int) -> int:
        members = [add_member(org) for _ in range(count)]
        records = [grant(org, Node.of(experiment), user=member, permission="update") for member in members]
        then = instant()
        for record in records:
            acl_revoke(actor=people["owner"], grant_id=record.id)
        client = client_for(people["owner"])
        queries = steady_state_queries(client, page_url(org), query(experiment, then))
        assert len(client.get(page_url(org), query(experiment, then)).context["lost"]) == count
        return queries

    assert page_queries(1) == page_queries(8)
