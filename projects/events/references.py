"""Objects that inserted rows name: the object a row was copied from (``origin``) and the prompt a span
used (``metadata.prompt.id``, where Braintrust's SDKs record it).

A reference may cross projects inside the organization (production logs naming a prompt kept in another
project), but whoever writes it must be able to read what it names (docs/access-model.md, references across
projects). An object of another organization, a deleted one, or one the writer sees nothing of is refused
as if it did not exist (400); one the writer sees but may not read is refused with 403 naming read.
"""

from uuid import UUID

from permissions.engine.nodes import Node
from permissions.exceptions import ValidationError
from projects.events.targets import EventTarget
from projects.references import require_readable_reference

ORIGIN_TYPES = {
    "project_logs": "project_log",
    "experiment": "experiment",
    "dataset": "dataset",
    "prompt": "prompt",
    "function": "prompt",
    "prompt_session": "prompt_session",
}


def _uuid(value, where: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError as exc:
        raise ValidationError(f"{where} must be a UUID, not {value!r}.") from exc


def referenced_nodes(events: list[dict], what: str = "events") -> dict[Node, str]:
    """Every node the events name, with where the first mention is (for messages; `what` names the list)."""
    nodes: dict[Node, str] = {}
    for index, event in enumerate(events):
        origin = event.get("origin")
        if origin:
            where = f"{what}[{index}].origin"
            if not isinstance(origin.get("id"), str) or origin.get("object_type") not in ORIGIN_TYPES:
                raise ValidationError(f"{where} needs object_type (one of {', '.join(ORIGIN_TYPES)}), object_id and id.")
            node = Node(ORIGIN_TYPES[origin["object_type"]], _uuid(origin.get("object_id"), f"{where}.object_id"))
            nodes.setdefault(node, where)
        prompt = (event.get("metadata") or {}).get("prompt")
        if isinstance(prompt, dict) and prompt.get("id") is not None:
            where = f"{what}[{index}].metadata.prompt.id"
            nodes.setdefault(Node("prompt", _uuid(prompt["id"], where)), where)
    return nodes


def check_references(actor, target: EventTarget, events: list[dict]) -> None:
    """Refuse the batch if a row names an object its writer may not refer to (see the module docstring)."""
    for node, where in referenced_nodes(events, getattr(events, "where", "events")).items():
        require_readable_reference(
            actor=actor, org_id=target.org_id, node=node, missing_message=f"{where}: no {node.type} with id {node.id}."
        )
