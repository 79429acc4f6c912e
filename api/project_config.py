"""``/v1/project_tag`` and ``/v1/project_score``: a project's configuration, in Braintrust's shapes.

Tags and scores are not nodes of the access hierarchy; they are read and changed with their project's
permissions: read on the project to see them, update on the project to add, change or remove them. So the
views declare the project as the node behind each row (``object_node``), and lists keep only rows of live
projects the caller may read, restricted in the database.

Both follow the same conventions, so one pair of views serves both, parameterised by a :class:`ConfigKind`:

* ``POST``: get or create by name within ``project_id``. An existing row is returned unmodified to whoever
  may read the project; making one needs update on it.
* ``PUT``: create, or replace the row with that name in the project (update on the project).
* ``GET`` (list), and ``GET``, ``PATCH`` and ``DELETE`` on ``/{id}``.

Writes go through ``projects.services.configuration``, which checks again, validates score definitions and
audits, in one transaction.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

from django.db.models import Model, QuerySet
from django.urls import path
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
from api.inputs import StrictCharField, StrictSerializer, StrictUUIDField
from api.pagination import paginate, parse_ids
from api.schema import ORG_NAME_PARAMETER, DetailDocs, error_responses, object_detail_schema, pagination_parameters
from permissions.engine import Node, restrict
from permissions.exceptions import NotFound, ValidationError
from permissions.requirements import Needs
from projects.models import Project, ProjectScore, ProjectTag
from projects.services.configuration import (
    GLOBAL_SCORERS,
    project_score_create,
    project_score_delete,
    project_score_update,
    project_tag_create,
    project_tag_delete,
    project_tag_update,
)


class BlankAsNullCharField(serializers.CharField):
    """An optional text the model stores as "" when unset, answered as null."""

    def to_representation(self, value):
        return value or None


# Tags


@extend_schema_serializer(component_name="ProjectTag")
class ProjectTagSerializer(serializers.Serializer):
    """A project tag is a user-configured tag for tracking and filtering your experiments, logs, and other data"""

    id = serializers.UUIDField(read_only=True, help_text="Unique identifier for the project tag")
    project_id = serializers.UUIDField(read_only=True, help_text="Unique identifier for the project that the project tag belongs under")
    user_id = serializers.UUIDField(source="created_by_id", read_only=True, allow_null=True, help_text="The user who created the tag")
    created = serializers.DateTimeField(read_only=True, allow_null=True, help_text="Date of project tag creation")
    name = serializers.CharField(read_only=True, help_text="Name of the project tag")
    description = serializers.CharField(read_only=True, allow_null=True, help_text="Textual description of the project tag")
    color = BlankAsNullCharField(read_only=True, allow_null=True, help_text="Color of the tag for the UI")
    position = BlankAsNullCharField(
        read_only=True, allow_null=True, help_text="An optional LexoRank-based string that sets the sort position for the tag in the UI"
    )


_TAG_NAME = "Name of the project tag"
_TAG_DESCRIPTION = "Textual description of the project tag"
_TAG_COLOR = "Color of the tag for the UI"


@extend_schema_serializer(component_name="CreateProjectTag")
class CreateProjectTagSerializer(StrictSerializer):
    """A new tag, or the new contents of the tag with that name in the project. Unknown fields are refused."""

    project_id = StrictUUIDField(help_text="Unique identifier for the project that the project tag belongs under")
    name = StrictCharField(min_length=1, max_length=255, help_text=_TAG_NAME)
    description = StrictCharField(required=False, allow_null=True, allow_blank=True, help_text=_TAG_DESCRIPTION)
    color = StrictCharField(required=False, allow_null=True, allow_blank=True, max_length=64, help_text=_TAG_COLOR)


@extend_schema_serializer(component_name="PatchProjectTag")
class PatchProjectTagSerializer(StrictSerializer):
    """The changes to make to a tag; fields left out or null are left as they are. Unknown fields are refused."""

    name = StrictCharField(required=False, allow_null=True, min_length=1, max_length=255, help_text=_TAG_NAME)
    description = StrictCharField(required=False, allow_null=True, allow_blank=True, help_text=_TAG_DESCRIPTION)
    color = StrictCharField(required=False, allow_null=True, allow_blank=True, max_length=64, help_text=_TAG_COLOR)


# Scores

_CATEGORY_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "Name of the category"},
        "value": {"type": "number", "minimum": 0, "maximum": 1, "description": "Numerical value of the category, from 0 to 1"},
    },
    "required": ["name", "value"],
}
_CATEGORIES_SCHEMA = {
    "nullable": True,
    "description": "categorical: the list of categories; weighted: score name to positive weight; minimum and maximum: the "
    "score names; null for the other types",
    "anyOf": [
        {"type": "array", "items": _CATEGORY_SCHEMA, "title": "categorical"},
        {"type": "object", "additionalProperties": {"type": "number"}, "title": "weighted"},
        {"type": "array", "items": {"type": "string"}, "title": "minimum"},
    ],
}


@extend_schema_field(_CATEGORIES_SCHEMA)
class ScoreCategoriesField(serializers.JSONField):
    """Any JSON value; what it must be depends on the score type, which the service checks."""


class ScoreVisibilitySerializer(serializers.Serializer):
    users = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)
    groups = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)


@extend_schema_serializer(component_name="OnlineScoreConfig")
class OnlineScoreConfigSerializer(serializers.Serializer):
    """The rule of an online score: which new spans are scored, and by which scorers."""

    sampling_rate = serializers.FloatField(min_value=0, max_value=1, help_text="The sampling rate for online scoring")
    scorers = serializers.ListField(
        child=serializers.JSONField(),
        help_text='The scorers to run: {"type": "global", "name": one of ' + ", ".join(GLOBAL_SCORERS) + '} or {"type": "function", '
        '"id": the id of a function of function_type scorer that the caller may read}',
    )
    btql_filter = serializers.CharField(required=False, allow_null=True, help_text="Filter logs using BTQL")
    apply_to_root_span = serializers.BooleanField(
        required=False, allow_null=True, help_text="Whether to trigger online scoring on the root span of each trace"
    )
    apply_to_span_names = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        allow_null=True,
        help_text="Trigger online scoring on any spans with a name in this list",
    )
    skip_logging = serializers.BooleanField(
        required=False, allow_null=True, help_text="Whether to skip adding scorer spans when computing scores"
    )
    scope = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text='The scope at which to run the functions: {"type": "span"} (the default), {"type": "trace"} or '
        '{"type": "group", "group_by": ..., "placement": "first" or "each"}',
    )


@extend_schema_serializer(component_name="ProjectScoreConfig")
class ProjectScoreConfigSerializer(serializers.Serializer):
    multi_select = serializers.BooleanField(required=False, allow_null=True)
    destination = serializers.CharField(required=False, allow_null=True)
    visibility = ScoreVisibilitySerializer(required=False, allow_null=True)
    online = OnlineScoreConfigSerializer(required=False, allow_null=True)
    condition = serializers.JSONField(
        required=False, allow_null=True, help_text='{"when": {"clauses": [...], "subspan_clauses": [...], "trace_clauses": [...]}}'
    )
    object_types = serializers.ListField(
        child=serializers.ChoiceField(choices=["project_logs", "dataset", "experiment"]), required=False, allow_null=True
    )


@extend_schema_field(ProjectScoreConfigSerializer)
class ScoreConfigField(serializers.Field):
    """A score's config as stored: a JSON object (or null), checked in depth by the service."""

    default_error_messages = {"invalid": "Must be an object."}

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


_SCORE_TYPE_HELP = "The type of the configured score"


@extend_schema_serializer(component_name="ProjectScore")
class ProjectScoreSerializer(serializers.Serializer):
    """A project score is a user-configured score, which can be manually-labeled through the UI"""

    id = serializers.UUIDField(read_only=True, help_text="Unique identifier for the project score")
    project_id = serializers.UUIDField(read_only=True, help_text="Unique identifier for the project that the project score belongs under")
    user_id = serializers.UUIDField(source="created_by_id", read_only=True, allow_null=True, help_text="The user who created the score")
    created = serializers.DateTimeField(read_only=True, allow_null=True, help_text="Date of project score creation")
    name = serializers.CharField(read_only=True, help_text="Name of the project score")
    description = serializers.CharField(read_only=True, allow_null=True, help_text="Textual description of the project score")
    score_type = serializers.ChoiceField(choices=ProjectScore.ScoreType.choices, read_only=True, help_text=_SCORE_TYPE_HELP)
    categories = ScoreCategoriesField(read_only=True, allow_null=True)
    config = ScoreConfigField(read_only=True, allow_null=True)
    position = BlankAsNullCharField(
        read_only=True, allow_null=True, help_text="An optional LexoRank-based string that sets the sort position for the score in the UI"
    )


_SCORE_NAME = "Name of the project score"
_SCORE_DESCRIPTION = "Textual description of the project score"


@extend_schema_serializer(component_name="CreateProjectScore")
class CreateProjectScoreSerializer(StrictSerializer):
    """A new score, or the new definition of the score with that name in the project. Unknown fields are refused."""

    project_id = StrictUUIDField(help_text="Unique identifier for the project that the project score belongs under")
    name = StrictCharField(min_length=1, max_length=255, help_text=_SCORE_NAME)
    description = StrictCharField(required=False, allow_null=True, allow_blank=True, help_text=_SCORE_DESCRIPTION)
    score_type = serializers.ChoiceField(choices=ProjectScore.ScoreType.choices, help_text=_SCORE_TYPE_HELP)
    categories = ScoreCategoriesField(required=False, allow_null=True)
    config = ScoreConfigField(required=False, allow_null=True)


@extend_schema_serializer(component_name="PatchProjectScore")
class PatchProjectScoreSerializer(StrictSerializer):
    """The changes to make to a score. name, description and score_type left out or null are left as they are;
    categories and config, when given (null included), replace the stored value whole. Unknown fields are refused."""

    name = StrictCharField(required=False, allow_null=True, min_length=1, max_length=255, help_text=_SCORE_NAME)
    description = StrictCharField(required=False, allow_null=True, allow_blank=True, help_text=_SCORE_DESCRIPTION)
    score_type = serializers.ChoiceField(
        choices=ProjectScore.ScoreType.choices, required=False, allow_null=True, help_text=_SCORE_TYPE_HELP
    )
    categories = ScoreCategoriesField(required=False, allow_null=True)
    config = ScoreConfigField(required=False, allow_null=True)


# The views, shared by tags and scores


@dataclass(frozen=True)
class ConfigKind:
    """How one kind of project configuration is read and written."""

    object_type: str  # "project_tag" or "project_score": the name used in messages and parameters
    model: type[Model]
    output: type[serializers.Serializer]
    create_input: type[StrictSerializer]
    patch_input: type[StrictSerializer]
    create: Callable[..., Model]  # (request, project, validated create body) -> the new row
    replace: Callable[..., Model]  # (request, row, validated create body) -> the row
    update: Callable[..., Model]  # (request, row, validated patch body) -> the row
    delete: Callable[..., None]  # (request, row) -> None
    filter_list: Callable[[QuerySet, Any], QuerySet] = field(default=lambda rows, params: rows)  # the kind's own list filters

    def json(self, row: Model) -> dict:
        return self.output(row).data


class ConfigCollectionView(OrgScopedView):
    """``/v1/<kind>``: POST (get or create by name in a project), PUT (create or replace), GET (list)."""

    kind: ClassVar[ConfigKind]
    org_field = "project__org"
    list_permission = None  # rows are not nodes: safely_get_queryset keeps those of projects the caller may read
    object_permissions = {"POST": "read", "PUT": "update"}

    def object_node(self, row) -> Node:
        return Node("project", row.project_id)

    def safely_get_queryset(self, queryset: QuerySet) -> QuerySet:
        readable = restrict(Project.objects.alive().filter(org=self.org), self.request.user, "read")
        return queryset.filter(project__in=readable)

    @cached_property
    def target_project(self) -> Project:
        """The live project of the caller's organization that the body names ("not found" otherwise)."""
        project_id = self.body(self.kind.create_input)["project_id"]
        project = Project.objects.alive().filter(org=self.org, pk=project_id).first()
        if project is None:
            raise NotFound("project", project_id)
        return project

    def _existing(self) -> Model | None:
        """The row of the project with the body's name, whoever may see it: the requirements decide what follows."""
        name = self.body(self.kind.create_input)["name"].strip()
        return self.kind.model.objects.filter(project=self.target_project, name=name).first()

    def requirements_post(self):
        project = Node.of(self.target_project)
        return [Needs("read" if self._existing() is not None else "update", project)]

    def requirements_put(self):
        return [Needs("update", Node.of(self.target_project))]

    def post(self, request: Request) -> Response:
        data = self.body(self.kind.create_input)
        existing = self._existing()
        if existing is None:
            try:
                return Response(self.kind.json(self.kind.create(request, self.target_project, data)))
            except ValidationError:
                existing = self._existing()  # made meanwhile by a concurrent request?
                if existing is None:
                    raise
        return Response(self.kind.json(self.checked(existing)))

    def put(self, request: Request) -> Response:
        data = self.body(self.kind.create_input)
        existing = self._existing()
        if existing is None:
            try:
                return Response(self.kind.json(self.kind.create(request, self.target_project, data)))
            except ValidationError:
                existing = self._existing()  # made meanwhile by a concurrent request: replace it
                if existing is None:
                    raise
        return Response(self.kind.json(self.kind.replace(request, self.checked(existing), data)))

    def get(self, request: Request) -> Response:
        params = request.query_params
        rows: QuerySet = self.visible_queryset(listing=True)
        if params.get(f"{self.kind.object_type}_name"):
            rows = rows.filter(name=params[f"{self.kind.object_type}_name"])
        if params.get("project_name"):
            rows = rows.filter(project__name=params["project_name"])
        project_id = self.uuid_param("project_id")
        if project_id is not None:
            rows = rows.filter(project_id=project_id)
        ids = parse_ids(params)
        if ids is not None:
            rows = rows.filter(pk__in=ids)
        rows = self.kind.filter_list(rows, params)
        return Response({"objects": self.kind.output(paginate(rows, params), many=True).data})


class ConfigDetailView(OrgScopedView):
    """``/v1/<kind>/{id}``: GET (read on the project), PATCH and DELETE (update on the project).

    Rows of a live project of the organization are found whatever the caller holds, so that the project's
    permissions decide the answer: 404 with none at all, 403 naming the one missing.
    """

    kind: ClassVar[ConfigKind]
    org_field = "project__org"
    object_permissions = {"GET": "read", "PATCH": "update", "DELETE": "update"}

    def object_node(self, row) -> Node:
        return Node("project", row.project_id)

    def safely_get_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.filter(project__deleted_at__isnull=True)

    def get(self, request: Request, **_path) -> Response:
        return Response(self.kind.json(self.get_object()))

    def patch(self, request: Request, **_path) -> Response:
        row = self.get_object()
        return Response(self.kind.json(self.kind.update(request, row, self.body(self.kind.patch_input))))

    def delete(self, request: Request, **_path) -> Response:
        row = self.get_object()
        deleted = self.kind.json(row)  # before the row goes
        self.kind.delete(request, row)
        return Response(deleted)


# Tags


def _tag_create(request: Request, project: Project, data: dict) -> ProjectTag:
    return project_tag_create(
        actor=request.user, project=project, name=data["name"], description=data.get("description") or "", color=data.get("color") or ""
    )


def _tag_replace(request: Request, tag: ProjectTag, data: dict) -> ProjectTag:
    return project_tag_update(actor=request.user, tag=tag, description=data.get("description") or "", color=data.get("color") or "")


def _tag_update(request: Request, tag: ProjectTag, data: dict) -> ProjectTag:
    return project_tag_update(
        actor=request.user, tag=tag, name=data.get("name"), description=data.get("description"), color=data.get("color")
    )


TAGS = ConfigKind(
    object_type="project_tag",
    model=ProjectTag,
    output=ProjectTagSerializer,
    create_input=CreateProjectTagSerializer,
    patch_input=PatchProjectTagSerializer,
    create=_tag_create,
    replace=_tag_replace,
    update=_tag_update,
    delete=lambda request, tag: project_tag_delete(actor=request.user, tag=tag),
)


# Scores


def _score_create(request: Request, project: Project, data: dict) -> ProjectScore:
    return project_score_create(
        actor=request.user,
        project=project,
        name=data["name"],
        description=data.get("description") or "",
        score_type=data["score_type"],
        categories=data.get("categories"),
        config=data.get("config"),
    )


def _score_replace(request: Request, score: ProjectScore, data: dict) -> ProjectScore:
    return project_score_update(
        actor=request.user,
        score=score,
        description=data.get("description") or "",
        score_type=data["score_type"],
        categories=data.get("categories"),
        config=data.get("config"),
    )


def _score_update(request: Request, score: ProjectScore, data: dict) -> ProjectScore:
    changes = {key: data[key] for key in ("categories", "config") if key in data}
    return project_score_update(
        actor=request.user,
        score=score,
        name=data.get("name"),
        description=data.get("description"),
        score_type=data.get("score_type"),
        **changes,
    )


def _filter_by_score_type(rows: QuerySet, params) -> QuerySet:
    score_types = [value for raw in params.getlist("score_type") for value in raw.split(",") if value]
    unknown = sorted(set(score_types) - set(ProjectScore.ScoreType.values))
    if unknown:
        raise ValidationError(f"score_type must be one of {', '.join(ProjectScore.ScoreType.values)}, not {unknown[0]!r}.")
    return rows.filter(score_type__in=score_types) if score_types else rows


SCORES = ConfigKind(
    object_type="project_score",
    model=ProjectScore,
    output=ProjectScoreSerializer,
    create_input=CreateProjectScoreSerializer,
    patch_input=PatchProjectScoreSerializer,
    create=_score_create,
    replace=_score_replace,
    update=_score_update,
    delete=lambda request, score: project_score_delete(actor=request.user, score=score),
    filter_list=_filter_by_score_type,
)


# Schema annotations and routes


def _list_parameters(kind: str, *extra: OpenApiParameter) -> list[OpenApiParameter]:
    return [
        *pagination_parameters(),
        OpenApiParameter(f"{kind}_name", OpenApiTypes.STR, description=f"Name of the {kind} to search for"),
        OpenApiParameter("project_name", OpenApiTypes.STR, description="Name of the project to search for"),
        OpenApiParameter("project_id", OpenApiTypes.UUID, description="Project id"),
        ORG_NAME_PARAMETER,
        *extra,
    ]


def _collection_schema(kind: str, operation: str, tag: str, output, create_input, list_parameters) -> Callable:
    item_list = inline_serializer(name=f"{operation}List", fields={"objects": output(many=True, help_text=f"A list of {kind} objects")})
    return extend_schema_view(
        post=extend_schema(
            operation_id=f"post{operation}",
            summary=f"Create {kind}",
            description=f"Create a new {kind}. If there is an existing {kind} in the project with the same name as the one "
            f"specified in the request, will return the existing {kind} unmodified",
            tags=[tag],
            request=create_input,
            responses={200: output, **error_responses(400, 401, 403, 404)},
        ),
        put=extend_schema(
            operation_id=f"put{operation}",
            summary=f"Create or replace {kind}",
            description=f"Create or replace {kind}. If there is an existing {kind} in the project with the same name as the one "
            f"specified in the request, will replace the existing {kind} with the provided fields",
            tags=[tag],
            request=create_input,
            responses={200: output, **error_responses(400, 401, 403, 404)},
        ),
        get=extend_schema(
            operation_id=f"get{operation}",
            summary=f"List {kind}s",
            description=f"List out the {kind}s of the projects the caller may read. The {kind}s are sorted by creation date, "
            f"with the most recently-created {kind}s coming first",
            tags=[tag],
            parameters=list_parameters,
            responses={200: item_list, **error_responses(400, 401, 404)},
        ),
    )


def _detail_schema(kind: str, operation: str, tag: str, output, patch_input) -> Callable:
    return object_detail_schema(
        name=kind,
        operation=operation,
        tag=tag,
        id_label=kind,
        output=output,
        patch_input=patch_input,
        docs=DetailDocs(
            get=f"Get a {kind} object by its id",
            patch=f"Partially update a {kind} object. Specify the fields to update in the payload.",
            delete=f"Delete a {kind} object by its id; answers the deleted {kind}",
        ),
    )


_SCORE_TYPE_PARAMETER = OpenApiParameter(
    "score_type",
    OpenApiTypes.STR,
    many=True,
    enum=ProjectScore.ScoreType.values,
    description="The types of score to list; repeat the parameter for several",
)


@_collection_schema(
    "project_tag", "ProjectTag", "ProjectTags", ProjectTagSerializer, CreateProjectTagSerializer, _list_parameters("project_tag")
)
class ProjectTagCollectionView(ConfigCollectionView):
    kind = TAGS
    queryset = ProjectTag.objects.all()
    object_type = "project_tag"


@_detail_schema("project_tag", "ProjectTag", "ProjectTags", ProjectTagSerializer, PatchProjectTagSerializer)
class ProjectTagDetailView(ConfigDetailView):
    kind = TAGS
    queryset = ProjectTag.objects.all()
    object_type = "project_tag"
    lookup_url_kwarg = "project_tag_id"


@_collection_schema(
    "project_score",
    "ProjectScore",
    "ProjectScores",
    ProjectScoreSerializer,
    CreateProjectScoreSerializer,
    _list_parameters("project_score", _SCORE_TYPE_PARAMETER),
)
class ProjectScoreCollectionView(ConfigCollectionView):
    kind = SCORES
    queryset = ProjectScore.objects.all()
    object_type = "project_score"


@_detail_schema("project_score", "ProjectScore", "ProjectScores", ProjectScoreSerializer, PatchProjectScoreSerializer)
class ProjectScoreDetailView(ConfigDetailView):
    kind = SCORES
    queryset = ProjectScore.objects.all()
    object_type = "project_score"
    lookup_url_kwarg = "project_score_id"


urlpatterns = [
    path("v1/project_tag", ProjectTagCollectionView.as_view(), name="api-project-tag"),
    path("v1/project_tag/<str:project_tag_id>", ProjectTagDetailView.as_view(), name="api-project-tag-detail"),
    path("v1/project_score", ProjectScoreCollectionView.as_view(), name="api-project-score"),
    path("v1/project_score/<str:project_score_id>", ProjectScoreDetailView.as_view(), name="api-project-score-detail"),
]
