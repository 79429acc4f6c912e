"""The Permissions panel of a project and of an object, one flow for both (web/views/permissions_panel.py):
the search filters the list of principals, each row's pencil opens that principal's boxes, Save writes the
canonical grants and the page shows the saved row; and "Who has access here", everyone holding any
permission on the node with the way each grant reaches them and a link to where it is granted, for those
who may read the node's grants only, at a fixed number of queries."""

import itertools

import pytest
from django.urls import reverse

from permissions.boxes import PROJECT_BOXES, Subject, object_boxes, ticked_boxes
from permissions.engine import can
from permissions.engine.nodes import Node
from permissions.exceptions import AccessDenied
from permissions.selectors import access_to
from tests.access_helpers import custom_group, custom_role, grant, nest, row_counts
from tests.assertions import holding_row, panel_row, pencil_target, ticked_boxes_in
from tests.factories import ExperimentFactory, ServiceAccountFactory, UserFactory, add_member
from tests.query_helpers import steady_state_queries
from tests.web.addresses import project_page
from tests.worlds import client_for

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def experiment(project):
    return ExperimentFactory(project=project, name="baseline")


def object_url(experiment, name="object-permissions") -> str:
    kwargs = {"org_name": experiment.project.org.name, "project_id": experiment.project_id, "kind": "experiments"}
    return reverse(f"web:{name}", kwargs={**kwargs, "object_id": experiment.pk})


def group_url(group, name="group-edit") -> str:
    return reverse(f"web:{name}", kwargs={"org_name": group.org.name, "group_id": group.pk})


def listed(html: str) -> str:
    """The panel's list, without the rest of the page."""
    return html.split('id="principal-list"')[1].split('id="permission-boxes"')[0]


# The flow: search, pencil, Save


@pytest.mark.parametrize("panel", ["project", "object"])
def test_the_search_filters_the_list_as_one_types_and_without_javascript(org, people, project, experiment, panel):
    ada = add_member(org, UserFactory(email="ada@example.com", given_name="Ada", family_name="Lovelace"))
    robot = ServiceAccountFactory(service_account_org=org, given_name="lovelace-bot")
    page, rows = (project_page(project), project_page(project, "project-access-search"))
    if panel == "object":
        page, rows = object_url(experiment), object_url(experiment, "object-principals")
    client = client_for(people["owner"])

    typed = client.get(rows, {"q": "lovel"}, headers=HTMX).content.decode()
    assert "<html" not in typed
    assert panel_row(typed, f"user:{ada.pk}") and panel_row(typed, f"user:{robot.pk}")
    assert not panel_row(typed, f"user:{people['viewer'].pk}") and "Annotators" not in typed

    searched = listed(client.get(page, {"q": "lovel"}).content.decode())  # the Search button, without JavaScript
    assert panel_row(searched, f"user:{ada.pk}") and "Annotators" not in searched

    everyone = listed(client.get(page).content.decode())
    assert "Annotators" in everyone and panel_row(everyone, f"user:{ada.pk}")
    nobody = client.get(rows, {"q": "zzz"}, headers=HTMX).content.decode()
    assert "No group, member or service account matches" in nobody


def test_an_objects_pencil_opens_that_principals_boxes_in_the_panel(org, people, experiment):
    custom = people["custom"]
    grant(org, experiment, user=custom, permission="update")
    html = client_for(people["owner"]).get(object_url(experiment)).content.decode()
    row = panel_row(html, f"user:{custom.pk}")
    assert f'aria-label="Edit permissions of {custom.get_full_name()}"' in row and '<span class="chip">Update</span>' in row

    boxes = client_for(people["owner"]).get(pencil_target(row), headers=HTMX).content.decode()
    assert "<html" not in boxes and "<dialog" not in boxes  # into the panel, which is the object's dialog
    assert f'name="principal" value="user:{custom.pk}"' in boxes and ticked_boxes_in(boxes) == {"update"}
    assert f"Permissions of {custom.get_full_name()}" in boxes and " autofocus" in boxes

    page = client_for(people["owner"]).get(pencil_target(row)).content.decode()  # its GET form, without JavaScript
    assert "<h1>Permissions</h1>" in page and ticked_boxes_in(page.split('id="permission-boxes"')[1]) == {"update"}


def test_a_projects_pencil_opens_that_principals_boxes_as_a_dialog(org, people, project):
    custom = people["custom"]
    grant(org, project, user=custom, permission="read", restrict="dataset")
    html = client_for(people["owner"]).get(project_page(project)).content.decode()
    row = panel_row(html, f"user:{custom.pk}")
    assert "Datasets: Read" in row
    dialog = client_for(people["owner"]).get(pencil_target(row), headers=HTMX).content.decode()
    assert dialog.lstrip().startswith("<dialog") and "data-open-on-load" in dialog
    assert ticked_boxes_in(dialog) == {"dataset_read"} and 'class="primary">Save</button>' in dialog


def test_saving_an_objects_boxes_writes_the_canonical_grants_and_the_row_shows_them(org, people, experiment):
    ada = add_member(org)
    client = client_for(people["owner"])
    response = client.post(object_url(experiment), {"principal": f"user:{ada.pk}", "boxes": ["read", "acls"]})
    assert response.status_code == 302
    assert ticked_boxes(object_boxes("experiment"), Subject(user_id=ada.pk), experiment.pk) == {"read", "acls"}
    assert all(can(ada, p, experiment) for p in ("read", "create_acls", "read_acls", "update_acls", "delete_acls"))
    assert not can(ada, "update", experiment)
    row = panel_row(client.get(response["Location"]).content.decode(), f"user:{ada.pk}")
    assert '<span class="chip">Read</span>' in row and '<span class="chip">Manage access</span>' in row


def test_saving_a_projects_boxes_comes_back_to_the_saved_row_showing_them(org, people, project):
    ada = add_member(org)
    client = client_for(people["owner"])
    address = project_page(project, "project-access", kind="user", subject_id=ada.pk)
    response = client.post(address, {"boxes": ["experiment_read", "project_update"], "principal": f"user:{ada.pk}"})
    assert response.status_code == 302 and response["Location"] == f"{project_page(project)}?principal=user%3A{ada.pk}#permissions"
    assert ticked_boxes(PROJECT_BOXES, Subject(user_id=ada.pk), project.pk) == {"experiment_read", "project_update"}
    row = panel_row(client.get(response["Location"]).content.decode(), f"user:{ada.pk}")
    assert "Project: Update" in row and "Experiments: Read" in row


# Who has access here


@pytest.fixture
def reaches(org, people, project, experiment):
    """Every way access reaches the experiment: a direct grant, a grant on the project through a nested
    group, a role on all projects, a custom role through a member role on the organization."""
    ada = add_member(org, UserFactory(given_name="Ada", family_name="Lovelace"))
    contractors = custom_group(org, ada, name="Contractors")
    reviewers = custom_group(org, name="Reviewers")
    nest(reviewers, contractors)
    grant(org, project, group=reviewers, permission="update")
    bot = ServiceAccountFactory(service_account_org=org, given_name="ingest-bot")
    grant(org, experiment, user=bot, permission="read")
    auditors = custom_group(org, name="Auditors")
    grant(org, Node("org_project", org.pk), group=auditors, role="viewer")
    inner = custom_role(org, "Inner", [("delete", "experiment")])
    editor = custom_role(org, "Editor", [], [inner])
    grace = add_member(org, UserFactory(given_name="Grace", family_name="Hopper"))
    grant(org, Node("organization", org.pk), user=grace, role=editor)
    return {"ada": ada, "contractors": contractors, "reviewers": reviewers, "bot": bot, "auditors": auditors, "grace": grace}


def test_who_has_access_lists_everyone_with_what_they_hold_and_why(org, people, project, experiment, reaches):
    html = client_for(people["owner"]).get(object_url(experiment)).content.decode()
    ada = holding_row(html, f"user:{reaches['ada'].pk}")
    assert "group Contractors</a> → " in ada and "nested in Reviewers</a> → " in ada and "grant on project support-bot</a>" in ada
    assert '<span class="chip">Update</span>' in ada and "Read" not in ada
    bot = holding_row(html, f"user:{reaches['bot'].pk}")
    assert "Service account" in bot and "direct grant on this experiment: " in bot and '<span class="chip">Read</span>' in bot
    auditors = holding_row(html, f"group:{reaches['auditors'].pk}")
    assert "role viewer (granted on all projects)</a>" in auditors
    grace = holding_row(html, f"user:{reaches['grace'].pk}")
    assert "role Editor (granted on the organization) → includes role Inner" in grace and '<span class="chip">Delete</span>' in grace
    # Groups, people and service accounts alike: the nested group and the group a grant names are listed too.
    assert "nested in Reviewers" in holding_row(html, f"group:{reaches['contractors'].pk}")
    assert "grant on project support-bot" in holding_row(html, f"group:{reaches['reviewers'].pk}")
    engineer = holding_row(html, f"user:{people['engineer'].pk}")
    assert "group Engineers</a> → " in engineer and "grant on all projects</a>: " in engineer
    assert not holding_row(html, f"user:{people['outsider'].pk}") and not holding_row(html, f"user:{people['custom'].pk}")


def test_inherited_access_links_to_where_it_is_granted_and_direct_grants_have_the_pencil(org, people, project, experiment, reaches):
    html = client_for(people["owner"]).get(object_url(experiment)).content.decode()
    ada = holding_row(html, f"user:{reaches['ada'].pk}")
    assert f'<a href="{group_url(reaches["contractors"])}">group Contractors</a>' in ada
    assert f'<a href="{group_url(reaches["reviewers"])}">nested in Reviewers</a>' in ada
    assert f'<a href="{project_page(project)}#permissions">grant on project support-bot</a>' in ada
    auditors = holding_row(html, f"group:{reaches['auditors'].pk}")
    assert f'<a href="{group_url(reaches["auditors"], "group-permissions")}">role viewer (granted on all projects)</a>' in auditors
    assert "hx-get" not in ada and "hx-get" not in auditors  # inherited: nothing to edit here
    bot = holding_row(html, f"user:{reaches['bot'].pk}")
    assert 'aria-label="Edit the direct grants of ingest-bot"' in bot
    assert pencil_target(bot) == pencil_target(panel_row(html, f"user:{reaches['bot'].pk}"))


def test_the_projects_who_has_access_shows_grants_on_the_project_as_direct(org, people, project, reaches):
    html = client_for(people["owner"]).get(project_page(project)).content.decode()
    reviewers = holding_row(html, f"group:{reaches['reviewers'].pk}")
    assert "direct grant on this project: " in reviewers and 'aria-label="Edit the direct grants of Reviewers"' in reviewers
    ada = holding_row(html, f"user:{reaches['ada'].pk}")
    assert "nested in Reviewers</a> → grant on this project: " in ada and "Edit the direct grants" not in ada
    assert not holding_row(html, f"user:{reaches['bot'].pk}")  # its grant is on one experiment only


def test_a_restricted_grant_says_which_objects_it_is_for(org, people, project, experiment):
    ada = add_member(org)
    grant(org, project, user=ada, permission="read", restrict="experiment")
    html = client_for(people["owner"]).get(object_url(experiment)).content.decode()
    assert "grant on project support-bot, experiments only</a>: <span" in holding_row(html, f"user:{ada.pk}")
    assert not holding_row(client_for(people["owner"]).get(project_page(project)).content.decode(), f"user:{ada.pk}")


def test_who_has_access_is_for_those_who_may_read_the_grants(org, people, project, experiment):
    adder = add_member(org, None, "viewers")
    grant(org, experiment, user=adder, permission="create_acls")
    grant(org, project, user=adder, permission="create_acls")
    for address in (object_url(experiment), project_page(project)):
        response = client_for(adder).get(address)
        html = response.content.decode()
        assert response.status_code == 200 and 'id="principal-search"' in html
        assert "Who has access here" not in html
    with pytest.raises(AccessDenied):
        access_to(adder, experiment)
    reader = add_member(org, None, "viewers")
    grant(org, experiment, user=reader, permission="read_acls")
    html = client_for(reader).get(object_url(experiment)).content.decode()
    assert "Who has access here" in html and 'id="principal-search"' not in html and "Edit the direct grants" not in html


def test_a_refused_save_writes_nothing(org, people, experiment):
    reader = add_member(org, None, "viewers")
    grant(org, experiment, user=reader, permission="read_acls")
    before = row_counts()
    response = client_for(reader).post(object_url(experiment), {"principal": f"user:{reader.pk}", "boxes": ["read", "acls"]})
    assert response.status_code == 403 and row_counts() == before


# A fixed number of queries


def crowd(org, project, experiment, count: int, depth: int) -> None:
    """`count` principals holding access on the experiment in every way, and a chain of `depth` nested groups
    with a member at the bottom reaching a grant on the project."""
    role = custom_role(org, f"Role of {count}", [("update", "")])
    for index in range(count):
        member = add_member(org)
        group = custom_group(org, member, name=f"crew {count}-{index}")
        grant(org, experiment, user=member, permission="read")
        grant(org, project, group=group, role=role)
        ServiceAccountFactory(service_account_org=org)
    groups = [custom_group(org, name=f"level {count}-{level}") for level in range(depth)]
    for outer, inner in itertools.pairwise(groups):
        nest(outer, inner)
    groups[-1].auth_group.user_set.add(add_member(org))
    grant(org, project, group=groups[0], permission="read")


@pytest.mark.parametrize("panel", ["project", "object"])
def test_the_panel_costs_the_same_queries_for_one_principal_and_many_at_any_depth(org, people, project, panel):
    one_experiment, many_experiment = ExperimentFactory(project=project), ExperimentFactory(project=project)
    client = client_for(people["owner"])
    crowd(org, project, one_experiment, 1, 1)
    address = object_url(one_experiment) if panel == "object" else project_page(project)
    one = steady_state_queries(client, address)
    crowd(org, project, many_experiment, 12, 8)
    address = object_url(many_experiment) if panel == "object" else project_page(project)
    html = client.get(address).content.decode()
    assert html.count("<tr data-holder=") > 30
    assert steady_state_queries(client, address) == one
