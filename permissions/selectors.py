"""Reads about groups and principals that pages, the API and services share."""

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.db.models.functions import Lower

from permissions.engine import restrict
from permissions.engine.context import load_context
from permissions.models import PermissionGroup, Role

# Owners, Engineers and Viewers, in that order, before every other group.
BUILTIN_FIRST = Case(
    *(When(builtin=kind, then=Value(position)) for position, kind in enumerate(PermissionGroup.Builtin.values)),
    default=Value(len(PermissionGroup.Builtin.values)),
    output_field=IntegerField(),
)


def groups_in_display_order(groups: QuerySet[PermissionGroup]) -> QuerySet[PermissionGroup]:
    """`groups` as every page lists them: the built-in groups first (Owners, Engineers, Viewers), then by name."""
    return groups.order_by(BUILTIN_FIRST, Lower("name"))


def groups_containing(principal, org) -> QuerySet[PermissionGroup]:
    """The organization's groups that contain `principal`, directly or through member groups."""
    return PermissionGroup.objects.filter(org=org, id__in=list(load_context(principal).group_org))


def groups_visible_to(actor, org, permission: str = "read") -> QuerySet[PermissionGroup]:
    """The organization's groups on which `actor` holds `permission`, restricted in the database."""
    return restrict(PermissionGroup.objects.filter(org=org), actor, permission)


def roles_visible_to(actor, org, permission: str = "read") -> QuerySet[Role]:
    """The organization's own roles on which `actor` holds `permission`, restricted in the database."""
    return restrict(Role.objects.filter(org=org), actor, permission)
