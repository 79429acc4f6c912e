"""The shapes of the requests and answers of ``/insert``, ``/fetch``, ``/feedback`` and ``/summarize``.

Events are validated by the data plane (:mod:`projects.events`) and answered as it builds them, so these
serializers check the outer shape of a request and describe the rest for the schema.
"""

from dataclasses import dataclass
from typing import Any

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from api.inputs import StrictCharField, StrictSerializer
from projects.events.reads import MAX_FETCH_LIMIT
from projects.models import ObjectKind

# Schema shapes.
#
# Events are validated by the data plane and answered as it builds them, so the serializers below describe
# them for the schema only; the request serializers check the outer shape and pass each item through.


def _enum(values: list[str | None], **kwargs) -> serializers.ChoiceField:
    """One of `values` (None among them: the field may be null)."""
    return serializers.ChoiceField(choices=[v for v in values if v is not None], allow_null=None in values, **kwargs)


def _component(
    name: str, doc: str, fields: dict[str, serializers.Field], base: type[serializers.Serializer] = serializers.Serializer
) -> type[serializers.Serializer]:
    """A serializer named `name` (Braintrust's component name) with these fields: schema-only by default,
    a request body that refuses unknown fields with ``base=StrictSerializer``."""
    serializer = type(name, (base,), {"__doc__": doc, "__module__": __name__, **fields})
    return extend_schema_serializer(component_name=name)(serializer)


SpanAttributesSerializer = _component(
    "SpanAttributes",
    "Human-identifying attributes of the span, such as name, type, etc.",
    {
        "name": serializers.CharField(required=False, allow_null=True, help_text="Name of the span, for display purposes only"),
        "type": _enum(
            ["llm", "score", "function", "eval", "task", "tool", "automation", "facet", "preprocessor", "classifier", "review", None],
            required=False,
            help_text="Type of the span, for display purposes only",
        ),
        "purpose": _enum(["scorer", None], required=False, help_text="Set on spans made by a scoring automation"),
    },
)

ObjectReferenceSerializer = _component(
    "ObjectReferenceNullish",
    "Indicates the event was copied from another object.",
    {
        "object_type": _enum(
            ["project_logs", "experiment", "dataset", "prompt", "function", "prompt_session"],
            help_text="Type of the object the event is originating from.",
        ),
        "object_id": serializers.UUIDField(help_text="ID of the object the event is originating from."),
        "id": serializers.CharField(help_text="ID of the original event."),
        "_xact_id": serializers.CharField(
            label="_xact_id", required=False, allow_null=True, help_text="Transaction ID of the original event."
        ),
        "created": serializers.CharField(required=False, allow_null=True, help_text="Created timestamp of the original event."),
    },
)


def _data_fields(kind: str, *, required: bool) -> dict[str, serializers.Field]:
    """The fields a row of `kind` stores (datasets hold test cases: no outputs, scores or metrics)."""
    optional = {"required": required, "allow_null": True}
    fields = {
        "input": serializers.JSONField(**optional, help_text="The arguments that uniquely define the case (any JSON value)"),
        "output": serializers.JSONField(**optional, help_text="The output of your application (any JSON value)"),
        "expected": serializers.JSONField(**optional, help_text="The ground truth to compare `output` with (any JSON value)"),
        "error": serializers.JSONField(**optional, help_text="The error that occurred, if any"),
        "scores": serializers.DictField(
            child=serializers.FloatField(allow_null=True, min_value=0, max_value=1),
            **optional,
            help_text="Numeric scores between 0 and 1, by name; feedback merges into them",
        ),
        "metadata": serializers.DictField(**optional, help_text="Additional data about the event, any JSON values by string keys"),
        "tags": serializers.ListField(child=serializers.CharField(), **optional, help_text="A list of tags to log"),
        "metrics": serializers.DictField(
            **optional,
            help_text="Numeric measurements: `start` and `end` (unix timestamps), `prompt_tokens`, `completion_tokens`, `tokens`",
        ),
        "context": serializers.DictField(
            **optional, help_text="Where in code the event was made: `caller_functionname`, `caller_filename`, `caller_lineno`"
        ),
        "span_attributes": SpanAttributesSerializer(required=required, allow_null=True),
        "origin": ObjectReferenceSerializer(required=required, allow_null=True),
        "facets": serializers.DictField(
            child=serializers.CharField(allow_null=True), **optional, help_text="Facets for categorization (facet id to value)"
        ),
    }
    if kind == ObjectKind.DATASET:
        return {name: fields[name] for name in ("input", "expected", "metadata", "tags", "origin", "facets")}
    return fields


def _insert_fields(kind: str) -> dict[str, serializers.Field]:
    optional = {"required": False, "allow_null": True}
    strings = serializers.ListField(child=serializers.CharField())
    return {
        **_data_fields(kind, required=False),
        "id": serializers.CharField(**optional, help_text="The row's id; generated if left out. An existing id is replaced or merged into"),
        "created": serializers.DateTimeField(**optional, help_text="When the event was created"),
        "_object_delete": serializers.BooleanField(
            label="_object_delete", **optional, help_text="true marks the row deleted: later fetches leave it out"
        ),
        "_is_merge": serializers.BooleanField(
            label="_is_merge", **optional, help_text="true deep-merges the event into the existing row with this id instead of replacing it"
        ),
        "_merge_paths": serializers.ListField(
            label="_merge_paths",
            child=strings,
            **optional,
            help_text='Paths below which a merge replaces instead of descending, e.g. [["input", "a"]]',
        ),
        "_array_delete": serializers.ListField(
            label="_array_delete",
            child=serializers.DictField(),
            **optional,
            help_text='Values to remove from arrays after the merge: [{"path": ["tags"], "delete": ["foo"]}]',
        ),
        "_parent_id": serializers.CharField(
            label="_parent_id", **optional, help_text="Deprecated: the id of the parent row. Prefer span_parents and root_span_id"
        ),
        "span_id": serializers.CharField(**optional, help_text="The span's id within its trace; generated if left out"),
        "root_span_id": serializers.CharField(**optional, help_text="The id of the trace's root span"),
        "span_parents": serializers.ListField(
            child=serializers.CharField(), **optional, help_text="The span ids of the parents; empty or null for a root span"
        ),
    }


def _owner_fields(kind: str) -> dict[str, serializers.Field]:
    """The ids that say which object a fetched row belongs to."""
    if kind == ObjectKind.EXPERIMENT:
        return {"experiment_id": serializers.UUIDField(help_text="Unique identifier for the experiment")}
    if kind == ObjectKind.DATASET:
        return {"dataset_id": serializers.UUIDField(help_text="Unique identifier for the dataset")}
    return {
        "org_id": serializers.UUIDField(help_text="Unique id for the organization that the project belongs under"),
        "log_id": _enum(["g"], help_text="A literal 'g' which identifies the log as a project log"),
    }


def _event_fields(kind: str) -> dict[str, serializers.Field]:
    """What the data plane answers for each row (``projects.events.reads.row_json``)."""
    return {
        "id": serializers.CharField(help_text="The row's id"),
        "_xact_id": serializers.CharField(
            label="_xact_id", help_text="The transaction that wrote this state of the row; pass it as `version` to fetch as of it"
        ),
        "_pagination_key": serializers.CharField(
            label="_pagination_key", allow_null=True, help_text="A stable, time-ordered key of the row"
        ),
        "created": serializers.DateTimeField(help_text="When the event was created"),
        "project_id": serializers.UUIDField(help_text="Unique identifier for the project"),
        **_owner_fields(kind),
        "span_id": serializers.CharField(help_text="The span's id within its trace"),
        "root_span_id": serializers.CharField(help_text="The id of the trace this row belongs to"),
        "span_parents": serializers.ListField(child=serializers.CharField(), allow_null=True, help_text="The span ids of the parents"),
        "is_root": serializers.BooleanField(allow_null=True, help_text="Whether this span is a root span"),
        **_data_fields(kind, required=True),
        "comments": serializers.ListField(
            child=serializers.JSONField(), allow_null=True, help_text="Comments given as feedback, oldest first"
        ),
    }


KIND_LABELS = {ObjectKind.EXPERIMENT: "experiment", ObjectKind.DATASET: "dataset", ObjectKind.PROJECT_LOGS: "project logs"}
KIND_NAMES = {ObjectKind.EXPERIMENT: "Experiment", ObjectKind.DATASET: "Dataset", ObjectKind.PROJECT_LOGS: "ProjectLogs"}


def _as_is(component: type[serializers.Serializer]) -> serializers.Field:
    """A list item passed to the data plane as sent (it names every problem with the item's position),
    documented as `component`."""

    @extend_schema_field(component)
    class Item(serializers.Field):
        def to_internal_value(self, data: Any) -> Any:
            return data

    return Item(allow_null=True)


@dataclass(frozen=True)
class RowShapes:
    """The shapes of the row endpoints of one kind of object."""

    insert_request: type[StrictSerializer]
    feedback_request: type[StrictSerializer]
    fetch_answer: type[serializers.Serializer]
    insert_item: type[serializers.Serializer]  # one event of insert_request, for the schema (also of POST /v1/insert)
    feedback_item: type[serializers.Serializer]  # one item of feedback_request, likewise


def _shapes_of(kind: str) -> RowShapes:
    """The insert request, the feedback request and the fetch answer of `kind`."""
    label, name = KIND_LABELS[kind], KIND_NAMES[kind]
    event = _component(f"{name}Event", f"A row of the {label}, as fetched", _event_fields(kind))
    insert_item = _component(f"Insert{name}Event", f"An event to insert into the {label}", _insert_fields(kind))
    feedback_fields = {
        "id": serializers.CharField(help_text=f"The id of the {label} event to log feedback for (a row id that insert returned)"),
        "scores": serializers.DictField(
            child=serializers.FloatField(allow_null=True, min_value=0, max_value=1),
            required=False,
            allow_null=True,
            help_text="Scores between 0 and 1, merged into the event's scores",
        ),
        "expected": serializers.JSONField(required=False, allow_null=True, help_text="The ground truth, which replaces the event's"),
        "comment": serializers.CharField(required=False, allow_null=True, help_text="A comment, appended to the event's comments"),
        "metadata": serializers.DictField(required=False, allow_null=True, help_text="Data about the feedback itself"),
        "source": _enum(["app", "api", "external", None], required=False, help_text='"external" (default), "app" or "api"'),
        "tags": serializers.ListField(child=serializers.CharField(), required=False, allow_null=True, help_text="Tags to add"),
    }
    if kind == ObjectKind.DATASET:
        del feedback_fields["scores"], feedback_fields["expected"]
    feedback_item = _component(f"Feedback{name}Item", f"Feedback on an event of the {label}", feedback_fields)
    return RowShapes(
        insert_request=_component(
            f"Insert{name}EventRequest",
            f"Events to insert into the {label}, in order. Unknown fields are refused.",
            {"events": serializers.ListField(child=_as_is(insert_item), help_text=f"A list of {label} events to insert")},
            base=StrictSerializer,
        ),
        feedback_request=_component(
            f"Feedback{name}EventRequest",
            f"Feedback on events of the {label}. Unknown fields are refused.",
            {"feedback": serializers.ListField(child=_as_is(feedback_item), help_text=f"A list of {label} feedback items")},
            base=StrictSerializer,
        ),
        fetch_answer=_component(
            f"Fetch{name}EventsResponse",
            f"A page of the {label}'s traces",
            {
                "events": event(many=True, help_text="A list of fetched events"),
                "cursor": serializers.CharField(
                    allow_null=True, help_text="Pass it as `cursor` to fetch the next page; null when there is no next page"
                ),
            },
        ),
        insert_item=insert_item,
        feedback_item=feedback_item,
    )


ROW_SHAPES = {kind: _shapes_of(kind) for kind in (ObjectKind.EXPERIMENT, ObjectKind.DATASET, ObjectKind.PROJECT_LOGS)}


@extend_schema_serializer(component_name="InsertEventsResponse")
class InsertEventsResponseSerializer(serializers.Serializer):
    row_ids = serializers.ListField(
        child=serializers.CharField(), help_text="The ids of the rows inserted, one per event sent, in the same order"
    )


@extend_schema_serializer(component_name="FeedbackResponseSchema")
class FeedbackResponseSerializer(serializers.Serializer):
    status = _enum(["success"])


class _FetchLimitField(serializers.IntegerField):
    """A whole number of traces, sent as a JSON number (not a string, not a boolean)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


DEPRECATED_CURSOR_HELP = "Deprecated by Braintrust and refused here: pass the `cursor` a previous fetch returned instead"
TAGS_HELP = "This server's addition: only traces with a row carrying one of these tags"


@extend_schema_serializer(component_name="FetchEventsRequest")
class FetchEventsRequestSerializer(StrictSerializer):
    """Which page of traces to fetch. Unknown fields are refused."""

    limit = _FetchLimitField(
        required=False, allow_null=True, min_value=0, max_value=MAX_FETCH_LIMIT, help_text="The number of traces (not rows) to return"
    )
    cursor = StrictCharField(
        required=False, allow_null=True, allow_blank=True, help_text="The `cursor` of the previous page, to fetch the next one"
    )
    max_xact_id = StrictCharField(required=False, allow_null=True, help_text=DEPRECATED_CURSOR_HELP)
    max_root_span_id = StrictCharField(required=False, allow_null=True, help_text=DEPRECATED_CURSOR_HELP)
    version = StrictCharField(
        required=False, allow_null=True, allow_blank=True, help_text="A `_xact_id`: fetch the rows as they were at that transaction"
    )
    tags = serializers.ListField(child=StrictCharField(min_length=1), required=False, allow_null=True, help_text=TAGS_HELP)


@extend_schema_serializer(component_name="ScoreSummary")
class ScoreSummarySerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Name of the score")
    score = serializers.FloatField(min_value=0, max_value=1, help_text="Average score across all examples")
    diff = serializers.FloatField(
        required=False, min_value=-1, max_value=1, help_text="Difference in score between the current and comparison experiment"
    )
    improvements = serializers.IntegerField(min_value=0, help_text="Number of examples whose score rose against the comparison")
    regressions = serializers.IntegerField(min_value=0, help_text="Number of examples whose score fell against the comparison")


@extend_schema_serializer(component_name="MetricSummary")
class MetricSummarySerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Name of the metric")
    metric = serializers.FloatField(help_text="Average metric across all examples")
    unit = serializers.CharField(help_text="Unit label for the metric")
    diff = serializers.FloatField(required=False, help_text="Difference in metric between the current and comparison experiment")
    improvements = serializers.IntegerField(min_value=0, help_text="Number of examples whose metric fell (improved) against the comparison")
    regressions = serializers.IntegerField(min_value=0, help_text="Number of examples whose metric rose (regressed) against the comparison")


def _summarized_fields(kind: str) -> dict[str, serializers.Field]:
    """What a summary of an experiment or a dataset begins with: its name and its project's, and where both are."""
    return {
        "project_name": serializers.CharField(help_text=f"Name of the project that the {kind} belongs to"),
        f"{kind}_name": serializers.CharField(help_text=f"Name of the {kind}"),
        "project_url": serializers.URLField(help_text="URL of the project in this API"),
        f"{kind}_url": serializers.URLField(help_text=f"URL of the {kind} in this API"),
    }


SummarizeExperimentResponseSerializer = _component(
    "SummarizeExperimentResponse",
    "Summary of an experiment",
    {
        **_summarized_fields("experiment"),
        "comparison_experiment_name": serializers.CharField(allow_null=True, help_text="The experiment which scores are baselined against"),
        "scores": serializers.DictField(child=ScoreSummarySerializer(), allow_null=True, help_text="Summary of the experiment's scores"),
        "metrics": serializers.DictField(child=MetricSummarySerializer(), allow_null=True, help_text="Summary of the experiment's metrics"),
    },
)


@extend_schema_serializer(component_name="DataSummary")
class DataSummarySerializer(serializers.Serializer):
    """Summary of a dataset's data"""

    total_records = serializers.IntegerField(min_value=0, help_text="Total number of records in the dataset")


SummarizeDatasetResponseSerializer = _component(
    "SummarizeDatasetResponse",
    "Summary of a dataset",
    {**_summarized_fields("dataset"), "data_summary": DataSummarySerializer(allow_null=True)},
)
