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

from datetime import UTC, datetime
from uuid import UUID

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import ApiKey, User
from accounts.services.credentials import api_key_create, api_key_delete, service_token_create, service_token_revoke
from accounts.services.members import require_owner
from api.authentication import is_api_key_request
from api.base import ApiView, caller_org
from api.pagination import paginate, parse_ids, parse_uuid
from permissions.exceptions import AccessDenied, NotFound, ValidationError

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


# Request bodies


def _body(request: Request, *, allowed: set[str], required: tuple[str, ...] = ()) -> dict:
    data = request.data
    if not isinstance(data, dict):
        raise ValidationError("The request body must be a JSON object.")
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    missing = [name for name in required if data.get(name) in (None, "")]
    if missing:
        raise ValidationError(f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} required.")
    return data


def _string(data: dict, name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be a string.")
    return value


def _expires_at(data: dict) -> datetime | None:
    raw = data.get("expires_at")
    if raw is None:
        return None
    parsed = parse_datetime(raw) if isinstance(raw, str) else None
    if parsed is None:
        raise ValidationError(f"expires_at must be an ISO 8601 date and time, not {raw!r}.")
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=UTC)
    if parsed <= timezone.now():
        raise ValidationError("expires_at must be in the future.")
    return parsed


# API keys


def _own_api_keys(request: Request):
    """The caller's own API keys; those of the credential's organization only when called with one."""
    keys = ApiKey.objects.filter(user=request.user, kind=ApiKey.Kind.API_KEY).select_related("user")
    if is_api_key_request(request) or request.query_params.get("org_name") or request.query_params.get("org_id"):
        keys = keys.filter(org=caller_org(request))
    return keys


def _own_api_key(request: Request, api_key_id: str) -> ApiKey:
    key = _own_api_keys(request).filter(pk=parse_uuid(api_key_id, "api_key_id")).first()
    if key is None:
        raise NotFound("api_key", api_key_id)
    return key


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


class CreateApiKeySerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Name of the API key. Does not have to be unique.")
    org_name = serializers.CharField(required=False, allow_null=True)
    expires_at = serializers.DateTimeField(required=False, allow_null=True, help_text="When the key stops working.")


class ApiKeyListSerializer(serializers.Serializer):
    objects = ApiKeySerializer(many=True)


_LIST_PARAMETERS = [
    OpenApiParameter("limit", OpenApiTypes.INT, description="Limit the number of objects to return"),
    OpenApiParameter("starting_after", OpenApiTypes.UUID, description="Pagination cursor: the page after this id"),
    OpenApiParameter("ending_before", OpenApiTypes.UUID, description="Pagination cursor: the page before this id"),
    OpenApiParameter("ids", OpenApiTypes.UUID, many=True, description="Filter to these ids (repeat the parameter)"),
    OpenApiParameter("org_name", OpenApiTypes.STR, description="Filter to one organization"),
]


_API_KEY_ID = OpenApiParameter("api_key_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="ApiKey id")
_SERVICE_TOKEN_ID = OpenApiParameter("service_token_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="ServiceToken id")


class ApiKeyCollectionView(ApiView):
    @extend_schema(
        operation_id="getApiKey",
        tags=["ApiKeys"],
        summary="List api_keys",
        description="The caller's own API keys, most recently created first.",
        parameters=[*_LIST_PARAMETERS, OpenApiParameter("api_key_name", OpenApiTypes.STR, description="Name of the api_key to search for")],
        responses=ApiKeyListSerializer,
    )
    def get(self, request: Request) -> Response:
        keys = _own_api_keys(request)
        name = request.query_params.get("api_key_name")
        if name:
            keys = keys.filter(name=name)
        ids = parse_ids(request.query_params)
        if ids is not None:
            keys = keys.filter(pk__in=ids)
        return Response({"objects": [api_key_json(k) for k in paginate(keys, request.query_params)]})

    @extend_schema(
        operation_id="postApiKey",
        tags=["ApiKeys"],
        summary="Create api_key",
        description=(
            "Create an API key for the signed-in person. Only through the browser session (with CSRF): "
            "a request authenticated with an API key or service token is refused with 403. The response "
            "holds the raw key, the only time it is shown."
        ),
        request=CreateApiKeySerializer,
        responses=CreateApiKeyOutputSerializer,
    )
    def post(self, request: Request) -> Response:
        if is_api_key_request(request):
            raise AccessDenied("create", "api_key", API_KEYS_CANNOT_CREATE)
        data = _body(request, allowed={"name", "org_name", "expires_at"}, required=("name",))
        name, expires_at = _string(data, "name"), _expires_at(data)
        key, raw = api_key_create(actor=request.user, org=caller_org(request), name=name, expires_at=expires_at)
        return Response({**api_key_json(key), "key": raw})


class ApiKeyDetailView(ApiView):
    @extend_schema(
        operation_id="getApiKeyId",
        tags=["ApiKeys"],
        summary="Get api_key",
        description="One of the caller's own API keys; anyone else's is not found.",
        parameters=[_API_KEY_ID],
        responses=ApiKeySerializer,
    )
    def get(self, request: Request, api_key_id: str) -> Response:
        return Response(api_key_json(_own_api_key(request, api_key_id)))

    @extend_schema(
        operation_id="deleteApiKeyId",
        tags=["ApiKeys"],
        summary="Delete api_key",
        description="Delete one of the caller's own API keys; it stops working at once.",
        parameters=[_API_KEY_ID],
        responses={200: ApiKeySerializer},
    )
    def delete(self, request: Request, api_key_id: str) -> Response:
        key = _own_api_key(request, api_key_id)
        deleted = api_key_delete(actor=request.user, key_id=key.pk)
        return Response(api_key_json(deleted, key_id=key.pk))


# Service tokens


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


class CreateServiceTokenSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Name of the service token. Does not have to be unique.")
    service_account_id = serializers.UUIDField()
    org_name = serializers.CharField(required=False, allow_null=True)
    expires_at = serializers.DateTimeField(required=False, allow_null=True, help_text="When the token stops working.")


class DeleteServiceTokenSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="Unique identifier for the service token.")


class ServiceTokenListSerializer(serializers.Serializer):
    objects = ServiceTokenSerializer(many=True)


def _owner_org(request: Request, what: str):
    """The caller's organization, if the caller is one of its Owners (403 naming the reason otherwise)."""
    org = caller_org(request)
    require_owner(request.user, org, what)
    return org


def _org_service_tokens(org):
    return ApiKey.objects.filter(org=org, kind=ApiKey.Kind.SERVICE_TOKEN).select_related("user")


def _create_body(request: Request) -> tuple[str, UUID, datetime | None]:
    data = _body(request, allowed={"name", "service_account_id", "org_name", "expires_at"}, required=("name", "service_account_id"))
    return _string(data, "name"), parse_uuid(data["service_account_id"], "service_account_id"), _expires_at(data)


class ServiceTokenCollectionView(ApiView):
    @extend_schema(
        operation_id="getServiceToken",
        tags=["ServiceTokens"],
        summary="List service_tokens",
        description="The organization's service tokens, most recently created first. Owners only.",
        parameters=[
            *_LIST_PARAMETERS,
            OpenApiParameter("service_token_name", OpenApiTypes.STR, description="Name of the service_token to search for"),
        ],
        responses=ServiceTokenListSerializer,
    )
    def get(self, request: Request) -> Response:
        tokens = _org_service_tokens(_owner_org(request, "list service tokens"))
        name = request.query_params.get("service_token_name")
        if name:
            tokens = tokens.filter(name=name)
        ids = parse_ids(request.query_params)
        if ids is not None:
            tokens = tokens.filter(pk__in=ids)
        return Response({"objects": [service_token_json(t) for t in paginate(tokens, request.query_params)]})

    @extend_schema(
        operation_id="postServiceToken",
        tags=["ServiceTokens"],
        summary="Create service_token",
        description=(
            "Create a token for a service account of the organization. Owners only. "
            "The response holds the raw token, the only time it is shown."
        ),
        request=CreateServiceTokenSerializer,
        responses=CreateServiceTokenOutputSerializer,
    )
    def post(self, request: Request) -> Response:
        org = _owner_org(request, "create service tokens")
        name, account_id, expires_at = _create_body(request)
        key, raw = service_token_create(actor=request.user, org=org, account_id=account_id, name=name, expires_at=expires_at)
        return Response({**service_token_json(key), "key": raw})

    @extend_schema(
        operation_id="putServiceToken",
        tags=["ServiceTokens"],
        summary="Create or replace service_token",
        description=(
            "Create a token, replacing every token of the same name held by the same service account: those "
            "are deleted and stop working at once, and the new token has a new id and key. Owners only."
        ),
        request=CreateServiceTokenSerializer,
        responses=CreateServiceTokenOutputSerializer,
    )
    def put(self, request: Request) -> Response:
        org = _owner_org(request, "create service tokens")
        name, account_id, expires_at = _create_body(request)
        with transaction.atomic():
            # Locking the service account serializes two replacements of its tokens.
            account = (
                User.objects.select_for_update().filter(pk=account_id, kind=User.Kind.SERVICE_ACCOUNT, service_account_org=org).first()
            )
            if account is None:
                raise NotFound("service_account", account_id)
            replaced = list(_org_service_tokens(org).filter(user=account, name=name.strip()).values_list("pk", flat=True))
            key, raw = service_token_create(actor=request.user, org=org, account_id=account.pk, name=name, expires_at=expires_at)
            for token_id in replaced:
                service_token_revoke(actor=request.user, org=org, token_id=token_id)
        return Response({**service_token_json(key), "key": raw})

    @extend_schema(
        operation_id="deleteServiceToken",
        tags=["ServiceTokens"],
        summary="Delete single service_token",
        description='Delete the token the JSON body names (DeleteServiceToken: {"id": ...}); it stops working at once. Owners only.',
        request=DeleteServiceTokenSerializer,
        responses={200: ServiceTokenSerializer},
    )
    def delete(self, request: Request) -> Response:
        org = _owner_org(request, "revoke service tokens")
        data = _body(request, allowed={"id", "org_name"}, required=("id",))
        return _revoke(request, org, parse_uuid(data["id"], "id"))


def _revoke(request: Request, org, token_id: UUID) -> Response:
    key = service_token_revoke(actor=request.user, org=org, token_id=token_id)
    return Response(service_token_json(key, key_id=token_id))


class ServiceTokenDetailView(ApiView):
    @extend_schema(
        operation_id="getServiceTokenId",
        tags=["ServiceTokens"],
        summary="Get service_token",
        description="One service token of the organization. Owners only.",
        parameters=[_SERVICE_TOKEN_ID],
        responses=ServiceTokenSerializer,
    )
    def get(self, request: Request, service_token_id: str) -> Response:
        org = _owner_org(request, "read service tokens")
        token_id = parse_uuid(service_token_id, "service_token_id")
        key = _org_service_tokens(org).filter(pk=token_id).first()
        if key is None:
            raise NotFound("service_token", service_token_id)
        return Response(service_token_json(key))

    @extend_schema(
        operation_id="deleteServiceTokenId",
        tags=["ServiceTokens"],
        summary="Delete service_token",
        description="Delete one service token of the organization; it stops working at once. Owners only.",
        parameters=[_SERVICE_TOKEN_ID],
        responses={200: ServiceTokenSerializer},
    )
    def delete(self, request: Request, service_token_id: str) -> Response:
        org = _owner_org(request, "revoke service tokens")
        return _revoke(request, org, parse_uuid(service_token_id, "service_token_id"))
