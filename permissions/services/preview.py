"""What a change of access would do, before it is made: a dry run of the very change.

A preview runs the same service call the real change makes (a batch of grants, a group's members), inside
a savepoint that is then rolled back, so that the preview and the change agree by construction: the same
checks, the same refusals, and nothing left behind (no grant, no membership, no audit event, no access
version moved, no side effect, as work deferred to the commit is dropped with the savepoint).

What it answers is the effective difference (:class:`AccessPreview`): who gains and who loses which
permission where. The principals are the organization's members (people and service accounts) and its
groups (what their membership alone gives); the places are the nodes the changed grants name or, for a
change of a group's members, those the grants of the group and of every group containing it name, each
also for the types below it that a restricted grant or a role's restricted pair names
(:class:`permissions.engine.holdings.Place`). Both sides are read by the engine
(:func:`permissions.engine.holdings.holdings`), in a number of queries that grows with the types of the places, never
with the number of principals.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from django.db import transaction

from permissions.engine import invalidate_access_cache
from permissions.engine.holdings import (
    PRINCIPAL_KINDS,
    Place,
    PrincipalKey,
    Target,
    Within,
    group_targets,
    group_within,
    holdings,
    subjects_within,
)
from permissions.engine.nodes import model_for_type
from permissions.grants import GrantRecord
from permissions.models import PermissionGroup
from permissions.services.grants import GrantSpec, acl_batch_update
from permissions.services.groups import group_update
from permissions.types import ALL_PERMISSIONS

T = TypeVar("T")


@dataclass(frozen=True)
class AccessChange:
    """One principal gaining or losing one permission at one place."""

    principal: PrincipalKey
    principal_name: str
    permission: str
    place: Place
    place_name: str  # the name of the place's node (for a virtual node, of the organization or project it hangs on)

    @property
    def sort_key(self) -> tuple:
        return (
            self.place.node_type,
            self.place_name.casefold(),
            str(self.place.node_id),
            self.place.as_type,
            ALL_PERMISSIONS.index(self.permission),
            PRINCIPAL_KINDS.index(self.principal.kind),
            self.principal_name.casefold(),
            str(self.principal.id),
        )


@dataclass(frozen=True)
class AccessPreview:
    """The effective difference a change makes: every gain and every loss, sorted by place, permission,
    kind of principal and name."""

    gains: tuple[AccessChange, ...] = ()
    losses: tuple[AccessChange, ...] = ()

    @property
    def changes_nothing(self) -> bool:
        return not self.gains and not self.losses


class _Undo(Exception):
    """Raised inside the dry run's savepoint to roll it back, carrying what was read there."""

    def __init__(self, targets: list[Target], after, concerned: Within | None) -> None:
        super().__init__("dry run")
        self.targets, self.after, self.concerned = targets, after, concerned


def dry_run(
    *, change: Callable[[], T], targets: Callable[[T], Iterable[Target]], within: Callable[[T | None], Within] | None = None
) -> AccessPreview:
    """Run `change` (a service call) and undo it, answering the difference it made on what `targets`
    names, given the change's answer; with `within`, only for the principals it names before the change
    (given None) or after it (given the change's answer): the others' access cannot change, so a preview
    costs what those it concerns hold, not what everyone holds.

    The change runs in a savepoint of its own: a refusal (``ValidationError``, ``AccessDenied``,
    ``NotFound``) propagates as it would from the real change, with nothing written. After it, who holds
    what is read with the change in place; after the rollback, the same places are read again, as they are.
    """
    concerned = within(None) if within is not None else None
    try:
        with transaction.atomic():
            result = change()
            invalidate_access_cache()
            named = list(targets(result))
            if concerned is not None:
                concerned = concerned | within(result)
            raise _Undo(named, holdings(named, concerned), concerned)
    except _Undo as undone:
        named, after, concerned = undone.targets, undone.after, undone.concerned
    invalidate_access_cache()
    before = holdings(named, concerned)
    gained, lost = after.triples() - before.triples(), before.triples() - after.triples()
    names = {**before.names, **after.names}
    place_names = _place_names({place for _, _, place in gained | lost})

    def rows(triples: set) -> tuple[AccessChange, ...]:
        changes = (
            AccessChange(who, names.get(who, ""), permission, place, place_names.get(place, "")) for who, permission, place in triples
        )
        return tuple(sorted(changes, key=lambda change: change.sort_key))

    return AccessPreview(gains=rows(gained), losses=rows(lost))


def _place_names(places: set[Place]) -> dict[Place, str]:
    """The name of each place's node: one query per type of node."""
    ids_by_type: dict[str, set[UUID]] = {}
    for place in places:
        ids_by_type.setdefault(model_for_type(place.node_type).acl_object_type, set()).add(place.node_id)
    names: dict[tuple[str, UUID], str] = {}
    for model_type, ids in ids_by_type.items():
        model = model_for_type(model_type)
        names.update({(model_type, pk): name for pk, name in model._base_manager.filter(pk__in=ids).values_list("pk", "name")})
    return {place: names.get((model_for_type(place.node_type).acl_object_type, place.node_id), "") for place in places}


def grant_change_targets(answer: tuple[list[GrantRecord], list[GrantRecord]]) -> list[Target]:
    """What the grants a batch added (or found present) and removed name: the answer of
    :func:`permissions.services.grants.acl_batch_update`, and of ``permissions.boxes.save_boxes``."""
    added, removed = answer
    return [Target.of(record) for record in [*added, *removed]]


def grant_change_within(answer: tuple[list[GrantRecord], list[GrantRecord]] | None) -> Within:
    """Who the grants a batch added and removed can concern: their users, their groups, the groups nested in
    those and their members. A change of grants leaves the groups as they are, so its answer names them all."""
    if answer is None:
        return Within()
    records = [*answer[0], *answer[1]]
    concerned = Within()
    for org_id in {record.org_id for record in records}:
        mine = [record for record in records if record.org_id == org_id]
        users = {record.user_id for record in mine if record.user_id is not None}
        groups = {record.group_id for record in mine if record.group_id is not None}
        concerned = concerned | subjects_within(org_id, users, groups)
    return concerned


def acl_batch_update_preview(*, actor, add: list[GrantSpec], remove: list[GrantSpec]) -> AccessPreview:
    """What :func:`permissions.services.grants.acl_batch_update` with these arguments would do."""
    return dry_run(
        change=lambda: acl_batch_update(actor=actor, add=add, remove=remove), targets=grant_change_targets, within=grant_change_within
    )


def group_change_preview(*, group: PermissionGroup, change: Callable[[], Any]) -> AccessPreview:
    """What `change`, a call of :func:`permissions.services.groups.group_update` on `group` (as a page or
    the API makes it), would do to access: its members gain or lose what the group carries."""
    return dry_run(
        change=change,
        targets=lambda _answer: group_targets(group.pk, group.org_id),
        within=lambda _answer: group_within(group.pk, group.org_id),
    )


def group_creation_preview(*, change: Callable[[], PermissionGroup]) -> AccessPreview:
    """What `change`, a call of :func:`permissions.services.groups.group_create`, would do to access. A new
    group is granted nothing, so nobody gains anything through it; the call still runs, so that it is
    refused exactly as the real one would be."""
    return dry_run(
        change=change,
        targets=lambda group: group_targets(group.pk, group.org_id),
        within=lambda group: group_within(group.pk, group.org_id) if group is not None else Within(),
    )


def group_update_preview(*, actor, group: PermissionGroup, **changes: Any) -> AccessPreview:
    """What :func:`permissions.services.groups.group_update` with these arguments would do: `changes` are
    its arguments, passed on as they are, so that the preview takes exactly what the change takes."""
    return group_change_preview(group=group, change=lambda: group_update(actor=actor, group=group, **changes))
