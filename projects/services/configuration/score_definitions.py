"""The rules a score definition must follow: :func:`validate_score_definition`, one function per score
type, the online rule's scorers and scope included.

They are public, so that the pages and the admin refuse exactly what the API refuses, with the same
messages.
"""

from collections.abc import Callable
from typing import Any

from accounts.models import Organization
from projects.models import ProjectScore, Prompt
from projects.scoring.scorers import GLOBAL_SCORERS as BUILT_IN_SCORERS
from projects.services.configuration.checks import (
    expect_bool,
    expect_choice,
    expect_list,
    expect_number,
    expect_object,
    expect_string,
    expect_string_list,
    invalid,
    referenced_object,
)

GLOBAL_SCORERS = tuple(BUILT_IN_SCORERS)  # the ones the online-scoring worker runs
CONFIG_FIELDS = ("multi_select", "destination", "visibility", "online", "condition", "object_types")
ONLINE_FIELDS = ("sampling_rate", "scorers", "btql_filter", "apply_to_root_span", "apply_to_span_names", "skip_logging", "scope")
SCORED_OBJECT_TYPES = ("project_logs", "dataset", "experiment")


def _no_categories(score_type: str, categories: Any) -> None:
    if categories is not None:
        raise invalid("categories", f"a {score_type} score takes no categories.")


def validate_slider(categories: Any, config: dict | None, *, actor, org: Organization) -> None:
    """A human-review score from 0 to 1, set with a slider: nothing to define."""
    _no_categories("slider", categories)


def validate_free_form(categories: Any, config: dict | None, *, actor, org: Organization) -> None:
    """A human-review score typed in freely: nothing to define."""
    _no_categories("free-form", categories)


def validate_categorical(categories: Any, config: dict | None, *, actor, org: Organization) -> list:
    """Named values from 0 to 1, each name once: ``[{"name": "good", "value": 1}, ...]``."""
    items = expect_list(categories, "categories", nullable=False, non_empty=True)
    names = set()
    for index, item in enumerate(items):
        path = f"categories[{index}]"
        expect_object(item, path, allowed=("name", "value"), required=("name", "value"))
        name = expect_string(item["name"], f"{path}.name", nullable=False, non_empty=True)
        expect_number(item["value"], f"{path}.value", minimum=0, maximum=1)
        if name in names:
            raise invalid(f"{path}.name", f"{name!r} is used by another category.")
        names.add(name)
    return items


def validate_weighted(categories: Any, config: dict | None, *, actor, org: Organization) -> dict:
    """The weighted mean of other scores: ``{"accuracy": 2, "fluency": 1}`` (score name to positive weight)."""
    if not isinstance(categories, dict):
        raise invalid("categories", "a weighted score needs an object of score name to weight.")
    if not categories:
        raise invalid("categories", "must name at least one score.")
    for name, weight in categories.items():
        if not name.strip():
            raise invalid("categories", "a score name must not be empty.")
        expect_number(weight, f"categories.{name}", positive=True)
    return categories


def _validate_score_names(score_type: str, categories: Any) -> list:
    if not isinstance(categories, list):
        raise invalid("categories", f"a {score_type} score needs a list of the score names it takes the {score_type} of.")
    return expect_string_list(categories, "categories", nullable=False, non_empty=True, unique=True)


def validate_minimum(categories: Any, config: dict | None, *, actor, org: Organization) -> list:
    """The lowest of the scores named: ``["accuracy", "fluency"]``."""
    return _validate_score_names("minimum", categories)


def validate_maximum(categories: Any, config: dict | None, *, actor, org: Organization) -> list:
    """The highest of the scores named: ``["accuracy", "fluency"]``."""
    return _validate_score_names("maximum", categories)


def validate_online(categories: Any, config: dict | None, *, actor, org: Organization) -> None:
    """A rule that scores a sample of new spans: ``config.online`` names the sampling rate and scorers."""
    _no_categories("online", categories)
    if config is None or config.get("online") is None:
        raise invalid("config.online", "an online score needs its rule (sampling_rate and scorers).")
    online = expect_object(config["online"], "config.online", allowed=ONLINE_FIELDS, required=("sampling_rate", "scorers"))
    expect_number(online["sampling_rate"], "config.online.sampling_rate", minimum=0, maximum=1)
    scorers = expect_list(online["scorers"], "config.online.scorers", nullable=False, non_empty=True)
    for index, scorer in enumerate(scorers):
        validate_scorer(scorer, f"config.online.scorers[{index}]", actor=actor, org=org)
    expect_string(online.get("btql_filter"), "config.online.btql_filter")
    expect_bool(online.get("apply_to_root_span"), "config.online.apply_to_root_span")
    expect_string_list(online.get("apply_to_span_names"), "config.online.apply_to_span_names")
    expect_bool(online.get("skip_logging"), "config.online.skip_logging")
    _validate_scope(online.get("scope"), "config.online.scope")


def validate_scorer(scorer: Any, path: str, *, actor, org: Organization) -> None:
    """A built-in scorer by name, or a function of the organization whose ``function_type`` is scorer,
    which the actor may read (it may live in another project)."""
    if not isinstance(scorer, dict):
        raise invalid(path, "must be an object.")
    kind = expect_choice(scorer.get("type"), f"{path}.type", ("global", "function"), nullable=False)
    if kind == "global":
        expect_object(scorer, path, allowed=("type", "name", "function_type"), required=("name",))
        expect_choice(scorer["name"], f"{path}.name", GLOBAL_SCORERS, nullable=False)
        expect_choice(scorer.get("function_type"), f"{path}.function_type", ("scorer",))
        return
    expect_object(scorer, path, allowed=("type", "id", "version"), required=("id",))
    expect_string(scorer["id"], f"{path}.id", nullable=False, non_empty=True)
    expect_string(scorer.get("version"), f"{path}.version")
    function = referenced_object(actor=actor, org=org, model=Prompt, object_id=scorer["id"], what="function")
    if function.function_type != Prompt.FunctionType.SCORER:
        raise invalid(f"{path}.id", f"the function {function.pk} is not a scorer (its function_type is {function.function_type!r}).")


def _validate_scope(scope: Any, path: str) -> None:
    if scope is None:
        return
    if not isinstance(scope, dict):
        raise invalid(path, "must be an object.")
    kind = expect_choice(scope.get("type"), f"{path}.type", ("span", "trace", "group"), nullable=False)
    if kind == "span":
        expect_object(scope, path, allowed=("type",))
    elif kind == "trace":
        expect_object(scope, path, allowed=("type", "idle_seconds"))
        expect_number(scope.get("idle_seconds"), f"{path}.idle_seconds", nullable=True, minimum=0)
    else:
        fields = ("type", "group_by", "placement", "interval_seconds", "max_traces", "idle_seconds")
        expect_object(scope, path, allowed=fields, required=("group_by", "placement"))
        expect_string(scope["group_by"], f"{path}.group_by", nullable=False, non_empty=True)
        expect_choice(scope["placement"], f"{path}.placement", ("first", "each"), nullable=False)
        expect_number(scope.get("interval_seconds"), f"{path}.interval_seconds", nullable=True, minimum=1)
        expect_number(scope.get("max_traces"), f"{path}.max_traces", nullable=True, minimum=1, maximum=64, integer=True)
        expect_number(scope.get("idle_seconds"), f"{path}.idle_seconds", nullable=True, minimum=0)


def validate_score_config(score_type: str, config: Any) -> dict | None:
    """The keys every score's ``config`` may have, type-checked; ``online`` is checked by the online rule."""
    if config is None:
        return None
    expect_object(config, "config", allowed=CONFIG_FIELDS)
    expect_bool(config.get("multi_select"), "config.multi_select")
    expect_string(config.get("destination"), "config.destination")
    visibility = config.get("visibility")
    if visibility is not None:
        expect_object(visibility, "config.visibility", allowed=("users", "groups"))
        expect_string_list(visibility.get("users"), "config.visibility.users")
        expect_string_list(visibility.get("groups"), "config.visibility.groups")
    condition = config.get("condition")
    if condition is not None:
        expect_object(condition, "config.condition", allowed=("when", "behavior"), required=("when",))
        clauses = ("clauses", "subspan_clauses", "trace_clauses")
        when = expect_object(condition["when"], "config.condition.when", allowed=clauses)
        for name in clauses:
            expect_string_list(when.get(name), f"config.condition.when.{name}")
        expect_choice(condition.get("behavior"), "config.condition.behavior", ("hidden",))
    object_types = expect_list(config.get("object_types"), "config.object_types")
    for index, object_type in enumerate(object_types or ()):
        expect_choice(object_type, f"config.object_types[{index}]", SCORED_OBJECT_TYPES, nullable=False)
    if config.get("online") is not None and score_type != ProjectScore.ScoreType.ONLINE:
        raise invalid("config.online", f"only an online score has an online rule, not a {score_type} score.")
    return config


SCORE_TYPE_RULES: dict[str, Callable[..., Any]] = {
    ProjectScore.ScoreType.SLIDER: validate_slider,
    ProjectScore.ScoreType.CATEGORICAL: validate_categorical,
    ProjectScore.ScoreType.WEIGHTED: validate_weighted,
    ProjectScore.ScoreType.MINIMUM: validate_minimum,
    ProjectScore.ScoreType.MAXIMUM: validate_maximum,
    ProjectScore.ScoreType.ONLINE: validate_online,
    ProjectScore.ScoreType.FREE_FORM: validate_free_form,
}


def validate_score_definition(*, actor, org: Organization, score_type: Any, categories: Any, config: Any) -> tuple[Any, dict | None]:
    """The ``(categories, config)`` of a valid score of `score_type`, or a ValidationError naming what is wrong.

    Functions named as online scorers must be readable by `actor` (a 403 otherwise, when it sees them).
    """
    rule = SCORE_TYPE_RULES.get(score_type) if isinstance(score_type, str) else None
    if rule is None:
        raise invalid("score_type", f"must be one of {', '.join(SCORE_TYPE_RULES)}, not {score_type!r}.")
    config = validate_score_config(score_type, config)
    categories = rule(categories, config, actor=actor, org=org)
    return categories, config
