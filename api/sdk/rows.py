"""The rows Braintrust's SDK sends to ``/logs3``, parsed into what each object's own writes take.

Each row names its destination: ``experiment_id``, ``dataset_id``, or ``project_id`` with ``log_id: "g"``
(the project's logs). Three shapes arrive:

* a span or a dataset record: inserted, replaced, merged (``_is_merge``) or deleted (``_object_delete``),
  exactly as an event of ``POST /v1/.../insert``;
* feedback (``log_feedback``): a merge that carries ``_audit_source`` and ``_audit_metadata`` and only
  ``scores``, ``expected`` and ``tags``, applied as an item of ``POST /v1/.../feedback``: the metadata
  describes the review and goes to the row's feedback history, not into the row;
* a comment: ``{id, origin: {id}, comment: {text}}``, a feedback item that appends to ``origin.id``'s
  comments.

The SDK merges rows with the same id before sending, so feedback on a span logged in the same flush
arrives inside the span's own row; its ``_audit_*`` fields are then kept as a history entry after the
row is written. Nothing here writes: :func:`projects.events.writes.write_batch` does, after the view has
checked update on every object the rows name.
"""

from typing import Any
from uuid import UUID

from permissions.exceptions import NotFound, ValidationError
from projects.events.targets import live_targets
from projects.events.validation import MAX_EVENTS, CheckedEvents, validate_event, validate_feedback_item
from projects.events.writes import TargetWrites
from projects.models import ObjectKind

# Which field names which kind of object.
DESTINATION_FIELDS = {"experiment_id": ObjectKind.EXPERIMENT, "dataset_id": ObjectKind.DATASET, "project_id": ObjectKind.PROJECT_LOGS}
PROJECT_LOGS_LOG_ID = "g"
_ROUTING_FIELDS = frozenset({*DESTINATION_FIELDS, "log_id", "org_id"})
_AUDIT_FIELDS = ("_audit_source", "_audit_metadata")
_FEEDBACK_DATA_FIELDS = frozenset({"scores", "expected", "tags"})
# Routing names for what this server does not store, answered with a clear refusal.
_UNSUPPORTED_DESTINATIONS = {"prompt_session_id": "playground logs", "function_data": "function rows"}


def _fail(index: int, field: str, message: str):
    raise ValidationError(f"rows[{index}].{field}: {message}")


def _destination(index: int, row: dict) -> tuple[str, UUID]:
    """The (kind, object id) a row names; exactly one destination."""
    for field, what in _UNSUPPORTED_DESTINATIONS.items():
        if field in row:
            _fail(index, field, f"{what} are not stored by this server.")
    named = [field for field in DESTINATION_FIELDS if row.get(field) is not None]
    if named == ["project_id"] and row.get("log_id") != PROJECT_LOGS_LOG_ID:
        _fail(index, "log_id", f'must be "{PROJECT_LOGS_LOG_ID}" (the project\'s logs) with project_id.')
    if len(named) != 1:
        if not named:
            raise ValidationError(f"rows[{index}]: name the destination with experiment_id, dataset_id, or project_id and log_id.")
        _fail(index, named[1], f"a row has one destination, not {' and '.join(named)}.")
    field = named[0]
    try:
        return DESTINATION_FIELDS[field], UUID(str(row[field]))
    except ValueError:
        _fail(index, field, f"must be a UUID, not {row[field]!r}.")


def _feedback_item(row: dict) -> dict:
    """A feedback or comment row as an item of ``/feedback``."""
    item: dict[str, Any] = {"source": row.get("_audit_source")}
    if row.get("_audit_metadata") is not None:
        item["metadata"] = row["_audit_metadata"]
    if "comment" in row:
        origin, comment = row.get("origin"), row.get("comment")
        item["id"] = origin.get("id") if isinstance(origin, dict) else None
        item["comment"] = comment.get("text") if isinstance(comment, dict) else comment
    else:
        item["id"] = row.get("id")
        item.update({name: row[name] for name in _FEEDBACK_DATA_FIELDS if name in row})
    return item


def _is_feedback(row: dict) -> bool:
    if "comment" in row:
        return True
    data = set(row) - _ROUTING_FIELDS - {"id", "_is_merge", *_AUDIT_FIELDS}
    return "_audit_source" in row and row.get("_is_merge") is True and data <= _FEEDBACK_DATA_FIELDS


def _check_comment(index: int, row: dict) -> None:
    origin, comment = row.get("origin"), row.get("comment")
    if not isinstance(origin, dict) or not isinstance(origin.get("id"), str):
        _fail(index, "origin", "a comment needs origin.id, the id of the row it is about.")
    if not isinstance(comment, dict) or not isinstance(comment.get("text"), str):
        _fail(index, "comment", 'must be {"text": "..."}.')


def _row_writes(index: int, kind: str, row: dict) -> list[tuple[dict, bool]]:
    """What one row asks for: (an event to insert, False) or (a feedback item, True), checked."""
    if _is_feedback(row):
        if "comment" in row:
            _check_comment(index, row)
        return [(validate_feedback_item(kind, _feedback_item(row), index=index, what="rows"), True)]
    event = {name: value for name, value in row.items() if name not in _ROUTING_FIELDS and name not in _AUDIT_FIELDS}
    writes = [(validate_event(kind, event, index=index, what="rows"), False)]
    if event.get("id") and any(row.get(name) is not None for name in _AUDIT_FIELDS):
        history = {"id": event["id"], "source": row.get("_audit_source"), "metadata": row.get("_audit_metadata")}
        writes.append((validate_feedback_item(kind, history, index=index, what="rows"), True))
    return writes


def parse_rows(rows: Any, *, org_id: UUID) -> list[TargetWrites]:
    """The writes the rows ask for, one per object in the order first named.

    Every row is checked before anything is written; a refusal names the row's position (``rows[3]``)
    and the field. A destination that does not exist in the organization, or is deleted, is "not found".
    """
    if not isinstance(rows, list):
        raise ValidationError("rows must be a list.")
    if len(rows) > MAX_EVENTS:
        raise ValidationError(f"Send at most {MAX_EVENTS} rows at a time.")
    parsed: list[tuple[tuple[str, UUID], dict, bool]] = []
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise ValidationError(f"rows[{index}] must be a JSON object.")
        destination = _destination(index, row)
        parsed.extend((destination, item, is_feedback) for item, is_feedback in _row_writes(index, destination[0], row))
    targets = live_targets(org_id, {destination for destination, _, _ in parsed})
    writes: dict[tuple[str, UUID], TargetWrites] = {}
    for destination, item, is_feedback in parsed:
        target = targets.get(destination)
        if target is None:
            kind, object_id = destination
            raise NotFound("project" if kind == ObjectKind.PROJECT_LOGS else kind, object_id)
        write = writes.setdefault(destination, TargetWrites(target, events=CheckedEvents(target.kind)))
        (write.feedback if is_feedback else write.events).append(item)
    return list(writes.values())
