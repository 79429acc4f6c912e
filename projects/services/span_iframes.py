"""A project's span iframes: add, change and remove them (update on the project), each in one transaction
with its audit event.

What a span iframe may point at is decided here, for the API, the pages and the admin alike
(:func:`check_iframe_url`): a span's page embeds it for everyone who reads the project, so only ``https``
pages are embedded, never a URL carrying credentials; plain ``http`` is accepted only on a loopback
address (127.0.0.0/8, ::1, localhost), and only while ``DEBUG`` or ``SPAN_IFRAME_ALLOW_LOOPBACK_HTTP`` is
on, for a tool being developed on the same machine.
"""

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction

from permissions.audit import record_event
from permissions.audit_states import fields_state
from permissions.engine.guards import require
from permissions.services.changes import UNCHANGED, set_given
from permissions.services.names import others_named, save_named
from projects.models import Project, SpanIframe
from projects.models.span_iframes import URL_MAX_LENGTH
from projects.services.configuration.checks import expect_bool, expect_name, expect_string, invalid
from projects.services.configuration.writes import live_project

FIELDS = ("name", "description", "url", "post_message")
URL_RULE = "only https URLs may be embedded"


def loopback_http_allowed() -> bool:
    """Whether plain http on a loopback address is accepted now (never in production by default)."""
    return bool(settings.DEBUG or settings.SPAN_IFRAME_ALLOW_LOOPBACK_HTTP)


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_iframe_url(value: Any) -> str:
    """`value` as a span iframe's URL, or a ValidationError naming ``url`` and why it may not be embedded."""
    url = expect_string(value, "url", nullable=False, non_empty=True, max_length=URL_MAX_LENGTH).strip()
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise invalid("url", "must not contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a port that is not a number raises here)
    except ValueError as exc:
        raise invalid("url", "is not a valid URL.") from exc
    host = (parts.hostname or "").lower()
    if not host:
        raise invalid("url", f"must be an absolute URL with a host ({URL_RULE}).")
    if parts.username is not None or parts.password is not None:
        raise invalid("url", "must not carry a user name or password.")
    scheme = parts.scheme.lower()
    if scheme == "https":
        return url
    if scheme == "http" and _is_loopback(host):
        if loopback_http_allowed():
            return url
        raise invalid("url", f"{URL_RULE}; http on a loopback address is accepted only while developing.")
    raise invalid("url", f"{URL_RULE}, not {f'{scheme}: URLs' if scheme else 'URLs without a scheme'}.")


def _save(iframe: SpanIframe, *, update_fields: tuple[str, ...] | None = None) -> None:
    """Save `iframe`, unless another span iframe of its project has its name."""
    refusal = invalid("name", f"a span iframe named {iframe.name!r} already exists in this project.")
    save_named(iframe, taken=others_named(iframe, "project_id"), refusal=refusal, update_fields=update_fields)


@transaction.atomic
def span_iframe_create(
    *, actor, project: Project, name: str, url: str, description: str | None = "", post_message: bool | None = None
) -> SpanIframe:
    """Add a span iframe to a project (update on the project)."""
    project = live_project(project)
    require(actor, "update", project)
    iframe = SpanIframe(
        project=project,
        name=expect_name(name),
        url=check_iframe_url(url),
        description=expect_string(description, "description") or "",
        post_message=expect_bool(post_message, "post_message"),
        created_by=actor,
    )
    _save(iframe)
    record_event(actor=actor, org=project.org, action="span_iframe.create", target=iframe, after=fields_state(iframe, FIELDS))
    return iframe


@transaction.atomic
def span_iframe_update(
    *,
    actor,
    iframe: SpanIframe,
    name: str | None = None,
    url: str | None = None,
    description: str | None = None,
    post_message: bool | None = UNCHANGED,
) -> SpanIframe:
    """Change a span iframe (update on its project). `name`, `url` and `description` left None are left as
    they are; `post_message` left out is kept, and given (None included) replaces the stored value."""
    require(actor, "update", live_project(iframe.project))
    iframe = SpanIframe.objects.select_for_update(of=("self",), no_key=True).select_related("project__org").get(pk=iframe.pk)
    before = fields_state(iframe, FIELDS)
    set_given(
        iframe,
        None,
        name=(name, expect_name),
        url=(url, check_iframe_url),
        description=(description, lambda given: expect_string(given, "description") or ""),
    )
    set_given(iframe, UNCHANGED, post_message=(post_message, lambda given: expect_bool(given, "post_message")))
    after = fields_state(iframe, FIELDS)
    if after != before:
        _save(iframe, update_fields=FIELDS)
        record_event(actor=actor, org=iframe.project.org, action="span_iframe.update", target=iframe, before=before, after=after)
    return iframe


@transaction.atomic
def span_iframe_delete(*, actor, iframe: SpanIframe) -> None:
    """Remove a span iframe from its project (update on the project)."""
    require(actor, "update", live_project(iframe.project))
    iframe = SpanIframe.objects.select_for_update(of=("self",)).select_related("project__org").get(pk=iframe.pk)
    record_event(actor=actor, org=iframe.project.org, action="span_iframe.delete", target=iframe, before=fields_state(iframe, FIELDS))
    iframe.delete()
