"""Housekeeping that keeps PostgreSQL's tables and statistics what a running deployment's would be.

Benchmarks build worlds and then roll them back or delete them. PostgreSQL keeps such rows as dead
tuples until a vacuum, and plans from statistics that only ANALYZE (or autovacuum, within a minute or
so in production) refreshes. A benchmark that skipped both would time each run on tables bloated by
every earlier run, with plans made for empty tables: a sequential scan would pay for millions of rows
that no longer exist. Both are no-ops on SQLite, whose default deployment runs neither.
"""

from django.db import connection


def vacuum() -> None:
    """Reclaim earlier runs' rows and refresh statistics (outside a transaction: VACUUM cannot run in one).

    A table left empty is truncated, and its statistics then say "empty" until the next ANALYZE: a
    benchmark that loads such a table and times it without one is timed on plans made for no rows.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")


def analyze() -> None:
    """Refresh the planner's statistics after loading rows (allowed inside a transaction)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
