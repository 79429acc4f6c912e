"""permissions.services.grants and the AclGrant table: docs/access-model.md, "Grants".

Where a grant lives is the engine's business (docs/access-engine.md, "Where a grant lives"): a plain
permission on a concrete object in that model's guardian tables, everything else in AclGrant.
"""

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management.sql import emit_post_migrate_signal
from django.db import IntegrityError, transaction
from django.utils import timezone
from guardian.core import ObjectPermissionChecker
from guardian.shortcuts import get_groups_with_perms, get_perms, get_users_with_perms
from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

from permissions import permission_rows
from permissions.engine import can
from permissions.engine.nodes import Node, model_for_type
from permissions.exceptions import AccessDenied, NotFound, ValidationError
from permissions.grants import grant_records
from permissions.models import AclGrant, AuditEvent
from permissions.permission_rows import permission_row
from permissions.services.grants import GrantSpec, acl_batch_update, acl_grant, acl_revoke, acl_revoke_matching
from permissions.services.roles import system_role
from permissions.types import ALL_PERMISSIONS, codename
from projects.models import Project
from tests.access_helpers import ACL_PERMISSIONS, custom_group, custom_role, grant, grant_many, raw_acl_grant, row_counts, spec_for
from tests.factories import (
    OBJECT_FACTORIES,
    OrganizationFactory,
    ProjectFactory,
    ServiceAccountFactory,
    UserFactory,
    add_member,
    builtin_group,
    owner_of,
)

pytestmark = pytest.mark.django_db

CONCRETE_OBJECTS = {
    "organization": lambda org: org,
    "group": lambda org: custom_group(org),
    "role": lambda org: custom_role(org, "Role"),
    "project": lambda org: ProjectFactory(org=org),
    **{kind: lambda org, make=factory: make(project=ProjectFactory(org=org)) for kind, factory in OBJECT_FACTORIES.items()},
}
VIRTUAL_NODES = {
    "org_member": lambda org: Node("org_member", org.pk),
    "org_audit_logs": lambda org: Node("org_audit_logs", org.pk),
    "org_project": lambda org: Node("org_project", org.pk),
    "project_log": lambda org: Node("project_log", ProjectFactory(org=org).pk),
}


def _guardian_rows() -> int:
    counts = row_counts()
    return sum(n for label, n in counts.items() if label.endswith("ObjectPermission"))


def _node_and_member(nodes: dict, object_type: str):
    """A new organization, its node of `object_type` made by `nodes`, and a member holding nothing on it."""
    org = OrganizationFactory()
    return org, nodes[object_type](org), add_member(org)


def _granted_outside(other_store: Callable[[], int], org, node, **spec):
    """The owner grants `spec` on `node`, and `other_store` (the rows of the store the grant does not
    belong in) counts the same after as before. Returns the grant's record."""
    rows = other_store()
    record = acl_grant(actor=owner_of(org), spec=spec_for(node, **spec))
    assert other_store() == rows
    return record


# Where grants are stored


@pytest.mark.parametrize("object_type", sorted(CONCRETE_OBJECTS))
def test_unrestricted_user_grant_on_a_concrete_object_is_stored_where_guardian_sees_it(object_type):
    org, obj, user = _node_and_member(CONCRETE_OBJECTS, object_type)
    record = _granted_outside(AclGrant.objects.count, org, obj, user=user, permission="update")
    codename = f"update_{object_type}"
    assert get_user_obj_perms_model(obj).objects.filter(pk=record.id, user=user, content_object_id=obj.pk).exists()
    assert codename in get_perms(user, obj)
    assert ObjectPermissionChecker(user).has_perm(codename, obj)
    assert codename in get_users_with_perms(obj, attach_perms=True, with_group_users=False)[user]
    assert (record.user_id, record.permission, record.restrict_object_type, record.in_guardian) == (user.pk, "update", None, True)
    assert can(user, "update", obj)


@pytest.mark.parametrize("object_type", sorted(CONCRETE_OBJECTS))
def test_unrestricted_group_grant_on_a_concrete_object_is_stored_where_guardian_sees_it(object_type):
    org, obj, user = _node_and_member(CONCRETE_OBJECTS, object_type)
    group = custom_group(org, user)
    record = _granted_outside(AclGrant.objects.count, org, obj, group=group, permission="delete_acls")
    codename = f"delete_acls_{object_type}"
    assert get_group_obj_perms_model(obj).objects.filter(pk=record.id, group=group.auth_group).exists()
    assert codename in get_groups_with_perms(obj, attach_perms=True)[group.auth_group]
    assert codename in get_perms(user, obj)
    assert user in get_users_with_perms(obj, with_group_users=True)
    assert record.group_id == group.pk
    assert can(user, "delete_acls", obj)


@pytest.mark.parametrize("object_type", sorted(VIRTUAL_NODES))
def test_grant_on_a_virtual_node_is_stored_in_acl_grant(object_type):
    org, node, user = _node_and_member(VIRTUAL_NODES, object_type)
    record = _granted_outside(_guardian_rows, org, node, user=user, permission="read")
    row = AclGrant.objects.get(pk=record.id)
    assert (row.object_type, row.object_id, row.user, row.permission, row.org) == (object_type, node.id, user, "read", org)
    assert can(user, "read", node)


def test_role_grant_and_restricted_grant_on_a_concrete_object_are_stored_in_acl_grant():
    org = OrganizationFactory()
    project = ProjectFactory(org=org)
    user = add_member(org)
    guardian_rows = _guardian_rows()
    by_role = acl_grant(actor=owner_of(org), spec=spec_for(project, user=user, role="viewer"))
    restricted = acl_grant(actor=owner_of(org), spec=spec_for(project, user=user, permission="update", restrict="experiment"))
    assert _guardian_rows() == guardian_rows
    assert AclGrant.objects.get(pk=by_role.id).role == system_role("viewer")
    assert AclGrant.objects.get(pk=restricted.id).restrict_object_type == "experiment"
    assert "read_project" not in get_perms(user, project)  # guardian cannot express them: they are not its rows
    assert (by_role.in_guardian, restricted.in_guardian) == (False, False)


def test_grant_records_reads_both_stores_as_one_list():
    org = OrganizationFactory()
    project = ProjectFactory(org=org)
    user = add_member(org)
    made = {
        grant(org, project, user=user, permission="read").id,
        grant(org, project, user=user, permission="read", restrict="dataset").id,
        grant(org, Node("project_log", project.pk), user=user, permission="update").id,
    }
    assert {r.id for r in grant_records(org_id=org.pk, user_id=user.pk)} == made
    assert {r.id for r in grant_records(nodes=[Node.of(project), Node("project_log", project.pk)])} == made


# Identical grants

# A grant on a project of each way it is stored, by id.
STORED_SPECS = {
    "guardian-user": lambda org, user, project: spec_for(project, user=user, permission="read"),
    "guardian-group": lambda org, user, project: spec_for(project, group=builtin_group(org, "viewers"), permission="update"),
    "role": lambda org, user, project: spec_for(project, user=user, role="engineer"),
    "restricted": lambda org, user, project: spec_for(project, user=user, permission="read", restrict="experiment"),
}


def each_way_stored(virtual):
    """Parametrize `make` over STORED_SPECS and `virtual`, a grant on a virtual node."""
    return pytest.mark.parametrize("make", [*STORED_SPECS.values(), virtual], ids=[*STORED_SPECS, "virtual"])


def spec_for_a_new_member(make) -> tuple:
    """A new organization, and `make`'s spec for a new member of it on a new project of it."""
    org = OrganizationFactory()
    project, user = ProjectFactory(org=org), add_member(org)
    return org, make(org, user, project)


@each_way_stored(virtual=lambda org, user, project: spec_for(Node("org_project", org.pk), user=user, permission="create"))
def test_identical_grant_returns_the_existing_one_without_a_duplicate_or_an_event(make):
    org, spec = spec_for_a_new_member(make)
    first = acl_grant(actor=owner_of(org), spec=spec)
    before = row_counts()
    again = acl_grant(actor=owner_of(org), spec=spec)
    assert again == first
    assert row_counts() == before


def test_grants_that_differ_only_in_restriction_are_distinct():
    org = OrganizationFactory()
    project, user = ProjectFactory(org=org), add_member(org)
    ids = {grant(org, project, user=user, permission="read", restrict=r).id for r in (None, "experiment", "dataset")}
    assert len(ids) == 3


# Invalid input


def _valid(org, user):
    return {"object_type": "project", "object_id": str(ProjectFactory(org=org).pk), "user_id": str(user.pk), "permission": "read"}


INVALID = {
    "unknown object type": {"object_type": "folder"},
    "missing object type": {"object_type": None},
    "unknown permission": {"permission": "own"},
    "unknown restriction": {"restrict_object_type": "folder"},
    "user and group": {"group_id": "GROUP"},
    "neither user nor group": {"user_id": None},
    "permission and role": {"role_id": "ROLE"},
    "neither permission nor role": {"permission": None},
    "role with restriction": {"permission": None, "role_id": "ROLE", "restrict_object_type": "experiment"},
    "object id not a uuid": {"object_id": "not-a-uuid"},
    "user id not a uuid": {"user_id": "42"},
    "group id not a uuid": {"user_id": None, "group_id": "viewers"},
    "role id not a uuid": {"permission": None, "role_id": "owner"},
    "missing object id": {"object_id": None},
    "unknown field": {"deny": True},
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_grant_is_refused_with_a_validation_error_and_writes_nothing(case):
    org = OrganizationFactory()
    user = add_member(org)
    data = _valid(org, user)
    for key, value in INVALID[case].items():
        data[key] = {"GROUP": str(builtin_group(org, "viewers").pk), "ROLE": str(system_role("viewer").pk)}.get(value, value)
    before = row_counts()
    with pytest.raises(ValidationError):
        acl_grant(actor=owner_of(org), spec=GrantSpec.from_dict(data))
    assert row_counts() == before


def test_empty_restriction_in_input_means_unrestricted():
    org = OrganizationFactory()
    user = add_member(org)
    data = {**_valid(org, user), "restrict_object_type": ""}
    record = acl_grant(actor=owner_of(org), spec=GrantSpec.from_dict(data))
    assert record.restrict_object_type is None and record.in_guardian


@pytest.mark.parametrize("subject", ["user", "service account", "group", "role"])
def test_subject_of_another_organization_is_refused_and_writes_nothing(subject):
    org, other = OrganizationFactory(), OrganizationFactory()
    project = ProjectFactory(org=org)
    foreign = {
        "user": lambda: {"user": owner_of(other), "permission": "read"},
        "service account": lambda: {"user": ServiceAccountFactory(service_account_org=other), "permission": "read"},
        "group": lambda: {"group": builtin_group(other, "owners"), "permission": "read"},
        "role": lambda: {"user": add_member(org), "role": custom_role(other, "Foreign")},
    }[subject]()
    before = row_counts()
    with pytest.raises(ValidationError, match="of this organization"):
        acl_grant(actor=owner_of(org), spec=spec_for(project, **foreign))
    assert row_counts() == before


def test_grant_to_a_person_who_is_not_a_member_is_refused():
    org = OrganizationFactory()
    stranger = UserFactory()
    before = row_counts()
    with pytest.raises(ValidationError, match="not a member"):
        grant(org, org, user=stranger, permission="read")
    assert row_counts() == before


def test_grant_on_a_node_that_does_not_exist_is_not_found_and_writes_nothing():
    org = OrganizationFactory()
    user = add_member(org)
    before = row_counts()
    for node in (Node("project", uuid.uuid4()), Node("project_log", uuid.uuid4()), Node("org_member", uuid.uuid4())):
        with pytest.raises(NotFound):
            acl_grant(actor=owner_of(org), spec=spec_for(node, user=user, permission="read"))
    assert row_counts() == before


def test_grant_on_another_organizations_node_is_not_found_for_the_actor():
    org, other = OrganizationFactory(), OrganizationFactory()
    before = row_counts()
    with pytest.raises(NotFound):
        acl_grant(actor=owner_of(org), spec=spec_for(ProjectFactory(org=other), user=owner_of(other), permission="read"))
    after = row_counts()
    assert after.pop("projects.Project") == before.pop("projects.Project") + 1
    assert after == before


# Who may grant and revoke


def test_granting_needs_create_acls_on_the_node():
    org = OrganizationFactory()
    project = ProjectFactory(org=org)
    manager, other = add_member(org), add_member(org)
    grant_many(org, project, ["read", "read_acls", "update_acls", "delete_acls"], user=manager)
    with pytest.raises(AccessDenied) as denied:
        acl_grant(actor=manager, spec=spec_for(project, user=other, permission="read"))
    assert denied.value.permission == "create_acls"
    grant(org, project, user=manager, permission="create_acls")
    acl_grant(actor=manager, spec=spec_for(project, user=other, permission="read"))


def test_revoking_needs_delete_acls_on_the_node():
    org = OrganizationFactory()
    project = ProjectFactory(org=org)
    manager, other = add_member(org), add_member(org)
    grant(org, project, user=manager, permission="create_acls")
    record = acl_grant(actor=manager, spec=spec_for(project, user=other, permission="read"))
    with pytest.raises(AccessDenied) as denied:
        acl_revoke(actor=manager, grant_id=record.id)
    assert denied.value.permission == "delete_acls"
    grant(org, project, user=manager, permission="delete_acls")
    acl_revoke(actor=manager, grant_id=record.id)


def test_revoking_another_organizations_grant_is_not_found():
    org, other = OrganizationFactory(), OrganizationFactory()
    record = grant(other, ProjectFactory(org=other), user=owner_of(other), permission="read")
    with pytest.raises(NotFound):
        acl_revoke(actor=owner_of(org), grant_id=record.id)
    assert grant_records(ids=[record.id])


# Revoking


@each_way_stored(virtual=lambda org, user, project: spec_for(Node("project_log", project.pk), user=user, permission="read"))
def test_revoke_by_id_and_by_matching_spec_remove_exactly_that_grant(make):
    org, spec = spec_for_a_new_member(make)
    before = row_counts()
    record = acl_grant(actor=owner_of(org), spec=spec)
    acl_revoke(actor=owner_of(org), grant_id=record.id)
    assert grant_records(ids=[record.id]) == []
    again = acl_grant(actor=owner_of(org), spec=spec)
    removed = acl_revoke_matching(actor=owner_of(org), spec=spec)
    assert removed.id == again.id
    after = row_counts()
    assert after.pop("permissions.AuditEvent") == before.pop("permissions.AuditEvent") + 4
    assert after == before


def test_revoking_a_grant_that_does_not_exist_is_not_found():
    org = OrganizationFactory()
    user = add_member(org)
    with pytest.raises(NotFound):
        acl_revoke(actor=owner_of(org), grant_id=uuid.uuid4())
    with pytest.raises(NotFound):
        acl_revoke_matching(actor=owner_of(org), spec=spec_for(org, user=user, permission="read"))


def test_revoked_grant_no_longer_gives_access():
    org = OrganizationFactory()
    project, user = ProjectFactory(org=org), add_member(org)
    record = grant(org, project, user=user, role="owner")
    assert can(user, "delete", project)
    acl_revoke(actor=owner_of(org), grant_id=record.id)
    assert not can(user, "delete", project)


# Batches


def test_batch_adds_and_removes_together():
    org = OrganizationFactory()
    project, user = ProjectFactory(org=org), add_member(org)
    old = grant(org, project, user=user, permission="read")
    events = AuditEvent.objects.count()
    added, removed = acl_batch_update(
        actor=owner_of(org),
        add=[spec_for(project, user=user, permission="update"), spec_for(Node("project_log", project.pk), user=user, permission="read")],
        remove=[spec_for(project, user=user, permission="read")],
    )
    assert [r.id for r in removed] == [old.id]
    assert {r.permission for r in added} == {"update", "read"}
    assert {r.id for r in grant_records(org_id=org.pk, user_id=user.pk)} == {r.id for r in added}
    assert AuditEvent.objects.count() == events + 3


@pytest.mark.parametrize("bad", ["invalid item", "foreign subject", "missing node", "invalid removal", "no permission"])
def test_batch_with_one_bad_item_writes_nothing(bad):
    org, other = OrganizationFactory(), OrganizationFactory()
    project, user = ProjectFactory(org=org), add_member(org)
    foreign_project = ProjectFactory(org=other)
    good = [spec_for(project, user=user, permission="update"), spec_for(project, user=user, role="viewer")]
    removable = grant(org, project, user=user, permission="read", restrict="dataset")
    remove = [spec_for(project, user=user, permission="read", restrict="dataset")]
    add = list(good)
    if bad == "invalid item":
        add.append(GrantSpec(object_type="project", object_id=project.pk, user_id=user.pk, permission="own"))
    elif bad == "foreign subject":
        add.append(spec_for(project, user=owner_of(other), permission="read"))
    elif bad == "missing node":
        add.append(spec_for(Node("experiment", uuid.uuid4()), user=user, permission="read"))
    elif bad == "invalid removal":
        remove.append(GrantSpec(object_type="project", object_id=project.pk, user_id=user.pk, permission="own"))
    else:
        add.append(spec_for(foreign_project, user=user, permission="read"))
    before = row_counts()
    with pytest.raises((ValidationError, NotFound, AccessDenied)):
        acl_batch_update(actor=owner_of(org), add=add, remove=remove)
    assert row_counts() == before
    assert grant_records(ids=[removable.id])


# The table refuses bad rows by itself


@pytest.fixture
def rows():
    org = OrganizationFactory()
    project = ProjectFactory(org=org)
    return {"org": org, "project": project, "user": add_member(org), "group": custom_group(org), "role": system_role("viewer")}


def _insert(r, **fields):
    values = {"org": r["org"], "object_type": "org_project", "object_id": r["org"].pk, "user": r["user"], "permission": "read"}
    values.update(fields)
    with transaction.atomic():
        return AclGrant.objects.create(**values)


@pytest.mark.parametrize(
    "fields",
    [
        {"user": "USER", "group": "GROUP"},
        {"user": None, "group": None},
        {"permission": "read", "role": "ROLE"},
        {"permission": None, "role": None},
        {"permission": None, "role": "ROLE", "restrict_object_type": "experiment"},
        {"object_type": "folder"},
        {"permission": "own"},
        {"restrict_object_type": "folder"},
        {"object_type": "project", "object_id": "PROJECT"},
        {"object_type": "organization", "object_id": "ORG", "permission": "update"},
    ],
    ids=[
        "user-and-group",
        "no-subject",
        "permission-and-role",
        "neither-permission-nor-role",
        "restriction-with-role",
        "unknown-object-type",
        "unknown-permission",
        "unknown-restriction",
        "plain-grant-on-project",
        "plain-grant-on-organization",
    ],
)
def test_acl_grant_table_refuses_bad_rows(rows, fields):
    substitutes = {"USER": rows["user"], "GROUP": rows["group"], "ROLE": rows["role"], "PROJECT": rows["project"].pk, "ORG": rows["org"].pk}
    fields = {k: substitutes.get(v, v) if isinstance(v, str) else v for k, v in fields.items()}
    with pytest.raises(IntegrityError):
        _insert(rows, **fields)
    assert AclGrant.objects.filter(user=rows["user"]).count() == 0


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"permission": "read", "restrict_object_type": "project"},
        {"user": None, "group": "GROUP"},
        {"permission": None, "role": "ROLE"},
        {"user": None, "group": "GROUP", "permission": None, "role": "ROLE"},
    ],
    ids=["user-permission", "user-restricted", "group-permission", "user-role", "group-role"],
)
def test_acl_grant_table_refuses_duplicates(rows, fields):
    fields = {k: {"GROUP": rows["group"], "ROLE": rows["role"]}.get(v, v) if isinstance(v, str) else v for k, v in fields.items()}
    _insert(rows, **fields)
    with pytest.raises(IntegrityError):
        _insert(rows, **fields)


def test_acl_grant_table_accepts_what_guardian_cannot_hold(rows):
    _insert(rows, object_type="project", object_id=rows["project"].pk, restrict_object_type="experiment")
    _insert(rows, object_type="project", object_id=rows["project"].pk, permission=None, role=rows["role"])
    _insert(rows, object_type="project_log", object_id=rows["project"].pk)
    for permission in ALL_PERMISSIONS:
        _insert(rows, object_type="org_member", permission=permission)


def test_raw_rows_written_for_tests_pass_the_same_constraints(rows):
    raw_acl_grant(rows["org"], Node("org_project", rows["org"].pk), user=rows["user"], permission="update")
    with pytest.raises(IntegrityError), transaction.atomic():
        raw_acl_grant(rows["org"], rows["project"], user=rows["user"], permission="update")


def test_manage_access_grants_of_a_group_are_four_rows():
    org = OrganizationFactory()
    admins = custom_group(org)
    records = grant_many(org, org, ACL_PERMISSIONS, group=admins)
    assert {r.permission for r in records} == set(ACL_PERMISSIONS)
    assert all(r.in_guardian for r in records)


# The answer a grant is made with, read from the row written, agrees with the grant read back


@pytest.mark.parametrize("object_type", sorted(CONCRETE_OBJECTS))
@pytest.mark.parametrize(
    "grantee",
    [{"permission": "update"}, {"permission": "read", "restrict": "experiment"}, {"role": "engineer"}],
    ids=["plain", "restricted", "role"],
)
@pytest.mark.parametrize("subject", ["user", "group"])
def test_the_answer_of_a_new_grant_is_the_grant_as_read_back(object_type, grantee, subject):
    org, obj, user = _node_and_member(CONCRETE_OBJECTS, object_type)
    who = {"user": user} if subject == "user" else {"group": custom_group(org, user)}
    expiry = {"expires_at": timezone.now() + timedelta(days=3)} if subject == "group" else {}
    spec = replace(spec_for(obj, **who, **grantee), **expiry)
    record = acl_grant(actor=owner_of(org), spec=spec)
    (read_back,) = grant_records(ids=[record.id], include_expired=True)
    assert record == read_back


def test_each_permission_row_kept_for_the_process_is_the_one_the_database_holds():
    for object_type in sorted(CONCRETE_OBJECTS):
        content_type = ContentType.objects.get_for_model(model_for_type(object_type))
        for permission in ALL_PERMISSIONS:
            kept = permission_row(object_type, permission)
            assert kept == Permission.objects.get(content_type=content_type, codename=codename(permission, object_type))
            assert kept.content_type == content_type


def test_the_permission_rows_kept_are_forgotten_when_the_database_is_migrated_or_flushed(monkeypatch):
    permission_row("project", "read")  # kept
    stale = Permission(pk=-1, codename="read_project", content_type=ContentType.objects.get_for_model(Project))
    monkeypatch.setitem(permission_rows._rows, ("project", "read"), stale)
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert permission_row("project", "read").pk == Permission.objects.get(codename="read_project").pk
