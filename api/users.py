"""``/v1/user``: the members of the caller's organization.

Listing members is read on org_member of the organization, which Owners, Engineers and Viewers hold.
A caller with no permission on org_member is answered 404, one with some other permission there (say
"Remove members" alone) 403 naming read, as ACCESS_MODEL.md prescribes.

Service accounts are members and principals like people (grants and groups name them by user id), so
they are listed too, as Braintrust lists them among users; their email is the placeholder address of
the reserved ``.invalid`` domain they were created with.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User, normalize_email
from api.base import ApiView
from api.organizations import LIST_PARAMETERS
from api.pagination import paginate, parse_ids, parse_uuid
from api.schema import error_responses, id_parameter
from permissions.engine import Node
from permissions.exceptions import NotFound


class UserSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="Unique identifier for the user")
    given_name = serializers.CharField(allow_null=True, help_text="Given name of the user")
    family_name = serializers.CharField(allow_null=True, help_text="Family name of the user")
    email = serializers.CharField(allow_null=True, help_text="The user's email")
    avatar_url = serializers.CharField(allow_null=True, help_text="URL of the user's Avatar image")
    created = serializers.DateTimeField(allow_null=True, help_text="Date of user creation")


def user_json(user: User) -> dict:
    return {
        "id": str(user.pk),
        "given_name": user.given_name or None,
        "family_name": user.family_name or None,
        "email": user.email or None,
        "avatar_url": user.avatar_url or None,
        "created": user.created.isoformat(),
    }


_FILTERS = [
    OpenApiParameter(name, OpenApiTypes.STR, many=True, description=f"Exact {name} to match; repeat the parameter for several")
    for name in ("given_name", "family_name", "email")
]
_ORG_NAME = OpenApiParameter("org_name", OpenApiTypes.STR, description="The organization, for a person who belongs to several")


class UserCollectionView(ApiView):
    @extend_schema(
        operation_id="getUser",
        tags=["Users"],
        summary="List users",
        description="Members of the caller's organization (people and service accounts), newest first. Needs read on org_member.",
        parameters=[*LIST_PARAMETERS, *_FILTERS, _ORG_NAME],
        responses={200: inline_serializer("UserList", {"objects": UserSerializer(many=True)}), **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request) -> Response:
        org = self.org(request)
        self.require(request, "read", Node("org_member", org.pk))
        users = User.objects.filter(memberships__org=org)
        ids = parse_ids(request.query_params)
        if ids is not None:
            users = users.filter(pk__in=ids)
        params = request.query_params
        if params.getlist("email"):
            users = users.filter(email__in=[normalize_email(e) for e in params.getlist("email")])
        for name in ("given_name", "family_name"):
            if params.getlist(name):
                users = users.filter(**{f"{name}__in": params.getlist(name)})
        return Response({"objects": [user_json(user) for user in paginate(users, params)]})


class UserDetailView(ApiView):
    @extend_schema(
        operation_id="getUserId",
        tags=["Users"],
        summary="Get user",
        parameters=[id_parameter("user_id", "User"), _ORG_NAME],
        responses={200: UserSerializer, **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request, user_id: str) -> Response:
        user_id = parse_uuid(user_id, "user_id")
        org = self.org(request)
        self.require(request, "read", Node("org_member", org.pk))
        user = User.objects.filter(pk=user_id, memberships__org=org).first()
        if user is None:
            raise NotFound("user", user_id)
        return Response(user_json(user))
