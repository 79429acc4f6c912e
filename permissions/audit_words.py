"""An audit event in words: a sentence a person reads ("Priya Nair added Sam Lee to the group Reviewers")
and the fields its change touched, before and after.

Pure functions over an event (anything with the fields of :class:`permissions.models.AuditEvent`) and
:class:`AuditNames`, the names of the people, groups, roles and objects that a page of events mentions by
id, looked up beforehand for the whole page (:func:`permissions.selectors.audit_names`). An action without
a phrase of its own is said with a readable form of its name, never as raw JSON; a field whose name says
it holds a secret is shown as "hidden", wherever it is.
"""

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from permissions.labels import PERMISSION_LABELS, TYPE_LABELS

HIDDEN = "hidden"
NOTHING = "—"
SYSTEM_ACTOR = "The system"

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# A field whose name holds one of these words may hold a credential: its value is never shown. "key" alone
# names a credential ("key", "api_key", "private_key"), but not in every name ("comparison_key").
_SECRET_WORDS = ("token", "secret", "password", "passwd", "credential", "credentials", "hash")
_SECRET_KEY_QUALIFIERS = ("", "api", "private", "secret", "access", "signing", "service", "encryption")
# A value that looks like a credential (an API key or a service token) is never shown either.
_SECRET_PREFIXES = ("sk-", "bt-st-")


@dataclass(frozen=True)
class AuditNames:
    """The names of what a page of events mentions by id (ids as text).

    ``people``: a person by their full name (else their email), a service account by its name, as a
    sentence says them. ``exact``: what a change shows for an id: a person's email, the name of a group,
    a role, an organization or an object of a project.
    """

    people: Mapping[str, str] = field(default_factory=dict)
    exact: Mapping[str, str] = field(default_factory=dict)

    def person(self, user_id: Any, fallback: str = "") -> str:
        key = str(user_id) if user_id else ""
        return self.people.get(key) or self.exact.get(key) or fallback or _short_id(key) or "someone"

    def name(self, object_id: Any, fallback: str = "") -> str:
        key = str(object_id) if object_id else ""
        return self.exact.get(key) or self.people.get(key) or fallback or _short_id(key)


@dataclass(frozen=True)
class EventWords:
    """Who acted, and what they did, which together read as one sentence."""

    actor: str
    predicate: str

    @property
    def sentence(self) -> str:
        return f"{self.actor} {self.predicate}"


def ids_in(value: Any, found: set[str]) -> set[str]:
    """Adds to `found` every id (UUID text) that `value` holds, at any depth; returns `found`."""
    if isinstance(value, str) and _UUID.match(value):
        found.add(value)
    elif isinstance(value, list):
        for item in value:
            ids_in(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            ids_in(item, found)
    return found


def ids_of_event(event) -> set[str]:
    """The ids an event's words may name: its actor, its target, and those in its before and after."""
    found = {str(event.actor_id)} if getattr(event, "actor_id", None) else set()
    if event.target_id and _UUID.match(str(event.target_id)):
        found.add(str(event.target_id))
    ids_in(event.before, found)
    ids_in(event.after, found)
    return found


# Secrets


def is_secret_key(key: str) -> bool:
    """Whether a field named `key` may hold a credential: ``token``, ``secret``, ``password``, ``key``,
    ``api_key``, ``private_key`` (and ``apiKey``, ``API-Token``), but not ``comparison_key``."""
    words = [word for word in re.split(r"[^a-z]+", re.sub(r"([a-z])([A-Z])", r"\1_\2", str(key)).lower()) if word]
    if any(word in _SECRET_WORDS for word in words):
        return True
    return any(word == "key" and (words[index - 1] if index else "") in _SECRET_KEY_QUALIFIERS for index, word in enumerate(words))


def _looks_like_secret(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(_SECRET_PREFIXES) and len(value) >= 24


def redacted(value: Any) -> Any:
    """`value` with the value of every secret-named key (``token``, ``api_key``, ``password``, ...) and every
    value that looks like a credential replaced by "hidden", at any depth."""
    if isinstance(value, dict):
        return {key: HIDDEN if is_secret_key(key) else redacted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [redacted(item) for item in value]
    return HIDDEN if _looks_like_secret(value) else value


# Readable values


def _short_id(value: str) -> str:
    return f"{value[:8]}…" if _UUID.match(value or "") else value


def _instant(value: Any) -> datetime | None:
    """The instant an ISO 8601 text names, or None for anything else (which the words then show as it is)."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def readable_time(value: Any) -> str:
    """An ISO 8601 instant as "12 Dec 2026, 09:30 UTC" (its day alone at midnight); anything else as it is."""
    moment = _instant(value)
    if moment is None:
        return str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    day = f"{moment.day} {moment:%b %Y}"
    if (moment.hour, moment.minute, moment.second) == (0, 0, 0):
        return day
    return f"{day}, {moment:%H:%M}" + (" UTC" if moment.tzinfo is not None else "")


def readable_date(value: Any) -> str:
    """An ISO 8601 instant as its day, "12 Dec 2026"."""
    moment = _instant(value)
    return str(value) if moment is None else f"{moment.day} {moment:%b %Y}"


def _is_pair_of_permission(value: Any) -> bool:
    if not isinstance(value, list) or len(value) != 2:
        return False
    permission, restriction = value
    return isinstance(permission, str) and permission in PERMISSION_LABELS and (restriction is None or isinstance(restriction, str))


def readable(value: Any, names: AuditNames, key: str = "") -> str:
    """One value of a change, for a person: ids by name, instants as dates, permissions in words."""
    if key and is_secret_key(key):
        return HIDDEN
    if _is_empty(value):
        return NOTHING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        if _looks_like_secret(value):
            return HIDDEN
        if _UUID.match(value):
            return names.name(value, value)
        if key.endswith("_at"):
            return readable_time(value)
        if key in ("object_type", "restrict_object_type"):
            return TYPE_LABELS.get(value, value)
        return value
    if _is_pair_of_permission(value):
        permission, restriction = value
        return permission_words(permission) + (f" on {plural_type(restriction)}" if restriction else "")
    if isinstance(value, list):
        return ", ".join(readable(item, names) for item in value)
    if isinstance(value, dict):
        member = value.get("user") or value.get("group")
        if member is not None and set(value) <= {"user", "group", "expires_at"}:
            return f"{names.name(member, member)} until {readable_time(value.get('expires_at'))}"
        parts = [f"{str(k).replace('_', ' ')}: {_compact(item, names, str(k))}" for k, item in value.items()]
        return "; ".join(parts)
    return str(value)


def _compact(value: Any, names: AuditNames, key: str) -> str:
    """A value inside a dict: readable when it is flat, compact JSON (secrets hidden) when it is nested."""
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    if not _is_pair_of_permission(value) and any(isinstance(item, dict | list) for item in items):
        return json.dumps(redacted(value), ensure_ascii=False, sort_keys=True, default=str)
    return readable(value, names, key)


# The change, field by field


@dataclass(frozen=True)
class CodeWords:
    """Words for the codes of one kind (field names, object types): the table's, else the code with spaces
    for its underscores, so that a code the table does not know yet still reads as words."""

    table: Mapping[str, str]

    def __call__(self, code: str) -> str:
        return self.table.get(code, code.replace("_", " "))


field_label = CodeWords(
    {
        "api_url": "API URL",
        "proxy_url": "proxy URL",
        "realtime_url": "realtime URL",
        "create_direct_ownership_grants": "direct ownership grants",
        "member_users": "member users",
        "member_groups": "member groups",
        "member_user_expiries": "member users until",
        "member_group_expiries": "member groups until",
        "member_permissions": "permissions",
        "member_roles": "member roles",
        "prompt_ids": "prompts",
        "base_exp_id": "baseline experiment",
        "dataset_id": "dataset",
        "user_id": "user",
        "group_id": "group",
        "role_id": "role",
        "object_id": "object",
        "restrict_object_type": "restricted to",
        "expires_at": "expires",
        "preview_name": "preview",
        "url": "URL",
        "post_message": "posting of the span's data",
        "xact_id": "version",
    }
)


def _items(value: Any, names: AuditNames) -> list[str]:
    return [readable(item, names) for item in value] if isinstance(value, list) else []


def _list_change(before: Any, after: Any, names: AuditNames) -> tuple[list[str], list[str]] | None:
    """What a list field gained and lost, item by item, or None when the field is not a list."""
    if not isinstance(before or [], list) or not isinstance(after or [], list):
        return None
    old = [json.dumps(item, sort_keys=True, default=str) for item in before or []]
    new = [json.dumps(item, sort_keys=True, default=str) for item in after or []]
    added = [item for item, text in zip(after or [], new, strict=True) if text not in old]
    removed = [item for item, text in zip(before or [], old, strict=True) if text not in new]
    return _items(added, names), _items(removed, names)


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _is_internal(key: str) -> bool:
    """Fields a service records for itself (a prompt's ``_xact_id``), not part of what changed."""
    return str(key).startswith("_")


def changes(event, names: AuditNames) -> dict:
    """The event's before and after as rows of readable values: every field of what was created or
    deleted, only the fields that changed of an update (a list field with what it gained and lost).

    ``{"columns": ("before", "after"), "rows": [{"field", "key", "before", "after", "added", "removed", ...}]}``;
    the columns say which of before and after the event has; ``before_quoted`` and ``after_quoted`` are
    the values in quotes, but for none and "hidden".
    """
    before, after = event.before, event.after
    if before is None and after is None:
        return {"columns": (), "rows": []}
    if not isinstance(before or {}, dict) or not isinstance(after or {}, dict):
        return {"columns": ("before", "after"), "rows": [_row("value", "", readable(before, names), readable(after, names))]}
    old, new = before or {}, after or {}
    if before is None:
        columns, keys = ("after",), [k for k in new if not _is_internal(k) and not _is_empty(new[k])]
    elif after is None:
        columns, keys = ("before",), [k for k in old if not _is_internal(k) and not _is_empty(old[k])]
    else:
        columns = ("before", "after")
        keys = [k for k in dict.fromkeys([*old, *new]) if not _is_internal(k) and old.get(k) != new.get(k)]
    rows = []
    for key in sorted(keys):
        rows.extend(_rows_of_field(key, old.get(key), new.get(key), names, updated=len(columns) == 2))
    return {"columns": columns, "rows": rows}


def _row(label: str, key: str, before: str, after: str, added: list[str] | None = None, removed: list[str] | None = None) -> dict:
    return {
        "field": label,
        "key": key,
        "before": before,
        "after": after,
        "before_quoted": _quoted(before),
        "after_quoted": _quoted(after),
        "added": added or [],
        "removed": removed or [],
    }


def _rows_of_field(key: str, old: Any, new: Any, names: AuditNames, *, updated: bool) -> list[dict]:
    label = field_label(key).replace(".", ": ")
    if is_secret_key(key.rpartition(".")[2]):
        return [_row(label, key, HIDDEN, HIDDEN)]
    if updated and isinstance(old, dict | None) and isinstance(new, dict | None) and (old or new):
        # a settings object: the keys of it that changed, each on a row of its own
        old, new = old or {}, new or {}
        inner = sorted(k for k in dict.fromkeys([*old, *new]) if old.get(k) != new.get(k))
        return [row for k in inner for row in _rows_of_field(f"{key}.{k}", old.get(k), new.get(k), names, updated=True)]
    added, removed = [], []
    if updated:
        listed = _list_change(old, new, names)
        if listed is not None and (old or new):
            added, removed = listed
    leaf = key.rpartition(".")[2]
    before, after = readable(old, names, leaf), readable(new, names, leaf)
    return [_row(label, key, before, after, added, removed)]


def change_lines(event, names: AuditNames) -> list[str]:
    """The change as short lines of text: ``name: "Reviewers" → "Reviewers EU"``, ``member users: added sam@example.com``."""
    table = changes(event, names)
    lines = []
    for row in table["rows"]:
        if row["added"] or row["removed"]:
            parts = [f"added {', '.join(row['added'])}"] if row["added"] else []
            parts += [f"removed {', '.join(row['removed'])}"] if row["removed"] else []
            lines.append(f"{row['field']}: {'; '.join(parts)}")
        elif table["columns"] == ("before", "after"):
            lines.append(f"{row['field']}: {_quoted(row['before'])} → {_quoted(row['after'])}")
        else:
            lines.append(f"{row['field']}: {row[table['columns'][0]]}")
    return lines


def _quoted(text: str) -> str:
    return text if text in (NOTHING, HIDDEN) else f"“{text}”"


# Words for permissions, object types and nodes

plural_type = CodeWords(
    {
        "organization": "the organization",
        "org_member": "members",
        "org_audit_logs": "the audit log",
        "org_project": "all projects",
        "group": "groups",
        "role": "roles",
        "project": "projects",
        "project_log": "project logs",
        "experiment": "experiments",
        "dataset": "datasets",
        "prompt": "prompts",
        "prompt_session": "playgrounds",
    }
)
_type_word = CodeWords(
    {
        "organization": "organization",
        "group": "group",
        "role": "role",
        "project": "project",
        "experiment": "experiment",
        "dataset": "dataset",
        "prompt": "prompt",
        "prompt_session": "playground",
        "project_tag": "tag",
        "project_score": "score",
        "span_iframe": "span iframe",
        "dataset_snapshot": "dataset snapshot",
        "environment": "environment",
        "view": "saved view",
        "ai_secret": "AI provider key",
        "env_var": "environment variable",
        "service_account": "service account",
        "api_key": "API key",
        "service_token": "token",
        "invitation": "invitation",
        "user": "member",
        "acl": "grant",
    }
)


def permission_words(permission: str) -> str:
    """``read`` as "read", ``create_acls`` as "Manage access (add grants)"."""
    label = PERMISSION_LABELS.get(permission)
    if label is None:
        return permission.replace("_", " ")
    if ": " in label:
        whole, part = label.split(": ", 1)
        return f"{whole} ({part})"
    return label.lower()


def node_words(object_type: str, object_id: Any, names: AuditNames) -> str:
    """A node of the access model as a sentence names it: "the experiment baseline-v2", "all projects"."""
    name = names.name(object_id)
    if object_type == "organization":
        return f"the organization {name}"
    if object_type == "org_member":
        return "the organization's members"
    if object_type == "org_audit_logs":
        return "the audit log"
    if object_type == "org_project":
        return "all projects"
    if object_type == "project_log":
        return f"the logs of the project {name}"
    return f"the {_type_word(object_type)} {name}"


def _subject_words(state: dict, names: AuditNames) -> str:
    if state.get("group_id"):
        return f"the group {names.name(state['group_id'])}"
    if state.get("user_id"):
        return names.person(state["user_id"])
    return "someone"


def grant_words(state: dict, names: AuditNames) -> str:
    """What a grant gives, and where: "read on the experiment baseline-v2", "the role engineer on all
    projects", "read on the experiments of the project support-bot"."""
    object_type = state.get("object_type") or ""
    node = node_words(object_type, state.get("object_id"), names)
    if state.get("role_id"):
        return f"the role {names.name(state['role_id'])} on {node}"
    what = permission_words(state.get("permission") or "")
    restriction = state.get("restrict_object_type")
    if not restriction:
        return f"{what} on {node}"
    if restriction == object_type:
        return f"{what} on {node} itself"
    return (
        f"{what} on the {plural_type(restriction)} of {node}" if object_type != "org_project" else f"{what} on {plural_type(restriction)}"
    )


def _and(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


# Sentences


def actor_words(event, names: AuditNames) -> str:
    """Who acted: a person by name, else the email recorded with the event, else the system (a scheduled
    job, such as the removal of what has expired)."""
    if getattr(event, "actor_id", None):
        return names.person(event.actor_id, event.actor_email)
    return event.actor_email or SYSTEM_ACTOR


def _target(event, names: AuditNames) -> str:
    kind = event.target_type
    name = event.target_name or names.name(event.target_id)
    return f"the {_type_word(kind)} {name}".rstrip()


def _state(event) -> dict:
    return event.after if isinstance(event.after, dict) else event.before if isinstance(event.before, dict) else {}


# Where a clause names the event's target: in full the first time, as "it" after that.
_TARGET = "\x00target\x00"

_MEMBER_FIELDS = ("member_users", "member_groups", "member_user_expiries", "member_group_expiries", "member_permissions", "member_roles")
# What the services record of a secret's value: whether it is set and whether it changed, never the value.
_VALUE_FIELDS = ("has_value", "value_changed")


def _updated(event, names: AuditNames, clauses_of: Callable[[dict, dict, AuditNames], list[str]] | None = None) -> str:
    """An update: "renamed the dataset A to B and changed its description", "changed the description of
    the dataset B"; with `clauses_of`, the clauses it says of the members (added, removed), in place of
    the member fields."""
    before, after = event.before or {}, event.after or {}
    target = _target(event, names)
    if not isinstance(before, dict) or not isinstance(after, dict):
        return f"changed {target}"
    covered = (*_MEMBER_FIELDS, *_VALUE_FIELDS) if clauses_of else ()
    renamed = "name" in after and before.get("name") != after.get("name")
    rest = [
        field_label(key)
        for key in dict.fromkeys([*before, *after])
        if key != "name" and key not in covered and not _is_internal(key) and before.get(key) != after.get(key)
    ]
    parts = []
    if renamed:
        kind = _type_word(event.target_type)
        parts.append(f"renamed the {kind} {before.get('name') or NOTHING} to {after.get('name') or NOTHING}")
    if rest:
        parts.append(f"changed its {_and(rest)}" if renamed else f"changed the {_and(rest)} of {_TARGET}")
    parts += clauses_of(before, after, names) if clauses_of else []
    if not parts:
        return f"changed {target}"
    named, said = renamed, []
    for part in parts:
        if _TARGET in part:
            part = part.replace(_TARGET, "it" if named else target)
            named = True
        said.append(part)
    return _and(said)


def _value_clauses(before: dict, after: dict, names: AuditNames) -> list[str]:
    """What an AI secret's or environment variable's update did to its value, which it never records."""
    if not after.get("value_changed"):
        return []
    return [f"replaced the value of {_TARGET}" if after.get("has_value") else f"removed the value of {_TARGET}"]


def _group_clauses(before: dict, after: dict, names: AuditNames) -> list[str]:
    clauses = []
    old_members = [("user", m) for m in before.get("member_users") or []] + [("group", m) for m in before.get("member_groups") or []]
    new_members = [("user", m) for m in after.get("member_users") or []] + [("group", m) for m in after.get("member_groups") or []]
    added = [_member(kind, m, names) for kind, m in new_members if (kind, m) not in old_members]
    removed = [_member(kind, m, names) for kind, m in old_members if (kind, m) not in new_members]
    if added:
        clauses.append(f"added {_and(added)} to {_TARGET}")
    if removed:
        clauses.append(f"removed {_and(removed)} from {_TARGET}")
    for key, kind in (("member_user_expiries", "user"), ("member_group_expiries", "group")):
        old = {item[kind]: item["expires_at"] for item in before.get(key) or []}
        new = {item[kind]: item["expires_at"] for item in after.get(key) or []}
        leaving = {m for _, m in old_members} - {m for _, m in new_members}
        for member, expires_at in new.items():
            if old.get(member) != expires_at:
                clauses.append(f"set the membership of {_member(kind, member, names)} in {_TARGET} to end on {readable_date(expires_at)}")
        for member in old:
            if member not in new and member not in leaving:
                clauses.append(f"made the membership of {_member(kind, member, names)} in {_TARGET} permanent")
    return clauses


def _member(kind: str, member_id: str, names: AuditNames) -> str:
    return f"the group {names.name(member_id)}" if kind == "group" else names.person(member_id)


def _role_clauses(before: dict, after: dict, names: AuditNames) -> list[str]:
    clauses = []
    old = [tuple(p) for p in before.get("member_permissions") or []]
    new = [tuple(p) for p in after.get("member_permissions") or []]
    given = [readable(list(p), names) for p in new if p not in old]
    taken = [readable(list(p), names) for p in old if p not in new]
    if given:
        clauses.append(f"gave {_TARGET} {_and(given)}")
    if taken:
        clauses.append(f"took {_and(taken)} from {_TARGET}")
    old_roles, new_roles = before.get("member_roles") or [], after.get("member_roles") or []
    included = [f"the role {names.name(r)}" for r in new_roles if r not in old_roles]
    excluded = [f"the role {names.name(r)}" for r in old_roles if r not in new_roles]
    if included:
        clauses.append(f"made {_TARGET} include {_and(included)}")
    if excluded:
        clauses.append(f"made {_TARGET} no longer include {_and(excluded)}")
    return clauses


def _with_members(state: dict, names: AuditNames) -> str:
    members = [names.person(m) for m in state.get("member_users") or []]
    members += [f"the group {names.name(m)}" for m in state.get("member_groups") or []]
    return f" with {_and(members)}" if members else ""


def _in_groups(state: dict, names: AuditNames, word: str) -> str:
    groups = [names.name(g) for g in state.get("groups") or []]
    if not groups:
        return ""
    return f" {word} the group{'s' if len(groups) > 1 else ''} {_and(groups)}"


def _until(state: dict, word: str = "until") -> str:
    return f", {word} {readable_date(state['expires_at'])}" if state.get("expires_at") else ""


def _key_of(event, names: AuditNames) -> str:
    state = _state(event)
    name = event.target_name or state.get("name") or ""
    if event.target_type == "service_token":
        account = names.person(state.get("user_id"), "a service account")
        return f"the token {name} of the service account {account}"
    return f"the API key {name}"


def _invitee(event) -> str:
    state = _state(event)
    return event.target_name or state.get("email") or "someone"


def _acl_created(event, names: AuditNames) -> str:
    state = event.after or {}
    return f"granted {grant_words(state, names)} to {_subject_words(state, names)}{_until(state)}"


def _acl_updated(event, names: AuditNames) -> str:
    before, after = event.before or {}, event.after or {}
    grant = f"the grant of {grant_words(after, names)} to {_subject_words(after, names)}"
    if before.get("expires_at") != after.get("expires_at"):
        if after.get("expires_at"):
            return f"made {grant} last until {readable_date(after['expires_at'])}"
        return f"made {grant} permanent"
    return f"changed {grant}"


def _acl_deleted(event, names: AuditNames) -> str:
    state = event.before or {}
    removed = f"{grant_words(state, names)} from {_subject_words(state, names)}"
    if not getattr(event, "actor_id", None) and not event.actor_email and state.get("expires_at"):
        return f"removed {removed}, expired on {readable_date(state['expires_at'])}"
    return f"revoked {removed}"


Phrase = Callable[[Any, AuditNames], str]

_SECRET_KINDS = ("ai_secret", "env_var")
_PROJECT_CONTENT = (
    "project",
    "experiment",
    "dataset",
    "prompt",
    "prompt_session",
    "project_tag",
    "project_score",
    "span_iframe",
    "dataset_snapshot",
    "view",
)

PHRASES: dict[str, Phrase] = {
    "organization.create": lambda e, n: f"created the organization {e.target_name}",
    "organization.update": lambda e, n: _updated(e, n),
    "invitation.create": lambda e, n: f"invited {_invitee(e)}{_in_groups(_state(e), n, 'into')}",
    "invitation.revoke": lambda e, n: f"revoked the invitation of {_invitee(e)}",
    "invitation.resend": lambda e, n: f"sent the invitation of {_invitee(e)} again{_until(e.after or {}, 'valid until')}",
    "member.join": lambda e, n: "joined the organization, accepting an invitation",
    "member.remove": lambda e, n: (
        f"removed {'the service account ' if e.target_type == 'service_account' else ''}"
        f"{n.person(e.target_id, e.target_name)} from the organization"
    ),
    "service_account.create": lambda e, n: f"created the service account {e.target_name}{_in_groups(_state(e), n, 'in')}",
    "service_account.update": lambda e, n: (
        f"renamed the service account {(e.before or {}).get('name')} to {(e.after or {}).get('name') or e.target_name}"
    ),
    "service_account.delete": lambda e, n: f"deleted the service account {e.target_name}",
    "service_token.create": lambda e, n: f"created {_key_of(e, n)}{_until(_state(e), 'expiring')}",
    "service_token.delete": lambda e, n: f"revoked {_key_of(e, n)}",
    "api_key.create": lambda e, n: f"created {_key_of(e, n)}{_until(_state(e), 'expiring')}",
    "api_key.delete": lambda e, n: f"deleted {_key_of(e, n)}",
    "group.create": lambda e, n: f"created the group {e.target_name}{_with_members(_state(e), n)}",
    "group.update": lambda e, n: _updated(e, n, _group_clauses),
    "group.delete": lambda e, n: f"deleted the group {e.target_name}",
    "role.create": lambda e, n: f"created the role {e.target_name}",
    "role.update": lambda e, n: _updated(e, n, _role_clauses),
    "role.delete": lambda e, n: f"deleted the role {e.target_name}",
    "acl.create": _acl_created,
    "acl.update": _acl_updated,
    "acl.delete": _acl_deleted,
    **{f"{kind}.create": lambda e, n: f"created {_target(e, n)}" for kind in _PROJECT_CONTENT},
    **{f"{kind}.update": lambda e, n: _updated(e, n) for kind in _PROJECT_CONTENT},
    **{f"{kind}.delete": lambda e, n: f"deleted {_target(e, n)}" for kind in _PROJECT_CONTENT},
    **{f"{kind}.create": lambda e, n: f"added {_target(e, n)}" for kind in _SECRET_KINDS},
    **{f"{kind}.update": lambda e, n: _updated(e, n, _value_clauses) for kind in _SECRET_KINDS},
    **{f"{kind}.delete": lambda e, n: f"deleted {_target(e, n)}" for kind in _SECRET_KINDS},
    "prompt.restore": lambda e, n: f"restored {_target(e, n)} to its version {_state(e).get('restored_from', '')}".rstrip(),
    "environment.create": lambda e, n: f"created the environment {e.target_name}",
    "environment.update": lambda e, n: _updated(e, n),
    "environment.delete": lambda e, n: f"deleted the environment {e.target_name}",
    "environment_object.update": lambda e, n: _pinned(e),
    "environment_object.delete": lambda e, n: f"unpinned {_pinned_object(e.before)} from {e.before['environment']}",
}


def _pinned_object(state: dict) -> str:
    kind = _type_word.table.get(state["object_type"], state["object_type"])
    return f"the {kind} {state['object_name']}"


def _pinned(event) -> str:
    """A pin set or moved: "pinned version 12 of the prompt reply to production", "(was 9)"."""
    before, after = event.before or {}, event.after
    was = f" (was {before['object_version']})" if before.get("object_version") else ""
    return f"pinned version {after['object_version']} of {_pinned_object(after)} to {after['environment']}{was}"


def action_words(action: str) -> str:
    """An action's name made readable: ``project_tag.create`` as "project tag create"."""
    return re.sub(r"[._]+", " ", action).strip()


def event_words(event, names: AuditNames) -> EventWords:
    """The event as a sentence: who acted, and what they did in words. An action without a phrase of its
    own reads "made a change (widget archive) to the widget W"."""
    phrase = PHRASES.get(event.action)
    if phrase is not None:
        try:
            return EventWords(actor_words(event, names), phrase(event, names))
        except (AttributeError, KeyError, TypeError, ValueError):
            pass  # an event written before its action recorded what the phrase reads: said as any other
    target = _target(event, names) if event.target_type else ""
    return EventWords(actor_words(event, names), f"made a change ({action_words(event.action)}){f' to {target}' if target else ''}")


def sentence(event, names: AuditNames) -> str:
    return event_words(event, names).sentence
