"""Settings → Permission groups: the list of the groups a person may read.

The list is restricted in the database to the groups the person may read. Each row offers what the
person may do to that group, from the engine: "Permissions" (what the group may do in the organization)
with create_acls on the organization, "Group access" (who may read, change, delete or manage the group)
with create_acls or read_acls on the group, "Edit" (name, description and members) with update on it, and
"Delete" with delete on it.
"""

from uuid import UUID

from django.http import Http404

from permissions.expiring import expiring_soon
from permissions.group_deletion import group_deletions
from permissions.selectors import groups_in_display_order, groups_visible_to, with_member_counts
from web.context import OrgPage
from web.views.groups.delete import group_delete_confirmation


class GroupsPage(OrgPage):
    template_name = "web/settings/groups.html"
    section = "groups"

    def readable_groups(self):
        return groups_visible_to(self.request.user, self.org)

    def require_page(self) -> None:
        """The page exists for whoever may read some group or create one, like a node they hold something on."""
        if not (self.flags.can_read_groups or self.flags.can_create_group):
            raise Http404("No such page.")

    def get(self, request, *args, **kwargs):
        self.require_page()
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        groups = list(groups_in_display_order(with_member_counts(self.readable_groups())))
        user = self.request.user

        def ids(permission: str) -> set[UUID]:
            return set(groups_visible_to(user, self.org, permission).values_list("pk", flat=True))

        may_see_access, may_update, may_delete = ids("create_acls") | ids("read_acls"), ids("update"), ids("delete")
        deletable = [group for group in groups if group.pk in may_delete and not group.is_builtin]
        deletions = group_deletions(user, self.org, [group.pk for group in deletable])
        context["groups"] = [
            {
                "group": group,
                "can_edit_permissions": self.flags.can_manage_access,
                "can_see_access": group.pk in may_see_access,
                "can_edit": group.pk in may_update,
                "can_delete": group in deletable,
                "delete": group_delete_confirmation(self.org, group, deletions.get(group.pk)) if group in deletable else None,
            }
            for group in groups
        ]
        context["expiring"] = expiring_soon(user, self.org)
        return context
