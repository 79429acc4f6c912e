"""Which version of a prompt, function or dataset each of an organization's environments runs.

An environment (:class:`accounts.models.Environment`) belongs to the organization; a pin belongs to the
object it pins, and is read and moved with that object's permissions (read to see it, update to move or
remove it). The object is named by its node (``object_type`` and ``object_id``) as the access model names
it: a function is a ``prompt`` node, so a function's pin and its prompt's are one pin.
"""

import uuid

from django.conf import settings as django_settings
from django.db import models
from django.utils import timezone


class EnvironmentObject(models.Model):
    """One object's version pinned to one environment (at most one per environment and object)."""

    class ObjectType(models.TextChoices):
        PROMPT = "prompt"
        DATASET = "dataset"

    audit_type = "environment_object"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, verbose_name="ID")
    environment = models.ForeignKey("accounts.Environment", on_delete=models.CASCADE, related_name="pins")
    object_type = models.CharField(max_length=20, choices=ObjectType.choices)
    object_id = models.UUIDField(verbose_name="object ID")
    object_version = models.BigIntegerField(help_text="The pinned version: a transaction id (`_xact_id`) of the object")
    updated_by = models.ForeignKey(django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["environment__created", "environment__slug"]
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["environment", "object_type", "object_id"], name="environment_object_one_pin_per_object"),
            models.CheckConstraint(condition=models.Q(object_version__gte=0), name="environment_object_version_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.object_type}:{self.object_id}@{self.object_version} in {self.environment_id}"

    @property
    def audit_name(self) -> str:
        return self.environment.slug
