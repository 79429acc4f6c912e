"""A project's pages: the tabs Logs, Experiments, Datasets, Prompts and Playgrounds, each object's page with
its rows and human review, and each object's "Permissions" dialog.

A project exists for someone who sees something in it: a permission on the project, on its logs, or read
on one of its objects; anyone else gets the same 404 as a missing project. Every tab lists only what the
person may read, through the selectors of ``projects.selectors``, filtered in the database by the engine,
at a fixed number of queries. Buttons come from the flags of ``web.flags`` for the node they act on
(create for Create, update for human review, read_acls or create_acls for Permissions); the services
check everything again.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.text import slugify

from accounts.models import Organization
from accounts.principals import Principal
from permissions.boxes import BoxSet, Subject, object_boxes
from permissions.engine.nodes import Node
from permissions.exceptions import NotFound, ValidationError
from permissions.requirements import Needs, NeedsAny, Requirement
from projects.events.filters import RowConditions
from projects.events.reads import fetch_events, fetch_trace
from projects.events.summaries import summarize_dataset, summarize_experiment
from projects.events.targets import EventTarget
from projects.events.writes import record_feedback
from projects.models import Dataset, Experiment, Project, ProjectObject, ProjectScore, Prompt, PromptSession, View, ViewType
from projects.selectors import (
    experiment_links_readable_by,
    objects_readable_by,
    pins_of_many,
    project_is_seen_by,
    snapshots_of,
    span_iframes_of,
    views_readable_by,
)
from projects.services.experiments import dataset_create, experiment_create
from projects.services.playgrounds import playground_create
from projects.services.prompts import prompt_create
from projects.services.views import view_create
from web.context import OrgPage
from web.flags import NodeFlags, ProjectFlags, may_create_in
from web.formatting import percent, preview
from web.forms.logs import FILTER_KEYS, LogFiltersForm, SaveViewForm, query_of_view_data
from web.forms.objects import CreateObjectForm, CreatePromptForm, RowReviewForm
from web.forms.snapshots import SnapshotForm
from web.sdk_snippets import sdk_snippet
from web.span_iframes import embedded_span_iframes
from web.views.object_menu import menu_context
from web.views.outcomes import save_form
from web.views.permissions_panel import AccessRow, Editor, PermissionsPanel, editor_with_params

PAGE_SIZE = 25  # traces per page of rows


@dataclass(frozen=True)
class Kind:
    """One kind of project object, as the pages name it."""

    slug: str  # in URLs: experiments, datasets, prompts, playgrounds
    object_type: str  # the access model's type
    model: type[ProjectObject]
    singular: str  # experiment, dataset, prompt, playground
    label: str  # the tab: Experiments, ...


KINDS: dict[str, Kind] = {
    kind.slug: kind
    for kind in (
        Kind("experiments", "experiment", Experiment, "experiment", "Experiments"),
        Kind("datasets", "dataset", Dataset, "dataset", "Datasets"),
        Kind("prompts", "prompt", Prompt, "prompt", "Prompts"),
        Kind("playgrounds", "prompt_session", PromptSession, "playground", "Playgrounds"),
    )
}
KIND_OF_TYPE = {kind.object_type: kind for kind in KINDS.values()}


def object_url(org: Organization, obj: ProjectObject) -> str:
    kind = KIND_OF_TYPE[obj.acl_object_type]
    return reverse(
        "web:project-object", kwargs={"org_name": org.name, "project_id": obj.project_id, "kind": kind.slug, "object_id": obj.pk}
    )


def tab_url(org: Organization, project_id: UUID, tab: str) -> str:
    return reverse(f"web:project-{tab}", kwargs={"org_name": org.name, "project_id": project_id})


def project_layout(user, org: Organization, project: Project, current: str) -> dict:
    """What the project layout (``web/project/base.html``) shows around every project page: the tabs the
    person may open (Logs only with read on the project's logs), and Configuration with read on the project."""
    flags = ProjectFlags.of(user, project)
    tabs = [("logs", "Logs")] if flags.reads_logs else []
    tabs += [(kind.slug, kind.label) for kind in KINDS.values()]
    return {
        "project": project,
        "tab": current,
        "tabs": [{"slug": slug, "label": label, "url": tab_url(org, project.pk, slug), "current": slug == current} for slug, label in tabs],
        "shows_configuration": flags.reads_project,
    }


# Rows of experiments, datasets and logs


def review_scores_of(project: Project) -> list[ProjectScore]:
    """The project's human review scores that the review form offers (one query)."""
    types = (ProjectScore.ScoreType.SLIDER, ProjectScore.ScoreType.CATEGORICAL)
    return list(ProjectScore.objects.filter(project=project, score_type__in=types).order_by("position", "name"))


@dataclass
class RowView:
    """A trace's root row, as a table shows it."""

    index: int
    id: str
    created: datetime
    input: str
    output: str
    expected: str
    metadata: str
    scores: list[tuple[str, str]]
    tags: list[str]
    comments: list[str]
    spans: int
    review_form: RowReviewForm | None = None


def row_views(events: list[dict]) -> list[RowView]:
    """The root row of each trace of a page, with how many spans the trace has."""
    spans: dict[str, int] = defaultdict(int)
    for event in events:
        spans[event["root_span_id"]] += 1
    rows = []
    for event in events:
        if not event.get("is_root"):
            continue
        scores = event.get("scores") or {}
        rows.append(
            RowView(
                index=len(rows) + 1,
                id=event["id"],
                created=datetime.fromisoformat(event["created"]),
                input=preview(event.get("input")),
                output=preview(event.get("output")),
                expected=preview(event.get("expected")),
                metadata=preview(event.get("metadata")),
                scores=[(name, percent(value)) for name, value in sorted(scores.items())],
                tags=list(event.get("tags") or ()),
                comments=[str(c.get("comment", "")) for c in event.get("comments") or () if isinstance(c, dict)],
                spans=spans[event["root_span_id"]],
            )
        )
    return rows


# Pages


class ProjectPage(OrgPage):
    """A page of one project: 404 unless the person sees something in it."""

    section = "projects"
    tab = ""
    # An object's page answers for the object itself: whoever holds some permission on it sees it there.
    object_decides_sight = False

    @cached_property
    def project(self) -> Project:
        project = Project.objects.alive().filter(org=self.org, pk=self.kwargs["project_id"]).first()
        if project is None or not (self.object_decides_sight or project_is_seen_by(self.request.user, project)):
            raise NotFound("project", self.kwargs["project_id"])
        return project

    @cached_property
    def log_flags(self) -> NodeFlags:
        return NodeFlags.of(self.request.user, Node("project_log", self.project.pk))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(project_layout(self.request.user, self.org, self.project, self.tab))
        return context


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


class RowsMixin:
    """A page of rows, with its cursor and tag, and human review where the person may update the rows.
    The review form posts to the page itself, which redirects back to the same page of rows. ``row`` shows
    only the trace of that row (the links the SDK prints open it): the page of a span, which also shows the
    project's span iframes."""

    review_error: RowReviewForm | None = None

    def rows_target(self) -> EventTarget:
        raise NotImplementedError

    def span_iframes_context(self, context: dict) -> dict:
        """The project's span iframes, on the page of one span (``?row=`` naming a live row) of logs or an
        experiment (a dataset's rows are records, not spans). They are the project's configuration, read
        with read on the project (the layout's ``shows_configuration``): someone who reads only these rows
        sees the rows without them."""
        shown = context.get("row") and context.get("rows") and context.get("shows_configuration")
        if not shown:
            return {}
        frames = embedded_span_iframes(span_iframes_of(self.project), self.request.build_absolute_uri("/"))
        posted = any(frame.post_to for frame in frames)
        return {"span_iframes": frames, "span_event": context.get("span_event") if posted else None}

    def page_url(self) -> str:
        raise NotImplementedError

    def can_review(self) -> bool:
        return False

    filter_keys: tuple[str, ...] = ("tag",)  # the query string's filters, which every link of the page keeps

    def page_query(self, source) -> dict[str, str]:
        return {key: source[key] for key in (*self.filter_keys, "cursor", "row") if source.get(key)}

    def row_filters(self, query: dict[str, str]) -> tuple[list[str] | None, RowConditions | None] | None:
        """The tags and conditions the query's filters select rows by; None if they are not valid."""
        tag = query.get("tag", "")
        return ([tag] if tag else None), None

    def url_with(self, query: dict[str, str]) -> str:
        return self.page_url() + (f"?{urlencode(query)}" if query else "")

    def rows_context(self, query: dict[str, str]) -> dict:
        tag, row = query.get("tag", ""), query.get("row", "")
        context = {"tag": tag, "row": row, "rows": [], "next_url": None, "first_url": None, "review_query": query, "review_error": None}
        filters = self.row_filters(query)
        if filters is None:
            return context
        try:
            if row:
                page = fetch_trace(actor=self.request.user, target=self.rows_target(), row_id=row)
            else:
                page = fetch_events(
                    actor=self.request.user,
                    target=self.rows_target(),
                    limit=PAGE_SIZE,
                    cursor=query.get("cursor"),
                    tags=filters[0],
                    conditions=filters[1],
                )
        except ValidationError as exc:
            messages.error(self.request, " ".join(exc.messages))
            return context
        rows = row_views(page.events)
        if row:
            context["span_event"] = next((event for event in page.events if event.get("id") == row), None)
        can_review = self.can_review()
        if can_review:
            scores = review_scores_of(self.project)
            for row_view in rows:  # not `row`, the query's row id, which the links below read
                if self.review_error is not None and self.review_error.data.get("row_id") == row_view.id:
                    row_view.review_form = self.review_error
                else:
                    row_view.review_form = RowReviewForm(scores=scores, initial={"row_id": row_view.id}, auto_id=f"id_r{row_view.index}_%s")
        shown = any(row.review_form is self.review_error for row in rows)
        base = {key: query[key] for key in self.filter_keys if query.get(key)}
        context.update(
            rows=rows,
            can_review=can_review,
            review_error=self.review_error if self.review_error is not None and not shown else None,
            next_url=self.url_with({**base, "cursor": page.cursor}) if page.cursor else None,
            first_url=self.url_with(base) if query.get("cursor") or row else None,
        )
        return context

    def review(self, request):
        """POST: record a human review on one row (feedback with source "app"), or re-render with the errors."""
        target = self.rows_target()
        form = RowReviewForm(request.POST, scores=review_scores_of(self.project))
        if form.is_valid():
            try:
                record_feedback(actor=request.user, target=target, items=[form.feedback_item()])
            except ValidationError as exc:
                form.add_error(None, " ".join(exc.messages))
            else:
                messages.success(request, "Saved the review.")
                return HttpResponseRedirect(self.url_with(self.page_query(request.POST)))
        self.review_error = form
        return self.render_to_response(self.get_context_data(query=self.page_query(request.POST)), status=400)


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

    def saved_views(self) -> list[tuple[View, str]]:
        """The logs' saved views, each with the link that reopens its filters (one query)."""
        views = views_readable_by(self.request.user, self.org, node=self.logs_node).filter(view_type=ViewType.LOGS).order_by("name")
        return [(view, self.url_with(query_of_view_data(view.view_data))) for view in views]

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


class ObjectPage(PermissionsPanel, ProjectPage):
    """A page of one experiment, dataset, prompt or playground of the project: the object's own
    permissions decide whether it exists for the person (404) or refuses them (403)."""

    object_decides_sight = True
    until_prefixed = False  # the boxes form is the only one of the page: its "Until" is ``until``

    @cached_property
    def kind(self) -> Kind:
        kind = KINDS.get(self.kwargs["kind"])
        if kind is None:
            raise NotFound("page")
        return kind

    @cached_property
    def obj(self) -> ProjectObject:
        obj = self.kind.model.objects.alive().filter(project=self.project, pk=self.kwargs["object_id"]).first()
        if obj is None:
            raise NotFound(self.kind.object_type, self.kwargs["object_id"])
        obj.project = self.project
        return obj

    @cached_property
    def object_flags(self) -> NodeFlags:
        return NodeFlags.of(self.request.user, self.obj)

    @property
    def tab(self) -> str:
        return self.kind.slug

    def object_kwargs(self) -> dict:
        return {"org_name": self.org.name, "project_id": self.project.pk, "kind": self.kind.slug, "object_id": self.obj.pk}

    def menu_context(self) -> dict:
        """The object menu's Rename and Delete (``web.views.object_menu``)."""
        return menu_context(self.org, self.obj, self.kind.slug, self.kind.singular, self.object_flags)

    def permissions_url(self) -> str:
        return reverse("web:object-permissions", kwargs=self.object_kwargs())

    # The Permissions panel (web.views.permissions_panel)

    @property
    def singular(self) -> str:
        return self.kind.singular

    def panel_node(self) -> Node:
        return Node.of(self.obj)

    def panel_box_set(self) -> BoxSet:
        return object_boxes(self.kind.object_type)

    def panel_can_edit(self) -> bool:
        return self.object_flags.can_edit_access

    def panel_reads_grants(self) -> bool:
        return self.object_flags.reads_grants

    def panel_url(self) -> str:
        return self.permissions_url()

    def panel_rows_url(self) -> str:
        return reverse("web:object-principals", kwargs=self.object_kwargs())

    def panel_editor(self, principal: Principal) -> Editor:
        return editor_with_params(self.permissions_url(), principal=principal.key)

    def panel_save_url(self, principal: Principal) -> str:
        return self.permissions_url()

    def panel_where(self) -> str:
        return f"the {self.kind.singular} {self.obj.name}"

    def node_words(self, node: Node) -> str:
        if node.type == "project":
            return f"project {self.project.name}"
        return {"org_project": "all projects", "organization": "the organization"}.get(node.type, node.type)

    def grant_url(self, node: Node, subject: Subject) -> str:
        if node.type == "project":
            configuration = reverse("web:project-configuration", kwargs={"org_name": self.org.name, "project_id": self.project.pk})
            return f"{configuration}#permissions"
        return super().grant_url(node, subject)

    def access_context(self, chosen: AccessRow | None = None, query: str = "") -> dict:
        """What the Permissions dialog shows: the search, the list, the chosen principal's boxes and who has
        access here; nothing for someone who may neither read nor add its grants."""
        if not self.object_flags.sees_access:
            return {"can_manage_access": False}
        return {
            "can_manage_access": True,
            "permissions_url": self.permissions_url(),
            "chosen_row": chosen,
            **self.panel_context(query, chosen.principal.key if chosen else None),
        }


class ObjectDetail(RowsMixin, ObjectPage):
    """An experiment's or dataset's page (read on it), with a context menu whose "Permissions" opens the
    object's Permissions dialog, and Rename and Delete. A prompt's and a playground's pages are
    ``web.views.prompt_pages``'s, whose routes come first."""

    def get_template_names(self):
        return [f"web/project/{self.kind.singular}.html"]

    def rows_target(self) -> EventTarget:
        return EventTarget.of(self.obj)

    def page_url(self) -> str:
        return object_url(self.org, self.obj)

    def can_review(self) -> bool:
        return self.kind.object_type == "experiment" and self.object_flags.can_update

    def requirements_get(self) -> list[Requirement]:
        return [Needs("read", Node.of(self.obj))]

    def requirements_post(self) -> list[Requirement]:
        """Only an experiment's rows take a review here (any other POST is "not found"); a review changes
        the rows, and a refused one shows them again with its errors."""
        if self.kind.object_type != "experiment":
            return []
        return [*self.requirements_get(), Needs("update", Node.of(self.obj))]

    def get_context_data(self, query=None, **kwargs):
        context = super().get_context_data(**kwargs)
        obj, user = self.obj, self.request.user
        query = self.page_query(self.request.GET) if query is None else query
        context.update(obj=obj, kind=self.kind, object_type=self.kind.object_type, **self.access_context(), **self.menu_context())
        if self.kind.object_type == "experiment":
            context.update(self.rows_context(query), **self.experiment_context(obj))
            context.update(self.span_iframes_context(context))
        elif self.kind.object_type == "dataset":
            context.update(self.rows_context(query), summary=summarize_dataset(actor=user, dataset=obj), **self.snapshots_context(obj))
        return context

    def snapshots_context(self, dataset: Dataset) -> dict:
        """The dataset's snapshots (read on it, which the page needs), and Snapshot for whoever may update it."""
        can_snapshot = self.object_flags.can_update
        return {
            "snapshots": snapshots_of(dataset),
            "can_snapshot": can_snapshot,
            "snapshot_form": SnapshotForm() if can_snapshot else None,
            "snapshot_url": reverse("web:dataset-snapshot-create", kwargs=self.object_kwargs()) if can_snapshot else "",
        }

    def experiment_context(self, experiment: Experiment) -> dict:
        user = self.request.user
        links = {role: (linked, object_url(self.org, linked)) for role, linked in experiment_links_readable_by(user, experiment).items()}
        comparison = links["base_experiment"][0] if "base_experiment" in links else None
        summary = summarize_experiment(actor=user, experiment=experiment, comparison=comparison)
        return {
            "links": links,
            "summary": summary,
            "summary_scores": [{**entry, "percent": percent(entry["score"])} for entry in (summary["scores"] or {}).values()],
            "summary_metrics": list((summary["metrics"] or {}).values()),
            "metadata": preview(experiment.metadata),
        }

    def post(self, request, *args, **kwargs):
        if self.kind.object_type != "experiment":
            raise NotFound("page")
        return self.review(request)


class ObjectPermissions(ObjectPage):
    """The object's Permissions: the dialog's content as a page of its own (it works without JavaScript),
    a principal's boxes as a partial for htmx (its pencil), and Save through ``save_boxes``.

    It needs read_acls or create_acls on the object; someone who sees the object without them gets the
    explained refusal, anyone else a 404."""

    template_name = "web/project/permissions.html"
    previewing = False  # the route below it: the Save's very call as a dry run, in words

    def requirements_get(self) -> list[Requirement]:
        return [NeedsAny(("read_acls", "create_acls"), Node.of(self.obj))]

    def requirements_post(self) -> list[Requirement]:
        return self.requirements_get()  # save_boxes checks Manage access as it writes

    def chosen_principal(self, key: str | None) -> Principal | None:
        """The principal `key` names: one holding grants on the object, or one the person may pick."""
        if not key:
            return None
        principal = self.panel_principal(key)
        if principal is None:
            raise NotFound("principal", key)
        return principal

    def get(self, request, *args, **kwargs):
        principal = self.chosen_principal(request.GET.get("principal"))
        if request.htmx and principal is not None:
            context = {**self.base_context(), **self.panel_flags(), "row": self.boxes_row(principal), "heading": "h2", "autofocus": True}
            return render(request, "web/permissions/_boxes_form.html", context)
        return super().get(request, *args, **kwargs)

    def base_context(self) -> dict:
        return {"org": self.org, "project": self.project, "obj": self.obj, "kind": self.kind}

    def get_context_data(self, chosen: AccessRow | None = None, **kwargs):
        context = super().get_context_data(**kwargs)
        if chosen is None:
            principal = self.chosen_principal(self.request.GET.get("principal"))
            chosen = self.boxes_row(principal) if principal is not None else None
        context.update(obj=self.obj, kind=self.kind, **self.access_context(chosen, self.request.GET.get("q", "")))
        return context

    def post(self, request, *args, **kwargs):
        principal = self.panel_principal(request.POST.get("principal"))
        box_set = object_boxes(self.kind.object_type)
        ticked = request.POST.getlist("boxes")
        if principal is None or set(ticked) - {box.key for box in box_set.boxes}:
            messages.error(request, "Choose a group, member or service account, and permissions from the list.")
            return self.render_to_response(self.get_context_data(), status=400)
        row = self.boxes_row(principal)
        row.until_form = until = row.until_from(request.POST)
        if not until.is_valid():  # shown next to the field, with the principal's boxes as they were
            return self.render_to_response(self.get_context_data(chosen=row), status=400)
        change = self.boxes_change(row, ticked, until)
        if self.previewing:
            return self.preview_answer(row, ticked, change, lambda preview, status: self.page_with(row, preview, status))
        try:
            change()
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return self.render_to_response(self.get_context_data(), status=400)
        messages.success(request, f"Saved the permissions of {principal.name} on the {self.kind.singular} {self.obj.name}.")
        return HttpResponseRedirect(object_url(self.org, self.obj))

    def page_with(self, row: AccessRow, preview: dict, status: int):
        """The page shown again with `row`'s boxes as posted and the preview of their Save."""
        return self.render_to_response(self.get_context_data(chosen=row, **preview), status=status)


class ObjectPrincipals(ObjectPermissions):
    """GET (htmx): the rows of the Permissions list matching ``q``, as a partial."""

    http_method_names = ["get"]

    def get(self, request, *args, **kwargs):
        context = {**self.base_context(), **self.access_context(query=request.GET.get("q", ""))}
        return render(request, "web/permissions/_rows.html", context)


def tab_view(tab: str):
    return ObjectsTab.as_view(tab=tab)


project = "p/<uuid:project_id>/"

urlpatterns = [
    path(project, tab_view("experiments"), name="project"),
    path(f"{project}logs/", LogsTab.as_view(), name="project-logs"),
    *(path(f"{project}{slug}/", tab_view(slug), name=f"project-{slug}") for slug in KINDS),
    path(f"{project}<str:kind>/<uuid:object_id>/", ObjectDetail.as_view(), name="project-object"),
    path(f"{project}<str:kind>/<uuid:object_id>/permissions/", ObjectPermissions.as_view(), name="object-permissions"),
    path(f"{project}<str:kind>/<uuid:object_id>/permissions/principals/", ObjectPrincipals.as_view(), name="object-principals"),
    path(
        f"{project}<str:kind>/<uuid:object_id>/permissions/preview/",
        ObjectPermissions.as_view(previewing=True, http_method_names=["post"]),
        name="object-permissions-preview",
    ),
]
