"""The vocabulary of the access model: object types, permissions and the fixed type hierarchy.

Names and values are Braintrust's (`AclObjectType` and `Permission` in its OpenAPI spec). The hierarchy
is part of the contract (docs/access-model.md, "Objects and their hierarchy"), so it lives here as data
rather than being inferred from models.
"""

from django.db import models


class ObjectType(models.TextChoices):
    ORGANIZATION = "organization"
    PROJECT = "project"
    EXPERIMENT = "experiment"
    DATASET = "dataset"
    PROMPT = "prompt"
    PROMPT_SESSION = "prompt_session"
    GROUP = "group"
    ROLE = "role"
    ORG_MEMBER = "org_member"
    PROJECT_LOG = "project_log"
    ORG_PROJECT = "org_project"
    ORG_AUDIT_LOGS = "org_audit_logs"


class Permission(models.TextChoices):
    CREATE = "create"
    READ = "read"
    UPDATE = "update"
    DELETE = "delete"
    CREATE_ACLS = "create_acls"
    READ_ACLS = "read_acls"
    UPDATE_ACLS = "update_acls"
    DELETE_ACLS = "delete_acls"


ALL_PERMISSIONS: tuple[str, ...] = tuple(Permission.values)
CRUD_PERMISSIONS: tuple[str, ...] = ("create", "read", "update", "delete")
ACL_PERMISSIONS: tuple[str, ...] = ("create_acls", "read_acls", "update_acls", "delete_acls")

# Each type's parent type. The object id of a virtual node is the id of the model it hangs on:
# org_member, org_audit_logs and org_project use the organization's id, project_log the project's.
PARENT_TYPE: dict[str, str | None] = {
    "organization": None,
    "org_member": "organization",
    "org_audit_logs": "organization",
    "group": "organization",
    "role": "organization",
    "org_project": "organization",
    "project": "org_project",
    "project_log": "project",
    "experiment": "project",
    "dataset": "project",
    "prompt": "project",
    "prompt_session": "project",
}

# Virtual nodes have no table of their own: they are named by the id of the node they hang on.
VIRTUAL_TYPES: frozenset[str] = frozenset({"org_member", "org_audit_logs", "org_project", "project_log"})
# The nodes the organization's own id names: grants on them cover every node of the organization below.
ORGANIZATION_NODE_TYPES = ("organization", "org_member", "org_audit_logs", "org_project")


def chain_types(object_type: str) -> list[str]:
    """The types from `object_type` up to the organization, the node itself first."""
    types: list[str] = []
    current: str | None = object_type
    while current is not None:
        types.append(current)
        current = PARENT_TYPE[current]
    return types


def codename(permission: str, object_type: str) -> str:
    """The Django permission codename for `permission` on `object_type`, e.g. ``read_experiment``."""
    return f"{permission}_{object_type}"


def parse_codename(name: str) -> tuple[str, str] | None:
    """Split ``create_acls_project_log`` into ``("create_acls", "project_log")``; None if it is not ours."""
    for object_type in sorted(ObjectType.values, key=len, reverse=True):
        suffix = f"_{object_type}"
        if name.endswith(suffix) and name[: -len(suffix)] in ALL_PERMISSIONS:
            return name[: -len(suffix)], object_type
    return None


def model_permissions(object_type: str) -> list[tuple[str, str]]:
    """``Meta.permissions`` for a model of `object_type`: one Django permission per access permission."""
    return [(codename(p, object_type), f"Can {p.replace('_', ' ')} {object_type.replace('_', ' ')}") for p in ALL_PERMISSIONS]
