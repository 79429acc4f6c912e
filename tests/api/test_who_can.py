"""``GET /v1/access/who_can``: every member and group holding a permission on an object, with the way each
holds it; readable with read_acls on the object; a fixed number of queries whatever the number of holders
and the depth of nesting. (That it names exactly who can is the engine's property test, against the oracle.)"""

from datetime import timedelta
from itertools import pairwise

import pytest
from django.utils import timezone

from permissions.models import GroupNesting
from tests.access_helpers import custom_group, grant, nest, raw_grant_expiry
from tests.api_helpers import api_client_for
from tests.assertions import error
from tests.factories import (
    ExperimentFactory,
    OrganizationFactory,
    ServiceAccountFactory,
    add_member,
    builtin_group,
    owner_of,
)
from tests.query_helpers import steady_state_queries

pytestmark = pytest.mark.django_db

PATH = "/v1/access/who_can"


def ask(client, experiment, permission="read", **params):
    return client.get(PATH, {"object_type": "experiment", "object_id": str(experiment.pk), "permission": permission, **params})


def by_name(response) -> dict[str, dict]:
    return {holder["principal"]["name"]: holder for holder in response.json()["objects"]}


def test_who_can_names_people_service_accounts_and_groups_with_their_paths(experiment_world):
    org, project, experiment, owner = experiment_world
    outer, inner = custom_group(org, name="Reviewers"), custom_group(org, name="Contractors")
    nest(outer, inner)
    contractor = add_member(org, None, inner)
    grant(org, project, group=outer, permission="read", restrict="experiment")
    bot = ServiceAccountFactory(service_account_org=org, given_name="ci-bot")
    add_member(org, bot)
    grant(org, experiment, user=bot, permission="read")
    response = ask(api_client_for(owner, org), experiment)
    assert response.status_code == 200, response.content
    holders = by_name(response)
    assert holders[contractor.email]["principal_type"] == "user"
    (reason,) = holders[contractor.email]["reasons"]
    assert [g["name"] for g in reason["via_groups"]] == ["Contractors", "Reviewers"]
    assert reason["acl"]["restrict_object_type"] == "experiment"
    assert holders["ci-bot"]["principal_type"] == "service_account"
    assert holders["ci-bot"]["reasons"][0]["via_groups"] == []
    assert {"Reviewers", "Contractors", "Owners", "Engineers", "Viewers"} <= set(holders)
    kinds = [h["principal_type"] for h in response.json()["objects"]]
    assert kinds == sorted(kinds, key=["user", "service_account", "group"].index), "people, then service accounts, then groups"


def test_a_holder_through_an_expired_grant_or_membership_is_not_listed(experiment_world):
    org, project, experiment, owner = experiment_world
    leaving = add_member(org)
    raw_grant_expiry(grant(org, experiment, user=leaving, permission="update"), timezone.now() - timedelta(seconds=1))
    team, inner = custom_group(org, name="Team"), custom_group(org, name="Inner")
    GroupNesting.objects.create(group=team, member_group=inner, expires_at=timezone.now() - timedelta(seconds=1))
    grant(org, project, group=team, permission="update")
    holders = by_name(ask(api_client_for(owner, org), experiment, "update"))
    assert leaving.email not in holders
    assert "Team" in holders and "Inner" not in holders


@pytest.mark.parametrize(("who", "status"), [("engineer", 403), ("no_grant", 404), ("outsider", 404)])
def test_asking_needs_read_acls_on_the_object(experiment_world, who, status):
    org, _project, experiment, _owner = experiment_world
    caller = {
        "engineer": lambda: add_member(org, None, "engineers"),
        "no_grant": lambda: add_member(org),
        "outsider": lambda: owner_of(OrganizationFactory()),
    }[who]()
    client = api_client_for(caller, caller.memberships.first().org)
    response = ask(client, experiment)
    assert response.status_code == status, response.content
    if status == 403:
        assert "read_acls" in error(response)["message"]


def test_read_acls_on_the_project_is_enough(experiment_world):
    org, project, experiment, _owner = experiment_world
    auditor = add_member(org)
    grant(org, project, user=auditor, permission="read_acls")
    assert ask(api_client_for(auditor, org), experiment).status_code == 200


BAD_QUERIES = {
    "no permission": ({"permission": ""}, "permission"),
    "unknown permission": ({"permission": "admin"}, "permission"),
    "unknown type": ({"object_type": "spreadsheet"}, "object_type"),
    "no id": ({"object_id": ""}, "object_id"),
    "id not a uuid": ({"object_id": "42"}, "object_id"),
}


@pytest.mark.parametrize(("changes", "field"), BAD_QUERIES.values(), ids=BAD_QUERIES.keys())
def test_a_bad_query_is_a_400_naming_the_parameter(experiment_world, changes, field):
    org, _project, experiment, owner = experiment_world
    params = {"object_type": "experiment", "object_id": str(experiment.pk), "permission": "read", **changes}
    response = api_client_for(owner, org).get(PATH, params)
    assert response.status_code == 400, response.content
    assert field in error(response)["message"]


def test_pages_follow_one_another_by_principal_id(experiment_world):
    org, _project, experiment, owner = experiment_world
    for _ in range(3):
        add_member(org, None, "viewers")
    client = api_client_for(owner, org)
    everyone = [h["principal"]["id"] for h in ask(client, experiment).json()["objects"]]
    first = ask(client, experiment, limit=2).json()["objects"]
    after = ask(client, experiment, limit=2, starting_after=first[-1]["principal"]["id"]).json()["objects"]
    assert [h["principal"]["id"] for h in first + after] == everyone[:4]


@pytest.mark.parametrize("shape", ["holders", "depth"])
def test_one_holder_or_thirty_and_one_level_of_nesting_or_six_cost_the_same_queries(experiment_world, shape):
    org, project, _experiment, owner = experiment_world
    client = api_client_for(owner, org)

    def queries(size: int) -> int:
        experiment = ExperimentFactory(project=project)
        if shape == "holders":
            for _ in range(size):
                grant(org, experiment, user=add_member(org), permission="update")
        else:
            groups = [custom_group(org) for _ in range(size)]
            for outer, inner in pairwise(groups):
                nest(outer, inner)
            add_member(org, None, groups[-1])
            grant(org, experiment, group=groups[0], permission="update")
        address = f"{PATH}?object_type=experiment&object_id={experiment.pk}&permission=update"
        return steady_state_queries(client, address)

    assert queries(1) == queries(30 if shape == "holders" else 6)


def test_the_owners_group_is_listed_among_those_who_may_delete(experiment_world):
    org, _project, experiment, owner = experiment_world
    holders = by_name(ask(api_client_for(owner, org), experiment, "delete"))
    assert holders["Owners"]["principal_type"] == "group"
    assert builtin_group(org, "viewers").name not in holders
