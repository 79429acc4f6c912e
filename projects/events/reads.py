"""Reading rows: a page of whole traces, newest first, now or as of a past version, optionally by tag and
by the conditions of :mod:`projects.events.filters`.

``limit`` counts traces, not rows: a page holds every live row of each of its traces. Traces are ordered
by when they began (``trace_order``, fixed by the write that started them), newest first; the cursor is
where the last page stopped, so pages never repeat or skip a trace, whatever is written meanwhile. A page
costs three queries (the page's trace orders, their rows, the project's aggregate scores) whatever its
size, and the first one walks an index.

Fetching needs read on the object (project_log for logs).
"""

import base64
import binascii
import json
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet

from permissions.engine.guards import require
from permissions.exceptions import ValidationError
from projects.events.aggregates import aggregate_scores_of, with_aggregates
from projects.events.filters import RowConditions
from projects.events.targets import EventTarget
from projects.events.validation import data_fields
from projects.models import EventRow, EventVersion, ObjectKind

MAX_FETCH_LIMIT = 1000


@dataclass(frozen=True)
class FetchPage:
    events: list[dict]
    cursor: str | None


def encode_cursor(trace_key: int, version: int | None) -> str:
    raw = json.dumps({"k": trace_key, "v": version}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, int | None]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        decoded = json.loads(raw)
        key, version = decoded["k"], decoded["v"]
        if not isinstance(key, int) or (version is not None and not isinstance(version, int)):
            raise TypeError
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
        raise ValidationError("cursor is not a cursor this server returned.") from exc
    return key, version


def parse_version(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        version = int(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"version must be a transaction id (a whole number), not {value!r}.") from exc
    if version < 0:
        raise ValidationError("version must not be negative.")
    return version


def parse_fetch_limit(value) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError("limit must be a whole number.")
    try:
        limit = int(value)
    except ValueError as exc:
        raise ValidationError(f"limit must be a whole number, not {value!r}.") from exc
    if not 0 <= limit <= MAX_FETCH_LIMIT:
        raise ValidationError(f"limit must be between 0 and {MAX_FETCH_LIMIT}.")
    return limit


def _live_rows(target: EventTarget, version: int | None) -> QuerySet:
    """The target's live rows, now or as of `version`."""
    if version is None:
        return EventRow.objects.filter(**target.row_filter(), is_deleted=False)
    newer = EventVersion.objects.filter(
        **target.row_filter(), row_id=OuterRef("row_id"), xact_id__gt=OuterRef("xact_id"), xact_id__lte=version
    )
    return EventVersion.objects.filter(**target.row_filter(), xact_id__lte=version).exclude(Exists(newer)).filter(is_deleted=False)


def fetch_events(
    *,
    actor,
    target: EventTarget,
    limit: int | None = None,
    cursor: str | None = None,
    version=None,
    tags: list[str] | None = None,
    conditions: RowConditions | None = None,
) -> FetchPage:
    """One page of the target's traces (those with a row carrying one of `tags`, and meeting `conditions`,
    if given); see the module's docstring."""
    require(actor, "read", target.node)
    version = parse_version(version)
    after = None
    if cursor:
        after, cursor_version = decode_cursor(cursor)
        version = cursor_version if version is None else version
    rows = _live_rows(target, version)
    if tags:
        rows = _tagged(rows, tags, version)
    if conditions:
        rows = conditions.apply(rows)
    if after is not None:
        rows = rows.filter(trace_order__lt=after)
    next_cursor = None
    if limit is not None:
        orders = list(rows.order_by("-trace_order").values_list("trace_order", flat=True).distinct()[:limit])
        if not orders:
            return FetchPage([], None)
        rows = rows.filter(trace_order__gte=orders[-1])
        if len(orders) == limit:
            next_cursor = encode_cursor(orders[-1], version)
    fetched = list(rows.order_by("-trace_order", "-id"))
    aggregates = aggregate_scores_of(target.project.pk)
    return FetchPage([row_json(target, row, aggregates) for row in fetched], next_cursor)


def _tagged(rows: QuerySet, tags: list[str], version: int | None) -> QuerySet:
    """The rows of every trace that has a row carrying one of `tags`."""
    if version is None:
        tagged_traces = rows.filter(tag_rows__tag__in=tags).values("root_span_id")
        return rows.filter(root_span_id__in=tagged_traces)
    # Past versions keep tags only inside each row's data, which not every database can search: pick the
    # traces in Python, then let the database fetch them.
    wanted = set(tags)
    traces = {root for root, data in rows.values_list("root_span_id", "data") if wanted & set((data or {}).get("tags") or ())}
    return rows.filter(root_span_id__in=traces)


def row_json(target: EventTarget, row, aggregates) -> dict:
    """A row in Braintrust's event shape for its kind."""
    data = row.data or {}
    event = {
        "id": row.row_id,
        "_xact_id": str(row.xact_id),
        "_pagination_key": f"p{row.first_id if isinstance(row, EventVersion) else row.id:020d}",
        "created": row.created.isoformat(),
        "project_id": str(target.project.pk),
        "span_id": row.span_id,
        "root_span_id": row.root_span_id,
        "span_parents": data.get("span_parents"),
        "is_root": row.is_root,
    }
    if target.kind == ObjectKind.EXPERIMENT:
        event["experiment_id"] = str(target.object_id)
    elif target.kind == ObjectKind.DATASET:
        event["dataset_id"] = str(target.object_id)
    else:
        event["org_id"] = str(target.org_id)
        event["log_id"] = "g"
    for name in data_fields(target.kind):
        event[name] = data.get(name)
    if "scores" in event:
        event["scores"] = with_aggregates(event["scores"], aggregates)
    event["comments"] = data.get("comments")
    return event


def fetch_trace(*, actor, target: EventTarget, row_id: str) -> FetchPage:
    """The whole trace of the live row `row_id` (no rows when there is none), shaped as ``fetch_events`` does:
    what a link to one row (``?row=``) shows. Two queries; read on the target, as for every fetch."""
    require(actor, "read", target.node)
    live = EventRow.objects.filter(**target.row_filter(), is_deleted=False)
    rows = list(live.filter(root_span_id__in=live.filter(row_id=row_id).values("root_span_id")).order_by("-trace_order", "-id"))
    if not rows:
        return FetchPage([], None)
    aggregates = aggregate_scores_of(target.project.pk)
    return FetchPage([row_json(target, row, aggregates) for row in rows], None)
