"""A group's "Edit" dialog: its name and description (not for built-in groups) and its members, with
when their memberships end and a Preview of what the members it adds and removes would gain and lose.
"""

from uuid import UUID

from django.db import transaction
from django.db.models.functions import Lower

from accounts.selectors import members_of
from permissions.engine.nodes import Node
from permissions.expiring import membership_expiries
from permissions.models import PermissionGroup
from permissions.requirements import Needs, Requirement
from permissions.selectors import groups_of, groups_visible_to, member_user_ids, nested_group_ids
from permissions.services.groups import group_member_expiry_set, group_update
from permissions.services.preview import group_change_preview
from web.forms.groups import GroupEditForm
from web.views.groups.dialogs import GroupAccessChange


class EditGroup(GroupAccessChange):
    """Edit a group: its name and description (not for built-in groups) and its members, with a Preview
    of what the members it adds and removes would gain and lose."""

    form_template = "web/settings/group_edit_form.html"
    dialog_id = "edit-dialog"
    url_name = "web:group-edit"
    preview_url_name = "web:group-edit-preview"

    def title(self) -> str:
        return f"Edit {self.group.name}"

    def needs(self) -> list[Requirement]:
        return [Needs("update", Node.of(self.group))]

    def build_form(self, data=None) -> GroupEditForm:
        """The form, offering the members the person may see: the organization's people and service
        accounts if they may read the members (else only the current ones), and the groups they may read."""
        group = self.group
        current_users = set(member_user_ids(group))
        current_groups = nested_group_ids(group)
        users = members_of(self.org)
        if not self.flags.can_read_members:
            users = users.filter(pk__in=current_users)
        users = list(users.order_by(Lower("email")))
        readable = groups_visible_to(self.request.user, self.org).values("pk")
        groups = groups_of(self.org).exclude(pk=group.pk)
        groups = list(groups.filter(pk__in=readable) | groups.filter(pk__in=current_groups))
        groups.sort(key=lambda g: g.name.lower())
        initial = {
            "name": group.name,
            "description": group.description,
            "member_people": [str(u.pk) for u in users if u.pk in current_users and not u.is_service_account],
            "member_service_accounts": [str(u.pk) for u in users if u.pk in current_users and u.is_service_account],
            "member_groups": [str(g.pk) for g in groups if g.pk in current_groups],
        }
        self.current_users, self.current_groups = current_users, current_groups
        self.expiries = membership_expiries(group)
        return GroupEditForm(
            data,
            initial=initial,
            builtin=group.is_builtin,
            people=[u for u in users if not u.is_service_account],
            service_accounts=[u for u in users if u.is_service_account],
            groups=groups,
            current_users=current_users,
            current_groups=current_groups,
            expiries=self.expiries,
            may_expire=group.builtin != PermissionGroup.Builtin.OWNERS,
        )

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        form = form or self.build_form()
        expiring = {str(k): v for k, v in [*self.expiries.users.items(), *self.expiries.groups.items()]}
        context.update(
            form=form,
            member_fields=[
                {
                    "field": form[name],
                    "choices": [
                        {
                            "choice": choice,
                            "expires_at": expiring.get(str(choice.data["value"])),
                            "until": form[form.until_fields[value]] if (value := str(choice.data["value"])) in form.until_fields else None,
                        }
                        for choice in form[name]
                    ],
                }
                for name in ("member_people", "member_service_accounts", "member_groups")
            ],
            owners=self.group.builtin == PermissionGroup.Builtin.OWNERS,
            can_save=True,
        )
        return context

    def save(self, request):
        form = self.build_form(request.POST)
        return self.outcome(
            form, lambda data: self.save_changes(request, form, data), success=lambda group: f"Saved the group {group.name}."
        )

    def preview_change(self, request):
        form = self.build_form(request.POST)
        return form, lambda data: group_change_preview(group=self.group, change=lambda: self.save_changes(request, form, data))

    def save_changes(self, request, form: GroupEditForm, data: dict) -> PermissionGroup:
        """Saves what the valid `form` changes: the name and description (not of a built-in group) and the
        members it adds or removes, among those it offered."""
        wanted_users = {UUID(u) for u in [*data["member_people"], *data["member_service_accounts"]]}
        offered_users = {UUID(value) for name in ("member_people", "member_service_accounts") for value, _ in form.fields[name].choices}
        wanted_groups = {UUID(g) for g in data["member_groups"]}
        changes = {
            "add_member_users": sorted(wanted_users - self.current_users, key=str),
            "remove_member_users": sorted((self.current_users & offered_users) - wanted_users, key=str),
            "add_member_groups": sorted(wanted_groups - self.current_groups, key=str),
            "remove_member_groups": sorted(self.current_groups - wanted_groups, key=str),
        }
        if not self.group.is_builtin:
            changes.update(name=data["name"], description=data["description"])
        with transaction.atomic():  # the members and when their memberships end: all or nothing
            group = group_update(actor=request.user, group=self.group, **changes)
            for kind, member_id, current in self.expiry_changes(form, wanted_users, wanted_groups):
                ids = {"member_user_id": member_id} if kind == "user" else {"member_group_id": member_id}
                group_member_expiry_set(actor=request.user, group=group, expires_at=current, **ids)
        return group

    def expiry_changes(self, form: GroupEditForm, wanted_users: set[UUID], wanted_groups: set[UUID]):
        """(kind, member id, until) for each member that stays whose "until" the form changes. The input
        holds minutes, so an expiry set elsewhere to the second is unchanged when its minute is."""
        for kind, staying, expiring in (("user", wanted_users, self.expiries.users), ("group", wanted_groups, self.expiries.groups)):
            for member_id in sorted(staying, key=str):
                if form.until_name(kind, member_id) not in form.fields:
                    continue
                wanted, current = form.until_wanted(kind, member_id), expiring.get(member_id)
                if wanted != (current.replace(second=0, microsecond=0) if current else None):
                    yield kind, member_id, wanted
