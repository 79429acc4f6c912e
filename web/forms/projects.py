"""The form of the Projects page."""

from django import forms


class ProjectForm(forms.Form):
    name = forms.CharField(label="Project name", max_length=255)
    description = forms.CharField(label="Description", required=False, widget=forms.Textarea(attrs={"rows": 2}))
