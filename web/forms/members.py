"""Forms of the Members page: inviting people and choosing a member's groups."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from accounts.models import normalize_email


class InviteForm(forms.Form):
    emails = forms.CharField(
        label="Emails",
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "ada@example.com\ngrace@example.com"}),
        help_text="One email address per line.",
    )
    group = forms.ChoiceField(label="Permission group", help_text="The group the invited people join.")

    def __init__(self, *args, groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [(str(group.pk), group.name) for group in groups]

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
