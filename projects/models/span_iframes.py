"""A project's span iframes: pages of the project's own tools that a span's page embeds, next to the span.

Like tags and scores, they belong to the project and are read and changed with the project's own
permissions: read on the project to see them, update on the project to change them. Where one may point
(``https``, or a loopback address while developing) is the service's rule, :mod:`projects.services.span_iframes`.
"""

from django.db import models

from permissions.models import NamedRecord

URL_MAX_LENGTH = 2048  # what every browser still opens


class SpanIframe(NamedRecord):
    """A URL a span's page embeds in a sandboxed iframe (Braintrust's ``SpanIFrame``), name unique in the
    project. With ``post_message`` on, the page also posts the span's data to it."""

    audit_type = "span_iframe"

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="span_iframes")
    description = models.TextField(blank=True)
    url = models.CharField(max_length=URL_MAX_LENGTH, verbose_name="URL")
    post_message = models.BooleanField(null=True, blank=True, help_text="Post the span's data to the iframe")

    class Meta(NamedRecord.Meta):
        verbose_name = "span iframe"
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="span_iframe_name_unique_in_project")]
