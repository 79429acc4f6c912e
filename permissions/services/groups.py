"""Permission groups: creation, renaming, deletion and membership, including the built-in three."""

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TypeVar
from uuid import UUID

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group as AuthGroup
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from permissions.audit import record_event
from permissions.audit_states import deleted_group_state, sorted_ids
from permissions.engine import invalidate_access_cache
from permissions.engine.guards import require, require_create
from permissions.engine.nodes import Node, grant_tables
from permissions.exceptions import ValidationError
from permissions.graphs import shortest_path
from permissions.models import AclGrant, GroupMembershipExpiry, GroupNesting, PermissionGroup, Role
from permissions.permission_rows import permission_row
from permissions.types import ALL_PERMISSIONS, CRUD_PERMISSIONS

Builtin = PermissionGroup.Builtin

GroupOrRole = TypeVar("GroupOrRole", PermissionGroup, Role)

# What the built-in groups are granted (docs/access-model.md, "Built-in groups").
_ORG_READ_RESTRICTIONS = ("organization", "org_member", "group", "role")


def group_state(group: PermissionGroup) -> dict:
    """What the audit log records of a group: its name, description and members, and, where some
    memberships expire, when (``member_user_expiries``, ``member_group_expiries``)."""
    expiry = GroupMembershipExpiry.objects.filter(group=group, user=OuterRef("pk")).values("expires_at")[:1]
    users = list(
        get_user_model().objects.filter(groups=group.auth_group_id).annotate(expires_at=Subquery(expiry)).values_list("id", "expires_at")
    )
    groups = list(GroupNesting.objects.filter(group=group).values_list("member_group_id", "expires_at"))
    state = {
        "name": group.name,
        "description": group.description,
        "member_users": sorted_ids(u for u, _ in users),
        "member_groups": sorted_ids(g for g, _ in groups),
    }
    for key, subject, members in (("member_user_expiries", "user", users), ("member_group_expiries", "group", groups)):
        expiries = sorted((str(member), expires_at.isoformat()) for member, expires_at in members if expires_at is not None)
        if expiries:
            state[key] = [{subject: member, "expires_at": expires_at} for member, expires_at in expiries]
    return state


def _refuse_builtin_group_name(name: str) -> None:
    """No group may take a built-in group's name in another case ("owners" beside "Owners")."""
    builtin = next((kind.label for kind in Builtin if kind.label.casefold() == name.casefold()), None)
    if builtin is not None:
        raise ValidationError(f"{name!r} is the name of the built-in group {builtin}; choose another name.")


def _new_group(*, org, name: str, description: str, actor, builtin: str = "") -> PermissionGroup:
    name = (name or "").strip()
    if not name:
        raise ValidationError("A group needs a name.")
    if PermissionGroup.objects.filter(org=org, name=name).exists():
        raise ValidationError(f"A group named {name!r} already exists in this organization.")
    if not builtin:
        _refuse_builtin_group_name(name)
    group = PermissionGroup(org=org, name=name, description=description or "", builtin=builtin, created_by=actor)
    group.auth_group = AuthGroup.objects.create(name=f"permission-group:{group.id}")
    try:
        with transaction.atomic():
            group.save()
    except IntegrityError as exc:
        raise ValidationError(f"A group named {name!r} already exists in this organization.") from exc
    return group


def _grant_owners_everything(owners: PermissionGroup, org) -> None:
    """The Owners' eight direct grants on the organization: the rows guardian's ``assign_perm`` writes, in one
    insert, since a new organization has none yet."""
    table = grant_tables("organization").group
    rows = [table(permission=permission_row("organization", p), group=owners.auth_group, content_object=org) for p in ALL_PERMISSIONS]
    table.objects.bulk_create(rows)


def create_builtin_groups(*, org, actor) -> dict[str, PermissionGroup]:
    """Owners, Engineers and Viewers with exactly their grants; part of creating an organization.

    A new organization has no group yet, so no name can be taken: the three groups and their grants are
    written in one insert per table (every test builds organizations, and so does every sign-up)."""
    groups = {kind: PermissionGroup(org=org, name=kind.label, description="", builtin=kind.value, created_by=actor) for kind in Builtin}
    auth_groups = AuthGroup.objects.bulk_create([AuthGroup(name=f"permission-group:{group.id}") for group in groups.values()])
    for group, auth_group in zip(groups.values(), auth_groups, strict=True):
        group.auth_group = auth_group
    PermissionGroup.objects.bulk_create(groups.values())
    _grant_owners_everything(groups[Builtin.OWNERS], org)
    grants = []
    for kind, project_permissions in ((Builtin.ENGINEERS, CRUD_PERMISSIONS), (Builtin.VIEWERS, ("read",))):
        grants += [
            AclGrant(org=org, object_type="org_project", object_id=org.id, group=groups[kind], permission=p) for p in project_permissions
        ]
        grants += [
            AclGrant(org=org, object_type="organization", object_id=org.id, group=groups[kind], permission="read", restrict_object_type=t)
            for t in _ORG_READ_RESTRICTIONS
        ]
    AclGrant.objects.bulk_create(grants)
    return groups


def _users_of_org(org, user_ids: Iterable[UUID]) -> list:
    user_ids = {UUID(str(u)) for u in user_ids}
    users = list(get_user_model().objects.filter(pk__in=user_ids, memberships__org=org))
    missing = user_ids - {u.pk for u in users}
    if missing:
        raise ValidationError(f"Not members of this organization: {', '.join(sorted(map(str, missing)))}.")
    return users


def _groups_of_org(org, group_ids: Iterable[UUID]) -> list[PermissionGroup]:
    group_ids = {UUID(str(g)) for g in group_ids}
    groups = list(PermissionGroup.objects.filter(pk__in=group_ids, org=org))
    missing = group_ids - {g.pk for g in groups}
    if missing:
        raise ValidationError(f"Not groups of this organization: {', '.join(sorted(map(str, missing)))}.")
    return groups


def refuse_nesting_cycle(container: GroupOrRole, member: GroupOrRole, edges: Iterable[tuple[UUID, UUID]]) -> None:
    """Refuse adding `member` to `container` (a group to a group, a role to a role) when `member` already
    contains `container`, directly or not, through `edges`, the (container, member) pairs of their nesting
    table. The message names the cycle: member → … → container → member."""
    if member.pk == container.pk:
        cycle = [container.name, container.name]
    else:
        path = shortest_path(edges, member.pk, container.pk)
        if path is None:
            return
        names = dict(type(container).objects.filter(pk__in=path).values_list("id", "name"))
        cycle = [names[i] for i in path] + [member.name]
    raise ValidationError(f"Adding {member.name} to {container.name} would make a cycle: {' → '.join(cycle)}.")


def lock_organization(org_id: UUID) -> None:
    """Serialize changes to an organization's groups (and roles) by locking its row first.

    Two changes that each add one half of a cycle (A into B, B into A) would otherwise both pass their
    cycle checks; serialized, the second sees the first and names the cycle. The locks are FOR NO KEY
    UPDATE: they order the changes without blocking the inserts (audit events, grants) whose foreign
    keys only need the row to stay, which is what keeps a remover of owners and a group editor from
    deadlocking on each other.
    """
    organization = PermissionGroup._meta.get_field("org").related_model
    organization.objects.select_for_update(no_key=True).only("pk").get(pk=org_id)


def record_deletion(actor, obj: GroupOrRole, state: Callable[[GroupOrRole], dict]) -> None:
    """Before a group or a role is deleted: its ``<type>.delete`` event, and the grants made on it, which
    name it by id rather than by a foreign key (grants *to* a group or *of* a role cascade)."""
    before = state(obj)
    AclGrant.objects.filter(object_type=obj.acl_object_type, object_id=obj.pk).delete()
    record_event(actor=actor, org=obj.org, action=f"{obj.acl_object_type}.delete", target=obj, before=before)


def _lock_owners(org) -> PermissionGroup:
    """The Owners row, locked after the organization's row, in the order every group change locks them.

    A change to memberships or grants also updates the organization's row (its access version, moved by
    a trigger), so a member removal that locked Owners first and then reached that update deadlocked with
    a group change holding the organization and waiting for Owners.
    """
    lock_organization(org.pk)
    return PermissionGroup.objects.select_for_update(no_key=True).get(org=org, builtin=Builtin.OWNERS)


def ensure_owner_remains(org, *, removing_user_ids: Iterable[UUID]) -> None:
    """Refuse a change that would leave the organization without a direct member of Owners.

    The Owners row is locked first, so two changes that each remove a different owner serialize and the
    second one sees the first one's result.
    """
    owners = _lock_owners(org)
    remaining = get_user_model().objects.filter(groups=owners.auth_group_id, memberships__org=org).exclude(pk__in=list(removing_user_ids))
    if not remaining.exists():
        raise ValidationError("An organization must keep at least one member in Owners.")


@transaction.atomic
def group_create(
    *, actor, org, name: str, description: str = "", member_users: Iterable[UUID] = (), member_groups: Iterable[UUID] = ()
) -> PermissionGroup:
    require_create(actor, "group", Node("organization", org.pk))
    group = _new_group(org=org, name=name, description=description, actor=actor)
    users = _users_of_org(org, member_users)
    members = _groups_of_org(org, member_groups)
    group.auth_group.user_set.add(*users)
    GroupNesting.objects.bulk_create([GroupNesting(group=group, member_group=m) for m in members])
    record_event(actor=actor, org=org, action="group.create", target=group, after=group_state(group))
    invalidate_access_cache()
    return group


@transaction.atomic
def group_update(
    *,
    actor,
    group: PermissionGroup,
    name: str | None = None,
    description: str | None = None,
    add_member_users: Iterable[UUID] = (),
    remove_member_users: Iterable[UUID] = (),
    add_member_groups: Iterable[UUID] = (),
    remove_member_groups: Iterable[UUID] = (),
) -> PermissionGroup:
    """Rename, describe, and add or remove members: all of it is "update" on the group."""
    require(actor, "update", group)
    lock_organization(group.org_id)
    group = PermissionGroup.objects.select_for_update(no_key=True).get(pk=group.pk)
    before = group_state(group)
    if name is not None and name.strip() != group.name:
        if group.is_builtin:
            raise ValidationError(f"The built-in group {group.name} cannot be renamed.")
        name = name.strip()
        if not name:
            raise ValidationError("A group needs a name.")
        if PermissionGroup.objects.filter(org_id=group.org_id, name=name).exclude(pk=group.pk).exists():
            raise ValidationError(f"A group named {name!r} already exists in this organization.")
        _refuse_builtin_group_name(name)
        group.name = name
    if description is not None:
        group.description = description
    group.save(update_fields=["name", "description"])

    add_users = _users_of_org(group.org, add_member_users)
    remove_users = {UUID(str(u)) for u in remove_member_users}
    if group.builtin == Builtin.OWNERS and remove_users:
        ensure_owner_remains(group.org, removing_user_ids=remove_users)
    group.auth_group.user_set.add(*add_users)
    group.auth_group.user_set.remove(*get_user_model().objects.filter(pk__in=remove_users))

    for member in _groups_of_org(group.org, add_member_groups):
        edges = GroupNesting.objects.filter(group__org_id=group.org_id).values_list("group_id", "member_group_id")
        refuse_nesting_cycle(group, member, edges)  # read per member: those added before it are edges now
        GroupNesting.objects.get_or_create(group=group, member_group=member)
    GroupNesting.objects.filter(group=group, member_group_id__in=[UUID(str(g)) for g in remove_member_groups]).delete()

    after = group_state(group)
    if after != before:
        record_event(actor=actor, org=group.org, action="group.update", target=group, before=before, after=after)
    invalidate_access_cache()
    return group


def _member_id(value, field: str) -> UUID:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except ValueError as exc:
        raise ValidationError({field: f"{field} must be a UUID, not {value!r}."}) from exc


def _clean_membership_expiry(expires_at: datetime | None) -> datetime | None:
    if expires_at is None:
        return None
    if not isinstance(expires_at, datetime) or timezone.is_naive(expires_at):
        raise ValidationError({"expires_at": f"expires_at must be a date and time with its time zone, not {expires_at!r}."})
    if expires_at <= timezone.now():
        raise ValidationError({"expires_at": "expires_at must be in the future."})
    return expires_at


def _set_member_user_expiry(group: PermissionGroup, user_id: UUID, expires_at: datetime | None) -> None:
    # The membership row is locked too, so that a removal of the member waits for this commit and its
    # trigger then sees the expiry it has to take with it, rather than leaving it behind for a later
    # membership of the same user. A removal under way already (it locks the row first, then the
    # organization's row, which this holds) is not waited for, which could deadlock: the member is leaving.
    memberships = get_user_model().groups.through.objects.select_for_update(no_key=True, skip_locked=True)
    if not list(memberships.filter(user_id=user_id, group_id=group.auth_group_id).values_list("pk", flat=True)[:1]):
        raise ValidationError(f"{user_id} is not a member of the group {group.name}: add it before setting when its membership expires.")
    if expires_at is None:
        GroupMembershipExpiry.objects.filter(user_id=user_id, group=group).delete()
    else:
        GroupMembershipExpiry.objects.update_or_create(user_id=user_id, group=group, defaults={"expires_at": expires_at})


def _set_member_group_expiry(group: PermissionGroup, member_group_id: UUID, expires_at: datetime | None) -> None:
    nesting = GroupNesting.objects.select_for_update(no_key=True).filter(group=group, member_group_id=member_group_id).first()
    if nesting is None:
        raise ValidationError(
            f"{member_group_id} is not a member group of the group {group.name}: add it before setting when its membership expires."
        )
    if nesting.expires_at != expires_at:
        nesting.expires_at = expires_at
        nesting.save(update_fields=["expires_at"])


@transaction.atomic
def group_member_expiry_set(
    *,
    actor,
    group: PermissionGroup,
    expires_at: datetime | None,
    member_user_id: UUID | None = None,
    member_group_id: UUID | None = None,
) -> PermissionGroup:
    """Set when an existing membership of `group` stops counting, or with ``expires_at=None`` make it
    permanent again: of a member user or service account (`member_user_id`), or of a member group
    (`member_group_id`).

    How long someone stays in a group is part of who is in it, so this is "update" on the group, checked
    and audited as :func:`group_update` is. Memberships of Owners never expire: an organization keeps a
    direct member of Owners, and a clock must not take the last one away.
    """
    require(actor, "update", group)
    if (member_user_id is None) == (member_group_id is None):
        raise ValidationError("Name exactly one member: member_user_id or member_group_id.")
    expires_at = _clean_membership_expiry(expires_at)
    lock_organization(group.org_id)
    group = PermissionGroup.objects.select_for_update(no_key=True).get(pk=group.pk)
    if group.builtin == Builtin.OWNERS and expires_at is not None:
        raise ValidationError(f"Memberships of {group.name} cannot expire: an organization must always keep a direct member of Owners.")
    before = group_state(group)
    if member_user_id is not None:
        _set_member_user_expiry(group, _member_id(member_user_id, "member_user_id"), expires_at)
    else:
        _set_member_group_expiry(group, _member_id(member_group_id, "member_group_id"), expires_at)
    after = group_state(group)
    if after != before:
        record_event(actor=actor, org=group.org, action="group.update", target=group, before=before, after=after)
    invalidate_access_cache()
    return group


def user_groups_set(*, actor, user_id: UUID, groups: Iterable[PermissionGroup], wanted: set[UUID], current: set[UUID]) -> None:
    """Puts the user (a member or a service account) into each of `groups` that is `wanted` and takes it out
    of each it is `current`ly in that is not, all or none: one `group_update` per group that changes, so each
    is checked and audited as if it were changed alone."""
    with transaction.atomic():
        for group in groups:
            if group.pk in wanted - current:
                group_update(actor=actor, group=group, add_member_users=[user_id])
            elif group.pk in current - wanted:
                group_update(actor=actor, group=group, remove_member_users=[user_id])


@transaction.atomic
def group_delete(*, actor, group: PermissionGroup) -> None:
    require(actor, "delete", group)
    if group.is_builtin:
        raise ValidationError(f"The built-in group {group.name} cannot be deleted.")
    record_deletion(actor, group, lambda deleted: {**group_state(deleted), **deleted_group_state(deleted)})
    group.auth_group.delete()  # cascades to the group, its nesting rows and every grant to or on it
    invalidate_access_cache()
