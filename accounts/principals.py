"""The principals of an organization as the pages name, list and offer them: groups, people and service accounts.

Every dialog that shows who holds access (group access, project and object permissions) or offers whom
to give it to uses the one :class:`Principal` and the selectors below, so that a person is named alike
everywhere and the same rule decides whom a person may pick: the groups they may read, and the members
and service accounts if they may read the organization's members.
"""

from dataclasses import dataclass
from uuid import UUID

from django.db.models import Q

from accounts.models import Organization, User
from accounts.selectors import members_visible_to
from permissions.boxes import Subject
from permissions.models import PermissionGroup
from permissions.selectors import groups_in_display_order, groups_visible_to

# At most this many groups and as many users are offered for one search.
PICKER_LIMIT = 50

_KINDS = {  # kind: (label, plural, position in a list)
    "group": ("Group", "Groups", 0),
    "person": ("Member", "Members", 1),
    "service_account": ("Service account", "Service accounts", 2),
}


@dataclass(frozen=True)
class Principal:
    """Someone access can be given to: a permission group, a person or a service account."""

    subject: Subject
    name: str
    kind: str  # "group", "person" or "service_account"
    detail: str = ""  # a group's description, a person's email when the name is not the email

    @classmethod
    def of_group(cls, group: PermissionGroup) -> "Principal":
        return cls(Subject(group_id=group.pk), group.name, "group", group.description)

    @classmethod
    def of_user(cls, user: User) -> "Principal":
        if user.is_service_account:
            return cls(Subject(user_id=user.pk), user.get_full_name(), "service_account")
        return cls(Subject(user_id=user.pk), user.get_full_name(), "person", user.email if user.full_name else "")

    @property
    def is_group(self) -> bool:
        return self.subject.group_id is not None

    @property
    def subject_kind(self) -> str:
        """``group`` or ``user``, as URLs and grants name the subject."""
        return "group" if self.is_group else "user"

    @property
    def subject_id(self) -> UUID:
        return self.subject.group_id or self.subject.user_id

    @property
    def key(self) -> str:
        """``group:<id>`` or ``user:<id>``: how a form or a query string names the principal."""
        return f"{self.subject_kind}:{self.subject_id}"

    @property
    def token(self) -> str:
        """A short name usable in HTML ids and form field names."""
        return f"{self.subject_kind[0]}{self.subject_id.hex}"

    @property
    def label(self) -> str:
        """The name, with a person's email beside it: two people may share a name, never an email."""
        return f"{self.name} ({self.detail})" if self.kind == "person" and self.detail else self.name

    @property
    def kind_label(self) -> str:
        return _KINDS[self.kind][0]

    @property
    def kind_label_plural(self) -> str:
        return _KINDS[self.kind][1]

    @property
    def sort_key(self) -> tuple:
        """Groups, then people, then service accounts, each by name."""
        return (_KINDS[self.kind][2], self.name.lower())


def subject_of_key(key: str | None) -> Subject | None:
    """The subject a :attr:`Principal.key` names, or None for anything else."""
    kind, _, raw = (key or "").partition(":")
    try:
        pk = UUID(raw)
    except ValueError:
        return None
    return {"group": Subject(group_id=pk), "user": Subject(user_id=pk)}.get(kind)


def principal_choices(actor, org: Organization, query: str = "", *, limit: int | None = PICKER_LIMIT) -> list[Principal]:
    """The principals `actor` may pick, matching `query`: the groups it may read (built-in ones first),
    then the members and service accounts if it may read the organization's members. Two queries at
    most, whatever the organization's size."""
    groups = groups_in_display_order(groups_visible_to(actor, org))
    users = members_visible_to(actor, org)
    query = query.strip()
    if query:
        groups = groups.filter(name__icontains=query)
        users = users.filter(Q(email__icontains=query) | Q(given_name__icontains=query) | Q(family_name__icontains=query))
    if limit is not None:
        groups, users = groups[:limit], users[:limit]
    return [*(Principal.of_group(g) for g in groups), *(Principal.of_user(u) for u in users)]


def find_principal(actor, org: Organization, subject: Subject | None) -> Principal | None:
    """The principal `subject` names, if it is one `actor` may pick (see :func:`principal_choices`)."""
    if subject is None:
        return None
    if subject.group_id is not None:
        group = groups_visible_to(actor, org).filter(pk=subject.group_id).first()
        return Principal.of_group(group) if group else None
    user = members_visible_to(actor, org).filter(pk=subject.user_id).first()
    return Principal.of_user(user) if user else None


def principals_of(org: Organization, subjects) -> dict[Subject, Principal]:
    """The organization's members and groups among `subjects` (two queries at most): who holds grants
    that a person allowed to read them sees, whether or not they may read the groups themselves."""
    user_ids = {s.user_id for s in subjects if s.user_id}
    group_ids = {s.group_id for s in subjects if s.group_id}
    found: dict[Subject, Principal] = {}
    if user_ids:
        for user in User.objects.filter(pk__in=user_ids, memberships__org=org):
            found[Subject(user_id=user.pk)] = Principal.of_user(user)
    if group_ids:
        for group in PermissionGroup.objects.filter(pk__in=group_ids, org=org):
            found[Subject(group_id=group.pk)] = Principal.of_group(group)
    return found
