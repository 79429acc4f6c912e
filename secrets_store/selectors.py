"""Reads of AI secrets and environment variables, restricted by the engine in the database.

An organization's AI secrets are its settings: whoever may read the organization (read on it; a grant
restricted to organization is enough, as every built-in group holds) sees their names, types, metadata
and previews, as the Organization settings page shows its settings. An environment variable is seen by
whoever may read the object it is scoped for. No selector ever answers a value: only the services and
:func:`secrets_store.crypto.decrypt` touch it.
"""

from dataclasses import dataclass
from uuid import UUID

from django.db.models import Q, QuerySet

from accounts.models import Organization
from permissions.engine import Node, restrict
from permissions.exceptions import NotFound, ValidationError
from projects.models import Project, Prompt
from projects.selectors import live_project_in
from secrets_store.models import AISecret, EnvVar

OBJECT_TYPES = tuple(EnvVar.ObjectType.values)


def ai_secrets_of(org: Organization) -> QuerySet[AISecret]:
    """The organization's AI secrets: the caller's read on the organization is checked by whoever asks
    (the API's and the page's requirements), as for the organization's other settings."""
    return AISecret.objects.filter(org=org)


def visible_env_vars(principal, org: Organization | None) -> QuerySet[EnvVar]:
    """The environment variables of `org` (of every organization for None: the admin's operators) whose
    object `principal` may read (live projects and functions only), restricted in the database: the
    readable objects are subqueries of the one statement (so not ``listing``, see ``restrict``)."""
    orgs = Organization.objects.all() if org is None else Organization.objects.filter(pk=org.pk)
    projects = Project.objects.alive().filter(org__in=orgs)
    functions = Prompt.objects.alive().filter(project__org__in=orgs, project__deleted_at__isnull=True)
    rows = EnvVar.objects.all() if org is None else EnvVar.objects.filter(org=org)
    return rows.filter(
        Q(object_type=EnvVar.ObjectType.ORGANIZATION, org__in=restrict(orgs, principal, "read"))
        | Q(object_type=EnvVar.ObjectType.PROJECT, project__in=restrict(projects, principal, "read"))
        | Q(object_type=EnvVar.ObjectType.FUNCTION, function__in=restrict(functions, principal, "read"))
    )


def readable_ai_secrets(principal) -> QuerySet[AISecret]:
    """The AI secrets of every organization `principal` may read (the admin's operators act across them)."""
    return AISecret.objects.filter(org__in=restrict(Organization.objects.all(), principal, "read"))


def env_vars_of_object(org: Organization, object_type: str, object_id: UUID) -> QuerySet[EnvVar]:
    """The environment variables of one object the caller was already allowed to read."""
    return EnvVar.objects.filter(org=org, object_type=object_type, object_id=object_id)


@dataclass(frozen=True)
class Scope:
    """The object an environment variable is scoped for: the node whose permissions decide, and the row."""

    object_type: str
    object_id: UUID
    node: Node
    project: Project | None = None
    function: Prompt | None = None


def env_var_scope(org: Organization, object_type: str, object_id: UUID) -> Scope:
    """The live object of `org` that (`object_type`, `object_id`) names; "not found" for anything else,
    another organization's included."""
    if object_type not in OBJECT_TYPES:
        raise ValidationError(f"object_type: must be one of {', '.join(OBJECT_TYPES)}.")
    if object_type == EnvVar.ObjectType.ORGANIZATION:
        if object_id != org.pk:
            raise NotFound("organization", object_id)
        return Scope(object_type, object_id, Node("organization", org.pk))
    if object_type == EnvVar.ObjectType.PROJECT:
        project = live_project_in(org, object_id)
        if project is None:
            raise NotFound("project", object_id)
        return Scope(object_type, object_id, Node.of(project), project=project)
    function = Prompt.objects.live_in(org).filter(pk=object_id).first()
    if function is None:
        raise NotFound("function", object_id)
    return Scope(object_type, object_id, Node.of(function), function=function)


def env_var_node(env_var: EnvVar) -> Node:
    """The node whose permissions decide who sees and changes `env_var`."""
    if env_var.object_type == EnvVar.ObjectType.PROJECT:
        return Node("project", env_var.object_id)
    if env_var.object_type == EnvVar.ObjectType.FUNCTION:
        return Node("prompt", env_var.object_id)
    return Node("organization", env_var.object_id)
