"""Objects that inserted rows name: the object a row was copied from (``origin``) and the prompt a span
used (``metadata.prompt.id``, where Braintrust's SDKs record it).

A reference may cross projects inside the organization (production logs naming a prompt kept in another
project), but whoever writes it must be able to read what it names (ACCESS_MODEL.md, references across
projects). An object of another organization, a deleted one, or one the writer sees nothing of is refused
as if it did not exist (400); one the writer sees but may not read is refused with 403 naming read.
"""

from uuid import UUID

from permissions.engine import permissions_on
from permissions.engine.nodes import Node, model_for_type
from permissions.exceptions import AccessDenied, ValidationError
from permissions.grants import resolve_chain
from projects.events.targets import EventTarget

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


def referenced_nodes(events: list[dict]) -> dict[Node, str]:
    """Every node the events name, with where the first mention is (for messages)."""
    nodes: dict[Node, str] = {}
    for index, event in enumerate(events):
        origin = event.get("origin")
        if origin:
            where = f"events[{index}].origin"
            if not isinstance(origin.get("id"), str) or origin.get("object_type") not in ORIGIN_TYPES:
                raise ValidationError(f"{where} needs object_type (one of {', '.join(ORIGIN_TYPES)}), object_id and id.")
            node = Node(ORIGIN_TYPES[origin["object_type"]], _uuid(origin.get("object_id"), f"{where}.object_id"))
            nodes.setdefault(node, where)
        prompt = (event.get("metadata") or {}).get("prompt")
        if isinstance(prompt, dict) and prompt.get("id") is not None:
            where = f"events[{index}].metadata.prompt.id"
            nodes.setdefault(Node("prompt", _uuid(prompt["id"], where)), where)
    return nodes


def _alive(node: Node) -> bool:
    """Soft-deleted objects (and the logs of a deleted project) are gone for new references."""
    anchor = "project" if node.type == "project_log" else node.type
    model = model_for_type(anchor)
    return model._base_manager.filter(pk=node.id, deleted_at__isnull=True).exists()


def check_references(actor, target: EventTarget, events: list[dict]) -> None:
    """Refuse the batch if a row names an object its writer may not reference (see the module docstring)."""
    for node, where in referenced_nodes(events).items():
        chain = resolve_chain(node)
        missing = ValidationError(f"{where}: no {node.type} with id {node.id}.")
        if chain is None or chain[-1].id != target.org_id or not _alive(node):
            raise missing
        held = permissions_on(actor, node)
        if "read" not in held:
            if held - {"create"}:
                raise AccessDenied("read", node.type, f"{where}: you need the 'read' permission on this {node.type} to reference it.")
            raise missing
