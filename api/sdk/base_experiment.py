"""``POST /api/base_experiment/get_id``: which experiment the SDK compares a new one with.

Braintrust's answer: the experiment's base experiment, else the most recent earlier experiment of its
project, whichever the caller may read (:func:`projects.selectors.comparison_experiment`, the same rule
as ``/v1/experiment/{id}/summarize``). None is a 400, which the SDK reads as "no base experiment".
"""

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import OrgScopedView
from api.experiments import LiveExperiments
from api.inputs import StrictSerializer, StrictUUIDField
from api.schema import operation_schema
from permissions.exceptions import ValidationError
from projects.selectors import comparison_experiment


class BaseExperimentRequestSerializer(StrictSerializer):
    id = StrictUUIDField(help_text="The experiment whose base experiment is asked for")


class BaseExperimentView(LiveExperiments, OrgScopedView):
    """Needs read on the experiment; the answer names only an experiment the caller may read."""

    object_permissions = {"POST": "read"}

    @operation_schema(
        "postBaseExperimentGetId",
        tag="SDK",
        summary="Find an experiment's base experiment",
        answer=inline_serializer(
            "BaseExperimentResponse", {"base_exp_id": serializers.UUIDField(), "base_exp_name": serializers.CharField()}
        ),
        request=BaseExperimentRequestSerializer,
    )
    def post(self, request: Request) -> Response:
        experiment_id = self.body(BaseExperimentRequestSerializer)["id"]
        experiment = self.checked(self.find_object(experiment_id), experiment_id)
        base = comparison_experiment(request.user, experiment)
        if base is None:
            raise ValidationError("This experiment has no base experiment.")
        return Response({"base_exp_id": str(base.pk), "base_exp_name": base.name})
