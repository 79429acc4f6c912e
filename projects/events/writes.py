"""Writing rows: inserts (replace, deep merge, delete), feedback, and scores computed afterwards.

Each write is one database transaction and one :class:`~projects.models.Transaction`: every row it
touches gets one new version carrying that transaction's id, so a fetch "as of" any version sees either
all of a write or none of it. Inserting needs update on the object (project_log for logs); so does
feedback (docs/access-model.md, data inside objects).

Rows are contents, not objects: their writes are not audit events (the audit log records changes to
access and to objects; the rows' own version history records every change to a row).

When an insert commits, :data:`rows_written` is sent with the target, the ids of the spans it inserted and
a :class:`WrittenSpan` for each span it left in place, which is how online scoring learns of new spans
without slowing the insert down or reading them back.
"""

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.dispatch import Signal
from django.utils import timezone

from permissions.engine.guards import require
from permissions.exceptions import ValidationError
from projects.events.merge import deep_merge, delete_from_arrays
from projects.events.references import check_references
from projects.events.targets import EventTarget
from projects.events.validation import data_fields, parse_created, validate_events, validate_feedback
from projects.models import EventFeedback, EventRow, EventTag, EventVersion, Transaction

logger = logging.getLogger(__name__)

# Sent after commit: sender=EventTarget, target=EventTarget, row_ids=list[str] (the ids of the events that
# insert, replace or merge, in order), spans=tuple[WrittenSpan, ...] (each row the insert left in place).
rows_written = Signal()

_INSERT_ATTEMPTS = 3
_STATE_FIELDS = ("xact_id", "created", "span_id", "root_span_id", "is_root", "data", "is_deleted", "trace_order")
# A trace's order is fixed when it begins: the transaction's id and the position of its first row in the
# batch, so that traces sort newest first without grouping rows at read time.
_TRACE_ORDER_STRIDE = 100_000


@dataclass
class RowState:
    """A row as a write leaves it, before it is stored."""

    row_id: str
    created: datetime
    span_id: str
    root_span_id: str
    span_parents: list[str] | None
    data: dict = field(default_factory=dict)
    is_deleted: bool = False
    stored: EventRow | None = None

    @classmethod
    def of(cls, row: EventRow) -> "RowState":
        return cls(
            row_id=row.row_id,
            created=row.created,
            span_id=row.span_id,
            root_span_id=row.root_span_id,
            span_parents=row.data.get("span_parents"),
            data=dict(row.data),
            is_deleted=row.is_deleted,
            stored=row,
        )


@dataclass(frozen=True, slots=True)
class WrittenSpan:
    """A row as an insert left it, after every merge, replacement and deletion in its batch: what listeners
    of :data:`rows_written` decide on (online scoring matches rules on it) without reading the row back.
    Rules name spans by strings, so a ``span_attributes.name`` that is not one names no span."""

    row_id: str
    is_root: bool
    span_name: str | None

    @classmethod
    def of(cls, state: "RowState") -> "WrittenSpan":
        attributes = state.data.get("span_attributes")
        name = attributes.get("name") if isinstance(attributes, dict) else None
        return cls(row_id=state.row_id, is_root=state.stored.is_root, span_name=name if isinstance(name, str) else None)


def insert_events(*, actor, target: EventTarget, events: list) -> list[str]:
    """Insert, replace, merge or delete rows; answers the row ids, one per event, in order.

    Two requests inserting the same new id at once cannot both create it (a unique constraint): the
    loser retries inside its own transaction and then finds the winner's row to replace or merge into.
    """
    require(actor, "update", target.node)
    events = validate_events(target.kind, events)
    check_references(actor, target, events)
    row_ids = [event.get("id") or str(uuid.uuid4()) for event in events]
    for attempt in range(_INSERT_ATTEMPTS):
        try:
            with transaction.atomic():
                spans = _insert(target, events, row_ids)
            break
        except IntegrityError:
            if attempt == _INSERT_ATTEMPTS - 1:
                raise
    inserted = [row_id for row_id, event in zip(row_ids, events, strict=True) if not event.get("_object_delete")]
    transaction.on_commit(lambda: _announce(target, inserted, spans))
    return row_ids


def _announce(target: EventTarget, row_ids: list[str], spans: tuple[WrittenSpan, ...]) -> None:
    """Tell listeners (online scoring) of the committed spans; a listener's failure never fails the insert."""
    for receiver, outcome in rows_written.send_robust(sender=EventTarget, target=target, row_ids=row_ids, spans=spans):
        if isinstance(outcome, Exception):
            logger.error("A listener of rows_written failed: %r", receiver, exc_info=outcome)


def _insert(target: EventTarget, events: list[dict], row_ids: list[str]) -> tuple[WrittenSpan, ...]:
    """Write the events; answers each row the batch leaves in place (not deleted), in its final state."""
    parents = {e["_parent_id"] for e in events if e.get("_parent_id")}
    states = _lock_rows(target, set(row_ids) | parents)
    fields = data_fields(target.kind)
    touched: dict[str, RowState] = {}
    for row_id, event in zip(row_ids, events, strict=True):
        current = states.get(row_id)
        payload = {name: event[name] for name in fields if name in event}
        if event.get("_object_delete"):
            if current is None:
                continue  # deleting a row that was never written changes nothing
            current.is_deleted = True
            state = current
        elif event.get("_is_merge") and current is not None and not current.is_deleted:
            current.data = deep_merge(current.data, payload, stop_paths=event.get("_merge_paths") or ())
            state = current
        else:
            state = _new_state(row_id, event, payload, current, states)
        if event.get("_array_delete"):
            delete_from_arrays(state.data, event["_array_delete"])
        states[row_id] = touched[row_id] = state
    _store(target, list(touched.values()))
    return tuple(WrittenSpan.of(state) for state in touched.values() if not state.is_deleted)


def _new_state(row_id: str, event: dict, payload: dict, current: RowState | None, states: dict[str, RowState]) -> RowState:
    """A row made (or replaced) by `event`, placed in its trace."""
    span_id = event.get("span_id") or (current.span_id if current else None) or str(uuid.uuid4())
    root_span_id, span_parents = event.get("root_span_id"), event.get("span_parents")
    parent_id = event.get("_parent_id")
    if parent_id:
        parent = states.get(parent_id)
        if parent is None or parent.is_deleted:
            raise ValidationError(f"No row with id {parent_id!r} to be the parent of {row_id!r}.")
        root_span_id, span_parents = parent.root_span_id, [parent.span_id]
    created = parse_created(event.get("created"), "created") or (current.created if current else timezone.now())
    state = RowState(
        row_id=row_id,
        created=created,
        span_id=span_id,
        root_span_id=root_span_id or span_id,
        span_parents=span_parents or None,
        data=payload,
        stored=current.stored if current else None,
    )
    return state


def _lock_rows(target: EventTarget, row_ids: set[str]) -> dict[str, RowState]:
    rows = EventRow.objects.select_for_update().filter(**target.row_filter(), row_id__in=row_ids)
    return {row.row_id: RowState.of(row) for row in rows}


def _trace_orders(target: EventTarget, states: list[RowState], xact_id: int) -> dict[str, int]:
    """The order of each trace the states belong to: the stored one for a trace that exists, a new one
    (this transaction, the position of its first row here) for a trace that begins now."""
    roots = {state.root_span_id for state in states}
    moving = [state.row_id for state in states if state.stored is not None and state.stored.root_span_id != state.root_span_id]
    stored = EventRow.objects.filter(**target.row_filter(), root_span_id__in=roots).exclude(row_id__in=moving)
    orders = dict(stored.values_list("root_span_id", "trace_order").distinct())
    for position, state in enumerate(states):
        orders.setdefault(state.root_span_id, xact_id * _TRACE_ORDER_STRIDE + position)
    return orders


def _update_rows(rows: list[EventRow]) -> None:
    """Save the state fields of existing rows with one prepared UPDATE run for every row.

    ``bulk_update`` builds one CASE expression per field over the whole batch, which costs more than the
    write itself at the batch sizes clients send; the values go through each field's own preparation,
    exactly as ``save(update_fields=...)`` would.
    """
    if not rows:
        return
    fields = [EventRow._meta.get_field(name) for name in _STATE_FIELDS]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    sql = f"UPDATE {quote(EventRow._meta.db_table)} SET {assignments} WHERE {quote('id')} = %s"  # noqa: S608 (names from model metadata)
    params = [[field.get_db_prep_save(getattr(row, field.attname), connection) for field in fields] + [row.pk] for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _store(target: EventTarget, states: list[RowState]) -> int | None:
    """Write each state as the row's current state and as a new version, in a new transaction id."""
    if not states:
        return None
    xact = Transaction.objects.create()
    orders = _trace_orders(target, states, xact.pk)
    new_rows, changed_rows = [], []
    for state in states:
        data = {**state.data, "span_parents": state.span_parents}
        values = {
            "xact_id": xact.pk,
            "created": state.created,
            "span_id": state.span_id,
            "root_span_id": state.root_span_id,
            "is_root": not state.span_parents,
            "data": data,
            "is_deleted": state.is_deleted,
            "trace_order": orders[state.root_span_id],
        }
        if state.stored is None:
            state.stored = EventRow(project=target.project, row_id=state.row_id, **target.row_filter(), **values)
            new_rows.append(state.stored)
        else:
            for name, value in values.items():
                setattr(state.stored, name, value)
            changed_rows.append(state.stored)
    EventRow.objects.bulk_create(new_rows)
    _update_rows(changed_rows)
    EventVersion.objects.bulk_create(
        EventVersion(
            first_id=state.stored.pk,
            row_id=state.row_id,
            **target.row_filter(),
            **{
                name: getattr(state.stored, name)
                for name in ("xact_id", "created", "span_id", "root_span_id", "is_root", "data", "is_deleted")
            },
        )
        for state in states
    )
    rows = [state.stored for state in states]
    EventTag.objects.filter(row__in=rows).delete()
    EventTag.objects.bulk_create(
        EventTag(row=row, tag=tag) for row in rows if not row.is_deleted for tag in dict.fromkeys(row.data.get("tags") or ())
    )
    return xact.pk


@transaction.atomic
def record_feedback(*, actor, target: EventTarget, items: list) -> None:
    """Feedback on rows: kept as history, and applied to each row as a new version.

    Scores are merged into the row's scores, ``expected`` replaces the row's, tags are added, and a
    comment is appended to the row's ``comments``. ``metadata`` describes the feedback itself (who
    reviewed, from where), not the row, so it is kept in the history only, as Braintrust's API documents.
    A row id that does not exist refuses the whole request (400) and nothing is written.
    """
    require(actor, "update", target.node)
    items = validate_feedback(target.kind, items)
    states = _lock_rows(target, {item["id"] for item in items})
    missing = sorted({item["id"] for item in items if item["id"] not in states or states[item["id"]].is_deleted})
    if missing:
        raise ValidationError(f"No rows with these ids: {', '.join(missing)}.")
    now = timezone.now()
    for item in items:
        state = states[item["id"]]
        if item.get("scores"):
            state.data["scores"] = {**(state.data.get("scores") or {}), **item["scores"]}
        if "expected" in item:
            state.data["expected"] = item["expected"]
        if item.get("tags"):
            state.data["tags"] = list(dict.fromkeys([*(state.data.get("tags") or []), *item["tags"]]))
        if item.get("comment"):
            comment = {"id": str(uuid.uuid4()), "created": now.isoformat(), "comment": item["comment"], "user_id": str(actor.pk)}
            state.data["comments"] = [*(state.data.get("comments") or []), comment]
    xact_id = _store(target, [states[row_id] for row_id in dict.fromkeys(item["id"] for item in items)])
    EventFeedback.objects.bulk_create(
        EventFeedback(
            **target.row_filter(),
            row_id=item["id"],
            xact_id=xact_id,
            scores=item.get("scores"),
            expected=item.get("expected"),
            comment=item.get("comment") or "",
            metadata=item.get("metadata"),
            tags=item.get("tags"),
            source=item.get("source") or EventFeedback.Source.EXTERNAL,
            created_by=actor,
            created=now,
        )
        for item in items
    )


@dataclass
class TargetWrites:
    """What one request writes into one object: rows to insert (first) and feedback on rows (then)."""

    target: EventTarget
    events: list[dict] = field(default_factory=list)
    feedback: list[dict] = field(default_factory=list)


def write_batch(*, actor, writes: list[TargetWrites]) -> list[list[str]]:
    """Rows and feedback for several objects in one transaction, through the same writes as one object's;
    answers the row ids of each write's events (as :func:`insert_events` does), in the order of `writes`.

    Every object is checked before anything is written, so a batch naming one object its writer may not
    update is refused whole (404 or 403, as for that object alone) and writes nothing; so does a batch
    with one invalid row.
    """
    for write in writes:
        require(actor, "update", write.target.node)
    row_ids: list[list[str]] = []
    with transaction.atomic():
        for write in writes:
            row_ids.append(insert_events(actor=actor, target=write.target, events=write.events) if write.events else [])
            if write.feedback:
                record_feedback(actor=actor, target=write.target, items=write.feedback)
    return row_ids


@dataclass(frozen=True)
class ComputedScores:
    """What scorers produced for one row: scores by name, and errors by scorer name."""

    scores: dict[str, float | None]
    errors: dict[str, str]


@transaction.atomic
def apply_computed_scores(*, target: EventTarget, results: dict[str, ComputedScores]) -> set[str]:
    """Merge scores computed after the fact (online scoring) into rows, as one new version. Scorer errors
    are kept under ``metadata.scoring_errors`` by scorer name. Answers the ids of the rows that still
    existed (a row deleted meanwhile is left deleted)."""
    states = {row_id: state for row_id, state in _lock_rows(target, set(results)).items() if not state.is_deleted}
    for row_id, state in states.items():
        outcome = results[row_id]
        if outcome.scores:
            state.data["scores"] = {**(state.data.get("scores") or {}), **outcome.scores}
        if outcome.errors:
            metadata = dict(state.data.get("metadata") or {})
            metadata["scoring_errors"] = {**(metadata.get("scoring_errors") or {}), **outcome.errors}
            state.data["metadata"] = metadata
    _store(target, list(states.values()))
    return set(states)
