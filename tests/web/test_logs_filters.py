"""The Logs tab's filters (tag, score range, metadata field, time), refusing bad input as form errors, and its
saved views: saved by whoever may update the logs, listed to whoever reads them, each reopening its filters."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from permissions.engine.nodes import Node
from permissions.models import AuditEvent
from projects.models import EventRow, View
from tests.access_helpers import grant
from tests.factories import insert_as_owner
from tests.factories_configuration import ViewFactory
from tests.query_helpers import steady_state_queries
from tests.worlds import client_for

pytestmark = pytest.mark.django_db


def logs_url(org, project) -> str:
    return reverse("web:project-logs", kwargs={"org_name": org.name, "project_id": project.pk})


@pytest.fixture
def logs(project):
    """Three traces: "prod" (tagged production, scored 0.9 on a child span, env production, a day old), "stage"
    (tagged staging, scored 0.3, env staging, version 3) and "plain" (nothing)."""
    insert_as_owner(
        project,
        [
            {
                "id": "prod",
                "span_id": "prod",
                "root_span_id": "prod",
                "input": "p",
                "tags": ["production"],
                "metadata": {"env": "production"},
            },
            {"id": "prod-score", "span_id": "prod-score", "root_span_id": "prod", "span_parents": ["prod"], "scores": {"accuracy": 0.9}},
            {"id": "stage", "input": "s", "tags": ["staging"], "scores": {"accuracy": 0.3}, "metadata": {"env": "staging", "version": 3}},
            {"id": "plain", "input": "n"},
        ],
    )
    EventRow.objects.filter(project=project, root_span_id="prod").update(created=timezone.now() - timedelta(days=1))


def shown(client, org, project, **filters) -> set[str]:
    response = client.get(logs_url(org, project), filters)
    assert response.status_code == 200, response.content.decode()[:2000]
    return {row.id for row in response.context["rows"]}


# Each filter


@pytest.mark.parametrize(
    ("filters", "rows"),
    [
        ({}, {"prod", "stage", "plain"}),
        ({"tag": "production"}, {"prod"}),
        ({"score": "accuracy", "score_min": "0.5"}, {"prod"}),
        ({"score": "accuracy", "score_max": "0.5"}, {"stage"}),
        ({"score": "accuracy", "score_min": "0.2", "score_max": "1"}, {"prod", "stage"}),
        ({"score": "accuracy"}, {"prod", "stage"}),
        ({"score": "fluency", "score_min": "0"}, set()),
        ({"metadata_key": "env", "metadata_value": "staging"}, {"stage"}),
        ({"metadata_key": "version", "metadata_value": "3"}, {"stage"}),
        ({"metadata_key": "env", "metadata_value": "prod"}, set()),
        ({"tag": "production", "score": "accuracy", "score_max": "0.5"}, set()),
    ],
)
def test_each_filter_keeps_the_traces_with_a_row_meeting_it(org, people, project, logs, filters, rows):
    assert shown(client_for(people["viewer"]), org, project, **filters) == rows


def test_the_time_filter_keeps_the_traces_with_a_row_created_in_it(org, people, project, logs):
    client = client_for(people["viewer"])
    an_hour_ago = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert shown(client, org, project, since=an_hour_ago) == {"stage", "plain"}
    two_days_ago = (timezone.now() - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S")
    assert shown(client, org, project, since=two_days_ago, until=an_hour_ago) == {"prod"}


def test_a_metadata_path_reaches_into_nested_objects(org, people, project):
    insert_as_owner(project, [{"id": "deep", "metadata": {"model": {"name": "gpt"}}}, {"id": "flat", "metadata": {"model": "gpt"}}])
    assert shown(client_for(people["viewer"]), org, project, metadata_key="model.name", metadata_value="gpt") == {"deep"}


def test_the_first_page_of_rows_offers_no_link_to_itself_even_to_a_reviewer(org, people, project, logs):
    response = client_for(people["owner"]).get(logs_url(org, project), {"tag": "production"})
    assert response.context["can_review"] and response.context["first_url"] is None


def test_the_pager_keeps_the_filters(org, people, project):
    insert_as_owner(project, [{"id": f"row-{n:02d}", "tags": ["production"] if n % 2 else []} for n in range(60)])
    client = client_for(people["viewer"])
    first = client.get(logs_url(org, project), {"tag": "production"})
    assert parse_qs(urlsplit(first.context["next_url"]).query)["tag"] == ["production"]
    second = client.get(first.context["next_url"])
    assert len(first.context["rows"]) + len(second.context["rows"]) == 30


# Bad input


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"score": "accuracy", "score_min": "high"}, "Enter a number."),
        ({"score": "accuracy", "score_min": "nan"}, "Enter a number."),
        ({"score": "accuracy", "score_max": "2"}, "less than or equal to 1"),
        ({"score_min": "0.5"}, "Name the score the range is for."),
        ({"score": "accuracy", "score_min": "0.8", "score_max": "0.2"}, "must not be below"),
        ({"score": "a.b"}, "without dots"),
        ({"metadata_key": "env"}, "Give the value the metadata field must have."),
        ({"metadata_value": "prod"}, "Name the metadata field the value is for."),
        ({"metadata_key": "items.0", "metadata_value": "x"}, "not empty nor a whole number"),
        ({"since": "yesterday"}, "Enter a valid date/time."),
        ({"since": "2026-01-02T00:00", "until": "2026-01-01T00:00"}, "must be after"),
        ({"tag": "x" * 256}, "at most 255 characters"),
    ],
)
def test_bad_filters_are_form_errors_and_select_no_rows(org, people, project, logs, filters, message):
    response = client_for(people["viewer"]).get(logs_url(org, project), filters)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html.replace("&#x27;", "'").replace("&quot;", '"'), html[:3000]
    assert response.context["rows"] == [] and "Correct the filters" in html


def test_a_nul_character_in_a_filter_is_refused_plainly(org, people, project):
    response = client_for(people["viewer"]).get(logs_url(org, project), {"metadata_key": "env", "metadata_value": "pro\x00d"})
    assert response.status_code == 400 and "NUL character" in response.content.decode()


# Saved views


def save(client, org, project, name: str, **filters):
    return client.post(logs_url(org, project), {"form": "save_view", "view-name": name, **filters})


def test_whoever_may_update_the_logs_saves_the_filters_as_a_view_of_them(org, people, project, logs):
    engineer = people["engineer"]
    filters = {"tag": "staging", "score": "accuracy", "score_max": "0.5", "metadata_key": "env", "metadata_value": "staging"}
    response = save(client_for(engineer), org, project, "Weak staging", **filters)
    assert response.status_code == 302
    assert parse_qs(urlsplit(response["Location"]).query) == {key: [value] for key, value in filters.items()}
    view = View.objects.get(name="Weak staging")
    assert (view.object_type, view.object_id, view.view_type, view.created_by) == ("project_log", project.pk, "logs", engineer)
    assert view.view_data == {
        "search": {
            "tag": ["staging"],
            "filter": [
                {"type": "score", "name": "accuracy", "min": None, "max": 0.5},
                {"type": "metadata", "path": "env", "value": "staging"},
            ],
        }
    }
    assert AuditEvent.objects.filter(action="view.create", target_id=str(view.pk)).count() == 1


def test_a_saved_view_reopens_its_filters(org, people, project, logs):
    since = (timezone.now() - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S")
    until = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert save(client_for(people["owner"]), org, project, "Yesterday", since=since, until=until).status_code == 302
    reader = client_for(people["viewer"])
    [(view, link, _delete)] = reader.get(logs_url(org, project)).context["saved_views"]
    assert view.name == "Yesterday" and f'href="{link.replace("&", "&amp;")}"' in reader.get(logs_url(org, project)).content.decode()
    reopened = reader.get(link)
    assert reopened.status_code == 200
    assert {row.id for row in reopened.context["rows"]} == {"prod"}
    assert reopened.context["filters"].cleaned_data["since"].strftime("%Y-%m-%dT%H:%M:%S") == since


def test_a_view_saved_elsewhere_with_bad_filters_opens_as_form_errors(org, people, project, logs):
    ViewFactory(project=project, name="Odd", view_data={"search": {"filter": [{"type": "score", "name": "accuracy", "min": 7}, "junk"]}})
    client = client_for(people["viewer"])
    [(_, link, _delete)] = client.get(logs_url(org, project)).context["saved_views"]
    assert client.get(link).status_code == 400


def test_saving_a_view_needs_update_on_the_logs(org, people, project, logs):
    viewer = client_for(people["viewer"])
    assert "Save view" not in viewer.get(logs_url(org, project), {"tag": "production"}).content.decode()
    assert save(viewer, org, project, "Mine", tag="production").status_code == 403
    logs_writer = people["custom"]
    grant(org, project, user=logs_writer, permission="update", restrict="project_log")
    grant(org, project, user=logs_writer, permission="read", restrict="project_log")
    assert "Save view" in client_for(logs_writer).get(logs_url(org, project), {"tag": "production"}).content.decode()
    assert save(client_for(logs_writer), org, project, "Mine", tag="production").status_code == 302
    assert list(View.objects.values_list("name", flat=True)) == ["Mine"]


def test_saved_views_are_listed_to_whoever_reads_the_logs_only(org, people, project):
    ViewFactory(project=project, name="Production")
    ViewFactory(project=project, name="Monitor", view_type="monitor")
    ViewFactory(org=org, object_type="project", object_id=project.pk, name="Of the project")
    reader = people["custom"]
    grant(org, Node("project_log", project.pk), user=reader, permission="read")
    names = [view.name for view, _, _ in client_for(reader).get(logs_url(org, project)).context["saved_views"]]
    assert names == ["Production"]


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "This field is required."), ("x" * 256, "at most 255 characters"), ("Taken", "already exists")],
)
def test_a_refused_save_is_a_form_error_and_writes_nothing(org, people, project, logs, name, message):
    ViewFactory(project=project, name="Taken", view_data={"search": {"tag": ["production"]}})
    before = list(View.objects.values_list("name", "view_data"))
    response = save(client_for(people["owner"]), org, project, name, tag="staging")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert list(View.objects.values_list("name", "view_data")) == before


def test_saving_bad_filters_is_refused_and_writes_nothing(org, people, project, logs):
    response = save(client_for(people["owner"]), org, project, "Bad", score_min="0.5")
    assert response.status_code == 400 and "Name the score the range is for." in response.content.decode()
    assert not View.objects.exists()


def delete_url(org, project, view) -> str:
    return reverse("web:project-logs-view-delete", kwargs={"org_name": org.name, "project_id": project.pk, "view_id": view.pk})


def test_whoever_may_update_the_logs_deletes_a_saved_view_after_being_asked(org, people, project):
    view = ViewFactory(project=project, name="Production")
    engineer = client_for(people["engineer"])
    [(_, _, question)] = engineer.get(logs_url(org, project)).context["saved_views"]
    assert question.action == delete_url(org, project, view)
    page = engineer.get(delete_url(org, project, view))
    assert page.status_code == 200 and "Delete the saved view Production?" in page.content.decode()
    response = engineer.post(delete_url(org, project, view))
    assert response.status_code == 302 and response["Location"] == logs_url(org, project)
    assert not View.objects.filter(pk=view.pk).exists()
    deletes = AuditEvent.objects.filter(action="view.delete").values_list("target_id", "actor")
    assert list(deletes) == [(str(view.pk), people["engineer"].pk)]


def test_deleting_a_saved_view_needs_update_on_the_logs_and_writes_nothing_without_it(org, people, project):
    view = ViewFactory(project=project, name="Production")
    viewer = client_for(people["viewer"])
    [(_, _, question)] = viewer.get(logs_url(org, project)).context["saved_views"]
    assert question is None and delete_url(org, project, view) not in viewer.get(logs_url(org, project)).content.decode()
    assert viewer.get(delete_url(org, project, view)).status_code == 403
    assert viewer.post(delete_url(org, project, view)).status_code == 403
    assert client_for(people["custom"]).post(delete_url(org, project, view)).status_code == 404  # reads nothing of the project
    assert client_for(people["outsider"]).post(delete_url(org, project, view)).status_code == 404
    assert View.objects.filter(pk=view.pk).exists()
    assert not AuditEvent.objects.filter(action="view.delete").exists()


def test_a_view_that_is_not_of_these_logs_is_not_found_at_their_address(org, people, project):
    of_the_project = ViewFactory(org=org, object_type="project", object_id=project.pk, name="Of the project")
    monitor = ViewFactory(project=project, name="Monitor", view_type="monitor")
    owner = client_for(people["owner"])
    for view in (of_the_project, monitor):
        assert owner.post(delete_url(org, project, view)).status_code == 404
    assert View.objects.count() == 2


# Cost


def test_the_filtered_logs_tab_costs_the_same_queries_for_one_and_many_rows_and_views(org, people, project):
    client = client_for(people["engineer"])
    filters = {"tag": "production", "score": "accuracy", "score_min": "0.1", "metadata_key": "env", "metadata_value": "production"}
    row = {"tags": ["production"], "scores": {"accuracy": 0.5}, "metadata": {"env": "production"}}
    insert_as_owner(project, [{"id": "first", **row}])
    ViewFactory(project=project, name="First")
    one = steady_state_queries(client, logs_url(org, project), filters)
    insert_as_owner(project, [{"id": f"row-{n}", **row} for n in range(24)])
    ViewFactory.create_batch(20, project=project)
    response = client.get(logs_url(org, project), filters)
    assert len(response.context["rows"]) == 25 and len(response.context["saved_views"]) == 21
    assert steady_state_queries(client, logs_url(org, project), filters) == one
