"""Guardian's object-permission pages, kept but reading the grant store the API reads and writing through
the grant service, so that a grant made here is the row ``GET /v1/acl`` lists."""

from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from guardian.admin import GuardedModelAdmin
from guardian.forms import BaseObjectPermissionsForm
from guardian.shortcuts import get_perms_for_model

from permissions.admin.bases import MANAGE_ACCESS_WARNING, AdminRefusal, ServiceAdmin, operator_write
from permissions.admin.words import access_lines, codename_label, subject_label, what_label
from permissions.engine.nodes import Node
from permissions.exceptions import AccessDenied
from permissions.grants import grant_records, resolve_chain
from permissions.labels import type_label
from permissions.models import PermissionGroup, Role
from permissions.selectors import access_to
from permissions.services.grants import GrantSpec, acl_grant, acl_revoke_matching
from permissions.types import codename, parse_codename

User = get_user_model()

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
                    # in words, for the page
                    "what_shown": what_label(
                        permission=record.permission, role_name=roles[record.role_id].name if record.role_id else None
                    ),
                    "restricted_shown": type_label(record.restrict_object_type, with_code=True)
                    if record.restrict_object_type
                    else "any type",
                    "subject_shown": subject_label(user=subject if record.user_id else None, group=subject if record.group_id else None),
                }
            )
    return {
        "users_perms": dict(sorted(users_perms.items(), key=lambda item: item[0].email)),
        "groups_perms": dict(sorted(groups_perms.items(), key=lambda item: item[0].name)),
        "other_grants": sorted(other_grants, key=lambda grant: (str(grant["subject"]), grant["what"])),
    }


def model_permission_choices(obj) -> list[tuple[str, str]]:
    """The permissions of `obj`'s grant tables, by codename, each named by its permission's words
    ("Manage access: add grants (create_acls)") rather than by Django's "Can create acls project"."""
    return [(permission.codename, codename_label(permission.codename)) for permission in get_perms_for_model(obj)]


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

    def get_obj_perms_field_choices(self) -> list[tuple[str, str]]:
        return model_permission_choices(self.obj)

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
        context["model_perms"] = [{"codename": code, "name": name} for code, name in model_permission_choices(obj)]
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
            who_has_access=self._who_has_access(request, obj),
            **grants_on(obj),
        )

    def _who_has_access(self, request, obj) -> list[dict] | None:
        """Everyone holding anything on `obj` and how, for an operator who may read its grants (else None)."""
        try:
            return access_lines(access_to(request.user, obj), Node.of(obj))
        except AccessDenied:
            return None

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
