"""Abstract bases for django-guardian's direct grant tables.

Each model that can receive grants (organization, group, role, project and the objects in it) declares
one user table and one group table with a real foreign key to itself, as guardian's performance guide
recommends: deleting the object deletes its grants, and no casts are needed to join them. These tables
are the only store of direct, unrestricted permission grants on those models.
"""

import uuid

from django.db import models
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


class UserGrantTable(UserObjectPermissionBase):
    """A grant of one permission on one object to a user or service account."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created = models.DateTimeField(default=timezone.now)

    class Meta(UserObjectPermissionBase.Meta):
        abstract = True


class GroupGrantTable(GroupObjectPermissionBase):
    """A grant of one permission on one object to a permission group (through its ``auth.Group``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created = models.DateTimeField(default=timezone.now)

    class Meta(GroupObjectPermissionBase.Meta):
        abstract = True
