"""``/v1/organization``: the caller's organizations, their settings, and their members.

* ``GET /v1/organization`` lists the caller's organizations: an API key or service token sees only its
  own organization, a browser session every organization of the person. Membership alone makes an
  organization visible (docs/access-model.md), so a member with no grant at all still sees it, here and in
  ``GET /v1/organization/{id}``; changing it answers such a member 403 naming update.
* ``PATCH /v1/organization/{id}`` is "Manage settings" (update on the organization, restricted to
  organization) through ``organization_update``. A field sent as null is left as it is (Braintrust does
  not support setting fields to null); an empty string clears a URL. ``is_universal_api``,
  ``is_dataplane_private`` and ``image_rendering_mode`` are not settings of this server: null is
  accepted and ignored, any other value is refused.
* ``PATCH /v1/organization/members`` invites, adds and removes members and creates service accounts,
  all in one transaction: one refused part refuses the whole request and nothing is written.

  - ``invite_users.ids``: existing people, each invited exactly as by their email (``member_invite_user``):
    nobody joins an organization without accepting. An id that names no person (a missing id, or a
    service account of any organization) is refused with the same message.
  - ``invite_users.emails``: always an invitation (``member_invite``), even when a person with that
    address already has an account, so that the answer never tells whether an address is registered.
    Invitations are not users and are not listed in ``added_users``. This server sends no email: when
    ``send_invite_emails`` is true and invitations were made, ``send_email_error`` says so.
  - ``invite_users.group_ids`` / ``group_id`` / ``group_names`` / ``group_name``: the groups every
    invited or created principal joins (an invited one on accepting). Putting someone into a group needs update on it; a
    group named by name that does not exist, or that the caller cannot see, is refused alike (400).
  - ``invite_users.service_accounts``: Owners only, whatever the credential (``service_account_create``);
    with ``token_name``, a first service token, whose raw value is in ``added_users[].api_key`` and is
    never shown again.
  - ``remove_users.ids`` / ``emails``: members removed with ``member_remove`` (the last-owner rule
    answers 400); an email that names no member but a pending invitation revokes that invitation.
"""

from functools import cached_property
from uuid import UUID

from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Invitation, Organization, normalize_email
from accounts.selectors import credential_organizations, members_with_emails, members_with_ids, pending_invitation_for
from accounts.services.credentials import service_account_create, service_token_create
from accounts.services.members import (
    invitation_revoke,
    member_invite,
    member_invite_user,
    member_remove,
    organization_groups,
    people_with_ids,
)
from accounts.services.organizations import organization_update
from api.authentication import is_api_key_request
from api.base import OrgScopedView, caller_org
from api.common.lists import filter_ids
from api.inputs import StrictBooleanField, StrictCharField, StrictSerializer, StrictUUIDField, uuid_list
from api.pagination import paginate, parse_uuid
from api.schema import list_operation_schema, object_operations_schema, operation_schema, pagination_parameters
from permissions.engine import Node
from permissions.exceptions import ValidationError
from permissions.requirements import Needs, NeedsOwner
from permissions.selectors import groups_named_visible_to


def _without_nulls(data: dict) -> dict:
    """A validated body without the fields sent as null (null leaves a setting as it is)."""
    return {name: value for name, value in data.items() if value is not None}


def _string_list(description: str):
    return serializers.ListField(child=StrictCharField(), required=False, allow_null=True, help_text=description)


# Shapes (Braintrust's field names)

IMAGE_RENDERING_MODES = ("auto", "click_to_load", "blocked")


class OrganizationSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="Unique identifier for the organization")
    name = serializers.CharField(help_text="Name of the organization")
    api_url = serializers.CharField(allow_null=True)
    is_universal_api = serializers.BooleanField(allow_null=True)
    is_dataplane_private = serializers.BooleanField(allow_null=True)
    proxy_url = serializers.CharField(allow_null=True)
    realtime_url = serializers.CharField(allow_null=True)
    created = serializers.DateTimeField(allow_null=True, help_text="Date of organization creation")
    image_rendering_mode = serializers.ChoiceField(choices=IMAGE_RENDERING_MODES, allow_null=True)
    create_direct_ownership_grants = serializers.BooleanField(
        help_text="Whoever creates a project or an object in one receives the owner role on it (this server's setting)."
    )


def organization_json(org: Organization) -> dict:
    return {
        "id": str(org.pk),
        "name": org.name,
        "api_url": org.api_url,
        "is_universal_api": None,
        "is_dataplane_private": None,
        "proxy_url": org.proxy_url,
        "realtime_url": org.realtime_url,
        "created": org.created.isoformat(),
        "image_rendering_mode": None,
        "create_direct_ownership_grants": org.create_direct_ownership_grants,
    }


class PatchOrganizationSerializer(StrictSerializer):
    """Settings to change; a field left out or sent as null stays as it is, "" clears a URL."""

    name = StrictCharField(required=False, allow_null=True, help_text="Name of the organization")
    api_url = StrictCharField(required=False, allow_null=True, allow_blank=True)
    is_universal_api = StrictBooleanField(required=False, allow_null=True, help_text="Not supported here: only null.")
    is_dataplane_private = StrictBooleanField(required=False, allow_null=True, help_text="Not supported here: only null.")
    proxy_url = StrictCharField(required=False, allow_null=True, allow_blank=True)
    realtime_url = StrictCharField(required=False, allow_null=True, allow_blank=True)
    image_rendering_mode = serializers.ChoiceField(
        choices=IMAGE_RENDERING_MODES, required=False, allow_null=True, help_text="Not supported here: only null."
    )
    create_direct_ownership_grants = StrictBooleanField(required=False, allow_null=True)


_UNSUPPORTED_SETTINGS = ("is_universal_api", "is_dataplane_private", "image_rendering_mode")


class ServiceAccountSpecSerializer(StrictSerializer):
    """A service account to create, with a first token if token_name is given."""

    name = StrictCharField()
    token_name = StrictCharField(
        required=False, allow_null=True, help_text="Name of a first service token; its raw value is returned once in added_users."
    )


class InviteUsersSerializer(StrictSerializer):
    """Users to add or invite, service accounts to create, and the groups they all join."""

    ids = uuid_list("Ids of existing users to add at once")
    emails = _string_list("Emails of people to invite (always an invitation)")
    service_accounts = serializers.ListField(
        child=ServiceAccountSpecSerializer(), required=False, allow_null=True, help_text="Service accounts to create (Owners only)"
    )
    send_invite_emails = StrictBooleanField(required=False, allow_null=True)
    group_ids = uuid_list("Groups every added user joins")
    group_names = _string_list("Groups every added user joins, by name")
    group_id = StrictUUIDField(required=False, allow_null=True, help_text="Singular form of group_ids")
    group_name = StrictCharField(required=False, allow_null=True, help_text="Singular form of group_names")


class RemoveUsersSerializer(StrictSerializer):
    """Members to remove from the organization."""

    ids = uuid_list("Ids of members to remove")
    emails = _string_list("Emails of members to remove (or of pending invitations to revoke)")


class PatchOrganizationMembersSerializer(StrictSerializer):
    """Members to add and remove, in one transaction."""

    invite_users = InviteUsersSerializer(required=False, allow_null=True)
    remove_users = RemoveUsersSerializer(required=False, allow_null=True)
    org_name = StrictCharField(required=False, allow_null=True)
    org_id = StrictUUIDField(required=False, allow_null=True)


class AddedUserSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.CharField(allow_null=True)
    api_key = serializers.CharField(allow_null=True, help_text="A new service token, shown once")
    token_name = serializers.CharField(allow_null=True)


class PatchOrganizationMembersOutputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["success"])
    org_id = serializers.UUIDField(help_text="The id of the org that was modified.")
    send_email_error = serializers.CharField(allow_null=True)
    added_users = AddedUserSerializer(many=True, allow_null=True)


# Views


class CallerOrganizations:
    """The organizations the credential may act in (:func:`accounts.selectors.credential_organizations`).
    Any other is "not found" (not a node of the caller's organization, whatever grants exist). Membership
    alone makes an organization visible, so reading one needs nothing more; changing it needs update."""

    queryset = Organization.objects.all()
    org_field = None
    object_type = "organization"
    object_permissions = {"GET": None, "PATCH": "update"}
    list_permission = None

    def safely_get_queryset(self, queryset):
        key = self.request.auth if is_api_key_request(self.request) else None
        return queryset.filter(pk__in=credential_organizations(self.request.user, key).values("pk"))


class OrganizationCollectionView(CallerOrganizations, OrgScopedView):
    @list_operation_schema(
        "organization",
        OrganizationSerializer,
        errors=(400, 401),
        description="The caller's organizations (membership is enough), newest first. An API key or service token sees only its own.",
        parameters=[*pagination_parameters(), OpenApiParameter("org_name", OpenApiTypes.STR, description="Filter by organization name")],
    )
    def get(self, request: Request) -> Response:
        orgs = filter_ids(self.visible_queryset(), request.query_params)
        org_name = request.query_params.get("org_name")
        if org_name:
            orgs = orgs.filter(name=org_name)
        return Response({"objects": [organization_json(org) for org in paginate(orgs, request.query_params)]})


@object_operations_schema(
    name="organization",
    operation="Organization",
    tag="Organizations",
    id_label="Organization",
    output=OrganizationSerializer,
    descriptions={
        "get": None,
        "patch": '"Manage settings": update on the organization. Null leaves a field as it is; "" clears a URL.',
    },
    requests={"patch": PatchOrganizationSerializer},
)
class OrganizationDetailView(CallerOrganizations, OrgScopedView):
    lookup_url_kwarg = "organization_id"

    @property
    def org(self) -> Organization:
        """The organization the path names, so that its own node is checked inside itself."""
        return self.find_object(parse_uuid(self.kwargs["organization_id"], "organization_id")) or caller_org(self.request)

    def get(self, request: Request, organization_id: str) -> Response:
        return Response(organization_json(self.get_object()))

    def patch(self, request: Request, organization_id: str) -> Response:
        changes = _without_nulls(self.body(PatchOrganizationSerializer))
        org = self.get_object()
        unsupported = [name for name in _UNSUPPORTED_SETTINGS if name in changes]
        if unsupported:
            raise ValidationError(f"Not settings of this server (only null is accepted): {', '.join(unsupported)}.")
        org = organization_update(actor=request.user, org=org, **changes)
        return Response(organization_json(org))


class OrganizationMembersView(OrgScopedView):
    """``PATCH /v1/organization/members``: what the body asks decides what the caller needs."""

    @cached_property
    def changes(self) -> dict:
        return _without_nulls(self.body(PatchOrganizationMembersSerializer))

    def requirements_patch(self):
        invite, remove = self.changes.get("invite_users") or {}, self.changes.get("remove_users") or {}
        needs = []
        if invite.get("ids") or invite.get("emails"):
            needs.append(Needs("create", Node("org_member", self.org.pk)))
        if invite.get("service_accounts"):
            needs.append(NeedsOwner("create service accounts"))
        if remove.get("ids") or remove.get("emails"):
            needs.append(Needs("delete", Node("org_member", self.org.pk)))
        return needs

    @operation_schema(
        "patchOrganizationMembers",
        tag="Organizations",
        summary="Modify organization membership",
        answer=PatchOrganizationMembersOutputSerializer,
        description="Add existing users, invite emails, create service accounts (Owners only) and remove members, in one "
        "transaction: a refused part refuses the whole request.",
        request=PatchOrganizationMembersSerializer,
    )
    def patch(self, request: Request) -> Response:
        org = self.org
        invite, remove = self.changes.get("invite_users") or {}, self.changes.get("remove_users") or {}
        with transaction.atomic():
            added, invitations = self._invite(request, org, invite)
            self._remove(request, org, remove)
        send_email_error = None
        if invite.get("send_invite_emails") and invitations:
            send_email_error = "This server does not send invitation emails; the invitations were recorded."
        return Response({"status": "success", "org_id": str(org.pk), "send_email_error": send_email_error, "added_users": added})

    def _invite(self, request: Request, org: Organization, invite: dict) -> tuple[list[dict], list[Invitation]]:
        actor = request.user
        ids = list(dict.fromkeys(invite.get("ids") or []))
        emails = list(dict.fromkeys(normalize_email(e) for e in invite.get("emails") or []))
        accounts = invite.get("service_accounts") or []
        if not (ids or emails or accounts):
            return [], []
        group_ids = self._group_ids(request, org, invite)
        added: list[dict] = []
        invitations = [
            member_invite_user(actor=actor, org=org, user=person, group_ids=group_ids) for person in people_with_ids(ids).values()
        ]
        invitations += [member_invite(actor=actor, org=org, email=email, group_ids=group_ids) for email in emails]
        for spec in accounts:
            account = service_account_create(actor=actor, org=org, name=spec["name"], group_ids=group_ids)
            token_name, raw = spec.get("token_name"), None
            if token_name is not None:
                _, raw = service_token_create(actor=actor, org=org, account_id=account.pk, name=token_name)
            added.append({"id": str(account.pk), "email": account.email, "api_key": raw, "token_name": token_name})
        return added, invitations

    @staticmethod
    def _group_ids(request: Request, org: Organization, invite: dict) -> list[UUID]:
        """Every group the body names, by id or by name; a name the caller cannot see counts as unknown."""
        ids = list(invite.get("group_ids") or [])
        if invite.get("group_id"):
            ids.append(invite["group_id"])
        names = list(invite.get("group_names") or [])
        if invite.get("group_name"):
            names.append(invite["group_name"])
        if names:
            by_name = groups_named_visible_to(request.user, org, names)
            unknown = [n for n in dict.fromkeys(names) if n not in by_name]
            if unknown:
                raise ValidationError(f"No groups with these names in this organization: {', '.join(unknown)}.")
            ids += [by_name[n].pk for n in names]
        ids = list(dict.fromkeys(ids))
        organization_groups(org, ids)  # unknown ids: 400 before anything is written
        return ids

    def _remove(self, request: Request, org: Organization, remove: dict) -> None:
        ids = list(dict.fromkeys(remove.get("ids") or []))
        emails = list(dict.fromkeys(normalize_email(e) for e in remove.get("emails") or []))
        if not (ids or emails):
            return
        members = members_with_ids(org, ids)
        by_email = members_with_emails(org, emails)
        missing = [str(i) for i in ids if i not in members]
        if missing:
            raise ValidationError(f"Not members of this organization: {', '.join(missing)}.")
        pending = {}
        for email in emails:
            if email in by_email:
                continue
            invitation = pending_invitation_for(org, email)
            if invitation is None:
                raise ValidationError(f"Neither a member nor invited to this organization: {email}.")
            pending[email] = invitation
        users = {**members, **{u.pk: u for u in by_email.values()}}
        for user in users.values():
            member_remove(actor=request.user, org=org, user=user)
        for invitation in pending.values():
            invitation_revoke(actor=request.user, invitation=invitation)
