"""``/v1/group/{group_id}/member_expiry``: when members' memberships of a group stop counting.

This server's addition beside Braintrust's group endpoints, whose shapes have no room for it: a member
user (or service account) or a member group may stay in a group until an instant, from which the
membership counts for nothing (docs/access-model.md, "Grants"). Reading the expiries is reading the group;
setting one is "update" on it, like adding or removing members, through
``permissions.services.groups.group_member_expiry_set``, which checks, writes and audits in one transaction.
"""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.access_preview import preview_response
from api.base import OrgScopedView
from api.inputs import FutureDateTimeField, StrictSerializer, StrictUUIDField, validated_body
from api.schema import ORG_NAME_PARAMETER, error_responses, id_parameter
from permissions.exceptions import ValidationError
from permissions.expiring import membership_expiries
from permissions.models import PermissionGroup
from permissions.services.groups import group_member_expiry_set
from permissions.services.preview import group_change_preview

_USER_HELP = "The member user or service account. Exactly one of `user_id` and `group_id`"
_GROUP_HELP = "The member group. Exactly one of `user_id` and `group_id`"
_EXPIRES_HELP = "When the membership stops counting (ISO 8601 with its UTC offset, in the future); null: never"


class MemberExpiryInput(StrictSerializer):
    user_id = StrictUUIDField(required=False, allow_null=True, help_text=_USER_HELP)
    group_id = StrictUUIDField(required=False, allow_null=True, help_text=_GROUP_HELP)
    expires_at = FutureDateTimeField(offset_required=True, allow_null=True, help_text=_EXPIRES_HELP)


class MemberExpirySerializer(serializers.Serializer):
    user_id = serializers.UUIDField(allow_null=True, help_text=_USER_HELP)
    group_id = serializers.UUIDField(allow_null=True, help_text=_GROUP_HELP)
    expires_at = serializers.DateTimeField(allow_null=True, help_text="When the membership stops counting; null: never")


MemberExpiryList = inline_serializer(
    name="GroupMemberExpiryList",
    fields={"objects": MemberExpirySerializer(many=True, help_text="The group's memberships that expire, soonest first")},
)


def member_expiries(group: PermissionGroup) -> list[dict]:
    """The group's memberships that will expire, soonest first (those already expired count for nothing
    and are left out, as the group's member lists leave them out)."""
    expiries = membership_expiries(group)
    rows = [{"user_id": u, "group_id": None, "expires_at": t} for u, t in expiries.users.items()]
    rows += [{"user_id": None, "group_id": g, "expires_at": t} for g, t in expiries.groups.items()]
    return sorted(rows, key=lambda row: (row["expires_at"], str(row["user_id"] or row["group_id"])))


class GroupMemberExpiryView(OrgScopedView):
    """GET lists the group's memberships that expire; POST sets or clears when one membership expires."""

    queryset = PermissionGroup.objects.all()
    object_type = "group"
    lookup_url_kwarg = "group_id"
    object_permissions = {"GET": "read", "POST": "update"}
    dry_run_methods = frozenset({"POST"})  # checked as the real call; an expiry in the future changes no access now

    @extend_schema(
        operation_id="getGroupMemberExpiry",
        summary="List expiring memberships of a group",
        description="This server's addition: the group's member users and member groups whose membership expires, "
        "soonest first. Memberships whose expiry has passed count for nothing and are left out. Needs read on the group.",
        tags=["Groups"],
        parameters=[id_parameter("group_id", "Group"), ORG_NAME_PARAMETER],
        responses={200: MemberExpiryList, **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request, group_id: str) -> Response:
        return Response({"objects": MemberExpirySerializer(member_expiries(self.get_object()), many=True).data})

    @extend_schema(
        operation_id="postGroupMemberExpiry",
        summary="Set when a membership of a group expires",
        description="This server's addition: set when one member user or member group of the group stops counting "
        "as a member, or with `expires_at: null` make its membership permanent. The member must already be in the "
        "group; memberships of the Owners group cannot expire. Needs update on the group.",
        tags=["Groups"],
        parameters=[id_parameter("group_id", "Group"), ORG_NAME_PARAMETER],
        request=MemberExpiryInput,
        responses={200: MemberExpirySerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request, group_id: str) -> Response:
        group = self.get_object()
        body = validated_body(request, MemberExpiryInput)
        user_id, member_group_id = body.get("user_id"), body.get("group_id")
        if (user_id is None) == (member_group_id is None):
            raise ValidationError({"user_id": "Name exactly one member: user_id or group_id."})

        def change():
            return group_member_expiry_set(
                actor=request.user, group=group, expires_at=body["expires_at"], member_user_id=user_id, member_group_id=member_group_id
            )

        if self.dry_run:
            return preview_response(group_change_preview(group=group, change=change))
        change()
        return Response(MemberExpirySerializer({"user_id": user_id, "group_id": member_group_id, "expires_at": body["expires_at"]}).data)
