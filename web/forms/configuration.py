"""Forms of a project's Configuration page: tags, span iframes and scores (human review, aggregate, online
scoring).

They parse and validate what was typed; the services of :mod:`projects.services.configuration` decide and
validate the score definitions.
"""

from decimal import Decimal

from django import forms
from django.forms import formset_factory

from permissions.exceptions import ValidationError
from projects.models import ProjectScore
from projects.models.span_iframes import URL_MAX_LENGTH
from projects.services.configuration.tag_colors import TAG_COLOR_HINT, is_tag_color
from projects.services.span_iframes import check_iframe_url

ScoreType = ProjectScore.ScoreType
HUMAN_REVIEW_TYPES = (ScoreType.SLIDER, ScoreType.CATEGORICAL, ScoreType.FREE_FORM)
AGGREGATE_TYPES = (ScoreType.WEIGHTED, ScoreType.MINIMUM, ScoreType.MAXIMUM)
SCORE_TYPE_LABELS = {
    ScoreType.SLIDER: "Slider",
    ScoreType.CATEGORICAL: "Categorical",
    ScoreType.FREE_FORM: "Free-form text",
    ScoreType.WEIGHTED: "Weighted average",
    ScoreType.MINIMUM: "Minimum",
    ScoreType.MAXIMUM: "Maximum",
    ScoreType.ONLINE: "Online scoring rule",
}


class TagForm(forms.Form):
    name = forms.CharField(label="Name", max_length=255)
    color = forms.CharField(
        label="Color",
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "#1f77b4"}),
        help_text="A CSS color: #1f77b4, teal, rgb(31, 119, 180).",
    )
    description = forms.CharField(label="Description", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_color(self) -> str:
        """The service's own check, so that the page refuses what the API refuses, next to the field."""
        color = self.cleaned_data["color"].strip()
        if color and not is_tag_color(color):
            raise forms.ValidationError(f"{color!r} is not a color: {TAG_COLOR_HINT}.")
        return color


class RowForm(forms.Form):
    """One row of a score's definition: a category (name and value) or a score name and its weight."""

    name = forms.CharField(max_length=255, required=False)
    value = forms.FloatField(required=False, widget=forms.NumberInput(attrs={"step": "any"}))

    row_label = "Row"
    name_label = "name"
    value_label = "value"
    value_attrs: dict[str, str] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        number = int(self.prefix.rsplit("-", 1)[-1]) + 1 if self.prefix else 1
        self.fields["name"].label = f"{self.row_label} {number} {self.name_label}"
        self.fields["value"].label = f"{self.row_label} {number} {self.value_label}"
        self.fields["value"].widget.attrs.update(self.value_attrs)


class CategoryRowForm(RowForm):
    row_label, name_label, value_label = "Category", "name", "value"
    value_attrs = {"min": "0", "max": "1"}

    def clean(self):
        data = super().clean()
        name, value = (data.get("name") or "").strip(), data.get("value")
        if name and value is None and "value" not in self.errors:
            self.add_error("value", "Give this category a value from 0 to 1.")
        if value is not None and not name:
            self.add_error("name", "Give this category a name.")
        return data


class WeightRowForm(RowForm):
    row_label, name_label, value_label = "Score", "name", "weight"
    value_attrs = {"min": "0", "placeholder": "1"}

    def clean(self):
        data = super().clean()
        if data.get("value") is not None and not (data.get("name") or "").strip():
            self.add_error("name", "Name the score this weight is for.")
        return data


CategoryRows = formset_factory(CategoryRowForm, extra=3)
WeightRows = formset_factory(WeightRowForm, extra=3)


class ScoreForm(forms.Form):
    name = forms.CharField(label="Name", max_length=255)
    description = forms.CharField(label="Description", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class HumanReviewForm(ScoreForm):
    score_type = forms.ChoiceField(
        label="Score type",
        choices=[(t.value, SCORE_TYPE_LABELS[t]) for t in HUMAN_REVIEW_TYPES],
        help_text="Slider: a value from 0 to 1. Categorical: one of the categories below. Free-form text: a comment.",
    )
    multi_select = forms.BooleanField(label="Allow multiple choice", required=False, help_text="Categorical scores only.")


class AggregateForm(ScoreForm):
    score_type = forms.ChoiceField(
        label="Aggregate",
        choices=[(t.value, SCORE_TYPE_LABELS[t]) for t in AGGREGATE_TYPES],
        help_text="The weighted average, the lowest or the highest of the scores named below.",
    )


class OnlineScoringForm(ScoreForm):
    scorers = forms.MultipleChoiceField(
        label="Scorers",
        help_text="Built-in scorers, and the organization's scorer functions you may read. Hold Ctrl (⌘ on a Mac) to choose several.",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    sampling_rate = forms.DecimalField(
        label="Sampling rate (%)",
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=4,
        initial=Decimal(10),
        help_text="The share of new spans scored, from 0 to 100%.",
    )
    apply_to_root_span = forms.BooleanField(label="Apply to root span", required=False, initial=True)
    span_names = forms.CharField(
        label="Apply to spans named",
        required=False,
        max_length=2000,
        help_text="Comma-separated span names, scored besides the root span.",
    )

    def __init__(self, *args, scorer_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scorers"].choices = scorer_choices

    def clean_span_names(self) -> list[str]:
        return list(dict.fromkeys(name.strip() for name in self.cleaned_data["span_names"].split(",") if name.strip()))


class SpanIframeForm(forms.Form):
    """A span iframe: a page of the team's own tools that each span's page embeds, sandboxed."""

    name = forms.CharField(label="Name", max_length=255)
    url = forms.CharField(
        label="URL",
        max_length=URL_MAX_LENGTH,
        widget=forms.URLInput(attrs={"placeholder": "https://tools.example.com/span-viewer"}),
        help_text="An https address. It is shown in a sandboxed frame, without this site's cookies, on each span's page.",
    )
    description = forms.CharField(label="Description", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    post_message = forms.BooleanField(
        label="Send the span to the frame",
        required=False,
        help_text='Posts the span to the page as {type: "data_update", data: ...} when it loads and when it asks with '
        '{type: "request_data"}; addressed to the URL\'s origin only.',
    )

    def clean_url(self) -> str:
        """The service's own rule, so that the page refuses what the API refuses, next to the field."""
        try:
            return check_iframe_url(self.cleaned_data["url"])
        except ValidationError as exc:
            raise forms.ValidationError(" ".join(exc.messages).removeprefix("url: ")) from exc
