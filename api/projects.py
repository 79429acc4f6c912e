"""``/v1/project``: the caller's organization's projects, in Braintrust's shapes.

* ``POST``: get or create by name. A project of that name the caller can read is returned unmodified (read
  on it is all that takes); otherwise a new one is made, which needs create under org_project, and whose
  creator receives the owner role when the organization's setting says so.
* ``GET`` (list): the live projects the caller may read, restricted in the database.
* ``GET``, ``PATCH`` and ``DELETE`` on ``/{project_id}``: read, update and delete on the project. Deletion is
  soft: the project leaves lists and answers 404 from then on, while its contents and grants stay stored.

The views are :mod:`api.named_objects`'s, given the project's kind (:data:`PROJECTS`). Writes go through
``projects.services.objects``, which check again, write and audit in one transaction.
"""

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.inputs import StrictCharField, StrictSerializer, StrictUUIDField
from api.json_fields import JsonObjectField
from api.named_objects import Kind, KindDocs, ObjectCollectionView, ObjectDetailView, kind_schema, patch_through
from permissions.engine import Node
from permissions.requirements import NeedsCreate, Requirement
from projects.models import Project
from projects.selectors import readable_project_named
from projects.services.objects import project_delete, project_update
from projects.services.registration import project_register

# Shapes


class SpanFieldOrderItemSerializer(serializers.Serializer):
    object_type = serializers.CharField()
    column_id = serializers.CharField()
    position = serializers.CharField()
    layout = serializers.ChoiceField(choices=["full", "two_column"], required=False, allow_null=True)


class RemoteEvalSourceSerializer(serializers.Serializer):
    url = serializers.URLField()
    name = serializers.CharField(required=False, allow_null=True)
    description = serializers.CharField(required=False, allow_null=True)


@extend_schema_serializer(component_name="ProjectSettings")
class ProjectSettingsSerializer(serializers.Serializer):
    """The shape of a project's settings, for the schema; ``validate_project_settings`` checks bodies."""

    comparison_key = serializers.CharField(
        required=False, allow_null=True, help_text="The key used to join two experiments (defaults to `input`)"
    )
    baseline_experiment_id = serializers.UUIDField(
        required=False, allow_null=True, help_text="The id of the experiment to use as the default baseline for comparisons"
    )
    spanFieldOrder = SpanFieldOrderItemSerializer(  # Braintrust's field name
        many=True, required=False, allow_null=True, help_text="The order of the fields to display in the trace view"
    )
    remote_eval_sources = RemoteEvalSourceSerializer(
        many=True, required=False, allow_null=True, help_text="The remote eval sources to use for the project"
    )
    disable_realtime_queries = serializers.BooleanField(
        required=False, allow_null=True, help_text="If true, disable real-time queries for this project"
    )
    default_preprocessor = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text='Default preprocessor for this project: {"type": "function", "id": ...} or {"type": "global", "name": ...}',
    )


@extend_schema_field(ProjectSettingsSerializer)
class ProjectSettingsField(JsonObjectField):
    """A project's settings as stored: a JSON object (or null), checked in depth by the service."""


@extend_schema_serializer(component_name="Project")
class ProjectSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True, help_text="Unique identifier for the project")
    org_id = serializers.UUIDField(read_only=True, help_text="Unique id for the organization that the project belongs under")
    name = serializers.CharField(read_only=True, help_text="Name of the project")
    description = serializers.CharField(read_only=True, allow_null=True, help_text="Textual description of the project")
    created = serializers.DateTimeField(read_only=True, allow_null=True, help_text="Date of project creation")
    deleted_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Date of project deletion, or null if the project is still active"
    )
    user_id = serializers.UUIDField(
        source="created_by_id", read_only=True, allow_null=True, help_text="Identifies the user who created the project"
    )
    settings = ProjectSettingsField(read_only=True, allow_null=True)


@extend_schema_serializer(component_name="CreateProject")
class CreateProjectSerializer(StrictSerializer):
    """A new project; if the name is taken by a project the caller can read, that project. Unknown fields are refused."""

    name = StrictCharField(min_length=1, max_length=255, help_text="Name of the project")
    description = StrictCharField(required=False, allow_null=True, allow_blank=True, help_text="Textual description of the project")
    org_name = StrictCharField(
        required=False, allow_null=True, help_text="The organization the project belongs in, for a caller that belongs to several"
    )


@extend_schema_serializer(component_name="PatchProject")
class PatchProjectSerializer(StrictSerializer):
    """The changes to make to a project; fields left out or null are left as they are. Unknown fields are refused."""

    name = StrictCharField(required=False, allow_null=True, min_length=1, max_length=255, help_text="Name of the project")
    description = StrictCharField(required=False, allow_null=True, allow_blank=True, help_text="Textual description of the project")
    user_id = StrictUUIDField(required=False, allow_null=True, help_text="Accepted only as null: the creator of a project does not change")
    settings = ProjectSettingsField(
        required=False,
        allow_null=True,
        help_text="Project settings. Patch operations replace all settings, so make sure you include all settings you want to keep.",
    )

    def validate_user_id(self, value):
        if value is not None:
            raise serializers.ValidationError("The creator of a project cannot be changed.")
        return value


def project_json(project: Project) -> dict:
    return ProjectSerializer(project).data


def project_registration_needs(user, org_id, name: str) -> list[Requirement]:
    """What getting or creating the project `name` needs: nothing more if the caller may read a project of
    that name (it is returned as it is), else create under org_project."""
    if readable_project_named(user, org_id, name) is not None:
        return []
    return [NeedsCreate("project", Node("org_project", org_id))]


_update = patch_through(project_update, "project", "name", "description", "settings")

PROJECTS = Kind(
    object_type="project",
    model=Project,
    output=ProjectSerializer,
    create_input=CreateProjectSerializer,
    patch_input=PatchProjectSerializer,
    update=_update,
    delete=lambda request, project: project_delete(actor=request.user, project=project),
    in_project=False,
)

_collection_schema, _detail_schema = kind_schema(
    PROJECTS,
    KindDocs(
        post="Create a new project. If there is an existing project with the same name as the one specified in the request, "
        "will return the existing project unmodified",
        list="List out all projects the caller may read. The projects are sorted by creation date, with the most "
        "recently-created projects coming first",
        get="Get a project object by its id",
        patch="Partially update a project object: name, description and settings. Fields left out or null are left as "
        "they are; settings, when given, replace all the stored settings.",
        delete="Delete a project object by its id; answers the deleted project. Its experiments, datasets, prompts and "
        "logs stay stored but are no longer reachable.",
    ),
)


# Views


@_collection_schema
class ProjectCollectionView(ObjectCollectionView):
    """``/v1/project``: POST (get or create by name) and GET (list)."""

    kind = PROJECTS
    queryset = Project.objects.alive()
    restricts_as_listing = False

    def requirements_post(self):
        data = self.body(CreateProjectSerializer)  # bad input is a 400 whoever asks
        return project_registration_needs(self.request.user, self.org.pk, data["name"])

    def post(self, request: Request) -> Response:
        data = self.body(CreateProjectSerializer)
        project = project_register(actor=request.user, org=self.org, name=data["name"], description=data.get("description"))
        return Response(project_json(project))


@_detail_schema
class ProjectDetailView(ObjectDetailView):
    """``/v1/project/{project_id}``: GET, PATCH and DELETE (soft)."""

    kind = PROJECTS
    queryset = Project.objects.alive()


urlpatterns = PROJECTS.urls(ProjectCollectionView, ProjectDetailView)
