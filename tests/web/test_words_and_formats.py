"""What the pages say and how they write values: permissions in the Permissions dialogs' words (the code as
a detail), Check access's answer as a sentence naming the grant, metrics in their units, tags in their
colors, and tag colors and aggregates refused on the page and in the admin as in the API."""

import pytest
from django.template import Context, Template
from django.urls import reverse

from permissions.boxes import GROUP_ACCESS_BOXES, ORGANIZATION_BOXES, PROJECT_BOXES, object_boxes
from permissions.engine.nodes import Node
from permissions.labels import PERMISSION_LABELS, node_permission_label, permission_label
from projects.models import ProjectScore, ProjectTag
from tests.access_helpers import grant, row_counts
from tests.factories import ExperimentFactory, insert_as_owner, owner_of
from tests.factories_configuration import ProjectScoreFactory, ProjectTagFactory
from tests.query_helpers import steady_state_queries
from tests.worlds import client_for
from web import formatting
from web.forms.check_access import PERMISSIONS

pytestmark = pytest.mark.django_db


@pytest.fixture
def experiment(project):
    return ExperimentFactory(project=project, name="baseline")


def object_url(experiment) -> str:
    kwargs = {"org_name": experiment.project.org.name, "project_id": experiment.project_id, "kind": "experiments"}
    return reverse("web:project-object", kwargs={**kwargs, "object_id": experiment.pk})


def html_of(response) -> str:
    return response.content.decode()


# Metrics in their units


@pytest.mark.parametrize(
    ("value", "unit", "written"),
    [
        (180.0, "tok", "180 tokens"),
        (1234567, "tok", "1,234,567 tokens"),
        (180.5, "tok", "180.5 tokens"),
        (1.2, "s", "1.20 s"),
        (3725.5, "s", "3,725.50 s"),
        (0.004, "s", "< 0.01 s"),
        (1234.5, "$", "$1,234.50"),
        (0.00042, "$", "$0.00042"),
        (0, "$", "$0.00"),
        (2.0, None, "2"),
        (2.125, "", "2.125"),
        (None, "tok", "—"),
    ],
)
def test_a_metric_is_written_in_its_unit(value, unit, written):
    assert formatting.metric(value, unit) == written


def test_a_change_of_a_metric_is_signed():
    assert formatting.metric_change(20.0, "tok") == "+20 tokens"
    assert formatting.metric_change(-0.5, "s") == "-0.50 s"
    assert formatting.metric_change(0, "s") == "no change"


def test_the_experiment_summary_writes_tokens_as_a_count_and_durations_in_seconds(org, people, project, experiment):
    base = ExperimentFactory(project=project, name="base")
    experiment.base_exp_id = base.pk
    experiment.save(update_fields=["base_exp_id"])
    insert_as_owner(base, [{"input": "q", "metrics": {"start": 0, "end": 2, "tokens": 1000}}])
    insert_as_owner(experiment, [{"input": "q", "metrics": {"start": 0, "end": 1.2, "tokens": 1180}}])
    html = html_of(client_for(people["owner"]).get(object_url(experiment)))
    assert "<td>1,180 tokens</td>" in html and "<td>+180 tokens</td>" in html
    assert "<td>1.20 s</td>" in html and "<td>-0.80 s</td>" in html
    assert "tok<" not in html and "1180.000" not in html


# Tags in their colors


def test_tag_chips_show_their_tags_color(org, people, experiment):
    ProjectTagFactory(project=experiment.project, name="urgent", color="#b3261e")
    ProjectTagFactory(project=experiment.project, name="plain")
    experiment.tags = ["urgent", "plain"]
    experiment.save(update_fields=["tags"])
    insert_as_owner(experiment, [{"input": "q", "tags": ["urgent"]}])
    html = html_of(client_for(people["owner"]).get(object_url(experiment)))
    chip = '<span class="chip tag" data-color="#b3261e" style="border-color: #b3261e"><span class="swatch" style="background: #b3261e"'
    assert html.count(chip) == 2  # the experiment's tags and the row's
    assert '<span class="chip tag">plain</span>' in html


def test_someone_who_reads_only_the_experiment_sees_plain_chips(org, people, experiment):
    ProjectTagFactory(project=experiment.project, name="urgent", color="#b3261e")
    experiment.tags = ["urgent"]
    experiment.save(update_fields=["tags"])
    grant(org, experiment, user=people["custom"], permission="read")
    html = html_of(client_for(people["custom"]).get(object_url(experiment)))
    assert '<span class="chip tag">urgent</span>' in html and "#b3261e" not in html


def test_a_color_stored_before_colors_were_checked_is_not_drawn(org, people, experiment):
    ProjectTag.objects.create(project=experiment.project, name="odd", color="red; background-image: url(https://evil.example)")
    insert_as_owner(experiment, [{"input": "q", "tags": ["odd"]}])
    html = html_of(client_for(people["owner"]).get(object_url(experiment)))
    assert '<span class="chip tag">odd</span>' in html and "evil.example" not in html


def test_tag_chips_cost_the_same_queries_for_one_and_many_tagged_rows(org, people, experiment):
    ProjectTagFactory(project=experiment.project, name="urgent", color="teal")
    client = client_for(people["owner"])
    insert_as_owner(experiment, [{"id": "first", "input": 0, "tags": ["urgent"]}])
    one = steady_state_queries(client, object_url(experiment))
    insert_as_owner(experiment, [{"id": f"row-{n}", "input": n, "tags": ["urgent", f"t{n}"]} for n in range(24)])
    assert steady_state_queries(client, object_url(experiment)) == one


# Tag colors and aggregates refused on the page and in the admin


def configuration_url(project, name, **kwargs) -> str:
    return reverse(f"web:{name}", kwargs={"org_name": project.org.name, "project_id": project.pk, **kwargs})


def test_the_page_refuses_a_color_a_swatch_cannot_show_naming_the_field(people, project):
    before = row_counts()
    data = {"tag-new-name": "urgent", "tag-new-color": "blurple", "tag-new-description": ""}
    response = client_for(people["owner"]).post(configuration_url(project, "project-tag-create"), data)
    html = html_of(response)
    assert response.status_code == 400 and "&#x27;blurple&#x27; is not a color" in html
    assert "color: &#x27;blurple&#x27;" not in html  # next to the field, not about the whole form
    assert row_counts() == before and not ProjectTag.objects.exists()


def test_the_page_refuses_an_aggregate_of_scores_the_project_does_not_have(people, project):
    ProjectScoreFactory(project=project, name="Accuracy")
    data = {
        "aggregate-new-name": "Overall",
        "aggregate-new-description": "",
        "aggregate-new-score_type": "minimum",
        "aggregate-new-rows-TOTAL_FORMS": "2",
        "aggregate-new-rows-INITIAL_FORMS": "0",
        "aggregate-new-rows-0-name": "Accuracy",
        "aggregate-new-rows-0-value": "",
        "aggregate-new-rows-1-name": "Acuracy",
        "aggregate-new-rows-1-value": "",
    }
    response = client_for(people["owner"]).post(configuration_url(project, "project-score-create", kind="aggregate"), data)
    assert response.status_code == 400 and "&#x27;Acuracy&#x27; is not a score of this project" in html_of(response)
    assert not ProjectScore.objects.filter(name="Overall").exists()


def test_the_admin_refuses_a_color_a_swatch_cannot_show(project):
    operator = owner_of(project.org)
    operator.is_staff = True
    operator.save(update_fields=["is_staff"])
    response = client_for(operator).post(
        reverse("admin:projects_projecttag_add"), {"project": project.pk, "name": "urgent", "color": "notacolor"}, follow=True
    )
    assert "color: &#x27;notacolor&#x27; is not a color" in html_of(response).lower()
    assert not ProjectTag.objects.exists()


# Permissions in the dialogs' words


def test_the_dialogs_boxes_and_every_other_page_use_the_same_words():
    crud = {box.label for box in PROJECT_BOXES.boxes if box.key.startswith("project_")}
    assert crud == {permission_label(p) for p in ("read", "create", "update", "delete")} | {"Manage access"}
    assert ORGANIZATION_BOXES.box("org_audit").label == node_permission_label("read", "org_audit_logs") == "Read audit logs"
    assert ORGANIZATION_BOXES.box("org_settings").label == node_permission_label("update", "organization", "organization")
    assert {box.label for box in object_boxes("experiment").boxes} == {"Read", "Update", "Delete", "Manage access"}
    assert {box.label for box in GROUP_ACCESS_BOXES.boxes} == {"Read", "Update", "Delete", "Manage access"}
    assert all(label.startswith("Manage access: ") for p, label in PERMISSION_LABELS.items() if p.endswith("_acls"))


def test_a_permission_is_written_in_words_with_its_code_beside_them():
    template = Template(
        '{% load display %}{% permission_words p %}|{% permission_words "read" %}|{% permission_words "read" "org_audit_logs" %}'
    )
    html = template.render(Context({"p": "create_acls"}))
    assert html == (
        '<span class="permission">Manage access: add grants <code title="The permission, as the API names it">create_acls</code></span>'
        '|<span class="permission">Read</span>'
        '|<span class="permission">Read audit logs <code title="The permission, as the API names it">read</code></span>'
    )


def check(client, org, principal_key, node, permission):
    node = Node.of(node)
    query = {"principal": principal_key, "object_type": node.type, "object_id": str(node.id), "permission": permission}
    return client.get(reverse("web:check-access", kwargs={"org_name": org.name}), query)


def test_check_access_offers_the_permissions_in_the_dialogs_words(org, people):
    assert dict(PERMISSIONS)["create_acls"] == "Manage access: add grants (create_acls)"
    html = html_of(client_for(people["owner"]).get(reverse("web:check-access", kwargs={"org_name": org.name})))
    assert "Manage access: list grants (read_acls)" in html and "ACLs" not in html


def test_check_access_says_who_holds_the_permission_and_through_which_grant(org, people, experiment):
    engineer = people["engineer"]
    response = check(client_for(people["owner"]), org, f"user:{engineer.pk}", experiment, "update")
    html = " ".join(html_of(response).split())
    assert f'<strong>{engineer.email}</strong> holds <strong><span class="permission">Update</span></strong> on Experiment baseline' in html
    assert (
        "through the grant of Update on All projects (org_project) <strong>Acme</strong> to the group <strong>Engineers</strong>." in html
    )
    assert " gives " not in html


def test_check_access_speaks_to_you_of_your_own_access_and_of_what_you_lack(org, people, experiment):
    response = check(client_for(people["viewer"]), org, f"user:{people['viewer'].pk}", experiment, "delete_acls")
    html = " ".join(html_of(response).split())
    assert '<strong>You</strong> do not hold <strong><span class="permission">Manage access: remove grants <code' in html
    assert "delete_acls</code></span></strong> on Experiment baseline." in html


def test_check_access_names_a_direct_grant_as_such(org, people, experiment):
    custom = people["custom"]
    grant(org, experiment, user=custom, permission="read_acls")
    html = " ".join(html_of(check(client_for(people["owner"]), org, f"user:{custom.pk}", experiment, "read_acls")).split())
    assert (
        "through the grant of Manage access: list grants <code>read_acls</code> on Experiment <strong>baseline</strong>, made directly."
        in html
    )
