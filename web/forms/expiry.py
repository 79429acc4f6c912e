""" "Until": when a grant or a group membership stops counting, as the pages ask for it.

The input is the browser's ``datetime-local``, which sends a date and time without an offset. The site's
time zone is UTC, so the label says "UTC" and Django reads the value as UTC: what a person types is what
the pages show back, and the instant stored is the one they named. A time that has passed is refused
next to the field, before any service runs, so that nothing is written.
"""

from django import forms
from django.utils import timezone

UNTIL_LABEL = "Until (UTC)"
UNTIL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"


class UntilInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=UNTIL_INPUT_FORMAT)


class UntilField(forms.DateTimeField):
    """An optional instant in the future, typed as UTC."""

    widget = UntilInput

    def __init__(self, **kwargs):
        kwargs.setdefault("label", UNTIL_LABEL)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def validate(self, value):
        super().validate(value)
        if value is not None and value <= timezone.now():
            raise forms.ValidationError("Choose a time in the future (UTC), or leave it empty.")


GRANT_UNTIL_HELP = (
    "Optional. The ticked permissions count until then, the ones already held included; left empty, "
    "new ones never expire and the others keep what they have."
)


class GrantUntilForm(forms.Form):
    """The optional "Until" of a permissions dialog, applied to every grant its Save adds or grants again."""

    until = UntilField(help_text=GRANT_UNTIL_HELP)
