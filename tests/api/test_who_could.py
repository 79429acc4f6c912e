"""``GET /v1/access/who_could``: who held a permission on an object at an earlier instant, from the audit log,
with who gained and lost it since and the events that changed it; it needs read_acls on the object and read
on the audit log; a fixed number of queries whatever the number of holders and events. (That it replays the
history exactly is tests/engine/test_history.py.)"""

import time

import pytest
from django.utils import timezone

from permissions.engine import Node
from permissions.services.grants import GrantSpec, acl_grant, acl_revoke
from permissions.services.groups import group_create, group_update
from tests.access_helpers import grant
from tests.api_helpers import api_client_for
from tests.assertions import error
from tests.factories import ExperimentFactory, OrganizationFactory, add_member, owner_of
from tests.query_helpers import steady_state_queries

pytestmark = pytest.mark.django_db

PATH = "/v1/access/who_could"


def instant():
    time.sleep(0.002)
    now = timezone.now()
    time.sleep(0.002)
    return now


def ask(client, experiment, at, permission="update", **params):
    return client.get(
        PATH, {"object_type": "experiment", "object_id": str(experiment.pk), "permission": permission, "at": at.isoformat(), **params}
    )


def names(holders: list[dict]) -> set[str]:
    return {holder["principal"]["name"] for holder in holders}


def test_who_could_names_who_held_it_then_who_gained_and_lost_it_and_what_changed(experiment_world):
    org, project, experiment, owner = experiment_world
    leaving, arriving = add_member(org), add_member(org)
    record = grant(org, experiment, user=leaving, permission="update")
    then = instant()
    acl_revoke(actor=owner, grant_id=record.id)
    team = group_create(actor=owner, org=org, name="Arrivals", member_users=[arriving.pk])
    acl_grant(actor=owner, spec=GrantSpec(object_type="project", object_id=project.pk, group_id=team.pk, permission="update"))
    response = ask(api_client_for(owner, org), experiment, then)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["existed"] is True
    assert leaving.email in names(body["objects"]) and arriving.email not in names(body["objects"])
    assert names(body["lost_since"]) == {leaving.email}
    assert {arriving.email, "Arrivals"} <= names(body["gained_since"])
    assert [event["action"] for event in body["changes"]["events"]] == ["acl.create", "group.create", "acl.delete"]
    assert body["changes"]["count"] == 3
    (reason,) = next(h for h in body["objects"] if h["principal"]["name"] == leaving.email)["reasons"]
    assert reason["acl"]["id"] == str(record.id), "the revoked grant is named as it was"


def test_a_member_removed_from_a_group_since_held_it_through_the_group_then(experiment_world):
    org, project, experiment, owner = experiment_world
    member = add_member(org)
    team = group_create(actor=owner, org=org, name="Team", member_users=[member.pk])
    grant(org, project, group=team, permission="update")
    then = instant()
    group_update(actor=owner, group=team, remove_member_users=[member.pk])
    body = ask(api_client_for(owner, org), experiment, then).json()
    holder = next(h for h in body["objects"] if h["principal"]["name"] == member.email)
    assert [g["name"] for g in holder["reasons"][0]["via_groups"]] == ["Team"]
    assert member.email in names(body["lost_since"])


@pytest.mark.parametrize(
    ("grants", "status", "missing"),
    # The audit log is a node like any other: holding nothing on it, its reader is told it is not there.
    [((), 403, "read_acls"), (("read_acls",), 404, "org_audit_logs"), (("read_acls", "audit"), 200, None)],
    ids=["engineer", "read_acls without the audit log", "both"],
)
def test_asking_needs_read_acls_on_the_object_and_read_on_the_audit_log(experiment_world, grants, status, missing):
    org, project, experiment, _owner = experiment_world
    caller = add_member(org, None, "engineers")
    if "read_acls" in grants:
        grant(org, project, user=caller, permission="read_acls")
    if "audit" in grants:
        grant(org, Node("org_audit_logs", org.pk), user=caller, permission="read")
    response = ask(api_client_for(caller, org), experiment, timezone.now())
    assert response.status_code == status, response.content
    if missing:
        assert missing in error(response)["message"]


def test_an_outsider_is_told_the_object_does_not_exist(experiment_world):
    _org, _project, experiment, _owner = experiment_world
    elsewhere = OrganizationFactory()
    response = ask(api_client_for(owner_of(elsewhere), elsewhere), experiment, timezone.now())
    assert response.status_code == 404, response.content


BAD_INSTANTS = {"missing": "", "not a date": "yesterday", "no time zone": "2026-12-01T09:00:00"}


@pytest.mark.parametrize("at", BAD_INSTANTS.values(), ids=BAD_INSTANTS.keys())
def test_a_bad_instant_is_a_400_naming_at(experiment_world, at):
    org, _project, experiment, owner = experiment_world
    params = {"object_type": "experiment", "object_id": str(experiment.pk), "permission": "read", "at": at}
    response = api_client_for(owner, org).get(PATH, params)
    assert response.status_code == 400, response.content
    assert "at" in error(response)["message"]


def test_one_holder_and_one_change_or_twenty_of_each_cost_the_same_queries(experiment_world):
    org, project, _experiment, owner = experiment_world
    client = api_client_for(owner, org)

    def queries(size: int) -> int:
        experiment = ExperimentFactory(project=project)
        then = timezone.now()
        for _ in range(size):
            grant(org, experiment, user=add_member(org), permission="update")
        address = f"{PATH}?object_type=experiment&object_id={experiment.pk}&permission=update&at={then.isoformat().replace('+', '%2B')}"
        return steady_state_queries(client, address)

    assert queries(1) == queries(20)
