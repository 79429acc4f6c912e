"""How restrict states a list of nodes below projects (permissions/engine/lists.py), and that each way
gives the rows can() allows.

A principal's grants at the levels of such a list to page (``listing``: the node itself, its project) are
read first: where they fit, the list's statement names the granted ids; where the principal was granted more of the nodes
themselves than fit, the list finds its rows from the grants' subqueries. Both must list exactly what
can() allows, and a change of grants inside a request must be seen by the next list.
"""

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from permissions.engine import access_cache_scope, can, lists, restrict
from permissions.models import AclGrant
from permissions.services.grants import acl_revoke
from permissions.types import ALL_PERMISSIONS
from projects.models import Experiment
from tests.access_helpers import custom_group, grant, raw_acl_grant, raw_guardian_grant
from tests.factories import ExperimentFactory, OrganizationFactory, ProjectFactory, add_member, owner_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader_world():
    """A reader granted read on every experiment of P through a group, and one experiment of Q directly."""
    org = OrganizationFactory()
    p, q = ProjectFactory(org=org, name="P"), ProjectFactory(org=org, name="Q")
    in_p = [ExperimentFactory(project=p) for _ in range(3)]
    in_q = [ExperimentFactory(project=q) for _ in range(3)]
    reader = add_member(org)
    grant(org, p, group=custom_group(org, reader), permission="read", restrict="experiment")
    grant(org, in_q[0], user=reader, role="viewer")
    return org, reader, in_p, in_q


def listed(principal, permission: str = "read") -> set[Experiment]:
    return set(restrict(Experiment.objects.all(), principal, permission, listing=True))


def allowed(principal, permission: str = "read") -> set[Experiment]:
    return {experiment for experiment in Experiment.objects.all() if can(principal, permission, experiment)}


def test_a_list_naming_the_granted_ids_gives_what_can_allows(reader_world):
    _, reader, in_p, in_q = reader_world
    assert listed(reader) == {*in_p, in_q[0]}
    for permission in ALL_PERMISSIONS:
        assert listed(reader, permission) == allowed(reader, permission), permission


def test_a_list_of_more_granted_nodes_than_fit_finds_its_rows_from_the_grants_and_gives_the_same(reader_world):
    _, reader, in_p, in_q = reader_world
    for experiment in in_q[1:]:
        grant(reader_world[0], experiment, user=reader, permission="read")
    with mock.patch.object(lists, "INLINE_OWN_IDS", 2):
        assert listed(reader) == {*in_p, *in_q}
        for permission in ALL_PERMISSIONS:
            assert listed(reader, permission) == allowed(reader, permission), permission


def test_the_list_names_the_granted_ids_instead_of_selecting_them_when_they_fit(reader_world):
    _, reader, _, _ = reader_world
    with CaptureQueriesContext(connection) as queries:
        list(restrict(Experiment.objects.all(), reader, listing=True))
    assert AclGrant._meta.db_table not in queries.captured_queries[-1]["sql"]
    with mock.patch.object(lists, "INLINE_OWN_IDS", 0), CaptureQueriesContext(connection) as queries:
        list(restrict(Experiment.objects.all(), reader, listing=True))
    assert AclGrant._meta.db_table in queries.captured_queries[-1]["sql"]
    with CaptureQueriesContext(connection) as queries:
        list(restrict(Experiment.objects.all(), reader))  # a lookup or a subquery: no ids read first
    assert len(queries) == 2 and AclGrant._meta.db_table in queries.captured_queries[-1]["sql"]


def test_a_grant_revoked_inside_a_request_leaves_the_next_list_of_the_request(reader_world):
    org, reader, in_p, in_q = reader_world
    direct = AclGrant.objects.get(user=reader, object_id=in_q[0].pk)
    with access_cache_scope():
        assert listed(reader) == {*in_p, in_q[0]}
        acl_revoke(actor=owner_of(org), grant_id=direct.pk)
        assert listed(reader) == set(in_p)


def test_a_grant_made_inside_a_request_reaches_the_next_list_of_the_request(reader_world):
    org, reader, in_p, in_q = reader_world
    with access_cache_scope():
        assert listed(reader) == {*in_p, in_q[0]}
        grant(org, in_q[1], user=reader, permission="read")
        assert listed(reader) == {*in_p, in_q[0], in_q[1]}


def test_levels_without_grants_drop_out_of_the_list(reader_world):
    org, _, in_p, _ = reader_world
    project_reader = add_member(org)
    grant(org, in_p[0].project, user=project_reader, permission="read")
    assert listed(project_reader) == set(in_p)
    nobody = add_member(org)
    with CaptureQueriesContext(connection) as queries:
        assert listed(nobody) == set()
    assert len(queries) == 2  # the context and the granted ids: a list of nothing is not sent


# The granted ids kept across requests


def listed_in_a_request(principal, permission: str = "read") -> set[Experiment]:
    with access_cache_scope():
        return listed(principal, permission)


def test_the_next_request_takes_the_granted_ids_from_the_shared_cache_and_lists_the_same(reader_world):
    _, reader, in_p, in_q = reader_world
    assert listed_in_a_request(reader) == {*in_p, in_q[0]}
    with CaptureQueriesContext(connection) as queries:
        assert listed_in_a_request(reader) == {*in_p, in_q[0]}
    assert len(queries) == 2  # the versions of the cached context, then the list: no ids read
    assert listed_in_a_request(reader, "update") == allowed(reader, "update")  # kept by permission: read anew


def test_a_grant_revoked_through_the_service_leaves_the_next_requests_list(reader_world):
    org, reader, in_p, in_q = reader_world
    assert listed_in_a_request(reader) == {*in_p, in_q[0]}
    acl_revoke(actor=owner_of(org), grant_id=AclGrant.objects.get(user=reader, object_id=in_q[0].pk).pk)
    assert listed_in_a_request(reader) == set(in_p)


@pytest.mark.parametrize("store", ["guardian", "acl"])
def test_a_grant_written_or_deleted_without_the_services_reaches_the_next_requests_list(reader_world, store):
    """The version the kept ids are stamped with moves in the database, whatever writes the grant."""
    org, reader, in_p, in_q = reader_world
    assert listed_in_a_request(reader) == {*in_p, in_q[0]}
    if store == "guardian":
        row = raw_guardian_grant(in_q[1], "read", user=reader)
        expected = {*in_p, in_q[0], in_q[1]}
    else:
        row = raw_acl_grant(org, in_q[1].project, user=reader, permission="read", restrict="experiment")
        expected = {*in_p, *in_q}
    assert listed_in_a_request(reader) == expected
    type(row).objects.filter(pk=row.pk).delete()
    assert listed_in_a_request(reader) == {*in_p, in_q[0]}


def test_leaving_the_group_that_holds_the_grants_empties_the_next_requests_list(reader_world):
    _, reader, in_p, in_q = reader_world
    assert listed_in_a_request(reader) == {*in_p, in_q[0]}
    for group in reader.groups.all():
        group.user_set.remove(reader)
    assert listed_in_a_request(reader) == {in_q[0]}
