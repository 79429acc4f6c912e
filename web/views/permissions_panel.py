"""The Permissions panel of a project and of an object (experiment, dataset, prompt, playground), written once.

The flow is Braintrust's: a search box filters the list of groups, members and service accounts as one
types (htmx; without JavaScript its Search button does the same); each row shows what the principal holds
directly on the node and has a pencil ("Edit permissions of <name>") that opens that principal's boxes;
Save writes the canonical grants through :func:`permissions.boxes.save_boxes` and the page comes back with
the saved row showing its new permissions (``static/web/app.js`` puts focus on it).

Below the list, for whoever may read the node's grants (read_acls), "Who has access here": everyone
holding any permission on the node, people, service accounts and groups, each with the permissions held
and, for each grant that gives them, the way it reaches (groups it comes through, the role it names, the
node it is on). Direct grants on the node are edited with the pencil; inherited ones link to where they
are granted. It comes from :func:`permissions.selectors.access_to`, in a fixed number of queries.

A page that shows the panel subclasses :class:`PermissionsPanel` and says what differs: its node and box
set, its flags, and its URLs.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from urllib.parse import urlencode
from uuid import UUID

from django.urls import reverse

from accounts.principals import Principal, find_principal, principal_choices, principals_of, subject_of_key
from permissions.boxes import ACLS, BoxSet, Subject, boxes_by_subject, role_names_of, save_boxes
from permissions.engine import Access
from permissions.engine.nodes import Node
from permissions.labels import MANAGE_ACCESS, permission_label, type_label
from permissions.selectors import access_to
from permissions.types import ALL_PERMISSIONS
from web.forms.expiry import GrantUntilForm
from web.views.access_preview import preview_fragment, preview_of_grants_change

# At most this many groups and as many members are offered for one search (those holding grants on the
# node are always listed when they match).
SEARCH_LIMIT = 10
MANAGE_ACCESS_PARTS = frozenset(ACLS)


@dataclass(frozen=True)
class Editor:
    """Where a pencil leads: ``url`` (fetched with htmx), or without JavaScript a GET form of ``action``
    with ``params``."""

    url: str
    action: str
    params: tuple[tuple[str, str], ...] = ()


@dataclass
class AccessRow:
    """A principal of the panel's list, with the boxes it ticks directly on the node, its roles there, and
    its pencil; also the state of its boxes form (the dialog of a project, the boxes of an object)."""

    principal: Principal
    box_set: BoxSet
    ticked: frozenset[str] = frozenset()
    roles: list[str] = field(default_factory=list)
    expiries: Mapping[str, datetime] = field(default_factory=dict)  # when ticked boxes stop counting
    editor: Editor | None = None
    save_url: str = ""
    until_form: GrantUntilForm | None = None  # the posted "Until", shown again with its errors

    @property
    def preview_url(self) -> str:
        """Where the boxes form's Preview posts: its Save's address, ``preview/`` below it."""
        return f"{self.save_url}preview/" if self.save_url else ""

    @property
    def key(self) -> str:
        """The id of the principal's boxes form, and the prefix of its fields."""
        return f"access-{self.principal.subject_kind}-{self.principal.subject_id.hex}"

    until_prefixed: bool = True  # "Until" named after the row (a project's), or plainly ``until`` (an object's)

    @property
    def until(self) -> GrantUntilForm:
        return self.until_form or self.until_from(None)

    def until_from(self, data) -> GrantUntilForm:
        """The boxes form's "Until", bound to `data` (a POST) or not."""
        return GrantUntilForm(data, prefix=self.key if self.until_prefixed else None)

    @property
    def columns(self) -> list[str]:
        """The grid's column labels: those of its first row (Read ... Manage access)."""
        return [box.label for box in self.box_set.sections[0][1]]

    @property
    def grid(self) -> list[tuple[str, list[dict]]]:
        """The rows of boxes, each box with whether it is ticked and until when it counts."""
        return [
            (section, [{"box": box, "ticked": box.key in self.ticked, "expires_at": self.expiries.get(box.key)} for box in boxes])
            for section, boxes in self.box_set.sections
        ]

    @property
    def labels(self) -> list[str]:
        """The ticked boxes in words ("Experiments: Read"); a dialog of one row says only "Read"."""
        one_row = len(self.box_set.sections) == 1
        return [box.label if one_row else f"{box.section}: {box.label}" for box in self.box_set.boxes if box.key in self.ticked]

    @property
    def manage_access_help(self) -> str:
        return next((box.help for box in self.box_set.boxes if box.help), "")


@dataclass(frozen=True)
class Step:
    """One step of the way a grant reaches a principal, with where to see it, if anywhere."""

    text: str
    url: str = ""


@dataclass
class Why:
    """One grant reaching a principal, and the permissions on the node it gives it."""

    permissions: list[str]
    steps: list[Step]
    direct: bool  # the principal's own grant on this node, edited with the pencil


@dataclass
class Holding:
    """A principal holding permissions on the node, each grant that gives them, and its pencil if it holds
    direct grants on the node that the person may edit."""

    principal: Principal
    permissions: list[str]
    whys: list[Why]
    editor: Editor | None = None


def matches(principal: Principal, query: str) -> bool:
    query = query.casefold()
    return not query or query in principal.name.casefold() or query in principal.detail.casefold()


class PermissionsPanel:
    """A page (an :class:`web.context.OrgPage`) showing the Permissions panel of one node."""

    singular = ""  # "project", "experiment", ...: "direct grant on this <singular>"
    until_prefixed = True  # see AccessRow.until_prefixed
    subheading = "h2"  # the level of "Who has access here" under the panel's own heading

    # What a page says

    def panel_node(self) -> Node:
        raise NotImplementedError

    def panel_box_set(self) -> BoxSet:
        raise NotImplementedError

    def panel_can_edit(self) -> bool:
        """Manage access: the search, and boxes that can be saved."""
        raise NotImplementedError

    def panel_reads_grants(self) -> bool:
        """read_acls on the node: "Who has access here"."""
        raise NotImplementedError

    def panel_url(self) -> str:
        """The page that shows the panel, taking ``q``; the search's form posts there without JavaScript."""
        raise NotImplementedError

    def panel_rows_url(self) -> str:
        """The list's rows alone, for htmx, taking ``q``."""
        raise NotImplementedError

    def panel_editor(self, principal: Principal) -> Editor:
        raise NotImplementedError

    def panel_save_url(self, principal: Principal) -> str:
        raise NotImplementedError

    def panel_where(self) -> str:
        """The node as the boxes name it: "the experiment baseline"."""
        raise NotImplementedError

    def node_words(self, node: Node) -> str:
        """A node of the chain as a sentence names it: "project Support bot", "all projects"."""
        raise NotImplementedError

    def grant_url(self, node: Node, subject: Subject) -> str:
        """Where a grant on an ancestor of the node is seen and changed, if a page shows it."""
        if node.type in ("org_project", "organization") and subject.group_id is not None:
            return reverse("web:group-permissions", kwargs={"org_name": self.org.name, "group_id": subject.group_id})
        return ""

    # The list

    def panel_rows(self, query: str = "", picked: str | None = None) -> list[AccessRow]:
        """Who holds direct grants on the node, then (for those who may add grants) whom the person may pick,
        each matching `query`; and the principal `picked` names (a ``user:<id>`` key), listed whatever the
        query, so that a saved principal is on the page. A fixed number of queries."""
        box_set, node = self.panel_box_set(), self.panel_node()
        held = boxes_by_subject(box_set, node.id)
        role_names = role_names_of(held)
        rows: dict[Subject, AccessRow] = {}
        for subject, principal in principals_of(self.org, held).items():
            if matches(principal, query):
                boxes = held[subject]
                roles = sorted(role_names.get(role_id, "role") for role_id in boxes.role_ids)
                rows[subject] = self.principal_row(principal, boxes.ticked, roles, boxes.expiries)
        if self.panel_can_edit():
            for principal in principal_choices(self.request.user, self.org, query, limit=SEARCH_LIMIT):
                rows.setdefault(principal.subject, self.principal_row(principal))
            subject = subject_of_key(picked)
            if subject is not None and subject not in rows:
                principal = find_principal(self.request.user, self.org, subject)
                if principal is not None:
                    rows[subject] = self.principal_row(principal)
        return sorted(rows.values(), key=lambda row: row.principal.sort_key)

    def principal_row(self, principal: Principal, ticked=frozenset(), roles=(), expiries=None, until=None) -> AccessRow:
        return AccessRow(
            principal,
            self.panel_box_set(),
            frozenset(ticked),
            list(roles),
            expiries or {},
            self.panel_editor(principal),
            self.panel_save_url(principal),
            until,
            self.until_prefixed,
        )

    def panel_principal(self, key: str | None) -> Principal | None:
        """The principal `key` names (``user:<id>``): one holding direct grants on the node (whom the list
        shows to whoever may read them), or one the person may pick; else None."""
        subject = subject_of_key(key)
        if subject is None:
            return None
        if boxes_by_subject(self.panel_box_set(), self.panel_node().id, subject=subject):
            holder = principals_of(self.org, [subject]).get(subject)
            if holder is not None:
                return holder
        return find_principal(self.request.user, self.org, subject)

    def boxes_change(self, row: AccessRow, ticked: list[str], until: GrantUntilForm) -> Callable[[], object]:
        """The Save of `row`'s boxes: :func:`permissions.boxes.save_boxes` on the panel's node, as the person."""
        return partial(
            save_boxes,
            actor=self.request.user,
            box_set=self.panel_box_set(),
            subject=row.principal.subject,
            target_id=self.panel_node().id,
            ticked=ticked,
            expires_at=until.cleaned_data["until"],
            clears_expiry=until.cleaned_data["no_end"],
        )

    def preview_answer(self, row: AccessRow, ticked: list[str], change: Callable[[], object], page: Callable[[dict, int], object]):
        """The Preview of a Save (:mod:`web.views.access_preview`): its words for htmx; without JavaScript,
        `page` shown again with them (given the preview's context and status), the boxes as posted."""
        shown, error = preview_of_grants_change(change)
        if self.request.htmx:
            return preview_fragment(self.request, shown, error)
        row.ticked = frozenset(ticked)
        return page({"access_preview": shown, "preview_error": error}, 200 if shown else 400)

    def boxes_row(self, principal: Principal, until: GrantUntilForm | None = None) -> AccessRow:
        """One principal's boxes on the node, as its form shows them (one query)."""
        held = boxes_by_subject(self.panel_box_set(), self.panel_node().id, subject=principal.subject).get(principal.subject)
        if held is None:
            return self.principal_row(principal, until=until)
        return self.principal_row(principal, held.ticked, (), held.expiries, until)

    # Who has access here

    def holdings(self) -> list[Holding]:
        """Everyone holding a permission on the node, and why (a fixed number of queries)."""
        node = self.panel_node()
        found = access_to(self.request.user, node)
        principals = principals_of(self.org, [subject_of(access) for access in found])
        can_edit = self.panel_can_edit()
        holdings = []
        for access in found:
            principal = principals.get(subject_of(access))
            if principal is None:
                continue
            whys = self.whys(access, node)
            editor = self.panel_editor(principal) if can_edit and any(why.direct for why in whys) else None
            holdings.append(Holding(principal, permission_words(access.permissions), whys, editor))
        return sorted(holdings, key=lambda holding: holding.principal.sort_key)

    def whys(self, access: Access, node: Node) -> list[Why]:
        """The ways grants reach `access`'s principal, each way once (a grant of each permission on the
        same node, through the same groups, is one way), with the permissions it gives on `node`."""
        found: dict[tuple, tuple[Why, list[str]]] = {}
        for permission, reasons in access.reasons.items():
            for reason in reasons:
                why = self.why(access, reason, node)
                key = (tuple(why.steps), why.direct)
                found.setdefault(key, (why, []))[1].append(permission)
        whys = []
        for why, permissions in found.values():
            why.permissions = permission_words(permissions)
            whys.append(why)
        return sorted(whys, key=lambda why: (not why.direct, len(why.steps)))

    def why(self, access: Access, reason, node: Node) -> Why:
        """One reason as the steps a person follows: the groups it comes through (from the principal's own
        outwards), the role it names and the node it is granted on."""
        groups = list(reason.via_groups)
        steps = []
        if access.kind == "group":
            groups = groups[1:]  # the first is the group itself
            steps += [Step(f"nested in {ref.name}", self.group_url(ref.id)) for ref in groups]
        elif groups:
            steps.append(Step(f"group {groups[0].name}", self.group_url(groups[0].id)))
            steps += [Step(f"nested in {ref.name}", self.group_url(ref.id)) for ref in groups[1:]]
        grant = reason.grant
        here = grant.node == node
        where = f"this {self.singular}" if here else self.node_words(grant.node)
        # A restricted grant counts here only when it names this node's type: "experiments only".
        restricted = f", {type_label(grant.restrict_object_type).lower()}s only" if grant.restrict_object_type else ""
        url = "" if here else self.grant_url(grant.node, Subject(user_id=grant.user_id, group_id=grant.group_id))
        roles = list(reason.via_roles)
        if roles:
            steps.append(Step(f"role {roles[0].name} (granted on {where}{restricted})", url))
            steps += [Step(f"includes role {ref.name}") for ref in roles[1:]]
        else:
            steps.append(Step(f"{'direct grant' if here and not groups else 'grant'} on {where}{restricted}", url))
        return Why([], steps, direct=here and not groups)

    def group_url(self, group_id: UUID) -> str:
        return reverse("web:group-edit", kwargs={"org_name": self.org.name, "group_id": group_id})

    # What the templates get

    def panel_flags(self, query: str = "") -> dict:
        """What every template of the panel reads: ``panel``."""
        return {
            "panel": {
                "can_edit": self.panel_can_edit(),
                "url": self.panel_url(),
                "rows_url": self.panel_rows_url(),
                "query": query,
                "singular": self.singular,
                "subheading": self.subheading,
                "where": self.panel_where(),
            }
        }

    def panel_context(self, query: str = "", picked: str | None = None) -> dict:
        can_edit = self.panel_can_edit()
        query = query.strip()[:100] if can_edit else ""
        return {
            **self.panel_flags(query),
            "access_rows": self.panel_rows(query, picked),
            "holdings": self.holdings() if self.panel_reads_grants() else None,
        }


def permission_words(permissions) -> list[str]:
    """Permissions as the boxes say them, in the engine's order: the four parts of Manage access, all held,
    as "Manage access"."""
    held = set(permissions)
    every_part = held >= MANAGE_ACCESS_PARTS
    words = [permission_label(p) for p in ALL_PERMISSIONS if p in held and not (every_part and p in MANAGE_ACCESS_PARTS)]
    return [*words, MANAGE_ACCESS] if every_part else words


def subject_of(access: Access) -> Subject:
    return Subject(group_id=access.id) if access.kind == "group" else Subject(user_id=access.id)


def editor_with_params(action: str, **params: str) -> Editor:
    """A pencil fetching `action` with `params` in its query string."""
    return Editor(f"{action}?{urlencode(params)}", action, tuple(params.items()))
