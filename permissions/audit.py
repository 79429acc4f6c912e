"""Audit events: one row per change, written by the service in the change's own transaction.

Where a change came from (web page, API, command line; address and agent; which credential) is known
to the edge of the system, not to the service, so the edge declares it once with :func:`request_origin`
and every event written inside takes it.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import transaction

from permissions.models import AuditEvent

_origin: ContextVar[dict[str, Any] | None] = ContextVar("audit_origin", default=None)


@contextmanager
def request_origin(**origin: Any) -> Iterator[None]:
    """Declare where the changes made inside come from, e.g. ``channel="api", ip="…", api_key_id="…"``."""
    token = _origin.set({k: v for k, v in origin.items() if v not in (None, "")})
    try:
        yield
    finally:
        _origin.reset(token)


def current_origin() -> dict[str, Any]:
    return dict(_origin.get() or {"channel": "system"})


def audit_target(target) -> tuple[str, object, str]:
    """What an event says of the model instance it concerns: its type, id and name.

    A model names its type with ``audit_type`` where it is not a node of the access model (else its
    ``acl_object_type``), and its name with ``audit_name`` where that is not its ``name``.
    """
    target_type = getattr(target, "audit_type", None) or target.acl_object_type
    name = getattr(target, "audit_name", None)
    return target_type, target.pk, getattr(target, "name", "") if name is None else name


def record_event(
    *,
    actor,
    org,
    action: str,
    target=None,
    target_type: str = "",
    target_id: object = "",
    target_name: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one audit event. Must run inside the transaction of the change it records.

    `org` is the organization, or its id where the service has no more of it at hand.
    The event's target is a model instance (`target`, see :func:`audit_target`; before it is deleted,
    while it has its id), or for anything else its type, id and name.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Audit events are written inside the transaction of the change they record.")
    if target is not None:
        target_type, target_id, target_name = audit_target(target)
    if not target_type:
        raise ValueError("An audit event names the type of its target.")
    return AuditEvent.objects.create(
        org_id=getattr(org, "pk", org),
        actor=actor,
        actor_email=getattr(actor, "email", "") or "",
        action=action,
        target_type=target_type,
        target_id=str(target_id or ""),
        target_name=str(target_name or "")[:255],
        before=before,
        after=after,
        origin=current_origin(),
    )
