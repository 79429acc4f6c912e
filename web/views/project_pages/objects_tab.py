"""The Experiments, Datasets, Prompts and Playgrounds tabs: the objects the person may read, and Create."""

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.utils.text import slugify

from projects.models import Project, ProjectObject
from projects.selectors import objects_readable_by, pins_of_many
from projects.services.experiments import dataset_create, experiment_create
from projects.services.playgrounds import playground_create
from projects.services.prompts import prompt_create
from web.flags import may_create_in
from web.forms.objects import CreateObjectForm, CreatePromptForm
from web.sdk_snippets import sdk_snippet
from web.views.outcomes import save_form
from web.views.project_pages.kinds import KINDS, Kind, object_url
from web.views.project_pages.layout import ProjectPage


def create_object(*, actor, project: Project, kind: Kind, data: dict) -> ProjectObject:
    """Create an object of `kind` through its service, from a valid create form's data."""
    name, description = data["name"], data.get("description") or ""
    if kind.object_type == "experiment":
        return experiment_create(actor=actor, project=project, name=name, description=description)
    if kind.object_type == "dataset":
        return dataset_create(actor=actor, project=project, name=name, description=description)
    if kind.object_type == "prompt":
        slug = data.get("slug") or slugify(name)
        return prompt_create(actor=actor, project=project, name=name, slug=slug, description=description)
    return playground_create(actor=actor, project=project, name=name, description=description)


class ObjectsTab(ProjectPage):
    """The Experiments, Datasets, Prompts or Playgrounds tab: what the person may read, and Create when allowed.

    ``/app/<org>/p/<project>/`` is the Experiments tab."""

    template_name = "web/project/objects.html"

    @property
    def kind(self) -> Kind:
        return KINDS[self.tab]

    def objects(self) -> list[ProjectObject]:
        readable = objects_readable_by(self.request.user, self.kind.model, project=self.project)
        readable = readable.select_related("created_by").order_by("-created")
        if self.kind.object_type == "prompt_session":
            readable = readable.annotate(prompt_count=Count("prompts", filter=Q(prompts__deleted_at__isnull=True)))
        objects = list(readable)
        if self.kind.object_type == "prompt":
            pins = pins_of_many(self.org.pk, "prompt", [obj.pk for obj in objects])
            for obj in objects:
                obj.pins = pins.get(obj.pk, [])
        return objects

    def form_class(self):
        return CreatePromptForm if self.kind.object_type == "prompt" else CreateObjectForm

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        objects = self.objects()
        context.update(
            kind=self.kind,
            objects=[(obj, object_url(self.org, obj)) for obj in objects],
            can_create=may_create_in(self.request.user, self.kind.object_type, self.project),
            form=form or self.form_class()(singular=self.kind.singular),
        )
        if not objects and self.kind.object_type == "experiment":
            context["sdk_snippet"] = sdk_snippet(self.request, self.org, self.project, "experiments")
        return context

    def post(self, request, *args, **kwargs):
        form = self.form_class()(request.POST, singular=self.kind.singular)
        obj = save_form(form, lambda data: create_object(actor=request.user, project=self.project, kind=self.kind, data=data))
        if obj is None:
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(request, f"Created the {self.kind.singular} {obj.name}.")
        return HttpResponseRedirect(object_url(self.org, obj))


def tab_view(tab: str):
    return ObjectsTab.as_view(tab=tab)
