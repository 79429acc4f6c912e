"""``/v1/project_tag`` and ``/v1/project_score``: a project's configuration, in Braintrust's shapes.

Tags and scores are not nodes of the access hierarchy; they are read and changed with their project's
permissions: read on the project to see them, update on the project to add, change or remove them. So the
views declare the project as the node behind each row (``object_node``), and lists keep only rows of live
projects the caller may read, restricted in the database.

Both follow the same conventions, so one pair of views (built on :mod:`api.named_objects`'s) serves both,
parameterised by a :class:`ConfigKind`:

* ``POST``: get or create by name within ``project_id``. An existing row is returned unmodified to whoever
  may read the project; making one needs update on it.
* ``PUT``: create, or replace the row with that name in the project (update on the project).
* ``GET`` (list), and ``GET``, ``PATCH`` and ``DELETE`` on ``/{id}``.

Writes go through ``projects.services.configuration``, which checks again, validates score definitions and
audits, in one transaction.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from django.db.models import Model, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.inputs import StrictCharField, StrictSerializer, StrictUUIDField
from api.json_fields import JsonObjectField
from api.named_objects import (
    BodyProject,
    Kind,
    KindDocs,
    ObjectCollectionView,
    ObjectDetailView,
    get_or_create,
    kind_schema,
    patch_through,
)
from permissions.engine import Node
from permissions.exceptions import ValidationError
from permissions.requirements import Needs
from projects.models import Project, ProjectScore, ProjectTag
from projects.selectors import configuration_item_named, projects_readable_by
from projects.services import configuration
from projects.services.configuration.score_definitions import GLOBAL_SCORERS


class BlankAsNullCharField(serializers.CharField):
    """An optional text the model stores as "" when unset, answered as null."""

    def to_representation(self, value):
        return value or None


# What the shapes of every kind begin with: each shape subclasses one of these, with its own docstring,
# and adds the kind's own fields after them.


def config_answer_fields(noun: str, *, creator: str) -> type[serializers.Serializer]:
    """The fields every kind's answer begins with, in Braintrust's words for its `noun` ("project tag");
    `creator` is the help of ``user_id``."""

    class AnswerFields(serializers.Serializer):
        id = serializers.UUIDField(read_only=True, help_text=f"Unique identifier for the {noun}")
        project_id = serializers.UUIDField(read_only=True, help_text=f"Unique identifier for the project that the {noun} belongs under")
        user_id = serializers.UUIDField(source="created_by_id", read_only=True, allow_null=True, help_text=creator)
        created = serializers.DateTimeField(read_only=True, allow_null=True, help_text=f"Date of {noun} creation")
        name = serializers.CharField(read_only=True, help_text=f"Name of the {noun}")
        description = serializers.CharField(read_only=True, allow_null=True, help_text=f"Textual description of the {noun}")

    return AnswerFields


def config_create_fields(noun: str) -> type[StrictSerializer]:
    """The fields every kind's create (and replace) body begins with: the project, the name, the description."""

    class CreateFields(StrictSerializer):
        project_id = StrictUUIDField(help_text=f"Unique identifier for the project that the {noun} belongs under")
        name = StrictCharField(min_length=1, max_length=255, help_text=f"Name of the {noun}")
        description = StrictCharField(required=False, allow_null=True, allow_blank=True, help_text=f"Textual description of the {noun}")

    return CreateFields


def config_patch_fields(noun: str) -> type[StrictSerializer]:
    """The fields every kind's PATCH body begins with: the name and the description, both optional."""

    class PatchFields(StrictSerializer):
        name = StrictCharField(required=False, allow_null=True, min_length=1, max_length=255, help_text=f"Name of the {noun}")
        description = StrictCharField(required=False, allow_null=True, allow_blank=True, help_text=f"Textual description of the {noun}")

    return PatchFields


# Tags

_TAG_COLOR = "Color of the tag for the UI"


@extend_schema_serializer(component_name="ProjectTag")
class ProjectTagSerializer(config_answer_fields("project tag", creator="The user who created the tag")):
    """A project tag is a user-configured tag for tracking and filtering your experiments, logs, and other data"""

    color = BlankAsNullCharField(read_only=True, allow_null=True, help_text=_TAG_COLOR)
    position = BlankAsNullCharField(
        read_only=True, allow_null=True, help_text="An optional LexoRank-based string that sets the sort position for the tag in the UI"
    )


@extend_schema_serializer(component_name="CreateProjectTag")
class CreateProjectTagSerializer(config_create_fields("project tag")):
    """A new tag, or the new contents of the tag with that name in the project. Unknown fields are refused."""

    color = StrictCharField(required=False, allow_null=True, allow_blank=True, max_length=64, help_text=_TAG_COLOR)


@extend_schema_serializer(component_name="PatchProjectTag")
class PatchProjectTagSerializer(config_patch_fields("project tag")):
    """The changes to make to a tag; fields left out or null are left as they are. Unknown fields are refused."""

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
class ScoreConfigField(JsonObjectField):
    """A score's config as stored: a JSON object (or null), checked in depth by the service."""


_SCORE_TYPE_HELP = "The type of the configured score"


@extend_schema_serializer(component_name="ProjectScore")
class ProjectScoreSerializer(config_answer_fields("project score", creator="The user who created the score")):
    """A project score is a user-configured score, which can be manually-labeled through the UI"""

    score_type = serializers.ChoiceField(choices=ProjectScore.ScoreType.choices, read_only=True, help_text=_SCORE_TYPE_HELP)
    categories = ScoreCategoriesField(read_only=True, allow_null=True)
    config = ScoreConfigField(read_only=True, allow_null=True)
    position = BlankAsNullCharField(
        read_only=True, allow_null=True, help_text="An optional LexoRank-based string that sets the sort position for the score in the UI"
    )


@extend_schema_serializer(component_name="CreateProjectScore")
class CreateProjectScoreSerializer(config_create_fields("project score")):
    """A new score, or the new definition of the score with that name in the project. Unknown fields are refused."""

    score_type = serializers.ChoiceField(choices=ProjectScore.ScoreType.choices, help_text=_SCORE_TYPE_HELP)
    categories = ScoreCategoriesField(required=False, allow_null=True)
    config = ScoreConfigField(required=False, allow_null=True)


@extend_schema_serializer(component_name="PatchProjectScore")
class PatchProjectScoreSerializer(config_patch_fields("project score")):
    """The changes to make to a score. name, description and score_type left out or null are left as they are;
    categories and config, when given (null included), replace the stored value whole. Unknown fields are refused."""

    score_type = serializers.ChoiceField(
        choices=ProjectScore.ScoreType.choices, required=False, allow_null=True, help_text=_SCORE_TYPE_HELP
    )
    categories = ScoreCategoriesField(required=False, allow_null=True)
    config = ScoreConfigField(required=False, allow_null=True)


# The views, shared by tags and scores


@dataclass(frozen=True, kw_only=True)
class ConfigKind(Kind):
    """How one kind of project configuration is read and written."""

    create: Callable[..., Model]  # (request, project, validated create body) -> the new row
    replace: Callable[..., Model]  # (request, row, validated create body) -> the row
    answers_row_as_it_was: bool = True  # the services delete the row


class _ProjectRows:
    """Rows are not nodes of the access hierarchy: the project behind each one is."""

    org_field = "project__org"

    def object_node(self, row) -> Node:
        return Node("project", row.project_id)


class ConfigCollectionView(_ProjectRows, BodyProject, ObjectCollectionView):
    """``/v1/<kind>``: POST (get or create by name in a project), PUT (create or replace), GET (list)."""

    kind: ClassVar[ConfigKind]
    list_permission = None  # rows are not nodes: safely_get_queryset keeps those of projects the caller may read
    object_permissions = {"POST": "read", "PUT": "update"}

    def safely_get_queryset(self, queryset: QuerySet) -> QuerySet:
        readable = projects_readable_by(self.request.user, self.org)
        return queryset.filter(project__in=readable)

    def _existing(self) -> Model | None:
        """The row of the project with the body's name, whoever may see it: the requirements decide what follows."""
        name = self.body(self.kind.create_input)["name"].strip()
        return configuration_item_named(self.kind.model, self.target_project, name)

    def requirements_post(self):
        project = Node.of(self.target_project)
        return [Needs("read" if self._existing() is not None else "update", project)]

    def requirements_put(self):
        return [Needs("update", Node.of(self.target_project))]

    def post(self, request: Request) -> Response:
        data = self.body(self.kind.create_input)
        return self.found_or_created(self._existing, lambda: self.kind.create(request, self.target_project, data))

    def put(self, request: Request) -> Response:
        data = self.body(self.kind.create_input)
        row, created = get_or_create(self._existing, lambda: self.kind.create(request, self.target_project, data))
        return Response(self.kind.json(row if created else self.kind.replace(request, self.checked(row), data)))


class ConfigDetailView(_ProjectRows, ObjectDetailView):
    """``/v1/<kind>/{id}``: GET (read on the project), PATCH and DELETE (update on the project).

    Rows of a live project of the organization are found whatever the caller holds, so that the project's
    permissions decide the answer: 404 with none at all, 403 naming the one missing.
    """

    kind: ClassVar[ConfigKind]
    object_permissions = {"GET": "read", "PATCH": "update", "DELETE": "update"}

    def safely_get_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.filter(project__deleted_at__isnull=True)


# Tags


def _tag_create(request: Request, project: Project, data: dict) -> ProjectTag:
    return configuration.project_tag_create(
        actor=request.user, project=project, name=data["name"], description=data.get("description") or "", color=data.get("color") or ""
    )


def _tag_replace(request: Request, tag: ProjectTag, data: dict) -> ProjectTag:
    return configuration.project_tag_update(
        actor=request.user, tag=tag, description=data.get("description") or "", color=data.get("color") or ""
    )


_tag_update = patch_through(configuration.project_tag_update, "tag", "name", "description", "color")

TAGS = ConfigKind(
    object_type="project_tag",
    id_label="project_tag",
    model=ProjectTag,
    output=ProjectTagSerializer,
    create_input=CreateProjectTagSerializer,
    patch_input=PatchProjectTagSerializer,
    create=_tag_create,
    replace=_tag_replace,
    update=_tag_update,
    delete=lambda request, tag: configuration.project_tag_delete(actor=request.user, tag=tag),
)


# Scores


def _score_create(request: Request, project: Project, data: dict) -> ProjectScore:
    return configuration.project_score_create(
        actor=request.user,
        project=project,
        name=data["name"],
        description=data.get("description") or "",
        score_type=data["score_type"],
        categories=data.get("categories"),
        config=data.get("config"),
    )


def _score_replace(request: Request, score: ProjectScore, data: dict) -> ProjectScore:
    return configuration.project_score_update(
        actor=request.user,
        score=score,
        description=data.get("description") or "",
        score_type=data["score_type"],
        categories=data.get("categories"),
        config=data.get("config"),
    )


def _score_update(request: Request, score: ProjectScore, data: dict) -> ProjectScore:
    changes = {key: data[key] for key in ("categories", "config") if key in data}
    return configuration.project_score_update(
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
    id_label="project_score",
    model=ProjectScore,
    output=ProjectScoreSerializer,
    create_input=CreateProjectScoreSerializer,
    patch_input=PatchProjectScoreSerializer,
    create=_score_create,
    replace=_score_replace,
    update=_score_update,
    delete=lambda request, score: configuration.project_score_delete(actor=request.user, score=score),
    list_filter=_filter_by_score_type,
)


# Schema annotations and routes


def _schema(kind: ConfigKind, *list_parameters: OpenApiParameter) -> tuple[Callable, Callable]:
    name = kind.object_type
    return kind_schema(
        kind,
        KindDocs(
            post=f"Create a new {name}. If there is an existing {name} in the project with the same name as the one "
            f"specified in the request, will return the existing {name} unmodified",
            put=f"Create or replace {name}. If there is an existing {name} in the project with the same name as the one "
            f"specified in the request, will replace the existing {name} with the provided fields",
            list=f"List out the {name}s of the projects the caller may read. The {name}s are sorted by creation date, "
            f"with the most recently-created {name}s coming first",
            list_parameters=list_parameters,
            get=f"Get a {name} object by its id",
            patch=f"Partially update a {name} object. Specify the fields to update in the payload.",
            delete=f"Delete a {name} object by its id; answers the deleted {name}",
        ),
    )


_SCORE_TYPE_PARAMETER = OpenApiParameter(
    "score_type",
    OpenApiTypes.STR,
    many=True,
    enum=ProjectScore.ScoreType.values,
    description="The types of score to list; repeat the parameter for several",
)
_tag_collection, _tag_detail = _schema(TAGS)
_score_collection, _score_detail = _schema(SCORES, _SCORE_TYPE_PARAMETER)


@_tag_collection
class ProjectTagCollectionView(ConfigCollectionView):
    kind = TAGS


@_tag_detail
class ProjectTagDetailView(ConfigDetailView):
    kind = TAGS


@_score_collection
class ProjectScoreCollectionView(ConfigCollectionView):
    kind = SCORES


@_score_detail
class ProjectScoreDetailView(ConfigDetailView):
    kind = SCORES


urlpatterns = [
    *TAGS.urls(ProjectTagCollectionView, ProjectTagDetailView),
    *SCORES.urls(ProjectScoreCollectionView, ProjectScoreDetailView),
]
