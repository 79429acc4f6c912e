"""``/v1/experiment`` and ``/v1/dataset``: experiments and datasets as objects, in Braintrust's shapes.

Both are objects of a project, served by :mod:`api.named_objects`'s views as a :class:`RegisteredKind`
each, and got or created by their registration services:

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

from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.inputs import StrictBooleanField, StrictCharField, StrictSerializer, StrictUUIDField
from api.named_objects import (
    Kind,
    KindDocs,
    ProjectObjectCollectionView,
    ProjectObjectDetailView,
    ProjectObjectScope,
    kind_schema,
    patch_through,
)
from permissions.engine import Node
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


def _name(kind: str, **kwargs) -> StrictCharField:
    return StrictCharField(
        min_length=1, max_length=255, help_text=f"Name of the {kind}. Within a project, {kind} names are unique", **kwargs
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


def _answer_fields(kind: str) -> type[serializers.Serializer]:
    """The fields Braintrust's Experiment and Dataset begin with, described in the same words but for the
    `kind`, for their answers to subclass."""

    class AnswerFields(serializers.Serializer):
        id = serializers.UUIDField(read_only=True, help_text=f"Unique identifier for the {kind}")
        project_id = serializers.UUIDField(read_only=True, help_text=f"Unique identifier for the project that the {kind} belongs under")
        name = serializers.CharField(read_only=True, help_text=f"Name of the {kind}. Within a project, {kind} names are unique")
        description = serializers.CharField(read_only=True, allow_null=True, help_text=f"Textual description of the {kind}")
        created = serializers.DateTimeField(read_only=True, allow_null=True, help_text=f"Date of {kind} creation")

    return AnswerFields


@extend_schema_serializer(component_name="Experiment")
class ExperimentSerializer(_answer_fields("experiment")):
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
class DatasetSerializer(_answer_fields("dataset")):
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
    name = _name("experiment", required=False, allow_null=True)
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

    name = _name("experiment", required=False, allow_null=True)


@extend_schema_serializer(component_name="CreateDataset")
class CreateDatasetSerializer(StrictSerializer):
    """A new dataset. Unknown fields are refused."""

    project_id = StrictUUIDField(help_text="Unique identifier for the project that the dataset belongs under")
    name = _name("dataset")
    description = _text("Textual description of the dataset")
    tags = _tags("dataset", required=False)
    metadata = _metadata("dataset", required=False)


@extend_schema_serializer(component_name="PatchDataset")
class PatchDatasetSerializer(StrictSerializer):
    """The changes to make to a dataset; fields left out or null are left as they are, and ``metadata`` is
    deep-merged into the stored one. Unknown fields are refused."""

    name = _name("dataset", required=False, allow_null=True)
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


_update_dataset = patch_through(dataset_update, "dataset", "name", "description", "metadata", "tags")


def _delete(request: Request, obj: ProjectObject) -> ProjectObject:
    return object_delete(actor=request.user, obj=obj)


def _plain(value: dict | None) -> dict | None:
    return dict(value) if value is not None else None


@dataclass(frozen=True, kw_only=True)
class RegisteredKind(Kind):
    """A kind of project object that its registration service gets or creates by name."""

    register: Callable[[Request, Project, dict], ProjectObject]


EXPERIMENTS = RegisteredKind(
    object_type="experiment",
    model=Experiment,
    output=ExperimentSerializer,
    create_input=CreateExperimentSerializer,
    patch_input=PatchExperimentSerializer,
    register=_register_experiment,
    update=_update_experiment,
    delete=_delete,
)

DATASETS = RegisteredKind(
    object_type="dataset",
    model=Dataset,
    output=DatasetSerializer,
    create_input=CreateDatasetSerializer,
    patch_input=PatchDatasetSerializer,
    register=_register_dataset,
    update=_update_dataset,
    delete=_delete,
)


# Views


class LiveExperiments(ProjectObjectScope):
    """A view's rows are the live experiments of live projects of the caller's organization."""

    queryset = Experiment.objects.all()
    object_type = "experiment"


class RegisteredCollectionView(ProjectObjectCollectionView):
    """``/v1/<kind>``: POST (get or create by name in a project, by the registration service) and GET (list)."""

    kind: ClassVar[RegisteredKind]

    def requirements_post(self):
        data = self.body(self.kind.create_input)  # bad input is a 400 whoever asks
        return [NeedsCreate(self.kind.object_type, Node("project", data["project_id"]))]

    def post(self, request: Request) -> Response:
        data = self.body(self.kind.create_input)
        return Response(self.kind.json(self.kind.register(request, self.target_project, data)))


def registered_schema(kind: RegisteredKind, article: str, *, create_reads: str = "", patch_reads: str = "") -> tuple[Callable, Callable]:
    """The schema decorators of a kind's views in Braintrust's words; `article` names one ("an experiment"),
    `create_reads` and `patch_reads` say what else a create (after "Needs create under the project") and a
    patch (after "Needs update on the <kind>") must read."""
    name = kind.object_type
    return kind_schema(
        kind,
        KindDocs(
            post=f"Create a new {name}. If there is an existing {name} in the project with the same name as the one "
            f"specified in the request, will return the existing {name} unmodified. Needs create under the project"
            f"{create_reads}.",
            list=f"List out all {name}s the caller may read. The {name}s are sorted by creation date, with the most "
            f"recently-created {name}s coming first",
            get=f"Get {article} object by its id",
            patch=f"Partially update {article} object. Specify the fields to update in the payload. Any object-type "
            "fields will be deep-merged with existing content. Currently we do not support removing fields or setting them to "
            f"null. Needs update on the {name}{patch_reads}.",
            delete=f"Delete {article} object by its id; answers the deleted {name}. Needs delete on it.",
        ),
    )


EXPERIMENT_SCHEMA, EXPERIMENT_DETAIL_SCHEMA = registered_schema(
    EXPERIMENTS,
    "an experiment",
    create_reads=", and read on the linked dataset and base experiment",
    patch_reads=", and read on a newly linked dataset or base experiment",
)
DATASET_SCHEMA, DATASET_DETAIL_SCHEMA = registered_schema(DATASETS, "a dataset")


@EXPERIMENT_SCHEMA
class ExperimentCollectionView(RegisteredCollectionView):
    kind = EXPERIMENTS


@EXPERIMENT_DETAIL_SCHEMA
class ExperimentDetailView(ProjectObjectDetailView):
    kind = EXPERIMENTS


@DATASET_SCHEMA
class DatasetCollectionView(RegisteredCollectionView):
    kind = DATASETS


@DATASET_DETAIL_SCHEMA
class DatasetDetailView(ProjectObjectDetailView):
    kind = DATASETS


urlpatterns = [
    *EXPERIMENTS.urls(ExperimentCollectionView, ExperimentDetailView),
    *DATASETS.urls(DatasetCollectionView, DatasetDetailView),
]
