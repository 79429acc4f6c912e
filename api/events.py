"""The rows of experiments, datasets and project logs: ``/insert``, ``/fetch``, ``/feedback`` and ``/summarize``.

The views are thin: they find the object the path names, let :class:`permissions.drf.EngineAccess` decide
(docs/access-model.md, data inside objects: fetching and summarizing need read on the object, inserting and
feedback need update; for logs the node is the project's ``project_log``), check the body's outer shape,
and hand the rest to the data plane (:mod:`projects.events`), which validates every event, checks access
again as it writes, and answers in Braintrust's shapes.

One view class serves one action on one kind of object; the kind (which rows, which node, which path id)
comes from a scope mixin, the action from a base class.
"""

from typing import Any, ClassVar

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_serializer, extend_schema_view
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import OrgScopedView
from api.experiments import LiveExperiments, ProjectObjectScope
from api.inputs import StrictCharField, StrictSerializer
from api.schema import error_responses, id_parameter
from permissions.engine import Node
from permissions.exceptions import ValidationError
from projects.events.reads import MAX_FETCH_LIMIT, fetch_events, parse_fetch_limit
from projects.events.summaries import summarize_dataset, summarize_experiment
from projects.events.targets import EventTarget
from projects.events.writes import insert_events, record_feedback
from projects.models import Dataset, Experiment, ObjectKind, Project
from projects.selectors import comparison_experiment

# Schema shapes.
#
# Events are validated by the data plane and answered as it builds them, so the serializers below describe
# them for the schema only; the request serializers check the outer shape and pass each item through.


def _enum(values: list[str | None], **kwargs) -> serializers.ChoiceField:
    """One of `values` (None among them: the field may be null)."""
    return serializers.ChoiceField(choices=[v for v in values if v is not None], allow_null=None in values, **kwargs)


def _component(name: str, doc: str, fields: dict[str, serializers.Field]) -> type[serializers.Serializer]:
    """A schema-only serializer named `name` (Braintrust's component name) with these fields."""
    serializer = type(name, (serializers.Serializer,), {"__doc__": doc, "__module__": __name__, **fields})
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


_KIND_LABELS = {ObjectKind.EXPERIMENT: "experiment", ObjectKind.DATASET: "dataset", ObjectKind.PROJECT_LOGS: "project logs"}
_KIND_NAMES = {ObjectKind.EXPERIMENT: "Experiment", ObjectKind.DATASET: "Dataset", ObjectKind.PROJECT_LOGS: "ProjectLogs"}


def _as_is(component: type[serializers.Serializer]) -> serializers.Field:
    """A list item passed to the data plane as sent (it names every problem with the item's position),
    documented as `component`."""

    @extend_schema_field(component)
    class Item(serializers.Field):
        def to_internal_value(self, data: Any) -> Any:
            return data

    return Item(allow_null=True)


def _serializers_of(kind: str) -> tuple[type[StrictSerializer], type[StrictSerializer], type[serializers.Serializer]]:
    """The insert request, the feedback request and the fetch answer of `kind`."""
    label, name = _KIND_LABELS[kind], _KIND_NAMES[kind]
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

    insert_request = type(
        f"Insert{name}EventRequest",
        (StrictSerializer,),
        {
            "__doc__": f"Events to insert into the {label}, in order. Unknown fields are refused.",
            "__module__": __name__,
            "events": serializers.ListField(child=_as_is(insert_item), help_text=f"A list of {label} events to insert"),
        },
    )
    feedback_request = type(
        f"Feedback{name}EventRequest",
        (StrictSerializer,),
        {
            "__doc__": f"Feedback on events of the {label}. Unknown fields are refused.",
            "__module__": __name__,
            "feedback": serializers.ListField(child=_as_is(feedback_item), help_text=f"A list of {label} feedback items"),
        },
    )
    fetch_response = _component(
        f"Fetch{name}EventsResponse",
        f"A page of the {label}'s traces",
        {
            "events": event(many=True, help_text="A list of fetched events"),
            "cursor": serializers.CharField(
                allow_null=True, help_text="Pass it as `cursor` to fetch the next page; null when there is no next page"
            ),
        },
    )
    return (
        extend_schema_serializer(component_name=insert_request.__name__)(insert_request),
        extend_schema_serializer(component_name=feedback_request.__name__)(feedback_request),
        fetch_response,
    )


INSERT_EXPERIMENT, FEEDBACK_EXPERIMENT, FETCH_EXPERIMENT = _serializers_of(ObjectKind.EXPERIMENT)
INSERT_DATASET, FEEDBACK_DATASET, FETCH_DATASET = _serializers_of(ObjectKind.DATASET)
INSERT_LOGS, FEEDBACK_LOGS, FETCH_LOGS = _serializers_of(ObjectKind.PROJECT_LOGS)


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


_DEPRECATED_CURSOR_HELP = "Deprecated by Braintrust and refused here: pass the `cursor` a previous fetch returned instead"
_TAGS_HELP = "This server's addition: only traces with a row carrying one of these tags"


@extend_schema_serializer(component_name="FetchEventsRequest")
class FetchEventsRequestSerializer(StrictSerializer):
    """Which page of traces to fetch. Unknown fields are refused."""

    limit = _FetchLimitField(
        required=False, allow_null=True, min_value=0, max_value=MAX_FETCH_LIMIT, help_text="The number of traces (not rows) to return"
    )
    cursor = StrictCharField(
        required=False, allow_null=True, allow_blank=True, help_text="The `cursor` of the previous page, to fetch the next one"
    )
    max_xact_id = StrictCharField(required=False, allow_null=True, help_text=_DEPRECATED_CURSOR_HELP)
    max_root_span_id = StrictCharField(required=False, allow_null=True, help_text=_DEPRECATED_CURSOR_HELP)
    version = StrictCharField(
        required=False, allow_null=True, allow_blank=True, help_text="A `_xact_id`: fetch the rows as they were at that transaction"
    )
    tags = serializers.ListField(child=StrictCharField(min_length=1), required=False, allow_null=True, help_text=_TAGS_HELP)


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


@extend_schema_serializer(component_name="SummarizeExperimentResponse")
class SummarizeExperimentResponseSerializer(serializers.Serializer):
    """Summary of an experiment"""

    project_name = serializers.CharField(help_text="Name of the project that the experiment belongs to")
    experiment_name = serializers.CharField(help_text="Name of the experiment")
    project_url = serializers.URLField(help_text="URL of the project in this API")
    experiment_url = serializers.URLField(help_text="URL of the experiment in this API")
    comparison_experiment_name = serializers.CharField(allow_null=True, help_text="The experiment which scores are baselined against")
    scores = serializers.DictField(child=ScoreSummarySerializer(), allow_null=True, help_text="Summary of the experiment's scores")
    metrics = serializers.DictField(child=MetricSummarySerializer(), allow_null=True, help_text="Summary of the experiment's metrics")


@extend_schema_serializer(component_name="DataSummary")
class DataSummarySerializer(serializers.Serializer):
    """Summary of a dataset's data"""

    total_records = serializers.IntegerField(min_value=0, help_text="Total number of records in the dataset")


@extend_schema_serializer(component_name="SummarizeDatasetResponse")
class SummarizeDatasetResponseSerializer(serializers.Serializer):
    """Summary of a dataset"""

    project_name = serializers.CharField(help_text="Name of the project that the dataset belongs to")
    dataset_name = serializers.CharField(help_text="Name of the dataset")
    project_url = serializers.URLField(help_text="URL of the project in this API")
    dataset_url = serializers.URLField(help_text="URL of the dataset in this API")
    data_summary = DataSummarySerializer(allow_null=True)


# Which rows a view serves


class _ExperimentRows(LiveExperiments):
    lookup_url_kwarg = "experiment_id"


class _DatasetRows(ProjectObjectScope):
    queryset = Dataset.objects.all()
    object_type = "dataset"
    lookup_url_kwarg = "dataset_id"


class _ProjectLogRows:
    """Live projects; the node that guards their logs is the project's ``project_log``."""

    queryset = Project.objects.all()
    org_field = "org"
    object_type = "project"
    lookup_url_kwarg = "project_id"

    def safely_get_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.filter(deleted_at__isnull=True)


# What a view does with them


class _RowsView(OrgScopedView):
    """A view of the rows inside the object the path names; access is on the node that guards them."""

    def object_node(self, obj: Experiment | Dataset | Project) -> Node:
        return EventTarget.of(obj).node

    def target(self) -> EventTarget:
        """The rows of the object the path names, once access to them is allowed for this method."""
        return EventTarget.of(self.get_object())


class _InsertView(_RowsView):
    object_permissions = {"POST": "update"}
    request_serializer: ClassVar[type[StrictSerializer]]

    def post(self, request: Request, **_path) -> Response:
        target = self.target()
        events = self.body(self.request_serializer)["events"]
        return Response({"row_ids": insert_events(actor=request.user, target=target, events=events)})


class _FeedbackView(_RowsView):
    object_permissions = {"POST": "update"}
    request_serializer: ClassVar[type[StrictSerializer]]

    def post(self, request: Request, **_path) -> Response:
        target = self.target()
        items = self.body(self.request_serializer)["feedback"]
        record_feedback(actor=request.user, target=target, items=items)
        return Response({"status": "success"})


class _FetchView(_RowsView):
    object_permissions = {"GET": "read", "POST": "read"}

    def get(self, request: Request, **_path) -> Response:
        target = self.target()
        params = request.query_params
        return self._page(
            target,
            limit=parse_fetch_limit(params.get("limit")),
            cursor=params.get("cursor") or None,
            version=params.get("version") or None,
            tags=[tag for tag in params.getlist("tags") if tag] or None,
            deprecated={name: params.get(name) for name in ("max_xact_id", "max_root_span_id")},
        )

    def post(self, request: Request, **_path) -> Response:
        target = self.target()
        data = self.body(FetchEventsRequestSerializer)
        return self._page(
            target,
            limit=data.get("limit"),
            cursor=data.get("cursor") or None,
            version=data.get("version") or None,
            tags=data.get("tags") or None,
            deprecated={name: data.get(name) for name in ("max_xact_id", "max_root_span_id")},
        )

    def _page(self, target: EventTarget, *, limit, cursor, version, tags, deprecated: dict) -> Response:
        for name, value in deprecated.items():
            if value not in (None, ""):
                raise ValidationError(f"{name} is not supported: pass the cursor a previous fetch returned instead.")
        page = fetch_events(actor=self.request.user, target=target, limit=limit, cursor=cursor, version=version, tags=tags)
        return Response({"events": page.events, "cursor": page.cursor})


def _flag(request: Request, name: str) -> bool:
    """A boolean query parameter that is true unless it says false."""
    value = request.query_params.get(name)
    if value in (None, "", "true", "True"):
        return True
    if value in ("false", "False"):
        return False
    raise ValidationError(f"{name} must be true or false, not {value!r}.")


def _absolute(request: Request, api_path: str) -> str:
    return request.build_absolute_uri(api_path)


# Schema annotations

_ERRORS = error_responses(400, 401, 403, 404)
_PATH_IDS = {
    ObjectKind.EXPERIMENT: [id_parameter("experiment_id", "Experiment")],
    ObjectKind.DATASET: [id_parameter("dataset_id", "Dataset")],
    ObjectKind.PROJECT_LOGS: [id_parameter("project_id", "Project")],
}
_TAGS = {ObjectKind.EXPERIMENT: ["Experiments"], ObjectKind.DATASET: ["Datasets"], ObjectKind.PROJECT_LOGS: ["Logs"]}
_OPERATION_PREFIX = {ObjectKind.EXPERIMENT: "ExperimentId", ObjectKind.DATASET: "DatasetId", ObjectKind.PROJECT_LOGS: "ProjectLogsId"}
_ACCESS = {
    ObjectKind.EXPERIMENT: "on the experiment",
    ObjectKind.DATASET: "on the dataset",
    ObjectKind.PROJECT_LOGS: "on the project's logs (project_log)",
}
_FETCH_PARAMETERS = [
    OpenApiParameter(
        "limit", {"type": "integer", "minimum": 0, "maximum": MAX_FETCH_LIMIT}, description="The number of traces (not rows) to return"
    ),
    OpenApiParameter("cursor", OpenApiTypes.STR, description="The `cursor` of the previous page, to fetch the next one"),
    OpenApiParameter("version", OpenApiTypes.STR, description="A `_xact_id`: fetch the rows as they were at that transaction"),
    OpenApiParameter("tags", OpenApiTypes.STR, many=True, description=f"{_TAGS_HELP}. Repeat the parameter for several"),
    OpenApiParameter("max_xact_id", OpenApiTypes.STR, deprecated=True, description=_DEPRECATED_CURSOR_HELP),
    OpenApiParameter("max_root_span_id", OpenApiTypes.STR, deprecated=True, description=_DEPRECATED_CURSOR_HELP),
]


def _insert_schema(kind: str, request_serializer) -> Any:
    label = _KIND_LABELS[kind]
    return extend_schema_view(
        post=extend_schema(
            operation_id=f"post{_OPERATION_PREFIX[kind]}Insert",
            summary=f"Insert {label} events",
            description=f"Insert a set of events into the {label}: each replaces, merges into (`_is_merge`) or deletes "
            f"(`_object_delete`) the row with its id. Needs update {_ACCESS[kind]}.",
            tags=_TAGS[kind],
            parameters=_PATH_IDS[kind],
            request=request_serializer,
            responses={200: InsertEventsResponseSerializer, **_ERRORS},
        )
    )


def _fetch_schema(kind: str, response_serializer, summary: str) -> Any:
    description = (
        f"Fetch the events of the {_KIND_LABELS[kind]} as whole traces, newest first, a page of `limit` traces at a time. "
        f"Needs read {_ACCESS[kind]}."
    )
    common = {"tags": _TAGS[kind], "responses": {200: response_serializer, **_ERRORS}}
    return extend_schema_view(
        get=extend_schema(
            operation_id=f"get{_OPERATION_PREFIX[kind]}Fetch",
            summary=f"{summary} (GET form)",
            description=description,
            parameters=[*_PATH_IDS[kind], *_FETCH_PARAMETERS],
            **common,
        ),
        post=extend_schema(
            operation_id=f"post{_OPERATION_PREFIX[kind]}Fetch",
            summary=f"{summary} (POST form)",
            description=description,
            parameters=_PATH_IDS[kind],
            request=FetchEventsRequestSerializer,
            **common,
        ),
    )


def _feedback_schema(kind: str, request_serializer) -> Any:
    label = _KIND_LABELS[kind]
    return extend_schema_view(
        post=extend_schema(
            operation_id=f"post{_OPERATION_PREFIX[kind]}Feedback",
            summary=f"Feedback for {label} events",
            description=f"Log feedback for a set of {label} events; a row id that does not exist refuses the whole request. "
            f"Needs update {_ACCESS[kind]}.",
            tags=_TAGS[kind],
            parameters=_PATH_IDS[kind],
            request=request_serializer,
            responses={200: FeedbackResponseSerializer, **_ERRORS},
        )
    )


# The views


@_insert_schema(ObjectKind.EXPERIMENT, INSERT_EXPERIMENT)
class ExperimentInsertView(_ExperimentRows, _InsertView):
    request_serializer = INSERT_EXPERIMENT


@_fetch_schema(ObjectKind.EXPERIMENT, FETCH_EXPERIMENT, "Fetch experiment")
class ExperimentFetchView(_ExperimentRows, _FetchView):
    pass


@_feedback_schema(ObjectKind.EXPERIMENT, FEEDBACK_EXPERIMENT)
class ExperimentFeedbackView(_ExperimentRows, _FeedbackView):
    request_serializer = FEEDBACK_EXPERIMENT


@_insert_schema(ObjectKind.DATASET, INSERT_DATASET)
class DatasetInsertView(_DatasetRows, _InsertView):
    request_serializer = INSERT_DATASET


@_fetch_schema(ObjectKind.DATASET, FETCH_DATASET, "Fetch dataset")
class DatasetFetchView(_DatasetRows, _FetchView):
    pass


@_feedback_schema(ObjectKind.DATASET, FEEDBACK_DATASET)
class DatasetFeedbackView(_DatasetRows, _FeedbackView):
    request_serializer = FEEDBACK_DATASET


@_insert_schema(ObjectKind.PROJECT_LOGS, INSERT_LOGS)
class ProjectLogsInsertView(_ProjectLogRows, _InsertView):
    request_serializer = INSERT_LOGS


@_fetch_schema(ObjectKind.PROJECT_LOGS, FETCH_LOGS, "Fetch project logs")
class ProjectLogsFetchView(_ProjectLogRows, _FetchView):
    pass


@_feedback_schema(ObjectKind.PROJECT_LOGS, FEEDBACK_LOGS)
class ProjectLogsFeedbackView(_ProjectLogRows, _FeedbackView):
    request_serializer = FEEDBACK_LOGS


@extend_schema_view(
    get=extend_schema(
        operation_id="getExperimentIdSummarize",
        summary="Summarize experiment",
        description="Summarize the experiment's scores and metrics, compared with `comparison_experiment_id` (which the caller "
        "must be able to read) or else with the experiment's base experiment, or else the most recent experiment of the project "
        "run before it, when the caller can read it. Needs read on the experiment.",
        tags=["Experiments"],
        parameters=[
            *_PATH_IDS[ObjectKind.EXPERIMENT],
            OpenApiParameter(
                "summarize_scores", OpenApiTypes.BOOL, description="Whether to summarize the scores and metrics (default true)"
            ),
            OpenApiParameter(
                "comparison_experiment_id",
                OpenApiTypes.UUID,
                description="The experiment of the organization to compare against; defaults to the base experiment, then "
                "to the most recent earlier experiment of the project",
            ),
        ],
        responses={200: SummarizeExperimentResponseSerializer, **_ERRORS},
    )
)
class ExperimentSummarizeView(_ExperimentRows, _RowsView):
    """The experiment's scores and metrics, compared with another experiment of the organization.

    An explicit comparison must be one the caller can read (a missing, deleted, other organization's or
    invisible one is "not found", one it sees without read is refused naming read); without one, the
    experiment's base experiment, or else the most recent experiment of its project run before it, is
    compared with when the caller can read it (Braintrust's fallback), and nothing otherwise.
    """

    object_permissions = {"GET": "read"}

    def get(self, request: Request, **_path) -> Response:
        experiment = self.get_object()
        summarize_scores = _flag(request, "summarize_scores")
        comparison_id = self.uuid_param("comparison_experiment_id")
        comparison = None
        if summarize_scores:
            if comparison_id is not None:
                comparison = self.checked(self.get_queryset().filter(pk=comparison_id).first(), comparison_id)
            else:
                comparison = comparison_experiment(request.user, experiment)
        summary = summarize_experiment(actor=request.user, experiment=experiment, comparison=comparison, summarize_scores=summarize_scores)
        return self._render(request, experiment, summary)

    @staticmethod
    def _render(request: Request, experiment, summary: dict) -> Response:
        return Response(
            {
                **summary,
                "project_url": _absolute(request, f"/v1/project/{experiment.project_id}"),
                "experiment_url": _absolute(request, f"/v1/experiment/{experiment.pk}"),
            }
        )


@extend_schema_view(
    get=extend_schema(
        operation_id="getDatasetIdSummarize",
        summary="Summarize dataset",
        description="Summarize the dataset: how many live records it holds. Needs read on the dataset.",
        tags=["Datasets"],
        parameters=[
            *_PATH_IDS[ObjectKind.DATASET],
            OpenApiParameter("summarize_data", OpenApiTypes.BOOL, description="Whether to summarize the data (default true)"),
        ],
        responses={200: SummarizeDatasetResponseSerializer, **_ERRORS},
    )
)
class DatasetSummarizeView(_DatasetRows, _RowsView):
    """How many live records the dataset holds."""

    object_permissions = {"GET": "read"}

    def get(self, request: Request, **_path) -> Response:
        dataset = self.get_object()
        summary = summarize_dataset(actor=request.user, dataset=dataset, summarize_data=_flag(request, "summarize_data"))
        return Response(
            {
                **summary,
                "project_url": _absolute(request, f"/v1/project/{dataset.project_id}"),
                "dataset_url": _absolute(request, f"/v1/dataset/{dataset.pk}"),
            }
        )


urlpatterns = [
    path("v1/experiment/<str:experiment_id>/insert", ExperimentInsertView.as_view(), name="api-experiment-insert"),
    path("v1/experiment/<str:experiment_id>/fetch", ExperimentFetchView.as_view(), name="api-experiment-fetch"),
    path("v1/experiment/<str:experiment_id>/feedback", ExperimentFeedbackView.as_view(), name="api-experiment-feedback"),
    path("v1/experiment/<str:experiment_id>/summarize", ExperimentSummarizeView.as_view(), name="api-experiment-summarize"),
    path("v1/dataset/<str:dataset_id>/insert", DatasetInsertView.as_view(), name="api-dataset-insert"),
    path("v1/dataset/<str:dataset_id>/fetch", DatasetFetchView.as_view(), name="api-dataset-fetch"),
    path("v1/dataset/<str:dataset_id>/feedback", DatasetFeedbackView.as_view(), name="api-dataset-feedback"),
    path("v1/dataset/<str:dataset_id>/summarize", DatasetSummarizeView.as_view(), name="api-dataset-summarize"),
    path("v1/project_logs/<str:project_id>/insert", ProjectLogsInsertView.as_view(), name="api-project-logs-insert"),
    path("v1/project_logs/<str:project_id>/fetch", ProjectLogsFetchView.as_view(), name="api-project-logs-fetch"),
    path("v1/project_logs/<str:project_id>/feedback", ProjectLogsFeedbackView.as_view(), name="api-project-logs-feedback"),
]
