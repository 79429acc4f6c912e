"""Settings → Members: who is in the organization, in which groups, and inviting, regrouping and removing.

Reading the page needs read on org_member (every built-in group holds it). The Invite form shows with create on org_member and offers
the groups on which the person holds update (adding a member to a group is updating it), Remove shows
with delete on org_member, and a member's groups are editable for the groups on which the person holds
update. The services check all of it again and write the audit events.
"""

from functools import partial
from uuid import UUID

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse

from accounts.models import Invitation, Membership, User
from accounts.selectors import invitation_in, membership_in, pending_invitations_of, people_of
from accounts.services.invitations import invitation_resend, member_invite_with_link
from accounts.services.members import invitation_revoke, member_remove
from permissions.engine.nodes import Node
from permissions.exceptions import AccessDenied, NotFound, ValidationError
from permissions.models import PermissionGroup
from permissions.requirements import Needs
from permissions.selectors import direct_groups_by_member, groups_of, groups_visible_to
from permissions.services.groups import user_groups_set
from web.confirm import Confirmation, counted, named
from web.context import OrgPage
from web.forms.members import InviteForm, MemberGroupsForm, may_not_add_to
from web.views.outcomes import report, save_form


class MembersPage(OrgPage):
    template_name = "web/settings/members.html"
    section = "members"

    def requirements_get(self):
        return [Needs("read", Node("org_member", self.org.pk))]

    def groups(self) -> list[PermissionGroup]:
        return list(groups_of(self.org))

    def editable_groups(self, groups: list[PermissionGroup]) -> list[PermissionGroup]:
        """The groups whose members the person may change (update on the group), restricted in the database."""
        editable = set(groups_visible_to(self.request.user, self.org, "update").values_list("pk", flat=True))
        return [group for group in groups if group.pk in editable]

    def get_context_data(self, invite_form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        groups = self.groups()
        editable = self.editable_groups(groups)
        memberships = people_of(self.org)
        by_member = direct_groups_by_member(groups)
        members = [
            {
                "user": membership.user,
                "groups": by_member.get(membership.user_id, []),
                "remove": (
                    member_remove_confirmation(self.org, membership.user, by_member.get(membership.user_id, []))
                    if self.flags.can_remove_members
                    else None
                ),
                "form": MemberGroupsForm(
                    groups=editable,
                    initial={"groups": [str(g.pk) for g in by_member.get(membership.user_id, []) if g in editable]},
                    prefix=f"m{membership.user_id.hex}",
                ),
            }
            for membership in memberships
        ]
        invitations = []
        if self.flags.can_invite:
            invitations = pending_invitations_of(self.org)
        context.update(
            members=members,
            invitations=[
                {"invitation": invitation, "revoke": invitation_revoke_confirmation(self.org, invitation)} for invitation in invitations
            ],
            can_edit_groups=bool(editable),
            invite_form=invite_form or InviteForm(groups=editable),
        )
        return context


class InviteMembers(MembersPage):
    """POST: invite every address into the chosen group (or none), all or none.

    A refusal about the group, whether the form's (a group not offered) or the service's (the person lost
    update on it meanwhile), comes back as the open dialog with what was typed and an error naming the
    group, rather than as a page that loses the form.
    """

    http_method_names = ["post"]

    def requirements_post(self):
        # the dialog's refusals render the whole page again, members included: reading them is needed too
        return [Needs("create", Node("org_member", self.org.pk)), Needs("read", Node("org_member", self.org.pk))]

    def post(self, request, *args, **kwargs):
        groups = self.groups()
        editable = self.editable_groups(groups)
        form = InviteForm(request.POST, groups=editable, others=groups)
        invited = save_form(form, lambda data: self.invite(data["emails"], data["group"]))
        if invited is None:
            return self.render_to_response(self.get_context_data(invite_form=form), status=400)
        count = len(invited)
        messages.success(request, f"Invited {count} {'person' if count == 1 else 'people'}.")
        return redirect(_members_url(self.org))

    def invite(self, emails: list[str], group: PermissionGroup | None) -> list[str]:
        try:
            with transaction.atomic():
                for email in emails:
                    member_invite_with_link(
                        actor=self.request.user,
                        org=self.org,
                        email=email,
                        group_ids=[group.pk] if group else [],
                        site_url=self.request.build_absolute_uri("/"),
                    )
        except (AccessDenied, NotFound) as refusal:
            if group is None or refusal.object_type != "group":
                raise
            raise ValidationError(may_not_add_to(group)) from refusal
        return emails


class MembersChange(MembersPage):
    """POST: a button of the Members page about one member or invitation, which goes back to the page."""

    http_method_names = ["post"]

    def member(self) -> Membership:
        member = membership_in(self.org, self.kwargs["user_id"])
        if member is None:
            raise Http404("No such member.")
        return member

    def invitation(self) -> Invitation:
        invitation = invitation_in(self.org, self.kwargs["invitation_id"])
        if invitation is None:
            raise Http404("No such invitation.")
        return invitation


class ChangeMemberGroups(MembersChange):
    """POST: set a member's groups among those the person may edit, in one transaction."""

    def post(self, request, *args, **kwargs):
        member = self.member()
        editable = self.editable_groups(self.groups())
        form = MemberGroupsForm(request.POST, groups=editable, prefix=f"m{member.user_id.hex}")
        if not form.is_valid():
            messages.error(request, "Choose groups from the list.")
            return redirect(_members_url(self.org))
        change = partial(
            user_groups_set,
            actor=request.user,
            user_id=member.user_id,
            groups=editable,
            wanted={UUID(value) for value in form.cleaned_data["groups"]},
            current={g.pk for g in direct_groups_by_member(editable).get(member.user_id, [])},
        )
        report(request, change, success=f"Updated the groups of {member.user.email}.")
        return redirect(_members_url(self.org))


class RemoveMember(MembersChange):
    """Remove a member from the organization (the last-owner rule answers with a clear message). GET asks,
    as a page (the Members page asks in a dialog); POST removes."""

    http_method_names = ["get", "post"]
    template_name = "web/settings/confirm_page.html"

    def requirements_get(self):
        return [Needs("read", Node("org_member", self.org.pk)), Needs("delete", Node("org_member", self.org.pk))]

    def get(self, request, *args, **kwargs):
        member = self.member()
        groups = direct_groups_by_member(self.groups()).get(member.user_id, [])
        context = OrgPage.get_context_data(self)
        context.update(confirm=member_remove_confirmation(self.org, member.user, groups), back_label="Members")
        return self.render_to_response(context)

    def post(self, request, *args, **kwargs):
        member = self.member()
        change = partial(member_remove, actor=request.user, org=self.org, user=member.user)
        report(request, change, success=f"Removed {member.user.email} from {self.org.name}.")
        return redirect(_members_url(self.org))


class RevokeInvitation(MembersChange):
    """Revoke a pending invitation. GET asks, as a page (the Members page asks in a dialog); POST revokes."""

    http_method_names = ["get", "post"]
    template_name = "web/settings/confirm_page.html"

    def requirements_get(self):
        return [Needs("create", Node("org_member", self.org.pk))]

    def get(self, request, *args, **kwargs):
        invitation = self.invitation()
        if invitation.accepted_at or invitation.revoked_at:  # what the Members page lists, expired ones too
            raise Http404("No such pending invitation.")
        context = OrgPage.get_context_data(self)
        context.update(confirm=invitation_revoke_confirmation(self.org, invitation), back_label="Members")
        return self.render_to_response(context)

    def post(self, request, *args, **kwargs):
        invitation = self.invitation()
        change = partial(invitation_revoke, actor=request.user, invitation=invitation)
        report(request, change, success=f"Revoked the invitation of {invitation.email}.")
        return redirect(_members_url(self.org))


class ResendInvitation(MembersChange):
    """POST: email a pending invitation again with a new link; the previous link stops working."""

    def post(self, request, *args, **kwargs):
        invitation = self.invitation()
        change = partial(invitation_resend, actor=request.user, invitation=invitation, site_url=request.build_absolute_uri("/"))
        report(request, change, success=f"Sent the invitation to {invitation.email} again.")
        return redirect(_members_url(self.org))


def member_remove_confirmation(org, user: User, groups: list[PermissionGroup]) -> Confirmation:
    """The question before removing `user` from `org`: the groups they leave, whether they are an Owner,
    and that their grants and API keys there go (as :func:`member_remove` does)."""
    name = f"{user.get_full_name()} ({user.email})" if user.get_full_name() else user.email
    goes = []
    if any(group.builtin == PermissionGroup.Builtin.OWNERS for group in groups):
        goes.append(f"They are an Owner of {org.name}: they stop being one.")
    if groups:
        goes.append(f"They leave {counted(len(groups), 'group')}, and what those grant: {named([group.name for group in groups])}.")
    else:
        goes.append("They are in no group.")
    goes.append(f"Every grant made to them in {org.name} goes, and their API keys for {org.name} stop working at once.")
    return Confirmation(
        key=f"remove-member-{user.pk.hex}",
        title=f"Remove {name} from {org.name}?",
        action=reverse("web:member-remove", kwargs={"org_name": org.name, "user_id": user.pk}),
        button="Remove member",
        back_url=_members_url(org),
        goes=goes,
    )


def invitation_revoke_confirmation(org, invitation: Invitation) -> Confirmation:
    """The question before revoking an invitation: its link stops working, and the groups it offered."""
    goes = [f"The link sent to {invitation.email} stops working: they do not join {org.name} through it."]
    groups = [group.name for group in invitation.groups.all()]  # prefetched by the Members page
    if groups:
        goes.append(f"They would have joined {named(sorted(groups, key=str.casefold))}.")
    return Confirmation(
        key=f"revoke-invitation-{invitation.pk.hex}",
        title=f"Revoke the invitation of {invitation.email}?",
        action=reverse("web:invitation-revoke", kwargs={"org_name": org.name, "invitation_id": invitation.pk}),
        button="Revoke invitation",
        back_url=_members_url(org),
        goes=goes,
    )


def _members_url(org) -> str:
    return reverse("web:members", kwargs={"org_name": org.name})
