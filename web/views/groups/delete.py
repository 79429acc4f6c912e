"""Deleting a group (never a built-in one): the question before it, asked as a page or in the groups
list's dialog, and the delete once the group's name is typed.
"""

from functools import partial

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from permissions.engine.nodes import Node
from permissions.group_deletion import GroupDeletion, group_deletions
from permissions.models import PermissionGroup
from permissions.requirements import Needs, Requirement
from permissions.selectors import groups_of, with_member_counts
from permissions.services.groups import group_delete
from web.confirm import Confirmation, counted, named
from web.views.groups.dialogs import GroupDialogOnGroup, _groups_url
from web.views.outcomes import report


class DeleteGroup(GroupDialogOnGroup):
    """Delete a group (never a built-in one); its members lose what it granted. GET asks, as a page (the
    groups list asks in a dialog); POST deletes once the group's name is typed."""

    http_method_names = ["get", "post"]
    url_name = "web:group-delete"

    def needs(self) -> list[Requirement]:
        return [Needs("delete", Node.of(self.group))]

    def get_template_names(self):
        return ["web/settings/confirm_page.html"]

    def get(self, request, *args, **kwargs):
        if self.group.is_builtin:  # nothing to ask: it cannot be deleted
            messages.error(request, f"The built-in group {self.group.name} cannot be deleted.")
            return redirect(_groups_url(self.org))
        return super().get(request, *args, **kwargs)

    def confirmation(self) -> Confirmation:
        group = with_member_counts(groups_of(self.org).filter(pk=self.group.pk)).get()
        return group_delete_confirmation(self.org, group, group_deletions(self.request.user, self.org, [group.pk]).get(group.pk))

    def title(self) -> str:
        return f"Delete the group {self.group.name}?"

    def get_context_data(self, confirm: Confirmation | None = None, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(confirm=confirm or self.confirmation(), back_label="Permission groups")
        return context

    def save(self, request):
        confirm = self.confirmation()
        # a built-in group has no name to confirm: the service refuses it, and says why
        if not self.group.is_builtin and not confirm.check(request.POST):
            return self.invalid(confirm=confirm)
        report(
            request, partial(group_delete, actor=request.user, group=self.group), success=f"Deleted the permission group {self.group.name}."
        )
        return redirect(_groups_url(self.org))


def group_delete_confirmation(org, group: PermissionGroup, deletion: GroupDeletion | None) -> Confirmation:
    """The question before deleting `group` (annotated with ``member_user_count`` and ``member_group_count``):
    who loses what it grants, the grants that go and the groups it leaves; its name must be typed."""
    deletion = deletion or GroupDeletion()
    members = [counted(group.member_user_count, "member")] if group.member_user_count else []
    if group.member_group_count:
        members.append(counted(group.member_group_count, "member group"))
    if members:
        verb = "loses" if group.member_user_count + group.member_group_count == 1 else "lose"
        goes = [f"Its {' and '.join(members)} {verb} what it grants."]
    else:
        goes = ["It has no members."]
    if deletion.grant_count:
        holds = f"It holds {counted(deletion.grant_count, 'grant')}, which {'goes' if deletion.grant_count == 1 else 'go'} with it"
        shown = deletion.listed_grants[:3]  # only those the person may list are named
        if shown:
            more = deletion.grant_count - len(shown)
            goes.append(f"{holds}: {'; '.join(shown)}{f' and {more} more' if more else ''}.")
        else:
            goes.append(f"{holds} (on what you may not list the grants of).")
    else:
        goes.append("It holds no grants.")
    containers = deletion.containers
    if len(containers) == 1:
        goes.append(f"It is removed from the group that contains it: {containers[0]}.")
    elif containers:
        goes.append(f"It is removed from the {len(containers)} groups that contain it: {named(containers)}.")
    action = reverse("web:group-delete", kwargs={"org_name": org.name, "group_id": group.pk})
    return Confirmation(
        key=f"delete-group-{group.pk.hex}",
        title=f"Delete the group {group.name}?",
        action=action,
        button="Delete group",
        back_url=_groups_url(org),
        goes=goes,
        typed_name=group.name,
    )
