"""The Django admin of projects, the objects in them, their configuration and their data.

Projects, experiments, datasets, prompts, playgrounds, tags, scores, span iframes, dataset snapshots and
saved views are created, changed and deleted through the project services with the operator as the actor
(see :mod:`permissions.admin`); deletion of a project or an object is soft, as everywhere else. Prompt
versions, environment pins, data rows, feedback, transactions and scoring jobs are history, derived data
or written elsewhere: read-only.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import admin
from django.db import models
from django.db.models import Q

from permissions.admin.bases import ReadOnlyAdmin, ServiceAdmin, changed, cleaned, organization_display
from permissions.admin.object_grants import GuardedServiceAdmin
from permissions.engine import restrict
from projects.models import (
    Dataset,
    DatasetSnapshot,
    EnvironmentObject,
    EventFeedback,
    EventRow,
    EventTag,
    EventVersion,
    Experiment,
    ObjectKind,
    OverflowUpload,
    Project,
    ProjectScore,
    ProjectTag,
    Prompt,
    PromptSession,
    PromptVersion,
    ScoringJob,
    SpanIframe,
    Transaction,
    View,
)
from projects.selectors import views_readable_by
from projects.services import configuration, dataset_snapshots, span_iframes, views
from projects.services.experiments import dataset_create, dataset_update, experiment_create, experiment_update
from projects.services.objects import object_delete, project_create, project_delete, project_update
from projects.services.playgrounds import playground_create, playground_delete, playground_update
from projects.services.prompts import prompt_create, prompt_delete, prompt_update

_DELETED_FILTER = ("deleted_at", admin.EmptyFieldListFilter)


class _ProjectScopedAdmin:
    """Columns shared by the rows that belong to a project."""

    @admin.display(description="organization", ordering="project__org__name")
    def organization(self, obj) -> str:
        return organization_display(obj)


@admin.register(Project)
class ProjectAdmin(GuardedServiceAdmin):
    list_display = ("name", "org", "created_by", "created", "deleted_at")
    list_select_related = ("org", "created_by")
    list_filter = (_DELETED_FILTER, "org")
    search_fields = ("name", "description", "org__name")
    autocomplete_fields = ("org",)
    soft_delete = True
    add_fields = ("org", "name", "description")
    fields = ("id", "org", "name", "description", "settings", "created_by", "created", "deleted_at")
    readonly_fields = ("id", "org", "created_by", "created", "deleted_at")

    def create_through_service(self, request, form):
        return project_create(actor=request.user, **cleaned(form, "org", "name", "description"))

    def update_through_service(self, request, obj, form):
        changes = changed(form, "name", "description", "settings")
        if "settings" in changes and changes["settings"] is None:
            changes["settings"] = {}  # the service's way to clear them
        return project_update(actor=request.user, project=obj, **changes)

    def delete_through_service(self, request, obj):
        project_delete(actor=request.user, project=obj)


class _ProjectObjectAdmin(_ProjectScopedAdmin, GuardedServiceAdmin):
    list_display = ("name", "project", "organization", "created_by", "created", "deleted_at")
    list_select_related = ("project__org", "created_by")
    list_filter = (_DELETED_FILTER, "project__org")
    search_fields = ("name", "description", "project__name", "project__org__name")
    soft_delete = True
    readonly_fields = ("id", "project", "created_by", "created", "deleted_at")

    def delete_through_service(self, request, obj):
        object_delete(actor=request.user, obj=obj)


@admin.register(Experiment)
class ExperimentAdmin(_ProjectObjectAdmin):
    list_display = (*_ProjectObjectAdmin.list_display[:3], "public", *_ProjectObjectAdmin.list_display[3:])
    list_filter = (*_ProjectObjectAdmin.list_filter, "public")
    autocomplete_fields = ("project", "dataset", "base_exp")
    add_fields = ("project", "name", "description", "dataset", "dataset_version", "base_exp", "public", "metadata", "tags")
    fields = ("id", *add_fields, "repo_info", "created_by", "created", "deleted_at")
    readonly_fields = (*_ProjectObjectAdmin.readonly_fields, "repo_info")

    def create_through_service(self, request, form):
        data = form.cleaned_data
        return experiment_create(
            actor=request.user,
            **cleaned(form, "project", "name", "description", "public", "metadata", "tags"),
            dataset_id=data["dataset"].pk if data["dataset"] else None,
            dataset_version=data["dataset_version"] or None,
            base_exp_id=data["base_exp"].pk if data["base_exp"] else None,
        )

    def update_through_service(self, request, obj, form):
        changes = changed(form, "name", "description", "dataset_version", "public", "metadata", "tags")
        for field in ("dataset", "base_exp"):
            if field in form.changed_data and form.cleaned_data[field] is not None:
                changes[f"{field}_id"] = form.cleaned_data[field].pk
        return experiment_update(actor=request.user, experiment=obj, **changes)


@admin.register(Dataset)
class DatasetAdmin(_ProjectObjectAdmin):
    autocomplete_fields = ("project",)
    add_fields = ("project", "name", "description", "metadata", "tags")
    fields = ("id", *add_fields, "created_by", "created", "deleted_at")

    def create_through_service(self, request, form):
        return dataset_create(actor=request.user, **cleaned(form, "project", "name", "description", "metadata", "tags"))

    def update_through_service(self, request, obj, form):
        return dataset_update(actor=request.user, dataset=obj, **changed(form, "name", "description", "metadata", "tags"))


@admin.register(Prompt)
class PromptAdmin(_ProjectObjectAdmin):
    """Prompts and functions. The admin creates prompts; functions, whose code comes with them, are made
    through ``/v1/function``. Every change keeps a new version."""

    list_display = ("name", "slug", "function_type", "is_function", "project", "organization", "created", "deleted_at")
    list_filter = (*_ProjectObjectAdmin.list_filter, "is_function", "function_type")
    search_fields = (*_ProjectObjectAdmin.search_fields, "slug")
    autocomplete_fields = ("project",)
    add_fields = ("project", "name", "slug", "description", "function_type", "prompt_data", "tags")
    fields = (
        "id",
        *add_fields,
        "function_data",
        "is_function",
        "function_schema",
        "origin",
        "xact_id",
        "created_by",
        "created",
        "deleted_at",
    )
    readonly_fields = (*_ProjectObjectAdmin.readonly_fields, "is_function", "function_schema", "origin", "xact_id")

    def create_through_service(self, request, form):
        return prompt_create(
            actor=request.user,
            **cleaned(form, "project", "name", "slug", "description", "prompt_data", "tags"),
            function_type=form.cleaned_data["function_type"] or None,
        )

    def update_through_service(self, request, obj, form):
        changes = changed(form, "name", "slug", "description", "function_type", "prompt_data", "tags", "function_data")
        return prompt_update(actor=request.user, prompt=obj, **changes)

    def delete_through_service(self, request, obj):
        prompt_delete(actor=request.user, prompt=obj)


@admin.register(PromptSession)
class PromptSessionAdmin(_ProjectObjectAdmin):
    """Playgrounds; each prompt added, and the dataset they are tried on, must be readable by the operator,
    whatever its project."""

    autocomplete_fields = ("project", "prompts", "dataset")
    add_fields = ("project", "name", "description", "prompts", "dataset")
    fields = ("id", *add_fields, "created_by", "created", "deleted_at")

    def create_through_service(self, request, form):
        dataset = form.cleaned_data["dataset"]
        return playground_create(
            actor=request.user,
            **cleaned(form, "project", "name", "description"),
            prompt_ids=[prompt.pk for prompt in form.cleaned_data["prompts"]],
            dataset_id=dataset.pk if dataset else None,
        )

    def update_through_service(self, request, obj, form):
        changes = changed(form, "name", "description")
        if "prompts" in form.changed_data:
            changes["prompt_ids"] = [prompt.pk for prompt in form.cleaned_data["prompts"]]
        if "dataset" in form.changed_data:
            dataset = form.cleaned_data["dataset"]
            if dataset is None:
                changes["clear_dataset"] = True
            else:
                changes["dataset_id"] = dataset.pk
        return playground_update(actor=request.user, playground=obj, **changes)

    def delete_through_service(self, request, obj):
        playground_delete(actor=request.user, playground=obj)


@admin.register(PromptVersion)
class PromptVersionAdmin(ReadOnlyAdmin):
    visible_through = "prompt"
    list_display = ("prompt", "xact_id", "project", "created_by", "created")
    list_select_related = ("prompt__project", "created_by")
    search_fields = ("prompt__name", "prompt__slug", "prompt__project__name")
    fields = ("id", "prompt", "xact_id", "snapshot", "created_by", "created")

    @admin.display(description="project", ordering="prompt__project__name")
    def project(self, obj) -> str:
        return obj.prompt.project.name


@admin.register(EnvironmentObject)
class EnvironmentObjectAdmin(ReadOnlyAdmin):
    """The versions pinned to environments, seen by whoever may read the pinned object; they are moved
    on the prompt's page or through ``/environment-object``, never here."""

    def visible_to_staff(self, queryset, user):
        return queryset.filter(
            Q(object_type="prompt", object_id__in=restrict(Prompt.objects.all(), user, "read").values("pk"))
            | Q(object_type="dataset", object_id__in=restrict(Dataset.objects.all(), user, "read").values("pk"))
        )

    list_display = ("environment", "object_type", "object_id", "object_version", "updated_by", "updated")
    list_select_related = ("environment", "updated_by")
    list_filter = ("object_type", "environment__org")
    search_fields = ("environment__slug", "object_id")
    fields = ("id", "environment", "object_type", "object_id", "object_version", "updated_by", "created", "updated")


# Configuration


@dataclass(frozen=True)
class _Services:
    """The services an admin's add, change and delete each call once, with the operator as the actor; the
    change and the delete pass the row as the argument named `row`."""

    create: Callable[..., models.Model]
    update: Callable[..., models.Model]
    delete: Callable[..., object]
    row: str


class _ServicesAdmin(ServiceAdmin):
    """An admin whose writes are one call of one of its `services` each: the add form's fields to create,
    the ones the operator changed (of those the change form does not show read-only) to update. Its form
    explains the fields named in `help_texts`."""

    services: _Services
    help_texts: dict[str, str] = {}

    def get_form(self, request, obj=None, **kwargs):
        return super().get_form(request, obj, help_texts=self.help_texts, **kwargs)

    def create_through_service(self, request, form):
        return self.services.create(actor=request.user, **cleaned(form, *self.add_fields))

    def update_through_service(self, request, obj, form):
        changes = changed(form, *(field for field in self.add_fields if field not in self.readonly_fields))
        return self.services.update(actor=request.user, **{self.services.row: obj}, **changes)

    def delete_through_service(self, request, obj):
        self.services.delete(actor=request.user, **{self.services.row: obj})


class _ProjectConfigurationAdmin(_ProjectScopedAdmin, _ServicesAdmin):
    """Tags and scores: not nodes themselves, they are seen by whoever may read their project."""

    visible_through = "project"
    list_select_related = ("project__org", "created_by")
    search_fields = ("name", "description", "project__name")
    autocomplete_fields = ("project",)
    readonly_fields = ("id", "project", "created_by", "created")


@admin.register(ProjectTag)
class ProjectTagAdmin(_ProjectConfigurationAdmin):
    list_display = ("name", "project", "organization", "color", "description", "created_by", "created")
    list_filter = ("project__org",)
    add_fields = ("project", "name", "description", "color", "position")
    fields = ("id", *add_fields, "created_by", "created")
    services = _Services(configuration.project_tag_create, configuration.project_tag_update, configuration.project_tag_delete, row="tag")


@admin.register(ProjectScore)
class ProjectScoreAdmin(_ProjectConfigurationAdmin):
    list_display = ("name", "score_type", "project", "organization", "created_by", "created")
    list_filter = ("score_type", "project__org")
    add_fields = ("project", "name", "score_type", "description", "categories", "config", "position")
    fields = ("id", *add_fields, "created_by", "created")
    help_texts = {
        "categories": "Categorical: [{name, value}]; weighted: {score name: weight}; minimum and maximum: [score names].",
        "config": "Online scoring rules go in config.online.",
    }
    services = _Services(
        configuration.project_score_create, configuration.project_score_update, configuration.project_score_delete, row="score"
    )


@admin.register(SpanIframe)
class SpanIframeAdmin(_ProjectConfigurationAdmin):
    list_display = ("name", "project", "organization", "url", "post_message", "created_by", "created")
    list_filter = ("project__org",)
    search_fields = ("name", "description", "url", "project__name")
    add_fields = ("project", "name", "url", "description", "post_message")
    fields = ("id", *add_fields, "created_by", "created")
    services = _Services(span_iframes.span_iframe_create, span_iframes.span_iframe_update, span_iframes.span_iframe_delete, row="iframe")


@admin.register(DatasetSnapshot)
class DatasetSnapshotAdmin(_ServicesAdmin):
    """Snapshots are seen by whoever may read their dataset; the service checks the transaction they name."""

    visible_through = "dataset"
    list_display = ("name", "dataset", "organization", "xact_id", "created_by", "created")
    list_select_related = ("dataset__project__org", "created_by")
    list_filter = ("dataset__project__org",)
    search_fields = ("name", "description", "dataset__name")
    autocomplete_fields = ("dataset",)
    add_fields = ("dataset", "name", "xact_id", "description")
    fields = ("id", *add_fields, "created_by", "created")
    readonly_fields = ("id", "dataset", "created_by", "created")
    services = _Services(
        dataset_snapshots.dataset_snapshot_create,
        dataset_snapshots.dataset_snapshot_update,
        dataset_snapshots.dataset_snapshot_delete,
        row="snapshot",
    )

    @admin.display(description="organization", ordering="dataset__project__org__name")
    def organization(self, obj) -> str:
        return obj.dataset.project.org.name


@admin.register(View)
class ViewAdmin(_ServicesAdmin):
    """Saved views: seen by whoever may read their object, changed with update on it (the view services)."""

    list_display = ("name", "view_type", "object_type", "object_id", "org", "created_by", "created")
    list_select_related = ("org", "created_by")
    list_filter = ("view_type", "object_type", "org")
    search_fields = ("name", "org__name")
    autocomplete_fields = ("org",)
    add_fields = ("org", "object_type", "object_id", "view_type", "name", "view_data", "options")
    fields = ("id", *add_fields, "created_by", "created")
    help_texts = {
        "object_id": "The id of the object the view belongs to (for project_log: the project's id).",
        "view_data": '{"search": {"filter": [...], "tag": [...], "match": [...], "sort": [...]}}',
    }
    readonly_fields = ("id", "org", "object_type", "object_id", "created_by", "created")
    services = _Services(views.view_create, views.view_update, views.view_delete, row="view")

    def visible_to_staff(self, queryset, user):
        return queryset.filter(pk__in=views_readable_by(user, None).values("pk"))


# Data rows and the work derived from them


def readable_rows(user) -> Q:
    """The rows (by ``kind`` and ``object_id``) of the experiments, datasets and project logs `user` may read."""
    return (
        Q(kind=ObjectKind.EXPERIMENT, object_id__in=restrict(Experiment.objects.all(), user, "read").values("pk"))
        | Q(kind=ObjectKind.DATASET, object_id__in=restrict(Dataset.objects.all(), user, "read").values("pk"))
        | Q(kind=ObjectKind.PROJECT_LOGS, object_id__in=restrict(Project.objects.all(), user, node_type="project_log").values("pk"))
    )


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = ("id", "created")
    date_hierarchy = "created"


_ROW_FIELDS = (
    "kind",
    "object_id",
    "row_id",
    "xact_id",
    "span_id",
    "root_span_id",
    "is_root",
    "is_deleted",
    "trace_order",
    "created",
    "data",
)


@admin.register(EventRow)
class EventRowAdmin(_ProjectScopedAdmin, ReadOnlyAdmin):
    def visible_to_staff(self, queryset, user):
        return queryset.filter(readable_rows(user))

    list_display = ("id", "kind", "object_id", "row_id", "xact_id", "project", "organization", "is_deleted", "created")
    list_select_related = ("project__org",)
    list_filter = ("kind", "is_deleted", "project__org")
    search_fields = ("row_id", "span_id", "root_span_id", "object_id")
    fields = ("id", "project", *_ROW_FIELDS)


@admin.register(EventVersion)
class EventVersionAdmin(ReadOnlyAdmin):
    def visible_to_staff(self, queryset, user):
        return queryset.filter(readable_rows(user))

    list_display = ("id", "kind", "object_id", "row_id", "xact_id", "first_id", "is_deleted", "created")
    list_filter = ("kind", "is_deleted")
    search_fields = ("row_id", "span_id", "root_span_id", "object_id")
    fields = ("id", "first_id", *_ROW_FIELDS)


@admin.register(EventTag)
class EventTagAdmin(ReadOnlyAdmin):
    def visible_to_staff(self, queryset, user):
        return queryset.filter(row__in=EventRow.objects.filter(readable_rows(user)))

    list_display = ("tag", "row")
    list_select_related = ("row",)
    search_fields = ("tag", "row__row_id")


@admin.register(EventFeedback)
class EventFeedbackAdmin(ReadOnlyAdmin):
    def visible_to_staff(self, queryset, user):
        return queryset.filter(readable_rows(user))

    list_display = ("id", "kind", "object_id", "row_id", "xact_id", "source", "created_by", "created")
    list_select_related = ("created_by",)
    list_filter = ("kind", "source")
    search_fields = ("row_id", "object_id", "comment")


@admin.register(ScoringJob)
class ScoringJobAdmin(ReadOnlyAdmin):
    def visible_to_staff(self, queryset, user):
        return queryset.filter(readable_rows(user))

    list_display = ("id", "rule", "kind", "object_id", "row_id", "status", "attempts", "created", "started_at", "finished_at")
    list_select_related = ("rule",)
    list_filter = ("status", "kind")
    search_fields = ("row_id", "object_id", "rule__name", "error")


@admin.register(OverflowUpload)
class OverflowUploadAdmin(ReadOnlyAdmin):
    """Uploads wait for /logs3 and are purged once used or expired. The token's hash and the storage key are
    never shown: the signed URL and the key are the uploader's alone."""

    def visible_to_staff(self, queryset, user):
        return queryset.filter(created_by=user)  # an upload is its uploader's until /logs3 takes it

    list_display = ("id", "org", "created_by", "size_bytes", "created", "expires_at", "uploaded_at", "consumed_at")
    list_select_related = ("org", "created_by")
    list_filter = ("org",)
    search_fields = ("id", "created_by__email")
    fields = ("id", "org", "created_by", "content_type", "size_bytes", "created", "expires_at", "uploaded_at", "consumed_at")
