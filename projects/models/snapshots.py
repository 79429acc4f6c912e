"""Dataset snapshots: a name for one moment of a dataset, so that it can be fetched as it was then.

A dataset's rows keep every version they have had (:mod:`projects.models.events`); a snapshot names one
of the dataset's transactions, and fetching the dataset with ``version`` set to the snapshot's ``xact_id``
answers exactly the rows of that moment. Snapshots are read with read on their dataset and made, renamed
and deleted with update on it.
"""

from django.db import models

from permissions.models import NamedRecord


class DatasetSnapshot(NamedRecord):
    """A named version of a dataset (Braintrust's ``DatasetSnapshot``), name unique in the dataset."""

    audit_type = "dataset_snapshot"

    dataset = models.ForeignKey("projects.Dataset", on_delete=models.CASCADE, related_name="snapshots")
    description = models.TextField(blank=True)
    xact_id = models.BigIntegerField(verbose_name="transaction ID", help_text="The dataset's transaction the snapshot names")

    class Meta(NamedRecord.Meta):
        constraints = [
            models.UniqueConstraint(fields=["dataset", "name"], name="dataset_snapshot_name_unique_in_dataset"),
            models.CheckConstraint(condition=models.Q(xact_id__gte=0), name="dataset_snapshot_xact_id_not_negative"),
        ]
