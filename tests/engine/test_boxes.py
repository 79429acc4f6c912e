"""The settings pages' permission boxes write exactly docs/access-model.md's canonical grants, read back grants
however they were made, and save atomically through the checked, audited grant service."""

import pytest

from permissions.boxes import (
    GROUP_ACCESS_BOXES,
    ORGANIZATION_BOXES,
    PROJECT_BOXES,
    Subject,
    object_boxes,
    save_boxes,
    ticked_boxes,
)
from permissions.engine import can
from permissions.engine.nodes import Node
from permissions.exceptions import AccessDenied, ValidationError
from permissions.grants import grant_records
from permissions.models import AuditEvent
from tests.access_helpers import custom_group, grant, row_counts
from tests.factories import DatasetFactory, ExperimentFactory, OrganizationFactory, ProjectFactory, add_member, builtin_group, owner_of

pytestmark = pytest.mark.django_db

ACLS = {"create_acls", "read_acls", "update_acls", "delete_acls"}


def _grants_of(subject_group):
    return {(r.object_type, r.permission, r.restrict_object_type) for r in grant_records(group_id=subject_group.pk)}


# docs/access-model.md, "What the pages write": each box and the grants it must write.
ORGANIZATION_TABLE = {
    "org_settings": {("organization", "update", "organization")},
    "org_invite": {("org_member", "create", None)},
    "org_remove": {("org_member", "delete", None)},
    "org_acls": {("organization", p, None) for p in ACLS},
    "org_audit": {("org_audit_logs", "read", None)},
    "projects_read": {("org_project", "read", None)},
    "projects_create": {("org_project", "create", None)},
    "projects_update": {("org_project", "update", None)},
    "projects_delete": {("org_project", "delete", None)},
    "projects_acls": {("org_project", p, None) for p in ACLS},
}


@pytest.mark.parametrize("key", sorted(ORGANIZATION_TABLE))
def test_each_organization_box_writes_its_canonical_grants(key):
    org = OrganizationFactory()
    group = custom_group(org, name="Auditors")
    save_boxes(actor=owner_of(org), box_set=ORGANIZATION_BOXES, subject=Subject(group_id=group.pk), target_id=org.pk, ticked=[key])
    assert _grants_of(group) == ORGANIZATION_TABLE[key]
    assert ticked_boxes(ORGANIZATION_BOXES, Subject(group_id=group.pk), org.pk) == {key}


def test_project_boxes_per_type_restrict_to_that_type():
    org = OrganizationFactory()
    project = ProjectFactory(org=org)
    experiment, dataset = ExperimentFactory(project=project), DatasetFactory(project=project)
    member = add_member(org)
    save_boxes(
        actor=owner_of(org),
        box_set=PROJECT_BOXES,
        subject=Subject(user_id=member.pk),
        target_id=project.pk,
        ticked=["experiment_update", "experiment_read", "project_log_update"],
    )
    assert {(r.permission, r.restrict_object_type) for r in grant_records(user_id=member.pk)} == {
        ("update", "experiment"),
        ("read", "experiment"),
        ("update", "project_log"),
    }
    assert can(member, "update", experiment) and not can(member, "update", dataset)
    assert can(member, "update", Node("project_log", project.pk)) and not can(member, "update", project)


def test_boxes_read_back_grants_made_through_the_api_and_clearing_removes_them():
    org = OrganizationFactory()
    experiment = ExperimentFactory(project=ProjectFactory(org=org))
    member = add_member(org)
    for permission in ACLS:
        grant(org, experiment, user=member, permission=permission)
    grant(org, experiment, user=member, permission="read")
    subject = Subject(user_id=member.pk)
    boxes = object_boxes("experiment")
    assert ticked_boxes(boxes, subject, experiment.pk) == {"acls", "read"}
    save_boxes(actor=owner_of(org), box_set=boxes, subject=subject, target_id=experiment.pk, ticked=["read"])
    assert {r.permission for r in grant_records(user_id=member.pk)} == {"read"}


def test_a_box_half_granted_is_not_ticked():
    org = OrganizationFactory()
    group = custom_group(org, name="Half")
    grant(org, org, group=group, permission="create_acls")
    assert ticked_boxes(ORGANIZATION_BOXES, Subject(group_id=group.pk), org.pk) == set()


def test_saving_boxes_without_manage_access_writes_nothing():
    org = OrganizationFactory()
    project = ProjectFactory(org=org)
    engineer = add_member(org, None, "engineers")
    target = custom_group(org, name="Target")
    before = row_counts()
    with pytest.raises(AccessDenied):
        save_boxes(
            actor=engineer,
            box_set=PROJECT_BOXES,
            subject=Subject(group_id=target.pk),
            target_id=project.pk,
            ticked=["project_read", "project_update"],
        )
    assert row_counts() == before


def test_saving_is_audited_once_per_grant_and_unchanged_boxes_write_nothing():
    org = OrganizationFactory()
    group = custom_group(org, name="Readers")
    owner = owner_of(org)
    subject = Subject(group_id=group.pk)
    save_boxes(actor=owner, box_set=GROUP_ACCESS_BOXES, subject=subject, target_id=group.pk, ticked=["read", "acls"])
    assert AuditEvent.objects.filter(action="acl.create").count() == 5
    before = row_counts()
    save_boxes(actor=owner, box_set=GROUP_ACCESS_BOXES, subject=subject, target_id=group.pk, ticked=["acls", "read"])
    assert row_counts() == before


def test_the_owners_group_s_organization_boxes_cannot_be_saved_and_nothing_is_written():
    org = OrganizationFactory()
    owners = Subject(group_id=builtin_group(org, "owners").pk)
    before = row_counts()
    with pytest.raises(ValidationError, match="cannot be changed"):
        save_boxes(actor=owner_of(org), box_set=ORGANIZATION_BOXES, subject=owners, target_id=org.pk, ticked=["org_audit"])
    assert row_counts() == before


def test_an_unknown_box_is_refused():
    org = OrganizationFactory()
    with pytest.raises(ValueError, match="fly"):
        save_boxes(
            actor=owner_of(org),
            box_set=ORGANIZATION_BOXES,
            subject=Subject(group_id=custom_group(org).pk),
            target_id=org.pk,
            ticked=["fly"],
        )


def test_manage_access_boxes_are_marked_as_a_super_user_ability():
    for box_set in (ORGANIZATION_BOXES, PROJECT_BOXES, object_boxes("dataset"), GROUP_ACCESS_BOXES):
        for box in box_set.boxes:
            if box.label == "Manage access":
                assert "grant themselves anything" in box.help
