"""A group's "Permissions" dialog: what the group may do in the organization and in all its projects.

The dialog reads and writes the grants through ``permissions.boxes``, with a Preview of what saving would
give and take.
"""

from permissions.boxes import ORGANIZATION_BOXES, Subject, held_boxes, save_boxes
from permissions.engine.nodes import Node
from permissions.models import PermissionGroup
from permissions.requirements import Needs, NeedsSight, Requirement
from permissions.services.preview import dry_run, grant_change_targets, grant_change_within
from web.forms.groups import BoxesForm
from web.views.groups.dialogs import GroupAccessChange


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
