"""The views of the rows of experiments, datasets and project logs, and their routes.

One view class serves one action on one kind of object; the kind (which rows, which node, which path id)
comes from a scope mixin, the action from a base class. The insert, fetch and feedback classes of every
kind are alike but for their shapes and words, so they are made from one table of routes (``_ROUTES``),
a row a kind, which also gives the routes; the summarize views differ by kind and are written out.
"""

from dataclasses import dataclass
from typing import Any, ClassVar

from django.db.models import QuerySet
from django.urls import URLPattern, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_view
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import OrgScopedView
from api.events.schema import feedback_schema, fetch_schema, insert_schema, rows_operation
from api.events.serializers import (
    KIND_NAMES,
    ROW_SHAPES,
    FetchEventsRequestSerializer,
    SummarizeDatasetResponseSerializer,
    SummarizeExperimentResponseSerializer,
)
from api.experiments import LiveExperiments, ProjectObjectScope
from api.inputs import StrictSerializer
from permissions.engine import Node
from permissions.exceptions import ValidationError
from projects.events.reads import fetch_events, parse_fetch_limit
from projects.events.summaries import summarize_dataset, summarize_experiment
from projects.events.targets import EventTarget
from projects.events.writes import insert_events, record_feedback
from projects.models import Dataset, Experiment, ObjectKind, Project
from projects.selectors import comparison_experiment

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


# The views


@extend_schema_view(
    get=rows_operation(
        ObjectKind.EXPERIMENT,
        "get",
        "Summarize",
        summary="Summarize experiment",
        description="Summarize the experiment's scores and metrics, compared with `comparison_experiment_id` (which the caller "
        "must be able to read) or else with the experiment's base experiment, or else the most recent experiment of the project "
        "run before it, when the caller can read it. Needs read on the experiment.",
        answer=SummarizeExperimentResponseSerializer,
        parameters=[
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
    get=rows_operation(
        ObjectKind.DATASET,
        "get",
        "Summarize",
        summary="Summarize dataset",
        description="Summarize the dataset: how many live records it holds. Needs read on the dataset.",
        answer=SummarizeDatasetResponseSerializer,
        parameters=[OpenApiParameter("summarize_data", OpenApiTypes.BOOL, description="Whether to summarize the data (default true)")],
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


@dataclass(frozen=True)
class _RowRoutes:
    """The routes of the rows of one kind of object: ``/insert``, ``/fetch``, ``/feedback`` and, for
    some, ``/summarize``, below the object's own path."""

    kind: str
    rows: type  # the scope mixin: which objects the path names
    object_path: str  # e.g. "v1/experiment/<str:experiment_id>"
    url_name: str  # the routes' names are "<url_name>-insert" and so on
    fetch_summary: str
    summarize: type[_RowsView] | None = None

    def views(self) -> dict[str, type[_RowsView]]:
        """The view class of each action on these rows, e.g. ``ExperimentInsertView`` for "insert"."""
        name, shapes = KIND_NAMES[self.kind], ROW_SHAPES[self.kind]

        def view(action: str, base: type[_RowsView], **attrs: Any) -> type[_RowsView]:
            return type(f"{name}{action}View", (self.rows, base), {"__module__": __name__, **attrs})

        views = {
            "insert": insert_schema(self.kind)(view("Insert", _InsertView, request_serializer=shapes.insert_request)),
            "fetch": fetch_schema(self.kind, self.fetch_summary)(view("Fetch", _FetchView)),
            "feedback": feedback_schema(self.kind)(view("Feedback", _FeedbackView, request_serializer=shapes.feedback_request)),
        }
        if self.summarize is not None:
            views["summarize"] = self.summarize
        return views

    def urlpatterns(self) -> list[URLPattern]:
        return [
            path(f"{self.object_path}/{action}", view.as_view(), name=f"{self.url_name}-{action}") for action, view in self.views().items()
        ]


_ROUTES = [
    _RowRoutes(
        ObjectKind.EXPERIMENT,
        _ExperimentRows,
        "v1/experiment/<str:experiment_id>",
        "api-experiment",
        "Fetch experiment",
        summarize=ExperimentSummarizeView,
    ),
    _RowRoutes(
        ObjectKind.DATASET, _DatasetRows, "v1/dataset/<str:dataset_id>", "api-dataset", "Fetch dataset", summarize=DatasetSummarizeView
    ),
    _RowRoutes(ObjectKind.PROJECT_LOGS, _ProjectLogRows, "v1/project_logs/<str:project_id>", "api-project-logs", "Fetch project logs"),
]

urlpatterns = [pattern for routes in _ROUTES for pattern in routes.urlpatterns()]
