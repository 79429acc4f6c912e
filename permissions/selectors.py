"""Reads about groups and principals that pages, the API and services share."""

from django.db.models import QuerySet

from permissions.engine import restrict
from permissions.engine.context import load_context
from permissions.models import PermissionGroup, Role


def groups_containing(principal, org) -> QuerySet[PermissionGroup]:
    """The organization's groups that contain `principal`, directly or through member groups."""
    return PermissionGroup.objects.filter(org=org, id__in=list(load_context(principal).group_org))


def groups_visible_to(actor, org, permission: str = "read") -> QuerySet[PermissionGroup]:
    """The organization's groups on which `actor` holds `permission`, restricted in the database."""
    return restrict(PermissionGroup.objects.filter(org=org), actor, permission)


def roles_visible_to(actor, org, permission: str = "read") -> QuerySet[Role]:
    """The organization's own roles on which `actor` holds `permission`, restricted in the database."""
    return restrict(Role.objects.filter(org=org), actor, permission)
