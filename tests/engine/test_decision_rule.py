"""docs/access-model.md, "Grants" and "The decision", in small hand-written cases.

Objects are written with factories (no creator grants), so every permission a test sees comes from the
grants that test makes.
"""

import uuid
from collections.abc import Callable
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from permissions.engine import access_cache_scope, can, can_create_in, permissions_on, restrict
from permissions.engine.guards import require, require_create
from permissions.engine.nodes import Node
from permissions.exceptions import AccessDenied, NotFound
from permissions.models import GroupNesting, RoleNesting
from permissions.services.grants import acl_grant, acl_revoke
from permissions.services.groups import group_update
from permissions.services.roles import system_role
from permissions.types import ALL_PERMISSIONS, CRUD_PERMISSIONS, ObjectType
from projects.models import Experiment
from tests.access_helpers import (
    ACL_PERMISSIONS,
    custom_group,
    custom_role,
    grant,
    grant_many,
    nest,
    raw_acl_grant,
    raw_guardian_grant,
    spec_for,
)
from tests.factories import (
    ExperimentFactory,
    OrganizationFactory,
    ServiceAccountFactory,
    UserFactory,
    add_member,
    builtin_group,
    owner_of,
    two_projects,
)

pytestmark = pytest.mark.django_db


def _refusal_naming(permission: str, call: Callable[[], object]) -> str:
    """`call()` is refused as access denied for want of `permission`; the refusal's message."""
    with pytest.raises(AccessDenied) as denied:
        call()
    assert denied.value.permission == permission
    return str(denied.value)


@pytest.fixture
def world():
    """One organization: projects P and Q, objects in P, an experiment in Q, and a member with no grants."""
    places = two_projects(OrganizationFactory())
    return SimpleNamespace(
        **vars(places),
        e2=ExperimentFactory(project=places.p, name="E2"),
        role=custom_role(places.org, "custom"),
        user=add_member(places.org),
    )


def every_node(w) -> dict[str, Node]:
    """Every node of the world by a readable name."""
    org = w.org.pk
    return {
        "organization": Node("organization", org),
        "org_member": Node("org_member", org),
        "org_audit_logs": Node("org_audit_logs", org),
        "org_project": Node("org_project", org),
        "owners": Node.of(builtin_group(w.org, "owners")),
        "role": Node.of(w.role),
        "P": Node.of(w.p),
        "P logs": Node("project_log", w.p.pk),
        "E": Node.of(w.e),
        "E2": Node.of(w.e2),
        "D": Node.of(w.d),
        "prompt": Node.of(w.prompt),
        "playground": Node.of(w.session),
        "Q": Node.of(w.q),
        "Q logs": Node("project_log", w.q.pk),
        "QE": Node.of(w.qe),
    }


def readable(principal, w, permission: str = "read") -> set[str]:
    return {name for name, node in every_node(w).items() if can(principal, permission, node)}


# Inheritance down the chain


def test_grant_on_organization_applies_to_every_node_below_it(world):
    grant(world.org, world.org, user=world.user, permission="read")
    assert readable(world.user, world) == set(every_node(world))


def test_grant_on_org_project_applies_to_all_projects_and_their_contents_only(world):
    grant(world.org, Node("org_project", world.org.pk), user=world.user, permission="read")
    assert readable(world.user, world) == set(every_node(world)) - {"organization", "org_member", "org_audit_logs", "owners", "role"}


def test_grant_on_project_applies_to_the_project_and_its_contents_but_not_upwards_or_sideways(world):
    grant(world.org, world.p, user=world.user, permission="read")
    assert readable(world.user, world) == {"P", "P logs", "E", "E2", "D", "prompt", "playground"}


def test_grant_on_experiment_applies_to_that_experiment_only(world):
    grant(world.org, world.e, user=world.user, permission="update")
    assert readable(world.user, world, "update") == {"E"}
    assert readable(world.user, world, "read") == set()


def test_grant_on_project_log_does_not_reach_the_project_or_its_objects(world):
    grant(world.org, Node("project_log", world.p.pk), user=world.user, permission="read")
    assert readable(world.user, world) == {"P logs"}


def test_grant_on_org_member_does_not_reach_the_organization(world):
    grant(world.org, Node("org_member", world.org.pk), user=world.user, permission="read")
    assert readable(world.user, world) == {"org_member"}


# restrict_object_type


def test_restricted_grant_applies_only_to_nodes_of_that_type_in_the_subtree(world):
    grant(world.org, world.p, user=world.user, permission="read", restrict="experiment")
    assert readable(world.user, world) == {"E", "E2"}


def test_restricted_grant_on_organization_reaches_projects_but_not_what_is_between_or_below(world):
    grant(world.org, world.org, user=world.user, permission="read", restrict="project")
    assert readable(world.user, world) == {"P", "Q"}


def test_restricted_grant_applies_to_the_node_itself_when_it_is_of_that_type(world):
    grant(world.org, world.p, user=world.user, permission="update", restrict="project")
    assert readable(world.user, world, "update") == {"P"}


def test_organization_read_restricted_to_organization_reaches_the_organization_only(world):
    grant(world.org, world.org, user=world.user, permission="read", restrict="organization")
    assert readable(world.user, world) == {"organization"}


@pytest.mark.parametrize(
    ("restrict_to", "expected"),
    [
        ("project_log", {"P logs"}),
        ("dataset", {"D"}),
        ("prompt", {"prompt"}),
        ("prompt_session", {"playground"}),
        ("org_member", set()),
    ],
)
def test_restriction_on_project_selects_exactly_its_type(world, restrict_to, expected):
    grant(world.org, world.p, user=world.user, permission="read", restrict=restrict_to)
    assert readable(world.user, world) == expected


def test_restricted_create_on_project_allows_creating_that_type_only(world):
    grant(world.org, world.p, user=world.user, permission="create", restrict="experiment")
    assert can_create_in(world.user, "experiment", world.p)
    assert not can_create_in(world.user, "dataset", world.p)
    assert not can_create_in(world.user, "experiment", world.q)


def test_create_on_org_project_restricted_to_project_allows_creating_projects(world):
    grant(world.org, Node("org_project", world.org.pk), user=world.user, permission="create", restrict="project")
    assert can_create_in(world.user, "project", Node("org_project", world.org.pk))
    assert not can_create_in(world.user, "experiment", world.p)


def test_create_on_organization_restricted_to_group_allows_creating_groups_not_roles(world):
    grant(world.org, world.org, user=world.user, permission="create", restrict="group")
    assert can_create_in(world.user, "group", world.org)
    assert not can_create_in(world.user, "role", world.org)


# Roles


def test_role_grant_behaves_as_one_direct_grant_per_pair(world):
    role = custom_role(world.org, "reviewer", [("read", ""), ("update", "experiment")])
    grant(world.org, world.p, user=world.user, role=role)
    direct = add_member(world.org)
    grant(world.org, world.p, user=direct, permission="read")
    grant(world.org, world.p, user=direct, permission="update", restrict="experiment")
    for name, node in every_node(world).items():
        assert permissions_on(world.user, node) == permissions_on(direct, node), name
    assert readable(world.user, world, "update") == {"E", "E2"}


@pytest.mark.parametrize(("name", "permissions"), [("owner", ALL_PERMISSIONS), ("engineer", CRUD_PERMISSIONS), ("viewer", ("read",))])
def test_system_role_grants_its_permissions(world, name, permissions):
    grant(world.org, world.p, user=world.user, role=name)
    assert permissions_on(world.user, world.e) == frozenset(permissions)
    assert permissions_on(world.user, world.q) == frozenset()


def test_role_inherits_pairs_of_member_roles_transitively(world):
    innermost = custom_role(world.org, "c", [("delete", "dataset")])
    middle = custom_role(world.org, "b", [], [innermost])
    outer = custom_role(world.org, "a", [("read", "")], [middle])
    grant(world.org, world.p, user=world.user, role=outer)
    assert permissions_on(world.user, world.d) == {"read", "delete"}
    assert permissions_on(world.user, world.e) == {"read"}
    RoleNesting.objects.filter(role=middle, member_role=innermost).delete()
    assert permissions_on(world.user, world.d) == {"read"}


def test_custom_role_may_inherit_a_system_role(world):
    role = custom_role(world.org, "viewer plus", [("update", "dataset")], [system_role("viewer")])
    grant(world.org, world.p, user=world.user, role=role)
    assert permissions_on(world.user, world.d) == {"read", "update"}
    assert permissions_on(world.user, world.e) == {"read"}


def test_role_granted_to_a_group_reaches_its_members(world):
    group = custom_group(world.org, world.user)
    grant(world.org, world.p, group=group, role="engineer")
    assert permissions_on(world.user, world.e) == frozenset(CRUD_PERMISSIONS)


# Groups


def test_group_grant_reaches_its_member_users(world):
    group = custom_group(world.org, world.user)
    grant(world.org, world.p, group=group, permission="read")
    assert readable(world.user, world) == {"P", "P logs", "E", "E2", "D", "prompt", "playground"}


def test_grant_to_a_group_reaches_users_of_member_groups_transitively(world):
    outer, middle, inner = custom_group(world.org), custom_group(world.org), custom_group(world.org, world.user)
    nest(outer, middle)
    nest(middle, inner)
    grant(world.org, world.e, group=outer, permission="read")
    assert can(world.user, "read", world.e)
    GroupNesting.objects.filter(group=middle, member_group=inner).delete()
    assert not can(world.user, "read", world.e)


def test_member_group_does_not_receive_grants_of_the_group_it_contains(world):
    outer, inner = custom_group(world.org, world.user), custom_group(world.org)
    nest(outer, inner)
    grant(world.org, world.e, group=inner, permission="read")
    assert not can(world.user, "read", world.e)


def test_effective_access_is_the_union_of_own_and_group_grants(world):
    first, second = custom_group(world.org, world.user), custom_group(world.org, world.user)
    grant(world.org, world.p, group=first, permission="read")
    grant(world.org, world.e, group=second, permission="update")
    grant(world.org, world.e, user=world.user, permission="delete")
    grant(world.org, world.p, user=world.user, role="viewer")
    assert permissions_on(world.user, world.e) == {"read", "update", "delete"}
    assert permissions_on(world.user, world.e2) == {"read"}


# Membership


def test_non_member_has_no_access_whatever_rows_exist(world):
    outsider = UserFactory()
    group = custom_group(world.org, outsider)
    raw_acl_grant(world.org, world.org, user=outsider, role=system_role("owner"))
    raw_acl_grant(world.org, Node("org_project", world.org.pk), group=group, permission="read")
    raw_guardian_grant(world.org, "read", user=outsider)
    raw_guardian_grant(world.p, "update", group=group)
    builtin_group(world.org, "owners").auth_group.user_set.add(outsider)
    for name, node in every_node(world).items():
        assert permissions_on(outsider, node) == frozenset(), name
    assert not can_create_in(outsider, "project", Node("org_project", world.org.pk))
    add_member(world.org, outsider)  # the same rows count once it is a member
    assert permissions_on(outsider, world.e) == frozenset(ALL_PERMISSIONS)


def test_member_of_another_organization_has_no_access_through_its_grants_there(world):
    other = OrganizationFactory()
    person = add_member(other, None, "owners")
    raw_acl_grant(world.org, world.p, user=person, role=system_role("owner"))
    assert permissions_on(person, world.p) == frozenset()
    assert permissions_on(owner_of(other), world.org) == frozenset()


def test_group_of_another_organization_grants_nothing_on_this_one(world):
    other = OrganizationFactory()
    person = add_member(other)
    add_member(world.org, person)  # a member of both organizations
    foreign_group = custom_group(other, person)
    raw_guardian_grant(world.p, "read", group=foreign_group)
    raw_acl_grant(world.org, world.p, group=foreign_group, permission="update", restrict="project")
    assert permissions_on(person, world.p) == frozenset()


def test_acl_row_filed_under_another_organization_grants_nothing(world):
    other = OrganizationFactory()
    add_member(other, world.user)
    raw_acl_grant(other, world.p, user=world.user, permission="read", restrict="project")
    assert permissions_on(world.user, world.p) == frozenset()


def test_inactive_principal_holds_nothing(world):
    grant(world.org, world.org, user=world.user, permission="read")
    world.user.is_active = False
    world.user.save(update_fields=["is_active"])
    assert permissions_on(world.user, world.p) == frozenset()


# 404 versus 403


def test_require_without_any_permission_is_not_found_like_a_missing_id(world):
    with pytest.raises(NotFound) as hidden:
        require(world.user, "read", world.p)
    missing_id = uuid.uuid4()
    with pytest.raises(NotFound) as absent:
        require(world.user, "read", Node("project", missing_id))
    assert type(hidden.value) is type(absent.value)
    assert str(hidden.value) == str(absent.value).replace(str(missing_id), str(world.p.pk))


def test_require_with_some_permission_but_not_the_one_asked_is_access_denied_naming_it(world):
    grant(world.org, world.p, user=world.user, permission="read")
    assert "'update'" in _refusal_naming("update", lambda: require(world.user, "update", world.p))
    require(world.user, "read", world.p)


def test_holding_only_create_on_a_node_still_answers_not_found(world):
    grant(world.org, world.p, user=world.user, permission="create")
    assert permissions_on(world.user, world.p) == {"create"}
    with pytest.raises(NotFound):
        require(world.user, "read", world.p)
    require(world.user, "create", world.p)


def test_require_create_is_not_found_without_any_permission_on_the_parent(world):
    with pytest.raises(NotFound):
        require_create(world.user, "experiment", world.p)


def test_require_create_is_access_denied_naming_create_when_the_parent_is_visible(world):
    grant(world.org, world.p, user=world.user, permission="read")
    assert "'create'" in _refusal_naming("create", lambda: require_create(world.user, "experiment", world.p))


def test_require_create_passes_with_create_alone(world):
    grant(world.org, world.p, user=world.user, permission="create")
    require_create(world.user, "experiment", world.p)


# Manage access


def test_manage_access_on_organization_lets_its_holder_grant_themselves_anything(world):
    admins = custom_group(world.org, world.user)
    grant_many(world.org, world.org, ACL_PERMISSIONS, group=admins)
    assert not can(world.user, "update", world.p)
    acl_grant(actor=world.user, spec=spec_for(world.p, user=world.user, role="owner"))
    acl_grant(actor=world.user, spec=spec_for(world.org, user=world.user, permission="update"))
    assert permissions_on(world.user, world.p) == frozenset(ALL_PERMISSIONS)
    assert can(world.user, "update", world.org)


def test_manage_access_on_organization_adds_grants_on_every_node(world):
    admins = custom_group(world.org, world.user)
    grant_many(world.org, world.org, ACL_PERMISSIONS, group=admins)
    other = add_member(world.org)
    for name, node in every_node(world).items():
        acl_grant(actor=world.user, spec=spec_for(node, user=other, permission="read_acls"))
        assert can(other, "read_acls", node), name


def test_manage_access_on_one_project_does_not_reach_another(world):
    grant_many(world.org, world.p, ACL_PERMISSIONS, user=world.user)
    other = add_member(world.org)
    acl_grant(actor=world.user, spec=spec_for(world.e, user=other, permission="read"))
    with pytest.raises(NotFound):
        acl_grant(actor=world.user, spec=spec_for(world.q, user=other, permission="read"))


# Data inside objects


@pytest.mark.parametrize("name", ["E", "D", "P logs"])
def test_fetching_rows_needs_read_and_inserting_rows_needs_update_on_that_node(world, name):
    node = every_node(world)[name]
    reader, writer = add_member(world.org), add_member(world.org)
    grant(world.org, node, user=reader, permission="read")
    grant(world.org, node, user=writer, permission="update")
    require(reader, "read", node)
    _refusal_naming("update", lambda: require(reader, "update", node))
    require(writer, "update", node)
    _refusal_naming("read", lambda: require(writer, "read", node))


# A logging service account


def test_logging_service_account_with_only_update_on_project_log_does_exactly_that(world):
    robot = ServiceAccountFactory(service_account_org=world.org)
    grant(world.org, Node("project_log", world.p.pk), user=robot, permission="update")
    logs = Node("project_log", world.p.pk)
    require(robot, "update", logs)
    _refusal_naming("read", lambda: require(robot, "read", logs))
    for node in (world.p, world.e, Node("project_log", world.q.pk)):
        with pytest.raises(NotFound):
            require(robot, "update", node)
    with pytest.raises(AccessDenied):  # a member sees its organization, whatever it holds
        require(robot, "update", world.org)
    assert {name for name, node in every_node(world).items() if permissions_on(robot, node)} == {"P logs"}


# Revocation and the per-request cache


def test_revoked_grant_is_seen_by_the_next_check_in_the_same_request(world, request_scope):
    record = grant(world.org, world.p, user=world.user, permission="read")
    assert can(world.user, "read", world.e)
    acl_revoke(actor=owner_of(world.org), grant_id=record.id)
    assert not can(world.user, "read", world.e)


def test_removal_from_a_group_is_seen_by_the_next_check_in_the_same_request(world, request_scope):
    group = custom_group(world.org, world.user)
    grant(world.org, world.p, group=group, permission="read")
    assert can(world.user, "read", world.p)
    group_update(actor=owner_of(world.org), group=group, remove_member_users=[world.user.pk])
    assert not can(world.user, "read", world.p)


def test_repeated_check_in_a_request_costs_no_query_and_agrees_with_a_fresh_check(world):
    grant(world.org, world.p, user=world.user, permission="read")
    nodes = every_node(world)
    fresh = {name: permissions_on(world.user, node) for name, node in nodes.items()}
    with access_cache_scope():
        for node in nodes.values():
            permissions_on(world.user, node)
        with CaptureQueriesContext(connection) as again:
            cached = {name: permissions_on(world.user, node) for name, node in nodes.items()}
            assert can(world.user, "read", world.e)
    assert len(again) == 0
    assert cached == fresh


# The list filter and the has_perm backend agree with can()


def test_restrict_on_a_queryset_agrees_with_can_for_every_row(world):
    group = custom_group(world.org, world.user)
    grant(world.org, world.p, group=group, permission="read", restrict="experiment")
    grant(world.org, world.qe, user=world.user, role="viewer")
    for permission in ALL_PERMISSIONS:
        listed = set(restrict(Experiment.objects.all(), world.user, permission))
        assert listed == {e for e in Experiment.objects.all() if can(world.user, permission, e)}, permission
    assert set(restrict(Experiment.objects.all(), world.user, "read")) == {world.e, world.e2, world.qe}


def test_has_perm_answers_with_the_engine_for_concrete_and_virtual_types(world):
    grant(world.org, Node("project_log", world.p.pk), user=world.user, permission="read")
    grant(world.org, world.e, user=world.user, permission="update")
    assert world.user.has_perm("projects.read_project_log", world.p)
    assert not world.user.has_perm("projects.read_project", world.p)
    assert world.user.has_perm("projects.update_experiment", world.e)
    assert not world.user.has_perm("projects.update_experiment", world.e2)
    assert not world.user.has_perm("projects.update_experiment")


def test_every_object_type_of_the_contract_has_a_node_in_the_world(world):
    assert {node.type for node in every_node(world).values()} == set(ObjectType.values)
