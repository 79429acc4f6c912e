"""What the engine needs to know about a principal, loaded in one query and kept across requests.

* the organizations it is a member of (grants count only there);
* every permission group that contains it, directly or through member groups, with the group's
  organization (nesting counts only inside one organization);
* the expanded pairs of every role it could be granted (its organizations' roles and the system roles),
  member roles unfolded (a member role counts if it is a system role or of the same organization).

Nested groups and nested roles are unfolded by recursive common table expressions inside that one
statement, so the cost does not grow with the nesting depth.

A context is kept for the request (the request's memo) and across requests in the shared cache (Redis
when configured, else each process's memory), stored with the ``access_version`` of each organization
the principal belongs to, read by the same statement. Triggers give an organization a new version in
the same transaction as any change a context depends on (accounts migration 0004), so a later request
first reads the principal's memberships with their versions (one small query, which replaces the
context's) and takes the cached context only if they are exactly those it was stored with: a revoked
membership, group membership or role pair takes effect on the very next request, in every process.

The same query reads each organization's ``grants_version`` (moved by every grant below the
organization, migration 0005); with the ``access_version`` it is the request's stamp
(:func:`request_stamp`), which what lists keep across requests is checked against.

Memberships, nestings and grants that carry ``expires_at`` count until that instant only. The context
leaves out those already expired, and records the earliest expiry among those it took
(:attr:`PrincipalContext.valid_until`): no version moves when a row expires, so a kept context is taken
only before that instant, and read anew after it.
"""

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.utils import timezone

from permissions.engine.cache import cache_get, cache_set, shared_cache_get, shared_cache_set
from permissions.engine.nodes import grant_tables
from permissions.engine.statements import as_datetime, engine_cursor, live, now_param, null_datetime
from permissions.models import AclGrant, GroupMembershipExpiry, GroupNesting, PermissionGroup, Role, RoleNesting, RolePermission
from permissions.types import ORGANIZATION_NODE_TYPES, parse_codename

Pair = tuple[str, str]  # (permission, restrict_object_type or "")


@dataclass(frozen=True)
class PrincipalContext:
    principal_id: UUID
    member_org_ids: frozenset[UUID]
    group_org: dict[UUID, UUID]  # permission group id -> its organization
    auth_group_org: dict[int, UUID]  # the group's auth.Group id -> its organization
    role_pairs: dict[UUID, frozenset[Pair]]  # role id -> every pair it yields, member roles included
    role_org: dict[UUID, UUID | None] = field(default_factory=dict)  # role id -> its organization (None: system)
    # (organization, level type, pair) for every grant on a node of the organization itself (the
    # organization, all its projects, its members, its audit log) to the principal or its groups there.
    organization_wide: frozenset[tuple[UUID, str, Pair]] = frozenset()
    # The earliest expiry among the memberships, nestings and grants above (None: none expires); from
    # then on the context may be wrong and is read anew.
    valid_until: datetime | None = None

    def is_current(self) -> bool:
        """Whether nothing the context was read from has expired since."""
        return still_valid(self.valid_until)

    def holds_organization_wide(self, org_id: UUID, level_type: str, permission: str, node_type: str) -> bool:
        """Whether a grant on the organization's `level_type` node yields `permission` for a `node_type`."""
        return any(o == org_id and t == level_type and p == permission and r in ("", node_type) for o, t, (p, r) in self.organization_wide)

    def roles_yielding(self, permission: str, node_type: str) -> list[UUID]:
        return [role for role, pairs in self.role_pairs.items() if any(p == permission and r in ("", node_type) for p, r in pairs)]


def still_valid(valid_until: datetime | None) -> bool:
    """Whether something read with this validity bound (None: unbounded) may still be used."""
    return valid_until is None or timezone.now() < valid_until


def _as_uuid(value) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _sql() -> str:
    user_model = get_user_model()
    membership_model = user_model._meta.get_field("memberships").related_model
    membership = membership_model._meta.db_table
    organizations = membership_model._meta.get_field("org").related_model._meta.db_table
    user_groups = user_model.groups.through._meta.db_table
    groups, nesting, expiries = PermissionGroup._meta.db_table, GroupNesting._meta.db_table, GroupMembershipExpiry._meta.db_table
    roles, role_nesting, role_pairs = Role._meta.db_table, RoleNesting._meta.db_table, RolePermission._meta.db_table
    acl, permission_table = AclGrant._meta.db_table, Permission._meta.db_table
    wide_types = ", ".join(f"'{t}'" for t in ORGANIZATION_NODE_TYPES)
    tables = grant_tables("organization")
    org_users, org_groups = tables.user._meta, tables.group._meta
    org_user, org_group = org_users.get_field("user").column, org_groups.get_field("group").column
    org_content, org_group_content = org_users.get_field("content_object").column, org_groups.get_field("content_object").column
    org_user_permission, org_group_permission = org_users.get_field("permission").column, org_groups.get_field("permission").column
    org_users, org_groups = org_users.db_table, org_groups.db_table
    no_expiry = null_datetime()
    # The earlier of a path's expiry so far and the next row's (NULL: never), in SQL both databases speak.
    earlier = (
        "CASE WHEN c.until IS NULL THEN n.expires_at WHEN n.expires_at IS NULL OR c.until < n.expires_at THEN c.until ELSE n.expires_at END"
    )
    # Only table names from model metadata are formatted in; the principal's id and the instant are parameters.
    return f"""
        WITH RECURSIVE
          orgs(id) AS (SELECT m.org_id FROM {membership} m WHERE m.user_id = %s),
          closure(id, org_id, until) AS (
            SELECT pg.id, pg.org_id, e.expires_at FROM {groups} pg JOIN {user_groups} ug ON ug.group_id = pg.auth_group_id
              LEFT JOIN {expiries} e ON e.user_id = ug.user_id AND e.group_id = pg.id
             WHERE ug.user_id = %s AND pg.org_id IN (SELECT id FROM orgs) AND {live("e")}
            UNION
            SELECT n.group_id, c.org_id, {earlier} FROM {nesting} n
              JOIN closure c ON n.member_group_id = c.id
              JOIN {groups} outer_group ON outer_group.id = n.group_id AND outer_group.org_id = c.org_id
             WHERE {live("n")}
          ),
          role_closure(root_id, root_org_id, id) AS (
            SELECT r.id, r.org_id, r.id FROM {roles} r WHERE r.org_id IS NULL OR r.org_id IN (SELECT id FROM orgs)
            UNION
            SELECT rc.root_id, rc.root_org_id, n.member_role_id FROM {role_nesting} n
              JOIN role_closure rc ON n.role_id = rc.id
              JOIN {roles} member ON member.id = n.member_role_id
             WHERE member.org_id IS NULL OR member.org_id = rc.root_org_id
          )
        SELECT 'org', o.id, org.access_version, CAST(NULL AS integer), CAST(org.grants_version AS text), NULL, {no_expiry}
          FROM orgs o JOIN {organizations} org ON org.id = o.id
        UNION ALL
        SELECT 'group', pg.id, pg.org_id, pg.auth_group_id, NULL, NULL, {no_expiry} FROM {groups} pg WHERE pg.id IN (SELECT id FROM closure)
        UNION ALL
        SELECT 'until', NULL, NULL, CAST(NULL AS integer), NULL, NULL, c.until FROM closure c WHERE c.until IS NOT NULL
        UNION ALL
        SELECT 'pair', rc.root_id, rc.root_org_id, CAST(NULL AS integer), rp.permission, rp.restrict_object_type, {no_expiry}
          FROM role_closure rc JOIN {role_pairs} rp ON rp.role_id = rc.id
        UNION ALL
        SELECT 'wide:' || a.object_type, a.role_id, a.org_id, CAST(NULL AS integer), a.permission, a.restrict_object_type, a.expires_at
          FROM {acl} a
         WHERE a.object_type IN ({wide_types}) AND a.object_id = a.org_id AND a.org_id IN (SELECT id FROM orgs)
           AND (a.user_id = %s OR a.group_id IN (SELECT c.id FROM closure c WHERE c.org_id = a.org_id)) AND {live("a")}
        UNION ALL
        SELECT 'wide-guardian:organization', NULL, t.{org_content}, CAST(NULL AS integer), p.codename, '', t.expires_at
          FROM {org_users} t JOIN {permission_table} p ON p.id = t.{org_user_permission}
         WHERE t.{org_user} = %s AND t.{org_content} IN (SELECT id FROM orgs) AND {live("t")}
        UNION ALL
        SELECT 'wide-guardian:organization', NULL, t.{org_group_content}, CAST(NULL AS integer), p.codename, '', t.expires_at
          FROM {org_groups} t JOIN {permission_table} p ON p.id = t.{org_group_permission}
         WHERE t.{org_group} IN (SELECT pg.auth_group_id FROM {groups} pg JOIN closure c ON c.id = pg.id AND c.org_id = pg.org_id
                                  WHERE pg.org_id = t.{org_group_content}) AND {live("t")}
    """  # noqa: S608


def _versions_sql() -> str:
    membership_model = get_user_model()._meta.get_field("memberships").related_model
    organizations = membership_model._meta.get_field("org").related_model._meta.db_table
    return (
        f"SELECT m.org_id, org.access_version, org.grants_version FROM {membership_model._meta.db_table} m"  # noqa: S608
        f" JOIN {organizations} org ON org.id = m.org_id WHERE m.user_id = %s"
    )


Versions = frozenset[tuple[UUID, UUID]]  # (organization, its access_version) for each membership
# (organization, its access_version, its grants_version) for each membership, as this request read them.
Stamp = frozenset[tuple[UUID, UUID, UUID]]


def load_context(principal) -> PrincipalContext:
    """The principal's context: from the request's memo, else from the shared cache if no organization
    it belongs to has changed since (one query), else from the database (one query)."""
    key = ("context", principal.pk)
    context = cache_get(key)
    if context is None:
        context, stamp = _shared_context(principal)
        cache_set(key, context)
        cache_set(("stamp", principal.pk), stamp)
    return context


def request_stamp(principal_id) -> Stamp | None:
    """The versions of the principal's organizations as this request read them with its context, once
    :func:`load_context` has run in the request (None outside a request's memo): what anything else kept
    across requests about the principal's grants is stamped with, and checked against."""
    return cache_get(("stamp", principal_id))


def _shared_key(principal) -> str:
    return f"access-context:{principal.pk}"


def _shared_context(principal) -> tuple[PrincipalContext, Stamp]:
    param = get_user_model()._meta.pk.get_db_prep_value(principal.pk, connection)
    stored = _from_shared_cache(principal)
    if stored is not None and stored[1].is_current():
        versions, context = stored
        with engine_cursor() as cursor:
            cursor.execute(_versions_sql(), [param])
            stamp = frozenset((_as_uuid(org), _as_uuid(access), _as_uuid(grants)) for org, access, grants in cursor.fetchall())
        if frozenset((org, access) for org, access, _ in stamp) == versions:
            return context, stamp
    stamp, context = _load(principal, param)
    _to_shared_cache(principal, frozenset((org, access) for org, access, _ in stamp), context)
    return context, stamp


def _from_shared_cache(principal):
    """The stored (versions, context), or None."""
    return shared_cache_get(_shared_key(principal))


def _to_shared_cache(principal, versions: Versions, context: PrincipalContext) -> None:
    shared_cache_set(_shared_key(principal), (versions, context))


def _load(principal, param) -> tuple[Stamp, PrincipalContext]:
    versions: set[tuple[UUID, UUID, UUID]] = set()
    group_org: dict[UUID, UUID] = {}
    auth_group_org: dict[int, UUID] = {}
    pairs: dict[UUID, set[Pair]] = {}
    role_org: dict[UUID, UUID | None] = {}
    wide: list[tuple[UUID, str, str | None, str, UUID | None]] = []
    expiries: list[datetime] = []
    now = now_param()
    with engine_cursor() as cursor:
        cursor.execute(_sql(), [param, param, now, now, param, now, param, now, now])
        for kind, ident, org, auth_group, permission, restrict, until in cursor.fetchall():
            if until is not None:
                expiries.append(as_datetime(until))
            if kind == "until":
                continue
            if kind == "org":
                versions.add((_as_uuid(ident), _as_uuid(org), _as_uuid(permission)))
            elif kind == "group":
                group_org[_as_uuid(ident)] = _as_uuid(org)
                auth_group_org[int(auth_group)] = _as_uuid(org)
            elif kind.startswith("wide"):
                level_type = kind.partition(":")[2]
                if kind.startswith("wide-guardian"):
                    permission = parse_codename(permission)[0]  # guardian's rows name a codename
                wide.append((_as_uuid(org), level_type, permission, restrict or "", None if ident is None else _as_uuid(ident)))
            else:
                pairs.setdefault(_as_uuid(ident), set()).add((permission, restrict or ""))
                role_org[_as_uuid(ident)] = None if org is None else _as_uuid(org)
    context = PrincipalContext(
        principal_id=principal.pk,
        member_org_ids=frozenset(org for org, _, _ in versions),
        group_org=group_org,
        auth_group_org=auth_group_org,
        role_pairs={role: frozenset(p) for role, p in pairs.items()},
        role_org=role_org,
        organization_wide=frozenset(
            (org, level_type, pair)
            for org, level_type, permission, restrict, role in wide
            if role is None or role_org.get(role, org) in (None, org)
            for pair in ([(permission, restrict)] if role is None else pairs.get(role, ()))
        ),
        valid_until=min(expiries, default=None),
    )
    return frozenset(versions), context
