"""Dataset snapshots: name a moment of a dataset (update on the dataset), rename or describe it, delete it;
each in one transaction with its audit event.

A snapshot names one of the dataset's own transactions: an ``xact_id`` at which some row of the dataset
was inserted, changed or deleted. Any other number is refused (400 naming ``xact_id``), even one below
the latest: between two of its transactions a dataset does not change, so a moment that is not a
transaction of the dataset names nothing a snapshot could add, and most often is a typo or another
object's id. A dataset with no rows yet has no moment to name. Fetching the dataset with ``version`` set
to the snapshot's ``xact_id`` then answers exactly the rows of that moment, whatever happened since.
"""

from typing import Any

from django.db import transaction

from permissions.audit import record_event
from permissions.audit_states import fields_state
from permissions.engine.guards import require
from permissions.exceptions import ValidationError
from permissions.services.names import others_named, save_named
from permissions.services.rows import row_or_not_found
from projects.events.reads import parse_version
from projects.models import Dataset, DatasetSnapshot, EventVersion, ObjectKind
from projects.services.configuration.checks import expect_name, expect_string, invalid

FIELDS = ("name", "description", "xact_id")
_LARGEST_XACT_ID = 2**63 - 1  # a 64-bit transaction id, as the database stores it


def _versions_of(dataset: Dataset):
    return EventVersion.objects.filter(kind=ObjectKind.DATASET, object_id=dataset.pk)


def latest_transaction(dataset: Dataset) -> int | None:
    """The dataset's latest transaction id (None while it has no rows): what a snapshot made now names."""
    return _versions_of(dataset).order_by("-xact_id").values_list("xact_id", flat=True).first()


def check_xact_id(dataset: Dataset, value: Any) -> int:
    """`value` (a whole number, or its text) once it is one of the dataset's transactions."""
    try:
        xact_id = parse_version(value)
    except ValidationError as exc:
        raise invalid("xact_id", "must be a transaction id (a whole number, not negative).") from exc
    if xact_id is not None and xact_id <= _LARGEST_XACT_ID and _versions_of(dataset).filter(xact_id=xact_id).exists():
        return xact_id
    latest = latest_transaction(dataset)
    if latest is None:
        raise invalid("xact_id", "the dataset has no rows yet: there is no version to snapshot.")
    if xact_id is None:
        raise invalid("xact_id", "is required.")
    raise invalid("xact_id", f"{xact_id} is not a transaction of this dataset (its latest is {latest}).")


def _live_dataset(dataset: Dataset) -> Dataset:
    live = Dataset.objects.alive().filter(project__deleted_at__isnull=True).select_related("project__org")
    return row_or_not_found(live, dataset.pk, "dataset")


def _save(snapshot: DatasetSnapshot, *, update_fields: tuple[str, ...] | None = None) -> None:
    """Save `snapshot`, unless another snapshot of its dataset has its name."""
    refusal = invalid("name", f"a snapshot named {snapshot.name!r} already exists in this dataset.")
    save_named(snapshot, taken=others_named(snapshot, "dataset_id"), refusal=refusal, update_fields=update_fields)


@transaction.atomic
def dataset_snapshot_create(*, actor, dataset: Dataset, name: str, xact_id: Any, description: str | None = "") -> DatasetSnapshot:
    """Name the moment `xact_id` of a dataset (update on the dataset)."""
    require(actor, "update", dataset)
    dataset = _live_dataset(dataset)
    snapshot = DatasetSnapshot(
        dataset=dataset,
        name=expect_name(name),
        description=expect_string(description, "description") or "",
        xact_id=check_xact_id(dataset, xact_id),
        created_by=actor,
    )
    _save(snapshot)
    record_event(
        actor=actor, org=dataset.project.org, action="dataset_snapshot.create", target=snapshot, after=fields_state(snapshot, FIELDS)
    )
    return snapshot


@transaction.atomic
def dataset_snapshot_update(
    *, actor, snapshot: DatasetSnapshot, name: str | None = None, description: str | None = None, xact_id: Any = None
) -> DatasetSnapshot:
    """Rename, describe or move a snapshot (update on its dataset); arguments left None are left as they
    are. Only a replace by name (``PUT``) moves it, to another of the dataset's transactions."""
    require(actor, "update", snapshot.dataset)
    _live_dataset(snapshot.dataset)
    locked = DatasetSnapshot.objects.select_for_update(of=("self",), no_key=True).select_related("dataset__project__org")
    snapshot = locked.get(pk=snapshot.pk)
    before = fields_state(snapshot, FIELDS)
    if name is not None:
        snapshot.name = expect_name(name)
    if description is not None:
        snapshot.description = expect_string(description, "description") or ""
    if xact_id is not None:
        snapshot.xact_id = check_xact_id(snapshot.dataset, xact_id)
    after = fields_state(snapshot, FIELDS)
    if after != before:
        _save(snapshot, update_fields=FIELDS)
        org = snapshot.dataset.project.org
        record_event(actor=actor, org=org, action="dataset_snapshot.update", target=snapshot, before=before, after=after)
    return snapshot


@transaction.atomic
def dataset_snapshot_delete(*, actor, snapshot: DatasetSnapshot) -> None:
    """Delete a snapshot (update on its dataset); the dataset's rows and versions stay."""
    require(actor, "update", snapshot.dataset)
    _live_dataset(snapshot.dataset)
    snapshot = DatasetSnapshot.objects.select_for_update(of=("self",)).select_related("dataset__project__org").get(pk=snapshot.pk)
    org = snapshot.dataset.project.org
    record_event(actor=actor, org=org, action="dataset_snapshot.delete", target=snapshot, before=fields_state(snapshot, FIELDS))
    snapshot.delete()
