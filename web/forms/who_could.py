"""The question Who could asks: which permission, on what, at which earlier instant.

The instant is typed in the browser's ``datetime-local`` input, as UTC (the site's time zone), like every
"Until" of the pages (:mod:`web.forms.expiry`); a time that has not come yet is refused next to the field.
"""

from django import forms
from django.utils import timezone

from web.forms.check_access import OBJECT_TYPES, PERMISSIONS
from web.forms.expiry import UntilInput

AT_LABEL = "At (UTC)"


class WhoCouldForm(forms.Form):
    object_type = forms.ChoiceField(label="Object type", choices=OBJECT_TYPES)
    object_id = forms.ChoiceField(label="Object", help_text="Among the objects you may see.")
    permission = forms.ChoiceField(label="Permission", choices=PERMISSIONS)
    at = forms.DateTimeField(label=AT_LABEL, widget=UntilInput, help_text="An earlier date and time, in UTC.")

    def __init__(self, *args, objects: list[tuple[str, str]], objects_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["object_id"].choices = objects
        if objects_url:
            self.fields["object_type"].widget.attrs.update(
                {"hx-get": objects_url, "hx-target": "#object-field", "hx-swap": "outerHTML", "hx-trigger": "change"}
            )

    def clean_at(self):
        at = self.cleaned_data["at"]
        if at > timezone.now():
            raise forms.ValidationError("Choose a time that has passed (UTC).")
        return at
