"""``/v1/experiment`` and ``/v1/dataset``: experiments and datasets as objects, in Braintrust's shapes.

Both are objects of a project and follow the same conventions, so one pair of views serves both,
parameterised by a :class:`ProjectObjectKind`:

* ``POST``: get or create by name in ``project_id`` (create under the project). An existing object the
  caller can read is returned unmodified; creating one whose name is taken by an object the caller
  cannot read is refused as "taken". An experiment may be created without a name, or with
  ``ensure_new``, and then gets a fresh one.
* ``GET`` (list): the live objects of live projects the caller may read, restricted in the database.
* ``GET``, ``PATCH`` and ``DELETE`` on ``/{id}``: read, update and delete on the object.

Their rows (``/insert``, ``/fetch``, ``/feedback``, ``/summarize``) are served by :mod:`api.events`.
Access is declared here and decided by :class:`permissions.drf.EngineAccess`; the services in
``projects.services.experiments`` check again as they write.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from django.db.models import QuerySet
from django.urls import path
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import OrgScopedView
from api.inputs import StrictBooleanField, StrictCharField, StrictSerializer, StrictUUIDField
from api.pagination import paginate, parse_ids
from api.schema import DetailDocs, error_responses, list_parameters, object_detail_schema
from permissions.engine import Node
from permissions.exceptions import NotFound
from permissions.requirements import NeedsCreate
from projects.models import Dataset, Experiment, Project, ProjectObject
from projects.services.experiments import dataset_update, experiment_update
from projects.services.objects import object_delete
from projects.services.registration import dataset_register, experiment_register

# Shapes shared by requests and answers


def _text(help_text: str, **kwargs) -> StrictCharField:
    return StrictCharField(required=False, allow_null=True, allow_blank=True, trim_whitespace=False, help_text=help_text, **kwargs)


@extend_schema_serializer(component_name="RepoInfo")
class RepoInfoSerializer(StrictSerializer):
    """Metadata about the state of the repo when the experiment was created"""

    commit = _text("SHA of most recent commit")
    branch = _text("Name of the branch the most recent commit belongs to")
    tag = _text("Name of the tag on the most recent commit")
    dirty = StrictBooleanField(
        required=False, allow_null=True, help_text="Whether or not the repo had uncommitted changes when snapshotted"
    )
    author_name = _text("Name of the author of the most recent commit")
    author_email = _text("Email of the author of the most recent commit")
    commit_message = _text("Most recent commit message")
    commit_time = _text("Time of the most recent commit")
    git_diff = _text(
        "If the repo was dirty when run, this includes the diff between the current state of the repo and the most recent commit."
    )


def _metadata(kind: str, **kwargs) -> serializers.DictField:
    return serializers.DictField(allow_null=True, help_text=f"User-controlled metadata about the {kind}", **kwargs)


def _tags(kind: str, **kwargs) -> serializers.ListField:
    return serializers.ListField(child=StrictCharField(), allow_null=True, help_text=f"A list of tags for the {kind}", **kwargs)


_DATASET_VERSION_HELP = (
    "Version number of the linked dataset the experiment was run against. This can be used to reproduce the experiment "
    "after the dataset has been modified."
)
_PUBLIC_HELP = "Whether or not the experiment is public. Public experiments can be viewed by anybody inside or outside the organization"
_NOT_STORED_HELP = "Not stored by this server: always null"


# Answers


@extend_schema_serializer(component_name="Experiment")
class ExperimentSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True, help_text="Unique identifier for the experiment")
    project_id = serializers.UUIDField(read_only=True, help_text="Unique identifier for the project that the experiment belongs under")
    name = serializers.CharField(read_only=True, help_text="Name of the experiment. Within a project, experiment names are unique")
    description = serializers.CharField(read_only=True, allow_null=True, help_text="Textual description of the experiment")
    created = serializers.DateTimeField(read_only=True, allow_null=True, help_text="Date of experiment creation")
    repo_info = RepoInfoSerializer(read_only=True, allow_null=True)
    commit = serializers.SerializerMethodField(allow_null=True, help_text="Commit, taken directly from `repo_info.commit`")
    base_exp_id = serializers.UUIDField(
        read_only=True, allow_null=True, help_text="Id of default base experiment to compare against when viewing this experiment"
    )
    deleted_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Date of experiment deletion, or null if the experiment is still active"
    )
    dataset_id = serializers.UUIDField(
        read_only=True,
        allow_null=True,
        help_text="Identifier of the linked dataset, or null if the experiment is not linked to a dataset",
    )
    dataset_version = serializers.CharField(read_only=True, allow_null=True, help_text=_DATASET_VERSION_HELP)
    internal_metadata = serializers.SerializerMethodField(allow_null=True, help_text=_NOT_STORED_HELP)
    parameters_id = serializers.SerializerMethodField(allow_null=True, help_text=_NOT_STORED_HELP)
    parameters_version = serializers.SerializerMethodField(allow_null=True, help_text=_NOT_STORED_HELP)
    public = serializers.BooleanField(read_only=True, help_text=_PUBLIC_HELP)
    user_id = serializers.UUIDField(
        source="created_by_id", read_only=True, allow_null=True, help_text="Identifies the user who created the experiment"
    )
    metadata = _metadata("experiment", read_only=True)
    tags = _tags("experiment", read_only=True)

    @extend_schema_field(OpenApiTypes.STR)
    def get_commit(self, experiment: Experiment) -> str | None:
        repo_info = experiment.repo_info
        return repo_info.get("commit") if isinstance(repo_info, dict) else None

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_internal_metadata(self, experiment: Experiment) -> None:
        return None

    @extend_schema_field(OpenApiTypes.UUID)
    def get_parameters_id(self, experiment: Experiment) -> None:
        return None

    @extend_schema_field(OpenApiTypes.STR)
    def get_parameters_version(self, experiment: Experiment) -> None:
        return None


@extend_schema_serializer(component_name="Dataset")
class DatasetSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True, help_text="Unique identifier for the dataset")
    project_id = serializers.UUIDField(read_only=True, help_text="Unique identifier for the project that the dataset belongs under")
    name = serializers.CharField(read_only=True, help_text="Name of the dataset. Within a project, dataset names are unique")
    description = serializers.CharField(read_only=True, allow_null=True, help_text="Textual description of the dataset")
    created = serializers.DateTimeField(read_only=True, allow_null=True, help_text="Date of dataset creation")
    deleted_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Date of dataset deletion, or null if the dataset is still active"
    )
    user_id = serializers.UUIDField(
        source="created_by_id", read_only=True, allow_null=True, help_text="Identifies the user who created the dataset"
    )
    tags = _tags("dataset", read_only=True)
    metadata = _metadata("dataset", read_only=True)
    url_slug = serializers.SerializerMethodField(help_text="URL slug for the dataset. used to construct dataset URLs")

    @extend_schema_field(OpenApiTypes.STR)
    def get_url_slug(self, dataset: Dataset) -> str:
        return slugify(dataset.name) or str(dataset.pk)


# Requests

_NOT_STORED = ("internal_metadata", "parameters_id", "parameters_version")


class ExperimentFieldsSerializer(StrictSerializer):
    """What creating and changing an experiment share. Braintrust's ``internal_metadata`` and saved
    parameters are not stored here, so they are accepted only as null."""

    description = _text("Textual description of the experiment")
    repo_info = RepoInfoSerializer(required=False, allow_null=True)
    base_exp_id = StrictUUIDField(
        required=False, allow_null=True, help_text="Id of default base experiment to compare against when viewing this experiment"
    )
    dataset_id = StrictUUIDField(
        required=False,
        allow_null=True,
        help_text="Identifier of the linked dataset, or null if the experiment is not linked to a dataset",
    )
    dataset_version = StrictCharField(required=False, allow_null=True, min_length=1, max_length=40, help_text=_DATASET_VERSION_HELP)
    internal_metadata = serializers.DictField(required=False, allow_null=True, help_text="Not stored by this server: only null is accepted")
    parameters_id = StrictUUIDField(required=False, allow_null=True, help_text="Not stored by this server: only null is accepted")
    parameters_version = StrictCharField(required=False, allow_null=True, help_text="Not stored by this server: only null is accepted")
    public = StrictBooleanField(required=False, allow_null=True, help_text=_PUBLIC_HELP)
    metadata = _metadata("experiment", required=False)
    tags = _tags("experiment", required=False)

    def validate(self, attrs: dict) -> dict:
        message = "Not supported by this server: send null or leave it out."
        refused = {name: [message] for name in _NOT_STORED if attrs.get(name) is not None}
        if refused:
            raise serializers.ValidationError(refused)
        return {name: value for name, value in attrs.items() if name not in _NOT_STORED}


@extend_schema_serializer(component_name="CreateExperiment")
class CreateExperimentSerializer(ExperimentFieldsSerializer):
    """A new experiment. Unknown fields are refused."""

    project_id = StrictUUIDField(help_text="Unique identifier for the project that the experiment belongs under")
    name = StrictCharField(
        required=False,
        allow_null=True,
        min_length=1,
        max_length=255,
        help_text="Name of the experiment. Within a project, experiment names are unique",
    )
    ensure_new = StrictBooleanField(
        required=False,
        allow_null=True,
        help_text="Normally, creating an experiment with the same name as an existing experiment will return the existing one "
        "un-modified. But if `ensure_new` is true, registration will generate a new experiment with a unique name in case of a "
        "conflict.",
    )


@extend_schema_serializer(component_name="PatchExperiment")
class PatchExperimentSerializer(ExperimentFieldsSerializer):
    """The changes to make to an experiment; fields left out or null are left as they are, and object fields
    (``repo_info``, ``metadata``) are deep-merged into the stored ones. Unknown fields are refused."""

    name = StrictCharField(
        required=False,
        allow_null=True,
        min_length=1,
        max_length=255,
        help_text="Name of the experiment. Within a project, experiment names are unique",
    )


@extend_schema_serializer(component_name="CreateDataset")
class CreateDatasetSerializer(StrictSerializer):
    """A new dataset. Unknown fields are refused."""

    project_id = StrictUUIDField(help_text="Unique identifier for the project that the dataset belongs under")
    name = StrictCharField(min_length=1, max_length=255, help_text="Name of the dataset. Within a project, dataset names are unique")
    description = _text("Textual description of the dataset")
    tags = _tags("dataset", required=False)
    metadata = _metadata("dataset", required=False)


@extend_schema_serializer(component_name="PatchDataset")
class PatchDatasetSerializer(StrictSerializer):
    """The changes to make to a dataset; fields left out or null are left as they are, and ``metadata`` is
    deep-merged into the stored one. Unknown fields are refused."""

    name = StrictCharField(
        required=False,
        allow_null=True,
        min_length=1,
        max_length=255,
        help_text="Name of the dataset. Within a project, dataset names are unique",
    )
    description = _text("Textual description of the dataset")
    tags = _tags("dataset", required=False)
    metadata = _metadata("dataset", required=False)


# How each kind is written


def experiment_fields(data: dict) -> dict:
    """The fields of a validated experiment body that :func:`experiment_create` and :func:`experiment_update` take."""
    return {
        "description": data.get("description"),
        "repo_info": _plain(data.get("repo_info")),
        "base_exp_id": data.get("base_exp_id"),
        "dataset_id": data.get("dataset_id"),
        "dataset_version": data.get("dataset_version"),
        "public": data.get("public"),
        "metadata": data.get("metadata"),
        "tags": data.get("tags"),
    }


def _register_experiment(request: Request, project: Project, data: dict) -> Experiment:
    return experiment_register(
        actor=request.user, project=project, name=data.get("name"), ensure_new=bool(data.get("ensure_new")), **experiment_fields(data)
    )


def _update_experiment(request: Request, experiment: Experiment, data: dict) -> Experiment:
    return experiment_update(actor=request.user, experiment=experiment, name=data.get("name"), **experiment_fields(data))


def dataset_fields(data: dict) -> dict:
    """The fields of a validated dataset body that :func:`dataset_create` and :func:`dataset_update` take."""
    return {"description": data.get("description"), "metadata": data.get("metadata"), "tags": data.get("tags")}


def _register_dataset(request: Request, project: Project, data: dict) -> Dataset:
    return dataset_register(actor=request.user, project=project, name=data["name"], **dataset_fields(data))


def _update_dataset(request: Request, dataset: Dataset, data: dict) -> Dataset:
    return dataset_update(actor=request.user, dataset=dataset, name=data.get("name"), **dataset_fields(data))


def _plain(value: dict | None) -> dict | None:
    return dict(value) if value is not None else None


@dataclass(frozen=True)
class ProjectObjectKind:
    """How one kind of project object is read and written."""

    object_type: str  # the AclObjectType, and the name used in messages and parameters
    output: type[serializers.Serializer]
    create_input: type[StrictSerializer]
    patch_input: type[StrictSerializer]
    register: Callable[[Request, Project, dict], ProjectObject]  # get or create by name
    update: Callable[[Request, ProjectObject, dict], ProjectObject]

    def json(self, obj: ProjectObject) -> dict:
        return self.output(obj).data


EXPERIMENTS = ProjectObjectKind(
    object_type="experiment",
    output=ExperimentSerializer,
    create_input=CreateExperimentSerializer,
    patch_input=PatchExperimentSerializer,
    register=_register_experiment,
    update=_update_experiment,
)

DATASETS = ProjectObjectKind(
    object_type="dataset",
    output=DatasetSerializer,
    create_input=CreateDatasetSerializer,
    patch_input=PatchDatasetSerializer,
    register=_register_dataset,
    update=_update_dataset,
)


# Views


class ProjectObjectScope:
    """A view's rows are the live objects of live projects of the caller's organization (with their project)."""

    org_field = "project__org"

    def safely_get_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.filter(deleted_at__isnull=True, project__deleted_at__isnull=True).select_related("project")


class LiveExperiments(ProjectObjectScope):
    """A view's rows are the live experiments of live projects of the caller's organization."""

    queryset = Experiment.objects.all()
    object_type = "experiment"


class ProjectObjectCollectionView(ProjectObjectScope, OrgScopedView):
    """``/v1/<kind>``: POST (get or create by name in a project) and GET (list)."""

    kind: ClassVar[ProjectObjectKind]

    def requirements_post(self):
        data = self.body(self.kind.create_input)  # bad input is a 400 whoever asks
        return [NeedsCreate(self.kind.object_type, Node("project", data["project_id"]))]

    def _project(self, project_id) -> Project:
        project = Project.objects.alive().filter(pk=project_id, org=self.org).first()
        if project is None:
            raise NotFound("project", project_id)
        return project

    def post(self, request: Request) -> Response:
        data = self.body(self.kind.create_input)
        return Response(self.kind.json(self.kind.register(request, self._project(data["project_id"]), data)))

    def get(self, request: Request) -> Response:
        params = request.query_params
        rows = self.visible_queryset(listing=True)
        name = params.get(f"{self.kind.object_type}_name")
        if name:
            rows = rows.filter(name=name)
        project_id = self.uuid_param("project_id")
        if project_id is not None:
            rows = rows.filter(project_id=project_id)
        project_name = params.get("project_name")
        if project_name:
            rows = rows.filter(project__name=project_name)
        ids = parse_ids(params)
        if ids is not None:
            rows = rows.filter(pk__in=ids)
        return Response({"objects": self.kind.output(paginate(rows, params), many=True).data})


class ProjectObjectDetailView(ProjectObjectScope, OrgScopedView):
    """``/v1/<kind>/{id}``: GET, PATCH and DELETE."""

    kind: ClassVar[ProjectObjectKind]
    object_permissions = {"GET": "read", "PATCH": "update", "DELETE": "delete"}

    def get(self, request: Request, **_path) -> Response:
        return Response(self.kind.json(self.get_object()))

    def patch(self, request: Request, **_path) -> Response:
        obj = self.get_object()
        return Response(self.kind.json(self.kind.update(request, obj, self.body(self.kind.patch_input))))

    def delete(self, request: Request, **_path) -> Response:
        return Response(self.kind.json(object_delete(actor=request.user, obj=self.get_object())))


def _list_parameters(kind: str) -> list[OpenApiParameter]:
    return [
        *list_parameters(f"{kind}_name", kind),
        OpenApiParameter("project_name", OpenApiTypes.STR, description="Name of the project to search for"),
        OpenApiParameter("project_id", OpenApiTypes.UUID, description="Project id"),
    ]


@dataclass(frozen=True)
class ProjectObjectDocs:
    """What Braintrust's words for a kind's operations say beyond its name: the reads its writes need."""

    article: str  # "an experiment", "a dataset"
    create_reads: str = ""  # what a create must also read, after "Needs create under the project"
    patch_reads: str = ""  # what a patch must also read, after "Needs update on the <kind>"


def project_object_schema(kind: ProjectObjectKind, docs: ProjectObjectDocs) -> tuple[Callable, Callable]:
    """The schema decorators of a kind's collection view and detail view, in Braintrust's words."""
    name, title = kind.object_type, kind.object_type.capitalize()
    tags, output, errors = [f"{title}s"], kind.output, error_responses(400, 401, 403, 404)
    collection = extend_schema_view(
        post=extend_schema(
            operation_id=f"post{title}",
            summary=f"Create {name}",
            description=f"Create a new {name}. If there is an existing {name} in the project with the same name as the one "
            f"specified in the request, will return the existing {name} unmodified. Needs create under the project"
            f"{docs.create_reads}.",
            tags=tags,
            request=kind.create_input,
            responses={200: output, **errors},
        ),
        get=extend_schema(
            operation_id=f"get{title}",
            summary=f"List {name}s",
            description=f"List out all {name}s the caller may read. The {name}s are sorted by creation date, with the most "
            f"recently-created {name}s coming first",
            tags=tags,
            parameters=_list_parameters(name),
            responses={
                200: inline_serializer(f"{title}List", {"objects": output(many=True, help_text=f"A list of {name} objects")}),
                **error_responses(400, 401, 404),
            },
        ),
    )
    detail = object_detail_schema(
        name=name,
        operation=title,
        tag=tags[0],
        id_label=title,
        output=output,
        patch_input=kind.patch_input,
        docs=DetailDocs(
            get=f"Get {docs.article} object by its id",
            patch=f"Partially update {docs.article} object. Specify the fields to update in the payload. Any object-type "
            "fields will be deep-merged with existing content. Currently we do not support removing fields or setting them to "
            f"null. Needs update on the {name}{docs.patch_reads}.",
            delete=f"Delete {docs.article} object by its id; answers the deleted {name}. Needs delete on it.",
        ),
    )
    return collection, detail


EXPERIMENT_SCHEMA, EXPERIMENT_DETAIL_SCHEMA = project_object_schema(
    EXPERIMENTS,
    ProjectObjectDocs(
        "an experiment",
        create_reads=", and read on the linked dataset and base experiment",
        patch_reads=", and read on a newly linked dataset or base experiment",
    ),
)
DATASET_SCHEMA, DATASET_DETAIL_SCHEMA = project_object_schema(DATASETS, ProjectObjectDocs("a dataset"))


@EXPERIMENT_SCHEMA
class ExperimentCollectionView(ProjectObjectCollectionView):
    kind = EXPERIMENTS
    queryset = Experiment.objects.all()
    object_type = "experiment"


@EXPERIMENT_DETAIL_SCHEMA
class ExperimentDetailView(ProjectObjectDetailView):
    kind = EXPERIMENTS
    queryset = Experiment.objects.all()
    object_type = "experiment"
    lookup_url_kwarg = "experiment_id"


@DATASET_SCHEMA
class DatasetCollectionView(ProjectObjectCollectionView):
    kind = DATASETS
    queryset = Dataset.objects.all()
    object_type = "dataset"


@DATASET_DETAIL_SCHEMA
class DatasetDetailView(ProjectObjectDetailView):
    kind = DATASETS
    queryset = Dataset.objects.all()
    object_type = "dataset"
    lookup_url_kwarg = "dataset_id"


urlpatterns = [
    path("v1/experiment", ExperimentCollectionView.as_view(), name="api-experiment"),
    path("v1/experiment/<str:experiment_id>", ExperimentDetailView.as_view(), name="api-experiment-detail"),
    path("v1/dataset", DatasetCollectionView.as_view(), name="api-dataset"),
    path("v1/dataset/<str:dataset_id>", DatasetDetailView.as_view(), name="api-dataset-detail"),
]
