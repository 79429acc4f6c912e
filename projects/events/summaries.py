"""Summaries of an experiment (the mean of every score and metric, compared with another experiment) and of
a dataset (how many records it holds). Summarizing needs read on the object, and on the comparison.

A comparison pairs rows by their ``input`` (Braintrust's default comparison key): for each score both
experiments have, ``diff`` is the difference of the means, and each pair whose score rose or fell counts
as an improvement or a regression.
"""

import json
from collections import defaultdict
from dataclasses import dataclass
from statistics import fmean

from permissions.engine.guards import require
from projects.events.aggregates import aggregate_scores_of, with_aggregates
from projects.events.targets import EventTarget
from projects.models import Dataset, EventRow, Experiment

_TOKEN_METRICS = ("prompt_tokens", "completion_tokens", "tokens")


@dataclass(frozen=True)
class _Row:
    key: str  # the comparison key: the row's input, as canonical JSON
    is_root: bool
    root_span_id: str
    scores: dict
    metrics: dict


def _rows(experiment: Experiment) -> list[_Row]:
    target = EventTarget.of(experiment)
    aggregates = aggregate_scores_of(experiment.project_id)
    rows = []
    for root_span_id, is_root, data in (
        EventRow.objects.filter(**target.row_filter(), is_deleted=False).values_list("root_span_id", "is_root", "data").order_by("id")
    ):
        scores = with_aggregates(data.get("scores"), aggregates) or {}
        rows.append(
            _Row(
                key=json.dumps(data.get("input"), sort_keys=True, default=str),
                is_root=is_root,
                root_span_id=root_span_id,
                scores={name: value for name, value in scores.items() if isinstance(value, int | float)},
                metrics=data.get("metrics") or {},
            )
        )
    return rows


def _score_means(rows: list[_Row]) -> dict[str, float]:
    values: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        for name, value in row.scores.items():
            values[name].append(value)
    return {name: fmean(found) for name, found in values.items()}


def _scores_by_key(rows: list[_Row]) -> dict[str, dict[str, float]]:
    """Per comparison key and score, the mean over the rows with that key."""
    grouped: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        for name, value in row.scores.items():
            grouped[row.key][name].append(value)
    return {key: {name: fmean(values) for name, values in scores.items()} for key, scores in grouped.items()}


def _metric_values(rows: list[_Row]) -> dict[str, tuple[str, list[tuple[str, float]]]]:
    """Duration of each root span, and tokens summed over each trace, each with its comparison key."""
    trace_keys = {row.root_span_id: row.key for row in rows if row.is_root}
    durations = []
    tokens: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in rows:
        start, end = row.metrics.get("start"), row.metrics.get("end")
        if row.is_root and isinstance(start, int | float) and isinstance(end, int | float):
            durations.append((row.key, end - start))
        for name in _TOKEN_METRICS:
            if isinstance(row.metrics.get(name), int | float):
                tokens[row.root_span_id][name] += row.metrics[name]
    found: dict[str, tuple[str, list[tuple[str, float]]]] = {}
    if durations:
        found["duration"] = ("s", durations)
    for name in _TOKEN_METRICS:
        per_trace = [(trace_keys.get(root, ""), trace[name]) for root, trace in tokens.items() if name in trace]
        if per_trace:
            found[name] = ("tok", per_trace)
    return found


def _by_key(values: list[tuple[str, float]]) -> dict[str, float]:
    grouped: dict[str, list[float]] = defaultdict(list)
    for key, value in values:
        grouped[key].append(value)
    return {key: fmean(found) for key, found in grouped.items()}


def summarize_experiment(*, actor, experiment: Experiment, comparison: Experiment | None, summarize_scores: bool = True) -> dict:
    """The experiment's scores and metrics, compared with `comparison` when there is one."""
    require(actor, "read", experiment)
    summary = {
        "project_name": experiment.project.name,
        "experiment_name": experiment.name,
        "comparison_experiment_name": None,
        "scores": None,
        "metrics": None,
    }
    if not summarize_scores:
        return summary
    if comparison is not None:
        require(actor, "read", comparison)
        summary["comparison_experiment_name"] = comparison.name
    rows = _rows(experiment)
    base_rows = _rows(comparison) if comparison is not None else []
    means, base_means = _score_means(rows), _score_means(base_rows)
    by_key, base_by_key = _scores_by_key(rows), _scores_by_key(base_rows)
    scores = {}
    for name, mean in sorted(means.items()):
        entry = {"name": name, "score": mean, "improvements": 0, "regressions": 0}
        if name in base_means:
            entry["diff"] = mean - base_means[name]
            for key, values in by_key.items():
                before = base_by_key.get(key, {}).get(name)
                if before is not None and name in values:
                    entry["improvements"] += values[name] > before
                    entry["regressions"] += values[name] < before
        scores[name] = entry
    metrics = {}
    base_metrics = _metric_values(base_rows)
    for name, (unit, values) in sorted(_metric_values(rows).items()):
        entry = {"name": name, "metric": fmean(v for _, v in values), "unit": unit, "improvements": 0, "regressions": 0}
        if name in base_metrics:
            base_values = base_metrics[name][1]
            entry["diff"] = entry["metric"] - fmean(v for _, v in base_values)
            before = _by_key(base_values)
            for key, value in _by_key(values).items():
                if key in before:  # less time and fewer tokens are better
                    entry["improvements"] += value < before[key]
                    entry["regressions"] += value > before[key]
        metrics[name] = entry
    summary["scores"], summary["metrics"] = scores, metrics
    return summary


def summarize_dataset(*, actor, dataset: Dataset, summarize_data: bool = True) -> dict:
    """How many live records the dataset holds."""
    require(actor, "read", dataset)
    summary = {"project_name": dataset.project.name, "dataset_name": dataset.name, "data_summary": None}
    if summarize_data:
        count = EventRow.objects.filter(**EventTarget.of(dataset).row_filter(), is_deleted=False).count()
        summary["data_summary"] = {"total_records": count}
    return summary
