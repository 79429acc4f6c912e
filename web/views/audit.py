"""Settings → Audit log: the organization's audit events, newest first, each in words with what it
changed, filtered and paged; and what the filters select, exported as CSV or JSON Lines.

Reading either needs read on org_audit_logs ("Read audit logs"). Pages are keyset pages over
``(created, id)``, so each costs one bounded query however long the log; the names of what the events
mention by id are looked up once per page (:func:`permissions.selectors.audit_names`). An export streams
the events in chunks, looking names up once per chunk, so that neither the file nor the log is ever
held whole in memory.
"""

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC
from urllib.parse import urlencode
from uuid import UUID

from django.db.models import Q, QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify

from permissions.audit_words import AuditNames, changes, event_words, redacted, sentence
from permissions.engine.nodes import Node
from permissions.models import AuditEvent
from permissions.requirements import Needs
from permissions.selectors import audit_events, audit_names
from web.context import OrgPage
from web.forms.audit import AuditFilterForm

PAGE_SIZE = 50
# Events an export reads, and names, at a time.
EXPORT_CHUNK = 500
EXPORT_COLUMNS = ("time", "actor", "action", "sentence", "target_type", "target_id", "target_name", "origin", "before", "after")
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cursor(event: AuditEvent) -> str:
    return f"{event.created.isoformat()}_{event.pk}"


def _after_cursor(events, cursor: str):
    """Events strictly older than the cursor's event, in the page order ``(-created, -id)``."""
    created_text, _, event_id = cursor.rpartition("_")
    created = parse_datetime(created_text) if created_text else None
    try:
        event_id = UUID(event_id)
    except ValueError:
        return events
    if created is None:
        return events
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return events.filter(Q(created__lt=created) | Q(created=created, id__lt=event_id))


class AuditLogPage(OrgPage):
    template_name = "web/settings/audit_log.html"
    section = "audit-log"

    def requirements_get(self):
        return [Needs("read", Node("org_audit_logs", self.org.pk))]

    def filter_form(self) -> AuditFilterForm:
        """The filters, bound to the query string when it has any, offering the actions and target types
        the log holds."""
        log = audit_events(self.org)
        actions = log.order_by("action").values_list("action", flat=True).distinct()
        target_types = log.order_by("target_type").values_list("target_type", flat=True).distinct()
        return AuditFilterForm(self.request.GET or None, actions=list(actions), target_types=list(target_types))

    def selected_events(self, form: AuditFilterForm) -> QuerySet[AuditEvent] | None:
        """The events the filters select, newest first; None when the filters are wrong (a wrong filter
        selects nothing rather than everything)."""
        if form.is_bound and not form.is_valid():
            return None
        log = audit_events(self.org)
        return form.filter(log).order_by("-created", "-id") if form.is_bound else log

    def filters(self) -> dict[str, str]:
        """The query string's filters, without the page's cursor."""
        return {key: value for key, value in self.request.GET.items() if key != "after" and value}

    def get(self, request, *args, **kwargs):
        context = self.get_context_data(**kwargs)
        template = "web/settings/audit_log_results.html" if request.htmx else self.template_name
        # htmx swaps only successful answers, so the partial carries its errors with a 200
        status = 400 if context["form"].errors and not request.htmx else 200
        return self.response_class(request=request, template=[template], context=context, status=status)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = self.filter_form()
        selected = self.selected_events(form)
        filters = self.filters()
        events, next_url = [], None
        if selected is not None:
            cursor = self.request.GET.get("after", "")
            if cursor:
                selected = _after_cursor(selected, cursor)
            events = list(selected[: PAGE_SIZE + 1])
            if len(events) > PAGE_SIZE:
                events = events[:PAGE_SIZE]
                next_url = "?" + urlencode({**filters, "after": _cursor(events[-1])})
        names = audit_names(self.org, events)
        rows = [
            {
                "event": event,
                "target_type": event.target_type.replace("_", " "),
                "words": event_words(event, names),
                "changes": changes(event, names),
            }
            for event in events
        ]
        query = "?" + urlencode(filters) if filters else ""
        context.update(
            form=form,
            rows=rows,
            next_url=next_url,
            newest_url=query or self.request.path,
            is_first_page=not self.request.GET.get("after"),
            export_csv_url=reverse("web:audit-log-csv", kwargs={"org_name": self.org.name}) + query,
            export_jsonl_url=reverse("web:audit-log-jsonl", kwargs={"org_name": self.org.name}) + query,
        )
        return context


def export_record(event: AuditEvent, names: AuditNames) -> dict:
    """One event as an export writes it: the columns of :data:`EXPORT_COLUMNS`, secrets hidden."""
    return {
        "time": event.created.astimezone(UTC).isoformat(),
        "actor": event.actor_email or "system",
        "action": event.action,
        "sentence": sentence(event, names),
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target_name": event.target_name,
        "origin": redacted(event.origin or {}),
        "before": redacted(event.before),
        "after": redacted(event.after),
    }


def spreadsheet_safe(text: str) -> str:
    """A cell a spreadsheet shows as text: one that would start a formula gets a leading apostrophe."""
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


class _Line:
    """What csv.writer writes to: it hands each line back instead of keeping it."""

    def write(self, line: str) -> str:
        return line


def _csv_lines(records: Iterable[dict]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(EXPORT_COLUMNS)
    for record in records:
        cells = []
        for column in EXPORT_COLUMNS:
            value = record[column]
            if column in ("origin", "before", "after"):
                value = "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
            cells.append(spreadsheet_safe(str(value)))
        yield writer.writerow(cells)


def _jsonl_lines(records: Iterable[dict]) -> Iterator[str]:
    for record in records:
        yield json.dumps(record, ensure_ascii=False, default=str) + "\n"


def _in_chunks(events: QuerySet[AuditEvent], size: int) -> Iterator[list[AuditEvent]]:
    chunk: list[AuditEvent] = []
    for event in events.iterator(chunk_size=size):
        chunk.append(event)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _records(org, events: QuerySet[AuditEvent]) -> Iterator[dict]:
    """The events as export records, read and named a chunk at a time."""
    for chunk in _in_chunks(events, EXPORT_CHUNK):
        names = audit_names(org, chunk)
        for event in chunk:
            yield export_record(event, names)


EXPORT_FORMATS: dict[str, tuple[str, Callable[[Iterable[dict]], Iterator[str]]]] = {
    "csv": ("text/csv; charset=utf-8", _csv_lines),
    "jsonl": ("application/x-ndjson; charset=utf-8", _jsonl_lines),
}


class AuditLogExport(AuditLogPage):
    """The events the page's filters select, all of them, as a file to download: CSV or JSON Lines.

    It needs what the page needs (it is the page's requirements and selection), and streams.
    """

    export_format = "csv"

    def get(self, request, *args, **kwargs):
        form = self.filter_form()
        events = self.selected_events(form)
        if events is None:
            errors = " ".join(str(message) for messages in form.errors.values() for message in messages)
            return HttpResponse(f"Correct the filters to export events: {errors}", status=400, content_type="text/plain; charset=utf-8")
        content_type, lines = EXPORT_FORMATS[self.export_format]
        response = StreamingHttpResponse(lines(_records(self.org, events)), content_type=content_type)
        stamp = timezone.now().astimezone(UTC).strftime("%Y%m%d-%H%M%S")
        filename = f"audit-log-{slugify(self.org.name) or 'organization'}-{stamp}.{self.export_format}"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


urlpatterns = [
    path("settings/audit-log/", AuditLogPage.as_view(), name="audit-log"),
    path("settings/audit-log/export.csv", AuditLogExport.as_view(export_format="csv"), name="audit-log-csv"),
    path("settings/audit-log/export.jsonl", AuditLogExport.as_view(export_format="jsonl"), name="audit-log-jsonl"),
]
