"""The forms of a project's pages: creating an object, and the human review of a row."""

from collections.abc import Sequence

from django import forms
from django.utils.html import format_html

from projects.models import ProjectScore
from web.formatting import percent


class ScoreSlider(forms.NumberInput):
    """A slider score: a range from 0 to 1 with its value shown beside it as a percentage, and a "No score"
    box. A range always has a value, so the box is how a review leaves the score out; it is ticked until
    the slider is moved (static/web/score_slider.js shows the value and unticks the box as it moves)."""

    input_type = "range"

    def __init__(self, attrs: dict | None = None):
        super().__init__({"min": "0", "max": "1", "step": "0.01", "data-score-slider": "", **(attrs or {})})

    @staticmethod
    def no_score_name(name: str) -> str:
        return f"{name}-none"

    def value_from_datadict(self, data, files, name):
        if data.get(self.no_score_name(name)):
            return None
        return super().value_from_datadict(data, files, name)

    def render(self, name, value, attrs=None, renderer=None):
        try:
            shown = float(value) if value not in (None, "") else None
        except (TypeError, ValueError):
            shown = None
        slider = super().render(name, 0.5 if shown is None else value, attrs, renderer)
        input_id = {**self.attrs, **(attrs or {})}.get("id", f"id_{name}")
        return format_html(
            '<div class="score-slider">{}<output id="{}-value" for="{}">{}</output>'
            '<label class="score-slider-none"><input type="checkbox" id="{}-none" name="{}" value="1"{}> No score</label></div>',
            slider,
            input_id,
            input_id,
            "—" if shown is None else f"{round(shown * 100)}%",
            input_id,
            self.no_score_name(name),
            " checked" if shown is None else "",
        )


class RowReviewForm(forms.Form):
    """Human review of one row: a value for each of the project's slider and categorical scores, and a comment."""

    row_id = forms.CharField(widget=forms.HiddenInput, max_length=255)
    comment = forms.CharField(label="Comment", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, scores: Sequence[ProjectScore] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.review_scores = list(scores)
        for score in self.review_scores:
            if score.score_type == ProjectScore.ScoreType.CATEGORICAL:
                choices = [("", "No score"), *((str(c["name"]), f"{c['name']} ({percent(c['value'])})") for c in score.categories or ())]
                field = forms.ChoiceField(label=score.name, choices=choices, required=False)
            else:
                field = forms.FloatField(
                    label=score.name,
                    min_value=0,
                    max_value=1,
                    required=False,
                    widget=ScoreSlider(),
                    help_text="From 0 to 100%.",
                )
            if score.description:
                field.help_text = score.description
            self.fields[self.field_name(score)] = field
        self.order_fields([*(self.field_name(score) for score in self.review_scores), "comment"])

    @staticmethod
    def field_name(score: ProjectScore) -> str:
        return f"score_{score.pk.hex}"

    @property
    def score_fields(self):
        return [self[self.field_name(score)] for score in self.review_scores]

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("comment") and not self.feedback_scores():
            raise forms.ValidationError("Set a score or write a comment.")
        return cleaned

    def feedback_scores(self) -> dict[str, float]:
        scores = {}
        for score in self.review_scores:
            value = self.cleaned_data.get(self.field_name(score))
            if value in (None, ""):
                continue
            if score.score_type == ProjectScore.ScoreType.CATEGORICAL:
                value = next(c["value"] for c in score.categories or () if str(c["name"]) == value)
            scores[score.name] = value
        return scores

    def feedback_item(self) -> dict:
        item = {"id": self.cleaned_data["row_id"], "source": "app"}
        if scores := self.feedback_scores():
            item["scores"] = scores
        if self.cleaned_data.get("comment"):
            item["comment"] = self.cleaned_data["comment"]
        return item


class CreateObjectForm(forms.Form):
    name = forms.CharField(max_length=255)
    description = forms.CharField(label="Description", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, singular: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].label = f"{singular.capitalize()} name"


class CreatePromptForm(CreateObjectForm):
    slug = forms.SlugField(
        label="Slug", max_length=255, required=False, help_text="How code refers to the prompt; made from the name when left empty."
    )
