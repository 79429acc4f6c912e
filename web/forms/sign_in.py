"""The sign-in form."""

from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

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
