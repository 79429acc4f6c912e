"""A project's span iframes: pages of the project's own tools that a span's page embeds, next to the span.

Like tags and scores, they belong to the project and are read and changed with the project's own
permissions: read on the project to see them, update on the project to change them. Where one may point
(``https``, or a loopback address while developing) is the service's rule, :mod:`projects.services.span_iframes`.
"""

import uuid

from django.conf import settings as django_settings
from django.db import models
from django.utils import timezone

from projects.models.objects import ProjectContent

URL_MAX_LENGTH = 2048  # what every browser still opens


class SpanIframe(ProjectContent):
    """A URL a span's page embeds in a sandboxed iframe (Braintrust's ``SpanIFrame``), name unique in the
    project. With ``post_message`` on, the page also posts the span's data to it."""

    audit_type = "span_iframe"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, verbose_name="ID")
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="span_iframes")
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    url = models.CharField(max_length=URL_MAX_LENGTH, verbose_name="URL")
    post_message = models.BooleanField(null=True, blank=True, help_text="Post the span's data to the iframe")
    created_by = models.ForeignKey(django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(default=timezone.now)

    class Meta(ProjectContent.Meta):
        verbose_name = "span iframe"
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="span_iframe_name_unique_in_project")]
