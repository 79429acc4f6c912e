"""Every request carries an id, in its log lines and in the ``X-Request-ID`` response header.

A well-formed ``X-Request-ID`` sent by the client or a proxy is kept, so that one request can be followed
from the load balancer to the logs; otherwise a new one is made. The id lives in a context variable, which
:class:`braintrust_site.log_format.RequestIdFilter` adds to every record logged while the request runs,
up to Django's own "Not Found: ..." lines, written after the middleware: it is cleared when the request
finishes.
"""

import re
import uuid
from contextvars import ContextVar

from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest

HEADER = "X-Request-ID"
_WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{1,64}")

current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        sent = request.headers.get(HEADER, "")
        request_id = sent if _WELL_FORMED.fullmatch(sent) else uuid.uuid4().hex
        request.request_id = request_id
        current_request_id.set(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


@receiver(request_finished)
def _forget_request_id(**_kwargs) -> None:
    current_request_id.set(None)
