"""``GET /experiment-comparison2``: the scores and metrics of Braintrust's TypeScript ``summarize()``.

``experiment_id`` is the experiment summarized, ``base_experiment_id`` (optional) the one it is compared
with; the caller needs read on both. The numbers are those of ``/v1/experiment/{id}/summarize``
(:func:`projects.events.summaries.summarize_experiment`); the SDK has already chosen the comparison,
through ``/api/base_experiment/get_id``, so none is chosen here.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import OrgScopedView
from api.events.serializers import MetricSummarySerializer, ScoreSummarySerializer
from api.experiments import LiveExperiments
from api.schema import operation_schema
from projects.events.summaries import summarize_experiment
from projects.models import Experiment


class ExperimentComparisonView(LiveExperiments, OrgScopedView):
    object_permissions = {"GET": "read"}

    def _experiment(self, name: str, *, required: bool) -> Experiment | None:
        pk = self.uuid_param(name, required=required)
        return self.checked(self.find_object(pk), pk) if pk is not None else None

    @operation_schema(
        "getExperimentComparison2",
        tag="SDK",
        summary="Compare an experiment's scores and metrics with another's",
        answer=inline_serializer(
            "ExperimentComparisonResponse",
            {
                "scores": serializers.DictField(child=ScoreSummarySerializer(), help_text="The experiment's scores"),
                "metrics": serializers.DictField(child=MetricSummarySerializer(), help_text="The experiment's metrics"),
            },
        ),
        parameters=[
            OpenApiParameter("experiment_id", OpenApiTypes.UUID, required=True, description="The experiment summarized"),
            OpenApiParameter("base_experiment_id", OpenApiTypes.UUID, description="The experiment it is compared with"),
        ],
    )
    def get(self, request: Request) -> Response:
        experiment = self._experiment("experiment_id", required=True)
        base = self._experiment("base_experiment_id", required=False)
        summary = summarize_experiment(actor=request.user, experiment=experiment, comparison=base)
        return Response({"scores": summary["scores"], "metrics": summary["metrics"]})
