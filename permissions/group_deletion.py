"""What deleting permission groups takes with them, for the question a page asks before it deletes one.

Deleting a group deletes the grants it holds and its place in the groups that contain it (its members
lose both). The page says how many grants go and names those the viewer may list (read_acls on their
node, as ``GET /v1/acl`` has it), and names the containing groups. Two queries for any number of groups.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from uuid import UUID

from django.db.models import BooleanField, Case, F, Q, Value, When
from django.utils import timezone

from permissions.expiring import GRANT_WHAT, acl_grants_listed_to, grant_what, grant_words, nodes_listing_grants_to
from permissions.grants import guardian_tables
from permissions.models import AclGrant, GroupNesting

_COLUMNS = ("d_group_id", "d_visible", *GRANT_WHAT)


@dataclass
class GroupDeletion:
    """What goes with one group: its live grants (how many, and the words of those the viewer may list) and
    the groups that contain it."""

    grant_count: int = 0
    listed_grants: list[str] = field(default_factory=list)
    containers: list[str] = field(default_factory=list)


def group_deletions(viewer, org, group_ids: Iterable[UUID]) -> dict[UUID, GroupDeletion]:
    """For each of `group_ids` (groups of `org`), what deleting it takes with it. Two queries."""
    ids = list(group_ids)
    found: dict[UUID, GroupDeletion] = defaultdict(GroupDeletion)
    if not ids:
        return found
    for group_id, visible, object_type, permission, restrict, role_name, object_name in _grants_held(viewer, org, ids):
        deletion = found[UUID(str(group_id))]
        deletion.grant_count += 1
        if visible:
            deletion.listed_grants.append(grant_words(object_type, permission, restrict or None, role_name, object_name))
    nestings = GroupNesting.objects.filter(member_group_id__in=ids, group__org=org).values_list("member_group_id", "group__name")
    for member_group_id, container in nestings:
        found[member_group_id].containers.append(container)
    for deletion in found.values():
        deletion.listed_grants.sort(key=str.casefold)
        deletion.containers.sort(key=str.casefold)
    return found


def _whether(condition: Q) -> Case:
    """`condition` as a boolean column. A condition that can hold for no row (an empty list of ids) compiles
    to a constant, which PostgreSQL types as an integer in one part of a UNION and a boolean in another:
    spelled as a CASE, every part is a boolean."""
    return Case(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())


def _grants_held(viewer, org, ids: list[UUID]):
    """The live grants held by the groups `ids`, from every store, with whether `viewer` may list each and
    the words of its node (one ``UNION ALL`` query)."""
    live = Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    parts = []
    for table in guardian_tables():
        if table.subject != "group":
            continue
        visible = Q(content_object_id__in=nodes_listing_grants_to(viewer, org, table.object_type))
        rows = table.model.objects.filter(live, group__permission_group__in=ids)
        parts.append(
            rows.annotate(d_group_id=F("group__permission_group__id"), d_visible=_whether(visible), **grant_what(table))
            .order_by()
            .values_list(*_COLUMNS)
        )
    acl = AclGrant.objects.filter(live, org=org, group__in=ids).annotate(
        d_group_id=F("group_id"), d_visible=_whether(acl_grants_listed_to(viewer, org)), **grant_what()
    )
    parts.append(acl.order_by().values_list(*_COLUMNS))
    return parts[0].union(*parts[1:], all=True)
