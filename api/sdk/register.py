"""The app routes through which Braintrust's TypeScript SDK finds or makes the objects it logs to.

* ``POST /api/project/register`` ``{project_name}`` → ``{"project"}``: get or create by name.
* ``POST /api/experiment/register`` → ``{"project", "experiment"}``: the project by id or by name (made if
  new), then the experiment: a new one, under a free name, unless ``update`` asks for the existing one.
  Its base experiment is ``base_exp_id``, else the one called ``base_experiment``, else the most recent
  one run on the nearest of ``ancestor_commits``.
* ``POST /api/dataset/register`` → ``{"project", "dataset"}``: the project as above, then get or create.
* ``POST /api/experiment/get`` → the readable experiments of that name in the project (``init(..., open)``).
* ``GET /api/project?id=`` → the project (``initLogger`` given only a project id).

They are parsers only: the get-or-create services of :mod:`projects.services.registration` are the ones
``POST /v1/project``, ``/v1/experiment`` and ``/v1/dataset`` use, so access, names and audit are the same.
Each view declares what it needs before anything is written: create under the project, or, for a project
that is new, create under org_project (the services check again as they write).
"""

from collections.abc import Callable
from typing import Any

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_view, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import OrgScopedView
from api.experiments import (
    DatasetSerializer,
    ExperimentFieldsSerializer,
    ExperimentSerializer,
    LiveExperiments,
    dataset_fields,
    experiment_fields,
)
from api.inputs import StrictBooleanField, StrictCharField, StrictSerializer, StrictUUIDField
from api.projects import ProjectSerializer, project_json, project_registration_needs
from api.schema import operation_schema
from permissions.engine import Node
from permissions.requirements import NeedsCreate, Requirement
from projects.models import Dataset, Experiment, Project
from projects.selectors import readable_project_named
from projects.services.registration import dataset_register_in_project, experiment_register_in_project, project_register

MAX_ANCESTOR_COMMITS = 1000


def _name(help_text: str, **kwargs) -> StrictCharField:
    return StrictCharField(min_length=1, max_length=255, help_text=help_text, **kwargs)


class _CallerOrgFields(StrictSerializer):
    """The organization fields the SDK sends; :func:`api.base.caller_org` checks them against the credential."""

    org_id = StrictUUIDField(required=False, allow_null=True, help_text="The organization, for a caller in several")
    org_name = StrictCharField(required=False, allow_null=True, help_text="The organization, for a caller in several")


class _ProjectFields(_CallerOrgFields):
    project_id = StrictUUIDField(required=False, allow_null=True, help_text="The project, by id")
    project_name = _name("The project, by name: made if there is none the caller can read", required=False, allow_null=True)

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        if attrs.get("project_id") is None and attrs.get("project_name") is None:
            raise serializers.ValidationError({"project_name": ["project_id or project_name is required."]})
        return attrs


class RegisterProjectSerializer(_CallerOrgFields):
    project_name = _name("The project's name: the readable project of that name, else a new one")


class RegisterExperimentSerializer(_ProjectFields, ExperimentFieldsSerializer):
    experiment_name = _name("The experiment's name; without one, a fresh name", required=False, allow_null=True)
    update = StrictBooleanField(
        required=False, allow_null=True, help_text="Continue the existing experiment of that name instead of starting a new one"
    )
    base_experiment = _name("The base experiment, by name in the project", required=False, allow_null=True)
    ancestor_commits = serializers.ListField(
        child=StrictCharField(min_length=1, max_length=64),
        required=False,
        allow_null=True,
        max_length=MAX_ANCESTOR_COMMITS,
        help_text="The run's git ancestry, newest first: the base experiment is the latest one run on the nearest",
    )


class RegisterDatasetSerializer(_ProjectFields):
    dataset_name = _name("The dataset's name: the readable dataset of that name in the project, else a new one")
    description = StrictCharField(required=False, allow_null=True, allow_blank=True, help_text="Textual description of the dataset")
    metadata = serializers.DictField(required=False, allow_null=True, help_text="User-controlled metadata about the dataset")
    tags = serializers.ListField(child=StrictCharField(), required=False, allow_null=True, help_text="A list of tags for the dataset")


class ExperimentGetSerializer(_ProjectFields):
    experiment_name = _name("The experiment's name")


class _RegistrationView(OrgScopedView):
    """What registering an object of `object_type` in the project a body names needs, declared up front."""

    object_type: str
    request_serializer: type[StrictSerializer]
    output: type[serializers.Serializer]  # the registered object's shape in the answer, next to its project

    def requirements_post(self) -> list[Requirement]:
        data = self.body(self.request_serializer)  # bad input is a 400 whoever asks
        project_id = data.get("project_id")
        if project_id is None:
            project = readable_project_named(self.request.user, self.org.pk, data["project_name"])
            if project is None:  # a new project: the services check what is made in it as they make it
                return project_registration_needs(self.request.user, self.org.pk, data["project_name"])
            project_id = project.pk
        return [NeedsCreate(self.object_type, Node("project", project_id))]

    def post(self, request: Request) -> Response:
        data = self.body(self.request_serializer)
        registered = self.register(
            data, actor=request.user, org=self.org, project_id=data.get("project_id"), project_name=data.get("project_name")
        )
        return Response({"project": project_json(registered.project), self.object_type: self.output(registered).data})

    def register(self, data: dict, **in_project: Any) -> Experiment | Dataset:
        """Get or make the object `data` describes through the registration service, which takes the
        caller and the project (`in_project`: ``actor``, ``org``, ``project_id``, ``project_name``)."""
        raise NotImplementedError


def _registration_schema(summary: str) -> Callable[[type[_RegistrationView]], type[_RegistrationView]]:
    """The schema of a registration view, from what it registers: ``postExperimentRegister``, answering
    ``RegisterExperimentResponse`` (the project, and the experiment in the view's `output` shape)."""

    def decorate(view: type[_RegistrationView]) -> type[_RegistrationView]:
        title = view.object_type.capitalize()
        answer = inline_serializer(f"Register{title}Response", {"project": ProjectSerializer(), view.object_type: view.output()})
        return extend_schema_view(
            post=operation_schema(f"post{title}Register", tag="SDK", summary=summary, answer=answer, request=view.request_serializer)
        )(view)

    return decorate


class ProjectRegisterView(OrgScopedView):
    """Needs read on the project of that name, or create under org_project for a new one."""

    object_type = "project"

    def requirements_post(self) -> list[Requirement]:
        return project_registration_needs(self.request.user, self.org.pk, self.body(RegisterProjectSerializer)["project_name"])

    @operation_schema(
        "postProjectRegister",
        tag="SDK",
        summary="Get or create a project by name",
        answer=inline_serializer("RegisterProjectResponse", {"project": ProjectSerializer()}),
        request=RegisterProjectSerializer,
    )
    def post(self, request: Request) -> Response:
        data = self.body(RegisterProjectSerializer)
        return Response({"project": project_json(project_register(actor=request.user, org=self.org, name=data["project_name"]))})


@_registration_schema("Start an experiment, in a project found or made by name")
class ExperimentRegisterView(_RegistrationView):
    object_type = "experiment"
    request_serializer = RegisterExperimentSerializer
    output = ExperimentSerializer

    def register(self, data: dict, **in_project: Any) -> Experiment:
        return experiment_register_in_project(
            **in_project,
            base_experiment=data.get("base_experiment"),
            ancestor_commits=data.get("ancestor_commits"),
            name=data.get("experiment_name"),
            ensure_new=data.get("update") is not True,
            **experiment_fields(data),
        )


@_registration_schema("Get or create a dataset by name, in a project found or made by name")
class DatasetRegisterView(_RegistrationView):
    object_type = "dataset"
    request_serializer = RegisterDatasetSerializer
    output = DatasetSerializer

    def register(self, data: dict, **in_project: Any) -> Dataset:
        return dataset_register_in_project(**in_project, name=data["dataset_name"], **dataset_fields(data))


class ExperimentGetView(LiveExperiments, OrgScopedView):
    """The live experiments of that name in the live project named, restricted to those the caller may read."""

    @operation_schema(
        "postExperimentGet",
        tag="SDK",
        summary="Find an experiment by name",
        answer=ExperimentSerializer(many=True),
        errors=(400, 401),
        request=ExperimentGetSerializer,
    )
    def post(self, request: Request) -> Response:
        data = self.body(ExperimentGetSerializer)
        experiments = self.visible_queryset().filter(name=data["experiment_name"])
        if data.get("project_id") is not None:
            experiments = experiments.filter(project_id=data["project_id"])
        else:
            experiments = experiments.filter(project__name=data["project_name"])
        return Response(ExperimentSerializer(experiments.order_by("-created", "-pk"), many=True).data)


class ProjectGetView(OrgScopedView):
    """Needs read on the project."""

    queryset = Project.objects.alive()
    object_type = "project"
    object_permissions = {"GET": "read"}

    @operation_schema(
        "getAppProject",
        tag="SDK",
        summary="Get a project by id",
        answer=ProjectSerializer,
        parameters=[OpenApiParameter("id", OpenApiTypes.UUID, required=True, description="The project's id")],
    )
    def get(self, request: Request) -> Response:
        project_id = self.uuid_param("id", required=True)
        return Response(project_json(self.checked(self.find_object(project_id), project_id)))


urlpatterns = [
    path("api/project/register", ProjectRegisterView.as_view(), name="sdk-project-register"),
    path("api/experiment/register", ExperimentRegisterView.as_view(), name="sdk-experiment-register"),
    path("api/dataset/register", DatasetRegisterView.as_view(), name="sdk-dataset-register"),
    path("api/experiment/get", ExperimentGetView.as_view(), name="sdk-experiment-get"),
    path("api/project", ProjectGetView.as_view(), name="sdk-project"),
]
