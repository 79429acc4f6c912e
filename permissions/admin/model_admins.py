"""The admins of permission groups, roles, grants and the audit log."""

import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import ADDITION, DELETION, LogEntry
from django.contrib.admin.options import get_content_type_for_model
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group as AuthGroup
from django.db import models
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import capfirst

from permissions.admin.bases import (
    MANAGE_ACCESS_WARNING,
    MemberCountAdmin,
    MemberKind,
    MembersChangeForm,
    ReadOnlyAdmin,
    ServiceAdmin,
    changed,
    choices_filter,
    cleaned,
    organizations_choices,
    visible_roles,
)
from permissions.admin.object_grants import GuardedServiceAdmin
from permissions.admin.words import (
    GrantSubjects,
    Shown,
    grant_label,
    node_names,
    pair_label,
    permission_choices,
    subject_label,
    type_choices,
    what_label,
)
from permissions.engine import restrict
from permissions.engine.nodes import Node, is_concrete
from permissions.labels import permission_label, type_label
from permissions.models import AclGrant, AuditEvent, GroupMembershipExpiry, GroupNesting, PermissionGroup, Role, RoleNesting, RolePermission
from permissions.services.grants import GrantSpec, acl_grant, acl_revoke, validate_spec
from permissions.services.groups import group_create, group_delete, group_update
from permissions.services.roles import role_create, role_delete, role_update
from permissions.types import ALL_PERMISSIONS, ObjectType

User = get_user_model()

# Permission groups


def _users_for_group(group: PermissionGroup):
    return User.objects.filter(Q(memberships__org_id=group.org_id) | Q(groups=group.auth_group_id)).distinct().order_by("email")


def _members_picker(model: type[models.Model], verbose_name: str, **options: str) -> forms.ModelMultipleChoiceField:
    """A field to pick the members of a group or role among `model`'s rows, with Django's two-list
    widget; the rows offered depend on the instance, so the form's ``__init__`` sets its queryset."""
    return forms.ModelMultipleChoiceField(
        queryset=model.objects.none(), required=False, widget=FilteredSelectMultiple(verbose_name, is_stacked=False), **options
    )


class PermissionGroupChangeForm(MembersChangeForm):
    """Name, description and members: all of it is ``group_update``, "update" on the group."""

    member_kinds = (
        MemberKind("member_users", "member_users", "current_users"),
        MemberKind("member_groups", "nested_groups", "current_groups"),
    )
    member_users = _members_picker(User, "members")
    nested_groups = _members_picker(
        PermissionGroup, "member groups", label="Member groups", help_text="Every user of a member group is a user of this group."
    )

    class Meta:
        model = PermissionGroup
        fields = ("name", "description")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        group = self.instance
        self.fields["member_users"].queryset = _users_for_group(group)
        self.fields["nested_groups"].queryset = PermissionGroup.objects.filter(org_id=group.org_id).exclude(pk=group.pk)
        self.current_users = set(User.objects.filter(groups=group.auth_group_id).values_list("pk", flat=True))
        self.current_groups = set(group.member_groups.values_list("pk", flat=True))
        self.initial.setdefault("member_users", sorted(self.current_users))
        self.initial.setdefault("nested_groups", sorted(self.current_groups))


class PermissionGroupAddForm(forms.ModelForm):
    class Meta:
        model = PermissionGroup
        fields = ("org", "name", "description")


@admin.register(PermissionGroup)
class PermissionGroupAdmin(MemberCountAdmin, GuardedServiceAdmin):
    list_display = ("name", "org", "builtin", "member_count", "description", "created_by", "created")
    list_select_related = ("org", "created_by")
    list_filter = ("builtin", "org")
    search_fields = ("name", "description", "org__name")
    ordering = ("-created",)  # explicit: the member count's GROUP BY drops Meta.ordering
    autocomplete_fields = ("org",)
    form = PermissionGroupChangeForm
    add_form = PermissionGroupAddForm
    add_fields = ("org", "name", "description")
    fields = ("id", "org", "name", "description", "built_in", "member_users", "nested_groups", "created_by", "created")
    readonly_fields = ("id", "org", "built_in", "created_by", "created")
    member_count_of = "auth_group__user"

    @admin.display(description="direct members", ordering="member_count")
    def member_count(self, obj) -> int:
        return obj.member_count

    @admin.display(description="built-in")
    def built_in(self, obj) -> str:
        if not obj.is_builtin:
            return "No"
        return f"{obj.get_builtin_display()}: it cannot be renamed or deleted; its description and members can change."

    def get_readonly_fields(self, request, obj=None):
        # A built-in group keeps its name (the service refuses a rename): it is shown, not offered.
        readonly = super().get_readonly_fields(request, obj)
        return (*readonly, "name") if obj is not None and obj.is_builtin else readonly

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and not (obj is not None and obj.is_builtin)

    def create_through_service(self, request, form):
        return group_create(actor=request.user, **cleaned(form, "org", "name", "description"))

    def update_through_service(self, request, obj, form):
        return group_update(actor=request.user, group=obj, **changed(form, "name", "description"), **form.member_changes())

    def delete_through_service(self, request, obj):
        group_delete(actor=request.user, group=obj)


@admin.register(GroupNesting)
class GroupNestingAdmin(ReadOnlyAdmin):
    visible_through = "group"
    list_display = ("group", "member_group", "expires_at", "organization")
    list_select_related = ("group__org", "member_group")
    search_fields = ("group__name", "member_group__name", "group__org__name")
    list_filter = ("group__org",)

    @admin.display(description="organization", ordering="group__org__name")
    def organization(self, obj) -> str:
        return obj.group.org.name


@admin.register(GroupMembershipExpiry)
class GroupMembershipExpiryAdmin(ReadOnlyAdmin):
    """When members' memberships of groups end. Read-only here, as group nestings are: an expiry is set
    or cleared through ``group_member_expiry_set``, which checks and audits the change."""

    visible_through = "group"
    list_display = ("user", "group", "expires_at", "organization")
    list_select_related = ("group__org", "user")
    search_fields = ("group__name", "user__email", "group__org__name")
    list_filter = ("group__org",)
    ordering = ("expires_at",)

    @admin.display(description="organization", ordering="group__org__name")
    def organization(self, obj) -> str:
        return obj.group.org.name


# Roles


def _pair_key(permission: str, restrict: str) -> str:
    return f"{permission}:{restrict}" if restrict else permission


PAIR_CHOICES = [
    (_pair_key(permission, restrict), pair_label(permission, restrict))
    for permission in ALL_PERMISSIONS
    for restrict in ("", *ObjectType.values)
]


def _pair(key: str) -> tuple[str, str]:
    return key.partition(":")[0], key.partition(":")[2]


class _RolePairsForm(forms.ModelForm):
    """A role's permission pairs, picked among every permission on any type or on one type."""

    member_permissions = forms.MultipleChoiceField(
        choices=PAIR_CHOICES,
        required=False,
        widget=FilteredSelectMultiple("permissions", is_stacked=False),
        help_text=MANAGE_ACCESS_WARNING,
    )


class RoleAddForm(_RolePairsForm):
    class Meta:
        model = Role
        fields = ("org", "name", "description")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].required = True


class RoleChangeForm(MembersChangeForm, _RolePairsForm):
    """Name, description, permission pairs and inherited roles: all of it is ``role_update``."""

    member_kinds = (
        MemberKind("member_permissions", "member_permissions", "current_pairs", _pair),
        MemberKind("member_roles", "inherited_roles", "current_roles"),
    )
    inherited_roles = _members_picker(Role, "roles", label="Member roles", help_text="Roles whose permissions this role inherits.")

    class Meta:
        model = Role
        fields = ("name", "description")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        role = self.instance
        self.fields["inherited_roles"].queryset = Role.objects.filter(Q(org_id=role.org_id) | Q(org__isnull=True)).exclude(pk=role.pk)
        self.current_pairs = set(role.member_permissions.values_list("permission", "restrict_object_type"))
        self.current_roles = set(role.member_roles.values_list("pk", flat=True))
        self.initial.setdefault("member_permissions", sorted(_pair_key(p, r) for p, r in self.current_pairs))
        self.initial.setdefault("inherited_roles", sorted(self.current_roles))


@admin.register(Role)
class RoleAdmin(GuardedServiceAdmin):
    def visible_to_staff(self, queryset, user):
        return visible_roles(queryset, user)

    list_display = ("name", "org", "kind", "description", "created_by", "created")
    list_select_related = ("org", "created_by")
    list_filter = (("org", admin.EmptyFieldListFilter), "org")
    search_fields = ("name", "description", "org__name")
    autocomplete_fields = ("org",)
    form = RoleChangeForm
    add_form = RoleAddForm
    add_fields = ("org", "name", "description", "member_permissions")
    fields = ("id", "org", "name", "description", "member_permissions", "inherited_roles", "created_by", "created")
    readonly_fields = ("id", "org", "created_by", "created", "pairs", "inherited")

    @admin.display(description="kind", ordering="org")
    def kind(self, obj) -> str:
        return "system" if obj.is_system else "organization"

    # A system role cannot be edited (the service refuses any change): it is shown read-only, without
    # Save or Delete.
    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and not (obj is not None and obj.is_system)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and not (obj is not None and obj.is_system)

    def get_fields(self, request, obj=None):
        if obj is not None and obj.is_system:  # shown, not edited: the pairs and roles in words
            return ("id", "name", "description", "pairs", "inherited", "created")
        return super().get_fields(request, obj)

    @admin.display(description="permissions")
    def pairs(self, obj) -> str:
        labels = sorted(pair_label(p, r) for p, r in obj.member_permissions.values_list("permission", "restrict_object_type"))
        return format_html_join(mark_safe("<br>"), "{}", ((label,) for label in labels)) or "None"

    @admin.display(description="member roles")
    def inherited(self, obj) -> str:
        return ", ".join(sorted(role.name for role in obj.member_roles.all())) or "None"

    def create_through_service(self, request, form):
        return role_create(
            actor=request.user,
            **cleaned(form, "org", "name", "description"),
            member_permissions=sorted({_pair(key) for key in form.cleaned_data["member_permissions"]}),
        )

    def update_through_service(self, request, obj, form):
        return role_update(actor=request.user, role=obj, **changed(form, "name", "description"), **form.member_changes())

    def delete_through_service(self, request, obj):
        role_delete(actor=request.user, role=obj)


class _RolePartAdmin(ReadOnlyAdmin):
    """The rows a role is made of, seen by whoever may see the role."""

    def visible_to_staff(self, queryset, user):
        return queryset.filter(role__in=visible_roles(Role.objects.all(), user))


@admin.register(RolePermission)
class RolePermissionAdmin(_RolePartAdmin):
    list_display = ("role", "permission_shown", "restricted_to")
    list_select_related = ("role",)
    list_filter = (
        choices_filter("permission", "permission", permission_choices()),
        choices_filter("restrict_object_type", "restricted to type", type_choices()),
    )
    search_fields = ("role__name",)
    fields = ("id", "role", "permission_shown", "restricted_to")

    @admin.display(description="permission", ordering="permission")
    def permission_shown(self, obj) -> str:
        return permission_label(obj.permission, with_code=True)

    @admin.display(description="restricted to type", ordering="restrict_object_type")
    def restricted_to(self, obj) -> str:
        return type_label(obj.restrict_object_type, with_code=True) if obj.restrict_object_type else "any type"


@admin.register(RoleNesting)
class RoleNestingAdmin(_RolePartAdmin):
    list_display = ("role", "member_role")
    list_select_related = ("role", "member_role")
    search_fields = ("role__name", "member_role__name")


# Grants guardian cannot hold


class AclGrantForm(forms.ModelForm):
    """A grant as the API takes it, checked by the grant service's own validation (same messages). Object
    types and permissions are offered by the dialogs' words, with the API's code beside them."""

    class Meta:
        model = AclGrant
        fields = ("object_type", "object_id", "user", "group", "permission", "role", "restrict_object_type", "expires_at")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        offered = {
            "object_type": [("", "---------"), *type_choices()],
            "permission": [("", "---------"), *permission_choices()],
            "restrict_object_type": [("", "any type"), *type_choices()],
        }
        for name, choices in offered.items():
            if name in self.fields:
                self.fields[name].choices = choices

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        self.spec = GrantSpec(
            object_type=data.get("object_type"),
            object_id=data.get("object_id"),
            user_id=data["user"].pk if data.get("user") else None,
            group_id=data["group"].pk if data.get("group") else None,
            permission=data.get("permission") or None,
            role_id=data["role"].pk if data.get("role") else None,
            restrict_object_type=data.get("restrict_object_type") or None,
            expires_at=data.get("expires_at"),
        )
        validate_spec(self.spec)
        if is_concrete(self.spec.object_type) and self.spec.permission and not self.spec.restrict_object_type:
            raise forms.ValidationError(
                "A plain permission on this object type is a direct grant: manage it on the object's 'Object permissions' page."
            )
        return data


@admin.register(AclGrant)
class AclGrantAdmin(ServiceAdmin):
    """Grants of roles, grants restricted to a type and grants on virtual nodes; direct grants live on each
    object's 'Object permissions' page. Both are listed by ``GET /v1/acl``.

    A grant is shown by its object's type and name, its subject's name and its permission's words, on
    every page that names it (changelist, its own page, deletion, messages and the admin's history); the
    changelist fetches the names of a whole page's objects in one query."""

    def visible_to_staff(self, queryset, user):
        # Listing grants needs read_acls; held on the organization, it covers every node in it. (Grants
        # readable through read_acls on one project only are left to the pages and the API.)
        return queryset.filter(org__in=restrict(organizations_choices(), user, "read_acls"))

    list_display = ("object_kind", "object_shown", "subject", "what", "restricted_to", "org", "created", "expires_at")
    list_select_related = ("org", "user", "group", "role")
    list_filter = (
        choices_filter("object_type", "object type", type_choices()),
        choices_filter("permission", "permission", permission_choices()),
        choices_filter("restrict_object_type", "restricted to type", type_choices()),
        "org",
    )
    search_fields = ("object_id", "user__email", "group__name", "role__name", "org__name")
    autocomplete_fields = ("user", "group", "role")
    form = AclGrantForm
    add_fields = ("object_type", "object_id", "user", "group", "permission", "role", "restrict_object_type", "expires_at")
    fields = ("id", "org", "object_kind", "object_shown", "object_id", "subject", "what", "restricted_to", "created", "expires_at")
    readonly_fields = fields

    def prepare_rows(self, rows: list) -> None:
        names = node_names(Node(grant.object_type, grant.object_id) for grant in rows)
        for grant in rows:
            grant.object_name = names[Node(grant.object_type, grant.object_id)]

    def _object_name(self, obj) -> str:
        if not hasattr(obj, "object_name"):
            self.prepare_rows([obj])
        return obj.object_name

    @admin.display(description="object type", ordering="object_type")
    def object_kind(self, obj) -> str:
        return type_label(obj.object_type)

    @admin.display(description="object")
    def object_shown(self, obj) -> str:
        return self._object_name(obj)

    @admin.display(description="granted to")
    def subject(self, obj) -> str:
        return subject_label(user=obj.user, group=obj.group)

    @admin.display(description="permission or role")
    def what(self, obj) -> str:
        return what_label(permission=obj.permission, role_name=obj.role.name if obj.role_id else None)

    @admin.display(description="restricted to type", ordering="restrict_object_type")
    def restricted_to(self, obj) -> str:
        return type_label(obj.restrict_object_type) if obj.restrict_object_type else "any type"

    def action_checkbox(self, obj):
        return super().action_checkbox(Shown(obj.pk, self.described(obj)))  # its label names the grant

    def described(self, obj) -> str:
        """The grant in one sentence, where Django would show its ``str()``."""
        return grant_label(
            what=self.what(obj),
            restrict_object_type=obj.restrict_object_type,
            object_type=obj.object_type,
            object_name=self._object_name(obj),
            subject=self.subject(obj),
        )

    def create_through_service(self, request, form):
        return AclGrant.objects.select_related("user", "group", "role").get(pk=acl_grant(actor=request.user, spec=form.spec).id)

    def delete_through_service(self, request, obj):
        acl_revoke(actor=request.user, grant_id=obj.pk)

    # Where Django names the object by its str(), which holds ids only

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id)) if object_id is not None else None
        if obj is not None:
            shown = Shown(obj.pk, self.described(obj))
            extra_context = {**(extra_context or {}), "subtitle": str(shown), "original": shown}
        return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is not None:
            shown = Shown(obj.pk, self.described(obj))
            extra_context = {**(extra_context or {}), "object": shown}
            request.grant_shown = str(shown)  # for the message, written once the grant is gone
        return super().delete_view(request, object_id, extra_context)

    def response_delete(self, request, obj_display, obj_id):
        return super().response_delete(request, getattr(request, "grant_shown", obj_display), obj_id)

    def response_add(self, request, obj, post_url_continue=None):
        change_url = reverse(f"{self.admin_site.name}:permissions_aclgrant_change", args=[obj.pk])
        self.message_user(
            request, format_html('The grant “<a href="{}">{}</a>” was added.', change_url, self.described(obj)), messages.SUCCESS
        )
        if "_addanother" in request.POST:
            return HttpResponseRedirect(request.path)
        if "_continue" in request.POST:
            return HttpResponseRedirect(change_url)
        return HttpResponseRedirect(reverse(f"{self.admin_site.name}:permissions_aclgrant_changelist"))

    def get_deleted_objects(self, objs, request):
        grants = list(objs)
        self.prepare_rows(grants)
        listed = [f"{capfirst(self.opts.verbose_name)}: {self.described(grant)}" for grant in grants]
        return listed, {self.opts.verbose_name_plural: len(grants)}, set(), []  # nothing cascades from a grant

    def _log(self, request, grants: list, action_flag: int, message="") -> None:
        self.prepare_rows(grants)
        content_type = get_content_type_for_model(self.model)
        LogEntry.objects.bulk_create(
            LogEntry(
                user_id=request.user.pk,
                content_type_id=content_type.pk,
                object_id=str(grant.pk),
                object_repr=self.described(grant)[:200],
                action_flag=action_flag,
                change_message=json.dumps(message) if isinstance(message, list) else message,
            )
            for grant in grants
        )

    def log_addition(self, request, obj, message):
        self._log(request, [obj], ADDITION, message)

    def log_deletions(self, request, queryset):
        self._log(request, list(queryset), DELETION)


# The audit log


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit log. A grant's event (``acl.*``) names no target of its own: it is shown by what its
    stored fields say, with the names of its object, subject and role, fetched for a whole page at once."""

    def visible_to_staff(self, queryset, user):
        return queryset.filter(org__in=restrict(organizations_choices(), user, "read", node_type="org_audit_logs"))

    list_display = ("created", "action", "actor_email", "org", "target_type", "target", "channel")
    list_select_related = ("org",)
    list_filter = ("target_type", "org")
    search_fields = ("action", "actor_email", "target_name", "target_id")
    date_hierarchy = "created"
    fields = (
        "id",
        "created",
        "org",
        "actor",
        "actor_email",
        "action",
        "target_type",
        "target_id",
        "target",
        "before",
        "after",
        "origin",
    )

    def prepare_rows(self, rows: list) -> None:
        grants = [
            (event, event.after or event.before) for event in rows if event.action.startswith("acl.") and (event.after or event.before)
        ]
        names = node_names(Node(state["object_type"], state["object_id"]) for _, state in grants)
        subjects = GrantSubjects.of(state for _, state in grants)
        for event in rows:
            event.target_shown = None
        for event, state in grants:
            event.target_shown = grant_label(
                what=subjects.what(state),
                restrict_object_type=state.get("restrict_object_type") or "",
                object_type=state["object_type"],
                object_name=names[Node(state["object_type"], state["object_id"])],
                subject=subjects.subject(state),
            )

    @admin.display(description="target")
    def target(self, obj) -> str:
        if not hasattr(obj, "target_shown"):
            self.prepare_rows([obj])
        return obj.target_shown or obj.target_name or obj.target_id or "-"

    @admin.display(description="channel")
    def channel(self, obj) -> str:
        return (obj.origin or {}).get("channel", "")


# Django's groups are the storage of permission-group membership, not something to edit on their own.
if admin.site.is_registered(AuthGroup):
    admin.site.unregister(AuthGroup)
