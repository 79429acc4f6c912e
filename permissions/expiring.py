"""Reads of what expires: when a group's memberships end, and what expires soon in an organization.

A grant or a membership with ``expires_at`` counts for nothing from that instant (docs/access-model.md,
"Grants"). People who manage access need to see that coming, so the pages show "until" beside each
membership and grant, and a short list of what ends in the next days. Everything here leaves out what has
already expired (it no longer counts, whether or not the cleanup job has deleted it) and is restricted in
the database to what the viewer may see, in a fixed number of queries whatever the number of rows:

* a membership is shown to whoever may read its group (as the group's member lists are);
* a grant is shown to whoever holds read_acls on its node (as ``GET /v1/acl`` is).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db.models import Case, CharField, Exists, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.expressions import Combinable
from django.db.models.functions import Cast
from django.utils import timezone

from permissions.engine import restrict
from permissions.engine.nodes import chain_plan, model_for_type
from permissions.grants import GuardianTable, guardian_tables
from permissions.labels import node_permission_label, type_label
from permissions.models import AclGrant, GroupMembershipExpiry, GroupNesting, PermissionGroup
from permissions.selectors import groups_visible_to
from permissions.types import ALL_PERMISSIONS, ObjectType, parse_codename

SOON = timedelta(days=7)
# A short section, not a report: past this many, the page says there are more.
EXPIRING_SOON_LIMIT = 20


@dataclass(frozen=True)
class MembershipExpiries:
    """When the memberships of one group that will expire stop counting, by member id."""

    users: dict[UUID, datetime]
    groups: dict[UUID, datetime]


def membership_expiries(group: PermissionGroup) -> MembershipExpiries:
    """The group's member users and member groups whose membership will expire (two queries). An expiry
    row of someone who is no longer a member says nothing about them, and is left out."""
    now = timezone.now()
    users = GroupMembershipExpiry.objects.filter(group=group, expires_at__gt=now, user__groups=group.auth_group_id)
    groups = GroupNesting.objects.filter(group=group, expires_at__gt=now)
    return MembershipExpiries(
        users=dict(users.values_list("user_id", "expires_at")),
        groups=dict(groups.values_list("member_group_id", "expires_at")),
    )


@dataclass(frozen=True)
class Expiring:
    """One membership or grant that stops counting soon, in the words a page shows it with."""

    expires_at: datetime
    kind: str  # "membership" or "grant"
    subject: str  # who loses something: a person, a service account or a group
    subject_kind: str  # "person", "service account" or "group"
    what: str  # what they lose: "member of Annotators", "Read on the project support-bot"


@dataclass(frozen=True)
class ExpiringSoon:
    items: list[Expiring]  # soonest first, at most `limit`
    more: bool  # whether more expire in the window than those (counting them would cost queries per kind)


def expiring_soon(viewer, org, *, within: timedelta = SOON, limit: int = EXPIRING_SOON_LIMIT) -> ExpiringSoon:
    """The memberships and grants of `org` that expire within `within` from now and that `viewer` may see,
    soonest first: the first `limit` of them and whether there are more. Three queries, each restricted
    and limited in the database, plus the engine's reads of who the viewer is."""
    now = timezone.now()
    window = Q(expires_at__gt=now, expires_at__lte=now + within)
    readable = groups_visible_to(viewer, org).values("pk")
    through = get_user_model().groups.through
    still_member = Exists(through.objects.filter(user_id=OuterRef("user_id"), group_id=OuterRef("group__auth_group_id")))
    users = (
        GroupMembershipExpiry.objects.filter(window, group__org=org, group__in=readable)
        .filter(still_member)
        .select_related("user", "group")
        .order_by("expires_at", "pk")
    )
    nestings = GroupNesting.objects.filter(window, group__org=org, group__in=readable).select_related("group", "member_group")
    nestings = nestings.order_by("expires_at", "pk")
    grants = _grants_expiring(viewer, org, window)
    items = [
        *(
            Expiring(row.expires_at, "membership", _user_label(row.user), _user_kind(row.user), f"member of {row.group.name}")
            for row in users[: limit + 1]
        ),
        *(
            Expiring(row.expires_at, "membership", row.member_group.name, "group", f"member group of {row.group.name}")
            for row in nestings[: limit + 1]
        ),
        *(_grant_item(row) for row in grants[: limit + 1]),
    ]
    items.sort(key=lambda item: (item.expires_at, item.subject.casefold(), item.what))
    return ExpiringSoon(items[:limit], len(items) > limit)


def nodes_listing_grants_to(viewer, org, object_type: str) -> QuerySet:
    """The ids of the nodes of `object_type` in `org` on which `viewer` holds read_acls, as a subquery."""
    plan = chain_plan(object_type)
    nodes = model_for_type(object_type)._base_manager.filter(**{plan.org_lookup: org.pk})
    return restrict(nodes, viewer, "read_acls", node_type=object_type).values("pk")


def acl_grants_listed_to(viewer, org) -> Q:
    """The ``AclGrant`` rows on nodes of `org` where `viewer` holds read_acls, whatever the nodes' type."""
    listed = Q(pk__in=[])
    for object_type in ObjectType.values:
        listed |= Q(object_type=object_type, object_id__in=nodes_listing_grants_to(viewer, org, object_type))
    return listed


def node_name(object_type: str, id_column: str) -> Subquery:
    """The name of the node a grant is on (for a virtual node, of the organization or project it hangs on)."""
    return Subquery(model_for_type(object_type)._base_manager.filter(pk=OuterRef(id_column)).values("name")[:1])


def text_value(value: str) -> Value:
    return Value(value, output_field=CharField())


def null_text() -> Cast:
    # Typed, so that PostgreSQL can match the column across the parts of the UNION.
    return Cast(Value(None), output_field=CharField())


# What :func:`grant_words` reads of a grant, in its order: the columns :func:`grant_what` annotates.
GRANT_WHAT = ("what_object_type", "what_permission", "what_restrict", "what_role_name", "what_object_name")


def grant_what(table: GuardianTable | None = None) -> dict[str, Combinable]:
    """The columns of :data:`GRANT_WHAT`, as annotations of the rows of the django-guardian `table` or, without
    one, of ``AclGrant`` rows: every part of a ``UNION ALL`` over the stores of grants says a grant the same way."""
    if table is not None:
        return {
            "what_object_type": text_value(table.object_type),
            "what_permission": F("permission__codename"),
            "what_restrict": text_value(""),
            "what_role_name": null_text(),
            "what_object_name": F("content_object__name"),
        }
    names = {object_type: node_name(object_type, "object_id") for object_type in ObjectType.values}
    return {
        "what_object_type": F("object_type"),
        "what_permission": F("permission"),
        "what_restrict": F("restrict_object_type"),
        "what_role_name": F("role__name"),
        "what_object_name": Case(*(When(object_type=t, then=name) for t, name in names.items()), output_field=CharField()),
    }


_GRANT_COLUMNS = (
    "x_expires_at",
    *GRANT_WHAT,
    "x_user_kind",
    "x_user_email",
    "x_user_given",
    "x_user_family",
    "x_group_name",
)


def _grantee(table: GuardianTable | None = None) -> dict[str, Combinable]:
    """Whom a grant is to, as :func:`_grant_item` names them, as annotations of the rows of the django-guardian
    `table` (a user's table or a group's) or, without one, of ``AclGrant`` rows (either): a user's kind,
    email and names, or a group's name, and NULL for what the row cannot be to."""
    to_user = table is None or table.subject == "user"
    to_group = table is None or table.subject == "group"
    group_name = "group__name" if table is None else "group__permission_group__name"
    return {
        "x_user_kind": F("user__kind") if to_user else null_text(),
        "x_user_email": F("user__email") if to_user else null_text(),
        "x_user_given": F("user__given_name") if to_user else null_text(),
        "x_user_family": F("user__family_name") if to_user else null_text(),
        "x_group_name": F(group_name) if to_group else null_text(),
    }


def _grants_expiring(viewer, org, window: Q) -> QuerySet:
    """The grants of `org` in `window` on nodes where `viewer` holds read_acls, from every store, soonest
    first, as one ``UNION ALL`` with the names a page shows (one query)."""
    parts = []
    for table in guardian_tables():
        rows = table.model.objects.filter(window, content_object_id__in=nodes_listing_grants_to(viewer, org, table.object_type))
        parts.append(
            rows.annotate(x_expires_at=F("expires_at"), **grant_what(table), **_grantee(table)).order_by().values_list(*_GRANT_COLUMNS)
        )
    acl = AclGrant.objects.filter(window, acl_grants_listed_to(viewer, org), org=org)
    parts.append(acl.annotate(x_expires_at=F("expires_at"), **grant_what(), **_grantee()).order_by().values_list(*_GRANT_COLUMNS))
    return parts[0].union(*parts[1:], all=True).order_by("x_expires_at")


def _grant_item(row: tuple) -> Expiring:
    expires_at, object_type, permission, restrict_type, role_name, object_name, user_kind, email, given, family, group_name = row
    what = grant_words(object_type, permission, restrict_type, role_name, object_name)
    if group_name is not None:
        subject, subject_kind = group_name, "group"
    else:
        service = user_kind == get_user_model().Kind.SERVICE_ACCOUNT
        full = " ".join(part for part in (given, family) if part)
        subject, subject_kind = (given or email, "service account") if service else (full or email, "person")
    return Expiring(expires_at, "grant", subject, subject_kind, what)


def grant_words(object_type: str, permission: str | None, restrict_type: str | None, role_name: str | None, object_name: str | None) -> str:
    """A grant as the pages say it: "Read · Project support-bot", "the role owner · Experiment baseline"
    (`permission` may be guardian's codename, such as read_experiment)."""
    if permission and permission not in ALL_PERMISSIONS:
        parsed = parse_codename(permission)
        permission = parsed[0] if parsed else permission
    granted = f"the role {role_name}" if role_name else node_permission_label(permission, object_type, restrict_type or None)
    if restrict_type:
        granted = f"{granted} (restricted to {type_label(restrict_type)})"
    node = type_label(object_type)
    if object_type in ("organization", "org_member", "org_audit_logs", "org_project"):
        where = node
    else:
        where = f"{node} {object_name}" if object_name else node
    return f"{granted} · {where}"


def _user_label(user) -> str:
    return user.given_name if user.is_service_account else user.get_full_name()


def _user_kind(user) -> str:
    return "service account" if user.is_service_account else "person"
