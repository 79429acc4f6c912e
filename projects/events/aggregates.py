"""Aggregate scores: a project's ``weighted``, ``minimum`` and ``maximum`` scores, computed from each row's
own scores whenever rows are read, so that they always agree with the scores they are made of."""

from dataclasses import dataclass

from projects.models import ProjectScore


@dataclass(frozen=True)
class AggregateScore:
    name: str
    score_type: str
    weights: dict[str, float]  # score name -> weight (1 for minimum and maximum)

    def compute(self, scores: dict) -> float | None:
        """The aggregate of the named scores the row has (None-valued and missing ones left out); None when
        the row has none of them."""
        present = {name: scores[name] for name in self.weights if isinstance(scores.get(name), int | float)}
        if not present:
            return None
        if self.score_type == ProjectScore.ScoreType.MINIMUM:
            return min(present.values())
        if self.score_type == ProjectScore.ScoreType.MAXIMUM:
            return max(present.values())
        total = sum(self.weights[name] for name in present)
        return sum(self.weights[name] * value for name, value in present.items()) / total if total else None


def aggregate_scores_of(project_id) -> list[AggregateScore]:
    """The project's aggregate score definitions (one query)."""
    aggregates = []
    for name, score_type, categories in ProjectScore.objects.filter(
        project_id=project_id, score_type__in=ProjectScore.AGGREGATE_TYPES
    ).values_list("name", "score_type", "categories"):
        if score_type == ProjectScore.ScoreType.WEIGHTED:
            weights = {str(k): float(v) for k, v in (categories or {}).items()}
        else:
            weights = {str(k): 1.0 for k in categories or ()}
        aggregates.append(AggregateScore(name, score_type, weights))
    return aggregates


def with_aggregates(scores: dict | None, aggregates: list[AggregateScore]) -> dict | None:
    """`scores` with every aggregate that applies added under its name."""
    if not aggregates:
        return scores
    combined = dict(scores or {})
    for aggregate in aggregates:
        value = aggregate.compute(scores or {})
        if value is not None:
            combined[aggregate.name] = value
    return combined or scores
