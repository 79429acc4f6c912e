"""What holds rows: an experiment, a dataset, or a project's logs, and the access node that guards them."""

from dataclasses import dataclass
from uuid import UUID

from permissions.engine.nodes import Node
from projects.models import Dataset, Experiment, ObjectKind, Project


@dataclass(frozen=True)
class EventTarget:
    """The object whose rows are read or written. For logs, ``object_id`` is the project's id and the
    access node is the project's ``project_log`` node (ACCESS_MODEL.md, data inside objects)."""

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
