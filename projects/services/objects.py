"""Creating, changing and deleting projects and the objects in them.

Whoever creates a project or an object receives the system role ``owner`` on it when the organization's
"create direct ownership grants" setting is on (docs/access-model.md, "Creator grants").
"""

from typing import Any

from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Organization
from permissions.audit import record_event
from permissions.audit_states import fields_state
from permissions.engine import invalidate_access_cache
from permissions.engine.guards import require, require_create
from permissions.engine.nodes import Node
from permissions.exceptions import NotFound, ValidationError
from permissions.models import AclGrant
from permissions.services.names import clean_name, create_named
from permissions.services.roles import system_role
from projects.models import Dataset, Experiment, Project, ProjectObject, Prompt, PromptSession
from projects.services.configuration.checks import (
    expect_bool,
    expect_choice,
    expect_list,
    expect_object,
    expect_string,
    invalid,
    referenced_object,
)

OBJECT_MODELS: dict[str, type[ProjectObject]] = {
    "experiment": Experiment,
    "dataset": Dataset,
    "prompt": Prompt,
    "prompt_session": PromptSession,
}


def _grant_creator_ownership(*, actor, org: Organization, node: Node) -> None:
    # The stored setting decides: the caller's copy of the organization may predate a change to it.
    if Organization.objects.filter(pk=org.pk, create_direct_ownership_grants=True).exists():
        AclGrant.objects.get_or_create(org=org, object_type=node.type, object_id=node.id, user=actor, role=system_role("owner"))


@transaction.atomic
def project_create(*, actor, org: Organization, name: str, description: str = "") -> Project:
    """Create a project (create on a new project under org_project)."""
    require_create(actor, "project", Node("org_project", org.pk))
    name = clean_name(name, "project")
    project = create_named(
        Project,
        taken=Project.objects.alive().filter(org=org, name=name),
        refusal=f"A project named {name!r} already exists.",
        org=org,
        name=name,
        description=description or "",
        created_by=actor,
    )
    _grant_creator_ownership(actor=actor, org=org, node=Node("project", project.pk))
    record_event(actor=actor, org=org, action="project.create", target=project, after=fields_state(project, ("name", "description")))
    invalidate_access_cache()
    return project


PROJECT_SETTINGS_FIELDS = (
    "comparison_key",
    "baseline_experiment_id",
    "spanFieldOrder",
    "remote_eval_sources",
    "disable_realtime_queries",
    "default_preprocessor",
)
FUNCTION_TYPES = ("llm", "scorer", "task", "tool", "custom_view", "preprocessor", "facet", "classifier", "tag", "parameters", "sandbox")


def validate_project_settings(settings: Any, *, actor, org: Organization) -> dict | None:
    """`settings` if it is a valid ``ProjectSettings`` object (Braintrust's fields, nothing else), else a
    ValidationError naming the first problem. The baseline experiment and the default preprocessor are
    references: they must be of the organization, and readable by `actor` (docs/access-model.md)."""
    if settings is None:
        return None
    expect_object(settings, "settings", allowed=PROJECT_SETTINGS_FIELDS)
    expect_string(settings.get("comparison_key"), "settings.comparison_key")
    baseline = settings.get("baseline_experiment_id")
    if baseline is not None:
        expect_string(baseline, "settings.baseline_experiment_id", nullable=False)
        referenced_object(actor=actor, org=org, model=Experiment, object_id=baseline, what="experiment")
    for index, item in enumerate(expect_list(settings.get("spanFieldOrder"), "settings.spanFieldOrder") or ()):
        path = f"settings.spanFieldOrder[{index}]"
        expect_object(
            item, path, allowed=("object_type", "column_id", "position", "layout"), required=("object_type", "column_id", "position")
        )
        for field in ("object_type", "column_id", "position"):
            expect_string(item[field], f"{path}.{field}", nullable=False)
        expect_choice(item.get("layout"), f"{path}.layout", ("full", "two_column"))
    for index, item in enumerate(expect_list(settings.get("remote_eval_sources"), "settings.remote_eval_sources") or ()):
        path = f"settings.remote_eval_sources[{index}]"
        expect_object(item, path, allowed=("url", "name", "description"), required=("url",))
        expect_string(item["url"], f"{path}.url", nullable=False)
        try:
            URLValidator(schemes=["http", "https"])(item["url"])
        except ValidationError as exc:
            raise invalid(f"{path}.url", f"must be an http or https URL, not {item['url']!r}.") from exc
        expect_string(item.get("name"), f"{path}.name")
        expect_string(item.get("description"), f"{path}.description")
    expect_bool(settings.get("disable_realtime_queries"), "settings.disable_realtime_queries")
    _validate_preprocessor(settings.get("default_preprocessor"), "settings.default_preprocessor", actor=actor, org=org)
    return settings


def _validate_preprocessor(value: Any, path: str, *, actor, org: Organization) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        raise invalid(path, "must be an object.")
    kind = expect_choice(value.get("type"), f"{path}.type", ("function", "global"), nullable=False)
    if kind == "global":
        expect_object(value, path, allowed=("type", "name", "function_type"), required=("name",))
        expect_string(value["name"], f"{path}.name", nullable=False, non_empty=True)
        expect_choice(value.get("function_type"), f"{path}.function_type", FUNCTION_TYPES)
    else:
        expect_object(value, path, allowed=("type", "id", "version"), required=("id",))
        expect_string(value["id"], f"{path}.id", nullable=False, non_empty=True)
        expect_string(value.get("version"), f"{path}.version")
        referenced_object(actor=actor, org=org, model=Prompt, object_id=value["id"], what="function")


PROJECT_FIELDS = ("name", "description", "settings")


@transaction.atomic
def project_update(
    *, actor, project: Project, name: str | None = None, description: str | None = None, settings: dict | None = None
) -> Project:
    """Rename, describe or configure a project (update on it).

    Arguments left None are left as they are. `settings` replaces the stored settings whole (Braintrust:
    "Patch operations replace all settings"); ``{}`` clears them.
    """
    require(actor, "update", project)
    project = Project.objects.select_for_update(of=("self",), no_key=True).select_related("org").get(pk=project.pk)
    if project.deleted_at is not None:
        raise NotFound("project", project.pk)
    before = fields_state(project, PROJECT_FIELDS)
    if name is not None:
        name = clean_name(name, "project")
        if Project.objects.alive().filter(org_id=project.org_id, name=name).exclude(pk=project.pk).exists():
            raise ValidationError(f"A project named {name!r} already exists.")
        project.name = name
    if description is not None:
        project.description = description
    if settings is not None:
        project.settings = validate_project_settings(settings, actor=actor, org=project.org) or None
    after = fields_state(project, PROJECT_FIELDS)
    if after != before:
        try:
            with transaction.atomic():
                project.save(update_fields=list(PROJECT_FIELDS))
        except IntegrityError as exc:
            raise ValidationError(f"A project named {project.name!r} already exists.") from exc
        record_event(actor=actor, org=project.org, action="project.update", target=project, before=before, after=after)
    return project


@transaction.atomic
def project_delete(*, actor, project: Project) -> Project:
    """Soft delete: the project leaves lists; its contents and grants stay stored."""
    require(actor, "delete", project)
    project = Project.objects.select_for_update(of=("self",), no_key=True).select_related("org").get(pk=project.pk)
    if project.deleted_at is None:
        project.deleted_at = timezone.now()
        project.save(update_fields=["deleted_at"])
        record_event(actor=actor, org=project.org, action="project.delete", target=project, before=fields_state(project, PROJECT_FIELDS))
    return project


@transaction.atomic
def object_create(*, actor, project: Project, object_type: str, name: str, description: str = "", **fields) -> ProjectObject:
    """Create an experiment, dataset, prompt or playground in a project (create on a new one under it)."""
    model = OBJECT_MODELS.get(object_type)
    if model is None:
        raise ValidationError(f"object_type must be one of {', '.join(OBJECT_MODELS)}, not {object_type!r}.")
    require_create(actor, object_type, project)
    name = clean_name(name, object_type)
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
    record_event(actor=actor, org=project.org, action=f"{object_type}.create", target=obj, after=fields_state(obj, ("name", "description")))
    invalidate_access_cache()
    return obj


def locked_live(model: type[ProjectObject], pk: Any) -> ProjectObject | None:
    """The `model` row `pk`, locked until the transaction ends and read with its project's organization,
    or None when it or its project is deleted (or it does not exist): a change starts from it."""
    return (
        model.objects.select_for_update(of=("self",), no_key=True)
        .select_related("project__org")
        .filter(pk=pk, deleted_at__isnull=True, project__deleted_at__isnull=True)
        .first()
    )


@transaction.atomic
def object_delete(*, actor, obj: ProjectObject) -> ProjectObject:
    """Soft delete an experiment, dataset, prompt or playground."""
    require(actor, "delete", obj)
    obj = type(obj).objects.select_for_update(of=("self",), no_key=True).select_related("project__org").get(pk=obj.pk)
    if obj.deleted_at is None:
        obj.deleted_at = timezone.now()
        obj.save(update_fields=["deleted_at"])
        record_event(
            actor=actor, org=obj.project.org, action=f"{obj.acl_object_type}.delete", target=obj, before=fields_state(obj, ("name",))
        )
    return obj
