"""A project's tags: adding, changing and removing them, with update on the project."""

from django.db import transaction

from permissions.audit_states import fields_state
from permissions.engine.guards import require
from permissions.services.changes import set_given
from projects.models import Project, ProjectTag
from projects.services.configuration.checks import _text
from projects.services.configuration.tag_colors import tag_color
from projects.services.configuration.writes import _delete, _insert, _locked_for_change, _name, _rename, _save_change, live_project

TAG_FIELDS = ("name", "description", "color", "position")


@transaction.atomic
def project_tag_create(*, actor, project: Project, name: str, description: str = "", color: str = "", position: str = "") -> ProjectTag:
    """Add a tag to a project (update on the project)."""
    project = live_project(project)
    require(actor, "update", project)
    tag = ProjectTag(
        project=project,
        name=_name(name, "project tag"),
        description=_text(description, "description"),
        color=tag_color(color),
        position=_text(position, "position", max_length=255),
        created_by=actor,
    )
    _insert(actor, tag, TAG_FIELDS, "project tag")
    return tag


@transaction.atomic
def project_tag_update(
    *,
    actor,
    tag: ProjectTag,
    name: str | None = None,
    description: str | None = None,
    color: str | None = None,
    position: str | None = None,
) -> ProjectTag:
    """Change a tag (update on its project); arguments left None are left as they are."""
    tag = _locked_for_change(actor, tag)
    before = fields_state(tag, TAG_FIELDS)
    if name is not None:
        _rename(tag, name, "project tag")
    set_given(
        tag,
        None,
        description=(description, lambda given: _text(given, "description")),
        color=(color, tag_color),
        position=(position, lambda given: _text(given, "position", max_length=255)),
    )
    _save_change(actor, tag, before, TAG_FIELDS, "project tag")
    return tag


@transaction.atomic
def project_tag_delete(*, actor, tag: ProjectTag) -> None:
    """Remove a tag from its project (update on the project). Rows already tagged keep the tag's name."""
    _delete(actor, tag, TAG_FIELDS)
