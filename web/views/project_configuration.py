"""A project's Configuration page: Tags, Human review, Aggregate scores, Online scoring and Permissions.

Reading the page needs read on the project (a project the person sees nothing of is 404). Tags and
scores change with update on the project; the forms and buttons show only then, and the services in
:mod:`projects.services.configuration` check it again, validate score definitions and write the audit
events. The Permissions section shows to people holding create_acls or read_acls on the project: the
principals holding grants on it, each with the project dialog's boxes (``PROJECT_BOXES``), read and saved
through :mod:`permissions.boxes`.
"""

import re
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse

from accounts.principals import Principal, find_principal, principal_choices, principals_of, subject_of_key
from permissions.boxes import PROJECT_BOXES, BoxSet, Subject, boxes_by_subject, save_boxes
from permissions.engine.nodes import Node
from permissions.exceptions import ValidationError
from permissions.models import Role
from permissions.requirements import Needs
from projects.models import Project, ProjectScore, ProjectTag, Prompt
from projects.selectors import objects_readable_by
from projects.services.configuration import (
    GLOBAL_SCORERS,
    project_score_create,
    project_score_delete,
    project_score_update,
    project_tag_create,
    project_tag_delete,
    project_tag_update,
)
from web.context import OrgPage
from web.flags import ConfigurationFlags
from web.forms.configuration import (
    AGGREGATE_TYPES,
    HUMAN_REVIEW_TYPES,
    SAFE_COLOR,
    SCORE_TYPE_LABELS,
    AggregateForm,
    CategoryRows,
    HumanReviewForm,
    OnlineScoringForm,
    ScoreType,
    TagForm,
    WeightRows,
)
from web.views.project_pages import project_layout

SEARCH_LIMIT = 10

# What the page shows


@dataclass
class Editor:
    """One create or edit dialog: its form (and rows), where it posts, and whether it failed last time."""

    key: str
    title: str
    action: str
    form: forms.Form
    rows: Any = None
    kind: str = ""

    @property
    def has_errors(self) -> bool:
        return bool(self.form.errors) or (self.rows is not None and (self.rows.non_form_errors() or any(self.rows.errors)))


@dataclass
class AccessRow:
    """A principal listed in the project's Permissions, with the project boxes it ticks and its roles."""

    principal: Principal
    ticked: frozenset[str]
    roles: list[str] = field(default_factory=list)
    new: bool = False  # chosen from the search, holding nothing yet

    @property
    def labels(self) -> list[str]:
        return box_labels(PROJECT_BOXES, self.ticked)

    @property
    def key(self) -> str:
        """The id of the principal's dialog."""
        return f"access-{self.principal.subject_kind}-{self.principal.subject_id.hex}"


def box_grid(box_set: BoxSet) -> tuple[list[str], list[tuple[str, list]]]:
    """The dialog's table: column labels (Read ... Manage access) and one row of boxes per section."""
    sections = box_set.sections
    return [box.label for box in sections[0][1]], sections


def box_labels(box_set: BoxSet, keys) -> list[str]:
    return [f"{box.section}: {box.label}" for box in box_set.boxes if box.key in keys]


def humane(message: str) -> str:
    """A service message with API paths such as ``categories[0].value`` named as the form names them."""
    return re.sub(r"categories\[(\d+)\]\.(\w+)", lambda m: f"Category {int(m.group(1)) + 1} {m.group(2)}", message)


def swatch(color: str) -> str:
    return color if color and SAFE_COLOR.match(color) else ""


# Pages


class ProjectConfigurationPage(OrgPage):
    template_name = "web/project/configuration.html"
    section = "projects"

    def load(self) -> None:
        project = Project.objects.alive().filter(org=self.org, pk=self.kwargs["project_id"]).first()
        if project is None:
            raise Http404("No such project.")
        self.project = project
        self.config_flags = ConfigurationFlags.of(self.request.user, project)

    def requirements(self):
        """Read on the project for every request (seen but unreadable is the explained 403), then what the
        method adds."""
        return [Needs("read", Node.of(self.project)), *super().requirements()]

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data())

    def url(self, name: str = "project-configuration", anchor: str = "", **kwargs) -> str:
        url = reverse(f"web:{name}", kwargs={"org_name": self.org.name, "project_id": self.project.pk, **kwargs})
        return f"{url}#{anchor}" if anchor else url

    # Scorers of online rules

    def readable_scorer_functions(self) -> list[Prompt]:
        functions = objects_readable_by(
            self.request.user, Prompt, project__org=self.org, project__deleted_at__isnull=True, function_type=Prompt.FunctionType.SCORER
        )
        return list(functions.select_related("project").order_by("name"))

    def scorer_choices(self, functions: list[Prompt], extra: list[dict] = ()) -> list:
        built_in = [(f"global:{name}", name) for name in GLOBAL_SCORERS]
        own = [(f"function:{f.pk}", f"{f.name} ({f.project.name})") for f in functions]
        known = {value for value, _ in own}
        for scorer in extra:  # scorers already on a rule that the person cannot read: kept, named by id
            value = scorer_value(scorer)
            if value.startswith("function:") and value not in known:
                own.append((value, f"Function {scorer.get('id')}"))
                known.add(value)
        return [("Built-in", built_in), ("Functions", own)] if own else [("Built-in", built_in)]

    # Editors

    def tag_editor(self, tag: ProjectTag | None = None, data=None) -> Editor:
        if tag is None:
            return Editor("tag-new", "Create tag", self.url("project-tag-create"), TagForm(data, prefix="tag-new"), kind="tag")
        initial = {"name": tag.name, "color": tag.color, "description": tag.description}
        form = TagForm(data, initial=initial, prefix=f"tag-{tag.pk.hex}")
        return Editor(f"tag-{tag.pk.hex}", f"Edit tag {tag.name}", self.url("project-tag-update", tag_id=tag.pk), form, kind="tag")

    def score_editor(self, kind: str, score: ProjectScore | None = None, data=None, functions=None) -> Editor:
        prefix = f"score-{score.pk.hex}" if score else f"{kind}-new"
        action = self.url("project-score-update", score_id=score.pk) if score else self.url("project-score-create", kind=kind)
        initial: dict[str, Any] = {"name": score.name, "description": score.description} if score else {}
        if kind == "human-review":
            if score:
                initial.update(score_type=score.score_type, multi_select=bool((score.config or {}).get("multi_select")))
            rows = [{"name": c.get("name"), "value": c.get("value")} for c in (score.categories or [])] if score else []
            title = f"Edit {score.name}" if score else "Create human review score"
            return Editor(
                prefix,
                title,
                action,
                HumanReviewForm(data, initial=initial, prefix=prefix),
                CategoryRows(data, initial=rows, prefix=f"{prefix}-rows"),
                kind,
            )
        if kind == "aggregate":
            rows = []
            if score:
                initial["score_type"] = score.score_type
                categories = score.categories or ()
                if isinstance(categories, dict):
                    # A JSON object keeps no order (PostgreSQL's jsonb sorts keys its own way): show weights by name.
                    rows = [{"name": name, "value": weight} for name, weight in sorted(categories.items())]
                else:
                    rows = [{"name": name} for name in categories]
            title = f"Edit {score.name}" if score else "Create aggregate score"
            return Editor(
                prefix,
                title,
                action,
                AggregateForm(data, initial=initial, prefix=prefix),
                WeightRows(data, initial=rows, prefix=f"{prefix}-rows"),
                kind,
            )
        online = ((score.config or {}).get("online") or {}) if score else {}
        if score:
            initial.update(
                scorers=[scorer_value(s) for s in online.get("scorers") or ()],
                sampling_rate=f"{online.get('sampling_rate', 0) * 100:g}",
                apply_to_root_span=bool(online.get("apply_to_root_span", True)),
                span_names=", ".join(online.get("apply_to_span_names") or ()),
            )
        choices = self.scorer_choices(functions if functions is not None else self.readable_scorer_functions(), online.get("scorers") or [])
        form = OnlineScoringForm(data, initial=initial, prefix=prefix, scorer_choices=choices)
        return Editor(prefix, f"Edit {score.name}" if score else "Create online scoring rule", action, form, kind=kind)

    # Context

    def get_context_data(self, failed: Editor | None = None, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(project_layout(self.request.user, self.org, self.project, "configuration"))
        flags = self.config_flags
        tags = list(ProjectTag.objects.filter(project=self.project).order_by("position", "name"))
        scores = list(ProjectScore.objects.filter(project=self.project).order_by("position", "name"))
        functions = self.readable_scorer_functions()
        function_names = {str(f.pk): f.name for f in functions}

        def editor_or_failed(editor: Editor) -> Editor:
            return failed if failed is not None and failed.key == editor.key else editor

        def entries(items, make):
            return [{"item": item, "editor": editor_or_failed(make(item)) if flags.can_update else None} for item in items]

        tag_entries = entries(tags, self.tag_editor)
        for entry in tag_entries:
            entry["swatch"] = swatch(entry["item"].color)
        human = entries([s for s in scores if s.score_type in HUMAN_REVIEW_TYPES], lambda s: self.score_editor("human-review", s))
        aggregate = entries([s for s in scores if s.score_type in AGGREGATE_TYPES], lambda s: self.score_editor("aggregate", s))
        online = entries(
            [s for s in scores if s.score_type == ScoreType.ONLINE], lambda s: self.score_editor("online", s, functions=functions)
        )
        for entry in online:
            entry["rule"] = describe_rule(entry["item"], function_names)
        for entry in human + aggregate:
            entry["definition"] = describe_score(entry["item"])
            entry["type_label"] = SCORE_TYPE_LABELS[entry["item"].score_type]
        context.update(
            project=self.project,
            config_flags=flags,
            tags=tag_entries,
            human_review=human,
            aggregate=aggregate,
            online=online,
        )
        if flags.can_update:
            context.update(
                new_tag=editor_or_failed(self.tag_editor()),
                new_human_review=editor_or_failed(self.score_editor("human-review")),
                new_aggregate=editor_or_failed(self.score_editor("aggregate")),
                new_online=editor_or_failed(self.score_editor("online", functions=functions)),
            )
        if flags.sees_permissions:
            context.update(self.permissions_context())
        return context

    def permissions_context(self) -> dict:
        held = boxes_by_subject(PROJECT_BOXES, self.project.pk)
        role_ids = {role_id for boxes in held.values() for role_id in boxes.role_ids}
        role_names = dict(Role.objects.filter(pk__in=role_ids).values_list("pk", "name")) if role_ids else {}
        principals = principals_of(self.org, held)
        rows = sorted(
            (
                AccessRow(principal, held[subject].ticked, sorted(role_names.get(role_id, "role") for role_id in held[subject].role_ids))
                for subject, principal in principals.items()
            ),
            key=lambda row: row.principal.sort_key,
        )
        picked = self.picked_principal(set(principals))
        if picked is not None:
            rows.append(AccessRow(picked, frozenset(), new=True))
        query = self.request.GET.get("q", "").strip()[:100]
        columns, box_rows = box_grid(PROJECT_BOXES)
        return {
            "access_rows": rows,
            "box_columns": columns,
            "box_rows": box_rows,
            "manage_access_help": PROJECT_BOXES.box("project_acls").help,
            "query": query,
            "results": self.search(query) if query and self.config_flags.can_edit_access else None,
            "search_url": self.url("project-access-search"),
        }

    def picked_principal(self, listed: set[Subject]) -> Principal | None:
        """The principal chosen from the search (``?principal=user:<id>``), to list with no boxes yet."""
        subject = subject_of_key(self.request.GET.get("principal"))
        if subject is None or subject in listed or not self.config_flags.can_edit_access:
            return None
        return find_principal(self.request.user, self.org, subject)

    def search(self, query: str) -> list[dict]:
        """The groups, members and service accounts the person may pick whose name or email contains `query`."""
        base = self.url()
        return [
            {"principal": principal, "href": f"{base}?principal={principal.key}#permissions"}
            for principal in principal_choices(self.request.user, self.org, query, limit=SEARCH_LIMIT)
        ]


def scorer_value(scorer: dict) -> str:
    if scorer.get("type") == "function":
        return f"function:{scorer.get('id')}"
    return f"global:{scorer.get('name')}"


def describe_score(score: ProjectScore) -> str:
    categories = score.categories
    if score.score_type == ScoreType.CATEGORICAL and isinstance(categories, list):
        return ", ".join(f"{c.get('name')} ({c.get('value'):g})" for c in categories if isinstance(c, dict))
    if score.score_type == ScoreType.WEIGHTED and isinstance(categories, dict):
        return ", ".join(f"{name} (weight {weight:g})" for name, weight in sorted(categories.items()))
    if isinstance(categories, list):
        return ", ".join(str(name) for name in categories)
    return {ScoreType.SLIDER: "From 0 to 1", ScoreType.FREE_FORM: "Text"}.get(score.score_type, "")


def describe_rule(score: ProjectScore, function_names: dict[str, str]) -> dict:
    online = (score.config or {}).get("online") or {}
    names = []
    for scorer in online.get("scorers") or ():
        if scorer.get("type") == "function":
            names.append(function_names.get(str(scorer.get("id")), f"Function {scorer.get('id')}"))
        else:
            names.append(str(scorer.get("name")))
    rate = online.get("sampling_rate")
    spans = ["Root span"] if online.get("apply_to_root_span", True) else []
    spans += list(online.get("apply_to_span_names") or ())
    return {"scorers": names, "rate": f"{rate * 100:g}%" if isinstance(rate, int | float) else "—", "spans": spans}


class ProjectConfigurationChange(ProjectConfigurationPage):
    """A form of the Configuration page that changes the project's tags or scores: POST only, update on
    the project."""

    http_method_names = ["post"]

    def requirements_post(self):
        return [Needs("update", Node.of(self.project))]


# Tags


class TagCreate(ProjectConfigurationChange):
    """POST: add a tag to the project."""

    def post(self, request, *args, **kwargs):
        editor = self.tag_editor(data=request.POST)
        if editor.form.is_valid():
            data = editor.form.cleaned_data
            try:
                tag = project_tag_create(
                    actor=request.user, project=self.project, name=data["name"], description=data["description"], color=data["color"]
                )
            except ValidationError as exc:
                editor.form.add_error(None, " ".join(exc.messages))
            else:
                messages.success(request, f"Created the tag {tag.name}.")
                return redirect(self.url(anchor="tags"))
        return self.render_to_response(self.get_context_data(failed=editor), status=400)


class TagUpdate(ProjectConfigurationChange):
    """POST: change a tag's name, color or description."""

    def post(self, request, *args, **kwargs):
        tag = project_tag_or_404(self.project, kwargs["tag_id"])
        editor = self.tag_editor(tag, data=request.POST)
        if editor.form.is_valid():
            data = editor.form.cleaned_data
            try:
                tag = project_tag_update(
                    actor=request.user, tag=tag, name=data["name"], description=data["description"], color=data["color"]
                )
            except ValidationError as exc:
                editor.form.add_error(None, " ".join(exc.messages))
            else:
                messages.success(request, f"Saved the tag {tag.name}.")
                return redirect(self.url(anchor="tags"))
        return self.render_to_response(self.get_context_data(failed=editor), status=400)


class TagDelete(ProjectConfigurationChange):
    """POST: remove a tag from the project (rows already tagged keep the name)."""

    def post(self, request, *args, **kwargs):
        tag = project_tag_or_404(self.project, kwargs["tag_id"])
        project_tag_delete(actor=request.user, tag=tag)
        messages.success(request, f"Deleted the tag {tag.name}.")
        return redirect(self.url(anchor="tags"))


def project_tag_or_404(project: Project, tag_id: UUID) -> ProjectTag:
    tag = ProjectTag.objects.filter(project=project, pk=tag_id).select_related("project").first()
    if tag is None:
        raise Http404("No such tag.")
    return tag


def project_score_or_404(project: Project, score_id: UUID) -> ProjectScore:
    score = ProjectScore.objects.filter(project=project, pk=score_id).select_related("project").first()
    if score is None:
        raise Http404("No such score.")
    return score


# Scores

SECTION_OF_TYPE = {
    **dict.fromkeys(HUMAN_REVIEW_TYPES, "human-review"),
    **dict.fromkeys(AGGREGATE_TYPES, "aggregate"),
    ScoreType.ONLINE: "online",
}
ANCHORS = {"human-review": "human-review", "aggregate": "aggregate-scores", "online": "online-scoring"}


def definition_from(editor: Editor, score: ProjectScore | None) -> dict | None:
    """The service arguments an editor's valid form stands for (score_type, categories, config), or None
    after adding the form errors that stop it."""
    data = editor.form.cleaned_data
    config = dict((score.config or {}) if score else {})
    if editor.kind == "human-review":
        score_type = data["score_type"]
        categories = None
        if score_type == ScoreType.CATEGORICAL:
            categories = [{"name": row["name"].strip(), "value": row["value"]} for row in editor.rows.cleaned_data if row.get("name")]
            if data["multi_select"]:
                config["multi_select"] = True
            else:
                config.pop("multi_select", None)
        else:
            config.pop("multi_select", None)
        return {"score_type": score_type, "categories": categories, "config": config or None}
    if editor.kind == "aggregate":
        score_type = data["score_type"]
        rows = [row for row in editor.rows.cleaned_data if (row.get("name") or "").strip()]
        names = [row["name"].strip() for row in rows]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            editor.form.add_error(None, f"The score {repeated[0]!r} is listed more than once.")
            return None
        if score_type == ScoreType.WEIGHTED:
            categories: Any = {row["name"].strip(): 1 if row.get("value") is None else row["value"] for row in rows}
        else:
            categories = names
        return {"score_type": score_type, "categories": categories}
    online = dict(config.get("online") or {})
    online.update(
        sampling_rate=float(data["sampling_rate"]) / 100,
        scorers=[scorer_from_value(value, online.get("scorers") or ()) for value in data["scorers"]],
        apply_to_root_span=data["apply_to_root_span"],
    )
    if data["span_names"]:
        online["apply_to_span_names"] = data["span_names"]
    else:
        online.pop("apply_to_span_names", None)
    config["online"] = online
    return {"score_type": ScoreType.ONLINE, "categories": None, "config": config}


def needs_rows(editor: Editor) -> bool:
    """Whether the editor's rows are part of the definition: categories, or the scores aggregated."""
    return editor.kind == "aggregate" or (editor.kind == "human-review" and editor.form.cleaned_data["score_type"] == ScoreType.CATEGORICAL)


def scorer_from_value(value: str, existing) -> dict:
    """A scorer as the rule stores it; one already on the rule keeps its other fields (a version, say)."""
    for scorer in existing:
        if scorer_value(scorer) == value:
            return scorer
    kind, _, name = value.partition(":")
    return {"type": "function", "id": name} if kind == "function" else {"type": "global", "name": name}


class ScoreSave(ProjectConfigurationChange):
    """POST: create a score of a section (``kind``) or change one; the service validates the definition."""

    def post(self, request, *args, **kwargs):
        score = project_score_or_404(self.project, kwargs["score_id"]) if "score_id" in kwargs else None
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
                    score = project_score_create(
                        actor=request.user, project=self.project, name=data["name"], description=data["description"], **definition
                    )
                    messages.success(request, f"Created {score.name}.")
                else:
                    score = project_score_update(
                        actor=request.user, score=score, name=data["name"], description=data["description"], **definition
                    )
                    messages.success(request, f"Saved {score.name}.")
            except ValidationError as exc:
                editor.form.add_error(None, humane(" ".join(exc.messages)))
            else:
                return redirect(self.url(anchor=ANCHORS[kind]))
        return self.render_to_response(self.get_context_data(failed=editor), status=400)


class ScoreDelete(ProjectConfigurationChange):
    """POST: remove a score from the project (values already given to rows stay)."""

    def post(self, request, *args, **kwargs):
        score = project_score_or_404(self.project, kwargs["score_id"])
        project_score_delete(actor=request.user, score=score)
        messages.success(request, f"Deleted {score.name}.")
        return redirect(self.url(anchor=ANCHORS[SECTION_OF_TYPE[score.score_type]]))


# Permissions


class AccessSearch(ProjectConfigurationPage):
    """GET: the groups, members and service accounts matching ``q``, as the partial list htmx swaps in;
    without htmx, the Configuration page with the results."""

    template_name = "web/project/configuration_search.html"

    def requirements_get(self):
        return [Needs("create_acls", Node.of(self.project))]

    def get(self, request, *args, **kwargs):
        query = request.GET.get("q", "").strip()[:100]
        if not request.htmx:
            return redirect(f"{self.url()}?{request.GET.urlencode()}#permissions")
        return render(request, self.template_name, {"query": query, "results": self.search(query) if query else None})


class ProjectAccess(ProjectConfigurationPage):
    """A principal's project boxes: GET shows them as a page (the dialog without JavaScript), POST saves
    them through :func:`permissions.boxes.save_boxes`, which checks Manage access and audits."""

    template_name = "web/project/configuration_access.html"

    def requirements_get(self):
        """Seeing the project's permissions: read_acls, or create_acls (Manage access, which lists them)."""
        return [] if self.config_flags.sees_permissions else [Needs("read_acls", Node.of(self.project))]

    requirements_post = requirements_get  # the service checks Manage access as it saves

    def access_row(self) -> AccessRow:
        """The principal the URL names with its boxes: one holding grants on the project (whom the list
        shows), or one the person may pick (:func:`accounts.principals.principal_choices`)."""
        subject = subject_of_key(f"{self.kwargs['kind']}:{self.kwargs['subject_id']}")
        if subject is None:
            raise Http404("No such group, member or service account.")
        held = boxes_by_subject(PROJECT_BOXES, self.project.pk, subject=subject).get(subject)
        holder = principals_of(self.org, [subject]).get(subject) if held else None
        principal = holder or find_principal(self.request.user, self.org, subject)
        if principal is None:
            raise Http404("No such group, member or service account.")
        return AccessRow(principal, held.ticked if held else frozenset())

    def page(self, row: AccessRow, error: str = "", status: int = 200):
        columns, rows = box_grid(PROJECT_BOXES)
        context = super(ProjectConfigurationPage, self).get_context_data()
        context.update(
            project=self.project,
            config_flags=self.config_flags,
            row=row,
            principal=row.principal,
            box_columns=columns,
            box_rows=rows,
            manage_access_help=PROJECT_BOXES.box("project_acls").help,
            error=error,
        )
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
        try:
            save_boxes(actor=request.user, box_set=PROJECT_BOXES, subject=principal.subject, target_id=self.project.pk, ticked=ticked)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Saved the permissions of {principal.name} on {self.project.name}.")
        return redirect(self.url(anchor="permissions"))


urlpatterns = [
    path("p/<uuid:project_id>/configuration/", ProjectConfigurationPage.as_view(), name="project-configuration"),
    path("p/<uuid:project_id>/configuration/tags/", TagCreate.as_view(), name="project-tag-create"),
    path("p/<uuid:project_id>/configuration/tags/<uuid:tag_id>/", TagUpdate.as_view(), name="project-tag-update"),
    path("p/<uuid:project_id>/configuration/tags/<uuid:tag_id>/delete/", TagDelete.as_view(), name="project-tag-delete"),
    path("p/<uuid:project_id>/configuration/scores/new/<slug:kind>/", ScoreSave.as_view(), name="project-score-create"),
    path("p/<uuid:project_id>/configuration/scores/<uuid:score_id>/", ScoreSave.as_view(), name="project-score-update"),
    path("p/<uuid:project_id>/configuration/scores/<uuid:score_id>/delete/", ScoreDelete.as_view(), name="project-score-delete"),
    path("p/<uuid:project_id>/configuration/permissions/search/", AccessSearch.as_view(), name="project-access-search"),
    path(
        "p/<uuid:project_id>/configuration/permissions/<str:kind>/<uuid:subject_id>/",
        ProjectAccess.as_view(),
        name="project-access",
    ),
]
