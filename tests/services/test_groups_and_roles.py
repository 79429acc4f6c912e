"""permissions.services.groups and permissions.services.roles: the rules they hold alike for groups and for
roles (docs/access-model.md, "Principals"), proved once for each kind."""

import pytest

from permissions.exceptions import AccessDenied, NotFound, ValidationError
from tests.access_helpers import grant, row_counts
from tests.factories import OrganizationFactory, UserFactory, add_member, owner_of
from tests.groups_and_roles import GROUPS, NESTING_KINDS, ROLES

pytestmark = pytest.mark.django_db

by_kind = pytest.mark.parametrize("kind", NESTING_KINDS, ids=str)


# Names


@by_kind
def test_a_name_is_unique_in_its_organization(kind):
    org = OrganizationFactory()
    kind.create(actor=owner_of(org), org=org, name="Team")
    before = row_counts()
    with pytest.raises(ValidationError, match="already exists"):
        kind.create(actor=owner_of(org), org=org, name="Team")
    assert row_counts() == before


@by_kind
def test_another_organization_may_reuse_a_name(kind):
    first, second = OrganizationFactory(), OrganizationFactory()
    kind.create(actor=owner_of(first), org=first, name="Team")
    assert kind.create(actor=owner_of(second), org=second, name="Team").org == second


RESERVED_NAMES = [(GROUPS, name, "built-in group") for name in ("owners", "VIEWERS", "EngineerS", " engineers ")] + [
    (ROLES, name, "system role") for name in ("owner", "Owner", "VIEWER", " engineer ")
]


@pytest.mark.parametrize(("kind", "name", "message"), RESERVED_NAMES, ids=lambda value: str(value).strip() or None)
def test_no_new_one_takes_a_built_in_groups_or_a_system_roles_name_in_any_case(kind, name, message):
    org = OrganizationFactory()
    label, in_org, before = kind.model._meta.label, kind.model.objects.filter(org=org).count(), row_counts()
    with pytest.raises(ValidationError, match=message):
        kind.create(actor=owner_of(org), org=org, name=name)
    made = kind.create(actor=owner_of(org), org=org, name="Owners of nothing")
    with pytest.raises(ValidationError, match=message):
        kind.update(owner_of(org), made, name=name)
    assert kind.model.objects.filter(org=org).count() == in_org + 1
    assert row_counts()[label] == before[label] + 1


# Who may create and delete


@by_kind
def test_creating_needs_create_on_one_of_the_kind_in_the_organization(kind):
    org = OrganizationFactory()
    engineer, stranger, creator = add_member(org, None, "engineers"), UserFactory(), add_member(org)
    grant(org, org, user=creator, permission="create", restrict=kind.name)
    before = row_counts()
    with pytest.raises(AccessDenied):
        kind.create(actor=engineer, org=org, name="Mine")
    with pytest.raises(NotFound):
        kind.create(actor=stranger, org=org, name="Mine")
    assert row_counts() == before
    assert kind.create(actor=creator, org=org, name="Mine").org == org


@pytest.mark.parametrize(("kind", "refused"), [(GROUPS, "engineers"), (ROLES, "viewers")], ids=str)
def test_deleting_needs_delete_on_it(kind, refused):
    org = OrganizationFactory()
    target, member = kind.make(org, "Doomed"), add_member(org, None, refused)
    before = row_counts()
    with pytest.raises(AccessDenied) as denied:
        kind.delete(member, target)
    assert denied.value.permission == "delete"
    assert row_counts() == before


# Cycles


@by_kind
def test_one_cannot_contain_itself(kind):
    org = OrganizationFactory()
    loop = kind.make(org, "Loop")
    before = row_counts()
    with pytest.raises(ValidationError, match="cycle: Loop → Loop"):
        kind.nest(owner_of(org), loop, loop)
    assert row_counts() == before


@pytest.mark.parametrize(
    ("kind", "other_change"),
    [(GROUPS, lambda org: {"add_member_users": [owner_of(org).pk]}), (ROLES, lambda org: {"add_member_permissions": [("read", "")]})],
    ids=["group", "role"],
)
def test_a_long_cycle_is_refused_naming_every_one_on_it_and_nothing_of_the_update_is_written(kind, other_change):
    org = OrganizationFactory()
    a, b, c, d = (kind.make(org, name) for name in "ABCD")
    for outer, inner in ((a, b), (b, c), (c, d)):
        kind.nest(owner_of(org), outer, inner)
    before = row_counts()
    with pytest.raises(ValidationError) as refused:
        kind.update(owner_of(org), d, description="x", **other_change(org), **kind.adding_members(a))
    assert "A → B → C → D → A" in str(refused.value)
    assert row_counts() == before
    d.refresh_from_db()
    assert d.description == ""
