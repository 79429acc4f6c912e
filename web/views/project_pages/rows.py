"""The rows of experiments, datasets and logs: a page of a trace's root rows, the trace of one row with the
project's span iframes, and human review of a row."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponseRedirect

from permissions.exceptions import ValidationError
from projects.events.filters import RowConditions
from projects.events.reads import fetch_events, fetch_trace
from projects.events.targets import EventTarget
from projects.events.writes import record_feedback
from projects.models import Project, ProjectScore
from projects.selectors import scores_of, span_iframes_of
from web.formatting import percent, preview
from web.forms.objects import RowReviewForm
from web.span_iframes import embedded_span_iframes

PAGE_SIZE = 25  # traces per page of rows


def review_scores_of(project: Project) -> list[ProjectScore]:
    """The project's human review scores that the review form offers (one query)."""
    return scores_of(project, score_types=(ProjectScore.ScoreType.SLIDER, ProjectScore.ScoreType.CATEGORICAL))


@dataclass
class RowView:
    """A trace's root row, as a table shows it."""

    index: int
    id: str
    created: datetime
    input: str
    output: str
    expected: str
    metadata: str
    scores: list[tuple[str, str]]
    tags: list[str]
    comments: list[str]
    spans: int
    review_form: RowReviewForm | None = None


def row_views(events: list[dict]) -> list[RowView]:
    """The root row of each trace of a page, with how many spans the trace has."""
    spans: dict[str, int] = defaultdict(int)
    for event in events:
        spans[event["root_span_id"]] += 1
    rows = []
    for event in events:
        if not event.get("is_root"):
            continue
        scores = event.get("scores") or {}
        rows.append(
            RowView(
                index=len(rows) + 1,
                id=event["id"],
                created=datetime.fromisoformat(event["created"]),
                input=preview(event.get("input")),
                output=preview(event.get("output")),
                expected=preview(event.get("expected")),
                metadata=preview(event.get("metadata")),
                scores=[(name, percent(value)) for name, value in sorted(scores.items())],
                tags=list(event.get("tags") or ()),
                comments=[str(c.get("comment", "")) for c in event.get("comments") or () if isinstance(c, dict)],
                spans=spans[event["root_span_id"]],
            )
        )
    return rows


class RowsMixin:
    """A page of rows, with its cursor and tag, and human review where the person may update the rows.
    The review form posts to the page itself, which redirects back to the same page of rows. ``row`` shows
    only the trace of that row (the links the SDK prints open it): the page of a span, which also shows the
    project's span iframes."""

    review_error: RowReviewForm | None = None

    def rows_target(self) -> EventTarget:
        raise NotImplementedError

    def span_iframes_context(self, context: dict) -> dict:
        """The project's span iframes, on the page of one span (``?row=`` naming a live row) of logs or an
        experiment (a dataset's rows are records, not spans). They are the project's configuration, read
        with read on the project (the layout's ``shows_configuration``): someone who reads only these rows
        sees the rows without them."""
        shown = context.get("row") and context.get("rows") and context.get("shows_configuration")
        if not shown:
            return {}
        frames = embedded_span_iframes(span_iframes_of(self.project), self.request.build_absolute_uri("/"))
        posted = any(frame.post_to for frame in frames)
        return {"span_iframes": frames, "span_event": context.get("span_event") if posted else None}

    def page_url(self) -> str:
        raise NotImplementedError

    def can_review(self) -> bool:
        return False

    filter_keys: tuple[str, ...] = ("tag",)  # the query string's filters, which every link of the page keeps

    def page_query(self, source) -> dict[str, str]:
        return {key: source[key] for key in (*self.filter_keys, "cursor", "row") if source.get(key)}

    def row_filters(self, query: dict[str, str]) -> tuple[list[str] | None, RowConditions | None] | None:
        """The tags and conditions the query's filters select rows by; None if they are not valid."""
        tag = query.get("tag", "")
        return ([tag] if tag else None), None

    def url_with(self, query: dict[str, str]) -> str:
        return self.page_url() + (f"?{urlencode(query)}" if query else "")

    def rows_context(self, query: dict[str, str]) -> dict:
        tag, row = query.get("tag", ""), query.get("row", "")
        context = {"tag": tag, "row": row, "rows": [], "next_url": None, "first_url": None, "review_query": query, "review_error": None}
        filters = self.row_filters(query)
        if filters is None:
            return context
        try:
            if row:
                page = fetch_trace(actor=self.request.user, target=self.rows_target(), row_id=row)
            else:
                page = fetch_events(
                    actor=self.request.user,
                    target=self.rows_target(),
                    limit=PAGE_SIZE,
                    cursor=query.get("cursor"),
                    tags=filters[0],
                    conditions=filters[1],
                )
        except ValidationError as exc:
            messages.error(self.request, " ".join(exc.messages))
            return context
        rows = row_views(page.events)
        if row:
            context["span_event"] = next((event for event in page.events if event.get("id") == row), None)
        can_review = self.can_review()
        if can_review:
            scores = review_scores_of(self.project)
            for row_view in rows:  # not `row`, the query's row id, which the links below read
                if self.review_error is not None and self.review_error.data.get("row_id") == row_view.id:
                    row_view.review_form = self.review_error
                else:
                    row_view.review_form = RowReviewForm(scores=scores, initial={"row_id": row_view.id}, auto_id=f"id_r{row_view.index}_%s")
        shown = any(row.review_form is self.review_error for row in rows)
        base = {key: query[key] for key in self.filter_keys if query.get(key)}
        context.update(
            rows=rows,
            can_review=can_review,
            review_error=self.review_error if self.review_error is not None and not shown else None,
            next_url=self.url_with({**base, "cursor": page.cursor}) if page.cursor else None,
            first_url=self.url_with(base) if query.get("cursor") or row else None,
        )
        return context

    def review(self, request):
        """POST: record a human review on one row (feedback with source "app"), or re-render with the errors."""
        target = self.rows_target()
        form = RowReviewForm(request.POST, scores=review_scores_of(self.project))
        if form.is_valid():
            try:
                record_feedback(actor=request.user, target=target, items=[form.feedback_item()])
            except ValidationError as exc:
                form.add_error(None, " ".join(exc.messages))
            else:
                messages.success(request, "Saved the review.")
                return HttpResponseRedirect(self.url_with(self.page_query(request.POST)))
        self.review_error = form
        return self.render_to_response(self.get_context_data(query=self.page_query(request.POST)), status=400)
