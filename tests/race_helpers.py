"""Racing transactions for the PostgreSQL concurrency tests: each call in its own thread and connection."""

import threading
from collections.abc import Callable

from django.db import connections

BARRIER_TIMEOUT = 20


def run_racing(calls: list[Callable[[], object]]) -> list[tuple[str, object]]:
    """Run each call in its own thread and connection; return ("ok", result) or ("error", exception) per call."""
    outcomes: list[tuple[str, object] | None] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            outcomes[index] = ("ok", call())
        except Exception as exc:  # the outcome is asserted by the test
            outcomes[index] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=BARRIER_TIMEOUT * 3)
    assert not any(thread.is_alive() for thread in threads), "a racing transaction never finished"
    return outcomes
