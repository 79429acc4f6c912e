"""Span iframes on the pages: the Configuration section that adds, edits and deletes them (update on the
project), and a span's page (a log or experiment row, ``?row=``) that embeds them sandboxed, for those who
read the project; refusals and bad URLs write nothing, and the span page's queries do not grow with them."""

import json
import re

import pytest
from django.urls import reverse

from permissions.engine.nodes import Node
from projects.models import SpanIframe
from tests.access_helpers import audit_actions, grant, row_counts
from tests.factories import ExperimentFactory, ProjectFactory, add_member, insert_as_owner
from tests.factories_configuration import SpanIframeFactory
from tests.query_helpers import steady_state_queries
from tests.worlds import client_for
from web.span_iframes import origin_of

pytestmark = pytest.mark.django_db


def config_url(project, name="project-configuration", **kwargs) -> str:
    return reverse(f"web:{name}", kwargs={"org_name": project.org.name, "project_id": project.pk, **kwargs})


def logs_url(project) -> str:
    return reverse("web:project-logs", kwargs={"org_name": project.org.name, "project_id": project.pk})


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def iframes_in(html: str) -> list[str]:
    return re.findall(r"<iframe [^>]*>", html)


# The Configuration section


def test_an_owner_creates_edits_and_deletes_a_span_iframe(project, people):
    client = client_for(people["owner"])
    data = {"iframe-new-name": "Trace viewer", "iframe-new-url": "https://tools.example.com/t", "iframe-new-description": "Ours"}
    response = client.post(config_url(project, "project-span-iframe-create"), data)
    assert response.status_code == 302
    iframe = SpanIframe.objects.get(project=project, name="Trace viewer")
    assert (iframe.url, iframe.description, iframe.created_by) == ("https://tools.example.com/t", "Ours", people["owner"])
    html = html_of(client.get(config_url(project)))
    assert 'data-span-iframe="Trace viewer"' in html and "Create span iframe" in html
    key = f"iframe-{iframe.pk.hex}"
    edit = {f"{key}-name": "Viewer", f"{key}-url": "https://tools.example.com/v", f"{key}-description": ""}
    assert client.post(config_url(project, "project-span-iframe-update", iframe_id=iframe.pk), edit).status_code == 302
    iframe.refresh_from_db()
    assert (iframe.name, iframe.url, iframe.post_message) == ("Viewer", "https://tools.example.com/v", False)
    assert (
        client.post(
            config_url(project, "project-span-iframe-update", iframe_id=iframe.pk), {**edit, f"{key}-post_message": "on"}
        ).status_code
        == 302
    )
    iframe.refresh_from_db()
    assert iframe.post_message is True
    assert client.get(config_url(project, "project-span-iframe-delete", iframe_id=iframe.pk)).status_code == 200
    assert client.post(config_url(project, "project-span-iframe-delete", iframe_id=iframe.pk)).status_code == 302
    assert not SpanIframe.objects.filter(pk=iframe.pk).exists()
    assert audit_actions()[-4:] == ["span_iframe.create", "span_iframe.update", "span_iframe.update", "span_iframe.delete"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://tools.example.com/t", "only https URLs may be embedded"),
        ("https://me:secret@tools.example.com/", "must not carry a user name or password"),
        ("javascript:alert(1)", "must be an absolute URL with a host"),
    ],
)
def test_a_url_that_may_not_be_embedded_is_refused_next_to_the_field_and_writes_nothing(project, people, url, message):
    client = client_for(people["owner"])
    before = row_counts()
    response = client.post(config_url(project, "project-span-iframe-create"), {"iframe-new-name": "x", "iframe-new-url": url})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert row_counts() == before


def test_a_taken_name_is_refused_and_writes_nothing(project, people):
    SpanIframeFactory(project=project, name="Viewer")
    client = client_for(people["engineer"])
    before = row_counts()
    data = {"iframe-new-name": "Viewer", "iframe-new-url": "https://tools.example.com/t"}
    response = client.post(config_url(project, "project-span-iframe-create"), data)
    assert response.status_code == 400
    assert "already exists in this project" in response.content.decode()
    assert row_counts() == before


@pytest.mark.parametrize(("who", "status"), [("viewer", 403), ("outsider", 404)])
def test_reading_is_not_enough_to_change_span_iframes_even_by_posting(project, people, who, status):
    iframe = SpanIframeFactory(project=project, name="Viewer")
    client = client_for(people[who])
    if who == "viewer":
        html = html_of(client.get(config_url(project)))
        assert 'data-span-iframe="Viewer"' in html and "Create span iframe" not in html
    before = row_counts()
    data = {"iframe-new-name": "x", "iframe-new-url": "https://tools.example.com/t"}
    assert client.post(config_url(project, "project-span-iframe-create"), data).status_code == status
    assert client.post(config_url(project, "project-span-iframe-delete", iframe_id=iframe.pk)).status_code == status
    assert row_counts() == before


def test_a_span_iframe_of_another_project_is_not_found(org, project, people):
    elsewhere = SpanIframeFactory(project=ProjectFactory(org=org))
    client = client_for(people["owner"])
    assert client.post(config_url(project, "project-span-iframe-delete", iframe_id=elsewhere.pk)).status_code == 404


# A span's page


@pytest.fixture
def logged(project):
    insert_as_owner(project, [{"id": "r1", "input": "hello", "output": "hi"}])
    SpanIframeFactory(project=project, name="Viewer", url="https://tools.example.com/view?x=1&y=2", description="Ours")
    return project


def test_a_spans_page_embeds_each_span_iframe_sandboxed_without_the_sites_cookies_or_address(logged, people):
    html = html_of(client_for(people["viewer"]).get(logs_url(logged), {"row": "r1"}))
    [iframe] = iframes_in(html)
    assert 'src="https://tools.example.com/view?x=1&amp;y=2"' in iframe
    assert 'sandbox="allow-scripts"' in iframe and 'referrerpolicy="no-referrer"' in iframe
    assert "allow-same-origin" not in html
    assert 'title="Viewer"' in iframe


def test_a_frame_that_gets_the_span_keeps_its_own_origin_and_is_posted_the_span_to_that_origin_only(logged, people):
    SpanIframeFactory(project=logged, name="Poster", url="https://Tools.Example.com:443/post", post_message=True)
    html = html_of(client_for(people["viewer"]).get(logs_url(logged), {"row": "r1"}))
    poster = next(frame for frame in iframes_in(html) if 'title="Poster"' in frame)
    assert 'sandbox="allow-scripts allow-same-origin"' in poster
    assert 'data-post-span-to="https://tools.example.com"' in poster
    viewer = next(frame for frame in iframes_in(html) if 'title="Viewer"' in frame)
    assert 'sandbox="allow-scripts"' in viewer and "data-post-span-to" not in viewer
    span = json.loads(re.search(r'<script id="span-event" type="application/json">(.*?)</script>', html, re.S).group(1))
    assert (span["id"], span["input"], span["output"]) == ("r1", "hello", "hi")


def test_a_frame_of_the_sites_own_origin_is_never_given_its_origin_nor_the_span(logged, people):
    SpanIframeFactory(project=logged, name="Ours", url="https://testserver/tools/span", post_message=True)
    html = html_of(client_for(people["viewer"]).get(logs_url(logged), {"row": "r1"}, secure=True))
    ours = next(frame for frame in iframes_in(html) if 'title="Ours"' in frame)
    assert 'sandbox="allow-scripts"' in ours and "data-post-span-to" not in ours
    assert "allow-same-origin" not in html and 'id="span-event"' not in html


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://tools.example.com/a?b=1", "https://tools.example.com"),
        ("HTTPS://Tools.Example.com:443/a", "https://tools.example.com"),
        ("https://tools.example.com:8443/a", "https://tools.example.com:8443"),
        ("http://127.0.0.1:80/", "http://127.0.0.1"),
        ("http://[::1]:8000/x", "http://[::1]:8000"),
    ],
)
def test_an_origin_is_the_scheme_host_and_port_a_browser_compares(url, origin):
    assert origin_of(url) == origin


def test_the_list_of_rows_embeds_no_span_iframe(logged, people):
    assert iframes_in(html_of(client_for(people["viewer"]).get(logs_url(logged)))) == []
    assert iframes_in(html_of(client_for(people["viewer"]).get(logs_url(logged), {"row": "missing"}))) == []


def test_someone_who_reads_the_logs_but_not_the_project_sees_the_span_without_its_iframes(org, logged):
    reader = add_member(org)
    grant(org, Node("project_log", logged.pk), user=reader, permission="read")
    html = html_of(client_for(reader).get(logs_url(logged), {"row": "r1"}))
    assert 'data-row="r1"' in html and iframes_in(html) == []


def test_an_experiment_spans_page_embeds_them_too(logged, people):
    experiment = ExperimentFactory(project=logged)
    insert_as_owner(experiment, [{"id": "e1", "input": "2+2"}])
    kwargs = {"org_name": logged.org.name, "project_id": logged.pk, "kind": "experiments", "object_id": experiment.pk}
    html = html_of(client_for(people["owner"]).get(reverse("web:project-object", kwargs=kwargs), {"row": "e1"}))
    assert len(iframes_in(html)) == 1


def test_a_spans_page_costs_the_same_queries_for_one_span_iframe_and_many(logged, people):
    client = client_for(people["owner"])
    one = steady_state_queries(client, logs_url(logged), {"row": "r1"})
    for index in range(8):
        SpanIframeFactory(project=logged, name=f"tool {index}")
    assert steady_state_queries(client, logs_url(logged), {"row": "r1"}) == one
    assert len(iframes_in(html_of(client.get(logs_url(logged), {"row": "r1"})))) == 9
