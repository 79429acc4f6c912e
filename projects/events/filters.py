"""Conditions on rows beyond their tags: a score within a range, a metadata field equal to a value, and when
the row was created.

Each condition keeps the traces with at least one row that meets it; several conditions keep the traces
that meet every one, each perhaps through a different row (a trace's tag is often on its root span and a
scorer's score on a child span). They are applied in the database, as subqueries of the page's own
statements, so filtering costs no query of its own. Values inside ``data`` are reached with JSON key
transforms, which read the same on SQLite and PostgreSQL; a score is compared as a number (rows store
scores as numbers from 0 to 1, or null, which no range holds).
"""

import json
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q, QuerySet
from django.db.models.fields.json import KeyTransform


def _json_at(*keys: str) -> KeyTransform:
    """The value of ``data`` at the path `keys` (``"scores", "accuracy"``)."""
    expression = KeyTransform(keys[0], "data")
    for key in keys[1:]:
        expression = KeyTransform(key, expression)
    return expression


@dataclass(frozen=True)
class ScoreRange:
    """A row's score `name` from `minimum` to `maximum` (both included; either may be open)."""

    name: str
    minimum: float | None = None
    maximum: float | None = None

    def rows(self, rows: QuerySet) -> QuerySet:
        rows = rows.alias(filtered_score=_json_at("scores", self.name)).filter(filtered_score__isnull=False)
        if self.minimum is not None:
            rows = rows.filter(filtered_score__gte=self.minimum)
        if self.maximum is not None:
            rows = rows.filter(filtered_score__lte=self.maximum)
        return rows


@dataclass(frozen=True)
class MetadataEquals:
    """A row whose metadata at `path` (``("model", "name")`` for ``model.name``) is `value`: the text itself,
    or the number or boolean it spells (``3`` matches ``3`` and ``"3"``)."""

    path: tuple[str, ...]
    value: str

    def rows(self, rows: QuerySet) -> QuerySet:
        rows = rows.alias(filtered_metadata=_json_at("metadata", *self.path))
        matches = Q(filtered_metadata=self.value)
        try:
            spelled = json.loads(self.value)
        except ValueError:
            spelled = None
        if isinstance(spelled, bool | int | float):
            matches |= Q(filtered_metadata=spelled)
        return rows.filter(matches)


@dataclass(frozen=True)
class CreatedBetween:
    """A row created from `start` to `end` (both included; either may be open)."""

    start: datetime | None = None
    end: datetime | None = None

    def rows(self, rows: QuerySet) -> QuerySet:
        if self.start is not None:
            rows = rows.filter(created__gte=self.start)
        if self.end is not None:
            rows = rows.filter(created__lte=self.end)
        return rows


Condition = ScoreRange | MetadataEquals | CreatedBetween


@dataclass(frozen=True)
class RowConditions:
    """The conditions a page of traces must meet, each by some row of the trace."""

    conditions: tuple[Condition, ...] = field(default=())

    def __bool__(self) -> bool:
        return bool(self.conditions)

    def apply(self, rows: QuerySet) -> QuerySet:
        """`rows` narrowed to the traces that meet every condition (subqueries, no query of their own)."""
        narrowed = rows
        for condition in self.conditions:
            narrowed = narrowed.filter(root_span_id__in=condition.rows(rows).values("root_span_id"))
        return narrowed
