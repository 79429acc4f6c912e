"""Saved views: create, change and delete, each checked, atomic and audited.

A view is not a node of the access hierarchy: it belongs to one (its object). Reading it is read on its
object, because a saved view is part of how everyone who reads the object looks at it. Creating,
changing and deleting it needs update on its object, not create or delete: it adds no node for grants
to name (so there is nothing to create in the access model's sense), and changing a view everyone who
reads the object sees changes the object's presentation for all of them, as renaming the object would.

Every service re-reads the object and refuses one that was deleted, validates what it stores (the same
checks whichever entry point calls it: the API, the Logs tab, the admin) and records one audit event.
"""

from typing import Any
from uuid import UUID

from django.db import transaction

from accounts.models import Organization
from permissions.audit import record_event
from permissions.audit_states import fields_state
from permissions.engine.guards import require
from permissions.services.changes import UNCHANGED, set_given
from permissions.services.names import others_named, save_named
from permissions.services.rows import row_or_not_found
from permissions.types import ObjectType
from projects.models import View, ViewType
from projects.selectors import live_node
from projects.services.configuration.checks import (
    expect_bool,
    expect_choice,
    expect_list,
    expect_name,
    expect_number,
    expect_object,
    expect_string,
    expect_string_list,
    invalid,
)

VIEW_FIELDS = ("object_type", "object_id", "view_type", "name", "view_data", "options")

# What a view's definition and options may hold (Braintrust's ViewData and ViewOptions)

SEARCH_FIELDS = ("filter", "tag", "match", "sort")
MONITOR_OPTIONS = ("spanType", "rangeValue", "frameStart", "frameEnd", "tzUTC", "chartVisibility", "projectId", "type", "groupBy")
TABLE_OPTIONS = (
    "columnVisibility",
    "columnOrder",
    "columnSizing",
    "grouping",
    "rowHeight",
    "tallGroupRows",
    "layout",
    "topicMapReportKey",
    "chartHeight",
    "excludedMeasures",
    "yMetric",
    "xAxis",
    "symbolGrouping",
    "xAxisAggregation",
    "chartAnnotations",
    "timeRangeFilter",
    "queryShape",
    "cluster",
    "freezeColumns",
)
MEASURE_TYPES = ("none", "score", "metric", "metadata")


def validate_view_data(value: Any) -> dict | None:
    """A view's definition: ``{"search": {"filter": [...], "tag": [...], "match": [...], "sort": [...]},
    "custom_charts": ...}``, each part optional or null; the items of the lists are the app's own."""
    if value is None:
        return None
    expect_object(value, "view_data", allowed=("search", "custom_charts"))
    search = value.get("search")
    if search is not None:
        expect_object(search, "view_data.search", allowed=SEARCH_FIELDS)
        for field in SEARCH_FIELDS:
            expect_list(search.get(field), f"view_data.search.{field}")
    return value


def _expect_mapping_of(value: Any, path: str, check) -> None:
    """Null, or an object whose every value `check` accepts (``columnVisibility``: name to boolean)."""
    if value is None:
        return
    if not isinstance(value, dict):
        raise invalid(path, "must be an object.")
    for key, item in value.items():
        check(item, f"{path}.{key}", nullable=False)


def _expect_measure(value: Any, path: str) -> None:
    if value is None:
        return
    expect_object(value, path, allowed=("type", "value"), required=("type", "value"))
    expect_choice(value["type"], f"{path}.type", MEASURE_TYPES, nullable=False)
    expect_string(value["value"], f"{path}.value", nullable=False)


def _validate_monitor_options(options: dict) -> None:
    expect_object(options, "options", allowed=("viewType", "options", "freezeColumns"), required=("viewType", "options"))
    expect_choice(options["viewType"], "options.viewType", ("monitor",), nullable=False)
    expect_bool(options.get("freezeColumns"), "options.freezeColumns")
    inner = expect_object(options["options"], "options.options", allowed=MONITOR_OPTIONS)
    expect_choice(inner.get("spanType"), "options.options.spanType", ("range", "frame"))
    for field in ("rangeValue", "frameStart", "frameEnd", "projectId", "groupBy"):
        expect_string(inner.get(field), f"options.options.{field}")
    expect_bool(inner.get("tzUTC"), "options.options.tzUTC")
    _expect_mapping_of(inner.get("chartVisibility"), "options.options.chartVisibility", expect_bool)
    expect_choice(inner.get("type"), "options.options.type", ("project", "experiment"))


def _validate_table_options(options: dict) -> None:
    expect_object(options, "options", allowed=TABLE_OPTIONS)
    _expect_mapping_of(options.get("columnVisibility"), "options.columnVisibility", expect_bool)
    expect_string_list(options.get("columnOrder"), "options.columnOrder")
    _expect_mapping_of(options.get("columnSizing"), "options.columnSizing", expect_number)
    for field in ("grouping", "rowHeight", "layout", "topicMapReportKey", "xAxisAggregation", "cluster"):
        expect_string(options.get(field), f"options.{field}")
    for field in ("tallGroupRows", "freezeColumns"):
        expect_bool(options.get(field), f"options.{field}")
    expect_number(options.get("chartHeight"), "options.chartHeight", nullable=True)
    for index, measure in enumerate(expect_list(options.get("excludedMeasures"), "options.excludedMeasures") or ()):
        if measure is None:
            raise invalid(f"options.excludedMeasures[{index}]", "must be an object.")
        _expect_measure(measure, f"options.excludedMeasures[{index}]")
    for field in ("yMetric", "xAxis", "symbolGrouping"):
        _expect_measure(options.get(field), f"options.{field}")
    for index, note in enumerate(expect_list(options.get("chartAnnotations"), "options.chartAnnotations") or ()):
        expect_object(note, f"options.chartAnnotations[{index}]", allowed=("id", "text"), required=("id", "text"))
        expect_string(note["id"], f"options.chartAnnotations[{index}].id", nullable=False)
        expect_string(note["text"], f"options.chartAnnotations[{index}].text", nullable=False)
    time_range = options.get("timeRangeFilter")
    if isinstance(time_range, dict):
        expect_object(time_range, "options.timeRangeFilter", allowed=("from", "to"), required=("from", "to"))
        expect_string(time_range["from"], "options.timeRangeFilter.from", nullable=False)
        expect_string(time_range["to"], "options.timeRangeFilter.to", nullable=False)
    elif time_range is not None and not isinstance(time_range, str):
        raise invalid("options.timeRangeFilter", "must be a string, an object with from and to, or null.")
    expect_choice(options.get("queryShape"), "options.queryShape", ("traces", "spans", "topics"))


def validate_view_options(value: Any) -> dict | None:
    """A view's options: a monitor's (``{"viewType": "monitor", "options": {...}}``), a table's, or null."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid("options", "must be an object or null.")
    if "viewType" in value:
        _validate_monitor_options(value)
    else:
        _validate_table_options(value)
    return value


def _view_type(value: Any) -> str | None:
    return expect_choice(value, "view_type", ViewType.values)


def _deep_merge(stored: Any, given: Any) -> Any:
    """`given` merged into `stored`: objects key by key, at every depth; anything else replaced."""
    if isinstance(stored, dict) and isinstance(given, dict):
        merged = dict(stored)
        for key, value in given.items():
            merged[key] = _deep_merge(stored.get(key), value)
        return merged
    return given


# Writes


def _save(view: View, *, update_fields: list[str] | None = None) -> None:
    """Save `view`, unless its object has another view of its type with its name."""
    taken = others_named(view, "object_type", "object_id", "view_type")
    refusal = f"A view named {view.name!r} already exists for this {view.object_type.replace('_', ' ')}."
    save_named(view, taken=taken, refusal=refusal, update_fields=update_fields)


def _locked(view: View, *, no_key: bool = False) -> View:
    """The view re-read and locked until the change commits ("not found" if it was deleted meanwhile)."""
    return row_or_not_found(View.objects.select_for_update(of=("self",), no_key=no_key).select_related("org"), view.pk, "view")


@transaction.atomic
def view_create(
    *,
    actor,
    org: Organization,
    object_type: str,
    object_id: UUID,
    name: str,
    view_type: str | None = None,
    view_data: Any = None,
    options: Any = None,
) -> View:
    """Save a new view of a live object of `org` (update on the object)."""
    expect_choice(object_type, "object_type", ObjectType.values, nullable=False)
    node = live_node(org, object_type, object_id)
    require(actor, "update", node)
    view = View(
        org=org,
        object_type=node.type,
        object_id=node.id,
        view_type=_view_type(view_type),
        name=expect_name(name),
        view_data=validate_view_data(view_data),
        options=validate_view_options(options),
        created_by=actor,
    )
    _save(view)
    record_event(actor=actor, org=org, action="view.create", target=view, after=fields_state(view, VIEW_FIELDS))
    return view


@transaction.atomic
def view_update(
    *,
    actor,
    view: View,
    name: str | None = None,
    view_type: Any = UNCHANGED,
    view_data: Any = UNCHANGED,
    options: Any = UNCHANGED,
    merge: bool = False,
) -> View:
    """Change a view (update on its object). `name` left None, and the others left out, are kept; given,
    `view_data` and `options` replace the stored ones, or with `merge` are deep-merged into them (as
    Braintrust's PATCH does: an object's keys are merged at every depth, anything else replaced)."""
    view = _locked(view, no_key=True)
    require(actor, "update", live_node(view.org, view.object_type, view.object_id))
    before = fields_state(view, VIEW_FIELDS)
    set_given(view, None, name=(name, expect_name))
    set_given(
        view,
        UNCHANGED,
        view_type=(view_type, _view_type),
        view_data=(view_data, lambda given: validate_view_data(_deep_merge(view.view_data, given) if merge else given)),
        options=(options, lambda given: validate_view_options(_deep_merge(view.options, given) if merge else given)),
    )
    after = fields_state(view, VIEW_FIELDS)
    if after != before:
        _save(view, update_fields=["name", "view_type", "view_data", "options"])
        record_event(actor=actor, org=view.org, action="view.update", target=view, before=before, after=after)
    return view


@transaction.atomic
def view_delete(*, actor, view: View) -> View:
    """Delete a view (update on its object); answers it as it was."""
    locked = _locked(view)
    require(actor, "update", live_node(locked.org, locked.object_type, locked.object_id))
    record_event(actor=actor, org=locked.org, action="view.delete", target=locked, before=fields_state(locked, VIEW_FIELDS))
    pk = locked.pk
    locked.delete()
    locked.pk = pk
    return locked
