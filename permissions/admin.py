"""The Django admin of permission groups, roles, grants and the audit log, and the bases of every admin.

The admin is an operator tool (active ``is_staff`` users, superusers included), not a way around the
access model:

* every write is handed to the service that makes it everywhere else, with the logged-in operator as
  the actor, so the engine checks it and the audit log records it (origin channel ``admin``); a refusal
  is shown as an error message, and nothing of the refused change is kept;
* history and derived rows (audit events, nesting rows, role pairs, data rows, ...) are read-only;
* guardian's object-permission pages are kept (``GuardedModelAdmin``), but they read the grant store the
  API reads and write through the grant service, so a grant made here is the row ``GET /v1/acl`` lists.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group as AuthGroup
from django.db import models, transaction
from django.db.models import Count, Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import capfirst
from guardian.admin import GuardedModelAdmin
from guardian.forms import BaseObjectPermissionsForm

from braintrust_site.client_address import client_address
from permissions.audit import request_origin
from permissions.engine import restrict
from permissions.engine.nodes import Node, is_concrete, model_for_type
from permissions.exceptions import AccessDenied, NotFound, ValidationError
from permissions.grants import grant_records, resolve_chain
from permissions.models import AclGrant, AuditEvent, GroupNesting, PermissionGroup, Role, RoleNesting, RolePermission
from permissions.services.grants import GrantSpec, acl_grant, acl_revoke, acl_revoke_matching, validate_spec
from permissions.services.groups import group_create, group_delete, group_update
from permissions.services.roles import role_create, role_delete, role_update
from permissions.types import ALL_PERMISSIONS, ObjectType, codename, parse_codename

User = get_user_model()

MANAGE_ACCESS_WARNING = (
    "Manage access (create_acls and the other *_acls permissions) is a super-user ability: whoever holds "
    "create_acls on the organization can grant themselves anything."
)


def is_operator(user) -> bool:
    """Who may use the admin at all. What an operator may change is still the engine's decision."""
    return bool(user.is_active and user.is_staff)


class AdminRefusal(Exception):
    """A service refused an operator's write: shown as an error message, never as a server error."""


def _refusal_message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


@contextmanager
def operator_write(request) -> Iterator[None]:
    """Declare the admin as the origin of the audit events written inside, and turn a service's refusal
    (not found, access denied, invalid) into an :class:`AdminRefusal`."""
    origin = {
        "channel": "admin",
        "ip": client_address(request) or None,
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200],
    }
    with request_origin(**origin):
        try:
            yield
        except (AccessDenied, NotFound, ValidationError) as exc:
            raise AdminRefusal(_refusal_message(exc)) from exc


def changed(form: forms.ModelForm, *fields: str) -> dict:
    """The cleaned values of those of `fields` the operator changed: what an update service is given."""
    return {field: form.cleaned_data[field] for field in fields if field in form.changed_data}


def organization_display(obj) -> str:
    """The organization column of rows that belong to a project; the changelist selects it along."""
    return obj.project.org.name


def _organizations():
    return model_for_type("organization").objects.all()


def visible_roles(queryset, user):
    """The system roles, and the organization roles `user` may read."""
    return queryset.filter(Q(org__isnull=True) | Q(pk__in=restrict(Role.objects.filter(org__isnull=False), user, "read")))


class OperatorAdmin(admin.ModelAdmin):
    """Every operator may look; nobody may write unless a subclass hands the write to a service.

    Django's model permissions are not consulted: the models here declare none (the engine's permissions
    are about nodes, not tables), and which writes are allowed is decided by the services.

    What an operator sees is restricted like everything else: a superuser (the hosting operator) sees
    every row; any other staff member sees only the rows the engine lets them read, in changelists,
    change pages, search and autocomplete alike (they all start from :meth:`get_queryset`). A model that
    is a node of the hierarchy is restricted by the engine directly; any other admin says how its rows
    map to nodes in :meth:`visible_to_staff`, and shows a staff member nothing until it does.
    """

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return self.visible_to_staff(queryset, request.user)

    def visible_to_staff(self, queryset, user):
        """The rows a staff member who is not a superuser may see: those the engine lets them read."""
        if getattr(queryset.model, "acl_object_type", None):
            return restrict(queryset, user, "read")
        return queryset.none()

    def has_module_permission(self, request) -> bool:
        return is_operator(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_operator(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(OperatorAdmin):
    """History or derived rows: they are written by the services that make the changes they record."""


class ServiceAdmin(OperatorAdmin):
    """An admin whose writes are made by services.

    A subclass offers adding, changing or deleting by implementing :meth:`create_through_service`,
    :meth:`update_through_service` or :meth:`delete_through_service`; the admin offers nothing else.
    The service receives the operator as its actor and runs inside the admin's transaction, so a refusal
    rolls back everything the request wrote (Django's own change log included) and is shown as a message.
    """

    add_form: type[forms.ModelForm] | None = None
    add_fields: tuple[str, ...] = ()
    soft_delete = False  # the service marks the row deleted (it stays, with its grants and contents)

    def create_through_service(self, request, form: forms.ModelForm) -> models.Model:
        raise NotImplementedError

    def update_through_service(self, request, obj: models.Model, form: forms.ModelForm) -> models.Model:
        raise NotImplementedError

    def delete_through_service(self, request, obj: models.Model) -> None:
        raise NotImplementedError

    def offers(self, name: str) -> bool:
        return getattr(type(self), name) is not getattr(ServiceAdmin, name)

    def has_add_permission(self, request) -> bool:
        return is_operator(request.user) and self.offers("create_through_service")

    def has_change_permission(self, request, obj=None) -> bool:
        return is_operator(request.user) and self.offers("update_through_service")

    def has_delete_permission(self, request, obj=None) -> bool:
        return is_operator(request.user) and self.offers("delete_through_service")

    def get_form(self, request, obj=None, **kwargs):
        if obj is None and self.add_form is not None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None and self.add_fields:
            return self.add_fields
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def save_form(self, request, form, change):
        """Hand the validated form to the service, which checks, writes and audits; the object it
        returns is the one the admin logs and links to."""
        with operator_write(request):
            if change:
                current = self.model._base_manager.get(pk=form.instance.pk)
                return self.update_through_service(request, current, form)
            return self.create_through_service(request, form)

    def save_model(self, request, obj, form, change):
        """Nothing left to do: :meth:`save_form` had the service save it."""

    def save_related(self, request, form, formsets, change):
        """Related rows (members, groups, prompts) are the service's to write, never ``save_m2m``'s."""

    def delete_model(self, request, obj):
        with operator_write(request):
            self.delete_through_service(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic(), operator_write(request):
            for obj in queryset:
                self.delete_through_service(request, obj)

    def get_deleted_objects(self, objs, request):
        """What the deletion removes. Django's check of model permissions on the rows that cascade is
        dropped: whether the operator may delete is the service's decision."""
        if self.soft_delete:
            objs = list(objs)
            listed = [f"{capfirst(self.opts.verbose_name)}: {obj} (marked deleted; its contents and grants stay stored)" for obj in objs]
            return listed, {self.opts.verbose_name_plural: len(objs)}, set(), []
        deleted, counts, _django_permissions_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), protected

    def _showing_refusals(self, request, view, *args):
        try:
            return view(*args)
        except AdminRefusal as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return self._showing_refusals(request, super().changeform_view, request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        return self._showing_refusals(request, super().delete_view, request, object_id, extra_context)

    def changelist_view(self, request, extra_context=None):
        if request.method != "POST":
            return super().changelist_view(request, extra_context)

        def run_action():
            # An action over several rows is all-or-nothing, like a single change.
            with transaction.atomic():
                return super(ServiceAdmin, self).changelist_view(request, extra_context)

        return self._showing_refusals(request, run_action)


# Object permissions (guardian's pages, through the grant store and service)


def organization_id_of(obj) -> UUID | None:
    """The organization a node belongs to; None for a system role, which belongs to none."""
    chain = resolve_chain(Node.of(obj))
    return chain[-1].id if chain else None


def direct_permissions(node: Node, *, user_id=None, group_id=None) -> set[str]:
    """The codenames (``read_project``) of the direct grants a user or a group holds on `node`."""
    records = grant_records(nodes=[node], user_id=user_id, group_id=group_id)
    return {codename(r.permission, r.object_type) for r in records if r.in_guardian}


def grants_on(obj) -> dict:
    """Everyone's grants on `obj`, from the one store the API reads: the direct grants guardian's columns
    show, per user and per group, and beside them the grants guardian cannot express (roles, grants
    restricted to a type)."""
    records = grant_records(nodes=[Node.of(obj)])
    users = User.objects.in_bulk({r.user_id for r in records if r.user_id})
    groups = PermissionGroup.objects.in_bulk({r.group_id for r in records if r.group_id})
    roles = Role.objects.in_bulk({r.role_id for r in records if r.role_id})
    users_perms: dict = {}
    groups_perms: dict = {}
    other_grants = []
    for record in records:
        subject = users[record.user_id] if record.user_id else groups[record.group_id]
        if record.in_guardian:
            held = users_perms if record.user_id else groups_perms
            held.setdefault(subject, []).append(codename(record.permission, record.object_type))
        else:
            other_grants.append(
                {
                    "id": record.id,
                    "subject": subject,
                    "subject_kind": "user" if record.user_id else "group",
                    "what": record.permission or f"role {roles[record.role_id].name}",
                    "restrict_object_type": record.restrict_object_type or "",
                }
            )
    return {
        "users_perms": dict(sorted(users_perms.items(), key=lambda item: item[0].email)),
        "groups_perms": dict(sorted(groups_perms.items(), key=lambda item: item[0].name)),
        "other_grants": sorted(other_grants, key=lambda grant: (str(grant["subject"]), grant["what"])),
    }


class DirectGrantsForm(BaseObjectPermissionsForm):
    """Guardian's per-object permission form, reading the grant store and writing through the grant
    service: every box ticked or cleared is one ``acl.create`` or ``acl.delete``, checked and audited."""

    def __init__(self, obj, *args, subject: dict, **kwargs) -> None:
        self.node = Node.of(obj)
        self.subject = subject  # {"user_id": ...} or {"group_id": ...}
        self.held = direct_permissions(self.node, **subject)
        super().__init__(obj, *args, **kwargs)
        self.fields[self.get_obj_perms_field_name()].help_text = MANAGE_ACCESS_WARNING

    def get_obj_perms_field_initial(self) -> list[str]:
        return sorted(self.held)

    def get_obj_perms_field_widget(self):
        return forms.CheckboxSelectMultiple

    def _spec(self, code: str) -> GrantSpec:
        permission, _ = parse_codename(code)
        return GrantSpec(object_type=self.node.type, object_id=self.node.id, permission=permission, **self.subject)

    def save_obj_perms(self, *, actor) -> None:
        wanted = set(self.cleaned_data[self.get_obj_perms_field_name()])
        for code in sorted(wanted - self.held):
            acl_grant(actor=actor, spec=self._spec(code))
        for code in sorted(self.held - wanted):
            acl_revoke_matching(actor=actor, spec=self._spec(code))


class MemberChoiceForm(forms.Form):
    """Pick a member of the object's organization by email, to manage their grants on the object."""

    user = forms.CharField(label="Member email", max_length=254)

    def __init__(self, org_id: UUID | None, *args, **kwargs) -> None:
        self.org_id = org_id
        super().__init__(*args, **kwargs)

    def clean_user(self):
        user = User.objects.filter(email__iexact=self.cleaned_data["user"].strip(), memberships__org_id=self.org_id).first()
        if user is None:
            raise forms.ValidationError("No member of this organization has this email address.")
        return user


class GroupChoiceForm(forms.Form):
    """Pick a permission group of the object's organization, to manage its grants on the object."""

    group = forms.ModelChoiceField(queryset=PermissionGroup.objects.none(), label="Group")

    def __init__(self, org_id: UUID | None, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = PermissionGroup.objects.filter(org_id=org_id).order_by("name")


class GuardedServiceAdmin(ServiceAdmin, GuardedModelAdmin):
    """Guardian's admin for a model with grant tables, its object-permission pages made consistent with
    the rest of the system.

    Guardian's own views would read and write its tables directly, key groups on Django's ``auth.Group``
    and show none of the grants it cannot store. Here the pages list every grant on the object from the
    store ``/v1/acl`` reads, name permission groups, and save through ``acl_grant`` and
    ``acl_revoke_matching`` with the operator as the actor. The group in a URL is the ``auth.Group`` of
    the permission group, as in guardian.
    """

    obj_perms_manage_template = "admin/object_grants.html"

    def _object_or_404(self, request, object_pk):
        obj = self.get_object(request, unquote(object_pk))
        if obj is None:
            raise Http404(f"No {self.opts.verbose_name} with this id.")
        return obj

    def _permissions_url(self, name: str, *args) -> str:
        return reverse(f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_{name}", args=args)

    def _render(self, request, template: str, obj, **extra):
        context = self.get_obj_perms_base_context(request, obj)
        context.update(extra)
        request.current_app = self.admin_site.name
        return render(request, template, context)

    def obj_perms_manage_view(self, request, object_pk):
        if not self.has_change_permission(request, None):
            return redirect(reverse("admin:index", current_app=self.admin_site.name))
        obj = self._object_or_404(request, object_pk)
        org_id = organization_id_of(obj)
        user_form = MemberChoiceForm(org_id, request.POST if "submit_manage_user" in request.POST else None)
        group_form = GroupChoiceForm(org_id, request.POST if "submit_manage_group" in request.POST else None)
        if user_form.is_bound and user_form.is_valid():
            return redirect(self._permissions_url("permissions_manage_user", obj.pk, user_form.cleaned_data["user"].pk))
        if group_form.is_bound and group_form.is_valid():
            return redirect(self._permissions_url("permissions_manage_group", obj.pk, group_form.cleaned_data["group"].auth_group_id))
        return self._render(
            request,
            self.get_obj_perms_manage_template(),
            obj,
            user_form=user_form,
            group_form=group_form,
            acl_grant_changelist=reverse(f"{self.admin_site.name}:permissions_aclgrant_changelist"),
            **grants_on(obj),
        )

    def _save_grants(self, request, form: DirectGrantsForm) -> bool:
        try:
            with transaction.atomic(), operator_write(request):
                form.save_obj_perms(actor=request.user)
        except AdminRefusal as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            return False
        self.message_user(request, "Permissions saved.", messages.SUCCESS)
        return True

    def obj_perms_manage_user_view(self, request, object_pk, user_id):
        if not self.has_change_permission(request, None):
            return redirect(reverse("admin:index", current_app=self.admin_site.name))
        obj = self._object_or_404(request, object_pk)
        try:
            user = User.objects.get(pk=UUID(str(user_id)))
        except (ValueError, User.DoesNotExist) as exc:
            raise Http404("No such user.") from exc
        data = request.POST if request.method == "POST" else None
        form = DirectGrantsForm(obj, data, subject={"user_id": user.pk})
        if form.is_bound and form.is_valid() and self._save_grants(request, form):
            return redirect(self._permissions_url("permissions_manage_user", obj.pk, user.pk))
        return self._render(request, self.get_obj_perms_manage_user_template(), obj, user_obj=user, user_perms=sorted(form.held), form=form)

    def obj_perms_manage_group_view(self, request, object_pk, group_id):
        if not self.has_change_permission(request, None):
            return redirect(reverse("admin:index", current_app=self.admin_site.name))
        obj = self._object_or_404(request, object_pk)
        group = PermissionGroup.objects.filter(auth_group_id=int(group_id)).first() if str(group_id).isdigit() else None
        if group is None:
            raise Http404("No such group.")
        data = request.POST if request.method == "POST" else None
        form = DirectGrantsForm(obj, data, subject={"group_id": group.pk})
        if form.is_bound and form.is_valid() and self._save_grants(request, form):
            return redirect(self._permissions_url("permissions_manage_group", obj.pk, group.auth_group_id))
        return self._render(
            request, self.get_obj_perms_manage_group_template(), obj, group_obj=group, group_perms=sorted(form.held), form=form
        )


# Permission groups


def _users_for_group(group: PermissionGroup):
    return User.objects.filter(Q(memberships__org_id=group.org_id) | Q(groups=group.auth_group_id)).distinct().order_by("email")


class PermissionGroupChangeForm(forms.ModelForm):
    """Name, description and members: all of it is ``group_update``, "update" on the group."""

    member_users = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), required=False, widget=FilteredSelectMultiple("members", is_stacked=False)
    )
    nested_groups = forms.ModelMultipleChoiceField(
        queryset=PermissionGroup.objects.none(),
        required=False,
        label="Member groups",
        widget=FilteredSelectMultiple("member groups", is_stacked=False),
        help_text="Every user of a member group is a user of this group.",
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
class PermissionGroupAdmin(GuardedServiceAdmin):
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

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("auth_group__user", distinct=True))

    @admin.display(description="direct members", ordering="member_count")
    def member_count(self, obj) -> int:
        return obj.member_count

    def create_through_service(self, request, form):
        data = form.cleaned_data
        return group_create(actor=request.user, org=data["org"], name=data["name"], description=data["description"])

    def update_through_service(self, request, obj, form):
        users = {u.pk for u in form.cleaned_data["member_users"]}
        groups = {g.pk for g in form.cleaned_data["nested_groups"]}
        return group_update(
            actor=request.user,
            group=obj,
            **changed(form, "name", "description"),
            add_member_users=sorted(users - form.current_users),
            remove_member_users=sorted(form.current_users - users),
            add_member_groups=sorted(groups - form.current_groups),
            remove_member_groups=sorted(form.current_groups - groups),
        )

    def delete_through_service(self, request, obj):
        group_delete(actor=request.user, group=obj)


@admin.register(GroupNesting)
class GroupNestingAdmin(ReadOnlyAdmin):
    def visible_to_staff(self, queryset, user):
        return queryset.filter(group__in=restrict(PermissionGroup.objects.all(), user, "read"))

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


class RoleAddForm(forms.ModelForm):
    member_permissions = forms.MultipleChoiceField(
        choices=PAIR_CHOICES,
        required=False,
        widget=FilteredSelectMultiple("permissions", is_stacked=False),
        help_text=MANAGE_ACCESS_WARNING,
    )

    class Meta:
        model = Role
        fields = ("org", "name", "description")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].required = True


class RoleChangeForm(forms.ModelForm):
    """Name, description, permission pairs and inherited roles: all of it is ``role_update``."""

    member_permissions = forms.MultipleChoiceField(
        choices=PAIR_CHOICES,
        required=False,
        widget=FilteredSelectMultiple("permissions", is_stacked=False),
        help_text=MANAGE_ACCESS_WARNING,
    )
    inherited_roles = forms.ModelMultipleChoiceField(
        queryset=Role.objects.none(),
        required=False,
        label="Member roles",
        widget=FilteredSelectMultiple("roles", is_stacked=False),
        help_text="Roles whose permissions this role inherits.",
    )

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
        data = form.cleaned_data
        return role_create(
            actor=request.user,
            org=data["org"],
            name=data["name"],
            description=data["description"],
            member_permissions=sorted(_pairs(data["member_permissions"])),
        )

    def update_through_service(self, request, obj, form):
        pairs = _pairs(form.cleaned_data["member_permissions"])
        roles = {r.pk for r in form.cleaned_data["inherited_roles"]}
        return role_update(
            actor=request.user,
            role=obj,
            **changed(form, "name", "description"),
            add_member_permissions=sorted(pairs - form.current_pairs),
            remove_member_permissions=sorted(form.current_pairs - pairs),
            add_member_roles=sorted(roles - form.current_roles),
            remove_member_roles=sorted(form.current_roles - roles),
        )

    def delete_through_service(self, request, obj):
        role_delete(actor=request.user, role=obj)


@admin.register(RolePermission)
class RolePermissionAdmin(ReadOnlyAdmin):
    def visible_to_staff(self, queryset, user):
        return queryset.filter(role__in=visible_roles(Role.objects.all(), user))

    list_display = ("role", "permission", "restrict_object_type")
    list_select_related = ("role",)
    list_filter = ("permission", "restrict_object_type")
    search_fields = ("role__name",)


@admin.register(RoleNesting)
class RoleNestingAdmin(ReadOnlyAdmin):
    def visible_to_staff(self, queryset, user):
        return queryset.filter(role__in=visible_roles(Role.objects.all(), user))

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
        return queryset.filter(org__in=restrict(_organizations(), user, "read_acls"))

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
        return queryset.filter(org__in=restrict(_organizations(), user, "read", node_type="org_audit_logs"))

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
