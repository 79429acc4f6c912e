"""A prompt's pages: the prompt with its messages, model, parameters, tools and template variables; the
editor that creates and changes it; its version history, each version compared with the current one and
restored, and the version each environment pins (``web.views.prompt_environments``); and a playground's
page, its prompts tried on the first rows of a dataset.

Every page declares what it needs (create on a prompt under the project for a new one, update on the
prompt to edit or restore it, update on the playground to change what it holds); the writes go through
the services that ``/v1/prompt`` and ``/v1/prompt_session`` use, and what the pages offer comes from the
flags of ``web.flags``. No model is called: a playground shows each prompt's messages with its variables
filled from each row, and has no Run button.
"""

import json
from dataclasses import dataclass
from functools import cached_property
from uuid import UUID

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.text import slugify

from permissions.engine.nodes import Node
from permissions.exceptions import NotFound, ValidationError
from permissions.requirements import Needs, NeedsCreate, Requirement
from projects.events.reads import fetch_events
from projects.events.targets import EventTarget
from projects.models import Dataset, Prompt, PromptVersion
from projects.prompt_templates import fill, prompt_messages, prompt_variables, row_variables, template_variables
from projects.selectors import (
    datasets_readable_in_org,
    objects_readable_by,
    prompt_version,
    prompt_versions,
    prompts_readable_in,
    prompts_readable_in_org,
)
from projects.services.playgrounds import playground_prompt_ids, playground_update
from projects.services.prompts import prompt_create, prompt_restore, prompt_state, prompt_update
from web.formatting import preview
from web.forms.prompts import (
    PlaygroundDatasetForm,
    PlaygroundPromptForm,
    PromptEditorForm,
    editor_can_edit,
    editor_prompt_data,
    message_formset,
    shown_tools,
)
from web.prompt_diff import field_changes, message_diff
from web.views.outcomes import report
from web.views.project_pages.kinds import KINDS, object_url, tab_url
from web.views.project_pages.layout import ProjectPage
from web.views.project_pages.object_page import ObjectPage
from web.views.prompt_environments import environments_context, prompt_page_url

PLAYGROUND_ROWS = 5  # the dataset rows a playground shows beside its prompts


def is_prompt(prompt: Prompt) -> bool:
    """Whether `prompt` is a prompt (a function of type prompt included), not a function of another kind."""
    return (prompt.function_data or {"type": "prompt"}).get("type") == "prompt"


def is_editable(prompt: Prompt) -> bool:
    """Whether the editor edits `prompt`: a prompt whose definition it shows whole (``editor_can_edit``)."""
    return is_prompt(prompt) and editor_can_edit(prompt.prompt_data)


NOT_EDITABLE = "This prompt has messages the editor does not show (tool calls, images or other roles): change it through the API."


@dataclass(frozen=True)
class PromptView:
    """What a page shows of a prompt's definition."""

    messages: list[dict]
    model: str
    params: list[tuple[str, str]]
    tools: str
    variables: list[str]
    is_completion: bool

    @classmethod
    def of(cls, prompt_data: dict | None) -> "PromptView":
        data = prompt_data or {}
        options = data.get("options") or {}
        block = data.get("prompt") or {}
        params = options.get("params") or {}
        return cls(
            messages=prompt_messages(data),
            model=options.get("model") or "",
            params=[(key, value if isinstance(value, str) else json.dumps(value)) for key, value in sorted(params.items())],
            tools=shown_tools(block.get("tools")),
            variables=prompt_variables(data),
            is_completion=block.get("type") == "completion",
        )


class PromptObjectPage(ObjectPage):
    """A page of one prompt: its kind is fixed by the route."""

    def prompt_urls(self) -> dict:
        return {"edit_url": prompt_page_url(self.org, self.obj, "prompt-edit"), "prompt_url": object_url(self.org, self.obj)}


class PromptDetail(PromptObjectPage):
    """A prompt's page (read on it): its definition, its template variables, and its versions; Edit, and the
    menu's Rename and Delete, for whoever may do them."""

    template_name = "web/project/prompt.html"

    def requirements_get(self) -> list[Requirement]:
        return [Needs("read", Node.of(self.obj))]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        prompt = self.obj
        versions = prompt_versions(prompt)
        context.update(
            obj=prompt,
            kind=self.kind,
            object_type=self.kind.object_type,
            **self.access_context(),
            **self.menu_context(),
            **self.prompt_urls(),
            view=PromptView.of(prompt.prompt_data),
            definition=json.dumps(prompt.prompt_data, indent=2, ensure_ascii=False) if prompt.prompt_data else "",
            can_edit=self.object_flags.can_update and is_editable(prompt),
            not_editable=NOT_EDITABLE if self.object_flags.can_update and is_prompt(prompt) and not is_editable(prompt) else "",
            versions=[
                (version, prompt_page_url(self.org, prompt, "prompt-version", xact_id=version.xact_id), version.xact_id == prompt.xact_id)
                for version in versions
            ],
            **environments_context(self.org, prompt, [version.xact_id for version in versions], can_update=self.object_flags.can_update),
        )
        return context


class PromptEditor:
    """The editor's form and messages, shown again with their errors; a valid form saves through `save`."""

    template_name = "web/project/prompt_editor.html"

    def existing_data(self) -> dict | None:
        return None

    def is_completion(self) -> bool:
        return ((self.existing_data() or {}).get("prompt") or {}).get("type") == "completion"

    def editor_context(self, form: PromptEditorForm, formset, variables: list[str]) -> dict:
        return {"form": form, "formset": formset, "variables": variables, "is_completion": form.is_completion}

    def save(self, data: dict, prompt_data: dict) -> Prompt:
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        completion = self.is_completion()
        form = PromptEditorForm(request.POST, completion=completion)
        formset = message_formset(request.POST, add="add_message" in request.POST)
        variables = template_variables(
            value
            for key, value in request.POST.items()
            if key == "completion" or (key.endswith("-content") and not request.POST.get(key.removesuffix("content") + "DELETE"))
        )
        if "add_message" in request.POST:  # without JavaScript: the same form, one message row more
            return self.render_to_response(self.get_context_data(**self.editor_context(form, formset, variables)))
        if form.is_valid() and (completion or formset.is_valid()):
            prompt_data = editor_prompt_data(self.existing_data(), form.cleaned_data, [] if completion else formset.messages())
            try:
                prompt = self.save(form.cleaned_data, prompt_data)
            except ValidationError as exc:
                message = " ".join(exc.messages)
                form.add_error("slug" if "slug" in message.lower() else "name" if "name" in message.lower() else None, message)
            else:
                messages.success(request, f"Saved the prompt {prompt.name}.")
                return HttpResponseRedirect(object_url(self.org, prompt))
        return self.render_to_response(self.get_context_data(**self.editor_context(form, formset, variables)), status=400)


class PromptCreate(PromptEditor, ProjectPage):
    """``prompts/new/``: the editor for a new prompt (create on a prompt under the project)."""

    tab = "prompts"

    def requirements_get(self) -> list[Requirement]:
        return [NeedsCreate("prompt", Node.of(self.project))]

    def requirements_post(self) -> list[Requirement]:
        return self.requirements_get()

    def get_context_data(self, **kwargs):
        if "form" not in kwargs:
            kwargs.update(
                self.editor_context(PromptEditorForm(), message_formset(messages=[{"role": "system", "content": ""}]), variables=[])
            )
        context = super().get_context_data(**kwargs)
        context.update(kind=KINDS["prompts"], obj=None, cancel_url=tab_url(self.org, self.project.pk, "prompts"))
        return context

    def save(self, data: dict, prompt_data: dict) -> Prompt:
        return prompt_create(
            actor=self.request.user,
            project=self.project,
            name=data["name"],
            slug=data.get("slug") or slugify(data["name"]),
            description=data.get("description") or "",
            prompt_data=prompt_data,
        )


class PromptEdit(PromptEditor, PromptObjectPage):
    """``prompts/<id>/edit/``: the editor for a prompt (update on it); each save keeps a version."""

    def requirements_get(self) -> list[Requirement]:
        return [Needs("update", Node.of(self.obj))]

    def requirements_post(self) -> list[Requirement]:
        return self.requirements_get()

    def existing_data(self) -> dict | None:
        return self.obj.prompt_data

    def get(self, request, *args, **kwargs):
        return self.refuse_uneditable() or super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        return self.refuse_uneditable() or super().post(request, *args, **kwargs)

    def refuse_uneditable(self):
        """A function of another kind is no prompt to edit; a prompt the editor cannot show whole is sent
        back to its page, which says why."""
        if not is_prompt(self.obj):
            raise NotFound("prompt", self.obj.pk)
        if not is_editable(self.obj):
            messages.error(self.request, NOT_EDITABLE)
            return HttpResponseRedirect(object_url(self.org, self.obj))
        return None

    def get_context_data(self, **kwargs):
        if "form" not in kwargs:
            state = prompt_state(self.obj)
            form = PromptEditorForm(initial=PromptEditorForm.initial_of(state), completion=self.is_completion())
            shown = [m for m in prompt_messages(self.obj.prompt_data) if m["role"]] if not self.is_completion() else []
            kwargs.update(self.editor_context(form, message_formset(messages=shown), prompt_variables(self.obj.prompt_data)))
        context = super().get_context_data(**kwargs)
        context.update(obj=self.obj, kind=self.kind, cancel_url=object_url(self.org, self.obj))
        return context

    def save(self, data: dict, prompt_data: dict) -> Prompt:
        return prompt_update(
            actor=self.request.user,
            prompt=self.obj,
            name=data["name"],
            slug=data.get("slug") or self.obj.slug,
            description=data.get("description") or "",
            prompt_data=prompt_data,
        )


class PromptVersionPage(PromptObjectPage):
    """``prompts/<id>/versions/<xact_id>/``: one version (read on the prompt), what differs from the current
    one, and Restore for whoever may update the prompt."""

    template_name = "web/project/prompt_version.html"

    def requirements_get(self) -> list[Requirement]:
        return [Needs("read", Node.of(self.obj))]

    @cached_property
    def version(self) -> PromptVersion:
        version = prompt_version(self.obj, self.kwargs["xact_id"])
        if version is None:
            raise NotFound("prompt version", self.kwargs["xact_id"])
        return version

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        version, current = self.version, prompt_state(self.obj)
        is_current = version.xact_id == self.obj.xact_id
        context.update(
            obj=self.obj,
            kind=self.kind,
            version=version,
            is_current=is_current,
            view=PromptView.of(version.snapshot.get("prompt_data")),
            changes=field_changes(version.snapshot, current),
            lines=message_diff(version.snapshot, current),
            can_restore=self.object_flags.can_update and not is_current,
            restore_url=prompt_page_url(self.org, self.obj, "prompt-restore", xact_id=version.xact_id),
            prompt_url=object_url(self.org, self.obj),
        )
        return context


class PromptRestore(PromptObjectPage):
    """POST: keep a new version equal to an earlier one (update on the prompt)."""

    http_method_names = ["post"]

    def requirements_post(self) -> list[Requirement]:
        return [Needs("update", Node.of(self.obj))]

    def post(self, request, *args, **kwargs):
        xact_id, before = self.kwargs["xact_id"], self.obj.xact_id
        if prompt_version(self.obj, xact_id) is None:
            raise NotFound("prompt version", xact_id)
        try:
            restored = prompt_restore(actor=request.user, prompt=self.obj, version=xact_id)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if restored.xact_id == before:
                messages.info(request, f"Version {xact_id} is the same as the current one: nothing changed.")
            else:
                messages.success(request, f"Restored version {xact_id} of the prompt {self.obj.name} as version {restored.xact_id}.")
        return HttpResponseRedirect(object_url(self.org, self.obj))


# Playgrounds


@dataclass
class PlaygroundRow:
    """A dataset row, and each prompt's messages filled from it."""

    id: str
    input: str
    expected: str
    filled: list[list[dict]]


class PlaygroundDetail(ObjectPage):
    """A playground's page (read on it): the prompts it uses that the person may read, the dataset it tries
    them on, and that dataset's first rows with each prompt's variables filled from each row. Whoever may
    update the playground adds and removes prompts and chooses the dataset."""

    template_name = "web/project/playground.html"

    def requirements_get(self) -> list[Requirement]:
        return [Needs("read", Node.of(self.obj))]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, playground = self.request.user, self.obj
        prompts = list(prompts_readable_in(user, playground).order_by("name"))
        dataset = objects_readable_by(user, Dataset, pk=playground.dataset_id).first()
        rows = self.dataset_rows(dataset, prompts) if dataset is not None else []
        can_update = self.object_flags.can_update
        context.update(
            obj=playground,
            kind=self.kind,
            object_type=self.kind.object_type,
            **self.access_context(),
            **self.menu_context(),
            prompts=[
                (prompt, object_url(self.org, prompt), PromptView.of(prompt.prompt_data), self.remove_url(prompt) if can_update else None)
                for prompt in prompts
            ],
            dataset=dataset,
            dataset_url=object_url(self.org, dataset) if dataset is not None else None,
            hidden_dataset=playground.dataset_id is not None and dataset is None,
            rows=rows,
            can_update=can_update,
        )
        if can_update:
            context.update(self.change_forms(dataset))
        return context

    def dataset_rows(self, dataset, prompts: list[Prompt]) -> list[PlaygroundRow]:
        events = fetch_events(actor=self.request.user, target=EventTarget.of(dataset), limit=PLAYGROUND_ROWS).events
        rows = []
        for event in events:
            if not event.get("is_root"):
                continue
            variables = row_variables(event)
            filled = [
                [{"role": m["role"], "content": fill(m["content"], variables)} for m in prompt_messages(prompt.prompt_data)]
                for prompt in prompts
            ]
            rows.append(PlaygroundRow(event["id"], preview(event.get("input")), preview(event.get("expected")), filled))
        return rows

    def remove_url(self, prompt: Prompt) -> str:
        kwargs = {"org_name": self.org.name, "project_id": self.project.pk, "object_id": self.obj.pk, "prompt_id": prompt.pk}
        return reverse("web:playground-prompt-remove", kwargs=kwargs)

    def change_forms(self, dataset) -> dict:
        user, org = self.request.user, self.org
        used = set(playground_prompt_ids(self.obj))
        prompt_choices = [(str(p.pk), f"{p.project.name} / {p.name}") for p in prompts_readable_in_org(user, org) if p.pk not in used]
        dataset_choices = [(str(d.pk), f"{d.project.name} / {d.name}") for d in datasets_readable_in_org(user, org)]
        kwargs = {"project_id": self.project.pk, "object_id": self.obj.pk}
        return {
            "prompt_form": PlaygroundPromptForm(choices=prompt_choices),
            "dataset_form": PlaygroundDatasetForm(choices=dataset_choices, initial={"dataset": str(dataset.pk) if dataset else ""}),
            "add_prompt_url": reverse("web:playground-prompts", kwargs={"org_name": org.name, **kwargs}),
            "dataset_url_post": reverse("web:playground-dataset", kwargs={"org_name": org.name, **kwargs}),
        }


class PlaygroundChange(ObjectPage):
    """A change to a playground from its page (update on it), through ``playground_update``; the page is
    shown again with what the service said."""

    http_method_names = ["post"]

    def requirements_post(self) -> list[Requirement]:
        return [Needs("update", Node.of(self.obj))]

    def change(self, request) -> tuple[dict, str]:
        """The arguments of ``playground_update``, and what to say when it is done."""
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        try:
            changes, success = self.change(request)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            report(request, lambda: playground_update(actor=request.user, playground=self.obj, **changes), success=success)
        return HttpResponseRedirect(object_url(self.org, self.obj))


def _uuid(raw: str | None, what: str) -> UUID:
    try:
        return UUID(str(raw))
    except ValueError:
        raise ValidationError(f"Choose a {what} from the list.") from None


class PlaygroundAddPrompt(PlaygroundChange):
    """POST: add a prompt the person may read (of any project of the organization) to the playground."""

    def change(self, request) -> tuple[dict, str]:
        prompt_id = _uuid(request.POST.get("prompt"), "prompt")
        return {"prompt_ids": [*playground_prompt_ids(self.obj), prompt_id]}, "Added the prompt to the playground."


class PlaygroundRemovePrompt(PlaygroundChange):
    """POST: remove one prompt from the playground."""

    def change(self, request) -> tuple[dict, str]:
        kept = [pk for pk in playground_prompt_ids(self.obj) if pk != self.kwargs["prompt_id"]]
        return {"prompt_ids": kept}, "Removed the prompt from the playground."


class PlaygroundChooseDataset(PlaygroundChange):
    """POST: choose the dataset the playground tries its prompts on (one the person may read), or none."""

    def change(self, request) -> tuple[dict, str]:
        raw = request.POST.get("dataset") or ""
        if not raw:
            return {"clear_dataset": True}, "The playground uses no dataset now."
        return {"dataset_id": _uuid(raw, "dataset")}, "Chose the playground's dataset."


prompt = "p/<uuid:project_id>/prompts/<uuid:object_id>/"
playground = "p/<uuid:project_id>/playgrounds/<uuid:object_id>/"
as_prompt = {"kind": "prompts"}
as_playground = {"kind": "playgrounds"}

# Before the project pages' routes: a prompt's and a playground's own page answer for them.
urlpatterns = [
    path("p/<uuid:project_id>/prompts/new/", PromptCreate.as_view(), name="prompt-create"),
    path(prompt, PromptDetail.as_view(), as_prompt, name="prompt"),
    path(f"{prompt}edit/", PromptEdit.as_view(), as_prompt, name="prompt-edit"),
    path(f"{prompt}versions/<int:xact_id>/", PromptVersionPage.as_view(), as_prompt, name="prompt-version"),
    path(f"{prompt}versions/<int:xact_id>/restore/", PromptRestore.as_view(), as_prompt, name="prompt-restore"),
    path(playground, PlaygroundDetail.as_view(), as_playground, name="playground"),
    path(f"{playground}prompts/", PlaygroundAddPrompt.as_view(), as_playground, name="playground-prompts"),
    path(f"{playground}prompts/<uuid:prompt_id>/remove/", PlaygroundRemovePrompt.as_view(), as_playground, name="playground-prompt-remove"),
    path(f"{playground}dataset/", PlaygroundChooseDataset.as_view(), as_playground, name="playground-dataset"),
]
