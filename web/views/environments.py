"""Settings → Environments: the organization's environments, and creating, changing and deleting them.

Reading the page needs read on the organization, as the API's ``GET /environment`` does (every built-in
group holds it); the forms are shown with "Manage settings" (update on the organization), which each
service checks again. Deleting asks first (:mod:`web.confirm`), in a dialog and as a page of its own.
"""

from functools import partial

from django.shortcuts import redirect
from django.urls import path, reverse

from accounts.models import Environment
from accounts.services.environments import environment_create, environment_delete, environment_update
from permissions.engine.nodes import Node
from permissions.exceptions import NotFound
from permissions.requirements import Needs
from projects.selectors import live_environments
from web.confirm import Confirmation
from web.context import OrgPage
from web.forms.environments import EnvironmentForm
from web.views.outcomes import report, save_form


def _list_url(org) -> str:
    return reverse("web:environments", kwargs={"org_name": org.name})


def delete_confirmation(org, environment: Environment) -> Confirmation:
    return Confirmation(
        key=f"delete-environment-{environment.pk.hex}",
        title=f"Delete the environment {environment.name}?",
        action=reverse("web:environment-delete", kwargs={"org_name": org.name, "environment_id": environment.pk}),
        button="Delete environment",
        back_url=_list_url(org),
        goes=[f'Code that loads prompts or datasets with environment="{environment.slug}" stops finding them.'],
    )


class EnvironmentsPage(OrgPage):
    """The list (read on the organization) and, with Manage settings, the form that creates one."""

    template_name = "web/settings/environments.html"
    section = "environments"

    def requirements_get(self):
        return [Needs("read", Node.of(self.org))]

    def requirements_post(self):
        return [Needs("update", Node.of(self.org))]

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        environments = list(live_environments(self.org.pk))
        manage = self.flags.can_manage_settings
        context.update(
            environments=[
                {
                    "environment": environment,
                    "edit_url": reverse("web:environment-edit", kwargs={"org_name": self.org.name, "environment_id": environment.pk}),
                    "delete": delete_confirmation(self.org, environment) if manage else None,
                }
                for environment in environments
            ],
            form=(form or EnvironmentForm()) if manage else None,
        )
        return context

    def post(self, request, *args, **kwargs):
        form = EnvironmentForm(request.POST)
        created = save_form(form, lambda data: environment_create(actor=request.user, org=self.org, **data), error_field="slug")
        if created is None:
            return self.render_to_response(self.get_context_data(form=form), status=400)
        return redirect(_list_url(self.org))


class EnvironmentPage(OrgPage):
    """A page of one live environment of the organization, which Manage settings changes."""

    section = "environments"

    def load(self) -> None:
        environment = live_environments(self.org.pk).filter(pk=self.kwargs["environment_id"]).first()
        if environment is None:
            raise NotFound("environment", self.kwargs["environment_id"])
        self.environment = environment

    def requirements_get(self):
        return [Needs("update", Node.of(self.org))]

    def requirements_post(self):
        return [Needs("update", Node.of(self.org))]


class EnvironmentEdit(EnvironmentPage):
    """Rename an environment, change its slug or its description."""

    template_name = "web/settings/environment_edit.html"

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        environment = self.environment
        initial = {"name": environment.name, "slug": environment.slug, "description": environment.description}
        context.update(environment=environment, form=form or EnvironmentForm(initial=initial), back_url=_list_url(self.org))
        return context

    def post(self, request, *args, **kwargs):
        form = EnvironmentForm(request.POST)
        changed = save_form(
            form, lambda data: environment_update(actor=request.user, environment=self.environment, **data), error_field="slug"
        )
        if changed is None:
            return self.render_to_response(self.get_context_data(form=form), status=400)
        return redirect(_list_url(self.org))


class EnvironmentDelete(EnvironmentPage):
    """GET asks, as a page (the list asks in a dialog); POST deletes."""

    template_name = "web/settings/confirm_page.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(confirm=delete_confirmation(self.org, self.environment), back_label="Environments")
        return context

    def post(self, request, *args, **kwargs):
        change = partial(environment_delete, actor=request.user, environment=self.environment)
        report(request, change, success=f"Deleted the environment {self.environment.name}.")
        return redirect(_list_url(self.org))


urlpatterns = [
    path("settings/environments/", EnvironmentsPage.as_view(), name="environments"),
    path("settings/environments/<uuid:environment_id>/edit/", EnvironmentEdit.as_view(), name="environment-edit"),
    path("settings/environments/<uuid:environment_id>/delete/", EnvironmentDelete.as_view(), name="environment-delete"),
]
