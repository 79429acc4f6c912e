"""Forms of the Members page: inviting people and choosing a member's groups."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from accounts.models import normalize_email
from permissions.models import PermissionGroup

NO_GROUP = ""


def may_not_add_to(group: PermissionGroup) -> str:
    """The refusal of inviting into `group`, naming it, what it takes and whom to ask."""
    return (
        f"You can't add members to {group.name}: that needs Update on the group (in its Group access). "
        "Choose another group, or ask an Owner."
    )


def default_group(groups: list[PermissionGroup]) -> PermissionGroup | None:
    """The group an invitation starts with: Viewers, the least a member can be given, when offered;
    otherwise the first offered group that is not Owners; None when no group is offered."""
    builtin = PermissionGroup.Builtin
    return (
        next((g for g in groups if g.builtin == builtin.VIEWERS), None)
        or next((g for g in groups if g.builtin != builtin.OWNERS), None)
        or next(iter(groups), None)
    )


class _GroupField(forms.ChoiceField):
    """A choice among the offered groups, whose value the form itself judges (:meth:`InviteForm.clean_group`),
    so that asking for a group that is not offered is refused with the group's name rather than its id."""

    def validate(self, value) -> None:
        forms.Field.validate(self, value)


class InviteForm(forms.Form):
    """Invite people into one group, or into none.

    Only the groups the inviter may add members to are offered (update on the group, as the service
    checks); inviting into no group needs only "Manage members (invite)", so it is always offered.
    """

    emails = forms.CharField(
        label="Emails",
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "ada@example.com\ngrace@example.com"}),
        help_text="One email address per line.",
    )
    group = _GroupField(label="Permission group", required=False, help_text="The group the invited people join.")

    def __init__(self, *args, groups=(), others=(), **kwargs):
        """`groups`: those offered; `others`: the organization's other groups, named when asked for."""
        groups = list(groups)
        if "initial" not in kwargs:
            chosen = default_group(groups)
            kwargs["initial"] = {"group": str(chosen.pk) if chosen else NO_GROUP}
        super().__init__(*args, **kwargs)
        self.offered = {str(group.pk): group for group in groups}
        self.others = {str(group.pk): group for group in others if str(group.pk) not in self.offered}
        self.fields["group"].choices = [*((pk, group.name) for pk, group in self.offered.items()), (NO_GROUP, "No group")]
        if not groups:
            self.fields["group"].help_text = (
                "You may add members to no group, so the invited people join in no group; "
                "someone who may edit a group can add them to it later."
            )

    def clean_group(self) -> PermissionGroup | None:
        value = self.cleaned_data.get("group") or NO_GROUP
        if value == NO_GROUP:
            return None
        if value in self.offered:
            return self.offered[value]
        if value in self.others:
            raise ValidationError(may_not_add_to(self.others[value]))
        raise ValidationError("Choose a group from the list.")

    def clean_emails(self) -> list[str]:
        emails = [normalize_email(line) for line in self.cleaned_data["emails"].splitlines() if line.strip()]
        if not emails:
            raise ValidationError("Enter at least one email address.")
        invalid = []
        for email in emails:
            try:
                validate_email(email)
            except ValidationError:
                invalid.append(email)
        if invalid:
            raise ValidationError(f"Not valid email addresses: {', '.join(invalid)}.")
        return list(dict.fromkeys(emails))


class MemberGroupsForm(forms.Form):
    """The groups a member is in, among those the person editing may change."""

    groups = forms.MultipleChoiceField(label="Groups", required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["groups"].choices = [(str(group.pk), group.name) for group in groups]
