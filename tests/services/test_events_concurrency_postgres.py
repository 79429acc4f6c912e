"""Rows under concurrent writes (PostgreSQL: real row locks, one connection per thread): nothing is lost.

Two requests that insert the same new row id at once cannot both create it (a unique constraint); the
loser retries and merges into the winner's row. Merges into one row serialize on its row lock, so every
field each of them adds survives.
"""

import threading

import pytest

from projects.events.reads import fetch_events
from projects.events.targets import EventTarget
from projects.events.writes import insert_events
from projects.models import EventRow, EventVersion
from tests.factories import OrganizationFactory, ProjectFactory, owner_of
from tests.race_helpers import run_racing

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _racing_inserts(target, owner, events_per_call):
    barrier = threading.Barrier(len(events_per_call), timeout=20)

    def call(events):
        def run():
            barrier.wait()
            return insert_events(actor=owner, target=target, events=events)

        return run

    return run_racing([call(events) for events in events_per_call])


def test_racing_merges_into_one_new_row_keep_every_field():
    org = OrganizationFactory()
    owner = owner_of(org)
    target = EventTarget.of(ProjectFactory(org=org))
    outcomes = _racing_inserts(
        target,
        owner,
        [[{"id": "shared", "_is_merge": True, "metadata": {f"writer{i}": i}}] for i in range(4)],
    )
    assert [status for status, _ in outcomes] == ["ok"] * 4
    assert EventRow.objects.filter(row_id="shared").count() == 1
    [row] = fetch_events(actor=owner, target=target).events
    assert row["metadata"] == {f"writer{i}": i for i in range(4)}
    assert EventVersion.objects.filter(row_id="shared").count() == 4
