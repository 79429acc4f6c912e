"""Forms of the Service accounts and API keys pages."""

from datetime import UTC, date, datetime, time

from django import forms
from django.utils import timezone


class ServiceAccountForm(forms.Form):
    name = forms.CharField(label="Name", max_length=255)
    groups = forms.MultipleChoiceField(
        label="Permission groups", required=False, widget=forms.CheckboxSelectMultiple, help_text="The groups the account acts through."
    )

    def __init__(self, *args, groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["groups"].choices = [(str(group.pk), group.name) for group in groups]


class RenameForm(forms.Form):
    name = forms.CharField(label="Name", max_length=255)


class AccountGroupsForm(forms.Form):
    groups = forms.MultipleChoiceField(label="Permission groups", required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["groups"].choices = [(str(group.pk), group.name) for group in groups]


class NewTokenForm(forms.Form):
    """A name and an optional last day: the token stops working when that day ends (UTC)."""

    name = forms.CharField(label="Name", max_length=255)
    expires_on = forms.DateField(
        label="Expires after",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Optional. The last day it works (until midnight UTC). Leave empty for no expiry.",
    )

    def clean_expires_on(self) -> date | None:
        day = self.cleaned_data["expires_on"]
        if day is not None and day < timezone.now().date():
            raise forms.ValidationError("Choose today or a later day.")
        return day

    def expires_at(self) -> datetime | None:
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return datetime.combine(day, time.max, tzinfo=UTC)
