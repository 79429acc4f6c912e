"""The Environment variables section of a project's Configuration page: the project's variables
(``/v1/env_var``'s with ``object_type`` project), each shown by name and by the preview of its value.

Seeing them is read on the project, as the page itself; adding one, replacing its value and deleting it is
update on the project, checked again by :mod:`secrets_store.services.env_vars`. A value is typed into a
password field that is never filled back in.
"""

from uuid import UUID

from secrets_store.models import EnvVar
from secrets_store.selectors import env_vars_of_object
from web.confirm import Confirmation
from web.forms.secrets import EnvVarForm, ReplaceValueForm
from web.views.project_configuration.base import ConfigurationBase, Editor


class EnvVarsSection(ConfigurationBase):
    """The project's environment variables, their create and replace-value dialogs, and their deletes."""

    def env_var_editor(self, env_var: EnvVar | None = None, data=None) -> Editor:
        if env_var is None:
            form = EnvVarForm(data, prefix="env-new")
            return Editor("env-new", "Add environment variable", self.url("project-env-var-create"), form, kind="env-var")
        form = ReplaceValueForm(data, prefix=f"env-{env_var.pk.hex}", label=f"New value of {env_var.name}")
        action = self.url("project-env-var-update", env_var_id=env_var.pk)
        return Editor(f"env-{env_var.pk.hex}", f"Replace the value of {env_var.name}", action, form, kind="env-var")

    def env_vars_context(self, failed: Editor | None) -> dict:
        variables = list(env_vars_of_object(self.org, EnvVar.ObjectType.PROJECT, self.project.pk).order_by("name"))
        entries = self.entries(variables, self.env_var_editor, failed)
        for entry in entries:
            entry["delete"] = self.env_var_delete_confirmation(entry["item"]) if entry["editor"] else None
        context = {"env_vars": entries}
        if self.config_flags.can_update:
            context["new_env_var"] = self.editor_or_failed(self.env_var_editor(), failed)
        return context

    def env_var_delete_confirmation(self, env_var: EnvVar) -> Confirmation:
        return Confirmation(
            key=f"delete-env-{env_var.pk.hex}",
            title=f"Delete the environment variable {env_var.name}?",
            action=self.url("project-env-var-delete", env_var_id=env_var.pk),
            button="Delete variable",
            back_url=self.url(anchor="env-vars"),
            goes=[f"The environment variable {env_var.name} of {self.project.name}, and its value."],
        )


class EnvVarItem:
    """What a change or delete of an environment variable is of: a variable of the project the URL names."""

    item_model, item_kwarg = EnvVar, "env_var_id"

    def find_item(self, env_var_id: UUID) -> EnvVar | None:
        return env_vars_of_object(self.org, EnvVar.ObjectType.PROJECT, self.project.pk).filter(pk=env_var_id).first()
