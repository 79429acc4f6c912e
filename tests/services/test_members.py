"""accounts.services.members: inviting, accepting, adding and removing members.

docs/access-model.md: "Manage members (invite)" is create on org_member, "Remove members" is delete on
org_member; putting someone in a group is updating that group; removing someone in Owners also needs
update on Owners; an organization always keeps a direct member of Owners.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import ApiKey, Invitation, Membership, User
from accounts.services.credentials import api_key_create, authenticate_token, service_account_create, service_token_create
from accounts.services.members import (
    invitation_accept,
    invitation_revoke,
    member_invite,
    member_invite_user,
    member_remove,
    people_with_ids,
)
from permissions.engine import can, permissions_on
from permissions.engine.nodes import Node
from permissions.exceptions import AccessDenied, NotFound, ValidationError
from permissions.grants import grant_records
from permissions.selectors import member_user_ids
from tests.access_helpers import (
    custom_group,
    grant,
    nest,
    row_counts,
)
from tests.factories import OrganizationFactory, ProjectFactory, UserFactory, add_member, builtin_group, owner_of

pytestmark = pytest.mark.django_db


def inviter(org, *groups):
    """A member holding only "Manage members (invite)" (plus membership of `groups`)."""
    person = add_member(org, None, *groups)
    grant(org, Node("org_member", org.pk), user=person, permission="create")
    return person


def remover(org, *groups):
    """A member holding only "Remove members" (plus membership of `groups`)."""
    person = add_member(org, None, *groups)
    grant(org, Node("org_member", org.pk), user=person, permission="delete")
    return person


# Inviting


def test_manage_members_invite_alone_invites_into_the_organization():
    org = OrganizationFactory()
    invitation = member_invite(actor=inviter(org), org=org, email="  New.Person@Example.COM ")
    assert (invitation.org, invitation.email, invitation.is_pending) == (org, "new.person@example.com", True)
    assert not invitation.groups.exists()


def test_manage_members_invite_alone_cannot_invite_into_owners():
    org = OrganizationFactory()
    person = inviter(org)
    before = row_counts()
    with pytest.raises(NotFound):  # it holds nothing on the Owners group, so Owners is "not found" to it
        member_invite(actor=person, org=org, email="new@example.com", group_ids=[builtin_group(org, "owners").pk])
    assert row_counts() == before


def test_inviter_who_can_see_groups_is_denied_update_on_each_group_invited_into():
    org = OrganizationFactory()
    person = inviter(org, "viewers")
    before = row_counts()
    for kind in ("owners", "engineers", "viewers"):
        with pytest.raises(AccessDenied) as denied:
            member_invite(actor=person, org=org, email="new@example.com", group_ids=[builtin_group(org, kind).pk])
        assert denied.value.permission == "update"
    assert row_counts() == before


def test_inviter_with_update_on_a_group_invites_into_it_but_not_into_another_at_the_same_time():
    org = OrganizationFactory()
    person = inviter(org)
    team = custom_group(org)
    grant(org, team, user=person, permission="update")
    before = row_counts()
    with pytest.raises(NotFound):
        member_invite(actor=person, org=org, email="new@example.com", group_ids=[team.pk, builtin_group(org, "owners").pk])
    assert row_counts() == before
    invitation = member_invite(actor=person, org=org, email="new@example.com", group_ids=[team.pk])
    assert list(invitation.groups.all()) == [team]


def test_owner_invites_into_owners():
    org = OrganizationFactory()
    invitation = member_invite(actor=owner_of(org), org=org, email="new@example.com", group_ids=[builtin_group(org, "owners").pk])
    assert list(invitation.groups.all()) == [builtin_group(org, "owners")]


def test_inviting_needs_create_on_org_member():
    org = OrganizationFactory()
    viewer, stranger = add_member(org, None, "viewers"), UserFactory()
    with pytest.raises(AccessDenied) as denied:
        member_invite(actor=viewer, org=org, email="new@example.com")
    assert denied.value.permission == "create"
    with pytest.raises(NotFound):
        member_invite(actor=stranger, org=org, email="new@example.com")
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("case", ["bad email", "already a member", "already invited", "foreign group"])
def test_refused_invitation_writes_nothing(case):
    org, other = OrganizationFactory(), OrganizationFactory()
    member = add_member(org)
    member_invite(actor=owner_of(org), org=org, email="pending@example.com")
    email, groups = {
        "bad email": ("not an email", []),
        "already a member": (member.email.upper(), []),
        "already invited": ("Pending@example.com", []),
        "foreign group": ("new@example.com", [builtin_group(other, "viewers").pk]),
    }[case]
    before = row_counts()
    with pytest.raises(ValidationError):
        member_invite(actor=owner_of(org), org=org, email=email, group_ids=groups)
    assert row_counts() == before


def test_an_expired_invitation_can_be_replaced_by_a_new_one():
    org = OrganizationFactory()
    old = member_invite(actor=owner_of(org), org=org, email="new@example.com")
    Invitation.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    new = member_invite(actor=owner_of(org), org=org, email="new@example.com")
    assert new.is_pending
    old.refresh_from_db()
    assert old.revoked_at is not None


# Accepting


def test_accepting_joins_the_organization_and_the_invited_groups():
    org = OrganizationFactory()
    team = custom_group(org)
    project = ProjectFactory(org=org)
    grant(org, project, group=team, permission="update")
    invitation = member_invite(actor=owner_of(org), org=org, email="new@example.com", group_ids=[builtin_group(org, "viewers").pk, team.pk])
    person = UserFactory(email="new@example.com")
    membership = invitation_accept(user=person, invitation=invitation)
    assert membership.org == org and membership.user == person
    assert set(person.groups.values_list("permission_group__name", flat=True)) == {"Viewers", team.name}
    assert permissions_on(person, project) == {"read", "update"}
    invitation.refresh_from_db()
    assert invitation.accepted_by == person and invitation.accepted_at is not None and not invitation.is_pending


def test_accepting_someone_elses_invitation_is_refused():
    org = OrganizationFactory()
    invitation = member_invite(actor=owner_of(org), org=org, email="new@example.com")
    before = row_counts()
    with pytest.raises(ValidationError):
        invitation_accept(user=UserFactory(email="other@example.com"), invitation=invitation)
    after = row_counts()
    after.pop("accounts.User"), before.pop("accounts.User")
    assert after == before


@pytest.mark.parametrize("state", ["expired", "revoked", "accepted"])
def test_invitation_that_is_no_longer_pending_is_refused(state):
    org = OrganizationFactory()
    invitation = member_invite(actor=owner_of(org), org=org, email="new@example.com", group_ids=[builtin_group(org, "viewers").pk])
    person = UserFactory(email="new@example.com")
    if state == "expired":
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    elif state == "revoked":
        invitation_revoke(actor=owner_of(org), invitation=invitation)
    else:
        invitation_accept(user=person, invitation=invitation)
        member_remove(actor=owner_of(org), org=org, user=person)
    before = row_counts()
    with pytest.raises(ValidationError, match="expired or was already used or revoked"):
        invitation_accept(user=person, invitation=invitation)
    assert row_counts() == before
    assert not Membership.objects.filter(org=org, user=person).exists()


def test_revoking_an_invitation_needs_create_on_org_member():
    org = OrganizationFactory()
    invitation = member_invite(actor=owner_of(org), org=org, email="new@example.com")
    with pytest.raises(AccessDenied):
        invitation_revoke(actor=add_member(org, None, "engineers"), invitation=invitation)
    invitation_revoke(actor=inviter(org), invitation=invitation)
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


# Inviting an existing person by id


def test_inviting_a_person_by_id_is_a_pending_invitation_to_their_email_and_adds_nothing_until_accepted():
    org = OrganizationFactory()
    person = inviter(org)
    grant(org, builtin_group(org, "viewers"), user=person, permission="update")
    newcomer = UserFactory()
    before = row_counts()
    with pytest.raises(NotFound):
        member_invite_user(actor=person, org=org, user=newcomer, group_ids=[builtin_group(org, "owners").pk])
    assert row_counts() == before
    invitation = member_invite_user(actor=person, org=org, user=newcomer, group_ids=[builtin_group(org, "viewers").pk])
    assert (invitation.email, invitation.is_pending) == (newcomer.email, True)
    assert not Membership.objects.filter(org=org, user=newcomer).exists()
    invitation_accept(user=newcomer, invitation=invitation)
    assert Membership.objects.filter(org=org, user=newcomer).exists()
    assert newcomer.groups.filter(permission_group=builtin_group(org, "viewers")).exists()
    with pytest.raises(AccessDenied):
        member_invite_user(actor=add_member(org, None, "viewers"), org=org, user=UserFactory())


def test_a_service_account_is_invited_nowhere_and_is_named_like_an_unknown_id():
    org, other = OrganizationFactory(), OrganizationFactory()
    robot = service_account_create(actor=owner_of(other), org=other, name="robot")
    before = row_counts()
    with pytest.raises(ValidationError) as refused:
        member_invite_user(actor=owner_of(org), org=org, user=robot)
    assert refused.value.messages == [f"No users with these ids: {robot.pk}."]
    with pytest.raises(ValidationError) as unknown:
        people_with_ids([robot.pk])
    assert unknown.value.messages == [f"No users with these ids: {robot.pk}."]
    assert row_counts() == before


# Removing


def test_remove_members_alone_removes_a_member_who_is_not_an_owner():
    org = OrganizationFactory()
    engineer = add_member(org, None, "engineers")
    member_remove(actor=remover(org), org=org, user=engineer)
    assert not Membership.objects.filter(org=org, user=engineer).exists()


def test_remove_members_alone_cannot_remove_an_owner():
    org = OrganizationFactory()
    person = remover(org)
    second = add_member(org, None, "owners")
    before = row_counts()
    with pytest.raises(NotFound):  # it holds nothing on the Owners group
        member_remove(actor=person, org=org, user=second)
    assert row_counts() == before


def test_remove_members_with_sight_of_groups_is_denied_update_on_owners():
    org = OrganizationFactory()
    person = remover(org, "viewers")
    second = add_member(org, None, "owners")
    with pytest.raises(AccessDenied) as denied:
        member_remove(actor=person, org=org, user=second)
    assert denied.value.permission == "update"
    assert Membership.objects.filter(org=org, user=second).exists()


def owner_through_a_member_group(org):
    """A new member of Admins, a group nested in Owners."""
    admins = custom_group(org, name="Admins")
    nest(builtin_group(org, "owners"), admins)
    return add_member(org, None, admins)


def test_removing_a_member_of_owners_through_a_member_group_also_needs_update_on_owners():
    org = OrganizationFactory()
    indirect_owner = owner_through_a_member_group(org)
    with pytest.raises(NotFound):
        member_remove(actor=remover(org), org=org, user=indirect_owner)
    member_remove(actor=owner_of(org), org=org, user=indirect_owner)
    assert not Membership.objects.filter(org=org, user=indirect_owner).exists()


def test_remove_members_plus_update_on_owners_removes_an_owner():
    org = OrganizationFactory()
    person = remover(org)
    grant(org, builtin_group(org, "owners"), user=person, permission="update")
    second = add_member(org, None, "owners")
    member_remove(actor=person, org=org, user=second)
    assert not Membership.objects.filter(org=org, user=second).exists()


def test_removing_needs_delete_on_org_member():
    org = OrganizationFactory()
    viewer, target = add_member(org, None, "viewers"), add_member(org)
    with pytest.raises(AccessDenied) as denied:
        member_remove(actor=viewer, org=org, user=target)
    assert denied.value.permission == "delete"
    with pytest.raises(NotFound):
        member_remove(actor=UserFactory(), org=org, user=target)


def test_removing_someone_who_is_not_a_member_is_not_found():
    org = OrganizationFactory()
    with pytest.raises(NotFound):
        member_remove(actor=owner_of(org), org=org, user=UserFactory())


def test_removing_the_last_direct_owner_is_refused_and_writes_nothing():
    org = OrganizationFactory()
    owner = owner_of(org)
    before = row_counts()
    with pytest.raises(ValidationError, match="at least one member in Owners"):
        member_remove(actor=owner, org=org, user=owner)
    assert row_counts() == before


def test_an_owner_through_a_member_group_does_not_keep_the_last_direct_owner_removable():
    org = OrganizationFactory()
    indirect_owner = owner_through_a_member_group(org)
    with pytest.raises(ValidationError):
        member_remove(actor=indirect_owner, org=org, user=owner_of(org))


def test_one_of_two_direct_owners_can_leave():
    org = OrganizationFactory()
    owner, second = owner_of(org), add_member(org, None, "owners")
    member_remove(actor=owner, org=org, user=owner)
    assert member_user_ids(builtin_group(org, "owners")) == [second.pk]


def test_removing_a_member_removes_their_groups_grants_and_keys_in_that_organization_only():
    org, other = OrganizationFactory(), OrganizationFactory()
    person = add_member(org, None, "engineers")
    add_member(other, person, "viewers")
    team = custom_group(org, person)
    project, other_project = ProjectFactory(org=org), ProjectFactory(org=other)
    grant(org, project, user=person, permission="update")
    grant(org, project, user=person, role="owner")
    grant(org, Node("project_log", project.pk), user=person, permission="read")
    kept = grant(other, other_project, user=person, permission="update")
    key, raw = api_key_create(actor=person, org=org, name="k")
    other_key, other_raw = api_key_create(actor=person, org=other, name="k")

    member_remove(actor=owner_of(org), org=org, user=person)

    assert not Membership.objects.filter(org=org, user=person).exists()
    assert person.pk not in member_user_ids(team)
    assert set(person.groups.values_list("permission_group__org", flat=True)) == {other.pk}
    assert grant_records(org_id=org.pk, user_id=person.pk) == []
    assert [r.id for r in grant_records(user_id=person.pk)] == [kept.id]
    key.refresh_from_db()
    other_key.refresh_from_db()
    assert key.revoked_at is not None and other_key.revoked_at is None
    assert authenticate_token(raw) is None
    assert authenticate_token(other_raw) == other_key
    assert can(person, "update", other_project)


def test_a_removed_member_added_again_has_none_of_the_old_access():
    org = OrganizationFactory()
    project = ProjectFactory(org=org)
    person = add_member(org, None, "engineers")
    grant(org, project, user=person, role="owner")
    member_remove(actor=owner_of(org), org=org, user=person)
    invitation_accept(user=person, invitation=member_invite_user(actor=owner_of(org), org=org, user=person))
    assert permissions_on(person, project) == frozenset()


def test_removing_a_service_account_deletes_it_and_its_tokens():
    org = OrganizationFactory()
    robot = service_account_create(actor=owner_of(org), org=org, name="robot", group_ids=[builtin_group(org, "engineers").pk])
    service_token_create(actor=owner_of(org), org=org, account_id=robot.pk, name="t")
    robot_id = robot.pk
    member_remove(actor=owner_of(org), org=org, user=robot)
    assert not User.objects.filter(pk=robot_id).exists()
    assert not ApiKey.objects.filter(user_id=robot_id).exists()
    assert not Membership.objects.filter(user_id=robot_id).exists()


def test_removal_from_the_organization_is_seen_by_the_next_check_in_the_same_request(request_scope):
    org = OrganizationFactory()
    project = ProjectFactory(org=org)
    person = add_member(org, None, "engineers")
    assert can(person, "update", project)
    member_remove(actor=owner_of(org), org=org, user=person)
    assert permissions_on(person, project) == frozenset()
