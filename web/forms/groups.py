"""The forms of the permission groups page: create, edit, the organization-level boxes and group access."""

from collections import defaultdict
from datetime import datetime
from uuid import UUID

from django import forms

from accounts.principals import Principal
from permissions.boxes import GROUP_ACCESS_BOXES, BoxSet
from web.forms.expiry import UNTIL_LABEL, UntilField, UntilOrNoEnd


class GroupCreateForm(forms.Form):
    name = forms.CharField(label="Name", max_length=255)
    description = forms.CharField(label="Description", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class GroupEditForm(forms.Form):
    """A group's name, description and members; a built-in group keeps its name and description."""

    name = forms.CharField(label="Name", max_length=255)
    description = forms.CharField(label="Description", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    member_people = forms.MultipleChoiceField(label="People", required=False, widget=forms.CheckboxSelectMultiple)
    member_service_accounts = forms.MultipleChoiceField(label="Service accounts", required=False, widget=forms.CheckboxSelectMultiple)
    member_groups = forms.MultipleChoiceField(
        label="Member groups",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Everyone in a member group is in this group too.",
    )

    def __init__(
        self,
        *args,
        builtin: bool,
        people=(),
        service_accounts=(),
        groups=(),
        current_users: set[UUID] = frozenset(),
        current_groups: set[UUID] = frozenset(),
        expiries=None,
        may_expire: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        if builtin:
            del self.fields["name"], self.fields["description"]
        self.fields["member_people"].choices = [(str(u.pk), Principal.of_user(u).label) for u in people]
        self.fields["member_service_accounts"].choices = [(str(u.pk), u.get_full_name()) for u in service_accounts]
        self.fields["member_groups"].choices = [(str(g.pk), g.name) for g in groups]
        # "Until" for each current member: when a membership ends can only be said of a membership that
        # exists (the service refuses it of anyone else), and never of Owners (`may_expire`).
        self.until_fields: dict[str, str] = {}  # member field's value -> its "until" field's name
        if may_expire:
            users_expiring = expiries.users if expiries else {}
            groups_expiring = expiries.groups if expiries else {}
            for kind, members, current, expiring in (
                ("user", [*people, *service_accounts], current_users, users_expiring),
                ("group", groups, current_groups, groups_expiring),
            ):
                for member in members:
                    if member.pk in current:
                        self.add_until(kind, member, expiring.get(member.pk))

    @staticmethod
    def until_name(kind: str, member_id: UUID) -> str:
        return f"until-{kind}-{member_id.hex}"

    def add_until(self, kind: str, member, expires_at: datetime | None) -> None:
        label = member.name if kind == "group" else Principal.of_user(member).label
        name = self.until_name(kind, member.pk)
        self.fields[name] = UntilField(label=f"{UNTIL_LABEL}: {label}", initial=expires_at)
        self.until_fields[str(member.pk)] = name

    def until_wanted(self, kind: str, member_id: UUID) -> datetime | None:
        """The "until" the valid form asks for the member (None: never)."""
        return self.cleaned_data.get(self.until_name(kind, member_id))


class BoxesForm(UntilOrNoEnd):
    """The boxes ticked in a permission dialog, among those of its box set."""

    boxes = forms.MultipleChoiceField(required=False)

    def __init__(self, *args, box_set: BoxSet, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["boxes"].choices = [(box.key, box.label) for box in box_set.boxes]


class GroupAccessForm(UntilOrNoEnd):
    """The Group access boxes of every principal listed in the dialog, and one principal to add."""

    listed = forms.MultipleChoiceField(required=False, widget=forms.MultipleHiddenInput)
    new_subject = forms.ChoiceField(label="Add a group, member or service account", required=False)
    new_boxes = forms.MultipleChoiceField(required=False)
    until = UntilField(
        help_text="Optional. The boxes of everyone whose access this save changes or adds count until then, those they keep "
        "included; left empty, new ones never expire and the others keep what they have."
    )

    def __init__(self, *args, holders: list[Principal], candidates: list[Principal], **kwargs):
        super().__init__(*args, **kwargs)
        box_choices = [(box.key, box.label) for box in GROUP_ACCESS_BOXES.boxes]
        known = {p.token: p for p in [*candidates, *holders]}
        self.principals = known
        self.fields["listed"].choices = [(token, p.label) for token, p in known.items()]
        self.fields["new_boxes"].choices = box_choices
        grouped: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for principal in candidates:
            grouped[principal.kind_label_plural].append((principal.token, principal.label))
        self.fields["new_subject"].choices = [("", "Choose…"), *[(kind, choices) for kind, choices in grouped.items()]]
        for principal in known.values():
            self.fields[f"boxes-{principal.token}"] = forms.MultipleChoiceField(choices=box_choices, required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("new_boxes") and not cleaned.get("new_subject"):
            self.add_error("new_subject", "Choose who to give access to.")
        return cleaned

    def wanted(self) -> dict[str, set[str]]:
        """The boxes wanted for each principal the form speaks for (listed ones, and the one added)."""
        wanted = {token: set(self.cleaned_data.get(f"boxes-{token}") or ()) for token in self.cleaned_data["listed"]}
        new = self.cleaned_data.get("new_subject")
        if new:
            wanted[new] = wanted.get(new, set()) | set(self.cleaned_data["new_boxes"])
        return wanted


# Who holds access to a group, and their boxes
