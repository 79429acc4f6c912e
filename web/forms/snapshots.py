"""The form that snapshots a dataset from its page: a name, a description, and the version it names
(the dataset's latest when left empty)."""

from django import forms


class SnapshotForm(forms.Form):
    name = forms.CharField(label="Name", max_length=255)
    description = forms.CharField(label="Description", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    xact_id = forms.IntegerField(
        label="Version",
        required=False,
        min_value=0,
        max_value=2**63 - 1,
        help_text="A transaction id of the dataset. Leave it empty for the dataset as it is now.",
    )
