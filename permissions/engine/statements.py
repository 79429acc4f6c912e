"""How the engine sends its own SQL: statements whose text never changes with the data, prepared once.

On PostgreSQL planning the engine's statements cost more than running them (a chain statement planned
in about 2 ms and ran in 0.7), and every check planned them anew: Django binds parameters on the client,
so the server only ever sees literal text. The engine therefore writes its statements so that their
text depends only on the shape of the request (a list of ids is one array parameter, ``= ANY(%s)``,
never ``IN (%s, %s, …)``), and sends them through a server-binding cursor that asks the server to
prepare them: each connection plans each statement once and reuses the plan.

That needs persistent connections to pay off (``DATABASE_CONN_MAX_AGE``), and a connection pooler in
transaction mode that keeps prepared statements (PgBouncer 1.21 and later); with
``DATABASE_PREPARED_STATEMENTS=0`` the same statements are sent unprepared.

SQLite plans in microseconds and has no arrays, so there the lists stay ``IN (…)`` lists.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from uuid import UUID

from django.db import connection
from django.db.models import DateTimeField, UUIDField
from django.utils import timezone
from django.utils.dateparse import parse_datetime


def uses_arrays() -> bool:
    """Whether lists are sent as one array parameter (PostgreSQL) rather than spelled out (SQLite)."""
    return connection.vendor == "postgresql"


def any_of(column: str, values: Sequence, sql_type: str) -> tuple[str, list]:
    """A condition that `column` is one of `values`, with its parameters.

    On PostgreSQL the text is the same for any number of values (an empty list matches nothing); on
    SQLite it is an ``IN`` list, and a condition that is false for an empty one.
    """
    if uses_arrays():
        return f"{column} = ANY(%s::{sql_type}[])", [list(values)]
    if not values:
        return "1 = 0", []
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def placeholder_any(column: str, count: int, sql_type: str) -> str:
    """The text of :func:`any_of` for `count` values (-1: an array parameter)."""
    return any_of(column, [None] * max(count, 0), sql_type)[0]


def placeholder_counts(*lists: Sequence) -> tuple[int, ...]:
    """How many placeholders each of `lists` takes in a statement's text, for :func:`placeholder_any`: -1 on
    PostgreSQL, where a list is one array parameter (so the text, and its plan, is the same for any number
    of values), its length on SQLite."""
    return tuple(-1 if uses_arrays() else len(values) for values in lists)


# One field for every UUID the engine sends or selects: a list builds a dozen of them per request, and
# making a field each time cost more than the rest of the work on them.
UUID_FIELD = UUIDField()


def uuid_type() -> str:
    """The database's type for UUIDs, for casts in the engine's raw SQL."""
    return UUID_FIELD.db_type(connection)


def prep_uuid(value) -> object:
    """A UUID as the database stores it (a ``uuid`` on PostgreSQL, 32 hex digits on SQLite)."""
    return UUID_FIELD.get_db_prep_value(value, connection)


def as_uuid(value) -> UUID | None:
    """A UUID read back from the engine's raw SQL (SQLite answers strings)."""
    if value is None or isinstance(value, UUID):
        return value
    return UUID(str(value))


def live(alias: str) -> str:
    """A condition that row `alias` has not expired (docs/access-model.md: from its ``expires_at`` on, a grant
    or a membership counts for nothing, whether or not a job has removed it yet), with the instant as
    ``%s`` (:func:`now_param`)."""
    return f"({alias}.expires_at IS NULL OR {alias}.expires_at > %s)"


def now_param() -> object:
    """This instant as the database compares it with stored datetimes (an aware datetime on PostgreSQL,
    the text Django writes on SQLite), for :func:`live`. A parameter, not the database's clock, so that
    the engine and the services agree on "now" and tests can move it."""
    return connection.ops.adapt_datetimefield_value(timezone.now())


def null_datetime() -> str:
    """A typed NULL for a datetime column of a ``UNION`` whose other rows carry one."""
    return f"CAST(NULL AS {DateTimeField().db_type(connection)})"


def as_datetime(value) -> datetime | None:
    """A datetime read back from the engine's raw SQL (SQLite answers a naive one, or text, in UTC)."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else parse_datetime(str(value))
    return parsed if parsed is None or parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def in_subquery(column: str, subquery: str) -> str:
    """A condition that `column` is among the few values a non-correlated `subquery` selects.

    On PostgreSQL the subquery becomes an array computed once, before the scan (an InitPlan), so that
    `column` can be an index condition whatever the planner believes of the subquery's size: as a join,
    planned from an empty table's statistics, it was re-run once per row of the grant table. SQLite runs
    a non-correlated ``IN`` subquery once already.
    """
    if uses_arrays():
        return f"{column} = ANY(ARRAY({subquery}))"
    return f"{column} IN ({subquery})"


def _prepares() -> bool:
    return uses_arrays() and connection.settings_dict.get("OPTIONS", {}).get("prepare_threshold") is not None


@cache
def _preparing_cursor_class() -> type:
    """psycopg is imported only where PostgreSQL is in use."""
    from psycopg import Cursor

    class PreparingCursor(Cursor):
        """A server-binding cursor that prepares every statement it sends and runs it on its generic plan.

        Left to choose (``plan_cache_mode=auto``), PostgreSQL kept planning the engine's statements anew:
        a generic plan guesses ten elements for an array parameter, which costs more than a custom plan
        for the one to three groups a principal is usually in. Forcing generic plans for the whole
        connection would also fix the plans PostgreSQL keeps for itself, such as the foreign-key checks
        run at COMMIT, which then keep whatever plan an empty table gave them. So the mode is set for the
        statement alone: set, execute, reset, sent together in one pipeline, one round trip. The three
        run in one transaction (the implicit one up to the pipeline's sync, or the caller's), so an error
        in the statement rolls the setting back with it.
        """

        def execute(self, query, params=None, *, prepare=None, binary=None):
            with self.connection.pipeline():
                self.connection.execute("SET plan_cache_mode TO force_generic_plan", prepare=False)
                super().execute(query, params, prepare=True, binary=binary)
                self.connection.execute("RESET plan_cache_mode", prepare=False)
            return self

    return PreparingCursor


@contextmanager
def engine_cursor() -> Iterator:
    """A cursor for the engine's statements: Django's, so that queries are counted and logged and errors
    wrapped as everywhere else, over a preparing cursor where the connection allows it."""
    if not _prepares():
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.ensure_connection()
    with connection._prepare_cursor(_preparing_cursor_class()(connection.connection)) as cursor:
        yield cursor
