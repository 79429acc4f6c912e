"""The app routes Braintrust's TypeScript SDK registers its objects through (``/api/<kind>/register``,
``/api/experiment/get``, ``GET /api/project``) and ``/experiment-comparison2``, through Django's test client.
(tests/sdk/test_typescript.py drives the SDK itself against a live server.)"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from permissions.models import AclGrant
from projects.events.targets import EventTarget
from projects.events.writes import insert_events
from projects.models import Dataset, Experiment, Project
from tests.access_helpers import audit_actions, grant, row_counts
from tests.api_helpers import api_client_for
from tests.factories import DatasetFactory, ExperimentFactory, OrganizationFactory, ProjectFactory, add_member, owner_of

pytestmark = pytest.mark.django_db

PROJECT_REGISTER = "/api/project/register"
EXPERIMENT_REGISTER = "/api/experiment/register"
DATASET_REGISTER = "/api/dataset/register"
EXPERIMENT_GET = "/api/experiment/get"
COMPARISON = "/experiment-comparison2"


@pytest.fixture
def client(org, owner):
    return api_client_for(owner, org)


def message(response) -> str:
    return response.json()["error"]["message"]


# /api/project/register


def test_project_register_makes_the_project_once_with_its_creators_ownership_and_an_audit_event(org, owner, client):
    first = client.post(PROJECT_REGISTER, {"project_name": "Support", "org_id": str(org.pk)})
    assert first.status_code == 200, first.content
    project = Project.objects.get(org=org, name="Support")
    assert first.json()["project"] == {**first.json()["project"], "id": str(project.pk), "org_id": str(org.pk), "name": "Support"}
    assert AclGrant.objects.filter(object_type="project", object_id=project.pk, user=owner, role__name="owner").exists()
    assert audit_actions().count("project.create") == 1

    again = client.post(PROJECT_REGISTER, {"project_name": "Support"})
    assert again.json()["project"]["id"] == str(project.pk)
    assert Project.objects.filter(org=org, name="Support").count() == 1
    assert audit_actions().count("project.create") == 1


def test_project_register_answers_a_reader_the_existing_project_and_refuses_it_a_new_one(org, project):
    viewer = add_member(org, None, "viewers")
    client = api_client_for(viewer, org)
    assert client.post(PROJECT_REGISTER, {"project_name": "Chatbot"}).json()["project"]["id"] == str(project.pk)
    before = row_counts()
    refused = client.post(PROJECT_REGISTER, {"project_name": "New"})
    assert refused.status_code == 403 and "create" in message(refused)
    assert row_counts() == before


def test_project_register_refuses_another_organization_and_bad_names(org, client):
    other = OrganizationFactory()
    wrong_org = client.post(PROJECT_REGISTER, {"project_name": "X", "org_id": str(other.pk)})
    assert wrong_org.status_code == 400 and "Acme" in message(wrong_org)
    for body, field in [({}, "project_name"), ({"project_name": ""}, "project_name"), ({"project_name": "x", "colour": 1}, "colour")]:
        response = client.post(PROJECT_REGISTER, body)
        assert response.status_code == 400 and field in message(response), (body, response.content)
    assert not Project.objects.filter(org__in=[org, other]).exists()


# /api/experiment/register


def register_experiment(client, **body):
    return client.post(EXPERIMENT_REGISTER, body)


def test_experiment_register_makes_the_project_and_the_experiment_and_answers_both(org, owner, client):
    response = register_experiment(client, project_name="Evals", experiment_name="baseline", org_id=str(org.pk), tags=["t"])
    assert response.status_code == 200, response.content
    body = response.json()
    experiment = Experiment.objects.get(pk=body["experiment"]["id"])
    assert (experiment.project.name, experiment.name, experiment.tags) == ("Evals", "baseline", ["t"])
    assert body["project"]["id"] == str(experiment.project_id) == body["experiment"]["project_id"]
    assert AclGrant.objects.filter(object_type="experiment", object_id=experiment.pk, user=owner).exists()
    assert audit_actions()[-2:] == ["project.create", "experiment.create"]


def test_a_second_run_under_the_same_name_is_a_new_experiment_unless_it_asks_to_update(project, client):
    first = register_experiment(client, project_id=str(project.pk), experiment_name="run").json()["experiment"]
    second = register_experiment(client, project_id=str(project.pk), experiment_name="run").json()["experiment"]
    assert (first["name"], second["name"]) == ("run", "run-1")
    continued = register_experiment(client, project_id=str(project.pk), experiment_name="run", update=True).json()["experiment"]
    assert continued["id"] == first["id"]
    unnamed = register_experiment(client, project_name="Chatbot").json()["experiment"]
    assert unnamed["name"].startswith("experiment")
    assert Experiment.objects.filter(project=project).count() == 3


def test_the_base_experiment_is_the_one_named_else_the_latest_on_the_nearest_ancestor_commit(project, client):
    named = ExperimentFactory(project=project, name="named")
    on_parent_old = ExperimentFactory(project=project, name="parent-old", repo_info={"commit": "c2"})
    on_parent_new = ExperimentFactory(project=project, name="parent-new", repo_info={"commit": "c2"})
    ExperimentFactory(project=project, name="grandparent", repo_info={"commit": "c3"})
    assert on_parent_old.created <= on_parent_new.created

    by_name = register_experiment(client, project_id=str(project.pk), base_experiment="named").json()["experiment"]
    assert by_name["base_exp_id"] == str(named.pk)
    by_commits = register_experiment(client, project_id=str(project.pk), ancestor_commits=["c1", "c2", "c3"]).json()["experiment"]
    assert by_commits["base_exp_id"] == str(on_parent_new.pk)
    no_match = register_experiment(client, project_id=str(project.pk), ancestor_commits=["zz"]).json()["experiment"]
    assert no_match["base_exp_id"] is None
    explicit = register_experiment(client, project_id=str(project.pk), base_exp_id=str(named.pk), ancestor_commits=["c2"])
    assert explicit.json()["experiment"]["base_exp_id"] == str(named.pk)


def test_a_missing_base_experiment_is_a_400_the_sdk_recognizes_and_leaves_no_new_project(org, client):
    before = row_counts()
    response = register_experiment(client, project_name="Fresh", experiment_name="e", base_experiment="ghost")
    assert response.status_code == 400
    assert "base experiment" in message(response) and "ghost" in message(response)
    assert row_counts() == before


def test_a_base_experiment_the_caller_may_not_read_counts_as_missing(org, project):
    ExperimentFactory(project=project, name="secret")
    engineer = add_member(org)
    grant(org, project, user=engineer, permission="create", restrict="experiment")
    client = api_client_for(engineer, org)
    assert register_experiment(client, project_id=str(project.pk), base_experiment="secret").status_code == 400
    made = register_experiment(client, project_id=str(project.pk), experiment_name="mine")
    assert made.status_code == 200, made.content


def test_experiment_register_needs_create_in_the_project_and_writes_nothing_when_refused(org, project):
    reader = add_member(org)
    grant(org, project, user=reader, permission="read")
    other_org_project = ProjectFactory(org=OrganizationFactory(), name="Theirs")
    as_reader, as_stranger, as_owner = (api_client_for(user, org) for user in (reader, add_member(org), owner_of(org)))
    before = row_counts()

    refused = register_experiment(as_reader, project_id=str(project.pk), experiment_name="x")
    assert refused.status_code == 403 and "create" in message(refused)
    assert register_experiment(as_stranger, project_id=str(project.pk)).status_code == 404
    assert register_experiment(as_owner, project_id=str(other_org_project.pk)).status_code == 404
    assert row_counts() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "project_name"),
        ({"project_name": "P", "update": "yes"}, "update"),
        ({"project_name": "P", "ancestor_commits": "c1"}, "ancestor_commits"),
        ({"project_name": "P", "internal_metadata": {"dataset_filter": "x"}}, "internal_metadata"),
        ({"project_name": "P", "repo_info": {"commit": 3}}, "commit"),
        ({"project_name": "P", "experimnt_name": "typo"}, "experimnt_name"),
    ],
)
def test_experiment_register_refuses_bad_input_naming_the_field(org, client, body, field):
    before = row_counts()
    response = register_experiment(client, **body)
    assert response.status_code == 400 and field in message(response), response.content
    assert row_counts() == before


# /api/dataset/register


def test_dataset_register_gets_or_creates_by_name_in_a_project_found_by_id_or_name(org, project, client):
    made = client.post(DATASET_REGISTER, {"project_id": str(project.pk), "dataset_name": "golden", "description": "d"})
    assert made.status_code == 200, made.content
    dataset = Dataset.objects.get(project=project, name="golden")
    assert made.json()["dataset"]["id"] == str(dataset.pk) and made.json()["project"]["id"] == str(project.pk)
    again = client.post(DATASET_REGISTER, {"project_name": "Chatbot", "dataset_name": "golden", "metadata": {"k": 1}})
    assert again.json()["dataset"]["id"] == str(dataset.pk)
    elsewhere = client.post(DATASET_REGISTER, {"project_name": "New home", "dataset_name": "golden"}).json()
    assert elsewhere["project"]["name"] == "New home" and elsewhere["dataset"]["id"] != str(dataset.pk)
    assert Dataset.objects.filter(name="golden").count() == 2


def test_dataset_register_refuses_a_reader_a_new_dataset(org, project):
    viewer = add_member(org, None, "viewers")
    response = api_client_for(viewer, org).post(DATASET_REGISTER, {"project_id": str(project.pk), "dataset_name": "new"})
    assert response.status_code == 403
    assert not Dataset.objects.filter(project=project).exists()


# /api/experiment/get and GET /api/project


def test_experiment_get_lists_only_readable_experiments_of_that_name(org, project):
    visible = ExperimentFactory(project=project, name="run")
    ExperimentFactory(project=ProjectFactory(org=org, name="Other"), name="run")
    person = add_member(org)
    grant(org, visible, user=person, permission="read")
    client = api_client_for(person, org)
    by_name = client.post(EXPERIMENT_GET, {"project_name": "Chatbot", "experiment_name": "run"})
    assert [e["id"] for e in by_name.json()] == [str(visible.pk)]
    assert client.post(EXPERIMENT_GET, {"project_name": "Other", "experiment_name": "run"}).json() == []
    by_id = client.post(EXPERIMENT_GET, {"project_id": str(project.pk), "experiment_name": "run"})
    assert [e["project_id"] for e in by_id.json()] == [str(project.pk)]


def test_experiment_get_costs_the_same_queries_however_many_experiments_the_organization_holds(org, project, client):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert len(client.post(EXPERIMENT_GET, {"project_name": "Chatbot", "experiment_name": "run"}).json()) == 1
        return len(captured)

    ExperimentFactory(project=project, name="run")
    queries()  # the key's first use records it
    one = queries()
    ExperimentFactory.create_batch(20, project=project)
    for n in range(5):
        ExperimentFactory(project=ProjectFactory(org=org, name=f"p{n}"), name="run")
    assert queries() == one


def test_get_project_by_id_needs_read_on_it(org, project, client):
    assert client.get("/api/project", {"id": str(project.pk)}).json()["name"] == "Chatbot"
    stranger = api_client_for(add_member(org), org)
    assert stranger.get("/api/project", {"id": str(project.pk)}).status_code == 404
    missing_id = client.get("/api/project")
    assert missing_id.status_code == 400 and "id" in message(missing_id)


# /experiment-comparison2


def scored(project, name: str, scores: dict, **fields) -> Experiment:
    experiment = ExperimentFactory(project=project, name=name, **fields)
    owner = owner_of(project.org)
    insert_events(actor=owner, target=EventTarget.of(experiment), events=[{"id": "r", "input": "q", "scores": scores}])
    return experiment


def test_comparison_answers_the_summarize_scores_against_the_base_named(org, project, client):
    base = scored(project, "base", {"exact": 1})
    run = scored(project, "run", {"exact": 0})
    response = client.get(COMPARISON, {"experiment_id": str(run.pk), "base_experiment_id": str(base.pk)})
    assert response.status_code == 200, response.content
    exact = response.json()["scores"]["exact"]
    assert (exact["score"], exact["diff"], exact["improvements"], exact["regressions"]) == (0, -1, 0, 1)
    alone = client.get(COMPARISON, {"experiment_id": str(run.pk)}).json()
    assert "diff" not in alone["scores"]["exact"] and set(alone) == {"scores", "metrics"}


def test_comparison_needs_read_on_both_experiments(org, project):
    base = scored(project, "base", {"exact": 1})
    run = scored(project, "run", {"exact": 0})
    person = add_member(org)
    grant(org, run, user=person, permission="read")
    client = api_client_for(person, org)
    assert client.get(COMPARISON, {"experiment_id": str(run.pk)}).status_code == 200
    assert client.get(COMPARISON, {"experiment_id": str(run.pk), "base_experiment_id": str(base.pk)}).status_code == 404
    assert client.get(COMPARISON, {"experiment_id": str(base.pk)}).status_code == 404
    assert client.get(COMPARISON, {"experiment_id": "nope"}).status_code == 400


def test_a_dataset_of_another_organization_cannot_be_linked_at_registration(org, client):
    foreign = DatasetFactory(project=ProjectFactory(org=OrganizationFactory()))
    response = register_experiment(client, project_name="P", dataset_id=str(foreign.pk))
    assert response.status_code == 400 and "dataset_id: No such dataset" in message(response)
    assert not Project.objects.filter(org=org, name="P").exists()


def test_a_dataset_registered_meanwhile_by_a_concurrent_request_is_the_one_answered(project, client, monkeypatch):
    """Between the lookup and the insert, another request made the dataset: the caller gets that one."""
    from projects.services import registration

    original = registration.dataset_create

    def create_concurrently(**kwargs):
        DatasetFactory(project=kwargs["project"], name=kwargs["name"])
        return original(**kwargs)

    monkeypatch.setattr(registration, "dataset_create", create_concurrently)
    response = client.post(DATASET_REGISTER, {"project_id": str(project.pk), "dataset_name": "raced"})
    assert response.status_code == 200, response.content
    assert response.json()["dataset"]["id"] == str(Dataset.objects.get(project=project, name="raced").pk)
