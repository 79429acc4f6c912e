"""``GET /v1/access/what_can``: every node of one type where a principal holds a permission, with the way it
holds it; anyone may ask about themselves, asking about another member or a group needs read_acls on the
organization; paged in the database, in a fixed number of queries whatever the number of nodes and the
depth of nesting. (That it lists exactly the right nodes is the engine's property test, against the oracle.)"""

from itertools import pairwise
from uuid import UUID

import pytest
from django.utils import timezone

from tests.access_helpers import custom_group, custom_role, grant, nest
from tests.api_helpers import api_client_for
from tests.assertions import error
from tests.factories import (
    DatasetFactory,
    ExperimentFactory,
    OrganizationFactory,
    ProjectFactory,
    ServiceAccountFactory,
    add_member,
    owner_of,
)
from tests.query_helpers import steady_state_queries

pytestmark = pytest.mark.django_db

PATH = "/v1/access/what_can"


@pytest.fixture(scope="module")
def built_world(module_db):
    org = OrganizationFactory()
    support, billing = ProjectFactory(org=org, name="Support bot"), ProjectFactory(org=org, name="Billing")
    return org, support, billing, owner_of(org)


def ask(client, object_type="experiment", permission="read", **params):
    return client.get(PATH, {"object_type": object_type, "permission": permission, **params})


def by_name(response) -> dict[str, dict]:
    assert response.status_code == 200, response.content
    return {reach["name"]: reach for reach in response.json()["objects"]}


def test_a_member_sees_where_it_can_and_through_which_groups_and_roles(world):
    org, support, billing, _owner = world
    baseline, candidate = ExperimentFactory(project=support, name="baseline"), ExperimentFactory(project=support, name="candidate")
    ExperimentFactory(project=billing, name="invoices")
    outer, inner = custom_group(org, name="Reviewers"), custom_group(org, name="Contractors")
    nest(outer, inner)
    contractor = add_member(org, None, inner)
    grant(org, support, group=outer, permission="read", restrict="experiment")
    reached = by_name(ask(api_client_for(contractor, org)))
    assert set(reached) == {"baseline", "candidate"}
    (reason,) = reached["baseline"]["reasons"]
    assert [g["name"] for g in reason["via_groups"]] == ["Contractors", "Reviewers"]
    assert reason["acl"]["object_type"] == "project"
    assert reached["candidate"]["object_id"] == str(candidate.pk)
    assert reached["baseline"]["object_type"] == "experiment" and reached["baseline"]["object_id"] == str(baseline.pk)


def test_a_role_granted_on_a_project_reaches_its_objects_through_the_role(world):
    org, support, _billing, owner = world
    DatasetFactory(project=support, name="tickets")
    editor = custom_role(org, "Dataset editor", pairs=[("update", "dataset")])
    bot = ServiceAccountFactory(service_account_org=org, given_name="ingest-bot")
    add_member(org, bot)
    grant(org, support, user=bot, role=editor)
    reached = by_name(ask(api_client_for(owner, org), "dataset", "update", user_id=str(bot.pk)))
    assert set(reached) == {"tickets"}
    assert [r["name"] for r in reached["tickets"]["reasons"][0]["via_roles"]] == ["Dataset editor"]


def test_a_group_lists_what_its_membership_alone_carries(world):
    org, support, _billing, owner = world
    team = custom_group(org, name="Support team")
    grant(org, support, group=team, permission="update")
    add_member(org, None, team)
    reached = by_name(ask(api_client_for(owner, org), "project", "update", group_id=str(team.pk)))
    assert set(reached) == {"Support bot"}, "the Billing project is not the group's"


def test_virtual_nodes_are_named_by_what_they_hang_on(world):
    org, support, _billing, _owner = world
    logger = add_member(org)
    grant(org, support, user=logger, permission="update", restrict="project_log")
    reached = by_name(ask(api_client_for(logger, org), "project_log", "update"))
    assert set(reached) == {"Support bot"}
    assert reached["Support bot"]["object_id"] == str(support.pk)


def test_deleted_objects_and_the_objects_of_deleted_projects_are_not_listed(world):
    org, support, billing, owner = world
    ExperimentFactory(project=support, name="gone", deleted_at=timezone.now())
    ExperimentFactory(project=billing, name="in a deleted project")
    ExperimentFactory(project=support, name="kept")
    billing.deleted_at = timezone.now()
    billing.save(update_fields=["deleted_at"])
    assert set(by_name(ask(api_client_for(owner, org)))) == {"kept"}


@pytest.mark.parametrize(("who", "status"), [("engineer", 403), ("viewer", 403), ("owner", 200)])
def test_asking_about_another_member_needs_read_acls_on_the_organization(world, who, status):
    org, _support, _billing, owner = world
    caller = owner if who == "owner" else add_member(org, None, f"{who}s")
    other = add_member(org, None, "viewers")
    response = ask(api_client_for(caller, org), user_id=str(other.pk))
    assert response.status_code == status, response.content
    if status == 403:
        assert "read_acls" in error(response)["message"]


def test_anyone_may_ask_about_themselves(world):
    org, support, _billing, _owner = world
    ExperimentFactory(project=support, name="baseline")
    viewer = add_member(org, None, "viewers")
    assert set(by_name(ask(api_client_for(viewer, org), user_id=str(viewer.pk)))) == {"baseline"}


@pytest.mark.parametrize("who", ["member of another organization", "group of another organization", "unknown id"])
def test_a_principal_outside_the_organization_is_not_found(world, who):
    org, _support, _billing, owner = world
    elsewhere = OrganizationFactory()
    params = {
        "member of another organization": {"user_id": str(owner_of(elsewhere).pk)},
        "group of another organization": {"group_id": str(custom_group(elsewhere).pk)},
        "unknown id": {"user_id": "00000000-0000-4000-8000-000000000000"},
    }[who]
    response = ask(api_client_for(owner, org), **params)
    assert response.status_code == 404, response.content


BAD_QUERIES = {
    "no permission": ({"permission": ""}, "permission"),
    "unknown permission": ({"permission": "admin"}, "permission"),
    "no type": ({"object_type": ""}, "object_type"),
    "unknown type": ({"object_type": "spreadsheet"}, "object_type"),
    "user id not a uuid": ({"user_id": "42"}, "user_id"),
    "both principals": ({"user_id": str(UUID(int=1)), "group_id": str(UUID(int=2))}, "group_id"),
}


@pytest.mark.parametrize(("changes", "field"), BAD_QUERIES.values(), ids=BAD_QUERIES.keys())
def test_a_bad_query_is_a_400_naming_the_parameter(world, changes, field):
    org, _support, _billing, owner = world
    params = {"object_type": "experiment", "permission": "read", **changes}
    response = api_client_for(owner, org).get(PATH, params)
    assert response.status_code == 400, response.content
    assert field in error(response)["message"]


def test_pages_follow_one_another_newest_first(world):
    org, support, _billing, owner = world
    for number in range(5):
        ExperimentFactory(project=support, name=f"run {number}")
    client = api_client_for(owner, org)
    everyone = [reach["object_id"] for reach in ask(client).json()["objects"]]
    first = ask(client, limit=2).json()["objects"]
    after = ask(client, limit=2, starting_after=first[-1]["object_id"]).json()["objects"]
    assert [reach["object_id"] for reach in first + after] == everyone[:4]
    assert [reach["name"] for reach in first] == ["run 4", "run 3"]


@pytest.mark.parametrize("shape", ["nodes", "depth"])
def test_one_node_or_thirty_and_one_level_of_nesting_or_six_cost_the_same_queries(world, shape):
    org, _support, _billing, owner = world

    def queries(size: int) -> int:
        project = ProjectFactory(org=org)
        member = add_member(org)
        if shape == "nodes":
            for _ in range(size):
                grant(org, ExperimentFactory(project=project), user=member, permission="update")
        else:
            groups = [custom_group(org) for _ in range(size)]
            for outer, inner in pairwise(groups):
                nest(outer, inner)
            add_member(org, member, groups[-1])
            grant(org, project, group=groups[0], permission="update")
            ExperimentFactory(project=project)
        address = f"{PATH}?object_type=experiment&permission=update&user_id={member.pk}"
        return steady_state_queries(api_client_for(owner, org), address)

    assert queries(1) == queries(30 if shape == "nodes" else 6)
