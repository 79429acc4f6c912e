"""The links Braintrust's SDK prints open the right page, for exactly those who may see it, and the empty Logs
and Experiments tabs show how to send data with the SDK to this server.

Links are built here as the SDK builds them (braintrust 0.48.1, ``logger.py``: ``encode_uri_component`` on
names, ``urlencode`` on ``/object``'s query)."""

from urllib.parse import urlencode
from uuid import uuid4

import pytest
from braintrust.util import encode_uri_component
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from permissions.engine.nodes import Node
from projects.models import Experiment
from tests.access_helpers import grant
from tests.factories import DatasetFactory, ExperimentFactory, ProjectFactory, insert_as_owner
from tests.worlds import client_for

pytestmark = pytest.mark.django_db

KIND_OF = {"experiment": "experiments", "dataset": "datasets"}


@pytest.fixture
def experiment(project):
    return ExperimentFactory(project=project, name="baseline")


@pytest.fixture
def dataset(project):
    return DatasetFactory(project=project, name="golden")


# The links, as the SDK prints them (without the app URL)


def project_link(org, project_name: str) -> str:
    return f"/app/{encode_uri_component(org.name)}/p/{encode_uri_component(project_name)}"


def object_name_link(org, project_name: str, kind: str, name: str) -> str:
    return f"{project_link(org, project_name)}/{kind}/{encode_uri_component(name)}"


def logs_link(org, project_name: str, row_id: str) -> str:
    return f"/app/{org.name}/p/{project_name}/logs?oid={row_id}"


def object_link(org, object_type: str, object_id, row_id: str | None = None) -> str:
    query = {"object_type": object_type, "object_id": object_id, **({"id": row_id} if row_id else {})}
    return f"/app/{org.name}/object?{urlencode(query)}"


# The pages they should open


def project_page(org, project) -> str:
    return reverse("web:project", kwargs={"org_name": org.name, "project_id": project.pk})


def logs_page(org, project) -> str:
    return reverse("web:project-logs", kwargs={"org_name": org.name, "project_id": project.pk})


def experiments_tab(org, project, tab="experiments") -> str:
    return reverse(f"web:project-{tab}", kwargs={"org_name": org.name, "project_id": project.pk})


def object_page(obj) -> str:
    kwargs = {"org_name": obj.project.org.name, "project_id": obj.project_id, "kind": KIND_OF[obj.acl_object_type], "object_id": obj.pk}
    return reverse("web:project-object", kwargs=kwargs)


def opened(client, link) -> tuple[str, int]:
    """Where the link redirects, and the status of that page."""
    response = client.get(link)
    assert response.status_code == 302, (link, response.status_code)
    return response["Location"], client.get(response["Location"]).status_code


# Each link opens its page


@pytest.mark.parametrize("who", ["owner", "viewer"])
def test_each_link_the_sdk_prints_redirects_to_its_page_which_answers(org, people, project, experiment, dataset, who):
    client = client_for(people[who])
    expected = {
        project_link(org, project.name): project_page(org, project),
        project_link(org, project.name) + "/": project_page(org, project),
        object_name_link(org, project.name, "experiments", "baseline"): object_page(experiment),
        object_name_link(org, project.name, "datasets", "golden"): object_page(dataset),
        logs_link(org, project.name, "row-1"): f"{logs_page(org, project)}?row=row-1",
        object_link(org, "project_logs", project.pk, "row-1"): f"{logs_page(org, project)}?row=row-1",
        object_link(org, "experiment", experiment.pk, "r1"): f"{object_page(experiment)}?row=r1",
        object_link(org, "dataset", dataset.pk, "case-1"): f"{object_page(dataset)}?row=case-1",
    }
    for link, page in expected.items():
        assert opened(client, link) == (page, 200), link


def test_a_project_link_may_name_a_tab(org, people, project):
    client = client_for(people["viewer"])
    assert opened(client, project_link(org, project.name) + "/datasets") == (experiments_tab(org, project, "datasets"), 200)
    assert opened(client, project_link(org, project.name) + "/logs/") == (logs_page(org, project), 200)


def test_the_object_link_opens_the_object_without_a_row_when_the_link_names_none(org, people, experiment):
    assert opened(client_for(people["owner"]), object_link(org, "experiment", experiment.pk)) == (object_page(experiment), 200)


def test_names_with_spaces_unicode_and_slashes_are_found_from_their_encoded_links(org, people):
    project = ProjectFactory(org=org, name="Équipe d'été / bêta")
    experiment = ExperimentFactory(project=project, name="run #1 ✓ 50%")
    client = client_for(people["owner"])
    link = project_link(org, project.name)
    assert "%2F" in link and "%C3%89" in link
    assert opened(client, link) == (project_page(org, project), 200)
    assert opened(client, object_name_link(org, project.name, "experiments", experiment.name)) == (object_page(experiment), 200)


def test_a_project_named_like_a_uuid_is_found_by_the_link_the_sdk_prints(org, people):
    project = ProjectFactory(org=org, name=str(uuid4()))
    assert opened(client_for(people["owner"]), project_link(org, project.name)) == (project_page(org, project), 200)


def test_a_project_id_in_place_of_the_name_still_opens_the_project(org, people, project):
    client = client_for(people["owner"])
    assert opened(client, f"/app/{org.name}/p/{project.pk}") == (project_page(org, project), 200)
    assert opened(client, f"/app/{org.name}/p/{project.pk}/logs?oid=a") == (f"{logs_page(org, project)}?row=a", 200)
    assert client.get(project_page(org, project)).status_code == 200  # the project page's own route still answers


def test_other_pages_without_their_trailing_slash_still_redirect_to_it(org, people, experiment):
    page = object_page(experiment) + "permissions/"
    response = client_for(people["owner"]).get(page.rstrip("/") + "?q=x")
    assert response.status_code == 302 and response["Location"] == page + "?q=x"


# Who reaches what


def not_found(client, link):
    response = client.get(link)
    assert response.status_code == 404, (link, response.status_code)
    return response


def test_a_member_who_cannot_see_the_project_gets_the_same_404_as_for_a_missing_name(org, people, project, experiment):
    client = client_for(people["custom"])
    hidden = not_found(client, project_link(org, project.name))
    missing = not_found(client, project_link(org, "no-such-project"))
    assert hidden.content == missing.content and project.name not in hidden.content.decode()
    for link in (
        object_name_link(org, project.name, "experiments", "baseline"),
        logs_link(org, project.name, "row-1"),
        object_link(org, "project_logs", project.pk, "row-1"),
        object_link(org, "experiment", experiment.pk, "row-1"),
    ):
        response = not_found(client, link)
        assert response.content == missing.content and project.name not in response.content.decode()


def test_someone_who_reads_one_experiment_reaches_it_but_not_the_others(org, people, project, experiment):
    custom = people["custom"]
    other = ExperimentFactory(project=project, name="candidate")
    grant(org, experiment, user=custom, permission="read")
    client = client_for(custom)
    assert opened(client, object_name_link(org, project.name, "experiments", "baseline")) == (object_page(experiment), 200)
    hidden = not_found(client, object_name_link(org, project.name, "experiments", other.name))
    missing = not_found(client, object_name_link(org, project.name, "experiments", "no-such-run"))
    assert hidden.content == missing.content
    not_found(client, object_link(org, "experiment", other.pk, "r1"))


def test_someone_who_reads_only_the_logs_reaches_them_from_both_log_links(org, people, project):
    custom = people["custom"]
    grant(org, Node("project_log", project.pk), user=custom, permission="read")
    client = client_for(custom)
    page = f"{logs_page(org, project)}?row=row-1"
    assert opened(client, logs_link(org, project.name, "row-1")) == (page, 200)
    assert opened(client, object_link(org, "project_logs", project.pk, "row-1")) == (page, 200)


def test_someone_of_another_organization_gets_404(org, people, project):
    not_found(client_for(people["outsider"]), project_link(org, project.name))


def test_someone_logged_out_is_sent_to_the_login_page_and_back(org, project):
    link = project_link(org, project.name)
    response = Client().get(link)
    assert response.status_code == 302 and response["Location"] == f"{reverse('web:login')}?next={link}"


def test_deleted_objects_and_projects_are_not_found(org, people, project, experiment, dataset):
    client = client_for(people["owner"])
    Experiment.objects.filter(pk=experiment.pk).update(deleted_at=timezone.now())
    not_found(client, object_name_link(org, project.name, "experiments", "baseline"))
    not_found(client, object_link(org, "experiment", experiment.pk, "r1"))
    assert opened(client, object_name_link(org, project.name, "datasets", "golden")) == (object_page(dataset), 200)
    project.deleted_at = timezone.now()
    project.save(update_fields=["deleted_at"])
    not_found(client, project_link(org, project.name))
    not_found(client, logs_link(org, project.name, "row-1"))
    not_found(client, object_link(org, "project_logs", project.pk, "row-1"))
    not_found(client, object_link(org, "dataset", dataset.pk, "case-1"))


def test_a_name_reused_after_a_deletion_opens_the_live_object(org, people, project, experiment):
    Experiment.objects.filter(pk=experiment.pk).update(deleted_at=timezone.now())
    live = ExperimentFactory(project=project, name="baseline")
    link = object_name_link(org, project.name, "experiments", "baseline")
    assert opened(client_for(people["owner"]), link) == (object_page(live), 200)


@pytest.mark.parametrize(
    "query",
    [
        {"object_type": "prompt", "object_id": "00000000-0000-0000-0000-000000000001", "id": "r1"},
        {"object_type": "nonsense", "object_id": "00000000-0000-0000-0000-000000000001"},
        {"object_type": "experiment", "object_id": "not-a-uuid", "id": "r1"},
        {"object_type": "project_logs", "object_id": "12345", "id": "r1"},
        {"object_type": "experiment", "object_id": "00000000-0000-0000-0000-000000000001", "id": "r1"},
    ],
)
def test_the_object_link_with_a_bad_type_or_id_is_404(org, people, query):
    not_found(client_for(people["owner"]), f"/app/{org.name}/object?{urlencode(query)}")


@pytest.mark.parametrize("query", [{}, {"object_type": "experiment"}, {"object_id": "00000000-0000-0000-0000-000000000001"}])
def test_the_object_link_without_its_parameters_says_what_it_needs(org, people, query):
    response = client_for(people["owner"]).get(f"/app/{org.name}/object?{urlencode(query)}")
    assert response.status_code == 400 and "needs object_type" in response.content.decode()


def test_an_experiment_whose_id_is_of_another_organization_is_not_found(org, people):
    elsewhere = ExperimentFactory(project=ProjectFactory(org=people["outsider"].memberships.get().org))
    not_found(client_for(people["owner"]), object_link(org, "experiment", elsewhere.pk, "r1"))


# The row a link names is shown


def test_the_logs_link_shows_the_trace_of_its_row_and_not_the_others(org, people, project):
    insert_as_owner(project, [{"id": "wanted", "input": "hello"}, {"id": "child", "input": "step", "_parent_id": "wanted"}])
    insert_as_owner(project, [{"id": "other", "input": "unrelated"}])
    client = client_for(people["viewer"])
    links = [logs_link(org, project.name, row) for row in ("wanted", "child")]  # a span's link names the span, maybe a child
    for link in (*links, object_link(org, "project_logs", project.pk, "wanted")):
        html = client.get(link, follow=True).content.decode()
        assert 'data-row="wanted"' in html and 'data-row="other"' not in html
        assert "2 spans" in html and f'href="{logs_page(org, project)}">First page</a>' in html
    assert 'data-row="other"' in client.get(logs_page(org, project)).content.decode()


def test_a_row_link_to_a_missing_row_shows_no_rows_and_no_snippet(org, people, project):
    insert_as_owner(project, [{"id": "other", "input": "unrelated"}])
    html = client_for(people["viewer"]).get(logs_link(org, project.name, "gone"), follow=True).content.decode()
    assert 'data-row="other"' not in html and "No log row with this id." in html and "init_logger" not in html


@pytest.mark.parametrize("object_type", ["experiment", "dataset"])
def test_the_object_link_shows_its_row_on_the_objects_page(org, people, experiment, dataset, object_type):
    holder = experiment if object_type == "experiment" else dataset
    insert_as_owner(holder, [{"id": "wanted", "input": "hello"}, {"id": "other", "input": "unrelated"}])
    html = client_for(people["viewer"]).get(object_link(org, object_type, holder.pk, "wanted"), follow=True).content.decode()
    assert 'data-row="wanted"' in html and 'data-row="other"' not in html


def test_the_row_of_a_link_is_read_only_with_read_on_its_logs(org, people, project):
    custom = people["custom"]
    grant(org, Node("project_log", project.pk), user=custom, permission="update")
    insert_as_owner(project, [{"id": "wanted", "input": "hello"}])
    response = client_for(custom).get(f"{logs_page(org, project)}?row=wanted")
    assert response.status_code == 403 and "hello" not in response.content.decode()


# The empty tabs show the SDK snippet


def test_the_empty_logs_tab_shows_how_to_log_to_this_server_with_the_projects_name(org, people, project):
    html = client_for(people["viewer"]).get(logs_page(org, project)).content.decode()
    assert "pip install braintrust" in html and "export BRAINTRUST_APP_URL=http://testserver" in html
    assert "export BRAINTRUST_API_KEY=" in html
    assert escape('braintrust.init_logger(project="support-bot")') in html and "@braintrust.traced" in html
    assert f'<a href="{reverse("web:api-keys", kwargs={"org_name": org.name})}">Settings → API keys</a>' in html
    assert '<pre class="code"' in html


def test_the_snippet_uses_the_public_url_when_it_is_set(org, people, project, settings):
    settings.PUBLIC_URL = "https://braintrust.example.com"
    client = client_for(people["viewer"])
    for page in (logs_page(org, project), project_page(org, project)):
        html = client.get(page).content.decode()
        assert "export BRAINTRUST_APP_URL=https://braintrust.example.com" in html and "testserver" not in html


def test_the_logs_tab_with_rows_or_a_filter_shows_no_snippet(org, people, project):
    client = client_for(people["viewer"])
    assert "init_logger" not in client.get(logs_page(org, project), {"tag": "nothing"}).content.decode()
    insert_as_owner(project, [{"id": "a", "input": "hello"}])
    html = client.get(logs_page(org, project)).content.decode()
    assert 'data-row="a"' in html and "init_logger" not in html and "BRAINTRUST_APP_URL" not in html


def test_the_empty_experiments_tab_shows_how_to_run_an_eval_with_the_projects_name(org, people, project):
    html = client_for(people["viewer"]).get(project_page(org, project)).content.decode()
    assert "pip install braintrust autoevals" in html and "export BRAINTRUST_APP_URL=http://testserver" in html
    assert escape('braintrust.Eval(\n    "support-bot",') in html and "from autoevals import Levenshtein" in html
    assert "scores=[Levenshtein]" in html


def test_the_experiments_tab_with_an_experiment_and_the_other_tabs_show_no_snippet(org, people, project):
    client = client_for(people["viewer"])
    assert "braintrust.Eval" not in client.get(experiments_tab(org, project, "datasets")).content.decode()
    ExperimentFactory(project=project, name="baseline")
    html = client.get(project_page(org, project)).content.decode()
    assert "baseline" in html and "braintrust.Eval" not in html and "BRAINTRUST_APP_URL" not in html


def test_the_snippet_escapes_the_project_name(org, people):
    project = ProjectFactory(org=org, name='<b>"bot"</b>')
    html = client_for(people["owner"]).get(logs_page(org, project)).content.decode()
    assert "<b>" not in html and escape('init_logger(project="<b>\\"bot\\"</b>")') in html


# Cost


def test_each_redirect_costs_a_small_fixed_number_of_queries(org, people, project, experiment, django_assert_max_num_queries):
    log_reader = people["custom"]
    grant(org, Node("project_log", project.pk), user=log_reader, permission="read")
    for name in range(5):
        ExperimentFactory(project=project, name=f"run-{name}")
        ProjectFactory(org=org, name=f"other-{name}")
    viewer_links = (
        project_link(org, project.name),
        object_name_link(org, project.name, "experiments", "baseline"),
        logs_link(org, project.name, "row-1"),
        object_link(org, "experiment", experiment.pk, "r1"),
        object_link(org, "project_logs", project.pk, "r1"),
    )
    # Someone who sees the project only through its logs costs the project page's own check on top.
    log_reader_links = (logs_link(org, project.name, "row-1"), object_link(org, "project_logs", project.pk, "r1"))
    for user, links, most in ((people["viewer"], viewer_links, 6), (log_reader, log_reader_links, 8)):
        client = client_for(user)
        for link in links:
            with django_assert_max_num_queries(most):
                assert client.get(link).status_code == 302, link
