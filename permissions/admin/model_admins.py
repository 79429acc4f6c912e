"""The admins of permission groups, roles, grants and the audit log."""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group as AuthGroup
from django.db import models
from django.db.models import Q

from permissions.admin.bases import (
    MANAGE_ACCESS_WARNING,
    MemberCountAdmin,
    ReadOnlyAdmin,
    ServiceAdmin,
    changed,
    cleaned,
    member_changes,
    organizations_choices,
    visible_roles,
)
from permissions.admin.object_grants import GuardedServiceAdmin
from permissions.engine import restrict
from permissions.engine.nodes import is_concrete
from permissions.models import AclGrant, AuditEvent, GroupNesting, PermissionGroup, Role, RoleNesting, RolePermission
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


class PermissionGroupChangeForm(forms.ModelForm):
    """Name, description and members: all of it is ``group_update``, "update" on the group."""

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
    fields = ("id", "org", "name", "description", "builtin", "member_users", "nested_groups", "created_by", "created")
    readonly_fields = ("id", "org", "builtin", "created_by", "created")
    member_count_of = "auth_group__user"

    @admin.display(description="direct members", ordering="member_count")
    def member_count(self, obj) -> int:
        return obj.member_count

    def create_through_service(self, request, form):
        return group_create(actor=request.user, **cleaned(form, "org", "name", "description"))

    def update_through_service(self, request, obj, form):
        users = {u.pk for u in form.cleaned_data["member_users"]}
        groups = {g.pk for g in form.cleaned_data["nested_groups"]}
        return group_update(
            actor=request.user,
            group=obj,
            **changed(form, "name", "description"),
            **member_changes("member_users", form.current_users, users),
            **member_changes("member_groups", form.current_groups, groups),
        )

    def delete_through_service(self, request, obj):
        group_delete(actor=request.user, group=obj)


@admin.register(GroupNesting)
class GroupNestingAdmin(ReadOnlyAdmin):
    visible_through = "group"
    list_display = ("group", "member_group", "organization")
    list_select_related = ("group__org", "member_group")
    search_fields = ("group__name", "member_group__name", "group__org__name")
    list_filter = ("group__org",)

    @admin.display(description="organization", ordering="group__org__name")
    def organization(self, obj) -> str:
        return obj.group.org.name


# Roles


def _pair_key(permission: str, restrict: str) -> str:
    return f"{permission}:{restrict}" if restrict else permission


PAIR_CHOICES = [
    (_pair_key(permission, restrict), f"{permission} on {restrict or 'any type'}")
    for permission in ALL_PERMISSIONS
    for restrict in ("", *ObjectType.values)
]


def _pairs(keys) -> set[tuple[str, str]]:
    return {(key.partition(":")[0], key.partition(":")[2]) for key in keys}


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


class RoleChangeForm(_RolePairsForm):
    """Name, description, permission pairs and inherited roles: all of it is ``role_update``."""

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
    readonly_fields = ("id", "org", "created_by", "created")

    @admin.display(description="kind", ordering="org")
    def kind(self, obj) -> str:
        return "system" if obj.is_system else "organization"

    def create_through_service(self, request, form):
        return role_create(
            actor=request.user,
            **cleaned(form, "org", "name", "description"),
            member_permissions=sorted(_pairs(form.cleaned_data["member_permissions"])),
        )

    def update_through_service(self, request, obj, form):
        pairs = _pairs(form.cleaned_data["member_permissions"])
        roles = {r.pk for r in form.cleaned_data["inherited_roles"]}
        return role_update(
            actor=request.user,
            role=obj,
            **changed(form, "name", "description"),
            **member_changes("member_permissions", form.current_pairs, pairs),
            **member_changes("member_roles", form.current_roles, roles),
        )

    def delete_through_service(self, request, obj):
        role_delete(actor=request.user, role=obj)


class _RolePartAdmin(ReadOnlyAdmin):
    """The rows a role is made of, seen by whoever may see the role."""

    def visible_to_staff(self, queryset, user):
        return queryset.filter(role__in=visible_roles(Role.objects.all(), user))


@admin.register(RolePermission)
class RolePermissionAdmin(_RolePartAdmin):
    list_display = ("role", "permission", "restrict_object_type")
    list_select_related = ("role",)
    list_filter = ("permission", "restrict_object_type")
    search_fields = ("role__name",)


@admin.register(RoleNesting)
class RoleNestingAdmin(_RolePartAdmin):
    list_display = ("role", "member_role")
    list_select_related = ("role", "member_role")
    search_fields = ("role__name", "member_role__name")


# Grants guardian cannot hold


class AclGrantForm(forms.ModelForm):
    """A grant as the API takes it, checked by the grant service's own validation (same messages)."""

    class Meta:
        model = AclGrant
        fields = ("object_type", "object_id", "user", "group", "permission", "role", "restrict_object_type")

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
    object's 'Object permissions' page. Both are listed by ``GET /v1/acl``."""

    def visible_to_staff(self, queryset, user):
        # Listing grants needs read_acls; held on the organization, it covers every node in it. (Grants
        # readable through read_acls on one project only are left to the pages and the API.)
        return queryset.filter(org__in=restrict(organizations_choices(), user, "read_acls"))

    list_display = ("object_type", "object_id", "subject", "what", "restrict_object_type", "org", "created")
    list_select_related = ("org", "user", "group", "role")
    list_filter = ("object_type", "permission", "restrict_object_type", "org")
    search_fields = ("object_id", "user__email", "group__name", "role__name", "org__name")
    autocomplete_fields = ("user", "group", "role")
    form = AclGrantForm
    add_fields = ("object_type", "object_id", "user", "group", "permission", "role", "restrict_object_type")
    fields = ("id", "org", *add_fields, "created")
    readonly_fields = fields

    @admin.display(description="granted to")
    def subject(self, obj) -> str:
        return f"user {obj.user}" if obj.user_id else f"group {obj.group}"

    @admin.display(description="permission or role")
    def what(self, obj) -> str:
        return obj.permission or f"role {obj.role}"

    def create_through_service(self, request, form):
        return AclGrant.objects.get(pk=acl_grant(actor=request.user, spec=form.spec).id)

    def delete_through_service(self, request, obj):
        acl_revoke(actor=request.user, grant_id=obj.pk)


# The audit log


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    def visible_to_staff(self, queryset, user):
        return queryset.filter(org__in=restrict(organizations_choices(), user, "read", node_type="org_audit_logs"))

    list_display = ("created", "action", "actor_email", "org", "target_type", "target_name", "channel")
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
        "target_name",
        "before",
        "after",
        "origin",
    )

    @admin.display(description="channel")
    def channel(self, obj) -> str:
        return (obj.origin or {}).get("channel", "")


# Django's groups are the storage of permission-group membership, not something to edit on their own.
if admin.site.is_registered(AuthGroup):
    admin.site.unregister(AuthGroup)
