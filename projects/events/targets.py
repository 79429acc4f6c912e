"""What holds rows: an experiment, a dataset, or a project's logs, and the access node that guards them."""

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from permissions.engine.nodes import Node
from projects.models import Dataset, Experiment, ObjectKind, Project


@dataclass(frozen=True)
class EventTarget:
    """The object whose rows are read or written. For logs, ``object_id`` is the project's id and the
    access node is the project's ``project_log`` node (docs/access-model.md, data inside objects)."""

    kind: str
    object_id: UUID
    project: Project

    @property
    def node(self) -> Node:
        if self.kind == ObjectKind.PROJECT_LOGS:
            return Node("project_log", self.project.pk)
        return Node(self.kind, self.object_id)

    @property
    def org_id(self) -> UUID:
        return self.project.org_id

    @classmethod
    def of(cls, obj: "Experiment | Dataset | Project") -> "EventTarget":
        """The rows of an experiment, of a dataset, or (given a project) of the project's logs."""
        if isinstance(obj, Project):
            return cls(ObjectKind.PROJECT_LOGS, obj.pk, obj)
        if isinstance(obj, Experiment):
            return cls(ObjectKind.EXPERIMENT, obj.pk, obj.project)
        if isinstance(obj, Dataset):
            return cls(ObjectKind.DATASET, obj.pk, obj.project)
        raise TypeError(f"{type(obj).__name__} holds no rows.")

    def row_filter(self) -> dict:
        """The lookups that select this target's rows in EventRow, EventVersion and EventFeedback."""
        return {"kind": self.kind, "object_id": self.object_id}


def live_targets(org_id: UUID, wanted: Iterable[tuple[str, UUID]]) -> dict[tuple[str, UUID], EventTarget]:
    """The targets among `wanted` (``(kind, object id)`` pairs) that are alive in the organization: the
    experiment or dataset and its project not deleted, or for logs the project. Others are left out, so
    the caller answers them "not found". One query per kind asked for."""
    ids_by_kind: dict[str, set[UUID]] = {}
    for kind, object_id in wanted:
        ids_by_kind.setdefault(kind, set()).add(object_id)
    found: dict[tuple[str, UUID], EventTarget] = {}
    for kind, ids in ids_by_kind.items():
        if kind == ObjectKind.PROJECT_LOGS:
            objects = Project.objects.alive().filter(org_id=org_id, pk__in=ids)
        else:
            model = Experiment if kind == ObjectKind.EXPERIMENT else Dataset
            objects = model.objects.live_in(org_id).filter(pk__in=ids)
            objects = objects.select_related("project")
        for obj in objects:
            found[(kind, obj.pk)] = EventTarget.of(obj)
    return found
