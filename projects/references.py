"""References across projects: the one rule for an object (or a row) that names another object.

docs/access-model.md: references are allowed across projects inside one organization; whoever creates or
changes the referencing object must be able to read the referenced one; a reference to another
organization's object is refused as if the object did not exist. Deleted objects (and the contents of
deleted projects) are gone for new references too.

So: missing, deleted, another organization's, or seen not at all → a 400 saying there is no such object
(the answer tells nothing about what the actor cannot see); seen but not readable → 403 naming read.
Experiment links, online scorers, project settings, function origins, playground prompts and the objects
rows name all go through :func:`require_readable_reference`.
"""

from uuid import UUID

from django.db import models

from permissions.engine import permissions_on
from permissions.engine.nodes import Node
from permissions.exceptions import AccessDenied, ValidationError
from permissions.grants import resolve_chain
from projects.models import Dataset, Experiment, Project, Prompt, PromptSession

# The model whose live row a node of each type needs (a project's logs live as long as the project).
_ROWS: dict[str, type[models.Model]] = {
    "project": Project,
    "project_log": Project,
    "experiment": Experiment,
    "dataset": Dataset,
    "prompt": Prompt,
    "prompt_session": PromptSession,
}


def _alive(node: Node) -> bool:
    model = _ROWS.get(node.type)
    if model is None:
        return True
    rows = model._base_manager.filter(pk=node.id, deleted_at__isnull=True)
    if model is not Project:
        rows = rows.filter(project__deleted_at__isnull=True)
    return rows.exists()


def require_readable_reference(*, actor, org_id: UUID, node: Node, where: str | None = None, missing_message: str | None = None) -> None:
    """Refuse unless `actor` may name `node` from inside the organization `org_id` (see the module).
    `where` (a field, a path in a body) starts both refusals' messages."""
    prefix = f"{where}: " if where else ""
    missing = ValidationError(missing_message or f"{prefix}No {node.type} with id {node.id} was found.")
    chain = resolve_chain(node)
    if chain is None or chain[-1].id != org_id or not _alive(node):
        raise missing
    held = permissions_on(actor, node)
    if "read" in held:
        return
    if held - {"create"}:
        message = f"{prefix}You need the 'read' permission on the {node.type} {node.id} to refer to it."
        raise AccessDenied("read", node.type, message, node=node)
    raise missing


def readable_object(
    *, actor, org_id: UUID, model: type[models.Model], object_id, missing_message: str, where: str | None = None
) -> models.Model:
    """The row of `model` that `object_id` names, once :func:`require_readable_reference` allows it; an id
    that is not a UUID is the same "no such object" refusal."""
    try:
        pk = object_id if isinstance(object_id, UUID) else UUID(str(object_id))
    except ValueError:
        raise ValidationError(missing_message) from None
    node = Node(model.acl_object_type, pk)
    require_readable_reference(actor=actor, org_id=org_id, node=node, where=where, missing_message=missing_message)
    return model._base_manager.get(pk=pk)
