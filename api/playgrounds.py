"""``/v1/prompt_session``: a project's playgrounds, in the style of the prompt endpoints.

Braintrust's spec has no CRUD for playgrounds, so these mirror ``/v1/prompt``: ``POST`` gets or creates by
name in ``project_id`` (create on a prompt_session under the project), ``GET`` lists the playgrounds the
caller may read (restricted in the database), and ``GET``/``PATCH``/``DELETE`` on ``/{id}`` need read,
update and delete on the playground. ``prompt_ids`` are the prompts a playground uses: they may be of
other projects of the organization, if whoever adds them can read them.
"""

from collections import defaultdict

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer, extend_schema_view, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import OrgScopedView
from api.inputs import StrictCharField, StrictSerializer, StrictUUIDField, uuid_list
from api.pagination import paginate, parse_ids
from api.schema import ORG_NAME_PARAMETER, error_responses, id_parameter, pagination_parameters
from permissions.engine import Node
from permissions.exceptions import NotFound, ValidationError
from permissions.requirements import NeedsCreate
from projects.models import Project, PromptSession
from projects.services.playgrounds import playground_create, playground_delete, playground_update

_PROMPT_IDS_HELP = "Ids of the prompts the playground uses; they may be of other projects of the organization"


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


@extend_schema_serializer(component_name="CreatePromptSession")
class CreatePromptSessionSerializer(StrictSerializer):
    """A new playground; an existing one of that name in the project is returned as it is. Unknown fields are refused."""

    project_id = StrictUUIDField(help_text="Unique identifier for the project that the playground belongs under")
    name = StrictCharField(min_length=1, max_length=255, help_text="Name of the playground")
    description = StrictCharField(required=False, allow_null=True, allow_blank=True, help_text="Textual description of the playground")
    prompt_ids = uuid_list(_PROMPT_IDS_HELP)


@extend_schema_serializer(component_name="PatchPromptSession")
class PatchPromptSessionSerializer(StrictSerializer):
    """The changes to make to a playground; fields left out or null are left as they are. ``prompt_ids``
    replaces the playground's prompts. Unknown fields are refused."""

    name = StrictCharField(required=False, allow_null=True, min_length=1, max_length=255, help_text="Name of the playground")
    description = StrictCharField(required=False, allow_null=True, allow_blank=True, help_text="Textual description of the playground")
    prompt_ids = uuid_list(_PROMPT_IDS_HELP)


def with_prompt_ids(playgrounds: list[PromptSession]) -> list[PromptSession]:
    """`playgrounds`, each with ``prompt_ids`` (its live prompts, sorted): one query for the whole list."""
    used = defaultdict(list)
    if playgrounds:
        links = PromptSession.prompts.through.objects.filter(
            promptsession_id__in=[p.pk for p in playgrounds],
            prompt__deleted_at__isnull=True,
            prompt__project__deleted_at__isnull=True,
        )
        for playground_id, prompt_id in links.values_list("promptsession_id", "prompt_id"):
            used[playground_id].append(prompt_id)
    for playground in playgrounds:
        playground.prompt_ids = sorted(used[playground.pk], key=str)
    return playgrounds


def playground_json(playground: PromptSession) -> dict:
    return PromptSessionSerializer(with_prompt_ids([playground])[0]).data


class _PlaygroundRows:
    """The live playgrounds of live projects of the caller's organization."""

    queryset = PromptSession.objects.all()
    org_field = "project__org"
    object_type = "prompt_session"

    def safely_get_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.filter(deleted_at__isnull=True, project__deleted_at__isnull=True)


_PLAYGROUND_ID = [id_parameter("prompt_session_id", "Playground")]
_ANSWERS = {200: PromptSessionSerializer, **error_responses(400, 401, 403, 404)}


@extend_schema_view(
    post=extend_schema(
        operation_id="postPromptSession",
        summary="Create playground",
        description="Create a new playground. If there is an existing playground in the project with the same name as the one "
        "specified in the request, returns the existing playground unmodified.",
        tags=["Playgrounds"],
        request=CreatePromptSessionSerializer,
        responses=_ANSWERS,
    ),
    get=extend_schema(
        operation_id="getPromptSession",
        summary="List playgrounds",
        description="List the playgrounds the caller may read, most recently created first.",
        tags=["Playgrounds"],
        parameters=[
            *pagination_parameters(),
            OpenApiParameter("prompt_session_name", OpenApiTypes.STR, description="Name of the playground to search for"),
            OpenApiParameter("project_name", OpenApiTypes.STR, description="Name of the project to search for"),
            OpenApiParameter("project_id", OpenApiTypes.UUID, description="Project id"),
            ORG_NAME_PARAMETER,
        ],
        responses={
            200: inline_serializer("PromptSessionList", {"objects": PromptSessionSerializer(many=True, help_text="A list of playgrounds")}),
            **error_responses(400, 401, 404),
        },
    ),
)
class PromptSessionCollectionView(_PlaygroundRows, OrgScopedView):
    """``/v1/prompt_session``: POST (get or create by name) and GET (list)."""

    object_permissions = {"POST": "read"}

    def _project(self) -> Project:
        project_id = self.body(CreatePromptSessionSerializer)["project_id"]
        project = Project.objects.alive().filter(org=self.org, pk=project_id).select_related("org").first()
        if project is None:
            raise NotFound("project", project_id)
        return project

    def requirements_post(self):
        return [NeedsCreate("prompt_session", Node.of(self._project()))]

    def _readable_by_name(self, project: Project, name: str) -> PromptSession | None:
        return self.visible_queryset().filter(project=project, name=name).first()

    def post(self, request: Request) -> Response:
        data, project = self.body(CreatePromptSessionSerializer), self._project()
        existing = self._readable_by_name(project, data["name"])
        if existing is None:
            try:
                created = playground_create(
                    actor=request.user,
                    project=project,
                    name=data["name"],
                    description=data.get("description"),
                    prompt_ids=data.get("prompt_ids") or (),
                )
                return Response(playground_json(created))
            except ValidationError:
                existing = self._readable_by_name(project, data["name"])  # made meanwhile by a concurrent request?
                if existing is None:
                    raise
        return Response(playground_json(self.checked(existing)))

    def get(self, request: Request) -> Response:
        params = request.query_params
        rows = self.visible_queryset(listing=True)
        project_id = self.uuid_param("project_id")
        if project_id is not None:
            rows = rows.filter(project_id=project_id)
        if params.get("project_name"):
            rows = rows.filter(project__name=params["project_name"])
        if params.get("prompt_session_name"):
            rows = rows.filter(name=params["prompt_session_name"])
        ids = parse_ids(params)
        if ids is not None:
            rows = rows.filter(pk__in=ids)
        page = with_prompt_ids(paginate(rows, params))
        return Response({"objects": PromptSessionSerializer(page, many=True).data})


@extend_schema_view(
    get=extend_schema(
        operation_id="getPromptSessionId",
        summary="Get playground",
        description="Get a playground by its id.",
        tags=["Playgrounds"],
        parameters=_PLAYGROUND_ID,
        responses=_ANSWERS,
    ),
    patch=extend_schema(
        operation_id="patchPromptSessionId",
        summary="Partially update playground",
        description="Rename or describe a playground, or replace the prompts it uses (each prompt added needs read on it).",
        tags=["Playgrounds"],
        parameters=_PLAYGROUND_ID,
        request=PatchPromptSessionSerializer,
        responses=_ANSWERS,
    ),
    delete=extend_schema(
        operation_id="deletePromptSessionId",
        summary="Delete playground",
        description="Delete a playground by its id; answers the deleted playground.",
        tags=["Playgrounds"],
        parameters=_PLAYGROUND_ID,
        request=None,
        responses=_ANSWERS,
    ),
)
class PromptSessionDetailView(_PlaygroundRows, OrgScopedView):
    """``/v1/prompt_session/{id}``: GET, PATCH and DELETE."""

    object_permissions = {"GET": "read", "PATCH": "update", "DELETE": "delete"}
    lookup_url_kwarg = "prompt_session_id"

    def get(self, request: Request, **_path) -> Response:
        return Response(playground_json(self.get_object()))

    def patch(self, request: Request, **_path) -> Response:
        playground = self.get_object()
        data = self.body(PatchPromptSessionSerializer)
        playground = playground_update(
            actor=request.user,
            playground=playground,
            name=data.get("name"),
            description=data.get("description"),
            prompt_ids=data.get("prompt_ids"),
        )
        return Response(playground_json(playground))

    def delete(self, request: Request, **_path) -> Response:
        return Response(playground_json(playground_delete(actor=request.user, playground=self.get_object())))


urlpatterns = [
    path("v1/prompt_session", PromptSessionCollectionView.as_view(), name="api-prompt-session"),
    path("v1/prompt_session/<str:prompt_session_id>", PromptSessionDetailView.as_view(), name="api-prompt-session-detail"),
]
