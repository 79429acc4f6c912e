"""``/v1/prompt`` and ``/v1/function``: a project's prompts and functions, with every version they had.

Both endpoints serve the one table of :class:`projects.models.Prompt`, as Braintrust does: every prompt is
also a function (its ``function_data`` is ``{"type": "prompt"}``), so ``/v1/function`` lists prompts too,
while ``/v1/prompt`` leaves out functions of other kinds (code, global, ...). Slugs are unique in a
project across both.

* ``POST``: get or create by slug in ``project_id`` (creating needs create on a prompt under the project);
  an existing one the caller can read is returned unmodified.
* ``PUT``: create, or replace every field of the one with that slug (update on it); a new version is kept.
* ``GET`` (list): the ones the caller may read, restricted in the database; with ``version``, each as it
  was at that version, leaving out those that did not exist then.
* ``GET``/``PATCH``/``DELETE`` on ``/{id}``: read (``version`` for an earlier state), update, delete.

Writes go through :mod:`projects.services.prompts`, which check, write, keep the version and audit in
one transaction.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
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
from api.schema import ORG_NAME_PARAMETER, error_responses, id_parameter, pagination_parameters
from permissions.engine import Node
from permissions.exceptions import NotFound, ValidationError
from permissions.requirements import NeedsCreate
from permissions.types import PARENT_TYPE
from projects.models import Project, Prompt, PromptVersion
from projects.services.prompts import (
    FUNCTION_DATA_TYPES,
    FUNCTION_TYPES,
    TEMPLATE_FORMATS,
    VERSIONED_FIELDS,
    FunctionFields,
    clean_slug,
    parse_version,
    prompt_create,
    prompt_delete,
    prompt_replace,
    prompt_state,
    prompt_update,
    prompt_version_snapshot,
    prompts_at_version,
    validate_function_data,
    validate_function_schema,
    validate_origin,
    validate_prompt_data,
    versions_of,
)

# Fields whose shape the service checks; the API reports its message under the field's name.


def _checked(check: Callable[[Any], Any], value: Any) -> Any:
    try:
        return check(value)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.messages) from None


@extend_schema_field(
    {
        "type": "object",
        "description": "The prompt, model, and its parameters",
        "properties": {
            "prompt": {
                "type": "object",
                "nullable": True,
                "description": 'A chat prompt (`{"type": "chat", "messages": [...]}`) or a completion prompt '
                '(`{"type": "completion", "content": "..."}`)',
            },
            "options": {
                "type": "object",
                "nullable": True,
                "properties": {"model": {"type": "string"}, "params": {"type": "object"}, "position": {"type": "string"}},
            },
            "parser": {"type": "object", "nullable": True, "description": "An llm_classifier parser (type, use_cot, choice_scores)"},
            "tool_functions": {"type": "array", "nullable": True, "items": {"type": "object"}},
            "template_format": {"type": "string", "nullable": True, "enum": [*TEMPLATE_FORMATS, None]},
            "mcp": {"type": "object", "nullable": True},
            "origin": {"type": "object", "nullable": True},
        },
        "additionalProperties": False,
    }
)
class PromptDataField(serializers.JSONField):
    """Braintrust's PromptData: an object with known fields, each checked for its shape."""

    def to_internal_value(self, data):
        return _checked(validate_prompt_data, data)


@extend_schema_field(
    {
        "type": "object",
        "description": 'What the function runs: `{"type": "prompt"}`, `{"type": "global", "name": ...}`, '
        '`{"type": "code", "data": {...}}`, or one of the other types of Braintrust\'s FunctionData',
        "properties": {"type": {"type": "string", "enum": list(FUNCTION_DATA_TYPES)}},
        "required": ["type"],
        "additionalProperties": True,
    }
)
class FunctionDataField(serializers.JSONField):
    def to_internal_value(self, data):
        return _checked(validate_function_data, data)


@extend_schema_field(
    {
        "type": "object",
        "description": "The object the function is originating from",
        "properties": {
            "object_type": {"type": "string", "enum": list(PARENT_TYPE)},
            "object_id": {"type": "string", "format": "uuid", "description": "Id of the object the function is originating from"},
            "internal": {
                "type": "boolean",
                "nullable": True,
                "description": "The function exists for internal purposes and should not be displayed in the list of functions.",
            },
        },
        "required": ["object_type", "object_id"],
    }
)
class OriginField(serializers.JSONField):
    def to_internal_value(self, data):
        return _checked(validate_origin, data)


@extend_schema_field(
    {
        "type": "object",
        "description": "JSON schema for the function's parameters and return type",
        "properties": {"parameters": {}, "returns": {}},
    }
)
class FunctionSchemaField(serializers.JSONField):
    def to_internal_value(self, data):
        return _checked(validate_function_schema, data)


class SlugField(StrictCharField):
    """A prompt's slug, as it is stored: lowercase letters, digits, hyphens and underscores."""

    def to_internal_value(self, data):
        return _checked(clean_slug, super().to_internal_value(data))


def _tags_field(**kwargs) -> serializers.ListField:
    return serializers.ListField(
        child=StrictCharField(allow_blank=True), allow_null=True, help_text="A list of tags for the prompt", **kwargs
    )


def _function_type_field(**kwargs) -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=FUNCTION_TYPES, allow_null=True, help_text="The kind of function: llm, scorer, task or tool", **kwargs
    )


# Output shapes


_XACT_HELP = (
    "The transaction id of the prompt's version: transaction ids only grow, and fetching with `version` set to one "
    "returns the prompt as it was then"
)


@extend_schema_serializer(component_name="Prompt")
class PromptSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="Unique identifier for the prompt")
    _xact_id = serializers.CharField(label="_xact_id", help_text=_XACT_HELP)
    project_id = serializers.UUIDField(help_text="Unique identifier for the project that the prompt belongs under")
    log_id = serializers.CharField(help_text="A literal 'p' which identifies the object as a project prompt")
    org_id = serializers.UUIDField(help_text="Unique identifier for the organization")
    name = serializers.CharField(help_text="Name of the prompt")
    slug = serializers.CharField(help_text="Unique identifier for the prompt")
    description = serializers.CharField(allow_null=True, help_text="Textual description of the prompt")
    created = serializers.DateTimeField(allow_null=True, help_text="Date of prompt creation")
    prompt_data = PromptDataField(allow_null=True)
    tags = _tags_field()
    metadata = serializers.DictField(allow_null=True, help_text="User-controlled metadata about the prompt")
    function_type = _function_type_field()


@extend_schema_serializer(component_name="Function")
class FunctionSerializer(PromptSerializer):
    function_data = FunctionDataField()
    origin = OriginField(allow_null=True)
    function_schema = FunctionSchemaField(allow_null=True)


# Request bodies


class _PromptFields(StrictSerializer):
    name = StrictCharField(min_length=1, max_length=255, help_text="Name of the prompt")
    slug = SlugField(min_length=1, max_length=255, help_text="Unique identifier for the prompt")
    description = StrictCharField(required=False, allow_null=True, allow_blank=True, help_text="Textual description of the prompt")
    prompt_data = PromptDataField(required=False, allow_null=True)
    tags = _tags_field(required=False)
    function_type = _function_type_field(required=False)


@extend_schema_serializer(component_name="CreatePrompt")
class CreatePromptSerializer(_PromptFields):
    """A new prompt, or the new contents of the prompt with that slug. Unknown fields are refused."""

    project_id = StrictUUIDField(help_text="Unique identifier for the project that the prompt belongs under")


@extend_schema_serializer(component_name="CreateFunction")
class CreateFunctionSerializer(CreatePromptSerializer):
    """A new function, or the new contents of the function with that slug. Unknown fields are refused."""

    function_data = FunctionDataField()
    origin = OriginField(required=False, allow_null=True)
    function_schema = FunctionSchemaField(required=False, allow_null=True)


@extend_schema_serializer(component_name="PatchPrompt")
class PatchPromptSerializer(StrictSerializer):
    """The changes to make to a prompt; fields left out or null are left as they are. Unknown fields are refused."""

    name = StrictCharField(required=False, allow_null=True, min_length=1, max_length=255, help_text="Name of the prompt")
    slug = SlugField(required=False, allow_null=True, min_length=1, max_length=255, help_text="Unique identifier for the prompt")
    description = StrictCharField(required=False, allow_null=True, allow_blank=True, help_text="Textual description of the prompt")
    prompt_data = PromptDataField(required=False, allow_null=True)
    tags = _tags_field(required=False)
    function_type = _function_type_field(required=False)


@extend_schema_serializer(component_name="PatchFunction")
class PatchFunctionSerializer(StrictSerializer):
    """The changes to make to a function; fields left out or null are left as they are. Unknown fields are refused."""

    name = StrictCharField(required=False, allow_null=True, min_length=1, max_length=255, help_text="Name of the prompt")
    description = StrictCharField(required=False, allow_null=True, allow_blank=True, help_text="Textual description of the prompt")
    prompt_data = PromptDataField(required=False, allow_null=True)
    function_data = FunctionDataField(required=False, allow_null=True)
    tags = _tags_field(required=False)


# The two kinds


@dataclass(frozen=True)
class PromptKind:
    """What differs between ``/v1/prompt`` and ``/v1/function``."""

    object_type: str  # "prompt" or "function": the name in messages, parameters and paths
    output: type[PromptSerializer]
    create_input: type[CreatePromptSerializer]
    patch_input: type[StrictSerializer]
    rows: Q  # which rows of the table the endpoint serves

    @property
    def is_function(self) -> bool:
        return self.object_type == "function"

    def function_fields(self, data: dict) -> FunctionFields | None:
        if not self.is_function:
            return None
        return FunctionFields(function_data=data["function_data"], function_schema=data.get("function_schema"), origin=data.get("origin"))

    def json(self, prompt: Prompt, version: PromptVersion | None = None) -> dict:
        """`prompt` as it is now, or as `version` kept it."""
        state = {field: None for field in VERSIONED_FIELDS}
        state.update(version.snapshot if version is not None else prompt_state(prompt))
        xact_id = version.xact_id if version is not None else prompt.xact_id
        shown = {
            **state,
            "id": prompt.pk,
            "_xact_id": str(xact_id or 0),
            "project_id": prompt.project_id,
            "log_id": "p",
            "org_id": prompt.project.org_id,
            "created": prompt.created,
            "function_data": state.get("function_data") or {"type": "prompt"},
        }
        return self.output(shown).data


PROMPTS = PromptKind(
    object_type="prompt",
    output=PromptSerializer,
    create_input=CreatePromptSerializer,
    patch_input=PatchPromptSerializer,
    rows=Q(function_data__isnull=True) | Q(function_data__type="prompt"),
)
FUNCTIONS = PromptKind(
    object_type="function",
    output=FunctionSerializer,
    create_input=CreateFunctionSerializer,
    patch_input=PatchFunctionSerializer,
    rows=Q(),
)


def _refuse_environment(request: Request) -> None:
    if request.query_params.get("environment"):
        raise ValidationError("environments are not supported: fetch a prompt by id, slug or version.")


def _version(request: Request) -> int | None:
    raw = request.query_params.get("version")
    return parse_version(raw) if raw else None


class _PromptRows:
    """The live prompts (or functions) of live projects of the caller's organization."""

    kind: ClassVar[PromptKind]
    queryset = Prompt.objects.all()
    org_field = "project__org"

    def safely_get_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.filter(self.kind.rows, deleted_at__isnull=True, project__deleted_at__isnull=True).select_related("project")


class PromptCollectionView(_PromptRows, OrgScopedView):
    """``/v1/<kind>``: POST (get or create by slug), PUT (create or replace), GET (list)."""

    object_permissions = {"POST": "read", "PUT": "update"}

    def _project(self) -> Project:
        """The live project of the caller's organization that the body names."""
        if not hasattr(self, "_body_project"):
            project_id = self.body(self.kind.create_input)["project_id"]
            project = Project.objects.alive().filter(org=self.org, pk=project_id).select_related("org").first()
            if project is None:
                raise NotFound("project", project_id)
            self._body_project = project
        return self._body_project

    def _readable_by_slug(self, project: Project, slug: str) -> Prompt | None:
        return self.visible_queryset().filter(project=project, slug=slug).first()

    def requirements_post(self):
        return [NeedsCreate("prompt", Node.of(self._project()))]

    def requirements_put(self):
        project = self._project()
        if self._readable_by_slug(project, self.body(self.kind.create_input)["slug"]) is None:
            return [NeedsCreate("prompt", Node.of(project))]
        return []  # replacing: update on the prompt, checked when it is loaded

    def _create(self, request: Request, project: Project, data: dict) -> Prompt:
        return prompt_create(
            actor=request.user,
            project=project,
            name=data["name"],
            slug=data["slug"],
            description=data.get("description"),
            prompt_data=data.get("prompt_data"),
            tags=data.get("tags"),
            function_type=data.get("function_type"),
            function=self.kind.function_fields(data),
        )

    def post(self, request: Request) -> Response:
        data, project = self.body(self.kind.create_input), self._project()
        existing = self._readable_by_slug(project, data["slug"])
        if existing is None:
            try:
                return Response(self.kind.json(self._create(request, project, data)))
            except ValidationError:
                existing = self._readable_by_slug(project, data["slug"])  # made meanwhile by a concurrent request?
                if existing is None:
                    raise
        return Response(self.kind.json(self.checked(existing)))

    def put(self, request: Request) -> Response:
        data, project = self.body(self.kind.create_input), self._project()
        with transaction.atomic():
            existing = self._readable_by_slug(project, data["slug"])
            if existing is None:
                try:
                    return Response(self.kind.json(self._create(request, project, data)))
                except ValidationError:
                    existing = self._readable_by_slug(project, data["slug"])  # made meanwhile by a concurrent request?
                    if existing is None:
                        raise
            prompt = prompt_replace(
                actor=request.user,
                prompt=self.checked(existing),
                name=data["name"],
                description=data.get("description"),
                prompt_data=data.get("prompt_data"),
                tags=data.get("tags"),
                function_type=data.get("function_type"),
                function=self.kind.function_fields(data),
            )
        return Response(self.kind.json(prompt))

    def get(self, request: Request) -> Response:
        _refuse_environment(request)
        params, version = request.query_params, _version(request)
        rows = self.visible_queryset(listing=True)
        project_id = self.uuid_param("project_id")
        if project_id is not None:
            rows = rows.filter(project_id=project_id)
        if params.get("project_name"):
            rows = rows.filter(project__name=params["project_name"])
        ids = parse_ids(params)
        if ids is not None:
            rows = rows.filter(pk__in=ids)
        slug, name = params.get("slug"), params.get(f"{self.kind.object_type}_name")
        if version is not None:
            page = paginate(prompts_at_version(rows, version, slug=slug, name=name), params)
            versions = versions_of(page)
            return Response({"objects": [self.kind.json(p, versions[(p.pk, p.version_xact_id)]) for p in page]})
        if slug:
            rows = rows.filter(slug=slug)
        if name:
            rows = rows.filter(name=name)
        return Response({"objects": [self.kind.json(p) for p in paginate(rows, params)]})


class PromptDetailView(_PromptRows, OrgScopedView):
    """``/v1/<kind>/{id}``: GET (``version`` for an earlier state), PATCH and DELETE."""

    object_permissions = {"GET": "read", "PATCH": "update", "DELETE": "delete"}

    def get(self, request: Request, **_path) -> Response:
        _refuse_environment(request)
        version = _version(request)
        prompt = self.get_object()
        if version is None:
            return Response(self.kind.json(prompt))
        kept = prompt_version_snapshot(prompt=prompt, version=version)
        if kept is None:
            raise NotFound(f"{self.kind.object_type} version", version)
        return Response(self.kind.json(prompt, kept))

    def patch(self, request: Request, **_path) -> Response:
        prompt = self.get_object()
        data = self.body(self.kind.patch_input)
        prompt = prompt_update(
            actor=request.user,
            prompt=prompt,
            name=data.get("name"),
            slug=data.get("slug"),
            description=data.get("description"),
            prompt_data=data.get("prompt_data"),
            tags=data.get("tags"),
            function_type=data.get("function_type"),
            function_data=data.get("function_data"),
        )
        return Response(self.kind.json(prompt))

    def delete(self, request: Request, **_path) -> Response:
        prompt = self.get_object()
        shown = self.kind.json(prompt)
        prompt_delete(actor=request.user, prompt=prompt)
        return Response(shown)


# The schema


def _list_parameters(kind: str) -> list[OpenApiParameter]:
    return [
        *pagination_parameters(),
        OpenApiParameter(f"{kind}_name", OpenApiTypes.STR, description=f"Name of the {kind} to search for"),
        OpenApiParameter("project_name", OpenApiTypes.STR, description="Name of the project to search for"),
        OpenApiParameter("project_id", OpenApiTypes.UUID, description="Project id"),
        OpenApiParameter("slug", OpenApiTypes.STR, description=f"Retrieve {kind}s with a specific slug"),
        *_version_parameters(kind),
        ORG_NAME_PARAMETER,
    ]


def _version_parameters(kind: str) -> list[OpenApiParameter]:
    return [
        OpenApiParameter(
            "version",
            OpenApiTypes.STR,
            description=f"Retrieve the {kind} as it was at a version: a transaction id (an `_xact_id`). "
            f"A {kind} that did not exist then is left out of a list, and answered 404 on its own",
        ),
        OpenApiParameter("environment", OpenApiTypes.STR, description="Not supported: a 400 if given"),
    ]


def _schema(kind: PromptKind, tag: str, label: str) -> tuple[Callable, Callable]:
    """The annotations of the collection and the detail view of `kind`."""
    name, cap = kind.object_type, kind.object_type.capitalize()
    answers = {200: kind.output, **error_responses(400, 401, 403, 404)}
    listed = inline_serializer(f"{cap}List", {"objects": kind.output(many=True, help_text=f"A list of {name} objects")})
    object_id = [id_parameter(f"{name}_id", cap)]
    collection = extend_schema_view(
        post=extend_schema(
            operation_id=f"post{cap}",
            summary=f"Create {name}",
            description=f"Create a new {name}. If there is an existing {name} in the project with the same slug as the one "
            f"specified in the request, returns the existing {name} unmodified.",
            tags=[tag],
            request=kind.create_input,
            responses=answers,
        ),
        put=extend_schema(
            operation_id=f"put{cap}",
            summary=f"Create or replace {name}",
            description=f"Create or replace {name}. If there is an existing {name} in the project with the same slug as the one "
            f"specified in the request, replaces the existing {name} with the provided fields, keeping a new version.",
            tags=[tag],
            request=kind.create_input,
            responses=answers,
        ),
        get=extend_schema(
            operation_id=f"get{cap}",
            summary=f"List {label}",
            description=f"List the {label} the caller may read, most recently created first.",
            tags=[tag],
            parameters=_list_parameters(name),
            responses={200: listed, **error_responses(400, 401, 404)},
        ),
    )
    detail = extend_schema_view(
        get=extend_schema(
            operation_id=f"get{cap}Id",
            summary=f"Get {name}",
            description=f"Get a {name} object by its id; with `version`, as it was at that version.",
            tags=[tag],
            parameters=[*object_id, *_version_parameters(name)],
            responses=answers,
        ),
        patch=extend_schema(
            operation_id=f"patch{cap}Id",
            summary=f"Partially update {name}",
            description=f"Partially update a {name} object, keeping a new version. Fields left out or null are left as they are.",
            tags=[tag],
            parameters=object_id,
            request=kind.patch_input,
            responses=answers,
        ),
        delete=extend_schema(
            operation_id=f"delete{cap}Id",
            summary=f"Delete {name}",
            description=f"Delete a {name} object by its id; answers the deleted {name}.",
            tags=[tag],
            parameters=object_id,
            request=None,
            responses=answers,
        ),
    )
    return collection, detail


_prompt_collection, _prompt_detail = _schema(PROMPTS, "Prompts", "prompts")
_function_collection, _function_detail = _schema(FUNCTIONS, "Functions", "functions")


@_prompt_collection
class PromptsView(PromptCollectionView):
    kind = PROMPTS
    object_type = "prompt"


@_prompt_detail
class PromptView(PromptDetailView):
    kind = PROMPTS
    object_type = "prompt"
    lookup_url_kwarg = "prompt_id"


@_function_collection
class FunctionsView(PromptCollectionView):
    kind = FUNCTIONS
    object_type = "function"


@_function_detail
class FunctionView(PromptDetailView):
    kind = FUNCTIONS
    object_type = "function"
    lookup_url_kwarg = "function_id"


urlpatterns = [
    path("v1/prompt", PromptsView.as_view(), name="api-prompt"),
    path("v1/prompt/<str:prompt_id>", PromptView.as_view(), name="api-prompt-detail"),
    path("v1/function", FunctionsView.as_view(), name="api-function"),
    path("v1/function/<str:function_id>", FunctionView.as_view(), name="api-function-detail"),
]
