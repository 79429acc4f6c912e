"""The forms of a project's pages: creating an object, and the human review of a row."""

from collections.abc import Sequence

from django import forms

from projects.models import ProjectScore
from web.formatting import percent


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
                    widget=forms.NumberInput(attrs={"step": "0.01"}),
                    help_text="From 0 to 1.",
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
