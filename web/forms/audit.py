"""The filters of the audit log page."""

from django import forms
from django.db.models import Q


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label="Actor email", required=False, max_length=254)
    action = forms.ChoiceField(label="Action", required=False)
    target_type = forms.ChoiceField(label="Target type", required=False)
    target = forms.CharField(label="Target name or id", required=False, max_length=255)
    since = forms.DateTimeField(label="From", required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), help_text="UTC")
    until = forms.DateTimeField(label="To", required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), help_text="UTC")

    def __init__(self, *args, actions=(), target_types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", "Any action"), *((a, a) for a in actions)]
        self.fields["target_type"].choices = [("", "Any target"), *((t, t.replace("_", " ")) for t in target_types)]

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", "“To” must be after “From”.")
        return cleaned

    def filter(self, events):
        data = self.cleaned_data
        if data.get("actor"):
            events = events.filter(actor_email__icontains=data["actor"].strip())
        if data.get("action"):
            events = events.filter(action=data["action"])
        if data.get("target_type"):
            events = events.filter(target_type=data["target_type"])
        if data.get("target"):
            target = data["target"].strip()
            events = events.filter(Q(target_name__icontains=target) | Q(target_id=target))
        if data.get("since"):
            events = events.filter(created__gte=data["since"])
        if data.get("until"):
            events = events.filter(created__lte=data["until"])
        return events
