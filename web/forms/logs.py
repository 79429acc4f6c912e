"""The Logs tab's filters, and saving them as a view.

The filters travel in the page's query string (``?tag=production&score=accuracy&score_min=0.5``), so a
link restores them; :class:`LogFiltersForm` checks them and turns them into the rows' tag and conditions
(:mod:`projects.events.filters`). A saved view keeps them in Braintrust's ``view_data.search``: the tag in
``tag``, the other filters as items of ``filter`` (``{"type": "score", "name": ..., "min": ..., "max":
...}``, ``{"type": "metadata", "path": ..., "value": ...}``, ``{"type": "created", "from": ..., "to":
...}``). :func:`query_of_view_data` turns them back into a query string; what a view made elsewhere holds
and this page does not know is left out, and what it holds wrongly is refused by the form when opened,
as if typed.
"""

from datetime import UTC
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from projects.events.filters import CreatedBetween, MetadataEquals, RowConditions, ScoreRange

FILTER_KEYS = ("tag", "score", "score_min", "score_max", "metadata_key", "metadata_value", "since", "until")
_WHEN = forms.DateTimeInput(attrs={"type": "datetime-local", "step": "1"}, format="%Y-%m-%dT%H:%M:%S")


def _path(text: str) -> tuple[str, ...] | None:
    """The keys of a dotted path (``model.name``), or None if one is empty or a whole number, which a JSON
    path would read as a position in a list rather than a key."""
    parts = tuple(text.split("."))
    if any(not part.strip() or part.strip().isdigit() for part in parts):
        return None
    return tuple(part.strip() for part in parts)


class LogFiltersForm(forms.Form):
    """What the Logs tab's rows are filtered by: each filter keeps the traces that have a row meeting it."""

    tag = forms.CharField(
        label="Tag", required=False, max_length=255, widget=forms.TextInput(attrs={"type": "search", "list": "project-tags"})
    )
    score = forms.CharField(label="Score", required=False, max_length=255, help_text="The score's name")
    score_min = forms.FloatField(label="Score from", required=False, min_value=0, max_value=1)
    score_max = forms.FloatField(label="Score to", required=False, min_value=0, max_value=1)
    metadata_key = forms.CharField(label="Metadata field", required=False, max_length=255, help_text="A key, or a path such as model.name")
    metadata_value = forms.CharField(label="Metadata value", required=False, max_length=1000, strip=False)
    since = forms.DateTimeField(label="From", required=False, widget=_WHEN, help_text="UTC")
    until = forms.DateTimeField(label="To", required=False, widget=_WHEN, help_text="UTC")

    def clean_score(self) -> str:
        score = self.cleaned_data["score"]
        if score and ("." in score or _path(score) is None):
            raise forms.ValidationError("A score's name is one word or more, without dots, and not a whole number.")
        return score

    def clean_metadata_key(self) -> str:
        key = self.cleaned_data["metadata_key"]
        if key and _path(key) is None:
            raise forms.ValidationError("Name a key, or keys joined by dots; a key is not empty nor a whole number.")
        return key

    def clean(self) -> dict:
        cleaned = super().clean()
        low, high = cleaned.get("score_min"), cleaned.get("score_max")
        if (low is not None or high is not None) and not cleaned.get("score") and "score" not in self.errors:
            self.add_error("score", "Name the score the range is for.")
        if low is not None and high is not None and low > high:
            self.add_error("score_max", "“Score to” must not be below “Score from”.")
        key, value = cleaned.get("metadata_key"), cleaned.get("metadata_value")
        if value and not key and "metadata_key" not in self.errors:
            self.add_error("metadata_key", "Name the metadata field the value is for.")
        if key and not value:
            self.add_error("metadata_value", "Give the value the metadata field must have.")
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", "“To” must be after “From”.")
        return cleaned

    # What the filters select

    def tags(self) -> list[str] | None:
        tag = self.cleaned_data.get("tag")
        return [tag] if tag else None

    def conditions(self) -> RowConditions:
        data = self.cleaned_data
        conditions: list = []
        if data.get("score"):
            conditions.append(ScoreRange(data["score"], data.get("score_min"), data.get("score_max")))
        if data.get("metadata_key"):
            conditions.append(MetadataEquals(_path(data["metadata_key"]), data["metadata_value"]))
        if data.get("since") or data.get("until"):
            conditions.append(CreatedBetween(data.get("since"), data.get("until")))
        return RowConditions(tuple(conditions))

    def query(self) -> dict[str, str]:
        """The filters given, as the query string carries them."""
        return {key: self.data[key] for key in FILTER_KEYS if self.data.get(key)}

    def view_data(self) -> dict:
        """The filters as a saved view's definition (see the module's docstring)."""
        data = self.cleaned_data
        filters: list[dict[str, Any]] = []
        if data.get("score"):
            filters.append({"type": "score", "name": data["score"], "min": data.get("score_min"), "max": data.get("score_max")})
        if data.get("metadata_key"):
            filters.append({"type": "metadata", "path": data["metadata_key"], "value": data["metadata_value"]})
        if data.get("since") or data.get("until"):
            when = {key: data[field].isoformat() if data.get(field) else None for key, field in (("from", "since"), ("to", "until"))}
            filters.append({"type": "created", **when})
        return {"search": {"tag": [data["tag"]] if data.get("tag") else [], "filter": filters}}


def _as_text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return f"{value:g}"
    return value if isinstance(value, str) else None


def _as_input_time(value: Any) -> str | None:
    """A stored instant as the time box shows it (UTC, no offset); text that is no instant stays as it is,
    for the form to refuse."""
    if not isinstance(value, str):
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        return value
    if timezone.is_aware(parsed):
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed.strftime("%Y-%m-%dT%H:%M:%S")


def query_of_view_data(view_data: Any) -> dict[str, str]:
    """The Logs tab's query string for a saved view's definition (what it knows of it)."""
    search = view_data.get("search") if isinstance(view_data, dict) else None
    if not isinstance(search, dict):
        return {}
    query: dict[str, str | None] = {}
    tags = search.get("tag")
    if isinstance(tags, list) and tags and isinstance(tags[0], str):
        query["tag"] = tags[0]
    for item in search.get("filter") or ():
        if not isinstance(item, dict):
            continue
        if item.get("type") == "score":
            query.update(score=_as_text(item.get("name")), score_min=_as_text(item.get("min")), score_max=_as_text(item.get("max")))
        elif item.get("type") == "metadata":
            query.update(metadata_key=_as_text(item.get("path")), metadata_value=_as_text(item.get("value")))
        elif item.get("type") == "created":
            query.update(since=_as_input_time(item.get("from")), until=_as_input_time(item.get("to")))
    return {key: value for key, value in query.items() if value}


class SaveViewForm(forms.Form):
    """The name a person saves the Logs tab's current filters under."""

    name = forms.CharField(label="View name", max_length=255)
