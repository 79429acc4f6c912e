"""What the admin shows instead of the access model's codes and ids.

Permissions and object types are named with the words every page uses (:mod:`permissions.labels`, those of
the settings dialogs), the code beside them where an operator may need it to match the API. Grants name their
object, subject and role; the names a whole changelist page needs are fetched together, in a fixed number
of queries whatever the number of rows.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db.models import CharField, Value

from permissions.engine.nodes import VIRTUAL_ANCHOR, Node, model_for_type
from permissions.labels import permission_label, type_label
from permissions.models import PermissionGroup, Role
from permissions.types import ACL_PERMISSIONS, ObjectType, Permission, parse_codename


def codename_label(name: str) -> str:
    """A Django permission codename of a grant table (``create_acls_project``) by its permission's words;
    the object type is the page's own."""
    parsed = parse_codename(name)
    return permission_label(parsed[0], with_code=True) if parsed else name


def pair_label(permission: str, restrict_object_type: str | None) -> str:
    """A role's (permission, restriction) pair: "Read, on Experiment only" or "Read, on any type"."""
    where = f"on {type_label(restrict_object_type)} only" if restrict_object_type else "on any type"
    return f"{permission_label(permission, with_code=permission in ACL_PERMISSIONS)}, {where}"


def permission_choices() -> list[tuple[str, str]]:
    return [(p, permission_label(p, with_code=True)) for p in Permission.values]


def type_choices() -> list[tuple[str, str]]:
    return [(t, type_label(t, with_code=True)) for t in ObjectType.values]


@dataclass(frozen=True)
class Shown:
    """An object as a page names it, in place of its ``str()``: what admin templates need of an object
    (its ``pk``) and the words to show."""

    pk: Any
    text: str

    def __str__(self) -> str:
        return self.text


# Names, fetched per page


def node_names(nodes: Iterable[Node]) -> dict[Node, str]:
    """A name for each node (a virtual node by the organization or project it hangs on), in one query
    whatever the nodes' types; a node whose object is gone keeps its id."""
    nodes = set(nodes)
    ids_by_anchor: dict[str, set[UUID]] = {}
    for node in nodes:
        ids_by_anchor.setdefault(VIRTUAL_ANCHOR.get(node.type, node.type), set()).add(node.id)
    parts = [
        model_for_type(anchor)
        ._base_manager.filter(pk__in=ids)
        .order_by()
        .values_list(Value(anchor, output_field=CharField()), "pk", "name")
        for anchor, ids in sorted(ids_by_anchor.items())
    ]
    found: dict[tuple[str, UUID], str] = {}
    if parts:
        combined = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        found = {(anchor, pk if isinstance(pk, UUID) else UUID(str(pk))): name for anchor, pk, name in combined}
    return {node: found.get((VIRTUAL_ANCHOR.get(node.type, node.type), node.id), str(node.id)) for node in nodes}


def user_label(user) -> str:
    """A person by name and email, a service account by its name."""
    if user.is_service_account:
        return f"service account {user.given_name}"
    return f"{user.full_name} ({user.email})" if user.full_name else user.email


def subject_label(*, user=None, group=None) -> str:
    return user_label(user) if user is not None else f"group {group.name}"


def what_label(*, permission: str | None, role_name: str | None) -> str:
    return permission_label(permission, with_code=True) if permission else f"role {role_name}"


def grant_label(*, what: str, restrict_object_type: str, object_type: str, object_name: str, subject: str) -> str:
    """One sentence for a grant: "Read (Experiment only) on Project Support bot, to group Engineers"."""
    restricted = f" ({type_label(restrict_object_type)} only)" if restrict_object_type else ""
    return f"{what}{restricted} on {type_label(object_type)} {object_name}, to {subject}"


@dataclass(frozen=True)
class GrantSubjects:
    """The users, groups and roles named by a page of grants kept as ids (audit events), fetched together."""

    users: dict
    groups: dict
    roles: dict

    @classmethod
    def of(cls, states: Iterable[dict]) -> "GrantSubjects":
        states = list(states)

        def ids(key: str) -> set[str]:
            return {state[key] for state in states if state.get(key)}

        def fetch(model, key: str) -> dict:
            wanted = ids(key)
            return {str(pk): obj for pk, obj in model._base_manager.in_bulk(wanted).items()} if wanted else {}

        return cls(users=fetch(get_user_model(), "user_id"), groups=fetch(PermissionGroup, "group_id"), roles=fetch(Role, "role_id"))

    def subject(self, state: dict) -> str:
        if state.get("user_id"):
            user = self.users.get(state["user_id"])
            return user_label(user) if user else f"user {state['user_id']}"
        group = self.groups.get(state.get("group_id") or "")
        return f"group {group.name}" if group else f"group {state.get('group_id')}"

    def what(self, state: dict) -> str:
        if state.get("permission"):
            return what_label(permission=state["permission"], role_name=None)
        role = self.roles.get(state.get("role_id") or "")
        return what_label(permission=None, role_name=role.name if role else state.get("role_id"))


PRINCIPAL_KINDS = {"user": "Person", "service_account": "Service account", "group": "Group"}


def reason_words(reason, node: Node) -> str:
    """How one grant reaches: "through Contractors → Reviewers, role Editor, granted on the project"."""
    parts = []
    if reason.via_groups:
        parts.append("through " + " → ".join(group.name for group in reason.via_groups))
    if reason.via_roles:
        parts.append("role " + " → ".join(role.name for role in reason.via_roles))
    where = f"this {type_label(node.type)}" if reason.node == node else type_label(reason.node.type)
    restricted = reason.grant.restrict_object_type
    parts.append(f"granted on {where}" + (f", {type_label(restricted)} only" if restricted else ""))
    return ", ".join(parts)


def access_lines(found: Iterable, node: Node) -> list[dict[str, Any]]:
    """Everyone holding anything on `node` (:func:`permissions.selectors.access_to`), as the admin lists
    them: kind, name, and each permission with the ways it reaches."""
    return [
        {
            "kind": PRINCIPAL_KINDS[access.kind],
            "name": access.ref.name,
            "held": [
                (permission_label(permission, with_code=True), "; ".join(reason_words(reason, node) for reason in reasons))
                for permission, reasons in access.reasons.items()
            ],
        }
        for access in found
    ]
