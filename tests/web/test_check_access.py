"""Check access for each kind of person: who sees the link, what they may ask about whom, the engine's
explanation in words (grants, groups, roles, who could grant), refusals, and a fixed number of queries."""

import pytest
from django.urls import reverse

from permissions.engine.nodes import Node
from permissions.models import PermissionGroup
from tests.access_helpers import custom_group, custom_role, grant, nest
from tests.factories import (
    ExperimentFactory,
    OrganizationFactory,
    ProjectFactory,
    ServiceAccountFactory,
    add_member,
    builtin_group,
)
from tests.query_helpers import steady_state_queries
from tests.worlds import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def experiment(org):
    return ExperimentFactory(project=ProjectFactory(org=org, name="support-bot"), name="baseline")


def check_url(org, name="check-access") -> str:
    return reverse(f"web:{name}", kwargs={"org_name": org.name})


def check(client, org, principal, node, permission="read"):
    node = Node.of(node)
    return client.get(
        check_url(org), {"principal": principal, "object_type": node.type, "object_id": str(node.id), "permission": permission}
    )


def user_key(user) -> str:
    return f"user:{user.pk}"


@pytest.mark.parametrize(
    ("who", "status", "link"),
    [("owner", 200, True), ("engineer", 200, False), ("viewer", 200, False), ("custom", 200, False), ("outsider", 404, False)],
)
def test_every_member_may_open_check_access_and_the_top_bar_links_it_for_those_who_read_acls(org, people, who, status, link):
    response = client_for(people[who]).get(check_url(org))
    assert response.status_code == status
    html = client_for(people[who]).get(reverse("web:projects", kwargs={"org_name": org.name})).content.decode()
    assert (">Check access</a>" in html) is link


def test_manage_access_on_all_projects_shows_the_link_too(org, people):
    grant(org, Node("org_project", org.pk), user=people["custom"], permission="read_acls")
    html = client_for(people["custom"]).get(reverse("web:projects", kwargs={"org_name": org.name})).content.decode()
    assert ">Check access</a>" in html


def test_an_engineer_learns_why_they_may_update_an_experiment(org, people, experiment):
    response = check(client_for(people["engineer"]), org, user_key(people["engineer"]), experiment, "update")
    html = response.content.decode()
    assert response.status_code == 200 and '<h2 id="result-title">Allowed</h2>' in html
    reasons = response.context["reasons"]
    assert [(r.grant, r.node_type, r.node_name, r.groups) for r in reasons] == [
        ("Update", "All projects (org_project)", "Acme", "Engineers")
    ]
    assert "Experiment baseline" in html


def test_a_viewer_learns_why_not_and_who_could_grant_it(org, people, experiment):
    response = check(client_for(people["viewer"]), org, user_key(people["viewer"]), experiment, "delete")
    html = response.content.decode()
    assert "Not allowed" in html and "Who could grant it" in html and people["owner"].email in html


def test_reasons_name_the_group_chain_and_the_role_chain(org, people, experiment):
    custom, owner = people["custom"], people["owner"]
    outer = custom_group(org, name="Reviewers")
    nest(outer, PermissionGroup.objects.get(org=org, name="Annotators"))
    reviewer = custom_role(org, "Reviewer", pairs=[("read", "")])
    lead = custom_role(org, "Lead", member_roles=[reviewer])
    grant(org, experiment.project, group=outer, role=lead)
    response = check(client_for(owner), org, user_key(custom), experiment, "read")
    reasons = response.context["reasons"]
    assert len(reasons) == 1
    assert reasons[0].grant == "role Lead" and reasons[0].groups == "Annotators → Reviewers" and reasons[0].roles == "Lead → Reviewer"
    assert reasons[0].node_type == "Project" and reasons[0].node_name == "support-bot"
    assert "Annotators → Reviewers" in response.content.decode()


def test_an_owner_checks_a_group_and_a_service_account(org, people, experiment):
    robot = ServiceAccountFactory(service_account_org=org, given_name="ingest-bot")
    grant(org, Node("project_log", experiment.project_id), user=robot, permission="update")
    client = client_for(people["owner"])
    group = builtin_group(org, "viewers")
    response = check(client, org, f"group:{group.pk}", experiment, "read")
    assert response.context["explanation"].allowed and "Membership of the group <strong>Viewers</strong>" in response.content.decode()
    response = check(client, org, user_key(robot), Node("project_log", experiment.project_id), "update")
    assert response.context["explanation"].allowed
    assert response.context["reasons"][0].node_type == "Project logs (project_log)"
    assert "ingest-bot" in response.content.decode()


def test_explaining_someone_elses_access_needs_read_acls_on_the_object(org, people, experiment):
    client = client_for(people["viewer"])
    response = check(client, org, user_key(people["engineer"]), experiment, "read")
    assert response.status_code == 403
    html = response.content.decode()
    assert 'You need <span class="permission">Manage access: list grants <code' in html and "explanation" not in response.context
    grant(org, experiment, user=people["viewer"], permission="read_acls")
    assert check(client, org, user_key(people["engineer"]), experiment, "read").status_code == 200


def test_the_object_list_offers_only_what_the_person_may_see(org, people, experiment):
    custom = people["custom"]
    hidden = ExperimentFactory(project=experiment.project, name="secret-run")
    grant(org, experiment, user=custom, permission="read")
    client = client_for(custom)
    choices = dict(
        client.get(check_url(org), {"object_type": "experiment", "show_objects": "1"}).context["form"].fields["object_id"].choices
    )
    assert choices == {str(experiment.pk): "support-bot / baseline"}
    assert check(client, org, user_key(custom), hidden, "read").status_code == 400
    assert check(client, org, user_key(custom), experiment, "read").context["explanation"].allowed
    organizations = client.get(check_url(org), {"object_type": "organization", "show_objects": "1"}).context["form"].fields["object_id"]
    assert organizations.choices == [(str(org.pk), org.name)]  # membership alone makes the organization visible


def test_the_people_list_needs_read_on_members(org, people):
    keys = [key for key, _ in client_for(people["custom"]).get(check_url(org)).context["form"].fields["principal"].choices]
    assert keys == [user_key(people["custom"])]  # only themselves: they may not read members or groups
    keys = [key for key, _ in client_for(people["viewer"]).get(check_url(org)).context["form"].fields["principal"].choices]
    assert user_key(people["owner"]) in keys and user_key(people["outsider"]) not in keys


def test_someone_of_another_organization_cannot_be_checked(org, people, experiment):
    response = check(client_for(people["owner"]), org, user_key(people["outsider"]), experiment)
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()


def test_an_object_of_another_organization_cannot_be_checked(org, people):
    elsewhere = ExperimentFactory(project=ProjectFactory(org=OrganizationFactory(name="Beta")))
    response = check(client_for(people["owner"]), org, user_key(people["owner"]), elsewhere)
    assert response.status_code == 400


def test_choosing_an_object_type_returns_its_objects_as_a_partial_for_htmx(org, people, experiment):
    response = client_for(people["owner"]).get(
        check_url(org, "check-access-objects"), {"object_type": "experiment"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200 and html.startswith('<div id="object-field">')
    assert f'<option value="{experiment.pk}">support-bot / baseline</option>' in html


def test_the_organization_level_nodes_are_offered_by_name(org, people):
    response = client_for(people["owner"]).get(check_url(org), {"object_type": "org_member", "show_objects": "1"})
    assert response.context["form"].fields["object_id"].choices == [(str(org.pk), "Acme")]
    response = check(client_for(people["owner"]), org, user_key(people["viewer"]), Node("org_member", org.pk), "read")
    assert response.context["explanation"].allowed and response.context["reasons"][0].grant == "Read, restricted to Members (org_member)"


def test_check_access_costs_the_same_queries_for_few_and_many_objects_and_people(org, people, experiment):
    client = client_for(people["owner"])
    data = {"principal": user_key(people["custom"]), "object_type": "experiment", "object_id": str(experiment.pk), "permission": "read"}
    few = steady_state_queries(client, check_url(org), data)
    for index in range(15):
        ExperimentFactory(project=experiment.project)
        add_member(org, None, custom_group(org, name=f"team-{index}"))
    assert steady_state_queries(client, check_url(org), data) == few


def test_the_answer_lists_everywhere_of_that_type_the_permission_is_held_and_why(org, people, experiment):
    other = ExperimentFactory(project=experiment.project, name="candidate")
    ExperimentFactory(project=ProjectFactory(org=org, name="billing"), name="invoices")
    custom = people["custom"]
    grant(org, experiment.project, user=custom, permission="update", restrict="experiment")
    response = check(client_for(people["owner"]), org, user_key(custom), experiment, "update")
    elsewhere = response.context["elsewhere"]
    assert {reach.name for reach, _ in elsewhere} == {"baseline", "candidate"}, "not the billing project's experiment"
    assert all(reasons[0].node_name == "support-bot" for _, reasons in elsewhere)
    html = response.content.decode()
    assert "Everywhere" in html and "candidate" in html and other.name in html


def test_everywhere_is_shown_for_ones_own_access_and_not_for_anothers_without_read_acls_on_the_organization(org, people, experiment):
    engineer = people["engineer"]
    grant(org, experiment, user=engineer, permission="read_acls")
    own = check(client_for(engineer), org, user_key(engineer), experiment, "read")
    assert [reach.name for reach, _ in own.context["elsewhere"]] == ["baseline"]
    another = check(client_for(engineer), org, user_key(people["viewer"]), experiment, "read")
    assert another.status_code == 200 and another.context["explanation"] is not None
    assert "elsewhere" not in another.context
