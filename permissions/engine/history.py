"""Who could do something at an earlier instant, read from the audit log, and what changed since.

Every change to who may do what writes one audit event saying what it changed (docs/access-model.md,
"Audit"); a change that takes rows away with it (a member leaving, a group or a role deleted) records those
rows in its event too (:mod:`permissions.audit_states`). So the organization's access at an instant T is
its access now with every such event after T undone, newest first: a grant created since is dropped, one
deleted since comes back as its event recorded it, a group's members and nested groups go back to what
they were before each change, a member who joined since was not one, a member who left since was, with the
groups and grants it had.

Only what decides the question is rebuilt: the organization's groups, roles and members, and the grants on
the asked node's chain. The answer then comes from the same walk as :func:`permissions.engine.explain.who_can`,
over that state, with every expiry compared with T rather than with now.

The log is the limit of what can be known: events written before the departures and deletions recorded
what they took with them say less, and a node created after T did not exist then (``existed`` is false).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from permissions.engine.explain import Holder, _OrgGraph, holders_in
from permissions.engine.nodes import Node
from permissions.exceptions import NotFound
from permissions.grants import GrantRecord, grant_records, resolve_chain
from permissions.models import AuditEvent, GroupMembershipExpiry, GroupNesting, PermissionGroup, Role, RoleNesting, RolePermission

# The events that change who may do what.
ACCESS_ACTIONS = (
    "acl.create",
    "acl.delete",
    "acl.update",
    "group.create",
    "group.update",
    "group.delete",
    "role.create",
    "role.update",
    "role.delete",
    "member.join",
    "member.remove",
    "service_account.create",
    "service_account.delete",
)
# The virtual nodes of the chain exist as long as what they hang on.
_CREATED_AS = {"org_member": "organization", "org_audit_logs": "organization", "org_project": "organization", "project_log": "project"}

Expiries = dict[UUID, datetime | None]


@dataclass(frozen=True)
class PastAccess:
    """Who held a permission on a node at an instant, and how that differs from now."""

    at: datetime
    existed: bool
    holders: list[Holder]
    gained: list[Holder]  # hold it now and did not then
    lost: list[Holder]  # held it then and do not now
    changes: list[AuditEvent]  # the events since that changed access there, newest first
    changes_count: int


@dataclass
class _State:
    """What decides access in one organization, as of some instant (expired rows kept, with their expiry)."""

    grants: dict[str, dict]  # grant id -> its state (on the asked node's chain only)
    group_names: dict[UUID, str]
    group_users: dict[UUID, Expiries]
    group_groups: dict[UUID, Expiries]
    role_names: dict[UUID, str]
    role_pairs: dict[UUID, set[tuple[str, str]]]
    role_members: dict[UUID, set[UUID]]
    members: dict[UUID, tuple]  # (id, email, given name, kind), as the explain graph has them
    chain: frozenset[Node] = field(default_factory=frozenset)

    def graph_at(self, instant: datetime) -> _OrgGraph:
        return _OrgGraph(
            group_names=dict(self.group_names),
            nestings=[(g, m) for g, members in self.group_groups.items() for m, until in members.items() if _live(until, instant)],
            memberships=[(u, g) for g, users in self.group_users.items() for u, until in users.items() if _live(until, instant)],
            role_names=dict(self.role_names),
            role_nestings=[(r, m) for r, members in self.role_members.items() for m in members],
            role_pairs=[(r, p, restrict) for r, pairs in self.role_pairs.items() for p, restrict in pairs],
            members=dict(self.members),
        )

    def records_at(self, instant: datetime, org_id: UUID) -> list[GrantRecord]:
        records = [_record(grant_id, state, org_id, instant) for grant_id, state in self.grants.items()]
        live = [record for record in records if _live(record.expires_at, instant)]
        return sorted(live, key=lambda r: (r.created, str(r.id)), reverse=True)


def who_could(permission: str, node: Node, at: datetime) -> PastAccess:
    """Who held `permission` on `node` at the instant `at` (not in the future), with the reasons of then, and
    who gained or lost it since, with the events that changed access since."""
    chain = resolve_chain(node)
    if chain is None:
        raise NotFound(node.type, node.id)
    org_id = chain[-1].id
    now = timezone.now()
    at = min(at, now)
    state = _load(org_id, chain)
    holders_now = holders_in(state.graph_at(now), state.records_at(now, org_id), permission, node)
    events = list(AuditEvent.objects.filter(org_id=org_id, created__gt=at, action__in=ACCESS_ACTIONS).order_by("-created"))
    changes = [event for event in events if _undo(state, event)]
    existed = not _created_since(org_id, chain, at)
    holders_then = holders_in(state.graph_at(at), state.records_at(at, org_id), permission, node) if existed else []
    then_ids, now_ids = {h.id for h in holders_then}, {h.id for h in holders_now}
    return PastAccess(
        at=at,
        existed=existed,
        holders=holders_then,
        gained=[h for h in holders_now if h.id not in then_ids],
        lost=[h for h in holders_then if h.id not in now_ids],
        changes=changes,
        changes_count=len(changes),
    )


def _live(until: datetime | None, instant: datetime) -> bool:
    return until is None or until > instant


def _when(value) -> datetime | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, datetime) else parse_datetime(str(value))


def _uuid(value) -> UUID | None:
    return None if value in (None, "") else UUID(str(value))


def _uuids(values) -> list[UUID]:
    """The ids among `values` (events written before this one's shape may name other things)."""
    found = []
    for value in values or ():
        try:
            found.append(UUID(str(value)))
        except ValueError:
            continue
    return found


def _record(grant_id: str, state: dict, org_id: UUID, instant: datetime) -> GrantRecord:
    return GrantRecord(
        id=UUID(grant_id),
        object_type=state["object_type"],
        object_id=UUID(state["object_id"]),
        user_id=_uuid(state.get("user_id")),
        group_id=_uuid(state.get("group_id")),
        permission=state.get("permission") or None,
        role_id=_uuid(state.get("role_id")),
        restrict_object_type=state.get("restrict_object_type") or None,
        org_id=org_id,
        created=_when(state.get("created")) or instant,  # a grant the log does not date held at least since then
        expires_at=_when(state.get("expires_at")),
    )


def _load(org_id: UUID, chain: list[Node]) -> _State:
    """The organization's access now, expired rows included."""
    groups = list(PermissionGroup.objects.filter(org_id=org_id).values_list("id", "name", "auth_group_id"))
    group_of_auth = {auth_id: group_id for group_id, _, auth_id in groups}
    expiries = {
        (u, g): until
        for u, g, until in GroupMembershipExpiry.objects.filter(group__org_id=org_id).values_list("user_id", "group_id", "expires_at")
    }
    group_users: dict[UUID, Expiries] = {group_id: {} for group_id, _, _ in groups}
    through = get_user_model().groups.through
    for user_id, auth_id in through.objects.filter(group_id__in=list(group_of_auth)).values_list("user_id", "group_id"):
        group_id = group_of_auth[auth_id]
        group_users[group_id][user_id] = expiries.get((user_id, group_id))
    group_groups: dict[UUID, Expiries] = {group_id: {} for group_id, _, _ in groups}
    for group_id, member_id, until in GroupNesting.objects.filter(group__org_id=org_id).values_list(
        "group_id", "member_group_id", "expires_at"
    ):
        group_groups[group_id][member_id] = until
    roles = Role.objects.filter(org_id=org_id) | Role.objects.filter(org_id__isnull=True)
    role_names = dict(roles.values_list("id", "name"))
    role_pairs: dict[UUID, set[tuple[str, str]]] = {role_id: set() for role_id in role_names}
    for role_id, permission, restrict in RolePermission.objects.filter(role_id__in=list(role_names)).values_list(
        "role_id", "permission", "restrict_object_type"
    ):
        role_pairs[role_id].add((permission, restrict or ""))
    role_members: dict[UUID, set[UUID]] = {role_id: set() for role_id in role_names}
    for role_id, member_id in RoleNesting.objects.filter(role_id__in=list(role_names)).values_list("role_id", "member_role_id"):
        role_members[role_id].add(member_id)
    membership_model = get_user_model()._meta.get_field("memberships").related_model
    members = membership_model.objects.filter(org_id=org_id).values_list("user_id", "user__email", "user__given_name", "user__kind")
    grants = {}
    for record in grant_records(nodes=chain, org_id=org_id, include_expired=True):
        grants[str(record.id)] = {
            "object_type": record.object_type,
            "object_id": str(record.object_id),
            "user_id": record.user_id,
            "group_id": record.group_id,
            "permission": record.permission,
            "role_id": record.role_id,
            "restrict_object_type": record.restrict_object_type,
            "expires_at": record.expires_at,
            "created": record.created,
        }
    return _State(
        grants=grants,
        group_names={group_id: name for group_id, name, _ in groups},
        group_users=group_users,
        group_groups=group_groups,
        role_names=role_names,
        role_pairs=role_pairs,
        role_members=role_members,
        members={row[0]: row for row in members},
        chain=frozenset(chain),
    )


def _on_chain(state: _State, grant: dict) -> bool:
    try:
        return Node(grant["object_type"], grant["object_id"]) in state.chain
    except (KeyError, ValueError, TypeError):
        return False


def _restore_grants(state: _State, grants: list) -> bool:
    restored = False
    for grant in grants or ():
        if isinstance(grant, dict) and grant.get("id") and _on_chain(state, grant):
            state.grants[str(grant["id"])] = grant
            restored = True
    return restored


def _expiries(entries, key: str) -> dict[UUID, datetime | None]:
    return {UUID(entry[key]): _when(entry.get("expires_at")) for entry in entries or () if isinstance(entry, dict) and entry.get(key)}


def _set_group(state: _State, group_id: UUID, before: dict) -> None:
    """The group as an event's ``before`` recorded it (its name, members and nested groups, with expiries)."""
    state.group_names[group_id] = before.get("name", state.group_names.get(group_id, ""))
    user_expiries = _expiries(before.get("member_user_expiries"), "user")
    group_expiries = _expiries(before.get("member_group_expiries"), "group")
    if "member_users" in before:
        state.group_users[group_id] = {u: user_expiries.get(u) for u in _uuids(before["member_users"])}
    if "member_groups" in before:
        state.group_groups[group_id] = {g: group_expiries.get(g) for g in _uuids(before["member_groups"])}


def _drop_group(state: _State, group_id: UUID) -> None:
    state.group_names.pop(group_id, None)
    state.group_users.pop(group_id, None)
    state.group_groups.pop(group_id, None)
    for members in state.group_groups.values():
        members.pop(group_id, None)


def _set_role(state: _State, role_id: UUID, before: dict) -> None:
    state.role_names[role_id] = before.get("name", state.role_names.get(role_id, ""))
    state.role_pairs[role_id] = {(p, r or "") for p, r in before.get("member_permissions", ())}
    state.role_members[role_id] = set(_uuids(before.get("member_roles")))


def _drop_role(state: _State, role_id: UUID) -> None:
    state.role_names.pop(role_id, None)
    state.role_pairs.pop(role_id, None)
    state.role_members.pop(role_id, None)
    for members in state.role_members.values():
        members.discard(role_id)


def _put_group_back(state: _State, group_id: UUID, before: dict) -> None:
    """A deleted group back in the groups that contained it, until when its event recorded."""
    for container, until in _expiries(before.get("member_of"), "group").items():
        state.group_groups.setdefault(container, {})[group_id] = until


def _put_role_back(state: _State, role_id: UUID, before: dict) -> None:
    """A deleted role back in the roles that contained it."""
    for container in _uuids(before.get("member_of_roles")):
        state.role_members.setdefault(container, set()).add(role_id)


@dataclass(frozen=True)
class _Undoing:
    """How the events of a group or of a role are undone: its creation by dropping it, its update by setting
    it back as the event's ``before`` recorded it, its deletion likewise and by putting it back in what
    contained it, with its grants."""

    drop: Callable[[_State, UUID], None]
    set_back: Callable[[_State, UUID, dict], None]
    put_back: Callable[[_State, UUID, dict], None]

    def undo(self, state: _State, verb: str, target: UUID, before: dict) -> None:
        if verb == "create":
            self.drop(state, target)
        elif verb in ("update", "delete"):
            self.set_back(state, target, before)
        if verb == "delete":
            self.put_back(state, target, before)
            _restore_grants(state, before.get("grants"))


_UNDOING = {"group": _Undoing(_drop_group, _set_group, _put_group_back), "role": _Undoing(_drop_role, _set_role, _put_role_back)}


def _drop_member(state: _State, user_id: UUID) -> None:
    state.members.pop(user_id, None)
    for users in state.group_users.values():
        users.pop(user_id, None)


def _restore_member(state: _State, event: AuditEvent, user_id: UUID, before: dict) -> None:
    kind = before.get("kind") or ("service_account" if event.action.startswith("service_account") else "user")
    name = event.target_name
    state.members[user_id] = (user_id, "" if kind == "service_account" else name, name if kind == "service_account" else "", kind)
    expiries = _expiries(before.get("group_expiries"), "group")
    for group_id in _uuids(before.get("groups")):
        state.group_users.setdefault(group_id, {})[user_id] = expiries.get(group_id)
    _restore_grants(state, before.get("grants"))


def _undo(state: _State, event: AuditEvent) -> bool:
    """Undo one event on `state`; whether it changed anything that can decide access on the chain."""
    action, before, after = event.action, event.before or {}, event.after or {}
    try:
        target = UUID(event.target_id) if action.split(".")[0] != "acl" else None
    except ValueError:
        return False
    if action == "acl.create":
        return state.grants.pop(event.target_id, None) is not None or _on_chain(state, after)
    if action == "acl.delete":
        return _restore_grants(state, [{**before, "id": event.target_id}])
    if action == "acl.update":
        grant = state.grants.get(event.target_id)
        if grant is None:
            return False
        state.grants[event.target_id] = {**grant, "expires_at": before.get("expires_at")}
        return True
    kind, _, verb = action.partition(".")
    if kind in _UNDOING:
        _UNDOING[kind].undo(state, verb, target, before)
    elif action in ("member.join", "service_account.create"):
        _drop_member(state, target)
    elif action in ("member.remove", "service_account.delete"):
        _restore_member(state, event, target, before)
    return True


def _created_since(org_id: UUID, chain: list[Node], at: datetime) -> bool:
    """Whether a node of the chain was created after `at` (then it did not exist)."""
    created = {(_CREATED_AS.get(node.type, node.type), str(node.id)) for node in chain}
    later = AuditEvent.objects.filter(
        org_id=org_id,
        action__in={f"{object_type}.create" for object_type, _ in created},
        target_id__in={target for _, target in created},
        created__gt=at,
    )
    return any((event.action.split(".")[0], event.target_id) in created for event in later.only("action", "target_id"))
