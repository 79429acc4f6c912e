"""The Logs tab: the project's log rows, their filters and their saved views, which it saves and deletes."""

from functools import cached_property, partial

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpResponseRedirect
from django.urls import reverse

from accounts.models import Organization
from permissions.engine.nodes import Node
from permissions.exceptions import NotFound
from permissions.requirements import Needs, Requirement
from projects.events.filters import RowConditions
from projects.events.targets import EventTarget
from projects.models import Project, View, ViewType
from projects.selectors import views_readable_by
from projects.services.views import view_create, view_delete
from web.confirm import Confirmation
from web.forms.logs import FILTER_KEYS, LogFiltersForm, SaveViewForm, query_of_view_data
from web.sdk_snippets import sdk_snippet
from web.views.outcomes import report, save_form
from web.views.project_pages.kinds import tab_url
from web.views.project_pages.layout import ProjectPage
from web.views.project_pages.rows import RowsMixin


def logs_views(user, org: Organization, project: Project) -> QuerySet[View]:
    """The saved views of the project's logs (``view_type`` "logs" on its ``project_log`` node) that `user`
    reads: what the tab lists and what its delete finds."""
    return views_readable_by(user, org, node=Node("project_log", project.pk)).filter(view_type=ViewType.LOGS)


def view_delete_confirmation(org: Organization, project: Project, view: View) -> Confirmation:
    """The question before a saved view of the logs is deleted."""
    return Confirmation(
        key=f"delete-view-{view.pk.hex}",
        title=f"Delete the saved view {view.name}?",
        action=reverse("web:project-logs-view-delete", kwargs={"org_name": org.name, "project_id": project.pk, "view_id": view.pk}),
        button="Delete view",
        back_url=tab_url(org, project.pk, "logs"),
        goes=["Its filters are no longer offered under Saved views, to anyone who reads the logs. The log rows stay."],
    )


class LogsTab(RowsMixin, ProjectPage):
    """The Logs tab: the project's log rows (read on project_log), filtered by tag, score range, a metadata
    field and time, with human review for those who may update the logs, and the logs' saved views.

    A saved view of this tab belongs to the project's ``project_log`` node (``view_type`` "logs"), not to
    the project: what it filters are the logs' rows, which are read with read on project_log and changed with
    update on it (docs/access-model.md, data inside objects). So exactly who may open this tab reads its
    saved views, and whoever may update the logs saves one (update on the project gives it, and so does a
    grant on the project restricted to project_log); someone who reads the project but not its logs sees
    neither the rows nor their views.
    """

    template_name = "web/project/logs.html"
    tab = "logs"
    filter_keys = FILTER_KEYS
    filters_form: LogFiltersForm | None = None
    save_view_form: SaveViewForm | None = None

    @cached_property
    def logs_node(self) -> Node:
        return Node("project_log", self.project.pk)

    def rows_target(self) -> EventTarget:
        return EventTarget.of(self.project)

    def page_url(self) -> str:
        return tab_url(self.org, self.project.pk, "logs")

    def can_review(self) -> bool:
        return self.log_flags.can_update

    def requirements_get(self) -> list[Requirement]:
        return [Needs("read", self.logs_node)]

    def requirements_post(self) -> list[Requirement]:
        """A review changes the rows and a saved view the logs' presentation; a refused one shows them again
        with its errors."""
        return [*self.requirements_get(), Needs("update", self.logs_node)]

    def row_filters(self, query: dict[str, str]) -> tuple[list[str] | None, RowConditions | None] | None:
        form = LogFiltersForm({key: query[key] for key in FILTER_KEYS if key in query})
        self.filters_form = form
        if not form.is_valid():
            return None
        return form.tags(), form.conditions() or None

    def saved_views(self) -> list[tuple[View, str, Confirmation | None]]:
        """The logs' saved views, each with the link that reopens its filters and, for whoever may update the
        logs, the question before it is deleted (one query)."""
        views = logs_views(self.request.user, self.org, self.project).order_by("name")
        deletes = self.log_flags.can_update

        def delete(view: View) -> Confirmation | None:
            return view_delete_confirmation(self.org, self.project, view) if deletes else None

        return [(view, self.url_with(query_of_view_data(view.view_data)), delete(view)) for view in views]

    def get_context_data(self, query=None, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.page_query(self.request.GET) if query is None else query
        context.update(
            self.rows_context(query),
            project_tags=list(self.project.tags.order_by("name").values_list("name", flat=True)),
            filters=self.filters_form,
            filtered=any(query.get(key) for key in FILTER_KEYS),
            saved_views=self.saved_views(),
            can_save_view=self.log_flags.can_update,
            save_view_form=self.save_view_form or SaveViewForm(prefix="view"),
        )
        context.update(self.span_iframes_context(context))
        if not context["rows"] and not query:
            context["sdk_snippet"] = sdk_snippet(self.request, self.org, self.project, "logs")
        return context

    def get(self, request, *args, **kwargs):
        context = self.get_context_data(**kwargs)
        return self.render_to_response(context, status=400 if self.filters_form is not None and self.filters_form.errors else 200)

    def post(self, request, *args, **kwargs):
        if request.POST.get("form") == "save_view":
            return self.save_view(request)
        return self.review(request)

    def save_view(self, request):
        """POST: save the current filters as a view of the logs, or show the page again with the errors."""
        query = self.page_query(request.POST)
        filters = LogFiltersForm({key: query[key] for key in FILTER_KEYS if key in query})
        form = SaveViewForm(request.POST, prefix="view")
        if filters.is_valid():
            view = save_form(
                form,
                lambda data: view_create(
                    actor=request.user,
                    org=self.org,
                    object_type=self.logs_node.type,
                    object_id=self.logs_node.id,
                    name=data["name"],
                    view_type=ViewType.LOGS,
                    view_data=filters.view_data(),
                ),
                error_field="name",
            )
            if view is not None:
                messages.success(request, f"Saved the view {view.name}.")
                return HttpResponseRedirect(self.url_with(filters.query()))
        self.save_view_form = form
        return self.render_to_response(self.get_context_data(query=query), status=400)


class LogsViewDelete(ProjectPage):
    """A saved view of the logs, deleted: GET asks, as a page (the tab asks in a dialog); POST deletes. Both
    need update on the logs, as saving one does; a view the person cannot read is not found."""

    template_name = "web/project/confirm_page.html"
    tab = "logs"

    def load(self) -> None:
        self.view = logs_views(self.request.user, self.org, self.project).filter(pk=self.kwargs["view_id"]).first()
        if self.view is None:
            raise NotFound("view", self.kwargs["view_id"])

    def requirements_get(self) -> list[Requirement]:
        return [Needs("update", Node("project_log", self.project.pk))]

    def requirements_post(self) -> list[Requirement]:
        return self.requirements_get()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(confirm=view_delete_confirmation(self.org, self.project, self.view))
        return context

    def post(self, request, *args, **kwargs):
        report(request, partial(view_delete, actor=request.user, view=self.view), success=f"Deleted the saved view {self.view.name}.")
        return HttpResponseRedirect(tab_url(self.org, self.project.pk, "logs"))
