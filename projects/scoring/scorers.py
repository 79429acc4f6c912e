"""The scorers an online rule may name, and how one is run on a row.

* ``{"type": "global", "name": N}``: one of the built-in scorers below, from the autoevals library, which
  compute offline (no model provider involved).
* ``{"type": "function", "id": F}``: a prompt or function of the organization whose ``function_type`` is
  ``scorer``. This server runs a function that delegates to a built-in scorer (its ``function_data`` is
  ``{"type": "global", "name": N}``); code and LLM functions need a runtime or a model provider, which this
  server does not call, so running one records that as the scorer's error on the row.
"""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from autoevals import ExactMatch, JSONDiff, Levenshtein, NumericDiff, ValidJSON

GLOBAL_SCORERS = {
    "ExactMatch": ExactMatch,
    "Levenshtein": Levenshtein,
    "NumericDiff": NumericDiff,
    "JSONDiff": JSONDiff,
    "ValidJSON": ValidJSON,
}


class ScorerError(Exception):
    """A scorer could not score a row; the message is what the row records."""


@dataclass(frozen=True)
class ScorerRef:
    """A scorer as a rule names it."""

    type: str  # "global" or "function"
    name: str | None = None
    function_id: UUID | None = None

    @classmethod
    def parse(cls, raw: dict) -> "ScorerRef":
        if raw.get("type") == "function":
            return cls("function", function_id=UUID(str(raw["id"])))
        return cls("global", name=raw["name"])


def run_global(name: str, row: dict) -> float | None:
    """Score `row` (its input, output and expected) with the built-in scorer `name`."""
    scorer = GLOBAL_SCORERS.get(name)
    if scorer is None:
        raise ScorerError(f"{name} is not a built-in scorer (known: {', '.join(GLOBAL_SCORERS)}).")
    arguments: dict[str, Any] = {"output": row.get("output"), "input": row.get("input")}
    if name != "ValidJSON":
        arguments["expected"] = row.get("expected")
    try:
        result = scorer()(**arguments)
    except Exception as exc:  # a scorer's own failure (say, a text where a number is needed) is the row's error
        raise ScorerError(f"{name} failed: {type(exc).__name__}: {exc}") from exc
    error = getattr(result, "error", None)
    if error:
        raise ScorerError(f"{name} failed: {error}")
    score = result.score
    return None if score is None else float(score)


def run_function(function_data: dict | None, function_label: str, row: dict) -> float | None:
    """Score `row` with a scorer function, as far as this server can run it (see the module docstring)."""
    data = function_data or {}
    if data.get("type") == "global" and data.get("name"):
        return run_global(data["name"], row)
    kind = data.get("type") or "prompt"
    raise ScorerError(
        f"{function_label} is a {kind} function; this server runs scorer functions that name a built-in scorer "
        f"({', '.join(GLOBAL_SCORERS)}), not code or model calls."
    )
