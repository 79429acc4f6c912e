"""An experiment's or a dataset's page: its rows, summary, links or snapshots, and human review."""

from django.urls import reverse

from permissions.engine.nodes import Node
from permissions.exceptions import NotFound
from permissions.requirements import Needs, Requirement
from projects.events.summaries import summarize_dataset, summarize_experiment
from projects.events.targets import EventTarget
from projects.models import Dataset, Experiment
from projects.selectors import experiment_links_readable_by, snapshots_of
from web.formatting import percent, preview
from web.forms.snapshots import SnapshotForm
from web.views.project_pages.kinds import object_url
from web.views.project_pages.object_page import ObjectPage
from web.views.project_pages.rows import RowsMixin


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
