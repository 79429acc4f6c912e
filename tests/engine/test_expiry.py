"""Grants, group memberships and group nestings that carry ``expires_at`` count until that instant and from
it on count for nothing, on the very next request, whether or not the cleanup job has removed them yet.

No version moves when a row expires, so these tests also hold the engine's fast paths to it: a context
kept in the shared cache and the granted ids a list kept there are taken only before the earliest expiry
they were read from. Time is moved by patching Django's clock, which the engine reads its instant from.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from accounts.models import Organization
from permissions.engine import Node, access_cache_scope, can, explain, restrict
from permissions.engine.context import _from_shared_cache
from permissions.models import GroupMembershipExpiry, GroupNesting
from projects.models import Experiment
from tests.access_helpers import custom_group, grant, raw_grant_expiry
from tests.factories import ExperimentFactory, OrganizationFactory, ProjectFactory, add_member

pytestmark = pytest.mark.django_db

AN_HOUR = timedelta(hours=1)


@contextmanager
def at(instant) -> Iterator[None]:
    with mock.patch("django.utils.timezone.now", return_value=instant):
        yield


def next_request(read: Callable):
    """`read` as a request runs it: with a memo of its own, over whatever the shared cache kept."""
    with access_cache_scope():
        return read()


def versions(org: Organization) -> tuple:
    org.refresh_from_db(fields=["access_version", "grants_version"])
    return org.access_version, org.grants_version


@pytest.fixture
def world():
    org = OrganizationFactory()
    project = ProjectFactory(org=org)
    experiment = ExperimentFactory(project=project)
    return org, project, experiment, add_member(org)


def _can_read(user, experiment) -> Callable[[], bool]:
    return lambda: can(user, "read", experiment)


def _listed(user) -> Callable[[], set]:
    return lambda: set(restrict(Experiment.objects.all(), user, "read", listing=True).values_list("pk", flat=True))


def test_a_group_membership_counts_until_it_expires_even_from_a_kept_context(world):
    org, _project, experiment, user = world
    group = custom_group(org, user)
    grant(org, org_project_of(org), group=group, permission="read")
    now = timezone.now()
    GroupMembershipExpiry.objects.create(user=user, group=group, expires_at=now + AN_HOUR)
    with at(now):
        assert next_request(_can_read(user, experiment))
        assert next_request(_listed(user)) == {experiment.pk}
    kept, before = _from_shared_cache(user), versions(org)
    assert kept is not None and kept[1].valid_until == now + AN_HOUR
    with at(now + AN_HOUR):
        assert not next_request(_can_read(user, experiment))
        assert next_request(_listed(user)) == set()
    assert versions(org) == before, "nothing was written: the expiry alone took the access away"


def test_a_nesting_counts_until_it_expires(world):
    org, _project, experiment, user = world
    inner, outer = custom_group(org, user), custom_group(org)
    grant(org, org_project_of(org), group=outer, permission="read")
    now = timezone.now()
    GroupNesting.objects.create(group=outer, member_group=inner, expires_at=now + AN_HOUR)
    with at(now):
        assert next_request(_can_read(user, experiment))
    with at(now + 2 * AN_HOUR):
        assert not next_request(_can_read(user, experiment))
        assert next_request(_listed(user)) == set()
        assert not explain(user, "read", node_of(experiment)).allowed


def test_a_grant_on_all_projects_counts_until_it_expires_even_from_a_kept_context(world):
    org, _project, experiment, user = world
    record = grant(org, org_project_of(org), user=user, permission="read")
    now = timezone.now()
    raw_grant_expiry(record, now + AN_HOUR)
    with at(now):
        assert next_request(_can_read(user, experiment))
    with at(now + AN_HOUR - timedelta(microseconds=1)):
        assert next_request(_can_read(user, experiment)), "it counts up to its instant"
    with at(now + AN_HOUR):
        assert not next_request(_can_read(user, experiment)), "and from that instant on, not"


def test_a_grant_on_a_project_counts_until_it_expires_even_in_a_kept_list(world):
    org, project, experiment, user = world
    other = ExperimentFactory(project=ProjectFactory(org=org))
    lasting = grant(org, other.project, user=user, permission="read")
    record = grant(org, project, user=user, permission="read")
    now = timezone.now()
    raw_grant_expiry(record, now + AN_HOUR)
    with at(now):
        assert next_request(_listed(user)) == {experiment.pk, other.pk}
        assert next_request(_listed(user)) == {experiment.pk, other.pk}  # from the ids kept by the first
    with at(now + AN_HOUR):
        assert next_request(_listed(user)) == {other.pk}
        assert not next_request(_can_read(user, experiment))
    assert lasting.expires_at is None


@pytest.mark.parametrize(
    "how",
    ["guardian grant on the object", "restricted grant on the project", "role grant on the project", "grant on the organization"],
)
def test_an_expired_grant_counts_for_nothing_before_the_cleanup_job_removes_it(world, how):
    org, project, experiment, user = world
    record = {
        "guardian grant on the object": lambda: grant(org, experiment, user=user, permission="read"),
        "restricted grant on the project": lambda: grant(org, project, user=user, permission="read", restrict="experiment"),
        "role grant on the project": lambda: grant(org, project, user=user, role="viewer"),
        "grant on the organization": lambda: grant(org, org, user=user, permission="read"),
    }[how]()
    raw_grant_expiry(record, timezone.now() - timedelta(seconds=1))
    assert not next_request(_can_read(user, experiment))
    assert next_request(_listed(user)) == set()
    why = explain(user, "read", node_of(experiment))
    assert not why.allowed and why.reasons == ()


def test_an_expiring_membership_of_another_principal_does_not_bound_this_ones_context(world):
    org, _project, experiment, user = world
    someone = add_member(org)
    group = custom_group(org, user, someone)
    grant(org, org_project_of(org), group=group, permission="read")
    GroupMembershipExpiry.objects.create(user=someone, group=group, expires_at=timezone.now() + AN_HOUR)
    assert next_request(_can_read(user, experiment))
    assert _from_shared_cache(user)[1].valid_until is None


def org_project_of(org: Organization) -> Node:
    return Node("org_project", org.pk)


def node_of(obj) -> Node:
    return Node.of(obj)
