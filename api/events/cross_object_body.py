"""The body of ``POST /v1/insert``, parsed into what each object's own writes take.

Braintrust's ``CrossObjectInsertRequest`` maps each kind of object (``experiment``, ``dataset``,
``project_logs``) to a mapping from object id (the project's id for its logs) to ``{events, feedback}``:
events exactly as ``POST /v1/<kind>/<id>/insert`` takes them, feedback items exactly as
``POST /v1/<kind>/<id>/feedback`` does. Every part is checked before anything is written, and a refusal
names where the problem is by its path in the body (``experiment.<id>.events[2].scores.accuracy``), so a
client sending many objects at once learns which item of which object was refused.

Nothing here writes: :func:`projects.events.writes.write_batch` does, after the view has checked update
on every object the body names.
"""

from typing import Any
from uuid import UUID

from permissions.exceptions import NotFound, ValidationError
from projects.events.targets import live_targets
from projects.events.validation import MAX_EVENTS, CheckedEvents, validate_event, validate_feedback_item
from projects.events.writes import TargetWrites
from projects.models import ObjectKind

# The body's keys, in the order the answer gives them, and the kind of object each names.
KINDS = {"experiment": ObjectKind.EXPERIMENT, "dataset": ObjectKind.DATASET, "project_logs": ObjectKind.PROJECT_LOGS}
ENTRY_FIELDS = ("events", "feedback")
# What a missing object of each kind is reported as (the logs of a missing project: the project).
# How much of a key that is not an id a refusal repeats.
_KEY_SHOWN = 60
_MISSING_AS = {ObjectKind.EXPERIMENT: "experiment", ObjectKind.DATASET: "dataset", ObjectKind.PROJECT_LOGS: "project"}


def _object_id(key: str, where: str) -> UUID:
    try:
        return UUID(key)
    except ValueError:
        shown = key if len(key) <= _KEY_SHOWN else f"{key[:_KEY_SHOWN]}…"
        raise ValidationError(f"{where}: {shown!r} is not an id: the keys of {where} are {_id_words(where)}.") from None


def _id_words(name: str) -> str:
    return "project ids (the projects whose logs to write)" if name == "project_logs" else f"{name} ids"


def _mapping(value: Any, where: str) -> dict:
    """`value`, a JSON object or null (read as empty)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError(f"{where}: must be a JSON object or null.")
    return value


def _items(value: Any, where: str) -> list:
    """`value`, a list or null (read as empty)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValidationError(f"{where}: must be a list or null.")
    return value


def _parse_entry(kind: str, entry: Any, where: str) -> tuple[CheckedEvents, list[dict]]:
    """The events and feedback items of one object's ``{events, feedback}``, each checked."""
    entry = _mapping(entry, where)
    unknown = sorted(set(entry) - set(ENTRY_FIELDS))
    if unknown:
        raise ValidationError(f"{where}.{unknown[0]}: unknown field (each object takes events and feedback).")
    events = _items(entry.get("events"), f"{where}.events")
    feedback = _items(entry.get("feedback"), f"{where}.feedback")
    checked_events = CheckedEvents(
        kind,
        (validate_event(kind, event, index=index, what=f"{where}.events") for index, event in enumerate(events)),
        where=f"{where}.events",
    )
    checked_feedback = [validate_feedback_item(kind, item, index=index, what=f"{where}.feedback") for index, item in enumerate(feedback)]
    return checked_events, checked_feedback


def _count(body: dict) -> int:
    """How many events and feedback items the body holds, counted before any is checked."""
    total = 0
    for name in KINDS:
        objects = body.get(name)
        for entry in objects.values() if isinstance(objects, dict) else ():
            if isinstance(entry, dict):
                total += sum(len(entry[field]) for field in ENTRY_FIELDS if isinstance(entry.get(field), list))
    return total


def parse_cross_object_body(body: Any, *, org_id: UUID) -> list[tuple[str, str, TargetWrites]]:
    """What the body asks to write: (the body's kind key, the id as sent, the object's writes), one per
    object named, in the body's order.

    Every event and feedback item is checked before anything is written; an object that does not exist in
    the organization, or is deleted, is "not found", as it is for its own insert.
    """
    body = _mapping(body, "The request body")
    unknown = sorted(set(body) - set(KINDS))
    if unknown:
        raise ValidationError(f"{unknown[0]}: unknown field (the body takes {', '.join(KINDS)}).")
    if _count(body) > MAX_EVENTS:
        raise ValidationError(f"Send at most {MAX_EVENTS} events and feedback items at a time.")
    parsed: list[tuple[str, str, tuple[str, UUID], CheckedEvents, list[dict]]] = []
    for name, kind in KINDS.items():
        seen: dict[UUID, str] = {}
        for key, entry in _mapping(body.get(name), name).items():
            object_id = _object_id(key, name)
            if object_id in seen:
                raise ValidationError(f"{name}: {seen[object_id]!r} and {key!r} name the same object; name it once.")
            seen[object_id] = key
            events, feedback = _parse_entry(kind, entry, f"{name}.{key}")
            parsed.append((name, key, (kind, object_id), events, feedback))
    targets = live_targets(org_id, {destination for _, _, destination, _, _ in parsed})
    writes = []
    for name, key, destination, events, feedback in parsed:
        target = targets.get(destination)
        if target is None:
            kind, object_id = destination
            raise NotFound(_MISSING_AS[kind], object_id)
        writes.append((name, key, TargetWrites(target, events=events, feedback=feedback)))
    return writes
