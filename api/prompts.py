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
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Environment
from api.inputs import StrictCharField, StrictSerializer, StrictUUIDField
from api.named_objects import (
    Kind,
    KindDocs,
    ProjectObjectCollectionView,
    ProjectObjectDetailView,
    get_or_create,
    kind_schema,
    patch_through,
)
from api.pagination import paginate
from permissions.engine import Node
from permissions.exceptions import NotFound, ValidationError
from permissions.requirements import NeedsCreate
from permissions.types import PARENT_TYPE
from projects.models import Prompt, PromptVersion
from projects.selectors import environment_by_slug, pinned_version, prompt_version
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


class CheckedJSONField(serializers.JSONField):
    """A JSON value whose shape the service's `check` decides (and normalises)."""

    check: ClassVar[Callable[[Any], Any]]

    def to_internal_value(self, data):
        return _checked(self.check, data)


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
class PromptDataField(CheckedJSONField):
    """Braintrust's PromptData: an object with known fields, each checked for its shape."""

    check = staticmethod(validate_prompt_data)


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
class FunctionDataField(CheckedJSONField):
    check = staticmethod(validate_function_data)


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
class OriginField(CheckedJSONField):
    check = staticmethod(validate_origin)


@extend_schema_field(
    {
        "type": "object",
        "description": "JSON schema for the function's parameters and return type",
        "properties": {"parameters": {}, "returns": {}},
    }
)
class FunctionSchemaField(CheckedJSONField):
    check = staticmethod(validate_function_schema)


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
class PatchPromptSerializer(_PromptFields):
    """The changes to make to a prompt; fields left out or null are left as they are. Unknown fields are refused."""

    # A prompt's fields, in the same order; the name and the slug may be left out too.
    name = StrictCharField(required=False, allow_null=True, min_length=1, max_length=255, help_text="Name of the prompt")
    slug = SlugField(required=False, allow_null=True, min_length=1, max_length=255, help_text="Unique identifier for the prompt")


@extend_schema_serializer(component_name="PatchFunction")
class PatchFunctionSerializer(StrictSerializer):
    """The changes to make to a function; fields left out or null are left as they are. Unknown fields are refused."""

    name = StrictCharField(required=False, allow_null=True, min_length=1, max_length=255, help_text="Name of the prompt")
    description = StrictCharField(required=False, allow_null=True, allow_blank=True, help_text="Textual description of the prompt")
    prompt_data = PromptDataField(required=False, allow_null=True)
    function_data = FunctionDataField(required=False, allow_null=True)
    tags = _tags_field(required=False)


# The two kinds


_update = patch_through(prompt_update, "prompt", "name", "slug", "description", "prompt_data", "tags", "function_type", "function_data")


def _delete(request: Request, prompt: Prompt) -> Prompt:
    return prompt_delete(actor=request.user, prompt=prompt)


@dataclass(frozen=True, kw_only=True)
class PromptKind(Kind):
    """What differs between ``/v1/prompt`` and ``/v1/function``."""

    rows: Q  # which rows of the table the endpoint serves
    model: type[Prompt] = Prompt
    update: Callable[..., Prompt] = _update
    delete: Callable[..., Prompt] = _delete
    answers_row_as_it_was: bool = True

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


def _environment(request: Request, org_id) -> Environment | None:
    """The environment ``environment`` names (None when not given); it cannot be used together with ``version``."""
    slug = request.query_params.get("environment")
    if not slug:
        return None
    if request.query_params.get("version"):
        raise ValidationError("environment cannot be used together with version.")
    environment = environment_by_slug(org_id, slug)
    if environment is None:
        raise NotFound("environment", slug[:255])
    return environment


def _pinned(kind: "PromptKind", prompt: Prompt, environment: Environment) -> dict:
    """`prompt` at the version pinned to `environment`; "not found" naming both when none is pinned there."""
    version = pinned_version(environment, Node.of(prompt))
    kept = None if version is None else prompt_version(prompt, version)
    if kept is None:
        raise NotFound(f"{kind.object_type} version pinned to the environment {environment.slug} for the {kind.object_type}", prompt.pk)
    return kind.json(prompt, kept)


def _version(request: Request) -> int | None:
    raw = request.query_params.get("version")
    return parse_version(raw) if raw else None


class _PromptRows:
    """Of the live prompts of live projects of the caller's organization, those the kind's endpoint serves."""

    kind: ClassVar[PromptKind]

    def safely_get_queryset(self, queryset: QuerySet) -> QuerySet:
        return super().safely_get_queryset(queryset).filter(self.kind.rows)


class PromptCollectionView(_PromptRows, ProjectObjectCollectionView):
    """``/v1/<kind>``: POST (get or create by slug), PUT (create or replace), GET (list)."""

    object_permissions = {"POST": "read", "PUT": "update"}

    def _readable_by_slug(self, slug: str) -> Prompt | None:
        return self.visible_queryset().filter(project=self.target_project, slug=slug).first()

    def requirements_post(self):
        return [NeedsCreate("prompt", Node.of(self.target_project))]

    def requirements_put(self):
        if self._readable_by_slug(self.body(self.kind.create_input)["slug"]) is None:
            return [NeedsCreate("prompt", Node.of(self.target_project))]
        return []  # replacing: update on the prompt, checked when it is loaded

    def _contents(self, data: dict) -> dict:
        """What a create body says of the prompt besides its project and slug, as the services that create
        and replace one take it."""
        return {
            "name": data["name"],
            "description": data.get("description"),
            "prompt_data": data.get("prompt_data"),
            "tags": data.get("tags"),
            "function_type": data.get("function_type"),
            "function": self.kind.function_fields(data),
        }

    def _create(self, request: Request, data: dict) -> Prompt:
        return prompt_create(actor=request.user, project=self.target_project, slug=data["slug"], **self._contents(data))

    def post(self, request: Request) -> Response:
        data = self.body(self.kind.create_input)
        return self.found_or_created(lambda: self._readable_by_slug(data["slug"]), lambda: self._create(request, data))

    def put(self, request: Request) -> Response:
        data = self.body(self.kind.create_input)
        with transaction.atomic():
            prompt, created = get_or_create(lambda: self._readable_by_slug(data["slug"]), lambda: self._create(request, data))
            if not created:
                prompt = prompt_replace(actor=request.user, prompt=self.checked(prompt), **self._contents(data))
            return Response(self.kind.json(prompt))

    def get(self, request: Request) -> Response:
        params, environment, version = request.query_params, _environment(request, self.org.pk), _version(request)
        rows = self.filtered(self.visible_queryset(listing=True), by_name=False)  # a name at a version is the one it had then
        slug, name = params.get("slug"), params.get(f"{self.kind.object_type}_name")
        if version is not None:
            page = paginate(prompts_at_version(rows, version, slug=slug, name=name), params)
            versions = versions_of(page)
            return Response({"objects": [self.kind.json(p, versions[(p.pk, p.version_xact_id)]) for p in page]})
        if slug:
            rows = rows.filter(slug=slug)
        if name:
            rows = rows.filter(name=name)
        page = paginate(rows, params)
        if environment is not None:
            return Response({"objects": self._pinned_page(page, environment)})
        return Response({"objects": [self.kind.json(p) for p in page]})

    def _pinned_page(self, page: list[Prompt], environment: Environment) -> list[dict]:
        """The one prompt the request matches, at the version pinned to `environment` (as Braintrust resolves it)."""
        if len(page) > 1:
            raise ValidationError(
                f"environment needs the request to match a single {self.kind.object_type}: narrow it with slug, project_id or limit=1."
            )
        return [_pinned(self.kind, prompt, environment) for prompt in page]


class PromptDetailView(_PromptRows, ProjectObjectDetailView):
    """``/v1/<kind>/{id}``: GET (``version`` for an earlier state), PATCH and DELETE."""

    def get(self, request: Request, **_path) -> Response:
        environment, version = _environment(request, self.org.pk), _version(request)
        prompt = self.get_object()
        if environment is not None:
            return Response(_pinned(self.kind, prompt, environment))
        if version is None:
            return Response(self.kind.json(prompt))
        kept = prompt_version_snapshot(prompt=prompt, version=version)
        if kept is None:
            raise NotFound(f"{self.kind.object_type} version", version)
        return Response(self.kind.json(prompt, kept))


# The schema


def _version_parameters(kind: str) -> tuple[OpenApiParameter, ...]:
    return (
        OpenApiParameter(
            "version",
            OpenApiTypes.STR,
            description=f"Retrieve the {kind} as it was at a version: a transaction id (an `_xact_id`). "
            f"A {kind} that did not exist then is left out of a list, and answered 404 on its own",
        ),
        OpenApiParameter(
            "environment",
            OpenApiTypes.STR,
            description=f"Retrieve the {kind} at the version pinned to the environment with this slug. Cannot be used together "
            f"with `version`. A list must match a single {kind} (narrow it with `slug`, `project_id` or `limit=1`), else 400; an "
            "unknown environment, or no version pinned to it, is 404",
        ),
    )


def _schema(kind: PromptKind) -> tuple[Callable, Callable]:
    """The annotations of the collection and the detail view of `kind`."""
    name = kind.object_type
    return kind_schema(
        kind,
        KindDocs(
            post=f"Create a new {name}. If there is an existing {name} in the project with the same slug as the one "
            f"specified in the request, returns the existing {name} unmodified.",
            put=f"Create or replace {name}. If there is an existing {name} in the project with the same slug as the one "
            f"specified in the request, replaces the existing {name} with the provided fields, keeping a new version.",
            list=f"List the {name}s the caller may read, most recently created first.",
            get=f"Get a {name} object by its id; with `version`, as it was at that version.",
            patch=f"Partially update a {name} object, keeping a new version. Fields left out or null are left as they are.",
            delete=f"Delete a {name} object by its id; answers the deleted {name}.",
            list_parameters=(
                OpenApiParameter("slug", OpenApiTypes.STR, description=f"Retrieve {name}s with a specific slug"),
                *_version_parameters(name),
            ),
            get_parameters=_version_parameters(name),
        ),
    )


_prompt_collection, _prompt_detail = _schema(PROMPTS)
_function_collection, _function_detail = _schema(FUNCTIONS)


@_prompt_collection
class PromptsView(PromptCollectionView):
    kind = PROMPTS


@_prompt_detail
class PromptView(PromptDetailView):
    kind = PROMPTS


@_function_collection
class FunctionsView(PromptCollectionView):
    kind = FUNCTIONS


@_function_detail
class FunctionView(PromptDetailView):
    kind = FUNCTIONS


urlpatterns = [*PROMPTS.urls(PromptsView, PromptView), *FUNCTIONS.urls(FunctionsView, FunctionView)]
