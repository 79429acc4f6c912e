"""``/v1/role``: the caller's organization's roles and the system roles, in Braintrust's shapes.

System roles (``org_id`` null: owner, engineer, viewer) belong to no organization: every member of the
caller's organization may read them, and nobody may edit or delete them (400). An organization's own
roles are served by :mod:`api.named_objects`'s views and written through ``permissions.services.roles``,
which check, write and audit in one transaction.
"""

from collections import defaultdict

from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema_serializer, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request

from api.acl import AclObjectTypeField, PermissionField
from api.inputs import StrictCharField, StrictSerializer, object_list, uuid_list
from api.named_objects import NamedObjectCollectionView, NamedObjectDetailView, NamedObjectDocs, NamedObjectKind, named_object_schema
from permissions.engine import Node
from permissions.models import Role, RoleNesting, RolePermission
from permissions.services.roles import role_create, role_delete, role_update

_MEMBER_ROLES_HELP = (
    "Ids of the roles this role inherits from. An inheriting role has all the permissions contained in its member roles, "
    "as well as all of their inherited permissions"
)


class MemberPermissionSerializer(StrictSerializer):
    """One (permission, restrict_object_type) pair of a role."""

    permission = PermissionField(help_text="The permission the pair yields")
    restrict_object_type = AclObjectTypeField(required=False, allow_null=True, help_text="The only object type the pair applies to, if any")


def _permission_list(help_text: str) -> serializers.ListField:
    return object_list(MemberPermissionSerializer(), help_text)


# The output shapes read ``member_permission_pairs`` and ``member_role_ids``, which :func:`with_members` sets.
@extend_schema_serializer(component_name="Role")
class RoleSerializer(serializers.Serializer):
    """A role is a collection of permissions which can be granted as part of an ACL. Roles can consist of individual
    permissions, as well as a set of roles they inherit from."""

    id = serializers.UUIDField(read_only=True, help_text="Unique identifier for the role")
    org_id = serializers.UUIDField(
        read_only=True,
        allow_null=True,
        help_text="Unique id for the organization that the role belongs under. A null org_id indicates a system role, which may "
        "be assigned to anybody and inherited by any other role, but cannot be edited.",
    )
    user_id = serializers.UUIDField(
        source="created_by_id", read_only=True, allow_null=True, help_text="Identifies the user who created the role"
    )
    created = serializers.DateTimeField(read_only=True, allow_null=True, help_text="Date of role creation")
    name = serializers.CharField(read_only=True, help_text="Name of the role")
    description = serializers.CharField(read_only=True, allow_null=True, help_text="Textual description of the role")
    deleted_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Date of role deletion, or null if the role is still active"
    )
    member_permissions = MemberPermissionSerializer(
        source="member_permission_pairs",
        many=True,
        read_only=True,
        help_text="(permission, restrict_object_type) tuples which belong to this role",
    )
    member_roles = serializers.ListField(
        child=serializers.UUIDField(), source="member_role_ids", read_only=True, help_text=_MEMBER_ROLES_HELP
    )


@extend_schema_serializer(component_name="CreateRole")
class CreateRoleSerializer(StrictSerializer):
    """A new role, or the new contents of the role with that name. Unknown fields are refused."""

    name = StrictCharField(min_length=1, max_length=255, help_text="Name of the role")
    description = StrictCharField(required=False, allow_null=True, allow_blank=True, help_text="Textual description of the role")
    member_permissions = _permission_list("(permission, restrict_object_type) tuples which belong to this role")
    member_roles = uuid_list(_MEMBER_ROLES_HELP)
    org_name = StrictCharField(
        required=False, allow_null=True, help_text="The organization the role belongs in, for a caller that belongs to several"
    )


@extend_schema_serializer(component_name="PatchRole")
class PatchRoleSerializer(StrictSerializer):
    """The changes to make to a role; fields left out or null are left as they are. Unknown fields are refused."""

    name = StrictCharField(required=False, allow_null=True, min_length=1, max_length=255, help_text="Name of the role")
    description = StrictCharField(required=False, allow_null=True, allow_blank=True, help_text="Textual description of the role")
    add_member_permissions = _permission_list("A list of permissions to add to the role")
    remove_member_permissions = _permission_list("A list of permissions to remove from the role")
    add_member_roles = uuid_list("A list of role IDs to add to the role's inheriting-from set")
    remove_member_roles = uuid_list("A list of role IDs to remove from the role's inheriting-from set")


RoleList = inline_serializer(name="RoleList", fields={"objects": RoleSerializer(many=True, help_text="A list of role objects")})

Pair = tuple[str, str]  # (permission, restriction or "")


def _pairs(items) -> set[Pair]:
    return {(item["permission"], item.get("restrict_object_type") or "") for item in items or ()}


def with_members(roles: list[Role]) -> list[Role]:
    """`roles`, each with its sorted pairs and member role ids: two queries for the whole list."""
    pairs, nested = defaultdict(set), defaultdict(list)
    if roles:
        ids = [r.pk for r in roles]
        for role_id, permission, restriction in RolePermission.objects.filter(role_id__in=ids).values_list(
            "role_id", "permission", "restrict_object_type"
        ):
            pairs[role_id].add((permission, restriction))
        for role_id, member_role_id in RoleNesting.objects.filter(role_id__in=ids).values_list("role_id", "member_role_id"):
            nested[role_id].append(member_role_id)
    for role in roles:
        role.pair_set = pairs[role.pk]
        role.member_permission_pairs = [{"permission": p, "restrict_object_type": r or None} for p, r in sorted(role.pair_set)]
        role.member_role_ids = sorted(nested[role.pk], key=str)
    return roles


def _create(request: Request, org, data: dict) -> Role:
    return role_create(
        actor=request.user,
        org=org,
        name=data["name"],
        description=data.get("description") or "",
        member_permissions=_pairs(data.get("member_permissions")),
        member_roles=data.get("member_roles") or (),
    )


def _replace(request: Request, role: Role, data: dict) -> Role:
    pairs, roles = _pairs(data.get("member_permissions")), set(data.get("member_roles") or ())
    return role_update(
        actor=request.user,
        role=role,
        description=data.get("description") or "",
        add_member_permissions=pairs - role.pair_set,
        remove_member_permissions=role.pair_set - pairs,
        add_member_roles=roles - set(role.member_role_ids),
        remove_member_roles=set(role.member_role_ids) - roles,
    )


def _update(request: Request, role: Role, data: dict) -> Role:
    return role_update(
        actor=request.user,
        role=role,
        name=data.get("name"),
        description=data.get("description"),
        add_member_permissions=_pairs(data.get("add_member_permissions")),
        remove_member_permissions=_pairs(data.get("remove_member_permissions")),
        add_member_roles=data.get("add_member_roles") or (),
        remove_member_roles=data.get("remove_member_roles") or (),
    )


ROLES = NamedObjectKind(
    object_type="role",
    model=Role,
    output=RoleSerializer,
    create_input=CreateRoleSerializer,
    patch_input=PatchRoleSerializer,
    with_members=with_members,
    create=_create,
    replace=_replace,
    update=_update,
    delete=lambda request, role: role_delete(actor=request.user, role=role),
)


class _RoleScope:
    """The organization's roles and the system roles. System roles are no node of the organization:
    every member reads them, and the services refuse to change them (400)."""

    queryset = Role.objects.all()
    object_type = "role"
    org_field = None

    def safely_get_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.filter(Q(org=self.org) | Q(org__isnull=True))

    def visible_queryset(self, *, listing: bool = False) -> QuerySet:
        return super().visible_queryset(listing=listing) | self.get_queryset().filter(org__isnull=True)

    def object_node(self, role: Role) -> Node | None:
        return None if role.is_system else Node.of(role)


ROLE_SCHEMA, ROLE_DETAIL_SCHEMA = named_object_schema(
    ROLES,
    NamedObjectDocs(
        members="member permissions and member roles",
        list_output=RoleList,
        list_description="List the system roles and the roles of the organization the caller may read, most recently created first.",
        patch_description="Rename, describe, and add or remove member permissions and member roles. System roles cannot be edited.",
        delete_note="System roles cannot be deleted.",
    ),
)


@ROLE_SCHEMA
class RoleCollectionView(_RoleScope, NamedObjectCollectionView):
    kind = ROLES


@ROLE_DETAIL_SCHEMA
class RoleDetailView(_RoleScope, NamedObjectDetailView):
    kind = ROLES
    lookup_url_kwarg = "role_id"
