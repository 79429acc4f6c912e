"""Braintrust's official Python client (``braintrust-api``) writing and reading the rows of experiments,
datasets and project logs against a live server: insert, fetch page by page, feedback and summaries.

The server runs in a thread on a real socket (pytest-django's ``live_server``), so these tests see exactly
what the client sends and whether it can read what the server answers.
"""

import braintrust_api
import pytest
from braintrust_api import Braintrust

from accounts.services.credentials import service_account_create, service_token_create
from permissions.engine import Node
from projects.models import EventFeedback, EventRow
from tests.access_helpers import grant
from tests.factories import DatasetFactory, ExperimentFactory, OrganizationFactory, ProjectFactory, add_member, owner_of
from tests.official_client_helpers import official_client_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def org():
    return OrganizationFactory()


@pytest.fixture
def project(org):
    return ProjectFactory(org=org)


def _walk(fetch_page) -> list[list[str]]:
    """The ids of the root rows of every page, following the cursor until there is none."""
    pages, cursor = [], None
    while True:
        page = fetch_page(cursor)
        pages.append([event.id for event in page.events if event.is_root])
        if page.cursor is None:
            return pages
        cursor = page.cursor


def test_experiment_rows_are_inserted_fetched_scored_and_summarized_with_the_official_client(live_server, org, project):
    owner = owner_of(org)
    base = ExperimentFactory(project=project, name="baseline")
    experiment = ExperimentFactory(project=project, name="candidate", base_exp=base)
    client = official_client_for(live_server, owner, org)

    client.experiments.insert(
        str(base.pk), events=[{"input": "q1", "scores": {"accuracy": 0.5}}, {"input": "q2", "scores": {"accuracy": 1}}]
    )
    inserted = client.experiments.insert(
        str(experiment.pk),
        events=[
            {"id": "q1", "input": "q1", "output": "a1", "scores": {"accuracy": 1}, "metrics": {"start": 0, "end": 2, "tokens": 5}},
            {"id": "q2", "input": "q2", "output": "a2", "scores": {"accuracy": 0}, "metadata": {"model": "m"}},
            {"id": "q3", "input": "q3", "tags": ["extra"]},
        ],
    )
    assert inserted.row_ids == ["q1", "q2", "q3"]

    every = client.experiments.fetch(str(experiment.pk))
    rows = {event.id: event for event in every.events}
    assert set(rows) == {"q1", "q2", "q3"}
    assert rows["q1"].output == "a1" and rows["q1"].scores == {"accuracy": 1} and rows["q1"].metrics.tokens == 5
    assert rows["q2"].metadata == {"model": "m"} and rows["q3"].tags == ["extra"]
    assert rows["q1"].experiment_id == str(experiment.pk) and rows["q1"].project_id == str(project.pk)
    assert rows["q1"].created is not None and int(rows["q1"].xact_id) > 0

    by_get = _walk(lambda cursor: client.experiments.fetch(str(experiment.pk), limit=2, extra_query={"cursor": cursor} if cursor else None))
    by_post = _walk(lambda cursor: client.experiments.fetch_post(str(experiment.pk), limit=2, cursor=cursor))
    assert by_get == by_post == [["q3", "q2"], ["q1"]]

    version = rows["q1"].xact_id
    assert client.experiments.feedback(str(experiment.pk), feedback=[{"id": "q1", "scores": {"human": 1}, "comment": "good"}]).status == (
        "success"
    )
    after = {event.id: event for event in client.experiments.fetch(str(experiment.pk)).events}
    assert after["q1"].scores == {"accuracy": 1, "human": 1}
    then = {event.id: event for event in client.experiments.fetch_post(str(experiment.pk), version=version).events}
    assert then["q1"].scores == {"accuracy": 1}
    assert EventFeedback.objects.get(object_id=experiment.pk).comment == "good"

    summary = client.experiments.summarize(str(experiment.pk), summarize_scores=True)
    assert (summary.project_name, summary.experiment_name, summary.comparison_experiment_name) == (project.name, "candidate", "baseline")
    assert summary.scores["accuracy"].score == 0.5 and summary.scores["accuracy"].diff == pytest.approx(-0.25)
    assert (summary.scores["accuracy"].improvements, summary.scores["accuracy"].regressions) == (1, 1)
    assert summary.metrics["tokens"].metric == 5
    assert summary.experiment_url == f"{live_server.url}/v1/experiment/{experiment.pk}"
    assert summary.project_url == f"{live_server.url}/v1/project/{project.pk}"
    compared = client.experiments.summarize(str(experiment.pk), comparison_experiment_id=str(experiment.pk))
    assert compared.comparison_experiment_name == "candidate" and compared.scores["accuracy"].diff == 0
    names_only = client.experiments.summarize(str(experiment.pk), summarize_scores=False)
    assert names_only.scores is None and names_only.metrics is None


def test_dataset_records_are_inserted_fetched_annotated_and_counted_with_the_official_client(live_server, org, project):
    dataset = DatasetFactory(project=project, name="cases")
    client = official_client_for(live_server, owner_of(org), org)

    inserted = client.datasets.insert(
        str(dataset.pk), events=[{"id": f"case{i}", "input": {"n": i}, "expected": i * 2, "tags": ["gold"]} for i in range(3)]
    )
    assert inserted.row_ids == ["case0", "case1", "case2"]
    client.datasets.insert(str(dataset.pk), events=[{"id": "case1", "_is_merge": True, "expected": 20}])

    pages = _walk(lambda cursor: client.datasets.fetch_post(str(dataset.pk), limit=2, cursor=cursor))
    assert pages == [["case2", "case1"], ["case0"]]
    rows = {event.id: event for event in client.datasets.fetch(str(dataset.pk)).events}
    assert rows["case1"].expected == 20 and rows["case1"].input == {"n": 1} and rows["case1"].dataset_id == str(dataset.pk)

    assert client.datasets.feedback(str(dataset.pk), feedback=[{"id": "case0", "comment": "check", "tags": ["review"]}]).status == "success"
    assert client.datasets.fetch(str(dataset.pk)).events[-1].tags == ["gold", "review"]

    summary = client.datasets.summarize(str(dataset.pk), summarize_data=True)
    assert (summary.project_name, summary.dataset_name) == (project.name, "cases")
    assert summary.data_summary.total_records == 3
    assert summary.dataset_url == f"{live_server.url}/v1/dataset/{dataset.pk}"
    assert client.datasets.summarize(str(dataset.pk), summarize_data=False).data_summary is None


def test_a_logging_service_token_writes_logs_that_an_owner_reads_with_the_official_client(live_server, org, project):
    owner = owner_of(org)
    experiment = ExperimentFactory(project=project)
    robot = service_account_create(actor=owner, org=org, name="production logger")
    grant(org, Node("project_log", project.pk), user=robot, permission="update")
    _, token = service_token_create(actor=owner, org=org, account_id=robot.pk, name="prod")
    logger = Braintrust(api_key=token, base_url=live_server.url, max_retries=0)
    reader = official_client_for(live_server, owner, org)

    for request in range(3):
        logger.projects.logs.insert(str(project.pk), events=[{"id": f"req{request}", "input": f"question {request}", "tags": ["prod"]}])
    logger.projects.logs.insert(str(project.pk), events=[{"id": "llm0", "_parent_id": "req0", "metrics": {"tokens": 7}}])
    assert EventRow.objects.filter(kind="project_logs", object_id=project.pk).count() == 4

    with pytest.raises(braintrust_api.PermissionDeniedError) as refused:
        logger.projects.logs.fetch(str(project.pk))
    assert "read" in str(refused.value)
    with pytest.raises(braintrust_api.NotFoundError):
        logger.experiments.fetch(str(experiment.pk))
    with pytest.raises(braintrust_api.NotFoundError):
        logger.experiments.insert(str(experiment.pk), events=[{"input": "sneaky"}])

    pages = _walk(lambda cursor: reader.projects.logs.fetch_post(str(project.pk), limit=2, cursor=cursor))
    assert pages == [["req2", "req1"], ["req0"]]
    first = reader.projects.logs.fetch(str(project.pk), limit=1)
    assert [event.id for event in first.events] == ["req2"] and first.events[0].log_id == "g"
    trace = [event for event in reader.projects.logs.fetch(str(project.pk)).events if event.root_span_id == first.events[0].root_span_id]
    assert [event.id for event in trace] == ["req2"]
    child = next(event for event in reader.projects.logs.fetch(str(project.pk)).events if event.id == "llm0")
    assert child.span_parents and child.is_root is False and child.metrics.tokens == 7

    assert logger.projects.logs.feedback(str(project.pk), feedback=[{"id": "req1", "scores": {"thumbs_up": 1}}]).status == "success"
    rated = next(event for event in reader.projects.logs.fetch(str(project.pk)).events if event.id == "req1")
    assert rated.scores == {"thumbs_up": 1}


def test_the_client_sees_refusals_as_its_own_errors_and_nothing_is_written(live_server, org, project):
    experiment = ExperimentFactory(project=project)
    viewer = official_client_for(live_server, add_member(org, None, "viewers"), org)
    owner = official_client_for(live_server, owner_of(org), org)

    with pytest.raises(braintrust_api.PermissionDeniedError) as denied:
        viewer.experiments.insert(str(experiment.pk), events=[{"input": 1}])
    assert "update" in str(denied.value)
    with pytest.raises(braintrust_api.BadRequestError) as bad:
        owner.experiments.insert(str(experiment.pk), events=[{"input": 1}, {"scores": {"accuracy": 2}}])
    assert "events[1].scores.accuracy" in str(bad.value)
    with pytest.raises(braintrust_api.BadRequestError) as deprecated:
        owner.experiments.fetch(str(experiment.pk), max_xact_id="5", max_root_span_id="r")
    assert "cursor" in str(deprecated.value)
    with pytest.raises(braintrust_api.BadRequestError):
        owner.experiments.feedback(str(experiment.pk), feedback=[{"id": "ghost", "comment": "?"}])
    assert not EventRow.objects.exists() and not EventFeedback.objects.exists()
    with pytest.raises(braintrust_api.NotFoundError):
        owner.experiments.summarize(str(experiment.pk), comparison_experiment_id=str(ExperimentFactory(project=ProjectFactory()).pk))
