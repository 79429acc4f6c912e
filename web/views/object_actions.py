"""Renaming and deleting an experiment, dataset, prompt or playground from its menu.

Each is a page of its own, which the menu's dialog posts to (and which shows the form again with its
errors, and works without JavaScript). Renaming needs update on the object, deleting needs delete on it,
declared on the page; the object's own service writes and audits.
"""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import path

from permissions.engine.nodes import Node
from permissions.requirements import Needs, Requirement
from projects.models import ProjectObject
from projects.services.experiments import dataset_update, experiment_update
from projects.services.objects import object_delete
from projects.services.playgrounds import playground_update
from projects.services.prompts import prompt_update
from web.forms.prompts import RenameForm
from web.views.object_menu import object_delete_confirmation
from web.views.outcomes import save_form
from web.views.project_pages.kinds import object_url, tab_url
from web.views.project_pages.object_page import ObjectPage


def rename_object(*, actor, obj: ProjectObject, name: str) -> ProjectObject:
    """Rename `obj` through the service of its kind."""
    if obj.acl_object_type == "experiment":
        return experiment_update(actor=actor, experiment=obj, name=name)
    if obj.acl_object_type == "dataset":
        return dataset_update(actor=actor, dataset=obj, name=name)
    if obj.acl_object_type == "prompt":
        return prompt_update(actor=actor, prompt=obj, name=name)
    return playground_update(actor=actor, playground=obj, name=name)


class ObjectRename(ObjectPage):
    """GET: the rename form; POST: rename the object (update on it)."""

    template_name = "web/project/object_rename.html"

    def requirements_get(self) -> list[Requirement]:
        return [Needs("update", Node.of(self.obj))]

    def requirements_post(self) -> list[Requirement]:
        return self.requirements_get()

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        form = form or RenameForm(initial={"name": self.obj.name}, singular=self.kind.singular)
        context.update(obj=self.obj, kind=self.kind, form=form, object_url=object_url(self.org, self.obj))
        return context

    def post(self, request, *args, **kwargs):
        old_name = self.obj.name
        form = RenameForm(request.POST, singular=self.kind.singular)
        renamed = save_form(form, lambda data: rename_object(actor=request.user, obj=self.obj, name=data["name"]), error_field="name")
        if renamed is None:
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(request, f"Renamed the {self.kind.singular} {old_name} to {renamed.name}.")
        return HttpResponseRedirect(object_url(self.org, self.obj))


class ObjectDelete(ObjectPage):
    """GET asks, as a page (the menu asks in a dialog); POST deletes the object (delete on it)."""

    template_name = "web/project/confirm_page.html"

    def requirements_get(self) -> list[Requirement]:
        return [Needs("delete", Node.of(self.obj))]

    def requirements_post(self) -> list[Requirement]:
        return self.requirements_get()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        back = object_url(self.org, self.obj)
        context.update(confirm=object_delete_confirmation(self.org, self.obj, self.kind.slug, self.kind.singular, back))
        return context

    def post(self, request, *args, **kwargs):
        object_delete(actor=request.user, obj=self.obj)
        messages.success(request, f"Deleted the {self.kind.singular} {self.obj.name}.")
        return HttpResponseRedirect(tab_url(self.org, self.project.pk, self.kind.slug))


project_object = "p/<uuid:project_id>/<str:kind>/<uuid:object_id>/"

urlpatterns = [
    path(f"{project_object}rename/", ObjectRename.as_view(), name="object-rename"),
    path(f"{project_object}delete/", ObjectDelete.as_view(), name="object-delete"),
]
