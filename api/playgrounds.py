"""``/v1/prompt_session``: a project's playgrounds, in the style of the prompt endpoints.

Braintrust's spec has no CRUD for playgrounds, so these mirror ``/v1/prompt``: ``POST`` gets or creates by
name in ``project_id`` (create on a prompt_session under the project), ``GET`` lists the playgrounds the
caller may read (restricted in the database), and ``GET``/``PATCH``/``DELETE`` on ``/{id}`` need read,
update and delete on the playground. ``prompt_ids`` are the prompts a playground uses and ``dataset_id``
the dataset it tries them on: they may be of other projects of the organization, if whoever adds them can
read them. The views are
:mod:`api.named_objects`'s, given the playground's kind (:data:`PLAYGROUNDS`).
"""

from dataclasses import dataclass

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.inputs import StrictCharField, StrictSerializer, StrictUUIDField, uuid_list
from api.named_objects import Kind, KindDocs, ProjectObjectCollectionView, ProjectObjectDetailView, kind_schema, patch_through
from permissions.engine import Node
from permissions.requirements import NeedsCreate
from projects.models import Project, PromptSession
from projects.selectors import with_prompt_ids
from projects.services.playgrounds import playground_create, playground_delete, playground_update

_PROMPT_IDS_HELP = "Ids of the prompts the playground uses; they may be of other projects of the organization"
_DATASET_ID_HELP = "Id of the dataset the playground tries its prompts on; it may be of another project of the organization"


@extend_schema_serializer(component_name="PromptSession")
class PromptSessionSerializer(serializers.Serializer):
    """A playground: a place to try prompts side by side."""

    id = serializers.UUIDField(help_text="Unique identifier for the playground")
    project_id = serializers.UUIDField(help_text="Unique identifier for the project that the playground belongs under")
    name = serializers.CharField(help_text="Name of the playground")
    description = serializers.CharField(allow_null=True, help_text="Textual description of the playground")
    created = serializers.DateTimeField(allow_null=True, help_text="Date of playground creation")
    deleted_at = serializers.DateTimeField(allow_null=True, help_text="Date of playground deletion, or null if it is still active")
    user_id = serializers.UUIDField(source="created_by_id", allow_null=True, help_text="Identifies the user who created the playground")
    prompt_ids = serializers.ListField(child=serializers.UUIDField(), help_text=_PROMPT_IDS_HELP)
    dataset_id = serializers.UUIDField(allow_null=True, help_text=_DATASET_ID_HELP)


@extend_schema_serializer(component_name="CreatePromptSession")
class CreatePromptSessionSerializer(StrictSerializer):
    """A new playground; an existing one of that name in the project is returned as it is. Unknown fields are refused."""

    project_id = StrictUUIDField(help_text="Unique identifier for the project that the playground belongs under")
    name = StrictCharField(min_length=1, max_length=255, help_text="Name of the playground")
    description = StrictCharField(required=False, allow_null=True, allow_blank=True, help_text="Textual description of the playground")
    prompt_ids = uuid_list(_PROMPT_IDS_HELP)
    dataset_id = StrictUUIDField(required=False, allow_null=True, help_text=_DATASET_ID_HELP)


@extend_schema_serializer(component_name="PatchPromptSession")
class PatchPromptSessionSerializer(StrictSerializer):
    """The changes to make to a playground; fields left out or null are left as they are. ``prompt_ids``
    replaces the playground's prompts. Unknown fields are refused."""

    name = StrictCharField(required=False, allow_null=True, min_length=1, max_length=255, help_text="Name of the playground")
    description = StrictCharField(required=False, allow_null=True, allow_blank=True, help_text="Textual description of the playground")
    prompt_ids = uuid_list(_PROMPT_IDS_HELP)
    dataset_id = StrictUUIDField(required=False, allow_null=True, help_text=_DATASET_ID_HELP)


@dataclass(frozen=True, kw_only=True)
class PlaygroundKind(Kind):
    """Playgrounds: answered with the ids of the prompts they use."""

    def loaded(self, objects: list) -> list:
        return with_prompt_ids(objects)


def _create(request: Request, project: Project, data: dict) -> PromptSession:
    return playground_create(
        actor=request.user,
        project=project,
        name=data["name"],
        description=data.get("description"),
        prompt_ids=data.get("prompt_ids") or (),
        dataset_id=data.get("dataset_id"),
    )


_update = patch_through(playground_update, "playground", "name", "description", "prompt_ids", "dataset_id")

PLAYGROUNDS = PlaygroundKind(
    object_type="prompt_session",
    model=PromptSession,
    output=PromptSessionSerializer,
    create_input=CreatePromptSessionSerializer,
    patch_input=PatchPromptSessionSerializer,
    update=_update,
    delete=lambda request, playground: playground_delete(actor=request.user, playground=playground),
    label="playground",
    tag="Playgrounds",
    id_label="Playground",
)

_collection_schema, _detail_schema = kind_schema(
    PLAYGROUNDS,
    KindDocs(
        post="Create a new playground. If there is an existing playground in the project with the same name as the one "
        "specified in the request, returns the existing playground unmodified.",
        list="List the playgrounds the caller may read, most recently created first.",
        list_item_help="A list of playgrounds",
        get="Get a playground by its id.",
        patch="Rename or describe a playground, or replace the prompts it uses (each prompt added needs read on it).",
        delete="Delete a playground by its id; answers the deleted playground.",
    ),
)


@_collection_schema
class PromptSessionCollectionView(ProjectObjectCollectionView):
    """``/v1/prompt_session``: POST (get or create by name) and GET (list)."""

    kind = PLAYGROUNDS
    object_permissions = {"POST": "read"}

    def requirements_post(self):
        return [NeedsCreate("prompt_session", Node.of(self.target_project))]

    def post(self, request: Request) -> Response:
        data, project = self.body(CreatePromptSessionSerializer), self.target_project
        return self.found_or_created(
            lambda: self.visible_queryset().filter(project=project, name=data["name"]).first(),
            lambda: _create(request, project, data),
        )


@_detail_schema
class PromptSessionDetailView(ProjectObjectDetailView):
    """``/v1/prompt_session/{id}``: GET, PATCH and DELETE."""

    kind = PLAYGROUNDS


urlpatterns = PLAYGROUNDS.urls(PromptSessionCollectionView, PromptSessionDetailView)
