""" "Until" in the pages: setting when a group membership ends in the member editor, giving the grants a
permissions dialog saves an expiry, "until" shown beside what expires, and Settings → Permission groups'
"Expiring soon", restricted to what the viewer may see, at a fixed number of queries."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from permissions.boxes import GROUP_ACCESS_BOXES, ORGANIZATION_BOXES, PROJECT_BOXES, Subject, held_boxes, ticked_boxes
from permissions.engine.nodes import Node
from permissions.expiring import EXPIRING_SOON_LIMIT, expiring_soon
from permissions.grants import grant_records
from permissions.models import GroupMembershipExpiry, GroupNesting
from permissions.services.grants import acl_grant
from permissions.services.groups import group_member_expiry_set
from tests.access_helpers import audit_actions, custom_group, nest, raw_grant_expiry, row_counts, spec_for
from tests.factories import ExperimentFactory, ProjectFactory, add_member, builtin_group, owner_of
from tests.query_helpers import steady_state_queries
from tests.web.addresses import groups_page
from tests.worlds import client_for

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def project_access_url(project, subject) -> str:
    kind, subject_id = ("group", subject.pk) if hasattr(subject, "auth_group_id") else ("user", subject.pk)
    return reverse(
        "web:project-access", kwargs={"org_name": project.org.name, "project_id": project.pk, "kind": kind, "subject_id": subject_id}
    )


def object_permissions_url(experiment) -> str:
    project = experiment.project
    kwargs = {"org_name": project.org.name, "project_id": project.pk, "kind": "experiments", "object_id": experiment.pk}
    return reverse("web:object-permissions", kwargs=kwargs)


def in_days(days: float) -> datetime:
    """A whole minute `days` from now, as the pages' inputs hold it."""
    return (timezone.now() + timedelta(days=days)).replace(second=0, microsecond=0)


def typed(instant: datetime) -> str:
    """How a browser's datetime-local input sends `instant`, read as UTC by the pages."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def shown(instant: datetime) -> str:
    return f"{instant.astimezone(UTC):%b %-d, %Y %H:%M} UTC"


def grant_until(org, node, expires_at, **grantee_and_permission):
    return acl_grant(actor=owner_of(org), spec=replace(spec_for(node, **grantee_and_permission), expires_at=expires_at))


def edit_data(group, *, people=(), groups=(), **until) -> dict:
    data = {"member_people": [str(p.pk) for p in people], "member_groups": [str(g.pk) for g in groups], **until}
    if not group.is_builtin:
        data.update(name=group.name, description=group.description)
    return data


def until_user(user) -> str:
    return f"until-user-{user.pk.hex}"


def until_group(group) -> str:
    return f"until-group-{group.pk.hex}"


# The member editor


def test_an_owner_sets_until_when_a_member_and_a_member_group_stay_and_sees_it(org, people, annotators):
    member, nested = people["custom"], custom_group(org, name="Interns")
    nest(annotators, nested)
    until = in_days(3)
    client = client_for(people["owner"])
    data = edit_data(annotators, people=[member], groups=[nested], **{until_user(member): typed(until), until_group(nested): typed(until)})
    response = client.post(groups_page(org, "group-edit", annotators), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert GroupMembershipExpiry.objects.get(group=annotators, user=member).expires_at == until
    assert GroupNesting.objects.get(group=annotators, member_group=nested).expires_at == until
    html = client.get(groups_page(org, "group-edit", annotators)).content.decode()
    row = html.split(f'data-member="{member.pk}"')[1].split("</div>")[0]
    assert "until <time datetime=" in row and shown(until) in row
    assert f'value="{typed(until)}"' in row
    assert shown(until) in html.split(f'data-member="{nested.pk}"')[1].split("</div>")[0]


def test_clearing_until_makes_a_membership_permanent_and_leaving_it_as_it_was_changes_nothing(org, people, annotators):
    member = people["custom"]
    owner = people["owner"]
    group_member_expiry_set(actor=owner, group=annotators, expires_at=in_days(2), member_user_id=member.pk)
    client = client_for(owner)
    unchanged = edit_data(annotators, people=[member], **{until_user(member): typed(in_days(2))})
    assert client.post(groups_page(org, "group-edit", annotators), unchanged).status_code == 302
    assert GroupMembershipExpiry.objects.get(group=annotators, user=member).expires_at == in_days(2)
    cleared = edit_data(annotators, people=[member], **{until_user(member): ""})
    assert client.post(groups_page(org, "group-edit", annotators), cleared).status_code == 302
    assert not GroupMembershipExpiry.objects.filter(group=annotators, user=member).exists()


def test_a_past_until_is_a_form_error_and_writes_nothing(org, people, annotators):
    member = people["custom"]
    newcomer = add_member(org)
    before = row_counts()
    data = edit_data(annotators, people=[member, newcomer], **{until_user(member): typed(timezone.now() - timedelta(hours=1))})
    response = client_for(people["owner"]).post(groups_page(org, "group-edit", annotators), data)
    assert response.status_code == 400
    assert "Choose a time in the future" in response.content.decode()
    assert row_counts() == before  # not even the member the same save added


def test_a_viewer_cannot_set_until(org, people, annotators):
    member = people["custom"]
    before = row_counts()
    data = edit_data(annotators, people=[member], **{until_user(member): typed(in_days(1))})
    response = client_for(people["viewer"]).post(groups_page(org, "group-edit", annotators), data)
    assert response.status_code == 403
    assert row_counts() == before


def test_owners_memberships_offer_no_until(org, people):
    owners = builtin_group(org, "owners")
    html = client_for(people["owner"]).get(groups_page(org, "group-edit", owners)).content.decode()
    assert 'type="datetime-local"' not in html and "never expire" in html


def test_a_crafted_until_for_an_owner_is_ignored(org, people):
    """Owners memberships cannot expire: the editor offers no field for one, and one posted anyway is not read."""
    owners = builtin_group(org, "owners")
    owner = people["owner"]
    before = row_counts()
    form_data = edit_data(owners, people=[owner], **{until_user(owner): typed(in_days(1))})
    response = client_for(owner).post(groups_page(org, "group-edit", owners), form_data)
    assert response.status_code == 302  # the field is not offered, so it is ignored
    assert row_counts() == before


def test_the_edit_dialog_costs_the_same_queries_for_few_and_many_expiring_members(org, people, annotators):
    client = client_for(people["owner"])
    group_member_expiry_set(actor=people["owner"], group=annotators, expires_at=in_days(1), member_user_id=people["custom"].pk)
    few = steady_state_queries(client, groups_page(org, "group-edit", annotators), **HTMX)
    for index in range(10):
        member = add_member(org, None, annotators)
        nested = custom_group(org, name=f"Nested {index}")
        nest(annotators, nested)
        group_member_expiry_set(actor=people["owner"], group=annotators, expires_at=in_days(2), member_user_id=member.pk)
        group_member_expiry_set(actor=people["owner"], group=annotators, expires_at=in_days(2), member_group_id=nested.pk)
    assert steady_state_queries(client, groups_page(org, "group-edit", annotators), **HTMX) == few


# The permissions dialogs


def test_the_project_dialog_adds_and_grants_again_with_until_and_shows_it(org, project, people):
    member = add_member(org)
    client = client_for(people["owner"])
    address = project_access_url(project, member)
    assert client.post(address, {"boxes": ["project_read"]}).status_code == 302
    (record,) = grant_records(nodes=[Node.of(project)], user_id=member.pk)
    assert record.expires_at is None
    until = in_days(5)
    key = f"access-user-{member.pk.hex}-until"
    assert client.post(address, {"boxes": ["project_read", "experiment_read"], key: typed(until)}).status_code == 302
    records = grant_records(nodes=[Node.of(project)], user_id=member.pk)
    assert {(r.permission, r.restrict_object_type, r.expires_at) for r in records} == {
        ("read", None, until),
        ("read", "experiment", until),
    }  # the canonical grants of the boxes, each with the expiry
    assert held_boxes(PROJECT_BOXES, Subject(user_id=member.pk), project.pk).expiries == {"project_read": until, "experiment_read": until}
    html = client.get(address).content.decode()
    assert html.count(shown(until)) == 2


def test_a_dialog_saved_without_until_leaves_expiries_as_they_are(org, project, people):
    member = add_member(org)
    until = in_days(4)
    grant_until(org, project, until, user=member, permission="read")
    client_for(people["owner"]).post(project_access_url(project, member), {"boxes": ["project_read", "project_update"]})
    records = {r.permission: r.expires_at for r in grant_records(nodes=[Node.of(project)], user_id=member.pk)}
    assert records == {"read": until, "update": None}


def test_no_end_in_the_project_dialog_clears_the_expiry_of_the_ticked_boxes_and_audits_it(org, project, people):
    member = add_member(org)
    grant_until(org, project, in_days(4), user=member, permission="read")
    grant_until(org, project, in_days(4), user=member, permission="update")
    key = f"access-user-{member.pk.hex}-no_end"
    response = client_for(people["owner"]).post(project_access_url(project, member), {"boxes": ["project_read"], key: "on"})
    assert response.status_code == 302
    records = {r.permission: r.expires_at for r in grant_records(nodes=[Node.of(project)], user_id=member.pk)}
    assert records == {"read": None}  # read kept, now with no end; update unticked and removed
    assert sorted(audit_actions()[-2:]) == ["acl.delete", "acl.update"]


def test_an_end_and_no_end_together_are_a_form_error_and_write_nothing(org, project, people):
    member = add_member(org)
    before = row_counts()
    prefix = f"access-user-{member.pk.hex}"
    data = {"boxes": ["project_read"], f"{prefix}-until": typed(in_days(1)), f"{prefix}-no_end": "on"}
    response = client_for(people["owner"]).post(project_access_url(project, member), data)
    assert response.status_code == 400 and "Choose an end or no end, not both." in response.content.decode()
    assert row_counts() == before


def test_no_end_in_the_group_permissions_dialog_clears_the_expiry(org, people, annotators):
    client = client_for(people["owner"])
    address = groups_page(org, "group-permissions", annotators)
    assert client.post(address, {"boxes": ["projects_read"], "until": typed(in_days(3))}).status_code == 302
    assert client.post(address, {"boxes": ["projects_read"], "no_end": "on"}).status_code == 302
    (record,) = grant_records(nodes=[Node("org_project", org.pk)], group_id=annotators.pk)
    assert (record.permission, record.expires_at) == ("read", None)


def test_a_past_until_in_the_project_dialog_writes_nothing(org, project, people):
    member = add_member(org)
    before = row_counts()
    key = f"access-user-{member.pk.hex}-until"
    response = client_for(people["owner"]).post(
        project_access_url(project, member), {"boxes": ["project_read"], key: typed(timezone.now() - timedelta(days=1))}
    )
    assert response.status_code == 400
    assert "Choose a time in the future" in response.content.decode()
    assert row_counts() == before


def test_the_object_dialog_grants_with_until_and_shows_it(org, project, people):
    experiment = ExperimentFactory(project=project)
    member = add_member(org)
    until = in_days(2)
    client = client_for(people["owner"])
    response = client.post(object_permissions_url(experiment), {"principal": f"user:{member.pk}", "boxes": ["read"], "until": typed(until)})
    assert response.status_code == 302
    (record,) = grant_records(nodes=[Node.of(experiment)], user_id=member.pk)
    assert (record.permission, record.expires_at) == ("read", until)
    html = client.get(object_permissions_url(experiment), {"principal": f"user:{member.pk}"}).content.decode()
    assert shown(until) in html.split(f'id="access-user-{member.pk.hex}-read"')[1].split("</td>")[0]


def test_a_viewer_cannot_grant_with_until_in_the_object_dialog(org, project, people):
    experiment = ExperimentFactory(project=project)
    before = row_counts()
    response = client_for(people["viewer"]).post(
        object_permissions_url(experiment), {"principal": f"user:{people['viewer'].pk}", "boxes": ["read"], "until": typed(in_days(1))}
    )
    assert response.status_code in (403, 404)
    assert row_counts() == before


def test_a_past_until_in_the_object_dialog_is_a_form_error(org, project, people):
    experiment = ExperimentFactory(project=project)
    member = add_member(org)
    before = row_counts()
    response = client_for(people["owner"]).post(
        object_permissions_url(experiment),
        {"principal": f"user:{member.pk}", "boxes": ["read"], "until": typed(timezone.now() - timedelta(minutes=5))},
    )
    assert response.status_code == 400 and "Choose a time in the future" in response.content.decode()
    assert row_counts() == before


def test_the_group_permissions_dialog_writes_the_canonical_grants_with_until(org, people, annotators):
    until = in_days(6)
    client = client_for(people["owner"])
    response = client.post(
        groups_page(org, "group-permissions", annotators), {"boxes": ["org_acls", "projects_read"], "until": typed(until)}
    )
    assert response.status_code == 302
    records = grant_records(nodes=[Node("organization", org.pk), Node("org_project", org.pk)], group_id=annotators.pk)
    assert {(r.object_type, r.permission, r.restrict_object_type, r.expires_at) for r in records} == {
        *(("organization", p, None, until) for p in ("create_acls", "read_acls", "update_acls", "delete_acls")),
        ("org_project", "read", None, until),
    }
    assert ticked_boxes(ORGANIZATION_BOXES, Subject(group_id=annotators.pk), org.pk) == {"org_acls", "projects_read"}
    html = client.get(groups_page(org, "group-permissions", annotators)).content.decode()
    assert html.count(shown(until)) == 2


def test_until_on_the_owners_permissions_is_refused(org, people):
    owners = builtin_group(org, "owners")
    before = row_counts()
    response = client_for(people["owner"]).post(
        groups_page(org, "group-permissions", owners), {"boxes": ["org_acls"], "until": typed(in_days(1))}
    )
    assert response.status_code == 400 and "its grants cannot be changed" in response.content.decode()
    assert row_counts() == before


def test_a_service_refusal_of_until_in_group_access_is_a_form_error_and_writes_nothing(org, people, annotators):
    """A grant to Owners never expires: the service refuses it, and the dialog says so, writing nothing."""
    owners = builtin_group(org, "owners")
    before = row_counts()
    response = client_for(people["owner"]).post(
        groups_page(org, "group-access", annotators),
        {"new_subject": f"g{owners.pk.hex}", "new_boxes": ["read"], "until": typed(in_days(1))},
    )
    assert response.status_code == 400
    assert "expires_at cannot be set on a grant to the Owners group" in response.content.decode()
    assert row_counts() == before


def test_the_group_access_dialog_grants_with_until_the_principals_it_changes(org, people, annotators):
    member = add_member(org)
    until = in_days(1)
    client = client_for(people["owner"])
    token = f"u{member.pk.hex}"
    response = client.post(
        groups_page(org, "group-access", annotators),
        {"new_subject": token, "new_boxes": ["read", "update"], "until": typed(until)},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    held = held_boxes(GROUP_ACCESS_BOXES, Subject(user_id=member.pk), annotators.pk)
    assert held.ticked == {"read", "update"} and held.expiries == {"read": until, "update": until}
    html = client.get(groups_page(org, "group-access", annotators)).content.decode()
    assert html.count(shown(until)) == 2


# Expiring soon


def test_expiring_soon_lists_what_ends_within_seven_days_soonest_first(org, people, annotators):
    owner = people["owner"]
    project = ProjectFactory(org=org, name="support-bot")
    member = people["custom"]
    nested = custom_group(org, name="Interns")
    nest(annotators, nested)
    group_member_expiry_set(actor=owner, group=annotators, expires_at=in_days(3), member_user_id=member.pk)
    group_member_expiry_set(actor=owner, group=annotators, expires_at=in_days(1), member_group_id=nested.pk)
    grant_until(org, project, in_days(2), group=annotators, permission="update")
    grant_until(org, Node("org_project", org.pk), in_days(5), user=member, permission="read", restrict="experiment")
    grant_until(org, project, in_days(30), user=member, permission="delete")  # later than a week: left out
    expired = grant_until(org, project, in_days(1), user=member, permission="create")
    raw_grant_expiry(expired, timezone.now() - timedelta(minutes=1))  # counts for nothing: left out
    html = client_for(owner).get(groups_page(org)).content.decode()
    section = html.split('id="expiring-soon-title"')[1].split("</section>")[0]
    rows = section.split("<tr data-expiring=")[1:]
    assert len(rows) == 4
    assert "Interns" in rows[0] and "member group of Annotators" in rows[0]
    assert "Annotators" in rows[1] and "Update · Project support-bot" in rows[1]
    assert member.get_full_name() in rows[2] and "member of Annotators" in rows[2]
    assert "Read (restricted to Experiment) · All projects" in rows[3]


def test_expiring_soon_shows_each_viewer_only_what_they_may_see(org, people, annotators):
    owner = people["owner"]
    project = ProjectFactory(org=org, name="support-bot")
    secret = custom_group(org, add_member(org), name="Secret")
    group_member_expiry_set(actor=owner, group=annotators, expires_at=in_days(1), member_user_id=people["custom"].pk)
    grant_until(org, project, in_days(2), group=annotators, permission="read")
    grant_until(org, project, in_days(2), group=secret, permission="update")
    viewer = people["viewer"]  # reads every group, lists no grants
    items = expiring_soon(viewer, org).items
    assert [(i.kind, i.what) for i in items] == [("membership", "member of Annotators")]
    lead = add_member(org)
    grant_until(org, project, None, user=lead, permission="read_acls")
    seen = expiring_soon(lead, org).items  # lists the project's grants, reads no group
    assert sorted(i.subject for i in seen) == ["Annotators", "Secret"] and all(i.kind == "grant" for i in seen)
    assert expiring_soon(people["outsider"], org).items == []


def test_expiring_soon_says_when_there_are_more_than_it_shows(org, people, annotators):
    owner = people["owner"]
    for _ in range(EXPIRING_SOON_LIMIT + 3):
        group_member_expiry_set(actor=owner, group=annotators, expires_at=in_days(2), member_user_id=add_member(org, None, annotators).pk)
    soon = expiring_soon(owner, org)
    assert len(soon.items) == EXPIRING_SOON_LIMIT and soon.more
    assert f"More expire in the next 7 days than these {EXPIRING_SOON_LIMIT}" in client_for(owner).get(groups_page(org)).content.decode()
    assert not expiring_soon(owner, org, limit=EXPIRING_SOON_LIMIT + 3).more


def test_the_groups_page_costs_the_same_queries_for_one_and_many_expiring_things(org, people, annotators):
    owner = people["owner"]
    client = client_for(owner)
    project = ProjectFactory(org=org)
    group_member_expiry_set(actor=owner, group=annotators, expires_at=in_days(1), member_user_id=people["custom"].pk)
    grant_until(org, project, in_days(1), group=annotators, permission="read")
    one = steady_state_queries(client, groups_page(org))
    for index in range(8):
        member = add_member(org, None, annotators)
        group_member_expiry_set(actor=owner, group=annotators, expires_at=in_days(2), member_user_id=member.pk)
        nested = custom_group(org, name=f"Nested {index}")
        nest(annotators, nested)
        group_member_expiry_set(actor=owner, group=annotators, expires_at=in_days(3), member_group_id=nested.pk)
        grant_until(org, ProjectFactory(org=org), in_days(4), user=member, permission="update")
        grant_until(org, ExperimentFactory(project=project), in_days(4), group=nested, permission="read")
    many = steady_state_queries(client, groups_page(org))
    assert many == one
    assert client.get(groups_page(org)).content.decode().count("<tr data-expiring=") == EXPIRING_SOON_LIMIT
