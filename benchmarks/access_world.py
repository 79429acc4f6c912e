"""A generated organization with a chosen number of grants, for comparing the engine with guardian.

The grants are real rows of the data model's own tables: guardian's direct user and group tables for
plain grants on experiments and ``AclGrant`` for restricted grants on projects, spread over many users,
groups, projects and experiments so that the measured principals' rows are a small part of the whole.

Three principals are measured, all with read on the same experiments:

* ``group_reader``, a direct member of the group that holds the grants;
* ``nested_reader``, a member of the innermost of a chain of nested groups whose outermost holds them;
* ``flat_reader``, the same access for guardian, which knows no nesting: a direct member of every
  group of that chain.
"""

import itertools
import random
from dataclasses import dataclass

from django.contrib.auth.models import Group as AuthGroup
from django.contrib.auth.models import Permission
from django.db import connection

from accounts.models import Membership, Organization, User
from accounts.services.organizations import organization_create
from permissions.models import AclGrant, GroupNesting, PermissionGroup
from projects.models import Experiment, ExperimentGroupObjectPermission, ExperimentUserObjectPermission, Project

BATCH = 5000
NESTING_DEPTH = 4
PLAIN_PERMISSIONS = ("read", "update", "delete")


@dataclass(frozen=True)
class AccessWorld:
    org: Organization
    owner: User
    group_reader: User
    nested_reader: User
    flat_reader: User
    readable: list[Experiment]  # the experiments the three readers may read, loaded
    experiments: int
    grants: int


def _permissions() -> dict[str, Permission]:
    codenames = [f"{permission}_experiment" for permission in PLAIN_PERMISSIONS]
    return {p.codename.split("_")[0]: p for p in Permission.objects.filter(codename__in=codenames)}


def _groups(org: Organization, count: int, prefix: str) -> list[PermissionGroup]:
    auth_groups = AuthGroup.objects.bulk_create([AuthGroup(name=f"{prefix}-{org.pk}-{i}") for i in range(count)])
    return PermissionGroup.objects.bulk_create(
        [PermissionGroup(org=org, name=f"{prefix} {i}", auth_group=auth_group) for i, auth_group in enumerate(auth_groups)]
    )


def _members(org: Organization, count: int, prefix: str) -> list[User]:
    users = User.objects.bulk_create([User(email=f"{prefix}-{i}@bench.example.com") for i in range(count)], batch_size=BATCH)
    Membership.objects.bulk_create([Membership(org=org, user=user) for user in users], batch_size=BATCH)
    return users


def build_access_world(*, grants: int, seed: int = 7) -> AccessWorld:
    """About `grants` grant rows in a new organization (the caller rolls it back or deletes it)."""
    rng = random.Random(seed)  # noqa: S311 (a repeatable world, not a secret)
    owner = User.objects.create_user(email="bench-owner@bench.example.com")
    org = organization_create(name=f"Access comparison {grants}", owner=owner)
    experiments_count = max(1000, grants // 10)
    projects = Project.objects.bulk_create([Project(org=org, name=f"project {i}") for i in range(max(10, grants // 5000))])
    experiments = Experiment.objects.bulk_create(
        [Experiment(project=projects[i % len(projects)], name=f"experiment {i}") for i in range(experiments_count)], batch_size=BATCH
    )
    permissions = _permissions()

    # The measured principals and what they read: a tenth of the experiments, at most 1,000.
    group_reader, nested_reader, flat_reader = _members(org, 3, "reader")
    holder = _groups(org, 1, "readers")[0]
    chain = _groups(org, NESTING_DEPTH, "nested")  # chain[0] ⊂ chain[1] ⊂ … ⊂ chain[-1]
    GroupNesting.objects.bulk_create([GroupNesting(group=outer, member_group=inner) for inner, outer in itertools.pairwise(chain)])
    memberships = [(group_reader, holder), (nested_reader, chain[0]), *((flat_reader, group) for group in chain)]
    AuthGroup.user_set.through.objects.bulk_create(
        [AuthGroup.user_set.through(user_id=user.pk, group_id=group.auth_group_id) for user, group in memberships]
    )
    readable = rng.sample(experiments, min(1000, experiments_count // 10))
    measured = [
        ExperimentGroupObjectPermission(group_id=group.auth_group_id, permission=permissions["read"], content_object=experiment)
        for experiment in readable
        for group in (holder, chain[-1])
    ]
    ExperimentGroupObjectPermission.objects.bulk_create(measured, batch_size=BATCH)
    add_background_grants(org, projects, experiments, max(0, grants - len(measured)), rng=rng, prefix="member")
    loaded = list(Experiment.objects.filter(pk__in=[e.pk for e in readable]).select_related("project"))
    return AccessWorld(org, owner, group_reader, nested_reader, flat_reader, loaded, experiments_count, grants)


def add_background_grants(
    org: Organization, projects: list[Project], experiments: list[Experiment], grants: int, *, rng: random.Random, prefix: str
) -> list[User]:
    """About `grants` grant rows to other members and groups of `org`, so that a measured principal's rows
    are a small part of the grant tables: half to users and four tenths to groups, on the experiments, and
    a tenth restricted to experiments, on the projects. The new members are returned (the caller deletes
    them with the organization); the tables are analyzed afterwards.
    """
    people = _members(org, max(100, grants // 100), prefix)
    user_rows, group_rows = grants // 2, grants * 4 // 10
    acl_rows = grants - user_rows - group_rows
    pairs = len(experiments) * len(PLAIN_PERMISSIONS)  # the distinct grants one subject can hold on experiments
    groups = _groups(org, max(50, -(-group_rows // pairs)), f"{prefix} team")
    AuthGroup.user_set.through.objects.bulk_create(
        [AuthGroup.user_set.through(user_id=user.pk, group_id=rng.choice(groups).auth_group_id) for user in people], batch_size=BATCH
    )
    permissions = _permissions()
    _bulk(
        ExperimentUserObjectPermission,
        (
            ExperimentUserObjectPermission(user=people[k % len(people)], permission=permissions[perm], content_object=experiment)
            for k, (experiment, perm) in enumerate(_distinct_pairs(experiments, user_rows, len(people)))
        ),
    )
    _bulk(
        ExperimentGroupObjectPermission,
        (
            ExperimentGroupObjectPermission(
                group_id=groups[k % len(groups)].auth_group_id, permission=permissions[perm], content_object=experiment
            )
            for k, (experiment, perm) in enumerate(_distinct_pairs(experiments, group_rows, len(groups)))
        ),
    )
    _bulk(
        AclGrant,
        (
            AclGrant(
                org=org,
                object_type="project",
                object_id=projects[k % len(projects)].pk,
                user=people[k // len(projects) % len(people)],
                permission="read",
                restrict_object_type="experiment",
            )
            for k in range(min(acl_rows, len(projects) * len(people)))
        ),
    )
    _analyze()
    return people


def _distinct_pairs(experiments: list[Experiment], count: int, subjects: int):
    """`count` (experiment, permission) pairs such that, with subject k % subjects, no grant repeats."""
    per_pass = len(experiments) * len(PLAIN_PERMISSIONS)
    for k in range(count):
        slot = (k // subjects) % per_pass
        yield experiments[slot % len(experiments)], PLAIN_PERMISSIONS[slot // len(experiments)]


def _bulk(model, rows) -> None:
    while batch := list(itertools.islice(rows, BATCH)):
        model.objects.bulk_create(batch)


def _analyze() -> None:
    """Give PostgreSQL's planner the world's real sizes (statistics are otherwise those of an empty table)."""
    if connection.vendor != "postgresql":
        return
    tables = [AclGrant, ExperimentUserObjectPermission, ExperimentGroupObjectPermission, Experiment, Project, Membership, GroupNesting]
    with connection.cursor() as cursor:
        for model in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        cursor.execute(f"ANALYZE {connection.ops.quote_name(AuthGroup.user_set.through._meta.db_table)}")
