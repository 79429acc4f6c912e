"""``/v1/dataset_snapshot``: named versions of datasets, in Braintrust's shapes.

A snapshot is not a node of the access hierarchy: its dataset is. Reading one needs read on the dataset;
making, replacing, renaming and deleting one need update on it. So the views declare the dataset as the
node behind each row (``object_node``), and lists keep only snapshots of live datasets the caller may
read, restricted in the database.

* ``POST``: get or create by name within ``dataset_id``. An existing snapshot is returned unmodified to
  whoever may read the dataset; making one needs update on it.
* ``PUT``: create, or replace the snapshot with that name in the dataset (update on the dataset).
* ``GET`` (list: by ``dataset_snapshot_name`` and ``ids``, as Braintrust's list is), and ``GET``,
  ``PATCH`` and ``DELETE`` on ``/{dataset_snapshot_id}``.

What ``xact_id`` may be is the service's rule (:mod:`projects.services.dataset_snapshots`): one of the
dataset's own transactions. Fetching the dataset with ``version`` set to it answers the snapshot's rows.
"""

from functools import cached_property
from typing import ClassVar

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.inputs import StrictCharField, StrictSerializer, StrictUUIDField
from api.named_objects import Kind, KindDocs, ObjectCollectionView, ObjectDetailView, get_or_create, kind_schema, patch_through
from permissions.engine import Node
from permissions.exceptions import NotFound
from permissions.requirements import Needs
from projects.models import Dataset, DatasetSnapshot
from projects.selectors import datasets_readable_by, live_objects_of_org, snapshot_named
from projects.services import dataset_snapshots

_DATASET = "Unique identifier for the dataset that this snapshot belongs to"
_NAME = "Name of the dataset snapshot"
_DESCRIPTION = "Textual description of the dataset snapshot"
_XACT_ID = "Transaction id of the brainstore version at the time of the snapshot"


@extend_schema_serializer(component_name="DatasetSnapshot")
class DatasetSnapshotSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True, help_text="Unique identifier for the dataset snapshot")
    dataset_id = serializers.UUIDField(read_only=True, help_text=_DATASET)
    name = serializers.CharField(read_only=True, help_text=_NAME)
    description = serializers.CharField(read_only=True, allow_null=True, help_text=_DESCRIPTION)
    xact_id = serializers.CharField(read_only=True, help_text=_XACT_ID)
    created = serializers.DateTimeField(read_only=True, allow_null=True, help_text="Date of dataset snapshot creation")

    def to_representation(self, instance) -> dict:
        data = super().to_representation(instance)
        data["description"] = data["description"] or None
        return data


@extend_schema_serializer(component_name="CreateDatasetSnapshot")
class CreateDatasetSnapshotSerializer(StrictSerializer):
    """A new snapshot, or the new contents of the one with that name in the dataset. Unknown fields are refused."""

    dataset_id = StrictUUIDField(help_text=_DATASET)
    name = StrictCharField(min_length=1, max_length=255, help_text=_NAME)
    description = StrictCharField(required=False, allow_null=True, allow_blank=True, help_text=_DESCRIPTION)
    xact_id = StrictCharField(min_length=1, max_length=20, help_text=_XACT_ID + ": one of the dataset's transactions")


@extend_schema_serializer(component_name="PatchDatasetSnapshot")
class PatchDatasetSnapshotSerializer(StrictSerializer):
    """The changes to make to a snapshot; fields left out or null are left as they are. Unknown fields are refused."""

    name = StrictCharField(required=False, allow_null=True, min_length=1, max_length=255, help_text=_NAME)
    description = StrictCharField(required=False, allow_null=True, allow_blank=True, help_text=_DESCRIPTION)


SNAPSHOTS = Kind(
    object_type="dataset_snapshot",
    model=DatasetSnapshot,
    output=DatasetSnapshotSerializer,
    create_input=CreateDatasetSnapshotSerializer,
    patch_input=PatchDatasetSnapshotSerializer,
    update=patch_through(dataset_snapshots.dataset_snapshot_update, "snapshot", "name", "description"),
    delete=lambda request, snapshot: dataset_snapshots.dataset_snapshot_delete(actor=request.user, snapshot=snapshot),
    answers_row_as_it_was=True,  # the row goes
    in_project=False,  # Braintrust's list filters by name and ids only
)


class _DatasetRows:
    """Snapshots are not nodes of the access hierarchy: the dataset behind each one is."""

    org_field = "dataset__project__org"

    def object_node(self, snapshot: DatasetSnapshot) -> Node:
        return Node("dataset", snapshot.dataset_id)


class DatasetSnapshotCollectionView(_DatasetRows, ObjectCollectionView):
    """``/v1/dataset_snapshot``: POST (get or create by name in a dataset), PUT (create or replace), GET (list)."""

    kind: ClassVar[Kind] = SNAPSHOTS
    list_permission = None  # rows are not nodes: safely_get_queryset keeps those of datasets the caller may read
    object_permissions = {"POST": "read", "PUT": "update"}

    def safely_get_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.filter(dataset__in=datasets_readable_by(self.request.user, self.org))

    @cached_property
    def target_dataset(self) -> Dataset:
        """The live dataset of a live project of the caller's organization that the body names ("not found" otherwise)."""
        dataset_id = self.body(CreateDatasetSnapshotSerializer)["dataset_id"]
        alive = live_objects_of_org(Dataset, self.org).filter(pk=dataset_id)
        dataset = alive.select_related("project__org").first()
        if dataset is None:
            raise NotFound("dataset", dataset_id)
        return dataset

    def _existing(self) -> DatasetSnapshot | None:
        """The dataset's snapshot with the body's name, whoever may see it: the requirements decide what follows."""
        name = self.body(CreateDatasetSnapshotSerializer)["name"].strip()
        return snapshot_named(self.target_dataset, name)

    def requirements_post(self):
        return [Needs("read" if self._existing() is not None else "update", Node.of(self.target_dataset))]

    def requirements_put(self):
        return [Needs("update", Node.of(self.target_dataset))]

    def _create(self, data: dict) -> DatasetSnapshot:
        return dataset_snapshots.dataset_snapshot_create(
            actor=self.request.user,
            dataset=self.target_dataset,
            name=data["name"],
            xact_id=data["xact_id"],
            description=data.get("description") or "",
        )

    def post(self, request: Request) -> Response:
        data = self.body(CreateDatasetSnapshotSerializer)
        return self.found_or_created(self._existing, lambda: self._create(data))

    def put(self, request: Request) -> Response:
        data = self.body(CreateDatasetSnapshotSerializer)
        snapshot, created = get_or_create(self._existing, lambda: self._create(data))
        if not created:
            snapshot = dataset_snapshots.dataset_snapshot_update(
                actor=request.user,
                snapshot=self.checked(snapshot),
                description=data.get("description") or "",
                xact_id=data["xact_id"],
            )
        return Response(self.kind.json(snapshot))


class DatasetSnapshotDetailView(_DatasetRows, ObjectDetailView):
    """``/v1/dataset_snapshot/{id}``: GET (read on the dataset), PATCH and DELETE (update on the dataset).

    Snapshots of a live dataset of the organization are found whatever the caller holds, so that the
    dataset's permissions decide the answer: 404 with none at all, 403 naming the one missing.
    """

    kind: ClassVar[Kind] = SNAPSHOTS
    object_permissions = {"GET": "read", "PATCH": "update", "DELETE": "update"}

    def safely_get_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.filter(dataset__deleted_at__isnull=True, dataset__project__deleted_at__isnull=True).select_related("dataset")


_collection, _detail = kind_schema(
    SNAPSHOTS,
    KindDocs(
        post="Create a new dataset_snapshot. If there is an existing dataset_snapshot with the same name as the one specified "
        "in the request, will return the existing dataset_snapshot unmodified",
        put="Create or replace dataset_snapshot. If there is an existing dataset_snapshot with the same name as the one "
        "specified in the request, will replace the existing dataset_snapshot with the provided fields",
        list="List out all dataset_snapshots of the datasets the caller may read. The dataset_snapshots are sorted by "
        "creation date, with the most recently-created dataset_snapshots coming first",
        get="Get a dataset_snapshot object by its id",
        patch="Partially update a dataset_snapshot object. Specify the fields to update in the payload.",
        delete="Delete a dataset_snapshot object by its id",
    ),
)

DatasetSnapshotCollectionView = _collection(DatasetSnapshotCollectionView)
DatasetSnapshotDetailView = _detail(DatasetSnapshotDetailView)

urlpatterns = SNAPSHOTS.urls(DatasetSnapshotCollectionView, DatasetSnapshotDetailView)
