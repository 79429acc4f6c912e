"""The views of a project's Configuration page: the page, and the forms that change its tags, span
iframes, scores and permissions (each a POST that redirects back, or shows the page again with the failed dialog open)."""

from functools import cached_property
from typing import ClassVar
from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.db.models import Model
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path

from permissions.boxes import PROJECT_BOXES
from permissions.engine.nodes import Node
from permissions.exceptions import ValidationError
from permissions.requirements import Needs
from projects.models import ProjectScore, ProjectTag, SpanIframe
from projects.selectors import configuration_item
from projects.services import configuration, span_iframes
from secrets_store.models import EnvVar
from secrets_store.services.env_vars import env_var_create, env_var_delete, env_var_update
from web.confirm import Confirmation
from web.forms.expiry import GrantUntilForm
from web.forms.secrets import next_to_the_field
from web.views.access_preview import routes_with_preview
from web.views.outcomes import report, save_form
from web.views.permissions_panel import AccessRow
from web.views.project_configuration.access import AccessSection
from web.views.project_configuration.base import Editor
from web.views.project_configuration.env_vars import EnvVarItem, EnvVarsSection
from web.views.project_configuration.scores import (
    ANCHORS,
    SECTION_OF_TYPE,
    ScoresSection,
    definition_from,
    humane,
    needs_rows,
)
from web.views.project_configuration.span_iframes import SpanIframesSection
from web.views.project_configuration.tags import TagsSection
from web.views.project_pages.layout import project_layout


class ProjectConfigurationPage(TagsSection, SpanIframesSection, ScoresSection, EnvVarsSection, AccessSection):
    """The page: every section the person may see."""

    def get_context_data(self, failed: Editor | None = None, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(project_layout(self.request.user, self.org, self.project, "configuration"))
        context.update(
            project=self.project,
            config_flags=self.config_flags,
            **self.tags_context(failed),
            **self.span_iframes_context(failed),
            **self.scores_context(failed),
            **self.env_vars_context(failed),
        )
        if self.config_flags.sees_permissions:
            context.update(self.permissions_context())
        return context


class ProjectConfigurationChange(ProjectConfigurationPage):
    """A form of the Configuration page that changes the project's tags or scores: POST only, update on
    the project."""

    http_method_names = ["post"]
    item_model: ClassVar[type[Model]]  # what the URL's item id names: a tag, a score, a span iframe, a variable
    item_kwarg: ClassVar[str] = ""  # absent from the URL of a create

    def requirements_post(self):
        return [Needs("update", Node.of(self.project))]

    def find_item(self, item_id: UUID) -> Model | None:
        """The project's item with this id, or None."""
        return configuration_item(self.item_model, self.project, item_id)

    @cached_property
    def item(self) -> Model | None:
        """The item the URL names, None on a create; 404 for one that is not the project's."""
        if self.item_kwarg not in self.kwargs:
            return None
        item = self.find_item(self.kwargs[self.item_kwarg])
        if item is None:
            raise Http404(f"No such {self.item_model._meta.verbose_name}.")
        return item


class ProjectConfigurationDelete(ProjectConfigurationChange):
    """A delete of the Configuration page: GET asks, as a page (the Configuration page asks in a dialog),
    POST deletes; both need update on the project."""

    http_method_names = ["get", "post"]
    template_name = "web/project/confirm_page.html"

    def requirements_get(self):
        return [Needs("update", Node.of(self.project))]

    def confirmation(self) -> Confirmation:
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        context = super(ProjectConfigurationPage, self).get_context_data()
        context.update(project_layout(request.user, self.org, self.project, "configuration"))
        context.update(project=self.project, confirm=self.confirmation())
        return self.render_to_response(context)


# Tags


class TagSave(ProjectConfigurationChange):
    """POST: add a tag to the project, or change a tag's name, color or description."""

    item_model, item_kwarg = ProjectTag, "tag_id"

    def post(self, request, *args, **kwargs):
        tag = self.item
        editor = self.tag_editor(tag, data=request.POST)
        saved = save_form(editor.form, lambda data: self.save(tag, data))
        if saved is None:
            return self.render_to_response(self.get_context_data(failed=editor), status=400)
        messages.success(request, f"{'Saved' if tag else 'Created'} the tag {saved.name}.")
        return redirect(self.url(anchor="tags"))

    def save(self, tag: ProjectTag | None, data: dict) -> ProjectTag:
        fields = {"name": data["name"], "description": data["description"], "color": data["color"]}
        if tag is None:
            return configuration.project_tag_create(actor=self.request.user, project=self.project, **fields)
        return configuration.project_tag_update(actor=self.request.user, tag=tag, **fields)


class TagDelete(ProjectConfigurationDelete):
    """Remove a tag from the project (rows already tagged keep the name)."""

    item_model, item_kwarg = ProjectTag, "tag_id"

    def confirmation(self) -> Confirmation:
        return self.tag_delete_confirmation(self.item)

    def post(self, request, *args, **kwargs):
        tag = self.item
        configuration.project_tag_delete(actor=request.user, tag=tag)
        messages.success(request, f"Deleted the tag {tag.name}.")
        return redirect(self.url(anchor="tags"))


# Span iframes


class SpanIframeSave(ProjectConfigurationChange):
    """POST: add a span iframe to the project, or change one's name, URL, description or whether it gets the span."""

    item_model, item_kwarg = SpanIframe, "iframe_id"

    def post(self, request, *args, **kwargs):
        iframe = self.item
        editor = self.span_iframe_editor(iframe, data=request.POST)
        saved = save_form(editor.form, lambda data: self.save(iframe, data))
        if saved is None:
            return self.render_to_response(self.get_context_data(failed=editor), status=400)
        messages.success(request, f"{'Saved' if iframe else 'Created'} the span iframe {saved.name}.")
        return redirect(self.url(anchor="span-iframes"))

    def save(self, iframe: SpanIframe | None, data: dict) -> SpanIframe:
        fields = {"name": data["name"], "url": data["url"], "description": data["description"], "post_message": data["post_message"]}
        if iframe is None:
            return span_iframes.span_iframe_create(actor=self.request.user, project=self.project, **fields)
        return span_iframes.span_iframe_update(actor=self.request.user, iframe=iframe, **fields)


class SpanIframeDelete(ProjectConfigurationDelete):
    """Remove a span iframe from the project."""

    item_model, item_kwarg = SpanIframe, "iframe_id"

    def confirmation(self) -> Confirmation:
        return self.span_iframe_delete_confirmation(self.item)

    def post(self, request, *args, **kwargs):
        iframe = self.item
        span_iframes.span_iframe_delete(actor=request.user, iframe=iframe)
        messages.success(request, f"Deleted the span iframe {iframe.name}.")
        return redirect(self.url(anchor="span-iframes"))


# Scores


class ScoreSave(ProjectConfigurationChange):
    """POST: create a score of a section (``kind``) or change one; the service validates the definition."""

    item_model, item_kwarg = ProjectScore, "score_id"

    def post(self, request, *args, **kwargs):
        score = self.item
        kind = SECTION_OF_TYPE[score.score_type] if score else kwargs["kind"]
        if kind not in ANCHORS:
            raise Http404("No such score section.")
        editor = self.score_editor(kind, score, data=request.POST)
        valid = editor.form.is_valid()
        if valid and needs_rows(editor):
            valid = editor.rows.is_valid()
        definition = definition_from(editor, score) if valid else None
        if definition is not None:
            data = editor.form.cleaned_data
            try:
                if score is None:
                    score = configuration.project_score_create(
                        actor=request.user, project=self.project, name=data["name"], description=data["description"], **definition
                    )
                    messages.success(request, f"Created {score.name}.")
                else:
                    score = configuration.project_score_update(
                        actor=request.user, score=score, name=data["name"], description=data["description"], **definition
                    )
                    messages.success(request, f"Saved {score.name}.")
            except ValidationError as exc:
                editor.form.add_error(None, humane(" ".join(exc.messages)))
            else:
                return redirect(self.url(anchor=ANCHORS[kind]))
        return self.render_to_response(self.get_context_data(failed=editor), status=400)


class ScoreDelete(ProjectConfigurationDelete):
    """Remove a score from the project (values already given to rows stay)."""

    item_model, item_kwarg = ProjectScore, "score_id"

    def confirmation(self) -> Confirmation:
        function_names = {str(f.pk): f.name for f in self.readable_scorer_functions()}
        return self.score_delete_confirmation(self.item, function_names)

    def post(self, request, *args, **kwargs):
        score = self.item
        configuration.project_score_delete(actor=request.user, score=score)
        messages.success(request, f"Deleted {score.name}.")
        return redirect(self.url(anchor=ANCHORS[SECTION_OF_TYPE[score.score_type]]))


# Environment variables


class EnvVarSave(EnvVarItem, ProjectConfigurationChange):
    """POST: add an environment variable to the project, or replace the value of one."""

    def post(self, request, *args, **kwargs):
        env_var = self.item
        editor = self.env_var_editor(env_var, data=request.POST)
        save = next_to_the_field(lambda data: self.save(env_var, data))
        saved = save_form(editor.form, save, error_field="name" if env_var is None else "value")
        if saved is None:
            return self.render_to_response(self.get_context_data(failed=editor), status=400)
        messages.success(request, f"{'Replaced the value of' if env_var else 'Added'} the environment variable {saved.name}.")
        return redirect(self.url(anchor="env-vars"))

    def save(self, env_var: EnvVar | None, data: dict) -> EnvVar:
        if env_var is not None:
            return env_var_update(actor=self.request.user, env_var=env_var, value=data["value"])
        return env_var_create(
            actor=self.request.user,
            org=self.org,
            object_type=EnvVar.ObjectType.PROJECT,
            object_id=self.project.pk,
            name=data["name"],
            value=data["value"] or None,
        )


class EnvVarDelete(EnvVarItem, ProjectConfigurationDelete):
    """Remove an environment variable from the project."""

    def confirmation(self) -> Confirmation:
        return self.env_var_delete_confirmation(self.item)

    def post(self, request, *args, **kwargs):
        env_var = self.item
        env_var_delete(actor=request.user, env_var=env_var)
        messages.success(request, f"Deleted the environment variable {env_var.name}.")
        return redirect(self.url(anchor="env-vars"))


# Permissions


class AccessSearch(ProjectConfigurationPage):
    """GET: the rows of the Permissions list matching ``q``, as the partial htmx swaps in as one types;
    without htmx, the Configuration page with the list filtered."""

    def requirements_get(self):
        return [Needs("create_acls", Node.of(self.project))]

    def get(self, request, *args, **kwargs):
        if not request.htmx:
            return redirect(f"{self.url()}?{request.GET.urlencode()}#permissions")
        context = {**self.panel_context(request.GET.get("q", "")), "org": self.org, "project": self.project}
        return render(request, "web/permissions/_rows.html", context)


class ProjectAccess(ProjectConfigurationPage):
    """A principal's project boxes: GET shows them as a dialog fetched by its pencil (htmx), or as a page
    without JavaScript; POST saves them through :func:`permissions.boxes.save_boxes`, which checks Manage
    access and audits, and goes back to the list, the saved principal's row showing what it now holds."""

    template_name = "web/project/configuration_access.html"
    previewing = False  # the route below it: the Save's very call as a dry run, in words

    def requirements_get(self):
        """Seeing the project's permissions: read_acls, or create_acls (Manage access, which lists them)."""
        return [] if self.config_flags.sees_permissions else [Needs("read_acls", Node.of(self.project))]

    requirements_post = requirements_get  # the service checks Manage access as it saves

    def access_row(self, until: GrantUntilForm | None = None) -> AccessRow:
        """The principal the URL names with its boxes: one holding grants on the project (whom the list
        shows), or one the person may pick (:func:`accounts.principals.principal_choices`)."""
        principal = self.panel_principal(f"{self.kwargs['kind']}:{self.kwargs['subject_id']}")
        if principal is None:
            raise Http404("No such group, member or service account.")
        return self.boxes_row(principal, until)

    def page(self, row: AccessRow, error: str = "", status: int = 200, **extra):
        context = super(ProjectConfigurationPage, self).get_context_data()
        context.update(self.panel_flags(), project=self.project, config_flags=self.config_flags, row=row, error=error, **extra)
        if self.request.htmx and not error:
            return render(self.request, "web/project/configuration_access_dialog.html", context)
        return self.render_to_response(context, status=status)

    def get(self, request, *args, **kwargs):
        return self.page(self.access_row())

    def post(self, request, *args, **kwargs):
        row = self.access_row()
        principal = row.principal
        ticked = request.POST.getlist("boxes")
        unknown = sorted(set(ticked) - {box.key for box in PROJECT_BOXES.boxes})
        if unknown:
            return self.page(row, f"Unknown permissions: {', '.join(unknown)}.", status=400)
        row.until_form = until = row.until_from(request.POST)
        if not until.is_valid():
            return self.page(row, "Check the date and time of “Until”.", status=400)
        change = self.boxes_change(row, ticked, until)
        if self.previewing:
            return self.preview_answer(row, ticked, change, lambda preview, status: self.page(row, status=status, **preview))
        report(request, change, success=f"Saved the permissions of {principal.name} on {self.project.name}.")
        return redirect(f"{self.url()}?{urlencode({'principal': principal.key})}#permissions")


def _section_routes(segment: str, name: str, id_kwarg: str, save: type, delete: type, *, create_at: str = "") -> list:
    """A section's three routes, named ``project-<name>-create``, ``-update`` and ``-delete``: its save view
    adds an item at the section's address (or at `create_at` below it) and changes one at the item's,
    and its delete view takes the item's ``delete/``."""
    section = f"p/<uuid:project_id>/configuration/{segment}/"
    item = f"{section}<uuid:{id_kwarg}>/"
    return [
        path(section + create_at, save.as_view(), name=f"project-{name}-create"),
        path(item, save.as_view(), name=f"project-{name}-update"),
        path(f"{item}delete/", delete.as_view(), name=f"project-{name}-delete"),
    ]


urlpatterns = [
    path("p/<uuid:project_id>/configuration/", ProjectConfigurationPage.as_view(), name="project-configuration"),
    *_section_routes("tags", "tag", "tag_id", TagSave, TagDelete),
    *_section_routes("span-iframes", "span-iframe", "iframe_id", SpanIframeSave, SpanIframeDelete),
    *_section_routes("scores", "score", "score_id", ScoreSave, ScoreDelete, create_at="new/<slug:kind>/"),
    *_section_routes("env-vars", "env-var", "env_var_id", EnvVarSave, EnvVarDelete),
    path("p/<uuid:project_id>/configuration/permissions/search/", AccessSearch.as_view(), name="project-access-search"),
    *routes_with_preview("p/<uuid:project_id>/configuration/permissions/<str:kind>/<uuid:subject_id>/", ProjectAccess, "project-access"),
]
