"""The forms of Settings → Environments, and of the environments panel of a prompt's page.

They parse what was typed; :mod:`accounts.services.environments` and :mod:`projects.services.environments`
decide (a slug taken, a version the prompt never had) and the page shows their refusal by the field.
"""

from django import forms

from accounts.services.environments import is_environment_slug


class EnvironmentForm(forms.Form):
    name = forms.CharField(label="Name", max_length=255)
    slug = forms.CharField(label="Slug", max_length=255, help_text='What code names it by, e.g. load_prompt(..., environment="staging").')
    description = forms.CharField(label="Description", required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"].strip()
        if not is_environment_slug(slug):
            raise forms.ValidationError("Use lowercase letters, digits, hyphens and underscores, starting with a letter or digit.")
        return slug


class PinForm(forms.Form):
    """Pin one of the prompt's versions to one environment."""

    environment = forms.ChoiceField(label="Environment")
    version = forms.TypedChoiceField(label="Version", coerce=int)

    def __init__(self, *args, environments: list[tuple[str, str]], versions: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["environment"].choices = environments
        self.fields["version"].choices = [(str(v), str(v)) for v in versions]


class PromoteForm(forms.Form):
    """Pin, in one environment, the version another one pins ("Promote staging to production")."""

    source = forms.ChoiceField(label="From")
    target = forms.ChoiceField(label="To")

    def __init__(self, *args, environments: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = environments
        self.fields["target"].choices = environments

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("source") and cleaned.get("source") == cleaned.get("target"):
            raise forms.ValidationError("Choose two different environments.")
        return cleaned
