"""Snapshotting a dataset from its page: a page of its own, which the dataset page's dialog posts to (and
which shows the form again with its errors, and works without JavaScript).

Snapshotting needs update on the dataset, declared on the page; the service checks it again, checks the
version named (the dataset's latest when none is given) and audits.
"""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import path

from permissions.engine.nodes import Node
from permissions.exceptions import NotFound
from permissions.requirements import Needs, Requirement
from projects.models import Dataset, DatasetSnapshot
from projects.services.dataset_snapshots import dataset_snapshot_create, latest_transaction
from web.forms.snapshots import SnapshotForm
from web.views.outcomes import save_form
from web.views.project_pages.kinds import object_url
from web.views.project_pages.object_page import ObjectPage


def snapshot_dataset(*, actor, dataset: Dataset, data: dict) -> DatasetSnapshot:
    """Snapshot `dataset` from a valid form's data, at the version it names or the dataset's latest."""
    xact_id = data.get("xact_id")
    if xact_id is None:
        xact_id = latest_transaction(dataset)
    return dataset_snapshot_create(actor=actor, dataset=dataset, name=data["name"], description=data["description"], xact_id=xact_id)


class DatasetSnapshotCreate(ObjectPage):
    """GET: the snapshot form; POST: snapshot the dataset (update on it). Any other kind of object is not found."""

    template_name = "web/project/snapshot_create.html"

    def requirements_get(self) -> list[Requirement]:
        if self.kind.object_type != "dataset":
            raise NotFound("page")
        return [Needs("update", Node.of(self.obj))]

    def requirements_post(self) -> list[Requirement]:
        return self.requirements_get()

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(obj=self.obj, kind=self.kind, form=form or SnapshotForm(), object_url=object_url(self.org, self.obj))
        return context

    def post(self, request, *args, **kwargs):
        form = SnapshotForm(request.POST)
        snapshot = save_form(form, lambda data: snapshot_dataset(actor=request.user, dataset=self.obj, data=data))
        if snapshot is None:
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(request, f"Snapshotted {self.obj.name} as {snapshot.name} (version {snapshot.xact_id}).")
        return HttpResponseRedirect(object_url(self.org, self.obj) + "#snapshots")


urlpatterns = [
    path("p/<uuid:project_id>/<str:kind>/<uuid:object_id>/snapshots/new/", DatasetSnapshotCreate.as_view(), name="dataset-snapshot-create"),
]
