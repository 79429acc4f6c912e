"""Payloads too large for one ``POST /logs3``, uploaded on the side and then referenced by key."""

import uuid

from django.conf import settings as django_settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class OverflowUpload(models.Model):
    """One upload slot for a ``/logs3`` batch bigger than ``logs3_payload_max_bytes``.

    Braintrust's SDK does not send such a batch inline: it asks ``POST /logs3/overflow`` for a signed URL,
    PUTs the raw payload there (with no credential: the URL is the authorization), then posts ``/logs3``
    with a reference to ``key``. This row ties the three requests together: who asked (``org`` and
    ``created_by``, the only principal that may use the payload), what was declared (``size_bytes``,
    ``content_type``), and how far it went (``uploaded_at``, then ``consumed_at``). The payload itself is
    kept in the ``logs3_overflow`` storage under ``key``.

    Only the SHA-256 of the upload token is stored; the raw token is in the signed URL and nowhere else.
    ``key`` is a separate random name, so knowing it (as ``/logs3`` does) does not let anyone upload.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, verbose_name="ID")
    org = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+", verbose_name="organization")
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The principal (person or service account) that asked for the upload; only it may use the payload",
    )
    token_hash = models.CharField(max_length=64, editable=False, help_text="SHA-256 (hex) of the upload token in the signed URL")
    key = models.CharField(max_length=128, editable=False, help_text="The payload's name in the logs3_overflow storage")
    content_type = models.CharField(max_length=100)
    size_bytes = models.PositiveBigIntegerField(
        verbose_name="size (bytes)", help_text="The payload's size as declared when the upload was asked for"
    )
    expires_at = models.DateTimeField(verbose_name="expires", help_text="After this, the URL refuses uploads and /logs3 refuses the key")
    uploaded_at = models.DateTimeField(null=True, blank=True, verbose_name="uploaded")
    consumed_at = models.DateTimeField(null=True, blank=True, verbose_name="consumed")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["token_hash"], name="overflow_upload_unique_token_hash"),
            models.UniqueConstraint(fields=["key"], name="overflow_upload_unique_key"),
            models.CheckConstraint(condition=Q(size_bytes__gt=0), name="overflow_upload_size_positive"),
            models.CheckConstraint(
                condition=Q(consumed_at__isnull=True) | Q(uploaded_at__isnull=False), name="overflow_upload_consumed_after_upload"
            ),
        ]
        indexes = [models.Index(fields=["expires_at"], name="overflow_upload_expiry")]

    def __str__(self) -> str:
        return f"overflow upload {self.id} ({self.size_bytes} bytes)"
