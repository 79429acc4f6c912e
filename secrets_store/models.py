"""AI provider secrets (an organization's) and environment variables (an organization's, a project's or a
function's), each value encrypted at rest.

Neither is a node of the access hierarchy: an AI secret is part of its organization's settings, and an
environment variable belongs to the object it is scoped for, whose permissions decide who sees and
changes it (docs/access-model.md). The value itself is stored only as a Fernet token
(:mod:`secrets_store.crypto`); what may be shown of it is ``preview_secret``, computed when it is written.
"""

import uuid

from django.conf import settings as django_settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class EncryptedValue(models.Model):
    """What both kinds share: the encrypted value, its preview, and who last set it and when."""

    encrypted_value = models.TextField(blank=True, default="", help_text="The Fernet token of the value; empty when none is set.")
    preview_secret = models.CharField(max_length=32, blank=True, default="")
    metadata = models.JSONField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)
    secret_updated_at = models.DateTimeField(null=True, blank=True)
    secret_updated_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def has_value(self) -> bool:
        return bool(self.encrypted_value)


class AISecret(EncryptedValue):
    """An AI provider's key, configured for a whole organization (name unique in it)."""

    audit_type = "ai_secret"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, verbose_name="ID")
    org = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="ai_secrets")
    name = models.CharField(max_length=255)
    type = models.CharField(max_length=255, null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "AI secret"
        constraints = [models.UniqueConstraint(fields=["org", "name"], name="ai_secret_name_unique_in_org")]
        indexes = [models.Index(fields=["org", "-created"], name="ai_secret_org_created")]


class EnvVar(EncryptedValue):
    """An environment variable scoped for an organization, a project or a function (name unique per object).

    ``object_id`` is the id of the object; the foreign key of that object's kind is set too, so that the
    database keeps the two consistent and an environment variable goes with its project or function.
    """

    audit_type = "env_var"

    class ObjectType(models.TextChoices):
        ORGANIZATION = "organization"
        PROJECT = "project"
        FUNCTION = "function"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, verbose_name="ID")
    org = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="env_vars")
    object_type = models.CharField(max_length=20, choices=ObjectType.choices)
    object_id = models.UUIDField()
    project = models.ForeignKey("projects.Project", null=True, blank=True, on_delete=models.CASCADE, related_name="env_vars")
    function = models.ForeignKey("projects.Prompt", null=True, blank=True, on_delete=models.CASCADE, related_name="env_vars")
    name = models.CharField(max_length=255)
    secret_type = models.CharField(max_length=255, null=True, blank=True)
    used = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "environment variable"
        constraints = [
            models.UniqueConstraint(fields=["object_type", "object_id", "name"], name="env_var_name_unique_per_object"),
            models.CheckConstraint(
                condition=(
                    Q(object_type="organization", object_id=F("org_id"), project__isnull=True, function__isnull=True)
                    | Q(object_type="project", object_id=F("project_id"), function__isnull=True)
                    | Q(object_type="function", object_id=F("function_id"), project__isnull=True)
                ),
                name="env_var_object_consistent",
            ),
        ]
        indexes = [models.Index(fields=["org", "-created"], name="env_var_org_created")]
