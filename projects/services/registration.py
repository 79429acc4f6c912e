"""Get or create by name: how ``POST /v1/project``, ``/v1/experiment`` and ``/v1/dataset`` and the SDK's
``/api/<kind>/register`` find the object a client names, or make it.

An object of that name the caller may read is returned as it is; otherwise the create service makes one,
checking create access itself. Two clients registering the same new name at once are both answered with
the one object: the database's uniqueness constraint lets one creation in, and the other, refused as
"taken", finds the winner's object instead.
"""

from collections.abc import Callable
from functools import partial
from typing import TypeVar
from uuid import UUID

from django.db import transaction

from accounts.models import Organization
from permissions.exceptions import ValidationError
from permissions.services.rows import row_or_not_found
from projects.models import Dataset, Experiment, Project
from projects.selectors import experiment_for_commits, readable_object_named, readable_project_named
from projects.services.experiments import dataset_create, experiment_create
from projects.services.objects import project_create

T = TypeVar("T")


def _found_or_created(find: Callable[[], T | None], create: Callable[[], T]) -> T:
    existing = find()
    if existing is not None:
        return existing
    try:
        return create()
    except ValidationError:
        existing = find()  # made meanwhile by a concurrent request?
        if existing is None:
            raise
        return existing


def project_register(*, actor, org: Organization, name: str, description: str | None = None) -> Project:
    """The readable project `name` of `org`, or a new one (create under org_project)."""
    return _found_or_created(
        lambda: readable_project_named(actor, org.pk, name),
        lambda: project_create(actor=actor, org=org, name=name, description=description or ""),
    )


def experiment_register(*, actor, project: Project, name: str | None = None, ensure_new: bool = False, **fields) -> Experiment:
    """The readable experiment `name` of `project`, or a new one (create under the project).

    Without a name, or with `ensure_new` (the SDK's default: a run that does not ask to update an
    experiment starts a new one), it is always a new experiment, under a free name.
    """
    create = partial(experiment_create, actor=actor, project=project, name=name, ensure_new=ensure_new, **fields)
    if name is None or ensure_new:
        return create()
    return _found_or_created(lambda: readable_object_named(actor, Experiment, project, name), create)


def dataset_register(*, actor, project: Project, name: str, **fields) -> Dataset:
    """The readable dataset `name` of `project`, or a new one (create under the project)."""
    return _found_or_created(
        lambda: readable_object_named(actor, Dataset, project, name),
        lambda: dataset_create(actor=actor, project=project, name=name, **fields),
    )


def project_by_id_or_register(*, actor, org: Organization, project_id: UUID | None = None, project_name: str | None = None) -> Project:
    """The project a client names: the live project `project_id` of `org`, else the one called
    `project_name` (registered if new). Access to what is made in it is checked by its create service."""
    if project_id is not None:
        return row_or_not_found(Project.objects.alive().filter(org=org), project_id, "project")
    if not project_name:
        raise ValidationError("project_id or project_name is required.")
    return project_register(actor=actor, org=org, name=project_name)


@transaction.atomic
def experiment_register_in_project(
    *,
    actor,
    org: Organization,
    project_id: UUID | None = None,
    project_name: str | None = None,
    base_experiment: str | None = None,
    ancestor_commits: list[str] | None = None,
    **experiment,
) -> Experiment:
    """The SDK's registration of a run: its project (by id, or by name, made if new), then its experiment
    (:func:`experiment_register`), in one transaction, so that a refused experiment leaves no new project.

    Unless ``base_exp_id`` is given, the base experiment is the readable one called `base_experiment` in
    the project (a missing one is a 400 that says "base experiment", which the SDK answers by trying
    again without it), or else the most recent one run on the nearest of `ancestor_commits`.
    """
    project = project_by_id_or_register(actor=actor, org=org, project_id=project_id, project_name=project_name)
    if experiment.get("base_exp_id") is None:
        if base_experiment is not None:
            base = readable_object_named(actor, Experiment, project, base_experiment)
            if base is None:
                raise ValidationError(f"base_experiment: No base experiment named {base_experiment!r} in project {project.name!r}.")
            experiment["base_exp_id"] = base.pk
        elif ancestor_commits:
            base = experiment_for_commits(actor, project, ancestor_commits)
            experiment["base_exp_id"] = base.pk if base is not None else None
    return experiment_register(actor=actor, project=project, **experiment)


@transaction.atomic
def dataset_register_in_project(
    *, actor, org: Organization, name: str, project_id: UUID | None = None, project_name: str | None = None, **fields
) -> Dataset:
    """The SDK's registration of a dataset: its project (by id, or by name, made if new), then the dataset
    (:func:`dataset_register`), in one transaction."""
    project = project_by_id_or_register(actor=actor, org=org, project_id=project_id, project_name=project_name)
    return dataset_register(actor=actor, project=project, name=name, **fields)
