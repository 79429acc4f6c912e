"""A group's "Group access" dialog: who may read, update, delete and manage access to the group.

The dialog reads and writes the grants on the group through ``permissions.boxes``, per principal.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect

from accounts.principals import Principal, principal_choices, principals_of
from permissions.boxes import GROUP_ACCESS_BOXES, boxes_by_subject, role_names_of, save_boxes
from permissions.engine.nodes import Node
from permissions.requirements import NeedsAny, Requirement
from web.flags import GroupFlags
from web.forms.groups import GroupAccessForm
from web.views.groups.dialogs import GroupDialogOnGroup, _groups_url
from web.views.outcomes import save_form


@dataclass
class Holder:
    """A principal holding grants on the group, with the boxes they tick (the form's, once posted)."""

    principal: Principal
    ticked: set[str]
    other_grants: list[str]
    expiries: Mapping[str, datetime] = field(default_factory=dict)  # when ticked boxes stop counting


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
