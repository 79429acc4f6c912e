"""``/v1/ai_secret``: an organization's AI provider keys, in Braintrust's shapes, never answering a key.

An AI secret is one of the organization's settings (it is not a node of the access hierarchy), so its
organization's permissions decide, as for ``PATCH /v1/organization``:

* reading (the list, one by id, a POST that finds an existing one) needs read on the organization, which
  every built-in group holds restricted to organization: the same people who see the Organization
  settings page see which providers are configured, their types, metadata and ``preview_secret``;
* adding, changing and deleting one is "Manage settings": update on the organization (restricted to
  organization is enough).

* ``POST``: get or create by name; an existing secret is returned unmodified.
* ``PUT``: create, or replace the type and metadata of the one with that name, and its secret if given.
* ``DELETE`` with a body ``{"name": ...}``: delete the one with that name.
* ``GET`` (list, newest first, paged; ``ai_secret_name``, ``ai_secret_type``, ``ids``), and ``GET``,
  ``PATCH`` (``metadata`` deep-merged, null leaves a field as it is) and ``DELETE`` on ``/{ai_secret_id}``.

The secret goes in and never comes out: answers carry ``preview_secret`` only. Writes go through
:mod:`secrets_store.services.ai_secrets`.
"""

from typing import ClassVar

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_serializer, extend_schema_view
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.inputs import StrictCharField, StrictSerializer
from api.named_objects import Kind, KindDocs, ObjectCollectionView, ObjectDetailView, get_or_create, kind_schema
from api.schema import operation_schema
from api.secret_fields import MetadataField, PreviewField, SecretValueField, deep_merged
from permissions.engine import Node
from permissions.exceptions import NotFound
from permissions.requirements import Needs
from permissions.services.changes import UNCHANGED
from secrets_store.models import AISecret
from secrets_store.selectors import ai_secrets_of
from secrets_store.services.ai_secrets import ai_secret_create, ai_secret_delete, ai_secret_update
from secrets_store.services.values import MAX_NAME_LENGTH, MAX_TYPE_LENGTH, MAX_VALUE_LENGTH

_NAME = "Name of the AI secret"
_ORG_NAME = (
    "For nearly all users, this parameter should be unnecessary. But in the rare case that your API key belongs to "
    "multiple organizations, you may specify the name of the organization the AI Secret belongs in."
)


@extend_schema_serializer(component_name="AISecret")
class AISecretSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True, help_text="Unique identifier for the AI secret")
    created = serializers.DateTimeField(read_only=True, allow_null=True, help_text="Date of AI secret creation")
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True, help_text="Date of last AI secret update")
    secret_updated_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Date of last update to the encrypted secret value itself"
    )
    org_id = serializers.UUIDField(read_only=True, help_text="Unique identifier for the organization")
    name = serializers.CharField(read_only=True, help_text=_NAME)
    type = serializers.CharField(read_only=True, allow_null=True)
    metadata = MetadataField(read_only=True, allow_null=True)
    secret_updated_by_user_id = serializers.UUIDField(
        source="secret_updated_by_id", read_only=True, allow_null=True, help_text="User id of the last update to the encrypted secret value"
    )
    preview_secret = PreviewField()


@extend_schema_serializer(component_name="CreateAISecret")
class CreateAISecretSerializer(StrictSerializer):
    """A new AI secret, or the new contents of the one with that name. Unknown fields are refused."""

    name = StrictCharField(min_length=1, max_length=MAX_NAME_LENGTH, help_text=_NAME)
    type = StrictCharField(required=False, allow_null=True, allow_blank=True, max_length=MAX_TYPE_LENGTH)
    metadata = MetadataField(required=False, allow_null=True)
    secret = SecretValueField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=MAX_VALUE_LENGTH,
        help_text="Secret value. If omitted in a PUT request, the existing secret value will be left intact, not replaced with null.",
    )
    org_name = StrictCharField(required=False, allow_null=True, help_text=_ORG_NAME)


@extend_schema_serializer(component_name="PatchAISecret")
class PatchAISecretSerializer(StrictSerializer):
    """The changes to make; a field left out or null stays as it is, metadata is deep-merged. Unknown fields are refused."""

    name = StrictCharField(required=False, allow_null=True, min_length=1, max_length=MAX_NAME_LENGTH, help_text=_NAME)
    type = StrictCharField(required=False, allow_null=True, allow_blank=True, max_length=MAX_TYPE_LENGTH)
    metadata = MetadataField(required=False, allow_null=True)
    secret = SecretValueField(required=False, allow_null=True, allow_blank=True, max_length=MAX_VALUE_LENGTH)


@extend_schema_serializer(component_name="DeleteAISecret")
class DeleteAISecretSerializer(StrictSerializer):
    name = StrictCharField(min_length=1, max_length=MAX_NAME_LENGTH, help_text=_NAME)
    org_name = StrictCharField(required=False, allow_null=True, help_text=_ORG_NAME)


def _update(request: Request, secret: AISecret, data: dict) -> AISecret:
    """PATCH: null leaves a field as it is; metadata is merged into the stored one."""
    return ai_secret_update(
        actor=request.user,
        secret=secret,
        name=data.get("name"),
        type=data["type"] if data.get("type") is not None else UNCHANGED,
        metadata=deep_merged(secret.metadata, data["metadata"]) if data.get("metadata") is not None else UNCHANGED,
        value=data["secret"] if data.get("secret") is not None else UNCHANGED,
    )


def _filter_by_type(rows: QuerySet, params) -> QuerySet:
    types = [value for raw in params.getlist("ai_secret_type") for value in raw.split(",") if value]
    return rows.filter(type__in=types) if types else rows


AI_SECRETS = Kind(
    object_type="ai_secret",
    id_label="AiSecret",
    tag="AiSecrets",
    model=AISecret,
    output=AISecretSerializer,
    create_input=CreateAISecretSerializer,
    patch_input=PatchAISecretSerializer,
    update=_update,
    delete=lambda request, secret: ai_secret_delete(actor=request.user, secret=secret),
    in_project=False,
    list_filter=_filter_by_type,
)

_TYPE_PARAMETER = OpenApiParameter(
    "ai_secret_type", OpenApiTypes.STR, many=True, description="The types of AI secret to list; repeat the parameter for several"
)
_collection_schema, _detail_schema = kind_schema(
    AI_SECRETS,
    KindDocs(
        post="Create a new ai_secret. If there is an existing ai_secret with the same name as the one specified in the request, "
        "will return the existing ai_secret unmodified",
        put="Create or replace ai_secret. If there is an existing ai_secret with the same name as the one specified in the "
        "request, will replace the existing ai_secret with the provided fields",
        list="List out all ai_secrets. The ai_secrets are sorted by creation date, with the most recently-created ai_secrets coming first",
        list_parameters=(_TYPE_PARAMETER,),
        get="Get an ai_secret object by its id",
        patch="Partially update an ai_secret object. Specify the fields to update in the payload. Any object-type fields will "
        "be deep-merged with existing content. Currently we do not support removing fields or setting them to null.",
        delete="Delete an ai_secret object by its id",
    ),
)
_delete_by_name_schema = extend_schema_view(
    delete=operation_schema(
        "deleteAiSecret",
        tag="AiSecrets",
        summary="Delete single ai_secret",
        description="Delete a single ai_secret",
        answer=AISecretSerializer,
        request=DeleteAISecretSerializer,
    )
)


class _OrganizationSetting:
    """Rows are not nodes: the organization they configure is."""

    def object_node(self, row: AISecret) -> Node:
        return Node("organization", row.org_id)


@_delete_by_name_schema
@_collection_schema
class AISecretCollectionView(_OrganizationSetting, ObjectCollectionView):
    kind = AI_SECRETS
    list_permission = None  # the requirement (read on the organization) covers every row of the list
    object_permissions: ClassVar[dict[str, str | None]] = {"POST": "read", "PUT": "update"}
    delete_has_body = True

    def _organization(self) -> Node:
        return Node("organization", self.org.pk)

    def safely_get_queryset(self, queryset: QuerySet) -> QuerySet:
        return ai_secrets_of(self.org)

    def _existing(self, serializer_class=CreateAISecretSerializer) -> AISecret | None:
        return ai_secrets_of(self.org).filter(name=self.body(serializer_class)["name"].strip()).first()

    def requirements_get(self):
        return [Needs("read", self._organization())]

    def requirements_post(self):
        return [Needs("read" if self._existing() is not None else "update", self._organization())]

    def requirements_put(self):
        self.body(CreateAISecretSerializer)  # bad input is a 400 whoever asks
        return [Needs("update", self._organization())]

    def requirements_delete(self):
        self.body(DeleteAISecretSerializer)
        return [Needs("update", self._organization())]

    def _create(self, data: dict) -> AISecret:
        return ai_secret_create(
            actor=self.request.user,
            org=self.org,
            name=data["name"],
            type=data.get("type"),
            metadata=data.get("metadata"),
            secret=data.get("secret"),
        )

    def post(self, request: Request) -> Response:
        data = self.body(CreateAISecretSerializer)
        return self.found_or_created(self._existing, lambda: self._create(data))

    def put(self, request: Request) -> Response:
        data = self.body(CreateAISecretSerializer)
        row, created = get_or_create(self._existing, lambda: self._create(data))
        if not created:
            row = ai_secret_update(
                actor=request.user,
                secret=self.checked(row),
                type=data.get("type"),
                metadata=data.get("metadata"),
                value=data.get("secret", UNCHANGED),
            )
        return Response(self.kind.json(row))

    def delete(self, request: Request) -> Response:
        name = self.body(DeleteAISecretSerializer)["name"].strip()
        row = self._existing(DeleteAISecretSerializer)
        if row is None:
            raise NotFound("ai_secret", name)
        return Response(self.kind.json(ai_secret_delete(actor=request.user, secret=row)))


@_detail_schema
class AISecretDetailView(_OrganizationSetting, ObjectDetailView):
    kind = AI_SECRETS
    object_permissions: ClassVar[dict[str, str | None]] = {"GET": "read", "PATCH": "update", "DELETE": "update"}


urlpatterns = AI_SECRETS.urls(AISecretCollectionView, AISecretDetailView)
