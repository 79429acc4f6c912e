"""The shape of inserted events and feedback items, checked before anything is written.

Every problem is reported with the position of the item and the field, so that a client sending a batch
learns which row was refused; one refused item refuses the whole batch.
"""

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from numbers import Real
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from permissions.exceptions import ValidationError
from projects.models import ObjectKind

ROW_CONTROL_FIELDS = frozenset(
    {
        "id",
        "created",
        "_object_delete",
        "_is_merge",
        "_merge_paths",
        "_array_delete",
        "_parent_id",
        "span_id",
        "root_span_id",
        "span_parents",
    }
)
SPAN_DATA_FIELDS = frozenset(
    {"input", "output", "expected", "error", "scores", "metadata", "tags", "metrics", "context", "span_attributes", "origin", "facets"}
)
DATASET_DATA_FIELDS = frozenset({"input", "expected", "metadata", "tags", "origin", "facets"})
FEEDBACK_FIELDS = frozenset({"id", "scores", "expected", "comment", "metadata", "source", "tags"})
DATASET_FEEDBACK_FIELDS = frozenset({"id", "comment", "metadata", "source", "tags"})  # test cases carry no scores
FEEDBACK_SOURCES = ("app", "api", "external")
MAX_ID_LENGTH = 255
MAX_EVENTS = 10_000


def data_fields(kind: str) -> frozenset[str]:
    """The fields a row of `kind` stores (datasets hold test cases: no outputs, scores or metrics)."""
    return DATASET_DATA_FIELDS if kind == ObjectKind.DATASET else SPAN_DATA_FIELDS


class _Item:
    """Checks on one item of a batch; errors name the item's position and the field."""

    def __init__(self, index: int, item: Any, what: str) -> None:
        if not isinstance(item, dict):
            raise ValidationError(f"{what}[{index}] must be a JSON object.")
        self.index, self.item, self.what = index, item, what

    def fail(self, field: str, message: str):
        raise ValidationError(f"{self.what}[{self.index}].{field}: {message}")

    def string(self, field: str, *, max_length: int = MAX_ID_LENGTH) -> None:
        value = self.item.get(field)
        if value is not None and (not isinstance(value, str) or not value or len(value) > max_length):
            self.fail(field, f"must be a non-empty string of at most {max_length} characters.")

    def boolean(self, field: str) -> None:
        if self.item.get(field) is not None and not isinstance(self.item[field], bool):
            self.fail(field, "must be true, false or null.")

    def mapping(self, field: str) -> dict | None:
        value = self.item.get(field)
        if value is not None and not isinstance(value, dict):
            self.fail(field, "must be a JSON object or null.")
        return value

    def strings(self, field: str) -> None:
        value = self.item.get(field)
        if value is None:
            return
        if not isinstance(value, list) or not all(isinstance(v, str) and 0 < len(v) <= MAX_ID_LENGTH for v in value):
            self.fail(field, "must be a list of non-empty strings.")

    def scores(self) -> None:
        for name, score in (self.mapping("scores") or {}).items():
            if score is not None and (isinstance(score, bool) or not isinstance(score, Real) or not 0 <= score <= 1):
                self.fail(f"scores.{name}", f"must be a number from 0 to 1 or null, not {score!r}.")

    def metrics(self) -> None:
        for name, value in (self.mapping("metrics") or {}).items():
            if name.startswith("caller_"):
                continue  # deprecated, free-form
            if value is not None and (isinstance(value, bool) or not isinstance(value, Real)):
                self.fail(f"metrics.{name}", f"must be a number or null, not {value!r}.")

    def facets(self) -> None:
        for name, value in (self.mapping("facets") or {}).items():
            if value is not None and not isinstance(value, str):
                self.fail(f"facets.{name}", "must be a string or null.")


def parse_created(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise ValidationError(f"{where}: must be an ISO 8601 date and time, not {value!r}.")
    return parsed.replace(tzinfo=UTC) if timezone.is_naive(parsed) else parsed


class CheckedEvents(list):
    """Events of one kind of object, each already checked by :func:`validate_event` by the parser that
    read them (which names a refusal its own way, e.g. ``rows[3]``), so that the insert does not check
    them a second time. `where` is how the request names the list, when its positions are the request's
    own (``experiment.<id>.events``), so that what the insert refuses later is named the same way."""

    def __init__(self, kind: str, events: Iterable[dict] = (), *, where: str = "events") -> None:
        super().__init__(events)
        self.kind = kind
        self.where = where


def _validate_batch(kind: str, items: Any, check_item: Callable[..., dict], *, not_a_list: str, too_many: str) -> list[dict]:
    """`items`, a list of at most MAX_EVENTS items each checked by `check_item`; a refusal names the first
    problem found, the batch's own (`not_a_list`, `too_many`) before any item's."""
    if not isinstance(items, list):
        raise ValidationError(not_a_list)
    if len(items) > MAX_EVENTS:
        raise ValidationError(too_many)
    for index, item in enumerate(items):
        check_item(kind, item, index=index)
    return items


def validate_events(kind: str, events: Any) -> list[dict]:
    """The events of an insert request, checked; a refusal names the first problem found."""
    if isinstance(events, CheckedEvents) and events.kind == kind and len(events) <= MAX_EVENTS:
        return events
    return _validate_batch(
        kind, events, validate_event, not_a_list="events must be a list.", too_many=f"Insert at most {MAX_EVENTS} events at a time."
    )


def validate_event(kind: str, event: Any, *, index: int, what: str = "events") -> dict:
    """One event to insert, checked; a refusal names it as ``what[index]`` and the field."""
    item = _Item(index, event, what)
    unknown = sorted(set(event) - (data_fields(kind) | ROW_CONTROL_FIELDS))
    if unknown:
        item.fail(unknown[0], "unknown field.")
    for field in ("id", "_parent_id", "span_id", "root_span_id"):
        item.string(field)
    for field in ("_object_delete", "_is_merge"):
        item.boolean(field)
    for field in ("metadata", "context", "span_attributes", "origin"):
        item.mapping(field)
    item.strings("tags")
    item.strings("span_parents")
    item.scores()
    item.metrics()
    item.facets()
    _check_merge_controls(item)
    parse_created(event.get("created"), f"{what}[{index}].created")
    if event.get("_parent_id") and (event.get("span_parents") or event.get("root_span_id")):
        item.fail("_parent_id", "pass either _parent_id or span_parents and root_span_id, not both.")
    return event


def _check_merge_controls(item: _Item) -> None:
    paths = item.item.get("_merge_paths")
    if paths is not None and (
        not isinstance(paths, list) or not all(isinstance(p, list) and p and all(isinstance(k, str) for k in p) for p in paths)
    ):
        item.fail("_merge_paths", "must be a list of paths, each a non-empty list of field names.")
    deletions = item.item.get("_array_delete")
    if deletions is None:
        return
    if not isinstance(deletions, list):
        item.fail("_array_delete", "must be a list of {path, delete} objects.")
    for position, deletion in enumerate(deletions):
        path = deletion.get("path") if isinstance(deletion, dict) else None
        if not (
            isinstance(deletion, dict)
            and set(deletion) == {"path", "delete"}
            and isinstance(path, list)
            and path
            and all(isinstance(k, str) for k in path)
            and isinstance(deletion["delete"], list)
        ):
            item.fail(f"_array_delete[{position}]", 'must be {"path": [field, ...], "delete": [value, ...]}.')


def validate_feedback(kind: str, items: Any) -> list[dict]:
    """The items of a feedback request on rows of `kind`, checked."""
    too_many = f"Send at most {MAX_EVENTS} feedback items at a time."
    return _validate_batch(kind, items, validate_feedback_item, not_a_list="feedback must be a list.", too_many=too_many)


def validate_feedback_item(kind: str, feedback: Any, *, index: int, what: str = "feedback") -> dict:
    """One feedback item, checked; a refusal names it as ``what[index]`` and the field."""
    item = _Item(index, feedback, what)
    unknown = sorted(set(feedback) - (DATASET_FEEDBACK_FIELDS if kind == ObjectKind.DATASET else FEEDBACK_FIELDS))
    if unknown:
        item.fail(unknown[0], "unknown field.")
    if not feedback.get("id"):
        item.fail("id", "is required: the id of the row the feedback is about.")
    item.string("id")
    item.scores()
    item.mapping("metadata")
    item.strings("tags")
    if feedback.get("comment") is not None and not isinstance(feedback["comment"], str):
        item.fail("comment", "must be a string or null.")
    if feedback.get("source") is not None and feedback["source"] not in FEEDBACK_SOURCES:
        item.fail("source", f"must be one of {', '.join(FEEDBACK_SOURCES)}.")
    return feedback
