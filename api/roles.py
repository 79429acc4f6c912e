"""``/v1/role``: the caller's organization's roles and the system roles, in Braintrust's shapes.

System roles (``org_id`` null: owner, engineer, viewer) belong to no organization: every member of the
caller's organization may read them, and nobody may edit or delete them (400). An organization's own
roles are served by :mod:`api.named_objects`'s views, with the shapes and writes a
:class:`~api.common.organization_objects.NamedObjectSpec` gives, and written through
``permissions.services.roles``, which check, write and audit in one transaction.
"""

from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from api.access_fields import AclObjectTypeField, PermissionField
from api.common.organization_objects import MemberList, NamedObjectSpec, inherited_members
from api.inputs import StrictSerializer, object_list
from api.named_objects import NamedObjectCollectionView, NamedObjectDetailView, NamedObjectDocs, named_object_schema
from permissions.engine import Node
from permissions.models import Role
from permissions.selectors import with_contents
from permissions.services.roles import role_create, role_delete, role_update


class MemberPermissionSerializer(StrictSerializer):
    """One (permission, restrict_object_type) pair of a role."""

    permission = PermissionField(help_text="The permission the pair yields")
    restrict_object_type = AclObjectTypeField(required=False, allow_null=True, help_text="The only object type the pair applies to, if any")


def _permission_list(help_text: str) -> serializers.ListField:
    return object_list(MemberPermissionSerializer(), help_text)


Pair = tuple[str, str]  # (permission, restriction or "")


def _pairs(items) -> set[Pair]:
    return {(item["permission"], item.get("restrict_object_type") or "") for item in items or ()}


_SPEC = NamedObjectSpec(
    object_type="role",
    members=(
        MemberList(
            name="member_permissions",
            help="(permission, restrict_object_type) tuples which belong to this role",
            add_help="A list of permissions to add to the role",
            remove_help="A list of permissions to remove from the role",
            input=_permission_list,
            output=lambda help_text: MemberPermissionSerializer(
                source="member_permission_pairs", many=True, read_only=True, help_text=help_text
            ),
            parse=_pairs,
            parse_set=_pairs,
            current=lambda role: role.pair_set,
        ),
        inherited_members("role", contents="permissions"),
    ),
    create_service=role_create,
    update_service=role_update,
    delete_service=role_delete,
)


# The output shape reads ``member_permission_pairs`` and ``member_role_ids``, which :func:`with_members` sets.
@extend_schema_serializer(component_name="Role")
class RoleSerializer(_SPEC.output_base()):
    """A role is a collection of permissions which can be granted as part of an ACL. Roles can consist of individual
    permissions, as well as a set of roles they inherit from."""

    org_id = serializers.UUIDField(
        read_only=True,
        allow_null=True,
        help_text="Unique id for the organization that the role belongs under. A null org_id indicates a system role, which may "
        "be assigned to anybody and inherited by any other role, but cannot be edited.",
    )


def with_members(roles: list[Role]) -> list[Role]:
    """`roles`, each with its pairs as the output shape lists them, and its member role ids: two queries for
    the whole list (:func:`permissions.selectors.with_contents`)."""
    for role in with_contents(roles):
        role.member_permission_pairs = [{"permission": p, "restrict_object_type": r or None} for p, r in sorted(role.pair_set)]
    return roles


ROLES = _SPEC.kind(model=Role, output=RoleSerializer, with_members=with_members)


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
        list_description="List the system roles and the roles of the organization the caller may read, most recently created first.",
        patch_note="System roles cannot be edited.",
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
