"""Settings → Permission groups: the groups a person may read, and creating, editing, granting and deleting them.

The list is restricted in the database to the groups the person may read. Each row offers what the
person may do to that group, from the engine: "Permissions" (what the group may do in the organization)
with create_acls on the organization, "Group access" (who may read, change, delete or manage the group)
with create_acls or read_acls on the group, "Edit" (name, description and members) with update on it, and
"Delete" with delete on it. Each dialog is also a page of its own, so everything works without
JavaScript; with htmx the page fetches the dialog and opens it in place. The services check every write
again and record the audit events; the permission dialogs read and write through ``permissions.boxes``.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import TypeVar
from uuid import UUID

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce, Lower
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.cache import patch_vary_headers

from accounts.models import User
from accounts.principals import Principal, principal_choices, principals_of
from permissions.boxes import GROUP_ACCESS_BOXES, ORGANIZATION_BOXES, Subject, boxes_by_subject, held_boxes, role_names_of, save_boxes
from permissions.engine.nodes import Node
from permissions.exceptions import AccessDenied, NotFound
from permissions.expiring import expiring_soon, membership_expiries
from permissions.group_deletion import GroupDeletion, group_deletions
from permissions.models import GroupNesting, PermissionGroup
from permissions.requirements import Needs, NeedsAny, NeedsSight, Requirement
from permissions.selectors import BUILTIN_FIRST, groups_visible_to
from permissions.services.groups import group_create, group_delete, group_member_expiry_set, group_update, member_user_ids
from permissions.services.preview import dry_run, grant_change_targets, grant_change_within, group_change_preview
from web.confirm import Confirmation, counted, named
from web.context import OrgPage
from web.flags import GroupFlags
from web.forms.groups import BoxesForm, GroupAccessForm, GroupCreateForm, GroupEditForm
from web.views.access_preview import PreviewsAccessChange
from web.views.outcomes import report, save_form

T = TypeVar("T")

# Forms


@dataclass
class Holder:
    """A principal holding grants on the group, with the boxes they tick (the form's, once posted)."""

    principal: Principal
    ticked: set[str]
    other_grants: list[str]
    expiries: Mapping[str, datetime] = field(default_factory=dict)  # when ticked boxes stop counting


# The list


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
        through = User.groups.through
        user_counts = (
            through.objects.filter(group_id=OuterRef("auth_group_id")).order_by().values("group_id").annotate(n=Count("pk")).values("n")
        )
        group_counts = (
            GroupNesting.objects.filter(group_id=OuterRef("pk")).order_by().values("group_id").annotate(n=Count("pk")).values("n")
        )
        groups = list(
            self.readable_groups()
            .annotate(
                member_user_count=Coalesce(Subquery(user_counts), 0),
                member_group_count=Coalesce(Subquery(group_counts), 0),
            )
            .order_by(BUILTIN_FIRST, Lower("name"))
        )
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


# The dialogs: each is a page of its own, and a <dialog> fetched with htmx


class GroupDialogPage(OrgPage):
    """A form about one permission group (or creating one): a dialog when fetched with htmx, else a page."""

    section = "groups"
    form_template = ""
    dialog_id = "group-dialog"
    wide = False

    def get_template_names(self):
        if self.request.htmx:
            return ["web/settings/group_dialog.html"]
        return ["web/settings/group_page.html"]

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        patch_vary_headers(response, ("HX-Request",))
        return response

    def title(self) -> str:
        raise NotImplementedError

    def action_url(self) -> str:
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            title=self.title(),
            form_template=self.form_template,
            dialog_id=self.dialog_id,
            in_dialog=bool(self.request.htmx),
            wide=self.wide,
            action=self.action_url(),
            groups_url=_groups_url(self.org),
        )
        return context

    def invalid(self, **context):
        """Bad input: the form again, with its errors, as a page (it works with or without JavaScript)."""
        return self.render_to_response(self.get_context_data(**context), status=400)

    def outcome(self, form, save: Callable[[dict], T], *, success: Callable[[T], str], error_field: str | None = None):
        """The answer to the dialog's POST: once ``save(form.cleaned_data)`` is done, back to the groups
        with the message `success` makes of what it returned; bad input, or the service's refusal (an
        error of `error_field`, see :func:`save_form`), shows the form again."""
        saved = save_form(form, save, error_field=error_field)
        if saved is None:
            return self.invalid(form=form)
        messages.success(self.request, success(saved))
        return redirect(_groups_url(self.org))


class GroupDialogOnGroup(GroupDialogPage):
    """A dialog about an existing group, which must be visible to the person (else "not found"); each
    dialog declares what else it needs in :meth:`needs`, for showing and for saving alike."""

    url_name = ""  # the route the dialog posts to, named by its group

    def load(self) -> None:
        group_id = self.kwargs["group_id"]
        self.group = PermissionGroup.objects.filter(org=self.org, pk=group_id).select_related("auth_group").first()
        if self.group is None:
            raise NotFound("group", group_id)

    def needs(self) -> list[Requirement]:
        raise NotImplementedError

    def requirements_get(self) -> list[Requirement]:
        return self.needs()

    def requirements_post(self) -> list[Requirement]:
        return self.needs()

    def post(self, request, *args, **kwargs):
        return self.save(request)

    def save(self, request):
        raise NotImplementedError

    def action_url(self) -> str:
        return self.group_url(self.url_name)

    def group_url(self, url_name: str) -> str:
        """The address of the route `url_name`, named by the organization and this group."""
        return reverse(url_name, kwargs={"org_name": self.org.name, "group_id": self.group.pk})

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["group"] = self.group
        return context


class GroupAccessChange(PreviewsAccessChange, GroupDialogOnGroup):
    """A dialog about a group whose Save changes who holds what, with a Preview: its preview route is named
    by the organization and the group, as its own route is."""

    def preview_url(self) -> str:
        return self.group_url(self.preview_url_name)


class CreateGroup(GroupDialogPage):
    """ "Create permission group": a name and a description."""

    form_template = "web/settings/group_create_form.html"
    dialog_id = "create-group-dialog"

    def title(self) -> str:
        return "Create permission group"

    def action_url(self) -> str:
        return reverse("web:group-create", kwargs={"org_name": self.org.name})

    def get(self, request, *args, **kwargs):
        self._require_create()
        return super().get(request, *args, **kwargs)

    def _require_create(self) -> None:
        if not self.flags.can_create_group:
            if self.flags.can_read_groups:
                raise AccessDenied(
                    "create", "group", "You need the 'create' permission to add a group here.", node=Node("organization", self.org.pk)
                )
            raise Http404("No such page.")

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        context["form"] = form or GroupCreateForm()
        return context

    def post(self, request, *args, **kwargs):
        self._require_create()
        return self.outcome(
            GroupCreateForm(request.POST),
            lambda data: group_create(actor=request.user, org=self.org, name=data["name"], description=data["description"]),
            success=lambda group: f"Created the permission group {group.name}.",
            error_field="name",
        )


class GroupPermissions(GroupAccessChange):
    """The group's "Permissions": what it may do in the organization and in all its projects, with a
    Preview of what saving would give and take."""

    form_template = "web/settings/group_permissions_form.html"
    dialog_id = "permissions-dialog"
    url_name = "web:group-permissions"
    preview_url_name = "web:group-permissions-preview"

    def title(self) -> str:
        return f"Permissions of {self.group.name}"

    def needs(self) -> list[Requirement]:
        return [NeedsSight(Node.of(self.group)), Needs("create_acls", Node("organization", self.org.pk))]

    @property
    def read_only(self) -> bool:
        """The Owners group holds every permission on the organization, and those grants cannot be removed."""
        return self.group.builtin == PermissionGroup.Builtin.OWNERS

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        held = held_boxes(ORGANIZATION_BOXES, Subject(group_id=self.group.pk), self.org.pk)
        if self.read_only:
            ticked = {box.key for box in ORGANIZATION_BOXES.boxes}
        elif form is not None and form.is_bound:
            ticked = set(form.data.getlist("boxes"))
        else:
            ticked = set(held.ticked)
        context.update(
            form=form or BoxesForm(box_set=ORGANIZATION_BOXES),
            read_only=self.read_only,
            can_save=not self.read_only,
            sections=[
                (section, [{"box": box, "ticked": box.key in ticked, "expires_at": held.expiries.get(box.key)} for box in boxes])
                for section, boxes in ORGANIZATION_BOXES.sections
            ],
        )
        return context

    def change(self, request, data: dict):
        """The Save's call, which the Preview runs as a dry run."""
        return save_boxes(
            actor=request.user,
            box_set=ORGANIZATION_BOXES,
            subject=Subject(group_id=self.group.pk),
            target_id=self.org.pk,
            ticked=data["boxes"],
            expires_at=data["until"],
            clears_expiry=data["no_end"],
        )

    def save(self, request):
        return self.outcome(
            BoxesForm(request.POST, box_set=ORGANIZATION_BOXES),
            lambda data: self.change(request, data),
            success=lambda _saved: f"Saved the permissions of {self.group.name}.",
        )

    def preview_change(self, request):
        form = BoxesForm(request.POST, box_set=ORGANIZATION_BOXES)
        return form, lambda data: dry_run(
            change=lambda: self.change(request, data), targets=grant_change_targets, within=grant_change_within
        )


class GroupAccess(GroupDialogOnGroup):
    """ "Group access": who may read, update, delete and manage access to this group, per principal."""

    form_template = "web/settings/group_access_form.html"
    dialog_id = "access-dialog"
    url_name = "web:group-access"
    wide = True

    def title(self) -> str:
        return f"Access to {self.group.name}"

    def needs(self) -> list[Requirement]:
        return [NeedsAny(("read_acls", "create_acls"), Node.of(self.group))]

    def requirements_post(self) -> list[Requirement]:
        """Saving changes grants: adding them or taking them away."""
        return [*self.needs(), NeedsAny(("create_acls", "delete_acls"), Node.of(self.group))]

    @property
    def can_change(self) -> bool:
        return GroupFlags.of(self.request.user, self.group).can_change_access

    def holders(self) -> list[Holder]:
        """Who holds some grant directly on the group, each with its boxes and the grants no box stands
        for (a fixed number of queries)."""
        held = boxes_by_subject(GROUP_ACCESS_BOXES, self.group.pk)
        principals = principals_of(self.org, held)
        role_names = role_names_of(held)
        holders = [
            Holder(
                principals[subject],
                set(boxes.ticked),
                sorted(f"{permission} on this {node_type}" for node_type, permission in boxes.unboxed)
                + sorted(f"the role {role_names.get(role_id, 'unknown')}" for role_id in boxes.role_ids),
                boxes.expiries,
            )
            for subject, boxes in held.items()
            if subject in principals
        ]
        return sorted(holders, key=lambda holder: holder.principal.sort_key)

    def candidates(self) -> list[Principal]:
        """Whom the person may choose to give access to (:func:`accounts.principals.principal_choices`)."""
        return sorted(principal_choices(self.request.user, self.org, limit=None), key=lambda principal: principal.sort_key)

    def get_context_data(self, form=None, holders=None, candidates=None, **kwargs):
        context = super().get_context_data(**kwargs)
        holders = holders if holders is not None else self.holders()
        candidates = candidates if candidates is not None else self.candidates()
        form = form or GroupAccessForm(
            holders=[h.principal for h in holders], candidates=candidates, initial={"listed": [h.principal.token for h in holders]}
        )
        boxes = GROUP_ACCESS_BOXES.boxes
        if form.is_bound:
            for holder in holders:
                holder.ticked = set(form.data.getlist(f"boxes-{holder.principal.token}"))
        new_ticked = set(form.data.getlist("new_boxes")) if form.is_bound else set()
        context.update(
            form=form,
            rows=[
                {
                    "holder": h,
                    "principal": h.principal,
                    "boxes": [{"box": b, "ticked": b.key in h.ticked, "expires_at": h.expiries.get(b.key)} for b in boxes],
                }
                for h in holders
            ],
            new_boxes=[{"box": b, "ticked": b.key in new_ticked} for b in boxes],
            boxes=boxes,
            box_errors=[
                e for name, errors in form.errors.items() if name.startswith("boxes-") or name in ("listed", "new_boxes") for e in errors
            ],
            read_only=not self.can_change,
            can_save=self.can_change,
        )
        return context

    def save(self, request):
        holders, candidates = self.holders(), self.candidates()
        form = GroupAccessForm(request.POST, holders=[h.principal for h in holders], candidates=candidates)
        changed = save_form(form, lambda data: self.save_changes(request, form, holders))
        if changed is None:
            return self.invalid(form=form, holders=holders, candidates=candidates)
        if changed:
            messages.success(request, f"Saved who has access to {self.group.name}.")
        else:
            messages.info(request, f"Nothing changed in the access to {self.group.name}.")
        return redirect(_groups_url(self.org))

    @transaction.atomic
    def save_changes(self, request, form: GroupAccessForm, holders: list[Holder]) -> list[tuple[Principal, set[str]]]:
        """Saves the boxes of every principal whose ticks the valid `form` changes, all or none; answers those.
        The form's "until", if any, applies to those principals' boxes (the ones they keep included), never
        to the access of someone the save leaves as it was."""
        before = {holder.principal.token: holder.ticked for holder in holders}
        changed = [(form.principals[token], boxes) for token, boxes in form.wanted().items() if boxes != before.get(token, set())]
        until, no_end = form.cleaned_data["until"], form.cleaned_data["no_end"]
        for principal, boxes in changed:
            save_boxes(
                actor=request.user,
                box_set=GROUP_ACCESS_BOXES,
                subject=principal.subject,
                target_id=self.group.pk,
                ticked=boxes,
                expires_at=until,
                clears_expiry=no_end,
            )
        return changed


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
        current_groups = set(GroupNesting.objects.filter(group=group).values_list("member_group_id", flat=True))
        users = User.objects.filter(memberships__org=self.org)
        if not self.flags.can_read_members:
            users = users.filter(pk__in=current_users)
        users = list(users.order_by(Lower("email")))
        readable = groups_visible_to(self.request.user, self.org).values("pk")
        groups = PermissionGroup.objects.filter(org=self.org).exclude(pk=group.pk)
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
        through = User.groups.through
        group = self.group
        group.member_user_count = through.objects.filter(group_id=group.auth_group_id).count()
        group.member_group_count = GroupNesting.objects.filter(group=group).count()
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


def _groups_url(org) -> str:
    return reverse("web:groups", kwargs={"org_name": org.name})


urlpatterns = [
    path("settings/groups/", GroupsPage.as_view(), name="groups"),
    path("settings/groups/create/", CreateGroup.as_view(), name="group-create"),
    path("settings/groups/<uuid:group_id>/permissions/", GroupPermissions.as_view(), name="group-permissions"),
    path(
        "settings/groups/<uuid:group_id>/permissions/preview/",
        GroupPermissions.as_view(previewing=True, http_method_names=["post"]),
        name="group-permissions-preview",
    ),
    path("settings/groups/<uuid:group_id>/access/", GroupAccess.as_view(), name="group-access"),
    path("settings/groups/<uuid:group_id>/edit/", EditGroup.as_view(), name="group-edit"),
    path(
        "settings/groups/<uuid:group_id>/edit/preview/",
        EditGroup.as_view(previewing=True, http_method_names=["post"]),
        name="group-edit-preview",
    ),
    path("settings/groups/<uuid:group_id>/delete/", DeleteGroup.as_view(), name="group-delete"),
]
