"""What an aggregate score (weighted, minimum, maximum) may be made of: scores of its project only
(:func:`check_aggregated_scores`), a check that needs the project, which the services run as well.
"""

from typing import Any

from django.db import models

from projects.models import EventRow, Project, ProjectScore, Prompt
from projects.services.configuration.checks import invalid

# Scores whose values rows carry as numbers, and so may be aggregated: human review sliders and
# categories (a free-form review is text), and the scores the project's online rules write.
AGGREGATED_TYPES = (ProjectScore.ScoreType.SLIDER, ProjectScore.ScoreType.CATEGORICAL)


def _scores_written_by_online_rules(project: Project) -> set[str]:
    """The names the project's online rules write their scores under: a built-in scorer's name, or the
    name of the scorer function (two queries)."""
    names, function_ids = set(), set()
    for config in ProjectScore.objects.filter(project=project, score_type=ProjectScore.ScoreType.ONLINE).values_list("config", flat=True):
        for scorer in ((config or {}).get("online") or {}).get("scorers") or ():
            if scorer.get("type") == "global" and isinstance(scorer.get("name"), str):
                names.add(scorer["name"])
            elif scorer.get("type") == "function" and scorer.get("id"):
                function_ids.add(str(scorer["id"]))
    if function_ids:
        names.update(Prompt.objects.filter(pk__in=function_ids, project__org_id=project.org_id).values_list("name", flat=True))
    return names


def _scores_rows_carry(project: Project, names: list[str]) -> set[str]:
    """Those of `names` that some live row of the project carries a score under (one query)."""
    if not names:
        return set()
    rows = EventRow.objects.filter(project=project, is_deleted=False)
    found = (
        Project.objects.filter(pk=project.pk)
        .values(**{f"carried_{index}": models.Exists(rows.filter(data__scores__has_key=name)) for index, name in enumerate(names)})
        .first()
        or {}
    )
    return {name for index, name in enumerate(names) if found.get(f"carried_{index}")}


def check_aggregated_scores(*, project: Project, score_name: str, score_type: str, categories: Any) -> None:
    """Refuse an aggregate (weighted, minimum, maximum) that names anything but a score of the project.

    A score of the project is a human review score configured on it (slider or categorical), a score one
    of its online rules writes, or a score some of its rows already carry (as an SDK's scorers write
    them). An aggregate is computed from a row's own scores, so another aggregate, a free-form review or
    an unknown name (a typo, most often) would silently count for nothing; the message names the path of
    the offending name and the project's configured scores.
    """
    if score_type not in ProjectScore.AGGREGATE_TYPES:
        return
    if score_type == ProjectScore.ScoreType.WEIGHTED:
        paths = {name: f"categories.{name}" for name in categories}
    else:
        paths = {name: f"categories[{index}]" for index, name in enumerate(categories)}
    configured = dict(ProjectScore.objects.filter(project=project).exclude(name=score_name).values_list("name", "score_type"))
    reviewed = sorted(name for name, kind in configured.items() if kind in AGGREGATED_TYPES)
    for name in paths:
        if name == score_name or configured.get(name) in ProjectScore.AGGREGATE_TYPES:
            raise invalid(
                paths[name], f"{name!r} is an aggregate score; an aggregate is computed from a row's own scores, not from aggregates."
            )
        if configured.get(name) == ProjectScore.ScoreType.FREE_FORM:
            raise invalid(paths[name], f"{name!r} is a free-form review, which is text; an aggregate is made of numbers.")
    unknown = [name for name in paths if name not in reviewed]
    if unknown:
        written = _scores_written_by_online_rules(project)
        unknown = [name for name in unknown if name not in written]
    carried = _scores_rows_carry(project, unknown)
    for name in unknown:
        if name not in carried:
            known = f" (its human review scores: {', '.join(reviewed)})" if reviewed else ""
            raise invalid(
                paths[name],
                f"{name!r} is not a score of this project{known}: name a human review score, a score its online rules write, "
                "or a score its rows carry.",
            )
