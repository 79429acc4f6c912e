"""``/v1/group``: the caller's organization's permission groups, in Braintrust's shapes.

Reads go through the engine (``restrict`` for the list, ``ApiView.require`` for one group); writes go
through ``permissions.services.groups``, which check, write and audit in one transaction.
"""

from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import ApiView, node_in_caller_org
from api.inputs import StrictCharField, StrictSerializer, uuid_list, validated_body
from api.pagination import paginate, parse_ids, parse_uuid
from api.schema import ApiSchema, error_responses, id_parameter, list_parameters
from permissions.engine import Node, is_visible, restrict
from permissions.exceptions import NotFound, ValidationError
from permissions.models import GroupNesting, PermissionGroup
from permissions.services.groups import group_create, group_delete, group_update, lock_organization

_MEMBER_GROUPS_HELP = (
    "Ids of the groups this group inherits from. An inheriting group has all the users contained in its member groups, "
    "as well as all of their inherited users"
)


# The output shapes read ``member_user_ids`` and ``member_group_ids``, which :func:`with_members` sets.
@extend_schema_serializer(component_name="Group")
class GroupSerializer(serializers.Serializer):
    """A group is a collection of users which can be assigned an ACL. Groups can consist of individual users, as well as
    a set of groups they inherit from."""

    id = serializers.UUIDField(read_only=True, help_text="Unique identifier for the group")
    org_id = serializers.UUIDField(read_only=True, help_text="Unique id for the organization that the group belongs under")
    user_id = serializers.UUIDField(
        source="created_by_id", read_only=True, allow_null=True, help_text="Identifies the user who created the group"
    )
    created = serializers.DateTimeField(read_only=True, allow_null=True, help_text="Date of group creation")
    name = serializers.CharField(read_only=True, help_text="Name of the group")
    description = serializers.CharField(read_only=True, allow_null=True, help_text="Textual description of the group")
    deleted_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Date of group deletion, or null if the group is still active"
    )
    member_users = serializers.ListField(
        child=serializers.UUIDField(), source="member_user_ids", read_only=True, help_text="Ids of users which belong to this group"
    )
    member_groups = serializers.ListField(
        child=serializers.UUIDField(), source="member_group_ids", read_only=True, help_text=_MEMBER_GROUPS_HELP
    )


@extend_schema_serializer(component_name="CreateGroup")
class CreateGroupSerializer(StrictSerializer):
    """A new group, or the new contents of the group with that name. Unknown fields are refused."""

    name = StrictCharField(min_length=1, max_length=255, help_text="Name of the group")
    description = StrictCharField(required=False, allow_null=True, allow_blank=True, help_text="Textual description of the group")
    member_users = uuid_list("Ids of users which belong to this group")
    member_groups = uuid_list(_MEMBER_GROUPS_HELP)
    org_name = StrictCharField(
        required=False, allow_null=True, help_text="The organization the group belongs in, for a caller that belongs to several"
    )


@extend_schema_serializer(component_name="PatchGroup")
class PatchGroupSerializer(StrictSerializer):
    """The changes to make to a group; fields left out or null are left as they are. Unknown fields are refused."""

    name = StrictCharField(required=False, allow_null=True, min_length=1, max_length=255, help_text="Name of the group")
    description = StrictCharField(required=False, allow_null=True, allow_blank=True, help_text="Textual description of the group")
    add_member_users = uuid_list("A list of user IDs to add to the group")
    remove_member_users = uuid_list("A list of user IDs to remove from the group")
    add_member_groups = uuid_list("A list of group IDs to add to the group's inheriting-from set")
    remove_member_groups = uuid_list("A list of group IDs to remove from the group's inheriting-from set")


GroupList = inline_serializer(name="GroupList", fields={"objects": GroupSerializer(many=True, help_text="A list of group objects")})


def with_members(groups: list[PermissionGroup]) -> list[PermissionGroup]:
    """`groups`, each with its sorted member user and member group ids: two queries for the whole list."""
    users, nested = defaultdict(list), defaultdict(list)
    if groups:
        memberships = get_user_model().groups.through.objects.filter(group_id__in=[g.auth_group_id for g in groups])
        for auth_group_id, user_id in memberships.values_list("group_id", "user_id"):
            users[auth_group_id].append(user_id)
        for group_id, member_group_id in GroupNesting.objects.filter(group_id__in=[g.pk for g in groups]).values_list(
            "group_id", "member_group_id"
        ):
            nested[group_id].append(member_group_id)
    for group in groups:
        group.member_user_ids = sorted(users[group.auth_group_id], key=str)
        group.member_group_ids = sorted(nested[group.pk], key=str)
    return groups


def group_json(group: PermissionGroup) -> dict:
    return GroupSerializer(with_members([group])[0]).data


def _group(request: Request, group_id: str) -> PermissionGroup:
    """The group with this id in the caller's organization; a malformed id is a 400, any other a 404."""
    pk = parse_uuid(group_id, "group_id")
    group = PermissionGroup.objects.filter(pk=pk).first()
    if group is None:
        raise NotFound("group", pk)
    node_in_caller_org(request, Node.of(group))
    return group


def _visible_by_name(request: Request, org, name: str) -> PermissionGroup | None:
    """The group of that name in `org`, if the caller sees it. One it cannot see is not revealed: creating
    it is refused as "taken", as for anyone who may create groups."""
    group = PermissionGroup.objects.filter(org=org, name=name.strip()).first()
    return group if group is not None and is_visible(request.user, group) else None


class GroupCollectionView(ApiView):
    schema = ApiSchema()

    @extend_schema(
        operation_id="postGroup",
        summary="Create group",
        description="Create a new group. If there is an existing group with the same name as the one specified in the request, "
        "returns the existing group unmodified.",
        tags=["Groups"],
        request=CreateGroupSerializer,
        responses={200: GroupSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request) -> Response:
        data = validated_body(request, CreateGroupSerializer)
        org = self.org(request)
        self.require_create(request, "group", org)
        existing = _visible_by_name(request, org, data["name"])
        if existing is None:
            try:
                return Response(group_json(self._create(request, org, data)))
            except ValidationError:
                existing = _visible_by_name(request, org, data["name"])  # made meanwhile by a concurrent request?
                if existing is None:
                    raise
        self.require(request, "read", existing)
        return Response(group_json(existing))

    @extend_schema(
        operation_id="putGroup",
        summary="Create or replace group",
        description="Create or replace group. If there is an existing group with the same name as the one specified in the "
        "request, replaces its description, member users and member groups with the ones provided.",
        tags=["Groups"],
        request=CreateGroupSerializer,
        responses={200: GroupSerializer, **error_responses(400, 401, 403, 404)},
    )
    def put(self, request: Request) -> Response:
        data = validated_body(request, CreateGroupSerializer)
        org = self.org(request)
        with transaction.atomic():
            existing = _visible_by_name(request, org, data["name"])
            if existing is None:
                group = self._create(request, org, data)
            else:
                lock_organization(org.pk)  # the members read here are the ones replaced
                group = self._replace(request, with_members([existing])[0], data)
        return Response(group_json(group))

    @extend_schema(
        operation_id="getGroup",
        summary="List groups",
        description="List the groups the caller may read, most recently created first.",
        tags=["Groups"],
        parameters=list_parameters("group_name", "group"),
        responses={200: GroupList, **error_responses(400, 401, 404)},
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        ids = parse_ids(params)
        groups = restrict(PermissionGroup.objects.filter(org=self.org(request)), request.user, "read")
        if params.get("group_name"):
            groups = groups.filter(name=params["group_name"])
        if ids is not None:
            groups = groups.filter(pk__in=ids)
        page = with_members(paginate(groups, params))
        return Response({"objects": GroupSerializer(page, many=True).data})

    @staticmethod
    def _create(request: Request, org, data: dict) -> PermissionGroup:
        return group_create(
            actor=request.user,
            org=org,
            name=data["name"],
            description=data.get("description") or "",
            member_users=data.get("member_users") or (),
            member_groups=data.get("member_groups") or (),
        )

    @staticmethod
    def _replace(request: Request, group: PermissionGroup, data: dict) -> PermissionGroup:
        users, groups = set(data.get("member_users") or ()), set(data.get("member_groups") or ())
        return group_update(
            actor=request.user,
            group=group,
            description=data.get("description") or "",
            add_member_users=users - set(group.member_user_ids),
            remove_member_users=set(group.member_user_ids) - users,
            add_member_groups=groups - set(group.member_group_ids),
            remove_member_groups=set(group.member_group_ids) - groups,
        )


_GROUP_ID = [id_parameter("group_id", "Group")]


class GroupDetailView(ApiView):
    schema = ApiSchema()

    @extend_schema(
        operation_id="getGroupId",
        summary="Get group",
        description="Get a group object by its id.",
        tags=["Groups"],
        parameters=_GROUP_ID,
        responses={200: GroupSerializer, **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request, group_id: str) -> Response:
        group = _group(request, group_id)
        self.require(request, "read", group)
        return Response(group_json(group))

    @extend_schema(
        operation_id="patchGroupId",
        summary="Partially update group",
        description="Rename, describe, and add or remove member users and member groups. Built-in groups cannot be renamed.",
        tags=["Groups"],
        parameters=_GROUP_ID,
        request=PatchGroupSerializer,
        responses={200: GroupSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request: Request, group_id: str) -> Response:
        group = _group(request, group_id)
        data = validated_body(request, PatchGroupSerializer)
        group = group_update(
            actor=request.user,
            group=group,
            name=data.get("name"),
            description=data.get("description"),
            add_member_users=data.get("add_member_users") or (),
            remove_member_users=data.get("remove_member_users") or (),
            add_member_groups=data.get("add_member_groups") or (),
            remove_member_groups=data.get("remove_member_groups") or (),
        )
        return Response(group_json(group))

    @extend_schema(
        operation_id="deleteGroupId",
        summary="Delete group",
        description="Delete a group object by its id; answers the deleted group. Built-in groups cannot be deleted.",
        tags=["Groups"],
        parameters=_GROUP_ID,
        request=None,
        responses={200: GroupSerializer, **error_responses(400, 401, 403, 404)},
    )
    def delete(self, request: Request, group_id: str) -> Response:
        group = with_members([_group(request, group_id)])[0]
        group.deleted_at = timezone.now()
        deleted = GroupSerializer(group).data  # before the row goes
        group_delete(actor=request.user, group=group)
        return Response(deleted)
