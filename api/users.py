"""``/v1/user``: the members of the caller's organization.

Listing members is read on org_member of the organization, which Owners, Engineers and Viewers hold.
A caller with no permission on org_member is answered 404, one with some other permission there (say
"Remove members" alone) 403 naming read, as docs/access-model.md prescribes.

Service accounts are members and principals like people (grants and groups name them by user id), so
they are listed too, as Braintrust lists them among users; their email is the placeholder address of
the reserved ``.invalid`` domain they were created with.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User, normalize_email
from api.base import OrgScopedView
from api.common.lists import filter_ids
from api.pagination import paginate
from api.schema import ORG_NAME_PARAMETER, id_parameter, list_operation_schema, operation_schema, pagination_parameters
from permissions.engine import Node
from permissions.requirements import Needs


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


class _MemberScope:
    """The members of the caller's organization; reading any of them is read on its org_member node."""

    queryset = User.objects.all()
    org_field = "memberships__org"
    object_type = "user"
    list_permission = None  # the requirement below covers the whole list
    object_permissions = {"GET": "read"}

    def requirements_get(self):
        return [Needs("read", Node("org_member", self.org.pk))]

    def object_node(self, user: User) -> Node:
        return Node("org_member", self.org.pk)


class UserCollectionView(_MemberScope, OrgScopedView):
    @list_operation_schema(
        "user",
        UserSerializer,
        description="Members of the caller's organization (people and service accounts), newest first. Needs read on org_member.",
        parameters=[*pagination_parameters(), *_FILTERS, ORG_NAME_PARAMETER],
    )
    def get(self, request: Request) -> Response:
        users = filter_ids(self.visible_queryset(), request.query_params)
        params = request.query_params
        if params.getlist("email"):
            users = users.filter(email__in=[normalize_email(e) for e in params.getlist("email")])
        for name in ("given_name", "family_name"):
            if params.getlist(name):
                users = users.filter(**{f"{name}__in": params.getlist(name)})
        return Response({"objects": [user_json(user) for user in paginate(users, params)]})


class UserDetailView(_MemberScope, OrgScopedView):
    lookup_url_kwarg = "user_id"

    @operation_schema(
        "getUserId",
        tag="Users",
        summary="Get user",
        answer=UserSerializer,
        parameters=[id_parameter("user_id", "User"), ORG_NAME_PARAMETER],
    )
    def get(self, request: Request, user_id: str) -> Response:
        return Response(user_json(self.get_object()))
