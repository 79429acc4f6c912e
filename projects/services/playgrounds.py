"""Playgrounds (``prompt_session`` in the access model): creating, changing and deleting them.

A playground uses prompts, which may belong to other projects of its organization (docs/access-model.md,
references across projects): whoever adds a prompt must be able to read it. A prompt of another
organization, a deleted one, or one the actor sees nothing of is refused as if it did not exist; one the
actor sees but may not read is refused naming read. Removing a prompt needs only update on the playground.
"""

from collections.abc import Iterable
from uuid import UUID

from django.db import IntegrityError, transaction

from accounts.models import Organization
from permissions.audit import record_event
from permissions.engine.guards import require, require_create
from permissions.engine.nodes import Node
from permissions.exceptions import NotFound, ValidationError
from projects.models import Project, Prompt, PromptSession
from projects.services.objects import locked_live, object_create, object_delete
from projects.services.prompts import require_readable_reference


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 255:
        raise ValidationError("A playground needs a name of 1 to 255 characters.")
    return name


def readable_prompts(*, actor, org: Organization, prompt_ids: Iterable[UUID]) -> list[Prompt]:
    """The prompts `prompt_ids` name, each one the actor may read, of live projects of `org`."""
    wanted = list(dict.fromkeys(UUID(str(pk)) for pk in prompt_ids))
    found = {
        prompt.pk: prompt
        for prompt in Prompt.objects.filter(pk__in=wanted, project__org=org, deleted_at__isnull=True, project__deleted_at__isnull=True)
    }
    for pk in wanted:
        if pk not in found:
            raise ValidationError(f"No prompt with id {pk} was found.")
        require_readable_reference(actor=actor, org=org, node=Node("prompt", pk))
    return [found[pk] for pk in wanted]


def playground_prompt_ids(playground: PromptSession) -> list[UUID]:
    """The ids of the live prompts `playground` uses, in a stable order."""
    live = playground.prompts.filter(deleted_at__isnull=True, project__deleted_at__isnull=True)
    return sorted(live.values_list("pk", flat=True), key=str)


def _state(playground: PromptSession, prompt_ids: Iterable[UUID]) -> dict:
    return {"name": playground.name, "description": playground.description, "prompt_ids": sorted(str(pk) for pk in prompt_ids)}


@transaction.atomic
def playground_create(
    *, actor, project: Project, name: str, description: str | None = None, prompt_ids: Iterable[UUID] = ()
) -> PromptSession:
    """Create a playground in `project` (create on a new prompt_session under it) using `prompt_ids`."""
    require_create(actor, "prompt_session", project)
    prompts = readable_prompts(actor=actor, org=project.org, prompt_ids=prompt_ids)
    playground = object_create(
        actor=actor, project=project, object_type="prompt_session", name=_clean_name(name), description=description or ""
    )
    playground.prompts.set(prompts)
    return playground


@transaction.atomic
def playground_update(
    *,
    actor,
    playground: PromptSession,
    name: str | None = None,
    description: str | None = None,
    prompt_ids: Iterable[UUID] | None = None,
) -> PromptSession:
    """Rename, describe, or set the prompts of `playground` (None leaves a field as it is). Needs update on it;
    each prompt added needs read on that prompt."""
    require(actor, "update", playground)
    playground = locked_live(PromptSession, playground.pk)
    if playground is None:
        raise NotFound("prompt_session", None)
    linked = set(playground.prompts.values_list("pk", flat=True))
    before = _state(playground, playground_prompt_ids(playground))
    if name is not None:
        playground.name = _clean_name(name)
        taken = PromptSession.objects.alive().filter(project_id=playground.project_id, name=playground.name).exclude(pk=playground.pk)
        if taken.exists():
            raise ValidationError(f"A playground named {playground.name!r} already exists in this project.")
    if description is not None:
        playground.description = description
    try:
        with transaction.atomic():
            playground.save(update_fields=["name", "description"])
    except IntegrityError as exc:
        raise ValidationError(f"A playground named {playground.name!r} already exists in this project.") from exc
    if prompt_ids is not None:
        wanted = list(dict.fromkeys(UUID(str(pk)) for pk in prompt_ids))
        added = readable_prompts(actor=actor, org=playground.project.org, prompt_ids=[pk for pk in wanted if pk not in linked])
        playground.prompts.remove(*(linked - set(wanted)))
        playground.prompts.add(*added)
    after = _state(playground, playground_prompt_ids(playground))
    if after != before:
        record_event(actor=actor, org=playground.project.org, action="prompt_session.update", target=playground, before=before, after=after)
    return playground


def playground_delete(*, actor, playground: PromptSession) -> PromptSession:
    """Soft delete: the playground leaves lists and its name is free again; its grants stay stored."""
    return object_delete(actor=actor, obj=playground)
