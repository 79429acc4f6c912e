"""A project's scores: configuring, changing and removing them, with update on the project; a definition
is validated whole (:mod:`~.score_definitions`, :mod:`~.aggregates`) before it is saved.
"""

from typing import Any

from django.db import transaction

from permissions.audit_states import fields_state
from permissions.engine.guards import require
from permissions.services.changes import UNCHANGED, set_given
from projects.models import Project, ProjectScore
from projects.services.configuration.aggregates import check_aggregated_scores
from projects.services.configuration.checks import _text
from projects.services.configuration.score_definitions import validate_score_definition
from projects.services.configuration.writes import _delete, _insert, _locked_for_change, _name, _rename, _save_change, live_project

SCORE_FIELDS = ("name", "description", "score_type", "categories", "config", "position")


@transaction.atomic
def project_score_create(
    *,
    actor,
    project: Project,
    name: str,
    score_type: str,
    description: str = "",
    categories: Any = None,
    config: Any = None,
    position: str = "",
) -> ProjectScore:
    """Configure a score on a project (update on the project); the definition is validated whole first."""
    project = live_project(project)
    require(actor, "update", project)
    name = _name(name, "project score")
    categories, config = validate_score_definition(
        actor=actor, org=project.org, score_type=score_type, categories=categories, config=config
    )
    check_aggregated_scores(project=project, score_name=name, score_type=score_type, categories=categories)
    score = ProjectScore(
        project=project,
        name=name,
        description=_text(description, "description"),
        score_type=score_type,
        categories=categories,
        config=config,
        position=_text(position, "position", max_length=255),
        created_by=actor,
    )
    _insert(actor, score, SCORE_FIELDS, "project score")
    return score


@transaction.atomic
def project_score_update(
    *,
    actor,
    score: ProjectScore,
    name: str | None = None,
    description: str | None = None,
    score_type: str | None = None,
    categories: Any = UNCHANGED,
    config: Any = UNCHANGED,
    position: str | None = None,
) -> ProjectScore:
    """Change a score (update on its project).

    `name`, `description`, `score_type` and `position` left None are left as they are; `categories` and
    `config` left out are kept, and given (None included) replace the stored value whole. When the type,
    categories or config change, the resulting definition is validated whole, online scorers included.
    """
    score = _locked_for_change(actor, score)
    before = fields_state(score, SCORE_FIELDS)
    if name is not None:
        _rename(score, name, "project score")
    set_given(
        score,
        None,
        description=(description, lambda given: _text(given, "description")),
        position=(position, lambda given: _text(given, "position", max_length=255)),
    )
    if score_type is not None or categories is not UNCHANGED or config is not UNCHANGED:
        score.categories, score.config = validate_score_definition(
            actor=actor,
            org=score.project.org,
            score_type=score.score_type if score_type is None else score_type,
            categories=score.categories if categories is UNCHANGED else categories,
            config=score.config if config is UNCHANGED else config,
        )
        if score_type is not None:
            score.score_type = score_type
        check_aggregated_scores(project=score.project, score_name=score.name, score_type=score.score_type, categories=score.categories)
    _save_change(actor, score, before, SCORE_FIELDS, "project score")
    return score


@transaction.atomic
def project_score_delete(*, actor, score: ProjectScore) -> None:
    """Remove a score from its project (update on the project); values already given to rows stay."""
    _delete(actor, score, SCORE_FIELDS)
