"""Abstract bases for django-guardian's direct grant tables.

Each model that can receive grants (organization, group, role, project and the objects in it) declares
one user table and one group table with a real foreign key to itself, as guardian's performance guide
recommends: deleting the object deletes its grants, and no casts are needed to join them. These tables
are the only store of direct, unrestricted permission grants on those models.

A grant may carry ``expires_at``: from that instant the engine counts it for nothing, whether or not the
cleanup job (``manage.py purge_expired_access``) has deleted the row yet.
"""

import uuid

from django.db import models
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


def expires_at_field() -> models.DateTimeField:
    """When a grant or a membership stops counting (empty: never)."""
    return models.DateTimeField(null=True, blank=True, verbose_name="expires", help_text="From this instant it counts for nothing.")


class UserGrantTable(UserObjectPermissionBase):
    """A grant of one permission on one object to a user or service account."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created = models.DateTimeField(default=timezone.now)
    expires_at = expires_at_field()

    class Meta(UserObjectPermissionBase.Meta):
        abstract = True


class GroupGrantTable(GroupObjectPermissionBase):
    """A grant of one permission on one object to a permission group (through its ``auth.Group``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created = models.DateTimeField(default=timezone.now)
    expires_at = expires_at_field()

    class Meta(GroupObjectPermissionBase.Meta):
        abstract = True
