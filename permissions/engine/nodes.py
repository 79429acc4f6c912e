"""Nodes of the access hierarchy and how the engine reaches a node's ancestors in the database.

Models join the hierarchy by declaring ``acl_object_type`` and ``acl_parent_field`` (the foreign key
whose target's id names the parent node); the engine finds them through the app registry, so it never
imports the apps that own them.
"""

from dataclasses import dataclass
from functools import cache
from uuid import UUID

from django.apps import apps
from django.db import models

from permissions.types import PARENT_TYPE, VIRTUAL_TYPES, chain_types

# The model type whose id names each virtual node.
VIRTUAL_ANCHOR: dict[str, str] = {
    "org_member": "organization",
    "org_audit_logs": "organization",
    "org_project": "organization",
    "project_log": "project",
}


@dataclass(frozen=True)
class Node:
    """A node of the hierarchy: an object type and the id that names it (see docs/access-model.md)."""

    type: str
    id: UUID

    def __post_init__(self) -> None:
        if self.type not in PARENT_TYPE:
            raise ValueError(f"Unknown object type {self.type!r}.")
        if not isinstance(self.id, UUID):
            object.__setattr__(self, "id", UUID(str(self.id)))

    @classmethod
    def of(cls, obj: "models.Model | Node") -> "Node":
        if isinstance(obj, Node):
            return obj
        object_type = getattr(obj, "acl_object_type", None)
        if object_type is None:
            raise TypeError(f"{type(obj).__name__} is not part of the access hierarchy.")
        return cls(object_type, obj.pk)


@dataclass(frozen=True)
class Level:
    """One node of a chain, as seen from the anchor model: its type and the lookup that yields its id."""

    type: str
    lookup: str


@dataclass(frozen=True)
class ChainPlan:
    """How to find every ancestor of a node of ``node_type`` from a row of ``anchor``."""

    node_type: str
    anchor: type[models.Model]
    levels: tuple[Level, ...]
    org_lookup: str


@cache
def model_for_type(object_type: str) -> type[models.Model]:
    """The model that stores nodes of a concrete `object_type` (or that a virtual type hangs on)."""
    object_type = VIRTUAL_ANCHOR.get(object_type, object_type)
    for model in apps.get_models():
        if getattr(model, "acl_object_type", None) == object_type and not model._meta.proxy:
            return model
    raise LookupError(f"No model declares acl_object_type = {object_type!r}.")


def is_concrete(object_type: str) -> bool:
    return object_type not in VIRTUAL_TYPES


@cache
def chain_plan(object_type: str) -> ChainPlan:
    """The chain of `object_type` from the node itself up to the organization, as ORM lookups."""
    anchor = model_for_type(object_type)
    model = anchor
    path: list[str] = []
    levels: list[Level] = []
    for level_type in chain_types(object_type):
        hangs_on = VIRTUAL_ANCHOR.get(level_type, level_type)
        if model.acl_object_type != hangs_on:
            field = model._meta.get_field(model.acl_parent_field)
            path.append(field.name)
            model = field.related_model
            if model.acl_object_type != hangs_on:
                raise LookupError(f"{anchor.__name__}: the parent of a {level_type} is not {model.__name__}.")
        lookup = "__".join(path) + "_id" if path else "pk"
        levels.append(Level(level_type, lookup))
    org_lookup = levels[-1].lookup
    return ChainPlan(object_type, anchor, tuple(levels), org_lookup)


def parent_of(node_type: str) -> str | None:
    return PARENT_TYPE[node_type]


@dataclass(frozen=True)
class GrantTables:
    """Guardian's two direct grant tables for one model: grants to users and grants to groups."""

    user: type[models.Model]
    group: type[models.Model]


@cache
def grant_tables(object_type: str) -> GrantTables:
    """The direct grant tables of the model of a concrete `object_type`.

    Found through the app registry rather than guardian's lookup helpers, which consult content types
    (a query each, the first time) on every call.
    """
    from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

    target = model_for_type(object_type)
    found: dict[str, type[models.Model]] = {}
    for model in apps.get_models():
        fields = {f.name: f for f in model._meta.local_fields}
        if "content_object" in fields and fields["content_object"].related_model is target:
            if issubclass(model, UserObjectPermissionBase):
                found["user"] = model
            elif issubclass(model, GroupObjectPermissionBase):
                found["group"] = model
    if set(found) != {"user", "group"}:
        raise LookupError(f"{target.__name__} needs a direct user and group grant table.")
    return GrantTables(user=found["user"], group=found["group"])
