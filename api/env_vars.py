"""``/v1/env_var``: environment variables of an organization, a project or a function, never answering a value.

An environment variable is not a node of the access hierarchy: the object it is scoped for decides.

* reading it (lists, by id, a POST that finds an existing one) needs read on that object: on the
  organization (restricted to organization is enough), the project, or the function (a prompt node);
* adding, changing and deleting it needs update on that object ("Manage settings" for the organization's).

Lists keep only the variables of objects the caller may read, restricted in the database
(:func:`secrets_store.selectors.visible_env_vars`), filtered by ``env_var_name``, ``object_type``,
``object_id`` and ``ids``. ``POST`` gets or creates by name on the object, ``PUT`` creates or replaces,
``PATCH`` changes (``metadata`` deep-merged, null leaves a field as it is). The value goes in and never
comes out: answers carry ``preview_secret`` only. Writes go through :mod:`secrets_store.services.env_vars`.
"""

from typing import ClassVar

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.inputs import StrictCharField, StrictSerializer, StrictUUIDField
from api.named_objects import Kind, KindDocs, ObjectCollectionView, ObjectDetailView, get_or_create, kind_schema
from api.pagination import parse_uuid
from api.schema import pagination_parameters
from api.secret_fields import MetadataField, PreviewField, SecretValueField, deep_merged
from permissions.engine import Node
from permissions.exceptions import ValidationError
from permissions.requirements import Needs
from permissions.services.changes import UNCHANGED
from secrets_store.models import EnvVar
from secrets_store.selectors import OBJECT_TYPES, Scope, env_var_node, env_var_scope, env_vars_of_object, visible_env_vars
from secrets_store.services.env_vars import env_var_create, env_var_delete, env_var_update
from secrets_store.services.values import MAX_NAME_LENGTH, MAX_TYPE_LENGTH, MAX_VALUE_LENGTH

_OBJECT_TYPE = "The type of the object the environment variable is scoped for"
_OBJECT_ID = "The id of the object the environment variable is scoped for"
_NAME = "The name of the environment variable"
_VALUE = "The value of the environment variable. Will be encrypted at rest."
_METADATA = "Optional metadata associated with the environment variable when managed via the function secrets API"
_SECRET_TYPE = "Optional classification for the secret (for example, the AI provider name)"  # noqa: S105 (a help text)
_CATEGORIES = ("env_var", "ai_provider", "sandbox_provider")


@extend_schema_field({"type": "string", "enum": list(OBJECT_TYPES), "description": _OBJECT_TYPE}, component_name="EnvVarObjectType")
class ObjectTypeField(serializers.ChoiceField):
    """organization, project or function (a component of its own, named as Braintrust's spec names it)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(choices=OBJECT_TYPES, **kwargs)


@extend_schema_field(
    {
        "type": "string",
        "enum": list(_CATEGORIES),
        "default": "env_var",
        "description": "The category of the secret: env_var for regular environment variables, ai_provider for AI provider API keys",
    }
)
class SecretCategoryField(serializers.Field):
    """Always env_var here: AI provider keys are ``/v1/ai_secret``'s."""

    def __init__(self, **kwargs) -> None:
        super().__init__(read_only=True, source="*", **kwargs)

    def to_representation(self, value) -> str:
        return "env_var"


@extend_schema_serializer(component_name="EnvVar")
class EnvVarSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True, help_text="Unique identifier for the environment variable")
    object_type = ObjectTypeField(read_only=True)
    object_id = serializers.UUIDField(read_only=True, help_text=_OBJECT_ID)
    name = serializers.CharField(read_only=True, help_text=_NAME)
    created = serializers.DateTimeField(read_only=True, allow_null=True, help_text="Date of environment variable creation")
    secret_updated_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Date of last update to the encrypted secret value itself"
    )
    secret_updated_by_user_id = serializers.UUIDField(
        source="secret_updated_by_id", read_only=True, allow_null=True, help_text="User id of the last update to the encrypted secret value"
    )
    used = serializers.DateTimeField(read_only=True, allow_null=True, help_text="Date the environment variable was last used")
    metadata = MetadataField(read_only=True, allow_null=True, help_text=_METADATA)
    preview_secret = PreviewField(help_text="Redacted preview of the stored secret value")
    secret_type = serializers.CharField(read_only=True, allow_null=True, help_text=_SECRET_TYPE)
    secret_category = SecretCategoryField()


@extend_schema_serializer(component_name="CreateEnvVar")
class CreateEnvVarSerializer(StrictSerializer):
    """A new environment variable, or the new contents of the one with that name on the object. Unknown fields are refused."""

    object_type = ObjectTypeField()
    object_id = StrictUUIDField(help_text=_OBJECT_ID)
    name = StrictCharField(min_length=1, max_length=MAX_NAME_LENGTH, help_text=_NAME)
    value = SecretValueField(required=False, allow_null=True, allow_blank=True, max_length=MAX_VALUE_LENGTH, help_text=_VALUE)
    metadata = MetadataField(required=False, allow_null=True, help_text=_METADATA)
    secret_type = StrictCharField(required=False, allow_null=True, allow_blank=True, max_length=MAX_TYPE_LENGTH, help_text=_SECRET_TYPE)


@extend_schema_serializer(component_name="PatchEnvVar")
class PatchEnvVarSerializer(StrictSerializer):
    """The changes to make; name is required (Braintrust's shape), the others left out or null stay as they are."""

    name = StrictCharField(min_length=1, max_length=MAX_NAME_LENGTH, help_text=_NAME)
    value = SecretValueField(required=False, allow_null=True, allow_blank=True, max_length=MAX_VALUE_LENGTH, help_text=_VALUE)
    metadata = MetadataField(required=False, allow_null=True, help_text=_METADATA)
    secret_type = StrictCharField(required=False, allow_null=True, allow_blank=True, max_length=MAX_TYPE_LENGTH, help_text=_SECRET_TYPE)


def _update(request: Request, env_var: EnvVar, data: dict) -> EnvVar:
    """PATCH: null leaves a field as it is; metadata is merged into the stored one."""
    return env_var_update(
        actor=request.user,
        env_var=env_var,
        name=data["name"],
        value=data["value"] if data.get("value") is not None else UNCHANGED,
        metadata=deep_merged(env_var.metadata, data["metadata"]) if data.get("metadata") is not None else UNCHANGED,
        secret_type=data["secret_type"] if data.get("secret_type") is not None else UNCHANGED,
    )


def _filter_by_object(rows: QuerySet, params) -> QuerySet:
    object_type, object_id = params.get("object_type"), params.get("object_id")
    if object_type:
        if object_type not in OBJECT_TYPES:
            raise ValidationError(f"object_type must be one of {', '.join(OBJECT_TYPES)}.")
        rows = rows.filter(object_type=object_type)
    if object_id:
        rows = rows.filter(object_id=parse_uuid(object_id, "object_id"))
    return rows


class _EnvVarKind(Kind):
    """Braintrust lists environment variables by name, object and ids, with a limit and no cursor."""

    def list_parameters(self) -> list[OpenApiParameter]:
        limit_and_ids = [parameter for parameter in pagination_parameters() if parameter.name in ("limit", "ids")]
        return [
            *limit_and_ids,
            OpenApiParameter("env_var_name", OpenApiTypes.STR, description="Name of the env_var to search for"),
            OpenApiParameter("object_type", {"type": "string", "enum": list(OBJECT_TYPES)}, description=_OBJECT_TYPE),
            OpenApiParameter("object_id", OpenApiTypes.UUID, description=_OBJECT_ID),
        ]


ENV_VARS = _EnvVarKind(
    object_type="env_var",
    id_label="EnvVar",
    tag="EnvVars",
    model=EnvVar,
    output=EnvVarSerializer,
    create_input=CreateEnvVarSerializer,
    patch_input=PatchEnvVarSerializer,
    update=_update,
    delete=lambda request, env_var: env_var_delete(actor=request.user, env_var=env_var),
    in_project=False,
    list_filter=_filter_by_object,
)

_collection_schema, _detail_schema = kind_schema(
    ENV_VARS,
    KindDocs(
        post="Create a new env_var. If there is an existing env_var with the same name as the one specified in the request, "
        "will return the existing env_var unmodified",
        put="Create or replace env_var. If there is an existing env_var with the same name as the one specified in the "
        "request, will replace the existing env_var with the provided fields",
        list="List out all env_vars. The env_vars are sorted by creation date, with the most recently-created env_vars coming first",
        get="Get an env_var object by its id",
        patch="Partially update an env_var object. Specify the fields to update in the payload. Any object-type fields will "
        "be deep-merged with existing content. Currently we do not support removing fields or setting them to null.",
        delete="Delete an env_var object by its id",
    ),
)


class _ScopedRows:
    """Rows are not nodes: the object each one is scoped for is."""

    def object_node(self, row: EnvVar) -> Node:
        return env_var_node(row)


@_collection_schema
class EnvVarCollectionView(_ScopedRows, ObjectCollectionView):
    kind = ENV_VARS
    list_permission = None  # safely_get_queryset keeps the variables of objects the caller may read
    object_permissions: ClassVar[dict[str, str | None]] = {"POST": "read", "PUT": "update"}

    def safely_get_queryset(self, queryset: QuerySet) -> QuerySet:
        return visible_env_vars(self.request.user, self.org)

    @property
    def scope(self) -> Scope:
        """The live object of the caller's organization that the body names ("not found" otherwise)."""
        if "_scope" not in self.__dict__:
            data = self.body(CreateEnvVarSerializer)
            self.__dict__["_scope"] = env_var_scope(self.org, data["object_type"], data["object_id"])
        return self.__dict__["_scope"]

    def _existing(self) -> EnvVar | None:
        name = self.body(CreateEnvVarSerializer)["name"].strip()
        return env_vars_of_object(self.org, self.scope.object_type, self.scope.object_id).filter(name=name).first()

    def requirements_post(self):
        return [Needs("read" if self._existing() is not None else "update", self.scope.node)]

    def requirements_put(self):
        return [Needs("update", self.scope.node)]

    def _create(self, data: dict) -> EnvVar:
        return env_var_create(
            actor=self.request.user,
            org=self.org,
            object_type=data["object_type"],
            object_id=data["object_id"],
            name=data["name"],
            value=data.get("value"),
            metadata=data.get("metadata"),
            secret_type=data.get("secret_type"),
        )

    def post(self, request: Request) -> Response:
        data = self.body(CreateEnvVarSerializer)
        return self.found_or_created(self._existing, lambda: self._create(data))

    def put(self, request: Request) -> Response:
        data = self.body(CreateEnvVarSerializer)
        row, created = get_or_create(self._existing, lambda: self._create(data))
        if not created:
            row = env_var_update(
                actor=request.user,
                env_var=self.checked(row),
                value=data.get("value", UNCHANGED),
                metadata=data.get("metadata"),
                secret_type=data.get("secret_type"),
            )
        return Response(self.kind.json(row))


@_detail_schema
class EnvVarDetailView(_ScopedRows, ObjectDetailView):
    """One variable, found in the caller's organization whatever the caller holds, so that its object's
    permissions decide the answer: 404 with none at all, 403 naming the one missing."""

    kind = ENV_VARS
    object_permissions: ClassVar[dict[str, str | None]] = {"GET": "read", "PATCH": "update", "DELETE": "update"}

    def safely_get_queryset(self, queryset: QuerySet) -> QuerySet:
        return (
            queryset.exclude(project__deleted_at__isnull=False)
            .exclude(function__deleted_at__isnull=False)
            .exclude(function__project__deleted_at__isnull=False)
        )


urlpatterns = ENV_VARS.urls(EnvVarCollectionView, EnvVarDetailView)
