"""Reads about groups and principals that pages, the API and services share."""

from django.db.models import QuerySet

from permissions.engine.context import load_context
from permissions.models import PermissionGroup


def groups_containing(principal, org) -> QuerySet[PermissionGroup]:
    """The organization's groups that contain `principal`, directly or through member groups."""
    return PermissionGroup.objects.filter(org=org, id__in=list(load_context(principal).group_org))
