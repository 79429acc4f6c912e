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


class _GrantRow(models.Model):
    """What both tables add to guardian's: a UUID, when the grant was made, and when it stops counting."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created = models.DateTimeField(default=timezone.now)
    expires_at = expires_at_field()

    class Meta:
        abstract = True


class UserGrantTable(_GrantRow, UserObjectPermissionBase):
    """A grant of one permission on one object to a user or service account."""

    class Meta(UserObjectPermissionBase.Meta):
        abstract = True


class GroupGrantTable(_GrantRow, GroupObjectPermissionBase):
    """A grant of one permission on one object to a permission group (through its ``auth.Group``)."""

    class Meta(GroupObjectPermissionBase.Meta):
        abstract = True


def grant_tables(model: type[models.Model]) -> tuple[type[UserGrantTable], type[GroupGrantTable]]:
    """`model`'s user and group grant tables, ``<Model>UserObjectPermission`` and ``<Model>GroupObjectPermission``.

    They belong to `model`'s module (and so its app), each with a foreign key to it; the caller binds them to
    those names at module level, where guardian and the migrations look for them.
    """

    def table(base: type[models.Model], kind: str) -> type:
        name = f"{model.__name__}{kind}ObjectPermission"
        foreign_key = models.ForeignKey(model, on_delete=models.CASCADE)
        return type(name, (base,), {"__module__": model.__module__, "__qualname__": name, "content_object": foreign_key})

    return table(UserGrantTable, "User"), table(GroupGrantTable, "Group")
