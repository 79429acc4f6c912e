"""The OpenAPI description of the event views: operation ids, tags, parameters and answers, by kind of object."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_view

from api.events.serializers import (
    DEPRECATED_CURSOR_HELP,
    KIND_LABELS,
    ROW_SHAPES,
    TAGS_HELP,
    FeedbackResponseSerializer,
    FetchEventsRequestSerializer,
    InsertEventsResponseSerializer,
)
from api.schema import id_parameter, operation_schema
from projects.events.reads import MAX_FETCH_LIMIT
from projects.models import ObjectKind

_PATH_IDS = {
    ObjectKind.EXPERIMENT: [id_parameter("experiment_id", "Experiment")],
    ObjectKind.DATASET: [id_parameter("dataset_id", "Dataset")],
    ObjectKind.PROJECT_LOGS: [id_parameter("project_id", "Project")],
}
_TAGS = {ObjectKind.EXPERIMENT: "Experiments", ObjectKind.DATASET: "Datasets", ObjectKind.PROJECT_LOGS: "Logs"}
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


def rows_operation(
    kind: str,
    method: str,
    action: str,
    *,
    summary: str,
    description: str,
    answer: Any,
    parameters: Sequence[OpenApiParameter] = (),
    **request: Any,
) -> Callable:
    """One operation on the rows of `kind`: its id (``postExperimentIdInsert``), tag and path id follow from the kind."""
    return operation_schema(
        f"{method}{_OPERATION_PREFIX[kind]}{action}",
        tag=_TAGS[kind],
        summary=summary,
        answer=answer,
        description=description,
        parameters=[*_PATH_IDS[kind], *parameters],
        **request,
    )


@dataclass(frozen=True, kw_only=True)
class _RowsWrite:
    """One way of writing the rows of an object, in Braintrust's words: its operation is ``post<Kind>Id<action>``,
    its summary and description speak of the object's `label`, and the description ends with the
    permission it needs, update on the object."""

    action: str
    summary: str
    description: str
    answer: Any
    request: Callable[[Any], Any]  # the kind's row shapes -> the request body


_INSERT = _RowsWrite(
    action="Insert",
    summary="Insert {label} events",
    description="Insert a set of events into the {label}: each replaces, merges into (`_is_merge`) or deletes "
    "(`_object_delete`) the row with its id.",
    answer=InsertEventsResponseSerializer,
    request=lambda shapes: shapes.insert_request,
)
_FEEDBACK = _RowsWrite(
    action="Feedback",
    summary="Feedback for {label} events",
    description="Log feedback for a set of {label} events; a row id that does not exist refuses the whole request.",
    answer=FeedbackResponseSerializer,
    request=lambda shapes: shapes.feedback_request,
)


def _write_schema(kind: str, write: _RowsWrite) -> Callable:
    label = KIND_LABELS[kind]
    return extend_schema_view(
        post=rows_operation(
            kind,
            "post",
            write.action,
            summary=write.summary.format(label=label),
            description=f"{write.description.format(label=label)} Needs update {_ACCESS[kind]}.",
            answer=write.answer,
            request=write.request(ROW_SHAPES[kind]),
        )
    )


def insert_schema(kind: str) -> Callable:
    return _write_schema(kind, _INSERT)


def fetch_schema(kind: str, summary: str) -> Callable:
    description = (
        f"Fetch the events of the {KIND_LABELS[kind]} as whole traces, newest first, a page of `limit` traces at a time. "
        f"Needs read {_ACCESS[kind]}."
    )
    answer = ROW_SHAPES[kind].fetch_answer
    return extend_schema_view(
        get=rows_operation(
            kind, "get", "Fetch", summary=f"{summary} (GET form)", description=description, answer=answer, parameters=_FETCH_PARAMETERS
        ),
        post=rows_operation(
            kind,
            "post",
            "Fetch",
            summary=f"{summary} (POST form)",
            description=description,
            answer=answer,
            request=FetchEventsRequestSerializer,
        ),
    )


def feedback_schema(kind: str) -> Callable:
    return _write_schema(kind, _FEEDBACK)
