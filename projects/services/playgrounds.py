"""Playgrounds (``prompt_session`` in the access model): creating, changing and deleting them.

A playground uses prompts, which may belong to other projects of its organization (docs/access-model.md,
references across projects): whoever adds a prompt must be able to read it. A prompt of another
organization, a deleted one, or one the actor sees nothing of is refused as if it did not exist; one the
actor sees but may not read is refused naming read. Removing a prompt needs only update on the playground.
The dataset a playground tries its prompts on is a reference of the same kind: choosing it needs read on it.
"""

from collections.abc import Iterable
from uuid import UUID

from django.db import IntegrityError, transaction

from accounts.models import Organization
from permissions.audit import record_event
from permissions.audit_states import sorted_ids
from permissions.engine.guards import require, require_create
from permissions.engine.nodes import Node
from permissions.exceptions import NotFound, ValidationError
from projects.models import Dataset, Project, Prompt, PromptSession
from projects.references import readable_object
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


def readable_dataset(*, actor, org: Organization, dataset_id: UUID | str) -> Dataset:
    """The live dataset `dataset_id` names, of a live project of `org`, if the actor may read it."""
    return readable_object(
        actor=actor,
        org_id=org.pk,
        model=Dataset,
        object_id=dataset_id,
        where="dataset_id",
        missing_message=f"dataset_id: No dataset with id {dataset_id} was found.",
    )


def _state(playground: PromptSession, prompt_ids: Iterable[UUID]) -> dict:
    return {
        "name": playground.name,
        "description": playground.description,
        "prompt_ids": sorted_ids(prompt_ids),
        "dataset_id": str(playground.dataset_id) if playground.dataset_id else None,
    }


@transaction.atomic
def playground_create(
    *,
    actor,
    project: Project,
    name: str,
    description: str | None = None,
    prompt_ids: Iterable[UUID] = (),
    dataset_id: UUID | None = None,
) -> PromptSession:
    """Create a playground in `project` (create on a new prompt_session under it) using `prompt_ids`, and
    trying them on the dataset `dataset_id` (read on each)."""
    require_create(actor, "prompt_session", project)
    prompts = readable_prompts(actor=actor, org=project.org, prompt_ids=prompt_ids)
    dataset = readable_dataset(actor=actor, org=project.org, dataset_id=dataset_id) if dataset_id is not None else None
    playground = object_create(
        actor=actor, project=project, object_type="prompt_session", name=_clean_name(name), description=description or "", dataset=dataset
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
    dataset_id: UUID | str | None = None,
    clear_dataset: bool = False,
) -> PromptSession:
    """Rename, describe, or set the prompts of `playground`, or choose the dataset it tries them on (None
    leaves a field as it is; `clear_dataset` leaves it without a dataset). Needs update on it; each prompt
    added, and a dataset chosen, needs read on that object."""
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
    if clear_dataset:
        playground.dataset = None
    elif dataset_id is not None and str(dataset_id) != str(playground.dataset_id):
        playground.dataset = readable_dataset(actor=actor, org=playground.project.org, dataset_id=dataset_id)
    try:
        with transaction.atomic():
            playground.save(update_fields=["name", "description", "dataset"])
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
