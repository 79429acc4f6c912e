"""Names that must stay unique under concurrency, raced for real on PostgreSQL (committed transactions,
one connection per thread): a prompt's slug, a tag's or score's name in a project, and the fresh name
``ensure_new`` gives an experiment."""

import threading

import pytest
from django.db import connections

from permissions.exceptions import ValidationError
from permissions.models import AuditEvent
from projects.models import ProjectScore, ProjectTag, Prompt, PromptVersion
from projects.services import experiments as experiment_services
from projects.services import prompts as prompt_services
from projects.services.configuration import project_score_create, project_tag_create, writes
from projects.services.experiments import experiment_create
from projects.services.prompts import prompt_create
from tests.access_helpers import audit_actions
from tests.api_helpers import api_client_for
from tests.factories import ExperimentFactory, OrganizationFactory, ProjectFactory, owner_of
from tests.race_helpers import BARRIER_TIMEOUT, run_racing

# A prompt's slug


def _hold_before_insert(monkeypatch, parties: int) -> None:
    """Both creations pass their checks and look for the slug, then wait for each other before inserting."""
    barrier = threading.Barrier(parties, timeout=BARRIER_TIMEOUT)
    original = prompt_services.object_create

    def create_after_barrier(**kwargs):
        barrier.wait()
        return original(**kwargs)

    monkeypatch.setattr(prompt_services, "object_create", create_after_barrier)


@pytest.fixture
def racers(monkeypatch):
    """A project of a new organization, its owner and two API clients of the owner, with the creation of
    prompts held (`_hold_before_insert`) so that two racing creations meet before either inserts."""
    org = OrganizationFactory()
    project, owner = ProjectFactory(org=org), owner_of(org)
    clients = [api_client_for(owner, org), api_client_for(owner, org)]
    _hold_before_insert(monkeypatch, parties=2)
    return project, owner, clients


def _race_to_one_prompt(calls) -> None:
    """Runs `calls` racing each other and checks that each answered 200 with the same prompt."""
    responses = [value for _, value in run_racing(calls)]
    assert [r.status_code for r in responses] == [200, 200], [r.content for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_creations_of_one_slug_make_one_prompt(racers):
    project, owner, _clients = racers
    create = lambda: prompt_create(actor=owner, project=project, name="Racer", slug="racer")  # noqa: E731
    outcomes = run_racing([create, create])
    assert sorted(kind for kind, _ in outcomes) == ["error", "ok"], outcomes
    error = next(value for kind, value in outcomes if kind == "error")
    assert isinstance(error, ValidationError) and "already exists" in str(error)
    assert Prompt.objects.filter(project=project, slug="racer").count() == 1
    assert PromptVersion.objects.filter(prompt__project=project).count() == 1
    assert AuditEvent.objects.filter(org=project.org, action="prompt.create").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_posts_of_one_slug_both_answer_the_one_prompt(racers):
    project, _owner, clients = racers
    body = {"project_id": str(project.pk), "name": "Racer", "slug": "racer"}
    _race_to_one_prompt([lambda client=client: client.post("/v1/prompt", body) for client in clients])
    assert Prompt.objects.filter(project=project, slug="racer").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_puts_of_one_new_slug_make_one_prompt_replaced_once(racers):
    project, _owner, clients = racers
    bodies = [{"project_id": str(project.pk), "name": name, "slug": "racer"} for name in ("First", "Second")]
    calls = [lambda client=client, body=body: client.put("/v1/prompt", body) for client, body in zip(clients, bodies, strict=True)]
    _race_to_one_prompt(calls)
    prompt = Prompt.objects.get(project=project, slug="racer")
    assert prompt.versions.count() == 2
    assert AuditEvent.objects.filter(org=project.org, action__in=["prompt.create", "prompt.update"]).count() == 2


# A tag's or a score's name in a project


@pytest.fixture
def both_at_the_insert(monkeypatch):
    """Holds each racing thread just before its insert until the other is there too: both have passed the
    check in Python, so only the database constraint can refuse the second."""
    barrier = threading.Barrier(2, timeout=BARRIER_TIMEOUT)
    original = writes._save_unique

    def save_after_barrier(obj, what, **kwargs):
        barrier.wait()
        return original(obj, what, **kwargs)

    monkeypatch.setattr(writes, "_save_unique", save_after_barrier)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["project_tag", "project_score"])
def test_two_concurrent_creations_of_one_name_in_a_project_make_one_row(kind, both_at_the_insert):
    org = OrganizationFactory()
    owner, project = owner_of(org), ProjectFactory(org=org)
    if kind == "project_tag":
        model, create = ProjectTag, lambda: project_tag_create(actor=owner, project=project, name="same")
    else:
        model, create = ProjectScore, lambda: project_score_create(actor=owner, project=project, name="same", score_type="slider")
    outcomes = run_racing([create, create])
    assert sorted(status for status, _ in outcomes) == ["error", "ok"]
    [error] = [result for status, result in outcomes if status == "error"]
    assert isinstance(error, ValidationError)
    assert "already exists" in str(error)
    assert model.objects.filter(project=project, name="same").count() == 1
    assert audit_actions().count(f"{kind}.create") == 1


# The fresh name ensure_new gives an experiment


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_ensure_new_requests_for_one_name_each_get_a_fresh_name(monkeypatch):
    org = OrganizationFactory()
    project = ProjectFactory(org=org)
    owner = owner_of(org)
    ExperimentFactory(project=project, name="Run")
    barrier = threading.Barrier(2, timeout=20)
    waited = threading.local()
    original = experiment_services._fresh_name

    def fresh_name_after_barrier(*args, **kwargs):
        name = original(*args, **kwargs)
        if not getattr(waited, "done", False):
            waited.done = True
            barrier.wait()  # both requests have picked the same free name before either writes
        return name

    monkeypatch.setattr(experiment_services, "_fresh_name", fresh_name_after_barrier)
    outcomes: list = [None, None]

    def run(index: int) -> None:
        try:
            outcomes[index] = experiment_create(actor=owner, project=project, name="Run", ensure_new=True).name
        except Exception as exc:  # the outcome is asserted below
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(isinstance(outcome, str) for outcome in outcomes), outcomes
    assert sorted(outcomes) == ["Run-1", "Run-2"]
    assert AuditEvent.objects.filter(action="experiment.create").count() == 2
