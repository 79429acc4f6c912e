"""``/v1/group``: the caller's organization's permission groups, in Braintrust's shapes.

The views are :mod:`api.named_objects`'s, given the group's shapes and services; writes go through
``permissions.services.groups``, which check, write and audit in one transaction.
"""

from collections import defaultdict

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_serializer, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request

from api.inputs import StrictCharField, StrictSerializer, uuid_list
from api.named_objects import NamedObjectCollectionView, NamedObjectDetailView, NamedObjectDocs, NamedObjectKind, named_object_schema
from permissions.models import GroupNesting, PermissionGroup
from permissions.services.groups import group_create, group_delete, group_update

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


def _create(request: Request, org, data: dict) -> PermissionGroup:
    return group_create(
        actor=request.user,
        org=org,
        name=data["name"],
        description=data.get("description") or "",
        member_users=data.get("member_users") or (),
        member_groups=data.get("member_groups") or (),
    )


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


def _update(request: Request, group: PermissionGroup, data: dict) -> PermissionGroup:
    return group_update(
        actor=request.user,
        group=group,
        name=data.get("name"),
        description=data.get("description"),
        add_member_users=data.get("add_member_users") or (),
        remove_member_users=data.get("remove_member_users") or (),
        add_member_groups=data.get("add_member_groups") or (),
        remove_member_groups=data.get("remove_member_groups") or (),
    )


GROUPS = NamedObjectKind(
    object_type="group",
    model=PermissionGroup,
    output=GroupSerializer,
    create_input=CreateGroupSerializer,
    patch_input=PatchGroupSerializer,
    with_members=with_members,
    create=_create,
    replace=_replace,
    update=_update,
    delete=lambda request, group: group_delete(actor=request.user, group=group),
)

GROUP_SCHEMA, GROUP_DETAIL_SCHEMA = named_object_schema(
    GROUPS,
    NamedObjectDocs(
        members="member users and member groups",
        list_output=GroupList,
        list_description="List the groups the caller may read, most recently created first.",
        patch_description="Rename, describe, and add or remove member users and member groups. Built-in groups cannot be renamed.",
        delete_note="Built-in groups cannot be deleted.",
    ),
)


@GROUP_SCHEMA
class GroupCollectionView(NamedObjectCollectionView):
    kind = GROUPS
    queryset = PermissionGroup.objects.all()
    object_type = "group"


@GROUP_DETAIL_SCHEMA
class GroupDetailView(NamedObjectDetailView):
    kind = GROUPS
    queryset = PermissionGroup.objects.all()
    object_type = "group"
    lookup_url_kwarg = "group_id"
