"""Creating, changing and deleting projects and the objects in them.

Whoever creates a project or an object receives the system role ``owner`` on it when the organization's
"create direct ownership grants" setting is on (ACCESS_MODEL.md, "Creator grants").
"""

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Organization
from permissions.audit import record_event
from permissions.engine import invalidate_access_cache
from permissions.engine.guards import require, require_create
from permissions.engine.nodes import Node
from permissions.exceptions import ValidationError
from permissions.models import AclGrant
from permissions.services.roles import system_role
from projects.models import Dataset, Experiment, Project, ProjectObject, Prompt, PromptSession

OBJECT_MODELS: dict[str, type[ProjectObject]] = {
    "experiment": Experiment,
    "dataset": Dataset,
    "prompt": Prompt,
    "prompt_session": PromptSession,
}


def _state(obj: models.Model, fields: tuple[str, ...]) -> dict:
    return {field: getattr(obj, field) for field in fields}


def _grant_creator_ownership(*, actor, org: Organization, node: Node) -> None:
    # The stored setting decides: the caller's copy of the organization may predate a change to it.
    if Organization.objects.filter(pk=org.pk, create_direct_ownership_grants=True).exists():
        AclGrant.objects.get_or_create(org=org, object_type=node.type, object_id=node.id, user=actor, role=system_role("owner"))


def _clean_name(name: str, what: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError(f"A {what} needs a name.")
    if len(name) > 255:
        raise ValidationError(f"A {what} name is at most 255 characters.")
    return name


@transaction.atomic
def project_create(*, actor, org: Organization, name: str, description: str = "") -> Project:
    """Create a project (create on a new project under org_project)."""
    require_create(actor, "project", Node("org_project", org.pk))
    name = _clean_name(name, "project")
    if Project.objects.alive().filter(org=org, name=name).exists():
        raise ValidationError(f"A project named {name!r} already exists.")
    try:
        with transaction.atomic():
            project = Project.objects.create(org=org, name=name, description=description or "", created_by=actor)
    except IntegrityError as exc:
        raise ValidationError(f"A project named {name!r} already exists.") from exc
    _grant_creator_ownership(actor=actor, org=org, node=Node("project", project.pk))
    record_event(
        actor=actor,
        org=org,
        action="project.create",
        target_type="project",
        target_id=project.pk,
        target_name=name,
        after=_state(project, ("name", "description")),
    )
    invalidate_access_cache()
    return project


@transaction.atomic
def project_update(*, actor, project: Project, name: str | None = None, description: str | None = None) -> Project:
    require(actor, "update", project)
    project = Project.objects.select_for_update(no_key=True).get(pk=project.pk)
    before = _state(project, ("name", "description"))
    if name is not None:
        name = _clean_name(name, "project")
        if Project.objects.alive().filter(org_id=project.org_id, name=name).exclude(pk=project.pk).exists():
            raise ValidationError(f"A project named {name!r} already exists.")
        project.name = name
    if description is not None:
        project.description = description
    project.save(update_fields=["name", "description"])
    after = _state(project, ("name", "description"))
    if after != before:
        record_event(
            actor=actor,
            org=project.org,
            action="project.update",
            target_type="project",
            target_id=project.pk,
            target_name=project.name,
            before=before,
            after=after,
        )
    return project


@transaction.atomic
def project_delete(*, actor, project: Project) -> Project:
    """Soft delete: the project leaves lists; its contents and grants stay stored."""
    require(actor, "delete", project)
    project = Project.objects.select_for_update(no_key=True).get(pk=project.pk)
    if project.deleted_at is None:
        project.deleted_at = timezone.now()
        project.save(update_fields=["deleted_at"])
        record_event(
            actor=actor,
            org=project.org,
            action="project.delete",
            target_type="project",
            target_id=project.pk,
            target_name=project.name,
            before=_state(project, ("name",)),
        )
    return project


@transaction.atomic
def object_create(*, actor, project: Project, object_type: str, name: str, description: str = "", **fields) -> ProjectObject:
    """Create an experiment, dataset, prompt or playground in a project (create on a new one under it)."""
    model = OBJECT_MODELS.get(object_type)
    if model is None:
        raise ValidationError(f"object_type must be one of {', '.join(OBJECT_MODELS)}, not {object_type!r}.")
    require_create(actor, object_type, project)
    name = _clean_name(name, object_type)
    if object_type == "prompt":
        fields["slug"] = slugify(fields.get("slug") or name)
        if not fields["slug"]:
            raise ValidationError("A prompt needs a slug made of letters, digits, hyphens or underscores.")
        if model.objects.alive().filter(project=project, slug=fields["slug"]).exists():
            raise ValidationError(f"A prompt with slug {fields['slug']!r} already exists in this project.")
    elif model.objects.alive().filter(project=project, name=name).exists():
        raise ValidationError(f"A {object_type} named {name!r} already exists in this project.")
    try:
        with transaction.atomic():
            obj = model.objects.create(project=project, name=name, description=description or "", created_by=actor, **fields)
    except IntegrityError as exc:
        raise ValidationError(f"A {object_type} with that name already exists in this project.") from exc
    _grant_creator_ownership(actor=actor, org=project.org, node=Node(object_type, obj.pk))
    record_event(
        actor=actor,
        org=project.org,
        action=f"{object_type}.create",
        target_type=object_type,
        target_id=obj.pk,
        target_name=name,
        after=_state(obj, ("name", "description")),
    )
    invalidate_access_cache()
    return obj


@transaction.atomic
def object_delete(*, actor, obj: ProjectObject) -> ProjectObject:
    """Soft delete an experiment, dataset, prompt or playground."""
    require(actor, "delete", obj)
    obj = type(obj).objects.select_for_update(of=("self",), no_key=True).select_related("project__org").get(pk=obj.pk)
    if obj.deleted_at is None:
        obj.deleted_at = timezone.now()
        obj.save(update_fields=["deleted_at"])
        record_event(
            actor=actor,
            org=obj.project.org,
            action=f"{obj.acl_object_type}.delete",
            target_type=obj.acl_object_type,
            target_id=obj.pk,
            target_name=obj.name,
            before=_state(obj, ("name",)),
        )
    return obj
