"""Forms of the settings pages. They parse and validate input; the services decide and write."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from accounts.models import normalize_email
from accounts.throttles import login_failure_counters
from braintrust_site.client_address import client_address


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, refused for a while once the account or the client address failed too often.

    Refused even with the right password (otherwise guessing would go on, only slower to confirm), and with
    one message whether or not an account has that email.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": "Too many failed sign-in attempts. Try again in a few minutes.",
    }

    def clean(self):
        email = normalize_email(self.cleaned_data.get("username") or "")
        address = client_address(self.request)
        by_account, by_address = login_failure_counters()
        if by_account.exceeded(email) or by_address.exceeded(address):
            raise ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            cleaned = super().clean()
        except ValidationError:
            by_account.record(email)
            by_address.record(address)
            raise
        by_account.clear(email)
        return cleaned


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
