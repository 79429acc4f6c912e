"""A project's pages for each kind of person: the tabs and what each lists, the objects' pages with their
rows, human review, and each object's Permissions dialog; what is refused, that refusals and bad input
write nothing, and a fixed number of queries whatever the number of rows."""

import pytest
from django.utils import timezone

from permissions.engine import can
from permissions.engine.nodes import Node
from permissions.models import AuditEvent
from projects.models import EventFeedback, EventRow, Experiment, ProjectScore, Prompt
from tests.access_helpers import custom_group, grant, nest, row_counts
from tests.assertions import refusal_names, ticked_boxes_in
from tests.factories import (
    OBJECT_FACTORIES,
    ExperimentFactory,
    OrganizationFactory,
    ProjectFactory,
    PromptFactory,
    ServiceAccountFactory,
    add_member,
    insert_as_owner,
    objects_in,
)
from tests.factories_configuration import ProjectScoreFactory, ProjectTagFactory
from tests.query_helpers import steady_state_queries
from tests.web.addresses import org_page
from tests.worlds import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def objects(project):
    return objects_in(
        project,
        experiment={"name": "baseline"},
        dataset={"name": "golden"},
        prompt={"name": "Summarizer", "slug": "summarizer"},
        prompt_session={"name": "Sandbox"},
    )


def project_url(org, project, tab=None) -> str:
    return org_page(org, f"project-{tab}" if tab else "project", project_id=project.pk)


KIND_OF = {"experiment": "experiments", "dataset": "datasets", "prompt": "prompts", "prompt_session": "playgrounds"}


def object_url(obj, name="project-object") -> str:
    return org_page(obj.project.org, name, project_id=obj.project_id, kind=KIND_OF[obj.acl_object_type], object_id=obj.pk)


# The project page and its tabs


@pytest.mark.parametrize(
    ("who", "status", "create"),
    [("owner", 200, True), ("engineer", 200, True), ("viewer", 200, False), ("custom", 404, False), ("outsider", 404, False)],
)
def test_the_project_page_shows_each_person_its_experiments_and_create_when_allowed(org, people, project, objects, who, status, create):
    response = client_for(people[who]).get(project_url(org, project))
    assert response.status_code == status
    html = response.content.decode()
    assert ("Create experiment" in html) is create
    if status == 200:
        assert "baseline" in html and 'aria-current="page">Experiments' in html
        assert ">Logs</a>" in html


@pytest.mark.parametrize(("tab", "name"), [("datasets", "golden"), ("prompts", "Summarizer"), ("playgrounds", "Sandbox")])
def test_each_tab_lists_its_objects_with_links_to_their_pages(org, people, project, objects, tab, name):
    html = client_for(people["viewer"]).get(project_url(org, project, tab)).content.decode()
    obj = next(o for o in objects.values() if o.name == name)
    assert f'href="{object_url(obj)}">{name}</a>' in html
    assert "Create " not in html  # a viewer creates nothing


def test_someone_who_may_read_one_experiment_sees_the_project_with_only_that_experiment(org, people, project, objects):
    custom = people["custom"]
    hidden = ExperimentFactory(project=project, name="secret-run")
    grant(org, objects["experiment"], user=custom, permission="read")
    client = client_for(custom)
    html = client.get(project_url(org, project)).content.decode()
    assert "baseline" in html and hidden.name not in html
    assert "Create experiment" not in html and ">Logs</a>" not in html
    assert "golden" not in client.get(project_url(org, project, "datasets")).content.decode()
    assert client.get(project_url(org, project, "logs")).status_code == 404
    assert client.get(object_url(hidden)).status_code == 404
    assert client.get(object_url(objects["experiment"])).status_code == 200


def test_deleted_objects_and_deleted_projects_are_left_out(org, people, project, objects):
    Experiment.objects.filter(pk=objects["experiment"].pk).update(deleted_at=timezone.now())
    client = client_for(people["owner"])
    assert "baseline" not in client.get(project_url(org, project)).content.decode()
    assert client.get(object_url(objects["experiment"])).status_code == 404
    project.deleted_at = timezone.now()
    project.save(update_fields=["deleted_at"])
    assert client.get(project_url(org, project)).status_code == 404


def test_a_project_of_another_organization_is_not_found_through_this_one(org, people):
    elsewhere = ProjectFactory(org=OrganizationFactory(name="Beta"))
    assert client_for(people["owner"]).get(project_url(org, elsewhere)).status_code == 404


def test_an_object_is_found_only_under_its_own_project_and_kind(org, people, project, objects):
    other = ProjectFactory(org=org)
    experiment = objects["experiment"]
    client = client_for(people["owner"])
    assert client.get(org_page(org, "project-object", project_id=other.pk, kind="experiments", object_id=experiment.pk)).status_code == 404
    assert client.get(org_page(org, "project-object", project_id=project.pk, kind="datasets", object_id=experiment.pk)).status_code == 404
    assert client.get(org_page(org, "project-object", project_id=project.pk, kind="nonsense", object_id=experiment.pk)).status_code == 404


def test_the_projects_list_links_each_project_to_its_page(org, people, project):
    html = client_for(people["viewer"]).get(org_page(org, "projects")).content.decode()
    assert f'href="{project_url(org, project)}">support-bot</a>' in html


def test_the_project_layout_links_to_configuration_for_those_who_read_the_project(org, people, project, objects):
    configuration = f"/app/{org.name}/p/{project.pk}/configuration/"
    assert configuration in client_for(people["viewer"]).get(project_url(org, project)).content.decode()
    custom = people["custom"]
    grant(org, objects["experiment"], user=custom, permission="read")
    assert configuration not in client_for(custom).get(project_url(org, project)).content.decode()


# Creating objects


@pytest.mark.parametrize(("tab", "model_name"), [("experiments", "experiment"), ("datasets", "dataset"), ("playgrounds", "promptsession")])
def test_an_engineer_creates_an_object_from_its_tab_and_owns_it(org, people, project, tab, model_name):
    engineer = people["engineer"]
    response = client_for(engineer).post(project_url(org, project, tab), {"name": "nightly", "description": "Every night"})
    assert response.status_code == 302
    model = {"experiment": Experiment}.get(model_name) or project.__class__._meta.apps.get_model("projects", model_name)
    created = model.objects.get(project=project, name="nightly")
    assert created.description == "Every night" and response["Location"] == object_url(created)
    assert can(engineer, "delete_acls", created)


def test_a_prompt_takes_its_slug_from_its_name_when_left_empty(org, people, project):
    response = client_for(people["engineer"]).post(project_url(org, project, "prompts"), {"name": "Fact Checker", "slug": ""})
    assert response.status_code == 302
    assert Prompt.objects.get(project=project).slug == "fact-checker"


def test_a_viewer_cannot_create_even_by_posting_the_form(org, people, project):
    before = row_counts()
    response = client_for(people["viewer"]).post(project_url(org, project), {"name": "sneaky"})
    assert response.status_code == 403 and "You can't do this" in response.content.decode()
    assert row_counts() == before


@pytest.mark.parametrize(("data", "message"), [({"name": ""}, "This field is required"), ({"name": "baseline"}, "already")])
def test_bad_create_input_re_renders_with_the_error_and_writes_nothing(org, people, project, objects, data, message):
    before = row_counts()
    response = client_for(people["owner"]).post(project_url(org, project), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and "data-open-on-load" in html
    assert row_counts() == before


# Logs


def test_the_logs_tab_shows_the_projects_log_rows_filtered_by_tag(org, people, project):
    ProjectTagFactory(project=project, name="urgent")
    insert_as_owner(
        project, [{"id": "a", "input": "hello", "output": "hi", "tags": ["urgent"]}, {"id": "b", "input": "bye", "output": "ciao"}]
    )
    client = client_for(people["viewer"])
    html = client.get(project_url(org, project, "logs")).content.decode()
    assert 'data-row="a"' in html and 'data-row="b"' in html and '<option value="urgent">' in html
    assert "Review" not in html  # a viewer may not update the logs
    filtered = client.get(project_url(org, project, "logs"), {"tag": "urgent"}).content.decode()
    assert 'data-row="a"' in filtered and 'data-row="b"' not in filtered


def test_the_logs_tab_pages_through_rows_with_the_cursor(org, people, project):
    insert_as_owner(project, [{"id": f"row-{n:02d}", "input": n} for n in range(30)])
    client = client_for(people["viewer"])
    first = client.get(project_url(org, project, "logs"))
    next_url = first.context["next_url"]
    assert len(first.context["rows"]) == 25 and next_url
    second = client.get(next_url)
    assert len(second.context["rows"]) == 5 and second.context["next_url"] is None and second.context["first_url"]
    assert {r.id for r in first.context["rows"]}.isdisjoint({r.id for r in second.context["rows"]})


def test_a_broken_cursor_is_said_plainly(org, people, project):
    response = client_for(people["viewer"]).get(project_url(org, project, "logs"), {"cursor": "nonsense!"})
    assert response.status_code == 200 and "cursor is not a cursor this server returned" in response.content.decode()


def test_someone_who_may_update_logs_but_not_read_them_gets_the_explained_refusal(org, people, project):
    custom = people["custom"]
    grant(org, Node("project_log", project.pk), user=custom, permission="update")
    response = client_for(custom).get(project_url(org, project, "logs"))
    assert response.status_code == 403 and refusal_names("Read</span>") in response.content.decode()


# Experiments, datasets, prompts and playgrounds


def test_an_experiment_page_shows_its_fields_summary_and_rows_with_scores(org, people, project, objects):
    experiment = objects["experiment"]
    experiment.dataset = objects["dataset"]
    experiment.save(update_fields=["dataset"])
    insert_as_owner(experiment, [{"id": "r1", "input": {"q": "2+2"}, "output": "4", "expected": "4", "scores": {"accuracy": 1}}])
    insert_as_owner(experiment, [{"id": "r2", "input": {"q": "3+3"}, "output": "7", "expected": "6", "scores": {"accuracy": 0}}])
    html = client_for(people["viewer"]).get(object_url(experiment)).content.decode()
    assert "<h1>baseline</h1>" in html and f'href="{object_url(objects["dataset"])}">golden</a>' in html
    assert "accuracy</th><td>50.0%" in html  # the summary's mean
    assert "accuracy: 100.0%" in html and "accuracy: 0.0%" in html
    assert 'data-row="r1"' in html and "{&quot;q&quot;: &quot;2+2&quot;}" in html


def test_a_linked_dataset_the_person_may_not_read_is_not_named(org, people, project, objects):
    custom = people["custom"]
    experiment = objects["experiment"]
    experiment.dataset = objects["dataset"]
    experiment.save(update_fields=["dataset"])
    grant(org, experiment, user=custom, permission="read")
    html = client_for(custom).get(object_url(experiment)).content.decode()
    assert "golden" not in html


def test_a_dataset_page_shows_its_records(org, people, project, objects):
    dataset = objects["dataset"]
    insert_as_owner(dataset, [{"id": "case-1", "input": "capital of France", "expected": "Paris", "metadata": {"level": "easy"}}])
    html = client_for(people["viewer"]).get(object_url(dataset)).content.decode()
    assert 'data-row="case-1"' in html and "Paris" in html and "<dt>Records</dt><dd>1</dd>" in html


def test_a_prompt_page_shows_its_slug_and_prompt(org, people, project, objects):
    html = client_for(people["viewer"]).get(object_url(objects["prompt"])).content.decode()
    assert "<code>summarizer</code>" in html


def test_a_playground_page_lists_only_the_prompts_the_person_may_read(org, people, project, objects):
    custom = people["custom"]
    other_project = ProjectFactory(org=org, name="shared")
    elsewhere = PromptFactory(project=other_project, name="Elsewhere prompt", slug="elsewhere")
    playground = objects["prompt_session"]
    playground.prompts.set([objects["prompt"], elsewhere])
    owner_html = client_for(people["owner"]).get(object_url(playground)).content.decode()
    assert "Summarizer" in owner_html and "Elsewhere prompt" in owner_html and "in shared" in owner_html
    grant(org, playground, user=custom, permission="read")
    grant(org, elsewhere, user=custom, permission="read")
    custom_html = client_for(custom).get(object_url(playground)).content.decode()
    assert "Elsewhere prompt" in custom_html and "Summarizer" not in custom_html


def test_someone_who_may_only_update_an_experiment_gets_the_explained_refusal_on_its_page(org, people, objects):
    custom = people["custom"]
    grant(org, objects["experiment"], user=custom, permission="update")
    response = client_for(custom).get(object_url(objects["experiment"]))
    assert response.status_code == 403 and refusal_names("Read</span>") in response.content.decode()


# Human review


@pytest.fixture
def review_scores(project):
    return {
        "helpfulness": ProjectScoreFactory(project=project, name="helpfulness", score_type=ProjectScore.ScoreType.SLIDER),
        "verdict": ProjectScoreFactory(
            project=project,
            name="verdict",
            score_type=ProjectScore.ScoreType.CATEGORICAL,
            categories=[{"name": "good", "value": 1}, {"name": "meh", "value": 0.5}, {"name": "bad", "value": 0}],
        ),
        "online": ProjectScoreFactory(project=project, name="weighted", score_type=ProjectScore.ScoreType.WEIGHTED, categories={"x": 1}),
    }


def review_data(score_fields: dict, row_id="r1", **extra) -> dict:
    return {"row_id": row_id, **{f"score_{score.pk.hex}": value for score, value in score_fields.items()}, **extra}


def test_the_review_form_offers_the_projects_slider_and_categorical_scores(org, people, objects, review_scores):
    insert_as_owner(objects["experiment"], [{"id": "r1", "input": "x"}])
    html = client_for(people["engineer"]).get(object_url(objects["experiment"])).content.decode()
    assert 'data-open-dialog="review-1"' in html
    assert "helpfulness" in html and '<option value="meh">meh (50.0%)</option>' in html
    assert "weighted" not in html.split('id="review-1"')[1].split("</dialog>")[0]


def test_an_engineer_records_a_human_review_on_an_experiment_row(org, people, objects, review_scores):
    experiment = objects["experiment"]
    insert_as_owner(experiment, [{"id": "r1", "input": "x", "scores": {"accuracy": 1}}])
    data = review_data({review_scores["helpfulness"]: "0.75", review_scores["verdict"]: "meh"}, comment="Too wordy")
    response = client_for(people["engineer"]).post(object_url(experiment), data)
    assert response.status_code == 302 and response["Location"] == object_url(experiment)
    feedback = EventFeedback.objects.get(object_id=experiment.pk, row_id="r1")
    assert feedback.source == "app" and feedback.comment == "Too wordy" and feedback.created_by == people["engineer"]
    assert feedback.scores == {"helpfulness": 0.75, "verdict": 0.5}
    row = EventRow.objects.get(object_id=experiment.pk, row_id="r1")
    assert row.data["scores"] == {"accuracy": 1, "helpfulness": 0.75, "verdict": 0.5}


def test_a_review_keeps_the_page_of_rows_it_was_made_on(org, people, objects, review_scores):
    experiment = objects["experiment"]
    insert_as_owner(experiment, [{"id": "r1", "input": "x"}])
    data = review_data({review_scores["helpfulness"]: "1"}, cursor="abc", tag="urgent")
    response = client_for(people["owner"]).post(object_url(experiment), data)
    assert response["Location"] == object_url(experiment) + "?tag=urgent&cursor=abc"


def test_a_viewer_cannot_review_even_by_posting_the_form(org, people, objects, review_scores):
    insert_as_owner(objects["experiment"], [{"id": "r1", "input": "x"}])
    response = client_for(people["viewer"]).post(object_url(objects["experiment"]), review_data({review_scores["helpfulness"]: "1"}))
    assert response.status_code == 403
    assert not EventFeedback.objects.exists()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"helpfulness": "1.5"}, "less than or equal to 1"),
        ({"verdict": "superb"}, "Select a valid choice"),
        ({}, "Set a score or write a comment."),
    ],
)
def test_a_bad_review_re_renders_the_row_with_the_error_and_writes_nothing(org, people, objects, review_scores, values, message):
    experiment = objects["experiment"]
    insert_as_owner(experiment, [{"id": "r1", "input": "x"}])
    versions = EventRow.objects.get(row_id="r1").xact_id
    response = client_for(people["owner"]).post(
        object_url(experiment), review_data({review_scores[name]: value for name, value in values.items()})
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and 'id="review-1" aria-labelledby="review-title-1" data-open-on-load' in html
    assert not EventFeedback.objects.exists() and EventRow.objects.get(row_id="r1").xact_id == versions


def test_a_review_of_a_row_that_does_not_exist_is_a_clear_error(org, people, objects, review_scores):
    response = client_for(people["owner"]).post(object_url(objects["experiment"]), review_data({}, row_id="ghost", comment="hm"))
    assert response.status_code == 400 and "No rows with these ids: ghost" in response.content.decode()
    assert not EventFeedback.objects.exists()


def test_human_review_on_a_log_row_needs_update_on_the_logs(org, people, project, review_scores):
    insert_as_owner(project, [{"id": "log-1", "input": "hello"}])
    custom = people["custom"]
    grant(org, Node("project_log", project.pk), user=custom, permission="read")
    client = client_for(custom)
    assert "Review" not in client.get(project_url(org, project, "logs")).content.decode()
    assert client.post(project_url(org, project, "logs"), review_data({}, row_id="log-1", comment="ok")).status_code == 403
    grant(org, Node("project_log", project.pk), user=custom, permission="update")
    assert 'data-open-dialog="review-1"' in client.get(project_url(org, project, "logs")).content.decode()
    response = client.post(project_url(org, project, "logs"), review_data({review_scores["verdict"]: "good"}, row_id="log-1"))
    assert response.status_code == 302
    feedback = EventFeedback.objects.get(row_id="log-1")
    assert feedback.kind == "project_logs" and feedback.scores == {"verdict": 1} and feedback.source == "app"


def test_datasets_take_no_human_review(org, people, objects):
    insert_as_owner(objects["dataset"], [{"id": "case-1", "input": "x"}])
    client = client_for(people["owner"])
    assert "Review" not in client.get(object_url(objects["dataset"])).content.decode()
    assert client.post(object_url(objects["dataset"]), {"row_id": "case-1", "comment": "x"}).status_code == 404


# An object's Permissions


@pytest.mark.parametrize(("who", "menu"), [("owner", True), ("engineer", False), ("viewer", False)])
def test_the_permissions_item_shows_to_those_who_manage_access_on_the_object(org, people, objects, who, menu):
    for obj in objects.values():
        html = client_for(people[who]).get(object_url(obj)).content.decode()
        assert ('data-open-dialog="permissions-dialog">Permissions</a>' in html) is menu
        assert ('id="permissions-dialog"' in html) is menu


def test_the_creator_of_an_object_manages_its_access(org, people, project):
    engineer = people["engineer"]
    client_for(engineer).post(project_url(org, project), {"name": "mine"})
    html = client_for(engineer).get(object_url(Experiment.objects.get(name="mine"))).content.decode()
    assert ">Permissions</a>" in html


@pytest.mark.parametrize(("who", "status"), [("owner", 200), ("engineer", 403), ("viewer", 403), ("custom", 404), ("outsider", 404)])
def test_the_permissions_page_needs_read_acls_or_create_acls(org, people, objects, who, status):
    response = client_for(people[who]).get(object_url(objects["experiment"], "object-permissions"))
    assert response.status_code == status
    if status == 403:
        assert refusal_names("Manage access: list grants <code") in response.content.decode()


def test_the_permissions_dialog_lists_groups_members_service_accounts_and_who_has_access(org, people, objects):
    ServiceAccountFactory(service_account_org=org, given_name="ingest-bot")
    grant(org, objects["experiment"], group=custom_group_of(org), role="viewer")
    grant(org, objects["experiment"], user=people["viewer"], permission="update")
    html = client_for(people["owner"]).get(object_url(objects["experiment"])).content.decode()
    dialog = html.split('id="permissions-dialog"')[1]
    for name in ("Owners", "Engineers", "Viewers", "Annotators", people["viewer"].email, "ingest-bot"):
        assert name in dialog
    assert people["outsider"].email not in dialog
    access = dialog.split("Who has access here")[1]
    assert "role viewer (granted on this experiment)" in access and '<span class="chip">Update</span>' in access
    assert "Annotators" in access and "ingest-bot" not in access


def test_choosing_a_principal_shows_its_boxes_as_a_partial_for_htmx(org, people, objects):
    experiment = objects["experiment"]
    custom = people["custom"]
    grant(org, experiment, user=custom, permission="read")
    response = client_for(people["owner"]).get(
        object_url(experiment, "object-permissions"), {"principal": f"user:{custom.pk}"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert ticked_boxes_in(html) == {"read"} and 'value="update" ' in html
    assert "A super-user ability" in html  # Manage access says what it means


def test_without_javascript_the_permissions_page_is_a_page_of_its_own(org, people, objects):
    custom = people["custom"]
    response = client_for(people["owner"]).get(object_url(objects["experiment"], "object-permissions"), {"principal": f"user:{custom.pk}"})
    html = response.content.decode()
    assert "<html" in html and "<h1>Permissions</h1>" in html and 'name="principal" value="user:' in html


def test_searching_principals_returns_the_matching_ones_as_a_partial(org, people, objects):
    response = client_for(people["owner"]).get(
        object_url(objects["experiment"], "object-principals"), {"q": "annot"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "Annotators" in html and "Engineers" not in html and people["viewer"].email not in html


def test_an_owner_grants_a_member_read_on_one_experiment_through_its_permissions(org, people, objects):
    experiment, custom = objects["experiment"], people["custom"]
    response = client_for(people["owner"]).post(
        object_url(experiment, "object-permissions"), {"principal": f"user:{custom.pk}", "boxes": ["read"]}
    )
    assert response.status_code == 302 and response["Location"] == object_url(experiment)
    assert can(custom, "read", experiment) and not can(custom, "read", objects["dataset"])
    assert AuditEvent.objects.filter(action="acl.create").exists()
    html = client_for(custom).get(project_url(org, experiment.project)).content.decode()
    assert "baseline" in html


def test_clearing_a_box_removes_its_grants_and_manage_access_writes_the_four_acl_permissions(org, people, objects):
    experiment, annotators = objects["experiment"], custom_group(org, name="Reviewers")
    client = client_for(people["owner"])
    address = object_url(experiment, "object-permissions")
    client.post(address, {"principal": f"group:{annotators.pk}", "boxes": ["read", "acls"]})
    assert all(can_group(annotators, p, experiment) for p in ("read", "create_acls", "read_acls", "update_acls", "delete_acls"))
    client.post(address, {"principal": f"group:{annotators.pk}", "boxes": ["read"]})
    assert can_group(annotators, "read", experiment) and not can_group(annotators, "read_acls", experiment)


def can_group(group, permission, obj) -> bool:
    member = add_member(group.org)
    group.auth_group.user_set.add(member)
    return can(member, permission, obj)


def test_someone_who_may_only_read_acls_sees_the_boxes_but_cannot_save(org, people, objects):
    experiment = objects["experiment"]
    grant(org, experiment, user=people["engineer"], permission="read_acls")
    client = client_for(people["engineer"])
    html = client.get(object_url(experiment, "object-permissions"), {"principal": "group:" + str(custom_group_of(org).pk)}).content.decode()
    assert "disabled" in html and "You may see these permissions but not change them." in html
    before = row_counts()
    response = client.post(
        object_url(experiment, "object-permissions"), {"principal": f"group:{custom_group_of(org).pk}", "boxes": ["read"]}
    )
    assert response.status_code == 403 and row_counts() == before


def custom_group_of(org):
    return org.permission_groups.get(name="Annotators")


def test_a_viewer_cannot_grant_by_posting_the_permissions_form(org, people, objects):
    before = row_counts()
    response = client_for(people["viewer"]).post(
        object_url(objects["experiment"], "object-permissions"), {"principal": f"user:{people['viewer'].pk}", "boxes": ["read", "acls"]}
    )
    assert response.status_code == 403 and row_counts() == before


@pytest.mark.parametrize("principal", ["user:{outsider}", "group:not-a-uuid", "robot:{outsider}", ""])
def test_a_principal_not_of_the_organization_is_a_clear_error_and_writes_nothing(org, people, objects, principal):
    before = row_counts()
    response = client_for(people["owner"]).post(
        object_url(objects["experiment"], "object-permissions"),
        {"principal": principal.format(outsider=people["outsider"].pk), "boxes": ["read"]},
    )
    assert response.status_code == 400 and "Choose a group, member or service account" in response.content.decode()
    assert row_counts() == before


def test_an_unknown_box_is_a_clear_error_and_writes_nothing(org, people, objects):
    before = row_counts()
    response = client_for(people["owner"]).post(
        object_url(objects["experiment"], "object-permissions"), {"principal": f"user:{people['custom'].pk}", "boxes": ["read", "own"]}
    )
    assert response.status_code == 400 and row_counts() == before


def test_choosing_a_principal_of_another_organization_is_not_found(org, people, objects):
    response = client_for(people["owner"]).get(
        object_url(objects["experiment"], "object-permissions"), {"principal": f"user:{people['outsider'].pk}"}
    )
    assert response.status_code == 404


@pytest.mark.parametrize("kind", ["dataset", "prompt", "prompt_session"], ids=["dataset", "prompt", "playground"])
def test_every_kind_of_object_has_its_permissions(org, people, objects, kind):
    obj, custom = objects[kind], people["custom"]
    response = client_for(people["owner"]).post(
        object_url(obj, "object-permissions"), {"principal": f"user:{custom.pk}", "boxes": ["update"]}
    )
    assert response.status_code == 302
    assert can(custom, "update", obj) and not can(custom, "read", obj)


def test_nested_groups_in_the_picker_are_the_organizations_own(org, people, objects):
    inner = custom_group(org, name="Inner")
    nest(custom_group_of(org), inner)
    other_group = custom_group(OrganizationFactory(name="Gamma"), name="Foreign")
    html = client_for(people["owner"]).get(object_url(objects["experiment"], "object-permissions")).content.decode()
    assert "Inner" in html and other_group.name not in html


# A fixed number of queries


@pytest.mark.parametrize("tab", [None, "datasets", "prompts", "playgrounds"])
def test_each_tab_costs_the_same_queries_for_one_and_many_objects(org, people, project, tab):
    factory = OBJECT_FACTORIES[{None: "experiment", "datasets": "dataset", "prompts": "prompt", "playgrounds": "prompt_session"}[tab]]
    client = client_for(people["custom"])
    grant(org, project, group=custom_group_of(org), permission="read")
    factory(project=project)
    one = steady_state_queries(client, project_url(org, project, tab))
    for _ in range(20):
        factory(project=project)
    assert steady_state_queries(client, project_url(org, project, tab)) == one


def test_the_logs_tab_costs_the_same_queries_for_one_and_many_rows(org, people, project, review_scores):
    client = client_for(people["engineer"])
    insert_as_owner(project, [{"id": "first", "input": 0}])
    one = steady_state_queries(client, project_url(org, project, "logs"))
    insert_as_owner(project, [{"id": f"row-{n}", "input": n, "scores": {"x": 0.5}} for n in range(24)])
    assert steady_state_queries(client, project_url(org, project, "logs")) == one


def test_an_experiment_page_costs_the_same_queries_for_one_and_many_rows_and_principals(org, people, objects, review_scores):
    experiment = objects["experiment"]
    client = client_for(people["owner"])
    insert_as_owner(experiment, [{"id": "first", "input": 0, "scores": {"accuracy": 1}}])
    grant(org, experiment, user=people["viewer"], role="owner")
    grant(org, experiment, group=custom_group_of(org), permission="update")
    one = steady_state_queries(client, object_url(experiment))
    insert_as_owner(experiment, [{"id": f"row-{n}", "input": n, "scores": {"accuracy": n / 30}} for n in range(24)])
    for index in range(10):
        add_member(org)
        group = custom_group(org, name=f"team-{index}")
        grant(org, experiment, group=group, permission="read")
    assert steady_state_queries(client, object_url(experiment)) == one


def test_a_dataset_page_costs_the_same_queries_for_one_and_many_records(org, people, objects):
    dataset = objects["dataset"]
    client = client_for(people["viewer"])
    insert_as_owner(dataset, [{"id": "first", "input": 0}])
    one = steady_state_queries(client, object_url(dataset))
    insert_as_owner(dataset, [{"id": f"case-{n}", "input": n} for n in range(24)])
    assert steady_state_queries(client, object_url(dataset)) == one


def test_the_principal_search_costs_the_same_queries_for_few_and_many_principals(org, people, objects):
    client = client_for(people["owner"])
    address = object_url(objects["experiment"], "object-principals")
    few = steady_state_queries(client, address)
    for index in range(15):
        add_member(org)
        custom_group(org, name=f"crew-{index}")
        ServiceAccountFactory(service_account_org=org)
    assert steady_state_queries(client, address) == few
