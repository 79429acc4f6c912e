"""The OpenAPI description of the event views: operation ids, tags, parameters and answers, by kind of object."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view

from api.events.serializers import (
    DEPRECATED_CURSOR_HELP,
    KIND_LABELS,
    TAGS_HELP,
    FeedbackResponseSerializer,
    FetchEventsRequestSerializer,
    InsertEventsResponseSerializer,
)
from api.schema import error_responses, id_parameter
from projects.events.reads import MAX_FETCH_LIMIT
from projects.models import ObjectKind

ERRORS = error_responses(400, 401, 403, 404)
PATH_IDS = {
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
    OpenApiParameter("tags", OpenApiTypes.STR, many=True, description=f"{TAGS_HELP}. Repeat the parameter for several"),
    OpenApiParameter("max_xact_id", OpenApiTypes.STR, deprecated=True, description=DEPRECATED_CURSOR_HELP),
    OpenApiParameter("max_root_span_id", OpenApiTypes.STR, deprecated=True, description=DEPRECATED_CURSOR_HELP),
]


def insert_schema(kind: str, request_serializer) -> Any:
    label = KIND_LABELS[kind]
    return extend_schema_view(
        post=extend_schema(
            operation_id=f"post{_OPERATION_PREFIX[kind]}Insert",
            summary=f"Insert {label} events",
            description=f"Insert a set of events into the {label}: each replaces, merges into (`_is_merge`) or deletes "
            f"(`_object_delete`) the row with its id. Needs update {_ACCESS[kind]}.",
            tags=_TAGS[kind],
            parameters=PATH_IDS[kind],
            request=request_serializer,
            responses={200: InsertEventsResponseSerializer, **ERRORS},
        )
    )


def fetch_schema(kind: str, response_serializer, summary: str) -> Any:
    description = (
        f"Fetch the events of the {KIND_LABELS[kind]} as whole traces, newest first, a page of `limit` traces at a time. "
        f"Needs read {_ACCESS[kind]}."
    )
    common = {"tags": _TAGS[kind], "responses": {200: response_serializer, **ERRORS}}
    return extend_schema_view(
        get=extend_schema(
            operation_id=f"get{_OPERATION_PREFIX[kind]}Fetch",
            summary=f"{summary} (GET form)",
            description=description,
            parameters=[*PATH_IDS[kind], *_FETCH_PARAMETERS],
            **common,
        ),
        post=extend_schema(
            operation_id=f"post{_OPERATION_PREFIX[kind]}Fetch",
            summary=f"{summary} (POST form)",
            description=description,
            parameters=PATH_IDS[kind],
            request=FetchEventsRequestSerializer,
            **common,
        ),
    )


def feedback_schema(kind: str, request_serializer) -> Any:
    label = KIND_LABELS[kind]
    return extend_schema_view(
        post=extend_schema(
            operation_id=f"post{_OPERATION_PREFIX[kind]}Feedback",
            summary=f"Feedback for {label} events",
            description=f"Log feedback for a set of {label} events; a row id that does not exist refuses the whole request. "
            f"Needs update {_ACCESS[kind]}.",
            tags=_TAGS[kind],
            parameters=PATH_IDS[kind],
            request=request_serializer,
            responses={200: FeedbackResponseSerializer, **ERRORS},
        )
    )
