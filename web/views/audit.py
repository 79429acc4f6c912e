"""Settings → Audit log: the organization's audit events, newest first, filtered and paged.

Reading it needs read on org_audit_logs ("Read audit logs"). Pages are keyset pages over
``(created, id)``, so each costs one bounded query however long the log; ids in before/after are shown
with the names of the groups, people and roles they refer to, looked up once per page.
"""

import json
import re
from datetime import UTC
from urllib.parse import urlencode
from uuid import UUID

from django.db.models import Q
from django.urls import path
from django.utils.dateparse import parse_datetime

from accounts.models import User
from permissions.engine.nodes import Node
from permissions.models import AuditEvent, PermissionGroup, Role
from permissions.requirements import Needs
from web.context import OrgPage
from web.forms.audit import AuditFilterForm

PAGE_SIZE = 50
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


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


def _uuids_in(value, found: set[str]) -> None:
    if isinstance(value, str) and _UUID.match(value):
        found.add(value)
    elif isinstance(value, list):
        for item in value:
            _uuids_in(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            _uuids_in(item, found)


def _names_for(org, ids: set[str]) -> dict[str, str]:
    """Readable names for the ids of groups, people and roles that the page's events mention (three queries)."""
    if not ids:
        return {}
    names = {str(pk): name for pk, name in PermissionGroup.objects.filter(org=org, pk__in=ids).values_list("pk", "name")}
    names |= {str(pk): email for pk, email in User.objects.filter(pk__in=ids).values_list("pk", "email")}
    names |= {str(pk): name for pk, name in Role.objects.filter(Q(org=org) | Q(org__isnull=True), pk__in=ids).values_list("pk", "name")}
    return names


def _readable(value, names: dict[str, str]) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, list):
        return ", ".join(_readable(item, names) for item in value)
    if isinstance(value, dict):
        return json.dumps({key: names.get(item, item) if isinstance(item, str) else item for key, item in value.items()}, sort_keys=True)
    return str(value)


def _changes(event: AuditEvent, names: dict[str, str]) -> dict:
    """The event's before/after as rows of readable values: every field of what was created or deleted,
    only the changed fields of an update."""
    before, after = event.before, event.after
    if before is None and after is None:
        return {"columns": (), "rows": []}
    if not isinstance(before or {}, dict) or not isinstance(after or {}, dict):
        return {
            "columns": ("before", "after"),
            "rows": [{"field": "value", "before": _readable(before, names), "after": _readable(after, names)}],
        }
    before, after = event.before or {}, event.after or {}
    if event.before is None:
        columns, fields = ("after",), sorted(after)
    elif event.after is None:
        columns, fields = ("before",), sorted(before)
    else:
        columns, fields = ("before", "after"), sorted(f for f in set(before) | set(after) if before.get(f) != after.get(f))
    rows = [
        {"field": field.replace("_", " "), "before": _readable(before.get(field), names), "after": _readable(after.get(field), names)}
        for field in fields
    ]
    return {"columns": columns, "rows": rows}


class AuditLogPage(OrgPage):
    template_name = "web/settings/audit_log.html"
    section = "audit-log"

    def requirements_get(self):
        return [Needs("read", Node("org_audit_logs", self.org.pk))]

    def get(self, request, *args, **kwargs):
        context = self.get_context_data(**kwargs)
        template = "web/settings/audit_log_results.html" if request.htmx else self.template_name
        # htmx swaps only successful answers, so the partial carries its errors with a 200
        status = 400 if context["form"].errors and not request.htmx else 200
        return self.response_class(request=request, template=[template], context=context, status=status)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        log = AuditEvent.objects.filter(org=self.org)
        actions = log.order_by("action").values_list("action", flat=True).distinct()
        target_types = log.order_by("target_type").values_list("target_type", flat=True).distinct()
        form = AuditFilterForm(self.request.GET or None, actions=list(actions), target_types=list(target_types))
        events, next_url = [], None
        if form.is_bound and not form.is_valid():
            pass  # the errors are shown; a wrong filter lists nothing rather than everything
        else:
            filtered = form.filter(log) if form.is_bound else log
            cursor = self.request.GET.get("after", "")
            if cursor:
                filtered = _after_cursor(filtered, cursor)
            events = list(filtered.order_by("-created", "-id")[: PAGE_SIZE + 1])
            if len(events) > PAGE_SIZE:
                events = events[:PAGE_SIZE]
                filters = {key: value for key, value in self.request.GET.items() if key != "after" and value}
                next_url = "?" + urlencode({**filters, "after": _cursor(events[-1])})
        ids: set[str] = set()
        for event in events:
            _uuids_in(event.before, ids)
            _uuids_in(event.after, ids)
        names = _names_for(self.org, ids)
        rows = [{"event": event, "target_type": event.target_type.replace("_", " "), "changes": _changes(event, names)} for event in events]
        filters = {key: value for key, value in self.request.GET.items() if key != "after" and value}
        context.update(
            form=form,
            rows=rows,
            next_url=next_url,
            newest_url="?" + urlencode(filters) if filters else self.request.path,
            is_first_page=not self.request.GET.get("after"),
        )
        return context


urlpatterns = [
    path("settings/audit-log/", AuditLogPage.as_view(), name="audit-log"),
]
