"""The form of the Organization settings page."""

from django import forms


class OrganizationForm(forms.Form):
    name = forms.CharField(label="Organization name", max_length=255)
    api_url = forms.URLField(
        label="API URL", required=False, max_length=2048, assume_scheme="https", help_text="Where SDKs send requests for this organization."
    )
    proxy_url = forms.URLField(label="Proxy URL", required=False, max_length=2048, assume_scheme="https")
    realtime_url = forms.URLField(label="Realtime URL", required=False, max_length=2048, assume_scheme="https")
    create_direct_ownership_grants = forms.BooleanField(
        label="Create direct ownership grants",
        required=False,
        help_text="Whoever creates a project, experiment, dataset, prompt or playground receives the owner role on it.",
    )
