"""``/v1/group``: the caller's organization's permission groups, in Braintrust's shapes.

The views are :mod:`api.named_objects`'s; the shapes and the writes follow from the group's
:class:`~api.common.organization_objects.NamedObjectSpec`, and writes go through
``permissions.services.groups``, which check, write and audit in one transaction.
"""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework.request import Request
from rest_framework.response import Response

from api.access_preview import preview_response
from api.common.organization_objects import NamedObjectSpec, id_members, inherited_members
from api.named_objects import NamedObjectCollectionView, NamedObjectDetailView, NamedObjectDocs, named_object_schema
from permissions.models import PermissionGroup
from permissions.selectors import with_live_members
from permissions.services.groups import group_create, group_delete, group_update
from permissions.services.preview import group_change_preview, group_creation_preview

_SPEC = NamedObjectSpec(
    object_type="group",
    members=(
        id_members(
            "member_users",
            source="member_user_ids",
            help="Ids of users which belong to this group",
            add_help="A list of user IDs to add to the group",
            remove_help="A list of user IDs to remove from the group",
        ),
        inherited_members("group", contents="users"),
    ),
    create_service=group_create,
    update_service=group_update,
    delete_service=group_delete,
)


# The output shape reads ``member_user_ids`` and ``member_group_ids``, which :func:`permissions.selectors.with_live_members` sets.
@extend_schema_serializer(component_name="Group")
class GroupSerializer(_SPEC.output_base()):
    """A group is a collection of users which can be assigned an ACL. Groups can consist of individual users, as well as
    a set of groups they inherit from."""


GROUPS = _SPEC.kind(model=PermissionGroup, output=GroupSerializer, with_members=with_live_members)

GROUP_SCHEMA, GROUP_DETAIL_SCHEMA = named_object_schema(
    GROUPS,
    NamedObjectDocs(
        list_description="List the groups the caller may read, most recently created first.",
        patch_note="Built-in groups cannot be renamed.",
        delete_note="Built-in groups cannot be deleted.",
    ),
)


@GROUP_SCHEMA
class GroupCollectionView(NamedObjectCollectionView):
    kind = GROUPS
    queryset = PermissionGroup.objects.all()
    object_type = "group"
    dry_run_methods = frozenset({"PUT"})

    def put(self, request: Request) -> Response:
        """With ``?dry_run=true``: the same checks and the same create or replace, run as a dry run, answering
        what it would do to access (:mod:`api.access_preview`). Replacing a group's members changes what they
        hold through it, as a PATCH does; a new group is granted nothing, so creating one changes nobody's."""
        if not self.dry_run:
            return super().put(request)
        data = self.body(self.kind.create_input)
        existing = self._readable_by_name(data["name"])
        if existing is None:
            return preview_response(group_creation_preview(change=lambda: self.kind.create(request, self.org, data)))
        group = self.kind.with_members([self.checked(existing)])[0]
        return preview_response(group_change_preview(group=group, change=lambda: self.kind.replace(request, group, data)))


@GROUP_DETAIL_SCHEMA
class GroupDetailView(NamedObjectDetailView):
    kind = GROUPS
    queryset = PermissionGroup.objects.all()
    object_type = "group"
    lookup_url_kwarg = "group_id"
    dry_run_methods = frozenset({"PATCH"})

    def patch(self, request: Request, **path) -> Response:
        """With ``?dry_run=true``: the same checks and the same service call, run as a dry run, answering
        what the change of members would do to access (:mod:`api.access_preview`)."""
        if not self.dry_run:
            return super().patch(request, **path)
        group = self.get_object()
        data = self.body(self.kind.patch_input)
        return preview_response(group_change_preview(group=group, change=lambda: self.kind.update(request, group, data)))
