"""The Django admin of people, service accounts, organizations, memberships, invitations and credentials.

Writes go through the account services with the operator as the actor (see :mod:`permissions.admin`).
People's accounts and memberships have no admin writes: no service changes a person's account, and
members join and leave through invitations and the member services, which the pages and the API offer.
Credentials are only ever shown by ``preview_name``: their hash is never rendered, and no token is
created here, since the admin could not show its raw value once and then never again.
"""

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import ApiKey, Environment, Invitation, Membership, Organization, ServiceAccount, User
from accounts.services.credentials import (
    api_key_delete,
    service_account_create,
    service_account_delete,
    service_account_rename,
    service_token_revoke,
)
from accounts.services.environments import environment_create, environment_delete, environment_update
from accounts.services.members import invitation_revoke, member_invite
from accounts.services.organizations import SETTINGS_FIELDS, organization_create, organization_update
from permissions.admin.bases import MemberCountAdmin, ReadOnlyAdmin, ServiceAdmin, changed, cleaned, operator_write
from permissions.admin.object_grants import GuardedServiceAdmin
from permissions.engine import restrict
from permissions.models import PermissionGroup


def organizations_readable_as(user, node_type: str):
    """The organizations whose `node_type` node (``org_member``: its members) `user` may read."""
    return restrict(Organization.objects.all(), user, "read", node_type=node_type)


class _MemberRowsAdmin:
    """Rows about the members of an organization: seen by whoever may list its members (read on its
    ``org_member`` node). ``organization_field`` is the foreign key to that organization."""

    organization_field = "org"

    def visible_to_staff(self, queryset, user):
        return queryset.filter(**{f"{self.organization_field}__in": organizations_readable_as(user, "org_member")})


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    """People and service accounts. The password hash is never shown."""

    def visible_to_staff(self, queryset, user):
        # Themselves, and the members of the organizations whose members they may list.
        member_of = Membership.objects.filter(org__in=organizations_readable_as(user, "org_member")).values("user_id")
        return queryset.filter(Q(pk=user.pk) | Q(pk__in=member_of))

    list_display = ("email", "full_name", "kind", "service_account_org", "is_active", "is_staff", "is_superuser", "created", "last_login")
    list_select_related = ("service_account_org",)
    list_filter = ("kind", "is_active", "is_staff", "is_superuser")
    search_fields = ("email", "given_name", "family_name")
    fields = (
        "id",
        "email",
        "given_name",
        "family_name",
        "kind",
        "service_account_org",
        "is_active",
        "is_staff",
        "is_superuser",
        "created",
        "last_login",
        "last_active_at",
    )
    readonly_fields = fields


class ServiceAccountAddForm(forms.ModelForm):
    permission_groups = forms.ModelMultipleChoiceField(
        queryset=PermissionGroup.objects.select_related("org").order_by("org__name", "name"),
        required=False,
        label="Groups",
        help_text="Groups of the same organization the service account joins.",
    )

    class Meta:
        model = ServiceAccount
        fields = ("service_account_org", "given_name")
        labels = {"service_account_org": "Organization", "given_name": "Name"}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service_account_org"].required = True
        self.fields["given_name"].required = True


class ServiceAccountChangeForm(forms.ModelForm):
    class Meta:
        model = ServiceAccount
        fields = ("given_name",)
        labels = {"given_name": "Name"}


@admin.register(ServiceAccount)
class ServiceAccountAdmin(_MemberRowsAdmin, ServiceAdmin):
    """Service accounts: Owners of their organization create, rename and delete them."""

    organization_field = "service_account_org"
    list_display = ("name", "email", "service_account_org", "is_active", "created")
    list_select_related = ("service_account_org",)
    list_filter = ("service_account_org", "is_active")
    search_fields = ("given_name", "email", "service_account_org__name")
    autocomplete_fields = ("service_account_org",)
    form = ServiceAccountChangeForm
    add_form = ServiceAccountAddForm
    add_fields = ("service_account_org", "given_name", "permission_groups")
    fields = ("id", "given_name", "email", "service_account_org", "is_active", "created", "last_active_at")
    readonly_fields = ("id", "email", "service_account_org", "is_active", "created", "last_active_at")

    @admin.display(description="name", ordering="given_name")
    def name(self, obj) -> str:
        return obj.given_name

    def create_through_service(self, request, form):
        data = form.cleaned_data
        return service_account_create(
            actor=request.user,
            org=data["service_account_org"],
            name=data["given_name"],
            group_ids=[group.pk for group in data["permission_groups"]],
        )

    def update_through_service(self, request, obj, form):
        return service_account_rename(
            actor=request.user, org=obj.service_account_org, account_id=obj.pk, name=form.cleaned_data["given_name"]
        )

    def delete_through_service(self, request, obj):
        service_account_delete(actor=request.user, org=obj.service_account_org, account_id=obj.pk)


class OrganizationAddForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ("name",)
        help_texts = {"name": "You become the new organization's first member of Owners."}


# The organization table's own labels are given here rather than as verbose names on the model: a
# migration of accounts_organization remakes its triggers on SQLite (migration 0005).
ORGANIZATION_LABELS = {"api_url": "API URL", "proxy_url": "Proxy URL", "realtime_url": "Realtime URL"}


@admin.register(Organization)
class OrganizationAdmin(MemberCountAdmin, GuardedServiceAdmin):
    """Organizations: created with their built-in groups, settings changed by ``organization_update``.
    No service deletes an organization, so neither does the admin."""

    def visible_to_staff(self, queryset, user):
        return queryset.filter(pk__in=Membership.objects.filter(user=user).values("org_id"))  # membership shows it

    list_display = ("name", "organization_id", "member_count", "create_direct_ownership_grants", "shown_api_url", "created")
    list_filter = ("create_direct_ownership_grants",)
    search_fields = ("name",)
    ordering = ("name",)  # explicit: the member count's GROUP BY drops Meta.ordering
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    add_form = OrganizationAddForm
    add_fields = ("name",)
    fields = ("organization_id", *SETTINGS_FIELDS, "created")
    readonly_fields = ("organization_id", "created")
    member_count_of = "memberships"

    @admin.display(description="members", ordering="member_count")
    def member_count(self, obj) -> int:
        return obj.member_count

    @admin.display(description="ID", ordering="id")
    def organization_id(self, obj) -> str:
        return str(obj.pk)

    @admin.display(description=ORGANIZATION_LABELS["api_url"], ordering="api_url")
    def shown_api_url(self, obj) -> str:
        return obj.api_url or "-"

    def get_form(self, request, obj=None, **kwargs):
        return super().get_form(request, obj, labels=ORGANIZATION_LABELS, **kwargs)

    def create_through_service(self, request, form):
        return organization_create(name=form.cleaned_data["name"], owner=request.user)

    def update_through_service(self, request, obj, form):
        return organization_update(actor=request.user, org=obj, **changed(form, *SETTINGS_FIELDS))


@admin.register(Environment)
class EnvironmentAdmin(ServiceAdmin):
    """An organization's environments, seen by whoever may read the organization and written by the
    environment services ("Manage settings"); deleting one marks it deleted."""

    def visible_to_staff(self, queryset, user):
        return queryset.filter(org__in=restrict(Organization.objects.all(), user, "read"))

    list_display = ("name", "slug", "org", "created", "deleted_at")
    list_select_related = ("org",)
    list_filter = (("deleted_at", admin.EmptyFieldListFilter), "org")
    search_fields = ("name", "slug", "org__name")
    autocomplete_fields = ("org",)
    soft_delete = True
    add_fields = ("org", "name", "slug", "description")
    fields = ("id", "org", "name", "slug", "description", "created", "deleted_at")
    readonly_fields = ("id", "org", "created", "deleted_at")

    def create_through_service(self, request, form):
        return environment_create(actor=request.user, **cleaned(form, "org", "name", "slug", "description"))

    def update_through_service(self, request, obj, form):
        return environment_update(actor=request.user, environment=obj, **changed(form, "name", "slug", "description"))

    def delete_through_service(self, request, obj):
        environment_delete(actor=request.user, environment=obj)


@admin.register(Membership)
class MembershipAdmin(_MemberRowsAdmin, ReadOnlyAdmin):
    list_display = ("user", "org", "created")
    list_select_related = ("user", "org")
    list_filter = ("org",)
    search_fields = ("user__email", "org__name")


@admin.register(Invitation)
class InvitationAdmin(_MemberRowsAdmin, ServiceAdmin):
    """Invitations are made by ``member_invite`` and revoked by ``invitation_revoke`` (the action);
    an invitation is never edited or deleted, it stays as the record of who was invited when."""

    list_display = ("email", "org", "status", "invited_by", "created", "expires_at", "accepted_at", "revoked_at")
    list_select_related = ("org", "invited_by")
    list_filter = ("org", ("accepted_at", admin.EmptyFieldListFilter), ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("email", "org__name")
    autocomplete_fields = ("org", "groups")
    actions = ("revoke_invitations",)
    add_fields = ("org", "email", "groups")
    fields = ("id", "org", "email", "groups", "invited_by", "created", "expires_at", "accepted_at", "accepted_by", "revoked_at")
    readonly_fields = fields

    @admin.display(description="status")
    def status(self, obj) -> str:
        if obj.accepted_at:
            return "accepted"
        if obj.revoked_at:
            return "revoked"
        return "pending" if obj.expires_at > timezone.now() else "expired"

    def create_through_service(self, request, form):
        return member_invite(actor=request.user, **cleaned(form, "org", "email"), group_ids=[g.pk for g in form.cleaned_data["groups"]])

    @admin.action(description="Revoke the selected pending invitations")
    def revoke_invitations(self, request, queryset):
        pending = [invitation for invitation in queryset if invitation.accepted_at is None and invitation.revoked_at is None]
        with operator_write(request):
            for invitation in pending:
                invitation_revoke(actor=request.user, invitation=invitation)
        self.message_user(request, f"Revoked {len(pending)} invitation(s).", messages.SUCCESS)


@admin.register(ApiKey)
class ApiKeyAdmin(ServiceAdmin):
    """People's API keys and service tokens, shown by ``preview_name`` only (never the hash).

    Deleting one revokes it through the credentials service: a service token by an Owner of its
    organization, an API key by its own holder. Creating is left to the pages and the API, which show
    the raw value once."""

    def visible_to_staff(self, queryset, user):
        # Their own keys, and the service tokens of the organizations they own (Owners manage those).
        owned = Organization.objects.filter(
            permission_groups__builtin=PermissionGroup.Builtin.OWNERS, permission_groups__auth_group__user=user
        )
        return queryset.filter(Q(user=user) | Q(kind=ApiKey.Kind.SERVICE_TOKEN, org__in=owned.values("pk")))

    list_display = ("preview_name", "name", "kind", "user", "org", "created", "last_used_at", "expires_at", "revoked_at")
    list_select_related = ("user", "org")
    list_filter = ("kind", "org", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "preview_name", "user__email", "org__name")
    exclude = ("key_hash",)
    fields = ("id", "preview_name", "name", "kind", "user", "org", "created_by", "created", "last_used_at", "expires_at", "revoked_at")
    readonly_fields = fields

    def delete_through_service(self, request, obj):
        if obj.kind == ApiKey.Kind.SERVICE_TOKEN:
            service_token_revoke(actor=request.user, org=obj.org, token_id=obj.pk)
        else:
            api_key_delete(actor=request.user, key_id=obj.pk)
