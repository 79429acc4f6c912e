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

from datetime import datetime
from uuid import UUID

from django.db import transaction
from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import ApiKey, User
from accounts.services.credentials import api_key_create, api_key_delete, service_token_create, service_token_revoke
from api.authentication import is_api_key_request
from api.base import OrgScopedView
from api.common.lists import filter_ids
from api.inputs import FutureDateTimeField, StrictCharField, StrictSerializer, StrictUUIDField
from api.pagination import paginate
from api.schema import collection_operations_schema, object_operations_schema, operation_schema
from permissions.exceptions import NotFound
from permissions.requirements import NeedsOwner, NeedsSession, access_method

API_KEYS_CANNOT_CREATE = "API keys cannot create API keys"


# JSON shapes (Braintrust's ApiKey, ServiceToken and CreateServiceTokenOutput)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def api_key_json(key: ApiKey, *, key_id: UUID | None = None) -> dict:
    """An API key as Braintrust shows it: never the raw key nor its hash. `key_id` for a deleted row."""
    user = key.user
    return {
        "id": str(key_id or key.pk),
        "created": _iso(key.created),
        "name": key.name,
        "preview_name": key.preview_name,
        "user_id": str(user.pk),
        "user_email": user.email,
        "user_given_name": user.given_name,
        "user_family_name": user.family_name,
        "org_id": str(key.org_id),
    }


def service_token_json(key: ApiKey, *, key_id: UUID | None = None) -> dict:
    account = key.user
    return {
        "id": str(key_id or key.pk),
        "created": _iso(key.created),
        "name": key.name,
        "preview_name": key.preview_name,
        "service_account_id": str(account.pk),
        "service_account_email": account.email,
        "service_account_name": account.given_name,
        "org_id": str(key.org_id),
    }


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


# Output shapes, for the schema


class ApiKeySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    created = serializers.DateTimeField(allow_null=True)
    name = serializers.CharField()
    preview_name = serializers.CharField()
    user_id = serializers.UUIDField(allow_null=True)
    user_email = serializers.CharField(allow_null=True)
    user_given_name = serializers.CharField(allow_null=True)
    user_family_name = serializers.CharField(allow_null=True)
    org_id = serializers.UUIDField(allow_null=True)


class CreateApiKeyOutputSerializer(ApiKeySerializer):
    key = serializers.CharField(help_text="The raw API key. It is shown this one time only.")


class ApiKeyListSerializer(serializers.Serializer):
    objects = ApiKeySerializer(many=True)


class ServiceTokenSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    created = serializers.DateTimeField(allow_null=True)
    name = serializers.CharField()
    preview_name = serializers.CharField()
    service_account_id = serializers.UUIDField(allow_null=True)
    service_account_email = serializers.CharField(allow_null=True, help_text="The service account email (not routable)")
    service_account_name = serializers.CharField(allow_null=True)
    org_id = serializers.UUIDField(allow_null=True)


class CreateServiceTokenOutputSerializer(ServiceTokenSerializer):
    key = serializers.CharField(help_text="The raw service token. It is shown this one time only.")


class ServiceTokenListSerializer(serializers.Serializer):
    objects = ServiceTokenSerializer(many=True)


def _named_list(view: OrgScopedView, name_parameter: str, to_json) -> Response:
    """A page of the view's credentials, filtered by name and ids."""
    params = view.request.query_params
    keys = view.visible_queryset()
    if params.get(name_parameter):
        keys = keys.filter(name=params[name_parameter])
    keys = filter_ids(keys, params)
    return Response({"objects": [to_json(key) for key in paginate(keys, params)]})


# API keys


class _OwnApiKeys:
    """The caller's own API keys: every organization's through the browser session, the credential's
    organization's only when called with one (or when the query names an organization). Nobody else's
    key is ever in the queryset, so another person's key is "not found"."""

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


@collection_operations_schema(
    name="api_key",
    operation="ApiKey",
    tag="ApiKeys",
    listed=ApiKeyListSerializer,
    created=CreateApiKeyOutputSerializer,
    create_request=CreateApiKeySerializer,
    descriptions={
        "get": "The caller's own API keys, most recently created first.",
        "post": "Create an API key for the signed-in person. Only through the browser session (with CSRF): "
        "a request authenticated with an API key or service token is refused with 403. The response "
        "holds the raw key, the only time it is shown.",
    },
)
class ApiKeyCollectionView(_OwnApiKeys, OrgScopedView):
    def requirements_post(self):
        return [NeedsSession(API_KEYS_CANNOT_CREATE, "api_key")]

    def get(self, request: Request) -> Response:
        return _named_list(self, "api_key_name", api_key_json)

    def post(self, request: Request) -> Response:
        data = self.body(CreateApiKeySerializer)
        key, raw = api_key_create(actor=request.user, org=self.org, name=data["name"], expires_at=data.get("expires_at"))
        return Response({**api_key_json(key), "key": raw})


@object_operations_schema(
    name="api_key",
    operation="ApiKey",
    tag="ApiKeys",
    id_label="ApiKey",
    output=ApiKeySerializer,
    descriptions={
        "get": "One of the caller's own API keys; anyone else's is not found.",
        "delete": "Delete one of the caller's own API keys; it stops working at once.",
    },
)
class ApiKeyDetailView(_OwnApiKeys, OrgScopedView):
    lookup_url_kwarg = "api_key_id"

    def get(self, request: Request, api_key_id: str) -> Response:
        return Response(api_key_json(self.get_object()))

    def delete(self, request: Request, api_key_id: str) -> Response:
        key = self.get_object()
        deleted = api_key_delete(actor=request.user, key_id=key.pk)
        return Response(api_key_json(deleted, key_id=key.pk))


# Service tokens


class _OrgServiceTokens:
    """The organization's service tokens, for its Owners only (whatever credential they call with)."""

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
        return Response(service_token_json(key, key_id=token_id))


@collection_operations_schema(
    name="service_token",
    operation="ServiceToken",
    tag="ServiceTokens",
    listed=ServiceTokenListSerializer,
    created=CreateServiceTokenOutputSerializer,
    create_request=CreateServiceTokenSerializer,
    descriptions={
        "get": "The organization's service tokens, most recently created first. Owners only.",
        "post": "Create a token for a service account of the organization. Owners only. "
        "The response holds the raw token, the only time it is shown.",
        "put": "Create a token, replacing every token of the same name held by the same service account: those "
        "are deleted and stop working at once, and the new token has a new id and key. Owners only.",
    },
)
class ServiceTokenCollectionView(_OrgServiceTokens, OrgScopedView):
    owner_needs = {**_OrgServiceTokens.owner_needs, "GET": "list service tokens"}

    def get(self, request: Request) -> Response:
        return _named_list(self, "service_token_name", service_token_json)

    def post(self, request: Request) -> Response:
        data = self.body(CreateServiceTokenSerializer)
        key, raw = service_token_create(
            actor=request.user, org=self.org, account_id=data["service_account_id"], name=data["name"], expires_at=data.get("expires_at")
        )
        return Response({**service_token_json(key), "key": raw})

    def put(self, request: Request) -> Response:
        data = self.body(CreateServiceTokenSerializer)
        org, account_id, name = self.org, data["service_account_id"], data["name"]
        with transaction.atomic():
            # Locking the service account serializes two replacements of its tokens.
            account = (
                User.objects.select_for_update().filter(pk=account_id, kind=User.Kind.SERVICE_ACCOUNT, service_account_org=org).first()
            )
            if account is None:
                raise NotFound("service_account", account_id)
            replaced = list(self.get_queryset().filter(user=account, name=name.strip()).values_list("pk", flat=True))
            key, raw = service_token_create(
                actor=request.user, org=org, account_id=account.pk, name=name, expires_at=data.get("expires_at")
            )
            for token_id in replaced:
                service_token_revoke(actor=request.user, org=org, token_id=token_id)
        return Response({**service_token_json(key), "key": raw})

    @operation_schema(
        "deleteServiceToken",
        tag="ServiceTokens",
        summary="Delete single service_token",
        answer=ServiceTokenSerializer,
        description='Delete the token the JSON body names (DeleteServiceToken: {"id": ...}); it stops working at once. Owners only.',
        request=DeleteServiceTokenSerializer,
    )
    def delete(self, request: Request) -> Response:
        return self.revoke(self.body(DeleteServiceTokenSerializer)["id"])


@object_operations_schema(
    name="service_token",
    operation="ServiceToken",
    tag="ServiceTokens",
    id_label="ServiceToken",
    output=ServiceTokenSerializer,
    descriptions={
        "get": "One service token of the organization. Owners only.",
        "delete": "Delete one service token of the organization; it stops working at once. Owners only.",
    },
)
class ServiceTokenDetailView(_OrgServiceTokens, OrgScopedView):
    lookup_url_kwarg = "service_token_id"

    def get(self, request: Request, service_token_id: str) -> Response:
        return Response(service_token_json(self.get_object()))

    def delete(self, request: Request, service_token_id: str) -> Response:
        return self.revoke(self.get_object().pk)
