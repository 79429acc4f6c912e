"""The Permissions section of a project's Configuration page: who holds grants on the project, with the
project dialog's boxes (``PROJECT_BOXES``), read and saved through :mod:`permissions.boxes`, and the search
for whom to give access to (:func:`accounts.principals.principal_choices`)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from accounts.principals import Principal, find_principal, principal_choices, principals_of, subject_of_key
from permissions.boxes import PROJECT_BOXES, BoxSet, Subject, boxes_by_subject, role_names_of
from web.forms.expiry import GrantUntilForm
from web.views.project_configuration.base import ConfigurationBase

SEARCH_LIMIT = 10


@dataclass
class AccessRow:
    """A principal listed in the project's Permissions, with the project boxes it ticks and its roles."""

    principal: Principal
    ticked: frozenset[str]
    roles: list[str] = field(default_factory=list)
    new: bool = False  # chosen from the search, holding nothing yet
    expiries: Mapping[str, datetime] = field(default_factory=dict)  # when ticked boxes stop counting
    until_form: GrantUntilForm | None = None  # the posted "Until", shown again with its errors

    @property
    def until(self) -> GrantUntilForm:
        """The dialog's "Until", prefixed by the row so that every dialog of the page has ids of its own."""
        return self.until_form or GrantUntilForm(prefix=self.key)

    @property
    def grid(self) -> list[tuple[str, list[dict]]]:
        """The dialog's rows of boxes, each box with whether it is ticked and until when it counts."""
        return [
            (section, [{"box": box, "ticked": box.key in self.ticked, "expires_at": self.expiries.get(box.key)} for box in boxes])
            for section, boxes in PROJECT_BOXES.sections
        ]

    @property
    def labels(self) -> list[str]:
        return box_labels(PROJECT_BOXES, self.ticked)

    @property
    def key(self) -> str:
        """The id of the principal's dialog."""
        return f"access-{self.principal.subject_kind}-{self.principal.subject_id.hex}"


def box_grid(box_set: BoxSet) -> tuple[list[str], list[tuple[str, list]]]:
    """The dialog's table: column labels (Read ... Manage access) and one row of boxes per section."""
    sections = box_set.sections
    return [box.label for box in sections[0][1]], sections


def box_labels(box_set: BoxSet, keys) -> list[str]:
    return [f"{box.section}: {box.label}" for box in box_set.boxes if box.key in keys]


class AccessSection(ConfigurationBase):
    """Who holds grants on the project, the principal chosen to add, and the search."""

    def permissions_context(self) -> dict:
        held = boxes_by_subject(PROJECT_BOXES, self.project.pk)
        role_names = role_names_of(held)
        principals = principals_of(self.org, held)
        rows = sorted(
            (
                AccessRow(
                    principal,
                    held[subject].ticked,
                    sorted(role_names.get(role_id, "role") for role_id in held[subject].role_ids),
                    expiries=held[subject].expiries,
                )
                for subject, principal in principals.items()
            ),
            key=lambda row: row.principal.sort_key,
        )
        picked = self.picked_principal(set(principals))
        if picked is not None:
            rows.append(AccessRow(picked, frozenset(), new=True))
        query = self.request.GET.get("q", "").strip()[:100]
        columns, box_rows = box_grid(PROJECT_BOXES)
        return {
            "access_rows": rows,
            "box_columns": columns,
            "box_rows": box_rows,
            "manage_access_help": PROJECT_BOXES.box("project_acls").help,
            "query": query,
            "results": self.search(query) if query and self.config_flags.can_edit_access else None,
            "search_url": self.url("project-access-search"),
        }

    def picked_principal(self, listed: set[Subject]) -> Principal | None:
        """The principal chosen from the search (``?principal=user:<id>``), to list with no boxes yet."""
        subject = subject_of_key(self.request.GET.get("principal"))
        if subject is None or subject in listed or not self.config_flags.can_edit_access:
            return None
        return find_principal(self.request.user, self.org, subject)

    def search(self, query: str) -> list[dict]:
        """The groups, members and service accounts the person may pick whose name or email contains `query`."""
        base = self.url()
        return [
            {"principal": principal, "href": f"{base}?principal={principal.key}#permissions"}
            for principal in principal_choices(self.request.user, self.org, query, limit=SEARCH_LIMIT)
        ]
