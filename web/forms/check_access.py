"""The question Check access asks: who, on what, which permission."""

from django import forms

from accounts.principals import Principal
from permissions.labels import permission_label

OBJECT_TYPES = (
    ("organization", "Organization"),
    ("org_member", "Members (org_member)"),
    ("org_audit_logs", "Audit logs (org_audit_logs)"),
    ("org_project", "All projects (org_project)"),
    ("group", "Permission group"),
    ("role", "Role"),
    ("project", "Project"),
    ("project_log", "Project logs (project_log)"),
    ("experiment", "Experiment"),
    ("dataset", "Dataset"),
    ("prompt", "Prompt"),
    ("prompt_session", "Playground (prompt_session)"),
)
TYPE_LABELS = dict(OBJECT_TYPES)
# In the Permissions dialogs' words; an option cannot hold a <code>, so the code of a Manage access part
# follows its words in parentheses.
PERMISSIONS = tuple(
    (permission, permission_label(permission, with_code=True))
    for permission in ("read", "create", "update", "delete", "create_acls", "read_acls", "update_acls", "delete_acls")
)
DEFAULT_TYPE = "project"


class CheckAccessForm(forms.Form):
    principal = forms.ChoiceField(label="Person, service account or group")
    object_type = forms.ChoiceField(label="Object type", choices=OBJECT_TYPES)
    object_id = forms.ChoiceField(label="Object", help_text="Among the objects you may see.")
    permission = forms.ChoiceField(label="Permission", choices=PERMISSIONS)

    def __init__(self, *args, principals: list[Principal], objects: list[tuple[str, str]], objects_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["principal"].choices = [(p.key, f"{p.name} ({p.kind_label})") for p in principals]
        self.fields["object_id"].choices = objects
        if objects_url:
            self.fields["object_type"].widget.attrs.update(
                {"hx-get": objects_url, "hx-target": "#object-field", "hx-swap": "outerHTML", "hx-trigger": "change"}
            )
