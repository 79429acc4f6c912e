"""docs/access-model.md, "What the pages write": each settings box's canonical grants give what the box says.

The grants are made through `acl_grant` to a custom group, as the pages would write them, and the test
checks the ability the box names and that nothing beyond it comes with them.
"""

from types import SimpleNamespace

import pytest

from accounts.services.members import member_invite, member_remove
from accounts.services.organizations import organization_update
from permissions.engine import can, can_create_in, permissions_on
from permissions.engine.nodes import Node
from permissions.exceptions import AccessDenied, NotFound
from permissions.services.grants import acl_grant
from permissions.services.groups import group_delete, group_update
from permissions.types import ALL_PERMISSIONS
from projects.services import object_create, project_create, project_delete, project_update
from tests.access_helpers import ACL_PERMISSIONS, custom_group, grant, grant_many, spec_for
from tests.factories import OrganizationFactory, ServiceAccountFactory, add_member, builtin_group, owner_of, two_projects

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    org = OrganizationFactory()
    # Without creator grants, whatever the member creates gives it nothing beyond the box under test.
    org = organization_update(actor=owner_of(org), org=org, create_direct_ownership_grants=False)
    user = add_member(org)
    return SimpleNamespace(
        **vars(two_projects(org)),
        user=user,
        group=custom_group(org, user, name="Box holders"),
        other=add_member(org),
    )


def holding(w) -> dict[str, frozenset[str]]:
    """What the user holds on each node, leaving out nodes where it holds nothing."""
    nodes = {
        "organization": w.org,
        "org_member": Node("org_member", w.org.pk),
        "org_audit_logs": Node("org_audit_logs", w.org.pk),
        "org_project": Node("org_project", w.org.pk),
        "group": w.group,
        "P": w.p,
        "P logs": Node("project_log", w.p.pk),
        "E": w.e,
        "D": w.d,
        "prompt": w.prompt,
        "playground": w.session,
        "Q": w.q,
        "QE": w.qe,
    }
    held = {name: permissions_on(w.user, node) for name, node in nodes.items()}
    return {name: perms for name, perms in held.items() if perms}


# Group "Permissions" dialog, organization level


def test_manage_settings_box_gives_update_on_the_organization_only(w):
    grant(w.org, w.org, group=w.group, permission="update", restrict="organization")
    assert holding(w) == {"organization": {"update"}}
    organization_update(actor=w.user, org=w.org, realtime_url="https://rt.example.com")


def test_manage_members_invite_box_gives_create_on_org_member_only(w):
    grant(w.org, Node("org_member", w.org.pk), group=w.group, permission="create")
    assert holding(w) == {"org_member": {"create"}}
    member_invite(actor=w.user, org=w.org, email="new@example.com")


def test_remove_members_box_gives_delete_on_org_member_only(w):
    grant(w.org, Node("org_member", w.org.pk), group=w.group, permission="delete")
    assert holding(w) == {"org_member": {"delete"}}
    member_remove(actor=w.user, org=w.org, user=w.other)


def test_manage_access_box_gives_the_four_acl_permissions_everywhere(w):
    grant_many(w.org, w.org, ACL_PERMISSIONS, group=w.group)
    held = holding(w)
    assert set(held) == {"organization", "org_member", "org_audit_logs", "group"} | {
        "org_project",
        "P",
        "P logs",
        "E",
        "D",
        "prompt",
        "playground",
        "Q",
        "QE",
    }
    assert all(perms == set(ACL_PERMISSIONS) for perms in held.values())
    acl_grant(actor=w.user, spec=spec_for(w.qe, user=w.other, permission="read"))


def test_read_audit_logs_box_gives_read_on_the_audit_log_only(w):
    grant(w.org, Node("org_audit_logs", w.org.pk), group=w.group, permission="read")
    assert holding(w) == {"org_audit_logs": {"read"}}


@pytest.mark.parametrize("permission", ["read", "create", "update", "delete"])
def test_all_projects_box_gives_that_permission_on_every_project_and_its_contents(w, permission):
    grant(w.org, Node("org_project", w.org.pk), group=w.group, permission=permission)
    assert holding(w) == {name: {permission} for name in ("org_project", "P", "P logs", "E", "D", "prompt", "playground", "Q", "QE")}


def test_all_projects_create_box_lets_its_holder_create_projects(w):
    grant(w.org, Node("org_project", w.org.pk), group=w.group, permission="create")
    project = project_create(actor=w.user, org=w.org, name="new")
    assert permissions_on(w.user, project) == {"create"}


def test_all_projects_update_and_delete_boxes_let_their_holder_change_and_delete_any_project(w):
    grant_many(w.org, Node("org_project", w.org.pk), ["update", "delete"], group=w.group)
    project_update(actor=w.user, project=w.q, description="changed")
    project_delete(actor=w.user, project=w.q)


def test_all_projects_manage_access_box_gives_acl_permissions_on_projects_not_the_organization(w):
    grant_many(w.org, Node("org_project", w.org.pk), ACL_PERMISSIONS, group=w.group)
    held = holding(w)
    assert set(held) == {"org_project", "P", "P logs", "E", "D", "prompt", "playground", "Q", "QE"}
    acl_grant(actor=w.user, spec=spec_for(w.q, user=w.other, permission="read"))
    with pytest.raises(AccessDenied):  # the organization is visible to its members, its grants are not theirs to change
        acl_grant(actor=w.user, spec=spec_for(w.org, user=w.other, permission="read"))


# Project "Permissions"


@pytest.mark.parametrize("permission", ALL_PERMISSIONS)
def test_project_box_gives_that_permission_on_the_project_and_everything_in_it(w, permission):
    grant(w.org, w.p, group=w.group, permission=permission)
    assert holding(w) == {name: {permission} for name in ("P", "P logs", "E", "D", "prompt", "playground")}


@pytest.mark.parametrize(
    ("restrict", "name"),
    [("experiment", "E"), ("dataset", "D"), ("project_log", "P logs"), ("prompt", "prompt"), ("prompt_session", "playground")],
)
@pytest.mark.parametrize("permission", ["read", "update", "delete", "create_acls"])
def test_project_box_for_one_kind_of_object_gives_that_permission_on_that_kind_only(w, restrict, name, permission):
    grant(w.org, w.p, group=w.group, permission=permission, restrict=restrict)
    assert holding(w) == {name: {permission}}


@pytest.mark.parametrize("object_type", ["experiment", "dataset", "prompt", "prompt_session"])
def test_project_create_box_for_one_kind_of_object_lets_its_holder_create_that_kind_in_that_project(w, object_type):
    grant(w.org, w.p, group=w.group, permission="create", restrict=object_type)
    grant(w.org, w.p, group=w.group, permission="read")
    object_create(actor=w.user, project=w.p, object_type=object_type, name="new")
    other_type = "dataset" if object_type != "dataset" else "experiment"
    assert not can_create_in(w.user, other_type, w.p)
    assert not can_create_in(w.user, object_type, w.q)


# Object "Permissions" and Group "Group access"


@pytest.mark.parametrize("permission", ["read", "update", "delete", *ACL_PERMISSIONS])
@pytest.mark.parametrize("name", ["E", "D", "prompt", "playground"])
def test_object_box_gives_that_permission_on_that_object_only(w, permission, name):
    obj = {"E": w.e, "D": w.d, "prompt": w.prompt, "playground": w.session}[name]
    grant(w.org, obj, group=w.group, permission=permission)
    assert holding(w) == {name: {permission}}


@pytest.mark.parametrize("subject", ["group", "member", "service account"])
def test_group_access_box_lets_groups_members_and_service_accounts_edit_a_group(w, subject):
    target = custom_group(w.org, name="Target")
    principal = {"group": w.user, "member": w.other, "service account": ServiceAccountFactory(service_account_org=w.org)}[subject]
    holder = {"group": {"group": w.group}}.get(subject, {"user": principal})
    grant_many(w.org, target, ["read", "update"], **holder)
    group_update(actor=principal, group=target, add_member_users=[principal.pk], description="edited")
    with pytest.raises(AccessDenied) as denied:
        group_delete(actor=principal, group=target)
    assert denied.value.permission == "delete"
    grant(w.org, target, permission="delete", **holder)
    group_delete(actor=principal, group=target)


def test_group_access_box_on_one_group_gives_nothing_on_the_builtin_groups(w):
    grant_many(w.org, w.group, ["read", "update", "delete", *ACL_PERMISSIONS], group=w.group)
    assert not can(w.user, "read", builtin_group(w.org, "owners"))
    with pytest.raises(NotFound):
        group_update(actor=w.user, group=builtin_group(w.org, "owners"), add_member_users=[w.user.pk])
