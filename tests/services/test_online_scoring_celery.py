"""Online scoring on Celery with Redis as the broker (127.0.0.1:6379): an insert hands its jobs to the broker
after commit, a real Celery worker (in a thread, on its own database connection) scores the rows."""

import time

import pytest
from celery.contrib.testing.worker import start_worker

from braintrust_site.celery import app
from projects.events.reads import fetch_events
from projects.events.targets import EventTarget
from projects.events.writes import insert_events
from projects.models import ProjectScore, ScoringJob
from tests.factories import OrganizationFactory, ProjectFactory, owner_of

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

REDIS_BROKER = "redis://127.0.0.1:6379/15"


@pytest.fixture
def celery_worker(settings):
    settings.CELERY_BROKER_URL = REDIS_BROKER
    app.conf.broker_url = REDIS_BROKER
    app.conf.result_backend = None
    with app.connection_for_write() as connection:
        connection.default_channel.client.flushdb()  # no jobs left over from another run
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield
    app.conf.broker_url = None


def _wait_for(condition, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_an_inserted_span_is_scored_by_a_celery_worker_through_redis(celery_worker):
    project = ProjectFactory(org=OrganizationFactory())
    owner = owner_of(project.org)
    ProjectScore.objects.create(
        project=project,
        name="quality",
        score_type="online",
        config={"online": {"sampling_rate": 1, "scorers": [{"type": "global", "name": "Levenshtein"}]}},
    )
    logs = EventTarget.of(project)
    insert_events(actor=owner, target=logs, events=[{"id": "r", "output": "kitten", "expected": "sitten"}])
    assert _wait_for(lambda: ScoringJob.objects.filter(status=ScoringJob.Status.DONE).exists()), ScoringJob.objects.values()
    [row] = fetch_events(actor=owner, target=logs).events
    assert row["scores"]["Levenshtein"] == pytest.approx(5 / 6)
