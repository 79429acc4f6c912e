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


NO_END_LABEL = "No end: the ticked permissions count until they are removed, an end they had included"


class UntilOrNoEnd(forms.Form):
    """A permissions dialog's "Until" and "No end": the ticked boxes count until a time, or with no end (an end
    they had is cleared), or, with neither, new ones never expire and the others keep what they have."""

    until = UntilField(help_text=GRANT_UNTIL_HELP)
    no_end = forms.BooleanField(label=NO_END_LABEL, required=False)

    def clean(self):
        data = super().clean()
        if data.get("until") and data.get("no_end"):
            self.add_error("no_end", "Choose an end or no end, not both.")
        return data


class GrantUntilForm(UntilOrNoEnd):
    """The optional "Until" of a permissions dialog, applied to every grant its Save adds or grants again."""
