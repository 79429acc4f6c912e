"""The words every page uses for permissions and object types: those of the Permissions dialogs.

The dialogs (:mod:`permissions.boxes`) speak of "Read", "Update" and "Manage access"; the access model's
codes (``read_acls``, ``org_project``) are what the API speaks. A page that names a permission, a refusal
or a grant uses these words, and shows the code only as a detail beside them (a ``<code>`` or a
``title``), so that a person reads one vocabulary everywhere and can still match it to the API.

The four ``*_acls`` permissions are each a part of "Manage access" (the dialogs grant them together); a
page that must tell them apart says which part.
"""

MANAGE_ACCESS = "Manage access"

PERMISSION_LABELS: dict[str, str] = {
    "read": "Read",
    "create": "Create",
    "update": "Update",
    "delete": "Delete",
    "create_acls": f"{MANAGE_ACCESS}: add grants",
    "read_acls": f"{MANAGE_ACCESS}: list grants",
    "update_acls": f"{MANAGE_ACCESS}: change grants",
    "delete_acls": f"{MANAGE_ACCESS}: remove grants",
}

TYPE_LABELS: dict[str, str] = {
    "organization": "Organization",
    "org_member": "Members",
    "org_audit_logs": "Audit log",
    "org_project": "All projects",
    "group": "Permission group",
    "role": "Role",
    "project": "Project",
    "project_log": "Project logs",
    "experiment": "Experiment",
    "dataset": "Dataset",
    "prompt": "Prompt",
    "prompt_session": "Playground",
}

# The organization dialog's boxes that stand for one permission on one type of node, in the box's own words
# (docs/access-model.md, "What the pages write").
NODE_PERMISSION_LABELS: dict[tuple[str, str, str | None], str] = {
    ("organization", "update", "organization"): "Manage settings",
    ("org_member", "create", None): "Manage members (invite)",
    ("org_member", "delete", None): "Remove members",
    ("org_audit_logs", "read", None): "Read audit logs",
}


def permission_label(permission: str, *, with_code: bool = False) -> str:
    """``create_acls`` as "Manage access: add grants", with "(create_acls)" after it if `with_code` and the
    words are not simply the code capitalized (for text that cannot hold a ``<code>`` detail)."""
    label = PERMISSION_LABELS.get(permission, permission)
    return f"{label} ({permission})" if with_code and label != permission.capitalize() else label


def node_permission_label(permission: str, object_type: str | None = None, restrict_object_type: str | None = None) -> str:
    """`permission` on a node of `object_type` as the dialog box that grants it reads ("Read audit logs" for
    read on org_audit_logs), else as :func:`permission_label` has it."""
    if object_type is not None:
        boxed = NODE_PERMISSION_LABELS.get((object_type, permission, restrict_object_type or None))
        if boxed is not None:
            return boxed
    return permission_label(permission)


def type_label(object_type: str, *, with_code: bool = False) -> str:
    """``org_project`` as "All projects", with "(org_project)" after it if `with_code` and the words are not
    simply the code."""
    label = TYPE_LABELS.get(object_type, object_type)
    return f"{label} ({object_type})" if with_code and label.casefold() != object_type.replace("_", " ") else label
