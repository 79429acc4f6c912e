"""``/v1/api_key`` and ``/v1/service_token``: people's own API keys and the organization's service tokens.

API keys belong to the person who made them: everyone lists, reads and deletes their own, and anyone
else's is "not found". A new API key is made only by a person signed in through the browser session; a
request authenticated with an API key or a service token cannot make one (403).

Service tokens are for Owners only (members of the organization's Owners group, whatever credential
they call with); anyone else is refused with 403, and a token or service account of another
organization is "not found".

``PUT /v1/service_token`` creates or replaces by name: in one transaction, every token of that name
held by that service account is deleted and a new token (new id, new key) takes its place, so the old
key stops working at once. Without such a token, it is the same as ``POST``.

The raw key is returned once, in the response that creates it (``key``), and never again. Creates also
accept an optional ``expires_at`` (ISO 8601; a time without an offset is read as UTC), which must be
in the future.
"""

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import ClassVar
from uuid import UUID

from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import ApiKey, User
from accounts.services.credentials import (
    api_key_create,
    api_key_delete,
    service_token_create,
    service_token_replace,
    service_token_revoke,
)
from api.authentication import is_api_key_request
from api.base import OrgScopedView
from api.common.lists import filter_ids
from api.inputs import FutureDateTimeField, StrictCharField, StrictSerializer, StrictUUIDField
from api.pagination import paginate
from api.schema import collection_operations_schema, object_operations_schema, operation_name, operation_schema
from permissions.requirements import NeedsOwner, NeedsSession, access_method

API_KEYS_CANNOT_CREATE = "API keys cannot create API keys"


# Request bodies (unknown fields and wrong types are refused with a 400 naming them)


class CreateApiKeySerializer(StrictSerializer):
    name = StrictCharField(help_text="Name of the API key. Does not have to be unique.")
    org_name = StrictCharField(required=False, allow_null=True, help_text="The organization the key acts in")
    expires_at = FutureDateTimeField(required=False, allow_null=True, help_text="When the key stops working (in the future).")


class CreateServiceTokenSerializer(StrictSerializer):
    name = StrictCharField(help_text="Name of the service token. Does not have to be unique.")
    service_account_id = StrictUUIDField(help_text="The service account the token authenticates as")
    org_name = StrictCharField(required=False, allow_null=True)
    expires_at = FutureDateTimeField(required=False, allow_null=True, help_text="When the token stops working (in the future).")


class DeleteServiceTokenSerializer(StrictSerializer):
    id = StrictUUIDField(help_text="Unique identifier for the service token.")
    org_name = StrictCharField(required=False, allow_null=True)


# The two kinds of credential (Braintrust's ApiKey and ServiceToken, and their CreateApiKeyOutput and
# CreateServiceTokenOutput)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _shape(name: str, base: type[serializers.Serializer], fields: dict[str, serializers.Field]) -> type[serializers.Serializer]:
    return type(name, (base,), {"__module__": __name__, **fields})


@dataclass(frozen=True, eq=False)
class CredentialKind:
    """One kind of credential, as ``/v1/<name>`` answers and documents it: every credential shows the same
    fields around those of the principal it acts as (its `holder`), and never its raw key nor its hash,
    except once, in the answer that creates it."""

    name: str  # "api_key": the path, the ``<name>_name`` filter and the schema's names (``ApiKey``, ``getApiKey``)
    holder_fields: dict[str, serializers.Field]  # the holder's fields in the answer's shape
    holder_json: Callable[[User], dict]  # the holder's fields in the answer, as `holder_fields` names them
    create_input: type[StrictSerializer]
    key_help: str  # of the raw key in the answer that creates one

    @property
    def operation(self) -> str:
        return operation_name(self.name)

    @cached_property
    def output(self) -> type[serializers.Serializer]:
        """The credential's shape (``ApiKey``)."""
        return _shape(
            f"{self.operation}Serializer",
            serializers.Serializer,
            {
                "id": serializers.UUIDField(),
                "created": serializers.DateTimeField(allow_null=True),
                "name": serializers.CharField(),
                "preview_name": serializers.CharField(),
                # Copies, made here: a serializer lists its fields in the order they were made.
                **{name: copy.deepcopy(field) for name, field in self.holder_fields.items()},
                "org_id": serializers.UUIDField(allow_null=True),
            },
        )

    @cached_property
    def created_output(self) -> type[serializers.Serializer]:
        """The shape of the answer that creates one (``CreateApiKeyOutput``): the credential and its raw key."""
        return _shape(f"Create{self.operation}OutputSerializer", self.output, {"key": serializers.CharField(help_text=self.key_help)})

    def json(self, key: ApiKey, *, key_id: UUID | None = None) -> dict:
        """The credential's answer, in the order of its shape; `key_id` for a deleted row."""
        return {
            "id": str(key_id or key.pk),
            "created": _iso(key.created),
            "name": key.name,
            "preview_name": key.preview_name,
            **self.holder_json(key.user),
            "org_id": str(key.org_id),
        }

    @property
    def _schema_names(self) -> dict:
        """What the schema calls the kind, its operations and its shape."""
        return {"name": self.name, "operation": self.operation, "tag": f"{self.operation}s", "output": self.output}

    def collection_schema(self, descriptions: dict[str, str]) -> Callable:
        """The schema decorator of the ``/v1/<name>`` view: `descriptions` by method."""
        created = {"created": self.created_output, "create_request": self.create_input}
        return collection_operations_schema(**self._schema_names, **created, descriptions=descriptions)

    def object_schema(self, descriptions: dict[str, str]) -> Callable:
        """The schema decorator of the ``/v1/<name>/{<name>_id}`` view: `descriptions` by method."""
        return object_operations_schema(**self._schema_names, id_label=self.operation, descriptions=descriptions)


API_KEYS = CredentialKind(
    name="api_key",
    holder_fields={
        "user_id": serializers.UUIDField(allow_null=True),
        "user_email": serializers.CharField(allow_null=True),
        "user_given_name": serializers.CharField(allow_null=True),
        "user_family_name": serializers.CharField(allow_null=True),
    },
    holder_json=lambda user: {
        "user_id": str(user.pk),
        "user_email": user.email,
        "user_given_name": user.given_name,
        "user_family_name": user.family_name,
    },
    create_input=CreateApiKeySerializer,
    key_help="The raw API key. It is shown this one time only.",
)

SERVICE_TOKENS = CredentialKind(
    name="service_token",
    holder_fields={
        "service_account_id": serializers.UUIDField(allow_null=True),
        "service_account_email": serializers.CharField(allow_null=True, help_text="The service account email (not routable)"),
        "service_account_name": serializers.CharField(allow_null=True),
    },
    holder_json=lambda account: {
        "service_account_id": str(account.pk),
        "service_account_email": account.email,
        "service_account_name": account.given_name,
    },
    create_input=CreateServiceTokenSerializer,
    key_help="The raw service token. It is shown this one time only.",
)


class CredentialView(OrgScopedView):
    """A view of one kind of credential (`credentials`), whose scope says which ones the caller sees and
    how one is revoked."""

    credentials: ClassVar[CredentialKind]

    def revoke(self, key_id: UUID) -> Response:
        """Remove the credential, answering it as it was."""
        raise NotImplementedError


class CredentialCollectionView(CredentialView):
    def get(self, request: Request) -> Response:
        """A page of the view's credentials, filtered by name and ids."""
        params = request.query_params
        keys = self.visible_queryset()
        name_parameter = f"{self.credentials.name}_name"
        if params.get(name_parameter):
            keys = keys.filter(name=params[name_parameter])
        keys = filter_ids(keys, params)
        return Response({"objects": [self.credentials.json(key) for key in paginate(keys, params)]})


class CredentialDetailView(CredentialView):
    def get(self, request: Request, **_path) -> Response:
        return Response(self.credentials.json(self.get_object()))

    def delete(self, request: Request, **_path) -> Response:
        return self.revoke(self.get_object().pk)


# API keys


class _OwnApiKeys:
    """The caller's own API keys: every organization's through the browser session, the credential's
    organization's only when called with one (or when the query names an organization). Nobody else's
    key is ever in the queryset, so another person's key is "not found"."""

    credentials = API_KEYS
    queryset = ApiKey.objects.filter(kind=ApiKey.Kind.API_KEY)
    org_field = None
    object_type = "api_key"
    list_permission = None
    object_permissions = {"GET": None, "DELETE": None}

    def safely_get_queryset(self, queryset: QuerySet) -> QuerySet:
        keys = queryset.filter(user=self.request.user).select_related("user")
        params = self.request.query_params
        if is_api_key_request(self.request) or params.get("org_name") or params.get("org_id"):
            keys = keys.filter(org=self.org)
        return keys

    def object_node(self, key: ApiKey) -> None:
        return None

    def revoke(self, key_id: UUID) -> Response:
        deleted = api_key_delete(actor=self.request.user, key_id=key_id)
        return Response(API_KEYS.json(deleted, key_id=key_id))


@API_KEYS.collection_schema(
    {
        "get": "The caller's own API keys, most recently created first.",
        "post": "Create an API key for the signed-in person. Only through the browser session (with CSRF): "
        "a request authenticated with an API key or service token is refused with 403. The response "
        "holds the raw key, the only time it is shown.",
    }
)
class ApiKeyCollectionView(_OwnApiKeys, CredentialCollectionView):
    def requirements_post(self):
        return [NeedsSession(API_KEYS_CANNOT_CREATE, "api_key")]

    def post(self, request: Request) -> Response:
        data = self.body(CreateApiKeySerializer)
        key, raw = api_key_create(actor=request.user, org=self.org, name=data["name"], expires_at=data.get("expires_at"))
        return Response({**API_KEYS.json(key), "key": raw})


@API_KEYS.object_schema(
    {
        "get": "One of the caller's own API keys; anyone else's is not found.",
        "delete": "Delete one of the caller's own API keys; it stops working at once.",
    }
)
class ApiKeyDetailView(_OwnApiKeys, CredentialDetailView):
    lookup_url_kwarg = "api_key_id"


# Service tokens


class _OrgServiceTokens:
    """The organization's service tokens, for its Owners only (whatever credential they call with)."""

    credentials = SERVICE_TOKENS
    queryset = ApiKey.objects.filter(kind=ApiKey.Kind.SERVICE_TOKEN).select_related("user")
    object_type = "service_token"
    list_permission = None
    object_permissions = {"GET": None, "DELETE": None}
    owner_needs = {
        "GET": "read service tokens",
        "POST": "create service tokens",
        "PUT": "create service tokens",
        "DELETE": "revoke service tokens",
    }

    def requirements(self):
        return [NeedsOwner(self.owner_needs.get(access_method(self.request), "use service tokens"))]

    def object_node(self, key: ApiKey) -> None:
        return None

    def revoke(self, token_id: UUID) -> Response:
        key = service_token_revoke(actor=self.request.user, org=self.org, token_id=token_id)
        return Response(SERVICE_TOKENS.json(key, key_id=token_id))


@SERVICE_TOKENS.collection_schema(
    {
        "get": "The organization's service tokens, most recently created first. Owners only.",
        "post": "Create a token for a service account of the organization. Owners only. "
        "The response holds the raw token, the only time it is shown.",
        "put": "Create a token, replacing every token of the same name held by the same service account: those "
        "are deleted and stop working at once, and the new token has a new id and key. Owners only.",
    }
)
class ServiceTokenCollectionView(_OrgServiceTokens, CredentialCollectionView):
    owner_needs = {**_OrgServiceTokens.owner_needs, "GET": "list service tokens"}

    def post(self, request: Request) -> Response:
        data = self.body(CreateServiceTokenSerializer)
        key, raw = service_token_create(
            actor=request.user, org=self.org, account_id=data["service_account_id"], name=data["name"], expires_at=data.get("expires_at")
        )
        return Response({**SERVICE_TOKENS.json(key), "key": raw})

    def put(self, request: Request) -> Response:
        data = self.body(CreateServiceTokenSerializer)
        key, raw = service_token_replace(
            actor=request.user, org=self.org, account_id=data["service_account_id"], name=data["name"], expires_at=data.get("expires_at")
        )
        return Response({**SERVICE_TOKENS.json(key), "key": raw})

    @operation_schema(
        "deleteServiceToken",
        tag="ServiceTokens",
        summary="Delete single service_token",
        answer=SERVICE_TOKENS.output,
        description='Delete the token the JSON body names (DeleteServiceToken: {"id": ...}); it stops working at once. Owners only.',
        request=DeleteServiceTokenSerializer,
    )
    def delete(self, request: Request) -> Response:
        return self.revoke(self.body(DeleteServiceTokenSerializer)["id"])


@SERVICE_TOKENS.object_schema(
    {
        "get": "One service token of the organization. Owners only.",
        "delete": "Delete one service token of the organization; it stops working at once. Owners only.",
    }
)
class ServiceTokenDetailView(_OrgServiceTokens, CredentialDetailView):
    lookup_url_kwarg = "service_token_id"
