"""What the writes of tags and scores share.

Tags and scores are not nodes of the access hierarchy: changing them is update on their project. Each
write re-reads the live project, checks that, refuses a name its project already has (the database's
uniqueness constraint decides a race) and records one audit event in the same transaction.
"""

from typing import Any

from django.db import models

from permissions.audit import record_event
from permissions.audit_states import fields_state
from permissions.engine.guards import require
from permissions.exceptions import ValidationError
from permissions.services.names import save_named
from permissions.services.rows import row_or_not_found
from projects.models import Project, ProjectScore, ProjectTag


def live_project(project: Project) -> Project:
    """The project, re-read with its organization: a deleted one takes no more configuration."""
    return row_or_not_found(Project.objects.alive().select_related("org"), project.pk, "project")


def _name(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"A {what} needs a name.")
    value = value.strip()
    if len(value) > 255:
        raise ValidationError(f"A {what} name is at most 255 characters.")
    return value


def _save_unique(obj: models.Model, what: str, *, update_fields: list[str] | None = None) -> None:
    """Save `obj`; the database's uniqueness constraint decides a race for the same name."""
    save_named(obj, taken=None, refusal=f"A {what} named {obj.name!r} already exists in this project.", update_fields=update_fields)


def _locked_for_change(actor, item: ProjectTag | ProjectScore) -> ProjectTag | ProjectScore:
    """The tag or score, locked until the change commits, once the actor may update its project."""
    require(actor, "update", live_project(item.project))
    return type(item).objects.select_for_update(of=("self",), no_key=True).select_related("project__org").get(pk=item.pk)


def _rename(item: ProjectTag | ProjectScore, name: str, label: str) -> None:
    item.name = _name(name, label)
    if type(item).objects.filter(project_id=item.project_id, name=item.name).exclude(pk=item.pk).exists():
        raise ValidationError(f"A {label} named {item.name!r} already exists in this project.")


def _insert(actor, item: ProjectTag | ProjectScore, fields: tuple[str, ...], label: str) -> None:
    """Save and audit a new tag or score, unless its project already has one of that name."""
    if type(item).objects.filter(project=item.project, name=item.name).exists():
        raise ValidationError(f"A {label} named {item.name!r} already exists in this project.")
    _save_unique(item, label)
    record_event(actor=actor, org=item.project.org, action=f"{item.audit_type}.create", target=item, after=fields_state(item, fields))


def _save_change(actor, item: ProjectTag | ProjectScore, before: dict, fields: tuple[str, ...], label: str) -> None:
    """Save and audit the item if any of its `fields` changed."""
    after = fields_state(item, fields)
    if after != before:
        _save_unique(item, label, update_fields=list(fields))
        record_event(actor=actor, org=item.project.org, action=f"{item.audit_type}.update", target=item, before=before, after=after)


def _delete(actor, item: ProjectTag | ProjectScore, fields: tuple[str, ...]) -> None:
    item = _locked_for_change(actor, item)
    record_event(actor=actor, org=item.project.org, action=f"{item.audit_type}.delete", target=item, before=fields_state(item, fields))
    item.delete()
