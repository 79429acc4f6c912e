"""The score sections of a project's Configuration page: human review, aggregate scores and online scoring.

A score's dialog edits its definition in form fields and rows (categories, or the scores aggregated);
:func:`definition_from` turns them into the arguments of the score services, which validate the whole
definition (online scorers included) and answer in the API's terms, which :func:`humane` names as the
form does.
"""

import re
from typing import Any

from projects.models import ProjectScore, Prompt
from projects.selectors import scorers_readable_in_org, scores_of
from projects.services.configuration.score_definitions import GLOBAL_SCORERS
from web.confirm import Confirmation
from web.forms.configuration import (
    AGGREGATE_TYPES,
    HUMAN_REVIEW_TYPES,
    SCORE_TYPE_LABELS,
    AggregateForm,
    CategoryRows,
    HumanReviewForm,
    OnlineScoringForm,
    ScoreType,
    WeightRows,
)
from web.views.project_configuration.base import ConfigurationBase, Editor

SECTION_OF_TYPE = {
    **dict.fromkeys(HUMAN_REVIEW_TYPES, "human-review"),
    **dict.fromkeys(AGGREGATE_TYPES, "aggregate"),
    ScoreType.ONLINE: "online",
}
ANCHORS = {"human-review": "human-review", "aggregate": "aggregate-scores", "online": "online-scoring"}
CREATE_TITLES = {"human-review": "Create human review score", "aggregate": "Create aggregate score", "online": "Create online scoring rule"}
ROWS_FORMS = {"human-review": (HumanReviewForm, CategoryRows), "aggregate": (AggregateForm, WeightRows)}


class ScoresSection(ConfigurationBase):
    """The project's scores, by section, and their create and edit dialogs."""

    def readable_scorer_functions(self) -> list[Prompt]:
        return scorers_readable_in_org(self.request.user, self.org)

    def scorer_choices(self, functions: list[Prompt], extra: list[dict] = ()) -> list:
        built_in = [(f"global:{name}", name) for name in GLOBAL_SCORERS]
        own = [(f"function:{f.pk}", f"{f.name} ({f.project.name})") for f in functions]
        known = {value for value, _ in own}
        for scorer in extra:  # scorers already on a rule that the person cannot read: kept, named by id
            value = scorer_value(scorer)
            if value.startswith("function:") and value not in known:
                own.append((value, f"Function {scorer.get('id')}"))
                known.add(value)
        return [("Built-in", built_in), ("Functions", own)] if own else [("Built-in", built_in)]

    def score_editor(self, kind: str, score: ProjectScore | None = None, data=None, functions=None) -> Editor:
        prefix = f"score-{score.pk.hex}" if score else f"{kind}-new"
        action = self.url("project-score-update", score_id=score.pk) if score else self.url("project-score-create", kind=kind)
        initial: dict[str, Any] = {"name": score.name, "description": score.description} if score else {}
        title = f"Edit {score.name}" if score else CREATE_TITLES[kind]
        if kind in ROWS_FORMS:
            form_class, rows_class = ROWS_FORMS[kind]
            if score:
                initial["score_type"] = score.score_type
                if kind == "human-review":
                    initial["multi_select"] = bool((score.config or {}).get("multi_select"))
            rows = definition_rows(kind, score) if score else []
            form = form_class(data, initial=initial, prefix=prefix)
            return Editor(prefix, title, action, form, rows_class(data, initial=rows, prefix=f"{prefix}-rows"), kind)
        online = ((score.config or {}).get("online") or {}) if score else {}
        if score:
            initial.update(
                scorers=[scorer_value(s) for s in online.get("scorers") or ()],
                sampling_rate=f"{online.get('sampling_rate', 0) * 100:g}",
                apply_to_root_span=bool(online.get("apply_to_root_span", True)),
                span_names=", ".join(online.get("apply_to_span_names") or ()),
            )
        choices = self.scorer_choices(functions if functions is not None else self.readable_scorer_functions(), online.get("scorers") or [])
        form = OnlineScoringForm(data, initial=initial, prefix=prefix, scorer_choices=choices)
        return Editor(prefix, title, action, form, kind=kind)

    def scores_context(self, failed: Editor | None) -> dict:
        scores = scores_of(self.project)
        functions = self.readable_scorer_functions()
        function_names = {str(f.pk): f.name for f in functions}
        human = self.entries(
            [s for s in scores if s.score_type in HUMAN_REVIEW_TYPES], lambda s: self.score_editor("human-review", s), failed
        )
        aggregate = self.entries(
            [s for s in scores if s.score_type in AGGREGATE_TYPES], lambda s: self.score_editor("aggregate", s), failed
        )
        online = self.entries(
            [s for s in scores if s.score_type == ScoreType.ONLINE], lambda s: self.score_editor("online", s, functions=functions), failed
        )
        for entry in online:
            entry["rule"] = describe_rule(entry["item"], function_names)
        for entry in human + aggregate:
            entry["definition"] = describe_score(entry["item"])
            entry["type_label"] = SCORE_TYPE_LABELS[entry["item"].score_type]
        for entry in human + aggregate + online:
            entry["delete"] = self.score_delete_confirmation(entry["item"], function_names) if entry["editor"] else None
        context = {"human_review": human, "aggregate": aggregate, "online": online}
        if self.config_flags.can_update:
            context.update(
                new_human_review=self.editor_or_failed(self.score_editor("human-review"), failed),
                new_aggregate=self.editor_or_failed(self.score_editor("aggregate"), failed),
                new_online=self.editor_or_failed(self.score_editor("online", functions=functions), failed),
            )
        return context

    def score_delete_confirmation(self, score: ProjectScore, function_names: dict[str, str]) -> Confirmation:
        """The question before deleting a score: what it is, and that what it gave rows stays."""
        kind = SECTION_OF_TYPE[score.score_type]
        if kind == "online":
            rule = describe_rule(score, function_names)
            scorers = ", ".join(rule["scorers"]) or "no scorer"
            what = f"Delete the online scoring rule {score.name}?"
            goes = [
                f"It scores {rule['rate']} of the spans logged to {self.project.name} with {scorers}: new spans stop being scored.",
                "Scores it already gave stay.",
            ]
        else:
            words = "human review score" if kind == "human-review" else "aggregate score"
            what = f"Delete the {words} {score.name}?"
            definition = describe_score(score)
            type_label = SCORE_TYPE_LABELS[score.score_type]
            goes = [
                f"A {type_label.lower()} score of {self.project.name}{': ' + definition if definition else ''}.",
                "Values already given to rows stay." if kind == "human-review" else "The scores it aggregates stay.",
            ]
        return Confirmation(
            key=f"delete-score-{score.pk.hex}",
            title=what,
            action=self.url("project-score-delete", score_id=score.pk),
            button="Delete score" if kind != "online" else "Delete rule",
            back_url=self.url(anchor=ANCHORS[kind]),
            goes=goes,
        )


def scorer_value(scorer: dict) -> str:
    if scorer.get("type") == "function":
        return f"function:{scorer.get('id')}"
    return f"global:{scorer.get('name')}"


def describe_score(score: ProjectScore) -> str:
    categories = score.categories
    if score.score_type == ScoreType.CATEGORICAL and isinstance(categories, list):
        return ", ".join(f"{c.get('name')} ({c.get('value'):g})" for c in categories if isinstance(c, dict))
    if score.score_type == ScoreType.WEIGHTED and isinstance(categories, dict):
        return ", ".join(f"{name} (weight {weight:g})" for name, weight in sorted(categories.items()))
    if isinstance(categories, list):
        return ", ".join(str(name) for name in categories)
    return {ScoreType.SLIDER: "From 0 to 1", ScoreType.FREE_FORM: "Text"}.get(score.score_type, "")


def describe_rule(score: ProjectScore, function_names: dict[str, str]) -> dict:
    online = (score.config or {}).get("online") or {}
    names = []
    for scorer in online.get("scorers") or ():
        if scorer.get("type") == "function":
            names.append(function_names.get(str(scorer.get("id")), f"Function {scorer.get('id')}"))
        else:
            names.append(str(scorer.get("name")))
    rate = online.get("sampling_rate")
    spans = ["Root span"] if online.get("apply_to_root_span", True) else []
    spans += list(online.get("apply_to_span_names") or ())
    return {"scorers": names, "rate": f"{rate * 100:g}%" if isinstance(rate, int | float) else "—", "spans": spans}


def definition_rows(kind: str, score: ProjectScore) -> list[dict]:
    """The rows of a score's definition as its dialog shows them: its categories with their values, or the
    scores it aggregates with their weights."""
    if kind == "human-review":
        return [{"name": c.get("name"), "value": c.get("value")} for c in (score.categories or [])]
    categories = score.categories or ()
    if isinstance(categories, dict):
        # A JSON object keeps no order (PostgreSQL's jsonb sorts keys its own way): show weights by name.
        return [{"name": name, "value": weight} for name, weight in sorted(categories.items())]
    return [{"name": name} for name in categories]


def definition_from(editor: Editor, score: ProjectScore | None) -> dict | None:
    """The service arguments an editor's valid form stands for (score_type, categories, config), or None
    after adding the form errors that stop it."""
    data = editor.form.cleaned_data
    config = dict((score.config or {}) if score else {})
    if editor.kind == "human-review":
        score_type = data["score_type"]
        categories = None
        if score_type == ScoreType.CATEGORICAL:
            categories = [{"name": row["name"].strip(), "value": row["value"]} for row in editor.rows.cleaned_data if row.get("name")]
            if data["multi_select"]:
                config["multi_select"] = True
            else:
                config.pop("multi_select", None)
        else:
            config.pop("multi_select", None)
        return {"score_type": score_type, "categories": categories, "config": config or None}
    if editor.kind == "aggregate":
        score_type = data["score_type"]
        rows = [row for row in editor.rows.cleaned_data if (row.get("name") or "").strip()]
        names = [row["name"].strip() for row in rows]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            editor.form.add_error(None, f"The score {repeated[0]!r} is listed more than once.")
            return None
        if score_type == ScoreType.WEIGHTED:
            categories: Any = {row["name"].strip(): 1 if row.get("value") is None else row["value"] for row in rows}
        else:
            categories = names
        return {"score_type": score_type, "categories": categories}
    online = dict(config.get("online") or {})
    online.update(
        sampling_rate=float(data["sampling_rate"]) / 100,
        scorers=[scorer_from_value(value, online.get("scorers") or ()) for value in data["scorers"]],
        apply_to_root_span=data["apply_to_root_span"],
    )
    if data["span_names"]:
        online["apply_to_span_names"] = data["span_names"]
    else:
        online.pop("apply_to_span_names", None)
    config["online"] = online
    return {"score_type": ScoreType.ONLINE, "categories": None, "config": config}


def needs_rows(editor: Editor) -> bool:
    """Whether the editor's rows are part of the definition: categories, or the scores aggregated."""
    return editor.kind == "aggregate" or (editor.kind == "human-review" and editor.form.cleaned_data["score_type"] == ScoreType.CATEGORICAL)


def scorer_from_value(value: str, existing) -> dict:
    """A scorer as the rule stores it; one already on the rule keeps its other fields (a version, say)."""
    for scorer in existing:
        if scorer_value(scorer) == value:
            return scorer
    kind, _, name = value.partition(":")
    return {"type": "function", "id": name} if kind == "function" else {"type": "global", "name": name}


def humane(message: str) -> str:
    """A service message with API paths such as ``categories[0].value`` named as the form names them."""
    return re.sub(r"categories\[(\d+)\]\.(\w+)", lambda m: f"Category {int(m.group(1)) + 1} {m.group(2)}", message)
