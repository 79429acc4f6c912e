"""The permission boxes of the settings pages, and the canonical grants each one writes (docs/access-model.md,
"What the pages write"), so that the pages and the API always agree.

A dialog is a :class:`BoxSet` (organization level, project, object, group access). A box stands for one or
more grants to one subject (a user, a service account or a group) on nodes named from the dialog's
target. A box is ticked when every one of its grants exists, as a direct grant to that subject; saving a
dialog adds the grants of newly ticked boxes and removes those of newly cleared ones, in one atomic
batch through :func:`permissions.services.grants.acl_batch_update`, which checks Manage access on every
node and writes the audit events.

The boxes' words come from :mod:`permissions.labels`, which every other page uses too.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from permissions.engine.nodes import Node
from permissions.exceptions import ValidationError
from permissions.grants import grant_records
from permissions.labels import MANAGE_ACCESS, node_permission_label, permission_label
from permissions.models import Role
from permissions.services.grants import GrantSpec, acl_batch_update, is_owners_group

ACLS = ("create_acls", "read_acls", "update_acls", "delete_acls")


@dataclass(frozen=True)
class BoxGrant:
    """One grant of a box: on the node of type `node_type` whose id is the dialog's target id."""

    node_type: str
    permission: str
    restrict: str | None = None


@dataclass(frozen=True)
class Box:
    key: str  # stable form field name
    section: str
    label: str
    grants: tuple[BoxGrant, ...]
    help: str = ""


@dataclass(frozen=True)
class BoxSet:
    name: str
    boxes: tuple[Box, ...]

    def box(self, key: str) -> Box:
        return next(box for box in self.boxes if box.key == key)

    @property
    def sections(self) -> list[tuple[str, list[Box]]]:
        grouped: dict[str, list[Box]] = {}
        for box in self.boxes:
            grouped.setdefault(box.section, []).append(box)
        return list(grouped.items())


def _acls(node_type: str) -> tuple[BoxGrant, ...]:
    return tuple(BoxGrant(node_type, permission) for permission in ACLS)


MANAGE_ACCESS_HELP = "A super-user ability: whoever holds Manage access here can grant themselves anything here, including every other box."

ORGANIZATION_BOXES = BoxSet(
    "organization",
    (
        Box(
            "org_settings",
            "Organization",
            node_permission_label("update", "organization", "organization"),
            (BoxGrant("organization", "update", "organization"),),
            "Organization settings such as the name, the API URL and the proxy URL.",
        ),
        Box("org_invite", "Organization", node_permission_label("create", "org_member"), (BoxGrant("org_member", "create"),)),
        Box("org_remove", "Organization", node_permission_label("delete", "org_member"), (BoxGrant("org_member", "delete"),)),
        Box("org_acls", "Organization", MANAGE_ACCESS, _acls("organization"), MANAGE_ACCESS_HELP),
        Box("org_audit", "Organization", node_permission_label("read", "org_audit_logs"), (BoxGrant("org_audit_logs", "read"),)),
        *(
            Box(f"projects_{permission}", "All projects", permission_label(permission), (BoxGrant("org_project", permission),))
            for permission in ("read", "create", "update", "delete")
        ),
        Box("projects_acls", "All projects", MANAGE_ACCESS, _acls("org_project"), MANAGE_ACCESS_HELP),
    ),
)

_PROJECT_TYPES = (
    ("experiment", "Experiments"),
    ("dataset", "Datasets"),
    ("project_log", "Logs"),
    ("prompt", "Prompts"),
    ("prompt_session", "Playgrounds"),
)
_CRUD = ("read", "create", "update", "delete")

PROJECT_BOXES = BoxSet(
    "project",
    (
        *(Box(f"project_{p}", "Project", permission_label(p), (BoxGrant("project", p),)) for p in _CRUD),
        Box("project_acls", "Project", MANAGE_ACCESS, _acls("project"), MANAGE_ACCESS_HELP),
        *(
            box
            for object_type, section in _PROJECT_TYPES
            for box in (
                *(Box(f"{object_type}_{p}", section, permission_label(p), (BoxGrant("project", p, object_type),)) for p in _CRUD),
                Box(
                    f"{object_type}_acls",
                    section,
                    MANAGE_ACCESS,
                    tuple(BoxGrant("project", permission, object_type) for permission in ACLS),
                    MANAGE_ACCESS_HELP,
                ),
            )
        ),
    ),
)


def object_boxes(object_type: str) -> BoxSet:
    """An experiment's, dataset's, prompt's or playground's own Permissions dialog."""
    return BoxSet(
        object_type,
        (
            *(Box(p, "Permissions", permission_label(p), (BoxGrant(object_type, p),)) for p in ("read", "update", "delete")),
            Box("acls", "Permissions", MANAGE_ACCESS, _acls(object_type), MANAGE_ACCESS_HELP),
        ),
    )


GROUP_ACCESS_BOXES = BoxSet(
    "group",
    (
        Box("read", "Group access", permission_label("read"), (BoxGrant("group", "read"),)),
        Box(
            "update",
            "Group access",
            permission_label("update"),
            (BoxGrant("group", "update"),),
            "Edit the group and add or remove its members.",
        ),
        Box("delete", "Group access", permission_label("delete"), (BoxGrant("group", "delete"),)),
        Box("acls", "Group access", MANAGE_ACCESS, _acls("group"), MANAGE_ACCESS_HELP),
    ),
)


@dataclass(frozen=True)
class Subject:
    """Who the boxes are for: a user (person or service account) or a permission group."""

    user_id: UUID | None = None
    group_id: UUID | None = None

    def spec(self, grant: BoxGrant, target_id: UUID, expires_at: datetime | None = None, clears_expiry: bool = False) -> GrantSpec:
        return GrantSpec(
            object_type=grant.node_type,
            object_id=target_id,
            user_id=self.user_id,
            group_id=self.group_id,
            permission=grant.permission,
            restrict_object_type=grant.restrict,
            expires_at=expires_at,
            clears_expiry=clears_expiry and expires_at is None,
        )


def _key(object_type: str, permission: str | None, restrict: str | None) -> tuple:
    return (object_type, permission, restrict or None)


def ticked_boxes(box_set: BoxSet, subject: Subject, target_id: UUID) -> set[str]:
    """The boxes whose every grant the subject holds directly (one query)."""
    node_types = {grant.node_type for box in box_set.boxes for grant in box.grants}
    records = grant_records(
        nodes=[Node(node_type, target_id) for node_type in node_types], user_id=subject.user_id, group_id=subject.group_id
    )
    held = {_key(r.object_type, r.permission, r.restrict_object_type) for r in records if r.role_id is None}
    return {box.key for box in box_set.boxes if all(_key(g.node_type, g.permission, g.restrict) in held for g in box.grants)}


def held_boxes(box_set: BoxSet, subject: Subject, target_id: UUID) -> "HeldBoxes":
    """What one subject holds directly on the target, with when its ticked boxes expire (one query): for
    a dialog that shows one subject's boxes and beside them until when they count."""
    return boxes_by_subject(box_set, target_id, subject=subject).get(subject) or HeldBoxes(frozenset(), (), ())


def _box_expiries(box_set: BoxSet, ticked: Iterable[str], expiries: Mapping[tuple, datetime]) -> dict[str, datetime]:
    """When each ticked box stops counting: the earliest expiry among its grants, since from then on the
    subject no longer holds all of them. Boxes whose grants never expire are left out."""
    result = {}
    for key in ticked:
        ends = [expiries[k] for g in box_set.box(key).grants if (k := _key(g.node_type, g.permission, g.restrict)) in expiries]
        if ends:
            result[key] = min(ends)
    return result


@dataclass(frozen=True)
class HeldBoxes:
    """What one subject holds directly on a dialog's target, as the dialog shows it."""

    ticked: frozenset[str]  # the boxes whose every grant it holds
    unboxed: tuple[tuple[str, str], ...]  # (node type, permission) of its direct grants no ticked box stands for
    role_ids: tuple[UUID, ...]  # the roles it was granted there
    # When each ticked box whose grants expire stops counting (the earliest of its grants' expiries).
    expiries: Mapping[str, datetime] = field(default_factory=dict)


def boxes_by_subject(box_set: BoxSet, target_id: UUID, *, subject: Subject | None = None) -> dict[Subject, HeldBoxes]:
    """Every subject holding a direct grant on the target (or only `subject`), with its boxes, in one query:
    :func:`ticked_boxes` for all subjects at once (a test holds the two in agreement). A subject holding
    only role grants is listed too."""
    node_types = {grant.node_type for box in box_set.boxes for grant in box.grants}
    records = grant_records(
        nodes=[Node(node_type, target_id) for node_type in node_types],
        user_id=subject.user_id if subject else None,
        group_id=subject.group_id if subject else None,
    )
    held: dict[Subject, set[tuple]] = defaultdict(set)
    expiries: dict[Subject, dict[tuple, datetime]] = defaultdict(dict)
    roles: dict[Subject, list[UUID]] = defaultdict(list)
    for record in records:
        holder = Subject(user_id=record.user_id, group_id=record.group_id)
        if record.role_id is None:
            key = _key(record.object_type, record.permission, record.restrict_object_type)
            held[holder].add(key)
            if record.expires_at is not None:
                expiries[holder][key] = record.expires_at
        else:
            roles[holder].append(record.role_id)
    result = {}
    for holder in {*held, *roles}:
        keys = held.get(holder, set())
        ticked = frozenset(box.key for box in box_set.boxes if all(_key(g.node_type, g.permission, g.restrict) in keys for g in box.grants))
        covered = {_key(g.node_type, g.permission, g.restrict) for key in ticked for g in box_set.box(key).grants}
        unboxed = tuple(sorted((node_type, permission) for node_type, permission, _ in keys - covered))
        result[holder] = HeldBoxes(ticked, unboxed, tuple(roles.get(holder, ())), _box_expiries(box_set, ticked, expiries.get(holder, {})))
    return result


def role_names_of(held: dict[Subject, HeldBoxes]) -> dict[UUID, str]:
    """The names of the roles granted in `held`, by id (one query; none when no role was granted)."""
    role_ids = {role_id for boxes in held.values() for role_id in boxes.role_ids}
    return dict(Role.objects.filter(pk__in=role_ids).values_list("pk", "name")) if role_ids else {}


def save_boxes(
    *,
    actor,
    box_set: BoxSet,
    subject: Subject,
    target_id: UUID,
    ticked: Iterable[str],
    expires_at: datetime | None = None,
    clears_expiry: bool = False,
) -> tuple[list, list]:
    """Make the subject's boxes on the target exactly `ticked`: grants of newly ticked boxes are added,
    those of newly cleared boxes removed, all in one atomic, checked and audited batch.

    With `expires_at`, every ticked box's grants count until then: the new ones are added with it, and
    those already held are granted again with it (the service changes their expiry, audited as a change
    of its own). With `clears_expiry` (and no `expires_at`), they are granted again with no end. With
    neither, the grants already held keep whatever expiry they have, as a dialog that says nothing of time
    must not lengthen or shorten anyone's access."""
    wanted = set(ticked)
    unknown = wanted - {box.key for box in box_set.boxes}
    if unknown:
        raise ValueError(f"Unknown boxes: {', '.join(sorted(unknown))}.")
    if box_set is ORGANIZATION_BOXES and is_owners_group(subject.group_id, target_id):
        raise ValidationError("The Owners group holds every permission on the organization; its grants cannot be changed.")
    before = ticked_boxes(box_set, subject, target_id)
    granting = wanted if expires_at is not None or clears_expiry else wanted - before
    add = [subject.spec(grant, target_id, expires_at, clears_expiry) for key in sorted(granting) for grant in box_set.box(key).grants]
    remove = [subject.spec(grant, target_id) for key in sorted(before - wanted) for grant in box_set.box(key).grants]
    if not add and not remove:
        return [], []
    return acl_batch_update(actor=actor, add=add, remove=remove)
