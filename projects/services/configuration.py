"""A project's configuration: its tags and its scores, and the rules a score definition must follow.

Tags and scores are not nodes of the access hierarchy: reading them is read on their project, changing
them is update on their project. Every service here checks that, writes atomically and records one audit
event in the same transaction.

The score definition rules (:func:`validate_score_definition`, one function per score type) and the JSON
shape checks they are built on are public, so that the pages and the admin refuse exactly what the API
refuses, with the same messages. A message names the offending value by its path in the request, e.g.
``config.online.scorers[0].name``.

So are the checks that need the project, which the services run as well: a tag's color must be one a
swatch can show (:func:`tag_color`), and an aggregate score may only be made of scores of its project
(:func:`check_aggregated_scores`).
"""

import math
import re
from collections.abc import Callable, Iterable
from typing import Any

from django.db import models, transaction

from accounts.models import Organization
from permissions.audit import record_event
from permissions.audit_states import fields_state
from permissions.engine.guards import require
from permissions.exceptions import ValidationError
from permissions.services.names import save_named
from permissions.services.rows import row_or_not_found
from projects.models import EventRow, Project, ProjectObject, ProjectScore, ProjectTag, Prompt
from projects.references import readable_object
from projects.scoring.scorers import GLOBAL_SCORERS as BUILT_IN_SCORERS

# JSON shape checks


def invalid(path: str, message: str) -> ValidationError:
    return ValidationError(f"{path}: {message}")


def expect_object(value: Any, path: str, *, allowed: Iterable[str], required: Iterable[str] = ()) -> dict:
    """`value`, a JSON object whose keys are among `allowed` and include every one of `required`."""
    if not isinstance(value, dict):
        raise invalid(path, "must be an object.")
    allowed = set(allowed)
    unknown = sorted(key for key in value if key not in allowed)
    if unknown:
        raise invalid(path, f"unknown field {unknown[0]!r} (allowed: {', '.join(sorted(allowed))}).")
    for key in required:
        if value.get(key) is None:
            raise invalid(f"{path}.{key}", "is required.")
    return value


def expect_string(value: Any, path: str, *, nullable: bool = True, non_empty: bool = False, max_length: int | None = None) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise invalid(path, "must be a string.")
    if non_empty and not value.strip():
        raise invalid(path, "must not be empty.")
    if max_length is not None and len(value) > max_length:
        raise invalid(path, f"must be at most {max_length} characters.")
    return value


def expect_name(value: Any, path: str = "name") -> str:
    """A name: a string that is not blank and fits the name columns, without its surrounding blanks."""
    return expect_string(value, path, nullable=False, non_empty=True, max_length=255).strip()


def expect_bool(value: Any, path: str, *, nullable: bool = True) -> bool | None:
    if value is None and nullable:
        return None
    if not isinstance(value, bool):
        raise invalid(path, "must be true or false.")
    return value


def expect_number(
    value: Any,
    path: str,
    *,
    nullable: bool = False,
    minimum: float | None = None,
    maximum: float | None = None,
    positive: bool = False,
    integer: bool = False,
) -> float | int | None:
    """A JSON number (never a boolean, never NaN or infinite) within the bounds given."""
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise invalid(path, "must be a number.")
    if integer and not float(value).is_integer():
        raise invalid(path, "must be a whole number.")
    if positive and value <= 0:
        raise invalid(path, "must be greater than 0.")
    too_low, too_high = minimum is not None and value < minimum, maximum is not None and value > maximum
    if (too_low or too_high) and minimum is not None and maximum is not None:
        raise invalid(path, f"must be from {minimum:g} to {maximum:g}.")
    if too_low:
        raise invalid(path, f"must be at least {minimum:g}.")
    if too_high:
        raise invalid(path, f"must be at most {maximum:g}.")
    return value


def expect_choice(value: Any, path: str, choices: Iterable[str], *, nullable: bool = True) -> str | None:
    if value is None and nullable:
        return None
    choices = tuple(choices)
    if not isinstance(value, str) or value not in choices:
        raise invalid(path, f"must be one of {', '.join(choices)}, not {value!r}.")
    return value


def expect_list(value: Any, path: str, *, nullable: bool = True, non_empty: bool = False) -> list | None:
    if value is None and nullable:
        return None
    if not isinstance(value, list):
        raise invalid(path, "must be a list.")
    if non_empty and not value:
        raise invalid(path, "must not be empty.")
    return value


def expect_string_list(value: Any, path: str, *, nullable: bool = True, non_empty: bool = False, unique: bool = False) -> list | None:
    items = expect_list(value, path, nullable=nullable, non_empty=non_empty)
    if items is None:
        return None
    for index, item in enumerate(items):
        expect_string(item, f"{path}[{index}]", nullable=False, non_empty=non_empty)
    if unique:
        duplicates = sorted({item for item in items if items.count(item) > 1})
        if duplicates:
            raise invalid(path, f"{duplicates[0]!r} is listed more than once.")
    return items


# References to objects of other projects (docs/access-model.md, "References across projects")


def referenced_object(*, actor, org: Organization, model: type[ProjectObject], object_id: Any, what: str) -> ProjectObject:
    """The live `model` row `object_id` of `org` that a configuration names, once `actor` may refer to it
    (:func:`projects.references.require_readable_reference`)."""
    return readable_object(actor=actor, org_id=org.pk, model=model, object_id=object_id, missing_message=f"No such {what}: {object_id}.")


# Score definitions

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


# Tag colors

# The named colors of CSS Color Module Level 4 (all 148 of them; "transparent" and "currentcolor" are
# keywords, not colors a swatch can show, so they are not among them).
_CSS_COLOR_NAMES = """
    aliceblue antiquewhite aqua aquamarine azure beige bisque black blanchedalmond blue blueviolet brown burlywood
    cadetblue chartreuse chocolate coral cornflowerblue cornsilk crimson cyan darkblue darkcyan darkgoldenrod darkgray
    darkgreen darkgrey darkkhaki darkmagenta darkolivegreen darkorange darkorchid darkred darksalmon darkseagreen
    darkslateblue darkslategray darkslategrey darkturquoise darkviolet deeppink deepskyblue dimgray dimgrey dodgerblue
    firebrick floralwhite forestgreen fuchsia gainsboro ghostwhite gold goldenrod gray green greenyellow grey honeydew
    hotpink indianred indigo ivory khaki lavender lavenderblush lawngreen lemonchiffon lightblue lightcoral lightcyan
    lightgoldenrodyellow lightgray lightgreen lightgrey lightpink lightsalmon lightseagreen lightskyblue lightslategray
    lightslategrey lightsteelblue lightyellow lime limegreen linen magenta maroon mediumaquamarine mediumblue
    mediumorchid mediumpurple mediumseagreen mediumslateblue mediumspringgreen mediumturquoise mediumvioletred
    midnightblue mintcream mistyrose moccasin navajowhite navy oldlace olive olivedrab orange orangered orchid
    palegoldenrod palegreen paleturquoise palevioletred papayawhip peachpuff peru pink plum powderblue purple
    rebeccapurple red rosybrown royalblue saddlebrown salmon sandybrown seagreen seashell sienna silver skyblue
    slateblue slategray slategrey snow springgreen steelblue tan teal thistle tomato turquoise violet wheat white
    whitesmoke yellow yellowgreen
"""
CSS_NAMED_COLORS = frozenset(_CSS_COLOR_NAMES.split())
_HEX_COLOR = re.compile(r"#(?:[0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})")
_COLOR_FUNCTION = re.compile(r"(rgba?|hsla?)\(([^()]*)\)")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(%|deg)?")
TAG_COLOR_HINT = "use #rgb or #rrggbb, a CSS color name such as teal, or rgb(31, 119, 180)"


def _component(text: str, *, percent: bool | None, top: float, units: tuple[str | None, ...]) -> str | None:
    """The unit of one number of a color function ("" for none), if it is a number within 0..`top` (or
    0..100%) with one of `units`; `percent` True or False demands a percentage or a plain number."""
    match = _NUMBER.fullmatch(text)
    if match is None or match.group(1) not in units:
        return None
    unit = match.group(1) or ""
    if percent is not None and (unit == "%") != percent:
        return None
    value = float(text.removesuffix(unit))
    limit = 100 if unit == "%" else top
    return unit if 0 <= value <= limit else None


def _is_color_function(name: str, body: str) -> bool:
    """``rgb()``/``rgba()`` and ``hsl()``/``hsla()``, comma- or space-separated, with an optional alpha."""
    if "," in body:
        parts = [part.strip() for part in body.split(",")]
        alpha = parts[3] if len(parts) == 4 else None
        parts = parts[:3] if len(parts) in (3, 4) else []
    else:
        color, _, alpha_text = body.partition("/")
        parts = color.split()
        alpha = alpha_text.strip() if "/" in body else None
        if alpha == "":
            return False
    if len(parts) != 3:
        return False
    if alpha is not None and _component(alpha, percent=None, top=1, units=(None, "%")) is None:
        return False
    if name.startswith("rgb"):
        units = [_component(part, percent=None, top=255, units=(None, "%")) for part in parts]
        return None not in units and ("," not in body or len(set(units)) == 1)
    hue = _NUMBER.fullmatch(parts[0])
    if hue is None or hue.group(1) not in (None, "deg"):
        return False
    percent = True if "," in body else None
    return all(_component(part, percent=percent, top=100, units=(None, "%")) is not None for part in parts[1:])


def is_tag_color(value: str) -> bool:
    """Whether `value` is a CSS color a tag's swatch can show: ``#rgb``, ``#rgba``, ``#rrggbb`` or
    ``#rrggbbaa``; one of the 148 CSS named colors (:data:`CSS_NAMED_COLORS`, any case); or ``rgb()``,
    ``rgba()``, ``hsl()`` or ``hsla()`` with numbers in range.

    A fixed list of names, rather than any word, because a word a browser does not know ("blurple") is
    silently dropped from the style and leaves a blank swatch; numbers out of range are refused too,
    although a browser would clamp them, because they are rarely what was meant. Being this strict is
    also what makes the value safe to put into a ``style`` attribute.
    """
    color = value.strip().lower()
    if _HEX_COLOR.fullmatch(color) or color in CSS_NAMED_COLORS:
        return True
    function = _COLOR_FUNCTION.fullmatch(color)
    return function is not None and _is_color_function(function.group(1), function.group(2).strip())


def tag_color(value: Any, path: str = "color") -> str:
    """A tag's color as it is stored: empty (no color) or a color :func:`is_tag_color` accepts, stripped."""
    color = _text(value, path, max_length=64).strip()
    if color and not is_tag_color(color):
        raise invalid(path, f"{color!r} is not a color: {TAG_COLOR_HINT}.")
    return color


# What an aggregate score is made of

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


# Tags and scores


def live_project(project: Project) -> Project:
    """The project, re-read with its organization: a deleted one takes no more configuration."""
    return row_or_not_found(Project.objects.alive().select_related("org"), project.pk, "project")


def _text(value: Any, field: str, *, max_length: int | None = None) -> str:
    return expect_string(value, field, max_length=max_length) or ""


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


TAG_FIELDS = ("name", "description", "color", "position")
SCORE_FIELDS = ("name", "description", "score_type", "categories", "config", "position")


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
    if description is not None:
        tag.description = _text(description, "description")
    if color is not None:
        tag.color = tag_color(color)
    if position is not None:
        tag.position = _text(position, "position", max_length=255)
    _save_change(actor, tag, before, TAG_FIELDS, "project tag")
    return tag


@transaction.atomic
def project_tag_delete(*, actor, tag: ProjectTag) -> None:
    """Remove a tag from its project (update on the project). Rows already tagged keep the tag's name."""
    _delete(actor, tag, TAG_FIELDS)


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


_UNCHANGED: Any = object()


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
    categories: Any = _UNCHANGED,
    config: Any = _UNCHANGED,
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
    if description is not None:
        score.description = _text(description, "description")
    if position is not None:
        score.position = _text(position, "position", max_length=255)
    if score_type is not None or categories is not _UNCHANGED or config is not _UNCHANGED:
        score.categories, score.config = validate_score_definition(
            actor=actor,
            org=score.project.org,
            score_type=score.score_type if score_type is None else score_type,
            categories=score.categories if categories is _UNCHANGED else categories,
            config=score.config if config is _UNCHANGED else config,
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
