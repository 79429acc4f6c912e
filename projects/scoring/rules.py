"""Online-scoring rules: which spans a project's ``online`` scores apply to, and how often."""

import secrets
from dataclasses import dataclass

from projects.models import ProjectScore
from projects.scoring.scorers import ScorerRef

_RANDOM = secrets.SystemRandom()


@dataclass(frozen=True)
class OnlineRule:
    """One ``online`` project score, as the queue and the runner need it."""

    score_id: object
    name: str
    sampling_rate: float
    scorers: tuple[ScorerRef, ...]
    apply_to_root_span: bool
    span_names: frozenset[str]

    @classmethod
    def of(cls, score: ProjectScore) -> "OnlineRule":
        online = (score.config or {}).get("online") or {}
        span_names = frozenset(online.get("apply_to_span_names") or ())
        # With neither option given, a rule scores root spans (whole requests), as Braintrust does.
        root = online.get("apply_to_root_span")
        return cls(
            score_id=score.pk,
            name=score.name,
            sampling_rate=float(online.get("sampling_rate") or 0),
            scorers=tuple(ScorerRef.parse(raw) for raw in online.get("scorers") or ()),
            apply_to_root_span=bool(root) if root is not None else not span_names,
            span_names=span_names,
        )

    def matches(self, *, is_root: bool, span_name: str | None) -> bool:
        return (self.apply_to_root_span and is_root) or (span_name is not None and span_name in self.span_names)

    def sampled(self) -> bool:
        """Whether this span is in the sample (a rate of 1 takes every span, 0 none)."""
        return self.sampling_rate >= 1 or _RANDOM.random() < self.sampling_rate


def online_rules_of(project_id) -> list[OnlineRule]:
    """The project's online-scoring rules (one query)."""
    return [OnlineRule.of(score) for score in ProjectScore.objects.filter(project_id=project_id, score_type=ProjectScore.ScoreType.ONLINE)]
