"""Reads about groups, principals and the audit log that pages, the API and services share."""

from collections import defaultdict
from collections.abc import Iterable
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from permissions.audit_words import AuditNames, ids_of_event
from permissions.engine import Access, Node, Reach, access_on, can, explain_reach, is_visible, reachable_rows, restrict
from permissions.engine.context import load_context
from permissions.engine.nodes import model_for_type
from permissions.exceptions import AccessDenied
from permissions.models import AuditEvent, GroupMembershipExpiry, GroupNesting, PermissionGroup, Role, RoleNesting, RolePermission

# The objects of a project an audit event may name by id, besides the project itself.
_PROJECT_CONTENT_TYPES = ("experiment", "dataset", "prompt", "prompt_session")

# Owners, Engineers and Viewers, in that order, before every other group.
BUILTIN_FIRST = Case(
    *(When(builtin=kind, then=Value(position)) for position, kind in enumerate(PermissionGroup.Builtin.values)),
    default=Value(len(PermissionGroup.Builtin.values)),
    output_field=IntegerField(),
)


def groups_in_display_order(groups: QuerySet[PermissionGroup]) -> QuerySet[PermissionGroup]:
    """`groups` as every page lists them: the built-in groups first (Owners, Engineers, Viewers), then by name."""
    return groups.order_by(BUILTIN_FIRST, Lower("name"))


def groups_of(org) -> QuerySet[PermissionGroup]:
    """All the organization's groups, in display order: what a member's group list names, whoever reads
    the members sees (the page that shows it declares that read)."""
    return groups_in_display_order(PermissionGroup.objects.filter(org=org))


def owners_group(org_id: UUID) -> PermissionGroup:
    """The organization's Owners group (every organization has one)."""
    return PermissionGroup.objects.get(org_id=org_id, builtin=PermissionGroup.Builtin.OWNERS)


def group_in(org, group_id: UUID) -> PermissionGroup | None:
    """The group of `org` with this id, with its auth group, or None (another organization's included)."""
    return PermissionGroup.objects.filter(org=org, pk=group_id).select_related("auth_group").first()


def with_member_counts(groups: QuerySet[PermissionGroup]) -> QuerySet[PermissionGroup]:
    """`groups`, each with ``member_user_count`` and ``member_group_count``: its direct members, counted in
    the same statement."""
    user_counts = (
        get_user_model()
        .groups.through.objects.filter(group_id=OuterRef("auth_group_id"))
        .order_by()
        .values("group_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    group_counts = GroupNesting.objects.filter(group_id=OuterRef("pk")).order_by().values("group_id").annotate(n=Count("pk")).values("n")
    return groups.annotate(member_user_count=Coalesce(Subquery(user_counts), 0), member_group_count=Coalesce(Subquery(group_counts), 0))


def direct_groups_by_member(groups: list[PermissionGroup]) -> dict[UUID, list[PermissionGroup]]:
    """The groups of `groups` each user is directly in, by name (one query)."""
    by_auth_group = {group.auth_group_id: group for group in groups}
    through = get_user_model().groups.through
    members: dict[UUID, list[PermissionGroup]] = defaultdict(list)
    for user_id, auth_group_id in through.objects.filter(group_id__in=list(by_auth_group)).values_list("user_id", "group_id"):
        members[user_id].append(by_auth_group[auth_group_id])
    for user_groups in members.values():
        user_groups.sort(key=lambda group: group.name.lower())
    return members


def direct_groups_of(user, org) -> QuerySet[PermissionGroup]:
    """The organization's groups `user` is directly in, by name, as a principal's groups are listed."""
    return PermissionGroup.objects.filter(org=org, auth_group__user=user).order_by(Lower("name"))


def groups_named_visible_to(actor, org, names: Iterable[str]) -> dict[str, PermissionGroup]:
    """The organization's groups with these names that exist for `actor` (it holds some permission on
    them other than create), by name: a name of a group it cannot see is as unknown as a name of none."""
    found = PermissionGroup.objects.filter(org=org, name__in=list(names))
    return {group.name: group for group in found if is_visible(actor, group)}


def with_live_members(groups: list[PermissionGroup]) -> list[PermissionGroup]:
    """`groups`, each with ``member_user_ids`` and ``member_group_ids``, sorted: two queries for the whole list.

    Memberships whose expiry has passed count for nothing, so they are left out until the cleanup job
    removes them."""
    users, nested = defaultdict(list), defaultdict(list)
    if groups:
        now = timezone.now()
        expired = GroupMembershipExpiry.objects.filter(
            user_id=OuterRef("user_id"), group__auth_group_id=OuterRef("group_id"), expires_at__lte=now
        )
        memberships = get_user_model().groups.through.objects.filter(group_id__in=[g.auth_group_id for g in groups])
        for auth_group_id, user_id in memberships.exclude(Exists(expired)).values_list("group_id", "user_id"):
            users[auth_group_id].append(user_id)
        nestings = GroupNesting.objects.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now), group_id__in=[g.pk for g in groups])
        for group_id, member_group_id in nestings.values_list("group_id", "member_group_id"):
            nested[group_id].append(member_group_id)
    for group in groups:
        group.member_user_ids = sorted(users[group.auth_group_id], key=str)
        group.member_group_ids = sorted(nested[group.pk], key=str)
    return groups


def with_contents(roles: list[Role]) -> list[Role]:
    """`roles`, each with ``pair_set`` (its (permission, restrict_object_type) pairs; "" for no restriction)
    and ``member_role_ids``, sorted: two queries for the whole list."""
    pairs, nested = defaultdict(set), defaultdict(list)
    if roles:
        ids = [role.pk for role in roles]
        rows = RolePermission.objects.filter(role_id__in=ids).values_list("role_id", "permission", "restrict_object_type")
        for role_id, permission, restriction in rows:
            pairs[role_id].add((permission, restriction))
        for role_id, member_role_id in RoleNesting.objects.filter(role_id__in=ids).values_list("role_id", "member_role_id"):
            nested[role_id].append(member_role_id)
    for role in roles:
        role.pair_set = pairs[role.pk]
        role.member_role_ids = sorted(nested[role.pk], key=str)
    return roles


def member_user_ids(group: PermissionGroup) -> list[UUID]:
    """The ids of the users directly in `group`."""
    return list(get_user_model().objects.filter(groups=group.auth_group_id).values_list("id", flat=True))


def nested_group_ids(group: PermissionGroup) -> set[UUID]:
    """The ids of the groups directly in `group`."""
    return set(GroupNesting.objects.filter(group=group).values_list("member_group_id", flat=True))


def groups_containing(principal, org) -> QuerySet[PermissionGroup]:
    """The organization's groups that contain `principal`, directly or through member groups."""
    return PermissionGroup.objects.filter(org=org, id__in=list(load_context(principal).group_org))


def groups_visible_to(actor, org, permission: str = "read") -> QuerySet[PermissionGroup]:
    """The organization's groups on which `actor` holds `permission`, restricted in the database."""
    return restrict(PermissionGroup.objects.filter(org=org), actor, permission)


def roles_visible_to(actor, org, permission: str = "read") -> QuerySet[Role]:
    """The organization's own roles on which `actor` holds `permission`, restricted in the database."""
    return restrict(Role.objects.filter(org=org), actor, permission)


def audit_events(org) -> QuerySet[AuditEvent]:
    """The organization's audit log, newest first. Whoever reads it holds read on its org_audit_logs node,
    which the page or the export declares: the log is one node, all of it readable or none."""
    return AuditEvent.objects.filter(org=org).order_by("-created", "-id")


def audit_names(org, events: Iterable[AuditEvent]) -> AuditNames:
    """The names of the people, groups, roles, projects and objects of projects that `events` mention by id,
    in two queries whatever their number (none when they mention no id): one for the people and service
    accounts, one for everything of the organization that has a name."""
    ids: set[str] = set()
    for event in events:
        ids |= ids_of_event(event)
    exact = {str(org.pk): org.name}
    ids -= set(exact)
    if not ids:
        return AuditNames(exact=exact)
    people = {}
    for pk, email, given, family, kind in (
        get_user_model().objects.filter(pk__in=ids).values_list("pk", "email", "given_name", "family_name", "kind")
    ):
        is_service_account = kind == "service_account"
        people[str(pk)] = given if is_service_account else " ".join(part for part in (given, family) if part) or email
        exact[str(pk)] = given if is_service_account else email
    named = [
        PermissionGroup.objects.filter(org=org, pk__in=ids),
        Role.objects.filter(Q(org=org) | Q(org__isnull=True), pk__in=ids),
        model_for_type("project")._base_manager.filter(org=org, pk__in=ids),
        *(model_for_type(kind)._base_manager.filter(project__org=org, pk__in=ids) for kind in _PROJECT_CONTENT_TYPES),
    ]
    first, *others = (queryset.order_by().values_list("pk", "name") for queryset in named)
    exact |= {str(pk): name for pk, name in first.union(*others, all=True)}
    return AuditNames(people=people, exact=exact)


def access_to(actor, node) -> list[Access]:
    """Everyone holding any permission on `node` (a model instance of the hierarchy or a :class:`Node`), each
    with its permissions and the reasons for each (:func:`permissions.engine.access_on`), for an actor who
    may read the node's grants (read_acls). A fixed number of queries, whatever the number of principals and
    the depth of nesting."""
    node = Node.of(node)
    if not can(actor, "read_acls", node):
        raise AccessDenied("read_acls", node.type, node=node)
    return access_on(node)


def first_reaches(subject, permission: str, object_type: str, org_id, limit: int) -> tuple[list[Reach], bool]:
    """The first page of what-can (``GET /v1/access/what_can``): the newest `limit` nodes of `object_type`
    where `subject` holds `permission`, each with the grants it holds it through, and whether there are more.
    The caller has checked that it may ask (:func:`permissions.requirements.to_ask_what_can`)."""
    rows = list(reachable_rows(subject, permission, object_type, org_id).order_by("-created", "-pk")[: limit + 1])
    return explain_reach(subject, permission, object_type, rows[:limit], org_id), len(rows) > limit
