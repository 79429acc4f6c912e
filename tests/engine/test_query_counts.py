"""What the access engine costs in queries, and that its per-request cache never hides a revocation.

* one check (`can`) costs at most two queries (the principal's context, then the node's chain), whatever
  the depth of nested groups or roles and whatever the number of grants;
* a repeated check inside `access_cache_scope()` costs none;
* `restrict(...)` on a list costs the same fixed number of queries at 1 and at 500 rows, and a list of nodes
  below projects to page (``listing``) reads the ids granted at its levels once per request;
* a grant revoked by the service inside a scope is seen by the very next check;
* `user.has_perm(...)` gives the same answers as `can`, virtual types included;
* who holds anything on a node (`access_on`) costs what who holds one permission (`holders`) costs.
"""

import pytest
from django.contrib.auth.models import Group as AuthGroup
from django.db import connection
from django.test.utils import CaptureQueriesContext

from permissions.engine import access_cache_scope, access_on, can, can_create_in, holders, permissions_on, restrict
from permissions.engine.nodes import Node
from permissions.models import AclGrant, GroupNesting, PermissionGroup
from permissions.services.grants import GrantSpec, acl_grant, acl_revoke
from permissions.services.groups import group_create
from permissions.services.roles import role_create, system_role
from permissions.types import ALL_PERMISSIONS
from projects.models import Experiment
from tests.factories import (
    OBJECT_FACTORIES,
    DatasetFactory,
    ExperimentFactory,
    OrganizationFactory,
    ProjectFactory,
    UserFactory,
    add_member,
    owner_of,
)

pytestmark = pytest.mark.django_db

MAX_QUERIES_PER_CHECK = 2  # the principal's context (memberships, groups, roles), then the node's chain
RESTRICT_QUERIES = 2  # the principal's context, then the filtered list itself
LISTING_QUERIES = 3  # the context, the ids granted at each level of a list of nodes below projects, the list


@pytest.fixture
def org():
    return OrganizationFactory(owner=UserFactory(password=None))


@pytest.fixture
def owner(org):
    return owner_of(org)


@pytest.fixture
def member(org):
    """A plain member: in no group, holding nothing until a test grants it something."""
    return add_member(org, UserFactory(password=None))


@pytest.fixture
def project(org):
    return ProjectFactory(org=org)


@pytest.fixture
def experiment(project):
    return ExperimentFactory(project=project)


def grant(owner, node, **what):
    """A grant written by the service, as the organization's owner (so it lands in its real store)."""
    node = Node.of(node)
    return acl_grant(actor=owner, spec=GrantSpec(object_type=node.type, object_id=node.id, **what))


def nested_groups(owner, org, member, depth: int) -> PermissionGroup:
    """`depth` groups, each containing the previous one; the first contains `member`. Returns the outermost."""
    group = group_create(actor=owner, org=org, name="level 1", member_users=[member.pk])
    for level in range(2, depth + 1):
        group = group_create(actor=owner, org=org, name=f"level {level}", member_groups=[group.pk])
    return group


def nested_roles(owner, org, depth: int):
    """`depth` roles, each inheriting the previous one; only the first holds a pair. Returns the outermost."""
    role = role_create(actor=owner, org=org, name="role 1", member_permissions=[("update", "experiment")])
    for level in range(2, depth + 1):
        role = role_create(actor=owner, org=org, name=f"role {level}", member_roles=[role.pk])
    return role


# One check: at most two queries.


@pytest.mark.parametrize("depth", [1, 10])
def test_a_check_costs_at_most_two_queries_whatever_the_depth_of_nested_groups(
    org, owner, member, project, experiment, depth, django_assert_max_num_queries
):
    outermost = nested_groups(owner, org, member, depth)
    grant(owner, project, group_id=outermost.pk, permission="read")  # guardian's group table
    grant(owner, project, group_id=outermost.pk, permission="update", restrict_object_type="experiment")  # AclGrant
    with django_assert_max_num_queries(MAX_QUERIES_PER_CHECK):
        assert can(member, "read", experiment)
    with django_assert_max_num_queries(MAX_QUERIES_PER_CHECK):
        assert can(member, "update", experiment)
    with django_assert_max_num_queries(MAX_QUERIES_PER_CHECK):
        assert not can(member, "update", Node("project_log", project.pk))
    with django_assert_max_num_queries(MAX_QUERIES_PER_CHECK):
        assert not can(member, "delete", experiment)


@pytest.mark.parametrize("depth", [1, 10])
def test_a_check_costs_at_most_two_queries_whatever_the_depth_of_nested_roles(
    org, owner, member, project, experiment, depth, django_assert_max_num_queries
):
    outermost = nested_roles(owner, org, depth)
    grant(owner, project, user_id=member.pk, role_id=outermost.pk)
    dataset = DatasetFactory(project=project)
    with django_assert_max_num_queries(MAX_QUERIES_PER_CHECK):
        assert can(member, "update", experiment)
    with django_assert_max_num_queries(MAX_QUERIES_PER_CHECK):
        assert not can(member, "update", dataset)  # the pair is restricted to experiments
    with django_assert_max_num_queries(MAX_QUERIES_PER_CHECK):
        assert can_create_in(member, "experiment", project) is False


@pytest.mark.parametrize("grants", [1, 300])
def test_a_check_costs_at_most_two_queries_whatever_the_number_of_grants(
    org, owner, member, project, experiment, grants, django_assert_max_num_queries
):
    # `grants` groups containing the member, each holding a restricted grant on the project (AclGrant),
    # and direct grants to the member on up to 20 other experiments (guardian's tables).
    auth_groups = AuthGroup.objects.bulk_create([AuthGroup(name=f"permission-group:bulk-{i}") for i in range(grants)])
    groups = PermissionGroup.objects.bulk_create(
        [PermissionGroup(org=org, name=f"bulk {i}", auth_group=auth_group) for i, auth_group in enumerate(auth_groups)]
    )
    member.groups.add(*auth_groups)
    AclGrant.objects.bulk_create(
        [
            AclGrant(
                org=org, object_type="project", object_id=project.pk, group=group, permission="read", restrict_object_type="experiment"
            )
            for group in groups
        ]
    )
    others = ExperimentFactory.create_batch(min(grants, 20), project=project)
    for other in others:
        grant(owner, other, user_id=member.pk, permission="update")
    assert AclGrant.objects.filter(object_id=project.pk).count() >= grants
    with django_assert_max_num_queries(MAX_QUERIES_PER_CHECK):
        assert can(member, "read", experiment)
    with django_assert_max_num_queries(MAX_QUERIES_PER_CHECK):
        assert not can(member, "update", experiment)
    with django_assert_max_num_queries(MAX_QUERIES_PER_CHECK):
        assert can(member, "update", others[0])


def test_a_repeated_check_inside_a_request_scope_costs_no_query(org, owner, member, project, experiment, django_assert_num_queries):
    grant(owner, project, user_id=member.pk, role_id=system_role("engineer").pk)
    with access_cache_scope():
        first = {p: can(member, p, experiment) for p in ALL_PERMISSIONS}
        created = can_create_in(member, "dataset", project)
        with django_assert_num_queries(0):
            assert {p: can(member, p, experiment) for p in ALL_PERMISSIONS} == first
            assert can_create_in(member, "dataset", project) == created
            assert permissions_on(member, experiment) == {p for p, held in first.items() if held}
    assert first == {p: p in ("create", "read", "update", "delete") for p in ALL_PERMISSIONS}
    assert created


# restrict: a fixed number of queries whatever the number of rows.


def _experiments_with_some_readable(org, owner, member, rows: int):
    """`rows` readable experiments in one project, and as many unreadable ones in another."""
    readable, hidden = ProjectFactory(org=org), ProjectFactory(org=org)
    Experiment.objects.bulk_create([Experiment(project=readable, name=f"e{i}") for i in range(rows)])
    Experiment.objects.bulk_create([Experiment(project=hidden, name=f"e{i}") for i in range(rows)])
    group = group_create(actor=owner, org=org, name="readers", member_users=[member.pk])
    grant(owner, readable, group_id=group.pk, permission="read", restrict_object_type="experiment")
    return readable


@pytest.mark.parametrize("rows", [1, 500])
def test_restrict_on_a_list_costs_a_fixed_number_of_queries_at_1_and_500_rows(org, owner, member, rows, django_assert_num_queries):
    readable = _experiments_with_some_readable(org, owner, member, rows)
    with django_assert_num_queries(RESTRICT_QUERIES):
        listed = list(restrict(Experiment.objects.all(), member, "read"))
    assert len(listed) == rows
    assert {e.project_id for e in listed} == {readable.pk}
    with django_assert_num_queries(LISTING_QUERIES):
        assert len(list(restrict(Experiment.objects.all(), member, "read", listing=True))) == rows
    with access_cache_scope():
        can(member, "read", readable)  # loads the principal's context once for the scope
        with django_assert_num_queries(1):
            assert restrict(Experiment.objects.all(), member, "read").count() == rows
        with django_assert_num_queries(2):  # the granted ids, read once for the request, and the count
            assert restrict(Experiment.objects.all(), member, "read", listing=True).count() == rows
        with django_assert_num_queries(1):
            assert len(list(restrict(Experiment.objects.all(), member, "read", listing=True)[:10])) == min(rows, 10)


def test_restrict_costs_the_same_number_of_queries_for_1_row_as_for_500(org, owner, member):
    small, large = ProjectFactory(org=org), ProjectFactory(org=org)
    Experiment.objects.bulk_create([Experiment(project=small, name="only")])
    Experiment.objects.bulk_create([Experiment(project=large, name=f"e{i}") for i in range(500)])
    group = group_create(actor=owner, org=org, name="readers", member_users=[member.pk])
    for project in (small, large):
        grant(owner, project, group_id=group.pk, permission="read", restrict_object_type="experiment")

    def cost(project, rows: int, listing: bool) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert len(list(restrict(Experiment.objects.filter(project=project), member, "read", listing=listing))) == rows
        return len(queries)

    assert cost(small, 1, False) == cost(large, 500, False) == RESTRICT_QUERIES
    assert cost(small, 1, True) == cost(large, 500, True) == LISTING_QUERIES


# Revocation inside a request scope.


@pytest.mark.parametrize(
    "what",
    [
        {"permission": "read"},  # a guardian grant
        {"permission": "read", "restrict_object_type": "experiment"},  # an AclGrant
        {"role_id": "viewer"},  # an AclGrant of a role
    ],
    ids=["direct-permission", "restricted-permission", "role"],
)
def test_a_grant_revoked_by_the_service_is_seen_by_the_next_check_in_the_same_scope(
    org, owner, member, project, experiment, what, django_assert_num_queries
):
    if "role_id" in what:
        what = {"role_id": system_role(what["role_id"]).pk}
    with access_cache_scope():
        record = grant(owner, project, user_id=member.pk, **what)
        assert can(member, "read", experiment)
        with django_assert_num_queries(0):
            assert can(member, "read", experiment)  # served from the scope's cache
        assert [e.pk for e in restrict(Experiment.objects.all(), member, "read")] == [experiment.pk]
        acl_revoke(actor=owner, grant_id=record.id)
        assert not can(member, "read", experiment)
        assert not permissions_on(member, experiment)
        assert list(restrict(Experiment.objects.all(), member, "read")) == []
    assert not can(member, "read", experiment)


def test_a_group_grant_revoked_by_the_service_is_seen_by_the_next_check_in_the_same_scope(org, owner, member, project, experiment):
    outermost = nested_groups(owner, org, member, 3)
    with access_cache_scope():
        record = grant(owner, Node("org_project", org.pk), group_id=outermost.pk, permission="create")
        assert can_create_in(member, "project", Node("org_project", org.pk))
        assert can(member, "create", experiment)
        acl_revoke(actor=owner, grant_id=record.id)
        assert not can_create_in(member, "project", Node("org_project", org.pk))
        assert not can(member, "create", experiment)


# has_perm answers with the engine.


def test_has_perm_agrees_with_can_for_concrete_and_virtual_types(org, owner, member, project, experiment):
    dataset, prompt, playground = (OBJECT_FACTORIES[kind](project=project) for kind in ("dataset", "prompt", "prompt_session"))
    other_experiment = ExperimentFactory(project=ProjectFactory(org=org))
    group = group_create(actor=owner, org=org, name="support", member_users=[member.pk])
    grant(owner, experiment, user_id=member.pk, permission="read")
    grant(owner, project, group_id=group.pk, permission="update", restrict_object_type="dataset")
    grant(owner, Node("org_member", org.pk), group_id=group.pk, permission="delete")
    grant(owner, Node("project_log", project.pk), user_id=member.pk, permission="read")
    grant(owner, playground, user_id=member.pk, role_id=system_role("viewer").pk)
    grant(owner, group, user_id=member.pk, permission="update")

    cases = [
        ("projects.read_experiment", experiment, Node.of(experiment)),
        ("projects.read_experiment", other_experiment, Node.of(other_experiment)),
        ("projects.update_experiment", experiment, Node.of(experiment)),
        ("projects.update_dataset", dataset, Node.of(dataset)),
        ("projects.update_prompt", prompt, Node.of(prompt)),
        ("projects.read_prompt_session", playground, Node.of(playground)),
        ("projects.read_project", project, Node.of(project)),
        ("projects.read_project_log", project, Node("project_log", project.pk)),
        ("projects.update_project_log", project, Node("project_log", project.pk)),
        ("accounts.delete_org_member", org, Node("org_member", org.pk)),
        ("accounts.create_org_member", org, Node("org_member", org.pk)),
        ("accounts.read_org_audit_logs", org, Node("org_audit_logs", org.pk)),
        ("accounts.update_organization", org, Node.of(org)),
        ("permissions.update_group", group, Node.of(group)),
    ]

    def action(perm: str, node: Node) -> str:
        return perm.split(".")[1].removesuffix(f"_{node.type}")

    for user in (member, owner):
        answers = [(perm, node, user.has_perm(perm, obj)) for perm, obj, node in cases]
        assert answers == [(perm, node, can(user, action(perm, node), node)) for perm, _, node in cases], user
    assert [(perm, node) for perm, obj, node in cases if member.has_perm(perm, obj)] == [
        ("projects.read_experiment", Node.of(experiment)),
        ("projects.update_dataset", Node.of(dataset)),
        ("projects.read_prompt_session", Node.of(playground)),
        ("projects.read_project_log", Node("project_log", project.pk)),
        ("accounts.delete_org_member", Node("org_member", org.pk)),
        ("permissions.update_group", Node.of(group)),
    ]
    assert all(owner.has_perm(perm, obj) for perm, obj, _ in cases)
    # A codename about another type than the object's, or no object at all, is a plain no.
    assert not member.has_perm("projects.read_experiment", dataset)
    assert not member.has_perm("projects.read_experiment")


def test_everyone_on_a_node_costs_what_one_permissions_holders_cost_whatever_their_number(org, owner, project):
    """access_on answers for the eight permissions from one load of the graph and one read of the grants:
    the queries of holders() for one permission, at one principal and at many, nested deep."""
    experiment = ExperimentFactory(project=project)

    def costs() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as one_permission:
            holders("read", experiment)
        with CaptureQueriesContext(connection) as every_permission:
            everyone = access_on(experiment)
        assert everyone
        return len(one_permission), len(every_permission)

    few = costs()
    assert few[0] == few[1]
    outer = group_create(actor=owner, org=org, name="Outer")
    acl_grant(actor=owner, spec=GrantSpec(object_type="project", object_id=project.pk, group_id=outer.pk, permission="update"))
    previous = outer
    for depth in range(6):
        inner = group_create(actor=owner, org=org, name=f"Inner {depth}")
        GroupNesting.objects.create(group=previous, member_group=inner)
        previous = inner
    for _ in range(10):
        previous.auth_group.user_set.add(add_member(org, UserFactory(password=None)))
    assert costs() == few
