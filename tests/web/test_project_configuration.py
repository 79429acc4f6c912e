"""A project's Configuration page for each kind of person: what is shown, what is refused, what each form
writes (tags, human review, aggregate and online scores, project Permissions), that bad input writes
nothing, and a fixed number of queries whatever the number of rows."""

import pytest
from django.utils import timezone

from accounts.models import User
from permissions.boxes import PROJECT_BOXES, Subject, boxes_by_subject, ticked_boxes
from permissions.engine import can
from permissions.models import AuditEvent
from projects.models import ProjectScore, ProjectTag
from tests.access_helpers import audit_actions, custom_group, grant, grant_many, row_counts
from tests.assertions import panel_row, pencil_target, refusal_names, ticked_boxes_in
from tests.factories import ExperimentFactory, OrganizationFactory, ProjectFactory, ServiceAccountFactory, UserFactory, add_member
from tests.factories_configuration import ProjectScoreFactory, ProjectTagFactory, ScorerFunctionFactory, SpanIframeFactory
from tests.factories_secrets import EnvVarFactory
from tests.query_helpers import steady_state_queries
from tests.web.addresses import project_page
from tests.worlds import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("annotators_read_the_project")]


def html_of(response) -> str:
    return response.content.decode()


# Who sees what


@pytest.mark.parametrize(
    ("who", "status", "can_change", "sees_permissions"),
    [
        ("owner", 200, True, True),
        ("engineer", 200, True, False),
        ("viewer", 200, False, False),
        ("custom", 200, False, False),  # reads this one project through the Annotators group
        ("outsider", 404, False, False),
    ],
)
def test_the_configuration_page_shows_each_person_what_they_may_do(project, people, who, status, can_change, sees_permissions):
    ProjectTagFactory(project=project, name="urgent", color="#b3261e", description="Answer today")
    ProjectScoreFactory(project=project, name="Helpfulness")
    response = client_for(people[who]).get(project_page(project))
    assert response.status_code == status
    if status != 200:
        return
    html = html_of(response)
    assert "urgent" in html and "Answer today" in html and "Helpfulness" in html
    for section in ("Tags", "Human review", "Aggregate scores", "Online scoring"):
        assert f">{section}</h2>" in html
    assert ('data-open-dialog="tag-new"' in html) is can_change
    assert ('data-open-dialog="human-review-new"' in html) is can_change
    assert ("Delete<span" in html) is can_change
    assert ('id="permissions"' in html) is sees_permissions
    assert ('id="principal-search"' in html) is sees_permissions


def test_a_member_who_sees_nothing_of_the_project_gets_404(org, project):
    stranger = add_member(org)
    assert client_for(stranger).get(project_page(project)).status_code == 404


def test_someone_who_sees_the_project_but_may_not_read_it_gets_the_explained_refusal(org, project):
    updater = add_member(org)
    grant(org, project, user=updater, permission="update")
    response = client_for(updater).get(project_page(project))
    assert response.status_code == 403
    assert refusal_names("Read</span>") in html_of(response)


def test_a_deleted_project_and_another_organizations_project_are_not_found(org, project, people):
    foreign = ProjectFactory(org=OrganizationFactory(name="Other"))
    assert client_for(people["owner"]).get(project_page(foreign).replace("/Other/", "/Acme/")).status_code == 404
    project.deleted_at = timezone.now()
    project.save(update_fields=["deleted_at"])
    assert client_for(people["owner"]).get(project_page(project)).status_code == 404


def test_the_permissions_section_is_read_only_for_someone_holding_only_read_acls(org, project, people):
    auditor = add_member(org, None, "viewers")
    grant(org, project, user=auditor, permission="read_acls")
    grant(org, project, user=people["custom"], permission="read", restrict="experiment")
    response = client_for(auditor).get(project_page(project))
    html = html_of(response)
    assert response.status_code == 200 and 'id="permissions"' in html
    assert "Annotators" in html and people["custom"].email in html
    assert 'class="primary">Save</button>' not in html.split('id="permissions"')[1]
    assert 'id="principal-search"' not in html  # finding people to add is for those who may add grants
    dialog = html_of(client_for(auditor).get(pencil_target(panel_row(html, f"user:{people['custom'].pk}")), headers={"HX-Request": "true"}))
    assert "disabled" in dialog and 'class="primary">Save</button>' not in dialog and ticked_boxes_in(dialog) == {"experiment_read"}


# Tags


def tag_data(prefix="tag-new", **fields) -> dict:
    return {f"{prefix}-{key}": value for key, value in {"name": "", "color": "", "description": "", **fields}.items()}


def test_an_owner_creates_edits_and_deletes_a_tag(project, people):
    client = client_for(people["owner"])
    response = client.post(
        project_page(project, "project-tag-create"), tag_data(name="urgent", color="#ff0000", description="Answer today")
    )
    assert response.status_code == 302 and response["Location"].endswith("#tags")
    tag = ProjectTag.objects.get(project=project)
    assert (tag.name, tag.color, tag.description) == ("urgent", "#ff0000", "Answer today")
    response = client.post(
        project_page(project, "project-tag-update", tag_id=tag.pk), tag_data(f"tag-{tag.pk.hex}", name="later", color="teal")
    )
    assert response.status_code == 302
    tag.refresh_from_db()
    assert (tag.name, tag.color, tag.description) == ("later", "teal", "")
    html = html_of(client.get(project_page(project)))
    assert 'style="background: teal"' in html
    assert 'Edit<span class="visually-hidden"> tag later</span>' in html  # each row's buttons name their row
    assert 'Delete<span class="visually-hidden"> tag later</span>' in html
    client.post(project_page(project, "project-tag-delete", tag_id=tag.pk))
    assert not ProjectTag.objects.exists()
    assert audit_actions()[-3:] == ["project_tag.create", "project_tag.update", "project_tag.delete"]


def test_an_engineer_may_change_tags(project, people):
    response = client_for(people["engineer"]).post(project_page(project, "project-tag-create"), tag_data(name="triage"))
    assert response.status_code == 302 and ProjectTag.objects.filter(name="triage").exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "urgent"}, "already exists"),
        ({"name": ""}, "This field is required"),
        ({"name": "x", "color": "red; background-image: project_page(https://evil.example)"}, "is not a color"),
    ],
)
def test_a_bad_tag_writes_nothing_and_says_why(project, people, fields, message):
    ProjectTagFactory(project=project, name="urgent")
    before, tags = row_counts(), ProjectTag.objects.count()
    response = client_for(people["owner"]).post(project_page(project, "project-tag-create"), tag_data(**fields))
    assert response.status_code == 400
    html = html_of(response)
    assert message in html
    assert 'id="tag-new" aria-labelledby="tag-new-title" data-open-on-load' in html  # the dialog reopens with the errors
    assert row_counts() == before and ProjectTag.objects.count() == tags


def test_a_colour_that_is_not_plain_css_is_shown_as_text_without_a_swatch(project, people):
    ProjectTagFactory(project=project, name="odd", color='red" onmouseover="alert(1)')
    html = html_of(client_for(people["owner"]).get(project_page(project)))
    assert 'onmouseover="alert' not in html and "swatch" not in html.split('data-tag="odd"')[1].split("</tr>")[0]


@pytest.mark.parametrize("who", ["viewer", "custom"])
def test_reading_is_not_enough_to_change_tags_even_by_posting(project, people, who):
    tag = ProjectTagFactory(project=project, name="urgent")
    client = client_for(people[who])
    before = row_counts()
    assert client.post(project_page(project, "project-tag-create"), tag_data(name="new")).status_code == 403
    assert (
        client.post(project_page(project, "project-tag-update", tag_id=tag.pk), tag_data(f"tag-{tag.pk.hex}", name="x")).status_code == 403
    )
    assert client.post(project_page(project, "project-tag-delete", tag_id=tag.pk)).status_code == 403
    assert row_counts() == before and ProjectTag.objects.get().name == "urgent"


def test_an_outsider_cannot_reach_the_tag_forms(project, people):
    tag = ProjectTagFactory(project=project, name="urgent")
    response = client_for(people["outsider"]).post(project_page(project, "project-tag-delete", tag_id=tag.pk))
    assert response.status_code == 404 and ProjectTag.objects.exists()


def test_a_tag_of_another_project_is_not_found(org, project, people):
    other = ProjectTagFactory(project=ProjectFactory(org=org))
    response = client_for(people["owner"]).post(project_page(project, "project-tag-delete", tag_id=other.pk))
    assert response.status_code == 404 and ProjectTag.objects.filter(pk=other.pk).exists()


@pytest.mark.parametrize(
    ("route", "id_kwarg", "make"),
    [
        ("project-tag", "tag_id", lambda elsewhere: ProjectTagFactory(project=elsewhere)),
        ("project-score", "score_id", lambda elsewhere: ProjectScoreFactory(project=elsewhere)),
        ("project-span-iframe", "iframe_id", lambda elsewhere: SpanIframeFactory(project=elsewhere)),
        ("project-env-var", "env_var_id", lambda elsewhere: EnvVarFactory(org=elsewhere.org, project=elsewhere)),
    ],
)
def test_an_item_of_another_project_is_not_found_through_this_projects_routes(org, project, people, route, id_kwarg, make):
    theirs = make(ProjectFactory(org=org))
    client = client_for(people["owner"])
    before = row_counts()

    asked = client.get(project_page(project, f"{route}-delete", **{id_kwarg: theirs.pk}))
    changed = client.post(project_page(project, f"{route}-update", **{id_kwarg: theirs.pk}), {"name": "taken over", "value": "x"})
    deleted = client.post(project_page(project, f"{route}-delete", **{id_kwarg: theirs.pk}))

    assert (asked.status_code, changed.status_code, deleted.status_code) == (404, 404, 404)
    assert row_counts() == before and type(theirs).objects.get(pk=theirs.pk).name == theirs.name


# Human review


def score_data(prefix: str, rows: list[tuple] = (), total: int = 3, **fields) -> dict:
    data = {f"{prefix}-{key}": value for key, value in {"name": "", "description": "", **fields}.items()}
    data.update({f"{prefix}-rows-TOTAL_FORMS": str(max(total, len(rows))), f"{prefix}-rows-INITIAL_FORMS": "0"})
    for index, (name, value) in enumerate(rows):
        data[f"{prefix}-rows-{index}-name"] = name
        data[f"{prefix}-rows-{index}-value"] = value
    return data


def test_an_owner_creates_a_categorical_score_with_its_categories(project, people):
    data = score_data(
        "human-review-new", [("good", "1"), ("meh", "0.5"), ("bad", "0")], name="Quality", score_type="categorical", multi_select="on"
    )
    response = client_for(people["owner"]).post(project_page(project, "project-score-create", kind="human-review"), data)
    assert response.status_code == 302 and response["Location"].endswith("#human-review")
    score = ProjectScore.objects.get(project=project)
    assert score.score_type == "categorical"
    assert score.categories == [{"name": "good", "value": 1.0}, {"name": "meh", "value": 0.5}, {"name": "bad", "value": 0.0}]
    assert score.config == {"multi_select": True}
    assert "project_score.create" in audit_actions()


def test_a_slider_score_needs_no_rows(project, people):
    data = {"human-review-new-name": "Helpfulness", "human-review-new-score_type": "slider"}
    response = client_for(people["owner"]).post(project_page(project, "project-score-create", kind="human-review"), data)
    assert response.status_code == 302
    assert ProjectScore.objects.get().categories is None


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("good", "1.5")], "Category 1 value: must be from 0 to 1."),  # the service's rule, named as the form names it
        ([("good", "1"), ("good", "0")], "is used by another category"),
        ([], "categories: must not be empty."),
        ([("good", "")], "Give this category a value"),
        ([("", "0.5")], "Give this category a name"),
    ],
)
def test_a_bad_categorical_score_writes_nothing_and_says_why(project, people, rows, message):
    before = row_counts()
    data = score_data("human-review-new", rows, name="Quality", score_type="categorical")
    response = client_for(people["owner"]).post(project_page(project, "project-score-create", kind="human-review"), data)
    assert response.status_code == 400
    html = html_of(response)
    assert message in html
    assert 'id="human-review-new" aria-labelledby="human-review-new-title" data-open-on-load' in html
    assert row_counts() == before and not ProjectScore.objects.exists()


def test_editing_a_categorical_score_into_a_slider_drops_its_categories_and_keeps_other_settings(project, people):
    score = ProjectScoreFactory(
        project=project,
        name="Quality",
        score_type="categorical",
        categories=[{"name": "good", "value": 1}],
        config={"multi_select": True, "destination": "expected"},
    )
    prefix = f"score-{score.pk.hex}"
    page = html_of(client_for(people["owner"]).get(project_page(project)))
    assert f'name="{prefix}-rows-0-name" value="good"' in page  # the categories are edited as rows
    data = score_data(prefix, name="Quality", score_type="slider")
    response = client_for(people["owner"]).post(project_page(project, "project-score-update", score_id=score.pk), data)
    assert response.status_code == 302
    score.refresh_from_db()
    assert (score.score_type, score.categories, score.config) == ("slider", None, {"destination": "expected"})


def test_a_score_name_taken_is_a_form_error(project, people):
    ProjectScoreFactory(project=project, name="Quality")
    before = row_counts()
    data = {"human-review-new-name": "Quality", "human-review-new-score_type": "slider"}
    response = client_for(people["owner"]).post(project_page(project, "project-score-create", kind="human-review"), data)
    assert response.status_code == 400 and "already exists" in html_of(response)
    assert row_counts() == before and ProjectScore.objects.count() == 1


def test_a_viewer_cannot_create_update_or_delete_a_score(project, people):
    score = ProjectScoreFactory(project=project, name="Quality")
    client = client_for(people["viewer"])
    data = {"human-review-new-name": "New", "human-review-new-score_type": "slider"}
    assert client.post(project_page(project, "project-score-create", kind="human-review"), data).status_code == 403
    prefix = f"score-{score.pk.hex}"
    assert client.post(project_page(project, "project-score-update", score_id=score.pk), {f"{prefix}-name": "X"}).status_code == 403
    assert client.post(project_page(project, "project-score-delete", score_id=score.pk)).status_code == 403
    assert list(ProjectScore.objects.values_list("name", flat=True)) == ["Quality"]


def test_an_engineer_deletes_a_score(project, people):
    score = ProjectScoreFactory(project=project, name="Quality")
    response = client_for(people["engineer"]).post(project_page(project, "project-score-delete", score_id=score.pk))
    assert response.status_code == 302 and not ProjectScore.objects.exists()
    assert audit_actions()[-1] == "project_score.delete"


# Aggregate scores


def test_an_owner_creates_a_weighted_and_a_minimum_aggregate(project, people):
    ProjectScoreFactory(project=project, name="Accuracy"), ProjectScoreFactory(project=project, name="Fluency")
    client = client_for(people["owner"])
    data = score_data("aggregate-new", [("Accuracy", "2"), ("Fluency", "")], name="Overall", score_type="weighted")
    assert client.post(project_page(project, "project-score-create", kind="aggregate"), data).status_code == 302
    data = score_data("aggregate-new", [("Accuracy", ""), ("Fluency", "")], name="Worst", score_type="minimum")
    assert client.post(project_page(project, "project-score-create", kind="aggregate"), data).status_code == 302
    scores = {s.name: s for s in ProjectScore.objects.filter(project=project)}
    assert scores["Overall"].categories == {"Accuracy": 2.0, "Fluency": 1}
    assert scores["Worst"].categories == ["Accuracy", "Fluency"]
    html = html_of(client.get(project_page(project)))
    assert "Accuracy (weight 2), Fluency (weight 1)" in html and "Accuracy, Fluency" in html


@pytest.mark.parametrize(
    ("rows", "score_type", "message"),
    [
        ([("Accuracy", "1"), ("Accuracy", "2")], "weighted", "listed more than once"),
        ([("Accuracy", "-1")], "weighted", "must be greater than 0"),
        ([], "maximum", "categories: must not be empty."),
    ],
)
def test_a_bad_aggregate_writes_nothing_and_says_why(project, people, rows, score_type, message):
    before = row_counts()
    data = score_data("aggregate-new", rows, name="Overall", score_type=score_type)
    response = client_for(people["owner"]).post(project_page(project, "project-score-create", kind="aggregate"), data)
    assert response.status_code == 400 and message in html_of(response)
    assert row_counts() == before and not ProjectScore.objects.exists()


def test_an_aggregate_is_edited_in_place(project, people):
    ProjectScoreFactory(project=project, name="Accuracy"), ProjectScoreFactory(project=project, name="Fluency")
    score = ProjectScoreFactory(project=project, name="Overall", score_type="maximum", categories=["Accuracy"])
    prefix = f"score-{score.pk.hex}"
    data = score_data(prefix, [("Accuracy", "1"), ("Fluency", "3")], name="Overall", score_type="weighted")
    assert client_for(people["owner"]).post(project_page(project, "project-score-update", score_id=score.pk), data).status_code == 302
    score.refresh_from_db()
    assert (score.score_type, score.categories) == ("weighted", {"Accuracy": 1.0, "Fluency": 3.0})


# Online scoring


def online_data(prefix="online-new", **fields) -> dict:
    values = {"name": "Live checks", "description": "", "sampling_rate": "25", "apply_to_root_span": "on", "span_names": "", **fields}
    data = {f"{prefix}-{key}": value for key, value in values.items() if key != "scorers"}
    data[f"{prefix}-scorers"] = fields.get("scorers", ["global:ExactMatch"])
    return data


def test_an_owner_creates_an_online_rule_with_a_built_in_scorer_and_a_function(project, people):
    function = ScorerFunctionFactory(project=project, name="Politeness")
    data = online_data(scorers=["global:Levenshtein", f"function:{function.pk}"], span_names="llm, retrieval")
    response = client_for(people["owner"]).post(project_page(project, "project-score-create", kind="online"), data)
    assert response.status_code == 302 and response["Location"].endswith("#online-scoring")
    score = ProjectScore.objects.get(project=project)
    assert score.score_type == "online" and score.categories is None
    assert score.config == {
        "online": {
            "sampling_rate": 0.25,
            "scorers": [{"type": "global", "name": "Levenshtein"}, {"type": "function", "id": str(function.pk)}],
            "apply_to_root_span": True,
            "apply_to_span_names": ["llm", "retrieval"],
        }
    }
    html = html_of(client_for(people["owner"]).get(project_page(project)))
    assert "Politeness" in html and "25%" in html and ">retrieval<" in html


def test_editing_a_rule_keeps_the_settings_the_form_does_not_show(project, people):
    score = ProjectScoreFactory(
        project=project,
        name="Live checks",
        score_type="online",
        config={"online": {"sampling_rate": 1, "scorers": [{"type": "global", "name": "ExactMatch"}], "btql_filter": "metadata.x = 1"}},
    )
    prefix = f"score-{score.pk.hex}"
    response = client_for(people["owner"]).post(
        project_page(project, "project-score-update", score_id=score.pk), online_data(prefix, sampling_rate="50", apply_to_root_span="")
    )
    assert response.status_code == 302
    score.refresh_from_db()
    assert score.config["online"] == {
        "sampling_rate": 0.5,
        "scorers": [{"type": "global", "name": "ExactMatch"}],
        "btql_filter": "metadata.x = 1",
        "apply_to_root_span": False,
    }


def test_the_scorer_select_offers_only_the_functions_the_person_may_read(org, project, people):
    elsewhere = ProjectFactory(org=org, name="Hidden")
    visible, hidden = ScorerFunctionFactory(project=project, name="Visible"), ScorerFunctionFactory(project=elsewhere, name="Secret")
    editor = add_member(org)
    grant_many(org, project, ("read", "update"), user=editor)
    grant(org, project, user=editor, permission="read", restrict="prompt")
    html = html_of(client_for(editor).get(project_page(project)))
    assert f'value="function:{visible.pk}"' in html and f'value="function:{hidden.pk}"' not in html
    before = row_counts()
    response = client_for(editor).post(
        project_page(project, "project-score-create", kind="online"), online_data(scorers=[f"function:{hidden.pk}"])
    )
    assert response.status_code == 400 and "Select a valid choice" in html_of(response)
    assert row_counts() == before and not ProjectScore.objects.exists()


@pytest.mark.parametrize(("fields", "message"), [({"sampling_rate": "150"}, "less than or equal to 100"), ({"scorers": []}, "required")])
def test_a_bad_online_rule_writes_nothing(project, people, fields, message):
    before = row_counts()
    response = client_for(people["owner"]).post(project_page(project, "project-score-create", kind="online"), online_data(**fields))
    assert response.status_code == 400 and message in html_of(response)
    assert row_counts() == before and not ProjectScore.objects.exists()


def test_an_unknown_score_section_is_not_found(project, people):
    response = client_for(people["owner"]).post(project_page(project, "project-score-create", kind="nonsense"), {})
    assert response.status_code == 404


# Permissions


def test_the_permissions_list_shows_who_holds_grants_on_the_project_with_their_boxes(org, project, people):
    annotators = custom_group(org, name="Reviewers")
    grant(org, project, group=annotators, permission="read", restrict="experiment")
    robot = ServiceAccountFactory(service_account_org=org, given_name="Deploy bot")
    grant(org, project, user=robot, permission="update", restrict="project_log")
    grant(org, project, user=people["engineer"], role="owner")
    html = html_of(client_for(people["owner"]).get(project_page(project)))
    section = html.split('id="permissions"')[1]
    assert "Reviewers" in section and "Experiments: Read" in section
    assert "Deploy bot" in section and "Service account" in section and "Logs: Update" in section
    assert people["engineer"].email in section and "Role: owner" in section
    assert 'aria-label="Edit permissions of Reviewers"' in section
    dialog = html_of(
        client_for(people["owner"]).get(pencil_target(panel_row(section, f"group:{annotators.pk}")), headers={"HX-Request": "true"})
    )
    assert 'class="primary">Save</button>' in dialog and ticked_boxes_in(dialog) == {"experiment_read"}
    assert "A super-user ability" in dialog  # Manage access says what it means, where it is ticked


def test_the_batch_reading_of_boxes_agrees_with_ticked_boxes(org, project, people):
    group = custom_group(org, name="Mixed")
    member = add_member(org)
    for permission in ("read", "update", "create_acls", "read_acls", "update_acls", "delete_acls"):
        grant(org, project, group=group, permission=permission)
    grant(org, project, group=group, permission="read", restrict="dataset")
    grant(org, project, user=member, permission="delete", restrict="prompt_session")
    grant(org, project, user=member, permission="read_acls")  # one of four: no box
    grant(org, project, user=member, role="viewer")
    batch = {subject: held.ticked for subject, held in boxes_by_subject(PROJECT_BOXES, project.pk).items()}
    assert batch[Subject(group_id=group.pk)] == ticked_boxes(PROJECT_BOXES, Subject(group_id=group.pk), project.pk)
    assert batch[Subject(user_id=member.pk)] == ticked_boxes(PROJECT_BOXES, Subject(user_id=member.pk), project.pk)
    assert batch[Subject(group_id=group.pk)] == {"project_read", "project_update", "project_acls", "dataset_read"}
    assert batch[Subject(user_id=member.pk)] == {"prompt_session_delete"}


def test_an_owner_grants_a_member_experiments_read_through_the_project_dialog(org, project, people):
    member = add_member(org)
    experiment = ExperimentFactory(project=project)
    assert not can(member, "read", experiment)
    response = client_for(people["owner"]).post(
        project_page(project, "project-access", kind="user", subject_id=member.pk), {"boxes": ["experiment_read"]}
    )
    assert response.status_code == 302 and response["Location"].endswith("#permissions")
    assert can(member, "read", experiment) and not can(member, "read", project)
    assert ticked_boxes(PROJECT_BOXES, Subject(user_id=member.pk), project.pk) == {"experiment_read"}
    assert AuditEvent.objects.filter(action="acl.create").exists()
    response = client_for(people["owner"]).post(project_page(project, "project-access", kind="user", subject_id=member.pk), {})
    assert response.status_code == 302 and not can(member, "read", experiment)


def test_a_group_gets_project_update_and_manage_access(org, project, people):
    group = custom_group(org, name="Leads")
    client_for(people["owner"]).post(
        project_page(project, "project-access", kind="group", subject_id=group.pk),
        {"boxes": ["project_read", "project_update", "project_acls"]},
    )
    lead = add_member(org, None, group)
    assert can(lead, "update", project) and can(lead, "create_acls", project)
    html = html_of(client_for(lead).get(project_page(project)))
    assert 'id="principal-search"' in html and 'data-open-dialog="tag-new"' in html


def test_unknown_boxes_write_nothing(org, project, people):
    member = add_member(org)
    before = row_counts()
    response = client_for(people["owner"]).post(
        project_page(project, "project-access", kind="user", subject_id=member.pk), {"boxes": ["experiment_read", "everything"]}
    )
    assert response.status_code == 400 and "Unknown permissions: everything" in html_of(response)
    assert row_counts() == before


@pytest.mark.parametrize(("who", "status"), [("engineer", 403), ("viewer", 403), ("custom", 403), ("outsider", 404)])
def test_people_without_manage_access_cannot_save_project_permissions(org, project, people, who, status):
    member = add_member(org)
    before = row_counts()
    response = client_for(people[who]).post(
        project_page(project, "project-access", kind="user", subject_id=member.pk), {"boxes": ["project_read"]}
    )
    assert response.status_code == status
    assert row_counts() == before


def test_reading_acls_alone_does_not_allow_saving(org, project, people):
    auditor = add_member(org, None, "viewers")
    grant(org, project, user=auditor, permission="read_acls")
    member = add_member(org)
    before = row_counts()
    response = client_for(auditor).post(
        project_page(project, "project-access", kind="user", subject_id=member.pk), {"boxes": ["project_read"]}
    )
    assert response.status_code == 403 and "create_acls" in html_of(response)
    assert row_counts() == before
    assert client_for(auditor).get(project_page(project, "project-access", kind="user", subject_id=member.pk)).status_code == 200


def test_a_principal_of_another_organization_is_not_found(project, people):
    outsider = people["outsider"]
    for kind in ("user", "group", "role"):
        response = client_for(people["owner"]).post(
            project_page(project, "project-access", kind=kind, subject_id=outsider.pk), {"boxes": []}
        )
        assert response.status_code == 404


def test_the_access_page_works_without_javascript(org, project, people):
    member = add_member(org)
    grant(org, project, user=member, permission="read", restrict="dataset")
    response = client_for(people["owner"]).get(project_page(project, "project-access", kind="user", subject_id=member.pk))
    html = html_of(response)
    assert response.status_code == 200
    assert f'id="access-user-{member.pk.hex}-dataset_read"' in html
    assert 'value="dataset_read" id="access-user-' in html and "checked" in html.split('value="dataset_read"')[1].split(">")[0]


# Finding groups, members and service accounts


def test_the_search_finds_groups_members_and_service_accounts_of_the_organization_only(org, project, people):
    custom_group(org, name="Support leads")
    User.objects.filter(pk=people["viewer"].pk).update(email="support.viewer@example.com")
    ServiceAccountFactory(service_account_org=org, email="support-bot@service-accounts.invalid", given_name="Support bot")
    add_member(OrganizationFactory(name="Else"), UserFactory(email="support.stranger@example.com"))
    response = client_for(people["owner"]).get(
        project_page(project, "project-access-search"), {"q": "support"}, headers={"HX-Request": "true"}
    )
    html = html_of(response)
    assert response.status_code == 200 and html.lstrip().startswith('<table class="table principal-rows"')
    assert "Support leads" in html and "support.viewer@example.com" in html and "Support bot" in html
    assert "support.stranger" not in html and "Annotators" not in html
    assert pencil_target(panel_row(html, f"user:{people['viewer'].pk}")) == project_page(
        project, "project-access", kind="user", subject_id=people["viewer"].pk
    )


def test_the_search_offers_only_whom_the_person_may_pick_as_every_permissions_dialog_does(org, project, people):
    """Manage access on one project alone reads neither the organization's groups nor its members: the list
    offers only those holding grants on the project, which it may read."""
    custom_group(org, name="Support leads")
    manager = add_member(org, UserFactory(email="support.manager@example.com"))
    grant(org, project, user=manager, permission="read")
    grant(org, project, user=manager, permission="create_acls")
    search = {"q": "support"}
    html = html_of(client_for(manager).get(project_page(project, "project-access-search"), search, headers={"HX-Request": "true"}))
    assert "Support leads" not in html
    assert html.count("<tr data-principal=") == 1 and panel_row(html, f"user:{manager.pk}")  # only who holds grants here
    leads = custom_group(org, name="Support leads 2")
    grant(org, leads, user=manager, permission="read")
    html = html_of(client_for(manager).get(project_page(project, "project-access-search"), search, headers={"HX-Request": "true"}))
    assert "Support leads 2" in html and panel_row(html, f"group:{leads.pk}")
    html = html_of(client_for(manager).get(project_page(project), {"principal": f"user:{people['viewer'].pk}"}))
    assert f'data-principal="user:{people["viewer"].pk}"' not in html  # not one they may pick


def test_without_javascript_the_search_is_a_plain_get_of_the_page(org, project, people):
    client = client_for(people["owner"])
    response = client.get(project_page(project, "project-access-search"), {"q": "annot"})
    assert response.status_code == 302 and response["Location"] == f"{project_page(project)}?q=annot#permissions"
    html = html_of(client.get(project_page(project), {"q": "annot"}))
    listed = html.split('id="principal-list"')[1].split('id="permission-boxes"')[0]
    assert "Annotators" in listed and "Engineers" not in listed and people["viewer"].email not in listed
    assert 'value="annot"' in html


def test_nobody_matching_says_so(project, people):
    html = html_of(
        client_for(people["owner"]).get(project_page(project, "project-access-search"), {"q": "zzz"}, headers={"HX-Request": "true"})
    )
    assert "No group, member or service account matches" in html


@pytest.mark.parametrize(("who", "status"), [("viewer", 403), ("engineer", 403), ("outsider", 404)])
def test_the_search_is_for_people_who_may_add_grants(project, people, who, status):
    response = client_for(people[who]).get(project_page(project, "project-access-search"), {"q": "a"}, headers={"HX-Request": "true"})
    assert response.status_code == status


def test_the_principal_the_address_names_is_listed_whatever_the_search_with_its_pencil(org, project, people):
    """After a Save the page comes back naming the saved principal, so that its row is there to show."""
    member = add_member(org)
    html = html_of(client_for(people["owner"]).get(project_page(project), {"principal": f"user:{member.pk}", "q": "annot"}))
    row = panel_row(html, f"user:{member.pk}")
    assert "Nothing granted here" in row and pencil_target(row) == project_page(
        project, "project-access", kind="user", subject_id=member.pk
    )
    outsider = people["outsider"]
    html = html_of(client_for(people["owner"]).get(project_page(project), {"principal": f"user:{outsider.pk}"}))
    assert f'data-principal="user:{outsider.pk}"' not in html


# Query counts


def fill(org, project, count: int) -> None:
    for index in range(count):
        ProjectTagFactory(project=project, name=f"tag-{index}", color="teal")
        SpanIframeFactory(project=project, name=f"viewer-{index}")
        ProjectScoreFactory(project=project, name=f"slider-{index}")
        ProjectScoreFactory(
            project=project,
            name=f"cat-{index}",
            score_type="categorical",
            categories=[{"name": "good", "value": 1}, {"name": "bad", "value": 0}],
        )
        ProjectScoreFactory(project=project, name=f"agg-{index}", score_type="weighted", categories={"a": 1, "b": 2})
        function = ScorerFunctionFactory(project=project, name=f"scorer-{index}")
        ProjectScoreFactory(
            project=project,
            name=f"rule-{index}",
            score_type="online",
            config={"online": {"sampling_rate": 0.5, "scorers": [{"type": "function", "id": str(function.pk)}]}},
        )
        group = custom_group(org, name=f"{project.name} group {index}")
        grant(org, project, group=group, permission="read", restrict="experiment")
        member = add_member(org)
        grant(org, project, user=member, role="viewer")


@pytest.mark.parametrize("who", ["owner", "engineer", "viewer"])
def test_the_configuration_page_costs_the_same_queries_for_one_row_of_each_kind_and_many(org, project, people, who):
    client = client_for(people[who])
    fill(org, project, 1)
    one = steady_state_queries(client, project_page(project))
    crowded = ProjectFactory(org=org, name="Crowded")
    fill(org, crowded, 12)
    assert steady_state_queries(client, project_page(crowded)) == one


def test_the_search_costs_the_same_queries_for_one_match_and_many(org, project, people):
    client = client_for(people["owner"])
    custom_group(org, name="match 0")
    path = project_page(project, "project-access-search") + "?q=match"
    one = steady_state_queries(client, path, headers={"HX-Request": "true"})
    for index in range(1, 9):
        custom_group(org, name=f"match {index}")
        add_member(org, UserFactory(email=f"match{index}@example.com"))
    assert steady_state_queries(client, path, headers={"HX-Request": "true"}) == one
