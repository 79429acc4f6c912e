"""``restrict(..., node_type=...)``: rows restricted as the virtual nodes that hang on them agree with
asking the engine node by node."""

import pytest

from accounts.models import Organization
from permissions.engine import Node, can, restrict
from projects.models import Experiment, Project
from tests.access_helpers import custom_group, grant
from tests.factories import OrganizationFactory, ProjectFactory, add_member

pytestmark = pytest.mark.django_db


def test_projects_restricted_as_their_logs_are_those_whose_logs_can_be_read_one_by_one():
    org = OrganizationFactory()
    person = add_member(org)
    projects = ProjectFactory.create_batch(5, org=org)
    grant(org, Node("project_log", projects[0].pk), user=person, permission="read")
    grant(org, projects[1], user=person, permission="read")  # the project, and so its logs
    grant(org, projects[2], user=person, permission="read", restrict="experiment")  # not its logs
    grant(org, Node("org_project", org.pk), group=custom_group(org, person), permission="read", restrict="project_log")
    ProjectFactory(org=OrganizationFactory())  # another organization's
    slow = {p.pk for p in Project.objects.all() if can(person, "read", Node("project_log", p.pk))}
    fast = set(restrict(Project.objects.all(), person, node_type="project_log").values_list("pk", flat=True))
    assert fast == slow == {p.pk for p in projects}


@pytest.mark.parametrize("node_type", ["org_member", "org_audit_logs"])
def test_organizations_restricted_as_their_members_or_audit_log_agree_with_the_engine(node_type):
    mine, theirs, elsewhere = OrganizationFactory(), OrganizationFactory(), OrganizationFactory()
    person = add_member(mine, None, "engineers")
    add_member(theirs, person)
    grant(theirs, Node(node_type, theirs.pk), user=person, permission="read")
    slow = {o.pk for o in Organization.objects.all() if can(person, "read", Node(node_type, o.pk))}
    fast = set(restrict(Organization.objects.all(), person, node_type=node_type).values_list("pk", flat=True))
    assert fast == slow
    assert theirs.pk in fast and elsewhere.pk not in fast
    assert (mine.pk in fast) is (node_type == "org_member")  # Engineers read members, not the audit log


def test_rows_that_do_not_stand_for_that_node_type_are_refused():
    with pytest.raises(ValueError, match="do not stand for project_log"):
        restrict(Experiment.objects.all(), None, node_type="project_log")
