"""The environments panel of a prompt's page: the version each environment pins, and, for whoever may
update the prompt, pinning one of its versions, promoting one environment's version to another (staging to
production) and unpinning.

Every change goes through :func:`projects.services.environments.environment_object_update` or
``environment_object_delete``, which ``PUT`` and ``DELETE /environment-object/...`` call too, so the page
and the API pin alike and each pin is audited once.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import path, reverse

from accounts.models import Environment
from permissions.engine.nodes import Node
from permissions.exceptions import NotFound
from permissions.requirements import Needs, Requirement
from projects.models import Prompt
from projects.selectors import environment_by_slug, pins_of
from projects.services.environments import environment_object_delete, environment_object_update
from web.forms.environments import PinForm, PromoteForm
from web.views.outcomes import report
from web.views.project_pages.kinds import object_url
from web.views.project_pages.object_page import ObjectPage


def prompt_page_url(org, prompt: Prompt, name: str, **kwargs) -> str:
    return reverse(f"web:{name}", kwargs={"org_name": org.name, "project_id": prompt.project_id, "object_id": prompt.pk, **kwargs})


@dataclass(frozen=True)
class PinRow:
    """One environment on the prompt's page, with the version it pins (None: nothing pinned there)."""

    environment: Environment
    version: int | None
    unpin_url: str


def environments_context(org, prompt: Prompt, versions: list[int], *, can_update: bool) -> dict:
    """What the panel shows: each live environment with its pinned version, and the forms for whoever may
    update the prompt (two queries, whatever the number of environments)."""
    rows = [
        PinRow(environment, pin.object_version if pin else None, prompt_page_url(org, prompt, "prompt-unpin", slug=environment.slug))
        for environment, pin in pins_of(org.pk, Node.of(prompt))
    ]
    choices = [(row.environment.slug, row.environment.name) for row in rows]
    forms = {}
    if can_update and rows and versions:
        forms = {
            "pin_form": PinForm(environments=choices, versions=versions, initial={"version": versions[0]}),
            "promote_form": PromoteForm(environments=choices, initial=_promotion(choices)),
            "pin_url": prompt_page_url(org, prompt, "prompt-pin"),
            "promote_url": prompt_page_url(org, prompt, "prompt-promote"),
        }
    return {"pins": rows, "can_pin": bool(forms), **forms}


def _promotion(choices: list[tuple[str, str]]) -> dict:
    """Staging to production when the organization has both: the promotion teams make most."""
    slugs = {slug for slug, _ in choices}
    return {"source": "staging", "target": "production"} if {"staging", "production"} <= slugs else {}


class PromptPinChange(ObjectPage):
    """A POST that changes where the prompt is pinned (update on the prompt), then back to its page."""

    http_method_names = ["post"]

    def requirements_post(self) -> list[Requirement]:
        return [Needs("update", Node.of(self.obj))]

    def environment(self, slug: str) -> Environment:
        environment = environment_by_slug(self.org.pk, slug)
        if environment is None:
            raise NotFound("environment", slug)
        return environment

    def choices(self) -> list[tuple[str, str]]:
        return [(environment.slug, environment.name) for environment, _ in pins_of(self.org.pk, Node.of(self.obj))]

    def done(self) -> HttpResponseRedirect:
        return HttpResponseRedirect(object_url(self.org, self.obj) + "#environments-title")

    def refused(self, form) -> HttpResponseRedirect:
        messages.error(self.request, " ".join(error for errors in form.errors.values() for error in errors))
        return self.done()


class PromptPin(PromptPinChange):
    def post(self, request, *args, **kwargs):
        versions = list(self.obj.versions.values_list("xact_id", flat=True))
        form = PinForm(request.POST, environments=self.choices(), versions=versions)
        if not form.is_valid():
            return self.refused(form)
        environment, version = self.environment(form.cleaned_data["environment"]), form.cleaned_data["version"]
        change = lambda: environment_object_update(actor=request.user, environment=environment, obj=self.obj, object_version=version)  # noqa: E731
        report(request, change, success=f"Pinned version {version} of {self.obj.name} to {environment.name}.")
        return self.done()


class PromptPromote(PromptPinChange):
    def post(self, request, *args, **kwargs):
        form = PromoteForm(request.POST, environments=self.choices())
        if not form.is_valid():
            return self.refused(form)
        source, target = self.environment(form.cleaned_data["source"]), self.environment(form.cleaned_data["target"])
        pinned = dict((environment.pk, pin) for environment, pin in pins_of(self.org.pk, Node.of(self.obj)))
        if pinned.get(source.pk) is None:
            messages.error(request, f"{source.name} pins no version of {self.obj.name}: nothing to promote.")
            return self.done()
        version = pinned[source.pk].object_version
        change = lambda: environment_object_update(actor=request.user, environment=target, obj=self.obj, object_version=version)  # noqa: E731
        report(request, change, success=f"Promoted version {version} of {self.obj.name} from {source.name} to {target.name}.")
        return self.done()


class PromptUnpin(PromptPinChange):
    def post(self, request, *args, **kwargs):
        environment = self.environment(self.kwargs["slug"])
        environment_object_delete(actor=request.user, environment=environment, obj=self.obj)
        messages.success(request, f"Unpinned {self.obj.name} from {environment.name}.")
        return self.done()


prompt = "p/<uuid:project_id>/prompts/<uuid:object_id>/environments/"
as_prompt = {"kind": "prompts"}

urlpatterns = [
    path(f"{prompt}pin/", PromptPin.as_view(), as_prompt, name="prompt-pin"),
    path(f"{prompt}promote/", PromptPromote.as_view(), as_prompt, name="prompt-promote"),
    path(f"{prompt}<str:slug>/unpin/", PromptUnpin.as_view(), as_prompt, name="prompt-unpin"),
]
