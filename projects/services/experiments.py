"""Creating and changing experiments and datasets.

Creation builds on :func:`projects.services.objects.object_create` (the create check, the creator's
ownership grant and the audit event); deletion is :func:`projects.services.objects.object_delete`.

An experiment may link a dataset and a base experiment of another project of the same organization.
Whoever makes or changes the link must be able to read the linked object; one of another organization
is refused exactly as a missing one (docs/access-model.md, "References across projects"). One function,
:func:`linked_object`, decides that for every link, on create and on update alike.
"""

from typing import Any
from uuid import UUID

from django.db import transaction

from permissions.audit import record_event
from permissions.audit_states import fields_state
from permissions.engine.guards import require, require_create
from permissions.exceptions import NotFound, ValidationError
from permissions.services.changes import set_given
from permissions.services.names import save_named
from projects.models import Dataset, Experiment, Project, ProjectObject
from projects.references import readable_object
from projects.services.objects import object_create

NAME_MAX_LENGTH = 255

# How many fresh names `ensure_new` tries when concurrent requests keep taking the one it picked.
FRESH_NAME_ATTEMPTS = 10


def linked_object(*, actor, model: type[ProjectObject], object_id: UUID, org_id: UUID, field: str) -> ProjectObject:
    """The live `model` row `object_id` that `field` links to, once `actor` may refer to it
    (:func:`projects.references.require_readable_reference`: any live project of the organization)."""
    missing = f"{field}: No such {model.acl_object_type} with id {object_id}."
    return readable_object(actor=actor, org_id=org_id, model=model, object_id=object_id, where=field, missing_message=missing)


def _require_live(project: Project) -> None:
    if project.deleted_at is not None:
        raise NotFound("project", project.pk)


def _fresh_name(model: type[ProjectObject], project: Project, base: str, *, always_suffix: bool) -> str:
    """`base` if no live object of the project has that name (and no suffix is asked for), otherwise the
    first of ``base-1``, ``base-2``, ... that is free, shortened to fit the name column."""

    def candidate(n: int) -> str:
        suffix = f"-{n}"
        return base[: NAME_MAX_LENGTH - len(suffix)] + suffix

    taken = set(model.objects.alive().filter(project=project, name__startswith=base[:200]).values_list("name", flat=True))
    if not always_suffix and base not in taken:
        return base
    n = 1
    while candidate(n) in taken:
        n += 1
    return candidate(n)


def _create_with_fresh_name(*, actor, project: Project, object_type: str, base: str, always_suffix: bool, **fields) -> ProjectObject:
    """Create the object under the first free name derived from `base`.

    Two requests may pick the same free name at once; the database's uniqueness constraint lets one of
    them in and the other retries with the next free name. Each attempt runs in its own savepoint
    (`object_create` is atomic), so a lost race leaves nothing behind.
    """
    model = Experiment if object_type == "experiment" else Dataset
    for _attempt in range(FRESH_NAME_ATTEMPTS):
        name = _fresh_name(model, project, base, always_suffix=always_suffix)
        try:
            return object_create(actor=actor, project=project, object_type=object_type, name=name, **fields)
        except ValidationError:
            if not model.objects.alive().filter(project=project, name=name).exists():
                raise  # refused for another reason than the name
    raise ValidationError(f"Could not find a free name for a new {object_type} after {FRESH_NAME_ATTEMPTS} attempts; try again.")


def _links(*, actor, org_id: UUID, base_exp_id: UUID | None, dataset_id: UUID | None, dataset_version: str | None) -> dict[str, Any]:
    if dataset_version is not None and dataset_id is None:
        raise ValidationError("dataset_version needs a dataset_id.")
    links: dict[str, Any] = {}
    if base_exp_id is not None:
        links["base_exp"] = linked_object(actor=actor, model=Experiment, object_id=base_exp_id, org_id=org_id, field="base_exp_id")
    if dataset_id is not None:
        links["dataset"] = linked_object(actor=actor, model=Dataset, object_id=dataset_id, org_id=org_id, field="dataset_id")
        links["dataset_version"] = dataset_version
    return links


@transaction.atomic
def experiment_create(
    *,
    actor,
    project: Project,
    name: str | None = None,
    ensure_new: bool = False,
    description: str | None = None,
    repo_info: dict | None = None,
    base_exp_id: UUID | None = None,
    dataset_id: UUID | None = None,
    dataset_version: str | None = None,
    public: bool | None = None,
    metadata: dict | None = None,
    tags: list[str] | None = None,
) -> Experiment:
    """Create an experiment in `project` (create on a new experiment under it).

    Without a name, the experiment is called ``experiment-<n>``; with `ensure_new`, a name already in
    use gets the first free suffix (``name-1``, ``name-2``, ...) instead of being refused.
    """
    require_create(actor, "experiment", project)
    _require_live(project)
    fields = {
        "description": description or "",
        "repo_info": repo_info,
        "public": bool(public),
        "metadata": metadata,
        "tags": tags,
        **_links(actor=actor, org_id=project.org_id, base_exp_id=base_exp_id, dataset_id=dataset_id, dataset_version=dataset_version),
    }
    if name is None or ensure_new:
        return _create_with_fresh_name(
            actor=actor, project=project, object_type="experiment", base=name or "experiment", always_suffix=name is None, **fields
        )
    return object_create(actor=actor, project=project, object_type="experiment", name=name, **fields)


@transaction.atomic
def dataset_create(
    *,
    actor,
    project: Project,
    name: str,
    description: str | None = None,
    metadata: dict | None = None,
    tags: list[str] | None = None,
) -> Dataset:
    """Create a dataset in `project` (create on a new dataset under it); names are unique in a project."""
    require_create(actor, "dataset", project)
    _require_live(project)
    return object_create(
        actor=actor, project=project, object_type="dataset", name=name, description=description or "", metadata=metadata, tags=tags
    )


def merged(old: dict | None, changes: dict) -> dict:
    """`old` with `changes` deep-merged into it: Braintrust's PATCH merges object fields rather than
    replacing them."""
    result = dict(old or {})
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value)
        else:
            result[key] = value
    return result


def _locked_live(model: type[ProjectObject], obj: ProjectObject) -> ProjectObject:
    locked = model.objects.select_for_update(of=("self",), no_key=True).select_related("project__org").get(pk=obj.pk)
    if locked.deleted_at is not None or locked.project.deleted_at is not None:
        raise NotFound(model.acl_object_type, obj.pk)
    return locked


def _rename(obj: ProjectObject, name: str) -> None:
    name = name.strip()
    if not name:
        raise ValidationError(f"A {obj.acl_object_type} needs a name.")
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(f"A {obj.acl_object_type} name is at most {NAME_MAX_LENGTH} characters.")
    if type(obj).objects.alive().filter(project_id=obj.project_id, name=name).exclude(pk=obj.pk).exists():
        raise ValidationError(f"A {obj.acl_object_type} named {name!r} already exists in this project.")
    obj.name = name


def _save_and_audit(obj: ProjectObject, *, actor, fields: list[str], recorded: tuple[str, ...], before: dict) -> ProjectObject:
    """Save `fields` (a name taken meanwhile is a 400) and record one event if any of the `recorded` ones
    changed since `before`."""
    save_named(obj, taken=None, refusal=f"A {obj.acl_object_type} with that name already exists in this project.", update_fields=fields)
    after = fields_state(obj, recorded)
    if after != before:
        record_event(actor=actor, org=obj.project.org, action=f"{obj.acl_object_type}.update", target=obj, before=before, after=after)
    return obj


EXPERIMENT_FIELDS = ("name", "description", "repo_info", "base_exp_id", "dataset_id", "dataset_version", "public", "metadata", "tags")
DATASET_FIELDS = ("name", "description", "metadata", "tags")


@transaction.atomic
def experiment_update(
    *,
    actor,
    experiment: Experiment,
    name: str | None = None,
    description: str | None = None,
    repo_info: dict | None = None,
    base_exp_id: UUID | None = None,
    dataset_id: UUID | None = None,
    dataset_version: str | None = None,
    public: bool | None = None,
    metadata: dict | None = None,
    tags: list[str] | None = None,
) -> Experiment:
    """Change an experiment (update on it). Arguments left None are left as they are; `repo_info` and
    `metadata` are deep-merged into the stored ones.

    A link that changes is checked as on creation (read on the linked object). Linking another dataset
    without a `dataset_version` clears the version, which belonged to the previous dataset.
    """
    require(actor, "update", experiment)
    experiment = _locked_live(Experiment, experiment)
    before = fields_state(experiment, EXPERIMENT_FIELDS)
    org_id = experiment.project.org_id
    if name is not None:
        _rename(experiment, name)
    if description is not None:
        experiment.description = description
    if base_exp_id is not None and base_exp_id != experiment.base_exp_id:
        if base_exp_id == experiment.pk:
            raise ValidationError("base_exp_id: An experiment cannot be its own base experiment.")
        experiment.base_exp = linked_object(actor=actor, model=Experiment, object_id=base_exp_id, org_id=org_id, field="base_exp_id")
    if dataset_id is not None and dataset_id != experiment.dataset_id:
        experiment.dataset = linked_object(actor=actor, model=Dataset, object_id=dataset_id, org_id=org_id, field="dataset_id")
        experiment.dataset_version = None
    if dataset_version is not None:
        if experiment.dataset_id is None:
            raise ValidationError("dataset_version needs a dataset_id.")
        experiment.dataset_version = dataset_version
    set_given(
        experiment,
        None,
        repo_info=(repo_info, lambda given: merged(experiment.repo_info, given)),
        public=(public, bool),
        metadata=(metadata, lambda given: merged(experiment.metadata, given)),
        tags=(tags, list),
    )
    fields = ["name", "description", "repo_info", "base_exp", "dataset", "dataset_version", "public", "metadata", "tags"]
    return _save_and_audit(experiment, actor=actor, fields=fields, recorded=EXPERIMENT_FIELDS, before=before)


@transaction.atomic
def dataset_update(
    *,
    actor,
    dataset: Dataset,
    name: str | None = None,
    description: str | None = None,
    metadata: dict | None = None,
    tags: list[str] | None = None,
) -> Dataset:
    """Change a dataset (update on it). Arguments left None are left as they are; `metadata` is
    deep-merged into the stored one."""
    require(actor, "update", dataset)
    dataset = _locked_live(Dataset, dataset)
    before = fields_state(dataset, DATASET_FIELDS)
    if name is not None:
        _rename(dataset, name)
    set_given(
        dataset,
        None,
        description=(description, str),
        metadata=(metadata, lambda given: merged(dataset.metadata, given)),
        tags=(tags, list),
    )
    return _save_and_audit(dataset, actor=actor, fields=list(DATASET_FIELDS), recorded=DATASET_FIELDS, before=before)
