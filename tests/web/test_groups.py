"""Settings → Permission groups, for each kind of person: what the list shows, which buttons and dialogs
each person gets, what every dialog writes (through the group services and the permission boxes), what
is refused, and a fixed number of queries whatever the number of groups, members or grants."""

import random

import pytest
from django.test import Client
from django.urls import reverse

from permissions.boxes import GROUP_ACCESS_BOXES, ORGANIZATION_BOXES, PROJECT_BOXES, Subject, boxes_by_subject, save_boxes, ticked_boxes
from permissions.engine import can
from permissions.engine.nodes import Node
from permissions.models import AuditEvent, GroupNesting, PermissionGroup
from permissions.selectors import member_user_ids
from tests.access_helpers import ACL_PERMISSIONS, custom_group, grant, grant_many, nest, row_counts
from tests.assertions import refusal_names
from tests.factories import OrganizationFactory, ProjectFactory, ServiceAccountFactory, add_member, builtin_group
from tests.query_helpers import steady_state_queries
from tests.web.addresses import groups_page
from tests.worlds import client_for

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def checked(html: str, name: str | None = None) -> set[str]:
    """The values of the ticked checkboxes in `html` (of the inputs named `name`, if given)."""
    values = set()
    for tag in html.split("<input")[1:]:
        tag = tag.split(">")[0]
        if 'type="checkbox"' in tag and " checked" in tag and (name is None or f'name="{name}"' in tag):
            values.add(tag.split('value="')[1].split('"')[0])
    return values


# The list


@pytest.mark.parametrize(
    ("who", "status", "create", "permissions", "access", "edit", "delete"),
    [
        ("owner", 200, True, True, True, True, True),
        ("engineer", 200, False, False, False, False, False),
        ("viewer", 200, False, False, False, False, False),
        ("custom", 404, False, False, False, False, False),  # may read no group and create none: no such page
        ("outsider", 404, False, False, False, False, False),
    ],
)
def test_the_list_shows_each_person_the_buttons_they_may_use(
    org, people, annotators, who, status, create, permissions, access, edit, delete
):
    response = client_for(people[who]).get(groups_page(org))
    assert response.status_code == status
    html = response.content.decode()
    assert ("Create permission group</button>" in html) is create
    assert (f'aria-label="Permissions of {annotators.name}"' in html) is permissions
    assert (f'aria-label="Group access to {annotators.name}"' in html) is access
    assert (f'aria-label="Edit {annotators.name}"' in html) is edit
    assert (f'aria-label="Delete {annotators.name}"' in html) is delete
    if status == 200:
        assert 'aria-current="page">Permission groups</a>' in html


def test_the_list_marks_built_in_groups_counts_members_and_never_offers_to_delete_them(org, people, annotators):
    annotators.description = "Label production traces"
    annotators.save(update_fields=["description"])
    nest(annotators, builtin_group(org, "viewers"))
    add_member(org, None, annotators)
    html = client_for(people["owner"]).get(groups_page(org)).content.decode()
    rows = {name: html.split(f'data-group="{name}"')[1].split("</tr>")[0] for name in ("Owners", "Engineers", "Viewers", "Annotators")}
    assert all("Built-in" in rows[name] for name in ("Owners", "Engineers", "Viewers"))
    assert "Built-in" not in rows["Annotators"]
    assert "Label production traces" in rows["Annotators"]
    assert "2 members, 1 group" in rows["Annotators"]
    assert "1 member<" in rows["Owners"]
    assert "Delete" not in rows["Owners"] and "Delete" in rows["Annotators"]
    assert html.index('data-group="Owners"') < html.index('data-group="Engineers"') < html.index('data-group="Viewers"')


def test_a_person_sees_only_the_groups_they_may_read(org, people, annotators):
    other = custom_group(org, name="Secret reviewers")
    grant(org, annotators, user=people["custom"], permission="read")
    response = client_for(people["custom"]).get(groups_page(org))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-group="Annotators"' in html and other.name not in html and 'data-group="Owners"' not in html
    assert "Create permission group" not in html


def test_someone_who_may_only_create_groups_gets_the_page_with_create(org, people):
    grant(org, Node("organization", org.pk), user=people["custom"], permission="create", restrict="group")
    html = client_for(people["custom"]).get(groups_page(org)).content.decode()
    assert "Create permission group</button>" in html and "No permission groups you can see yet." in html


def test_an_anonymous_visitor_is_sent_to_log_in(org):
    response = Client().get(groups_page(org))
    assert response.status_code == 302 and response["Location"].startswith(reverse("web:login"))


def test_the_list_costs_the_same_queries_for_one_and_many_groups(org, people):
    client = client_for(people["owner"])
    first = custom_group(org, add_member(org), name="Group 0")
    few = steady_state_queries(client, groups_page(org))
    for index in range(1, 25):
        group = custom_group(org, add_member(org), add_member(org), name=f"Group {index}")
        nest(group, first)
        grant(org, group, user=people["engineer"], permission="update")
    assert steady_state_queries(client, groups_page(org)) == few


def test_the_list_costs_the_same_queries_for_a_person_reading_one_group_or_many(org, people, annotators):
    grant(org, annotators, user=people["custom"], permission="read")
    client = client_for(people["custom"])
    few = steady_state_queries(client, groups_page(org))
    for index in range(25):
        grant(org, custom_group(org, name=f"Readable {index}"), user=people["custom"], permission="read")
    assert steady_state_queries(client, groups_page(org)) == few


# Create permission group


def test_an_owner_creates_a_group(org, people):
    response = client_for(people["owner"]).post(
        groups_page(org, "group-create"), {"name": "Reviewers", "description": "Review experiments"}
    )
    assert response.status_code == 302 and response["Location"] == groups_page(org)
    group = PermissionGroup.objects.get(org=org, name="Reviewers")
    assert group.description == "Review experiments" and not group.is_builtin
    assert AuditEvent.objects.filter(action="group.create", target_id=group.pk).exists()


@pytest.mark.parametrize(("data", "message"), [({"name": "Engineers"}, "already exists"), ({"name": ""}, "This field is required")])
def test_a_bad_new_group_writes_nothing_and_says_why(org, people, data, message):
    before = row_counts()
    response = client_for(people["owner"]).post(groups_page(org, "group-create"), data)
    assert response.status_code == 400 and message in response.content.decode()
    assert row_counts() == before


@pytest.mark.parametrize(("who", "status"), [("engineer", 403), ("viewer", 403), ("custom", 404), ("outsider", 404)])
def test_only_those_who_may_create_groups_can_post_one(org, people, who, status):
    before = row_counts()
    assert client_for(people[who]).post(groups_page(org, "group-create"), {"name": "Sneaky"}).status_code == status
    assert row_counts() == before


def test_the_create_dialog_is_a_fragment_for_htmx_and_a_page_without_javascript(org, people):
    client = client_for(people["owner"])
    fragment = client.get(groups_page(org, "group-create"), **HTMX)
    page = client.get(groups_page(org, "group-create"))
    assert fragment.content.decode().lstrip().startswith('<dialog id="create-group-dialog"')
    assert "<html" not in fragment.content.decode()
    assert "<html" in page.content.decode() and "<h1" in page.content.decode()
    assert "HX-Request" in fragment["Vary"] and "HX-Request" in page["Vary"]


# Permissions (organization level)


def test_the_permissions_dialog_shows_the_boxes_ticked_and_the_manage_access_warning(org, people, annotators):
    grant(org, Node("org_project", org.pk), group=annotators, permission="read")
    html = client_for(people["owner"]).get(groups_page(org, "group-permissions", annotators), **HTMX).content.decode()
    assert 'aria-labelledby="permissions-dialog-title"' in html
    assert "<legend>Organization</legend>" in html and "<legend>All projects</legend>" in html
    assert checked(html, "boxes") == {"projects_read"}
    assert "can grant themselves anything" in html
    assert "the API URL" in html


def test_saving_the_permissions_dialog_gives_the_group_s_members_what_it_grants(org, people, annotators):
    project, member = ProjectFactory(org=org), people["custom"]
    assert not can(member, "read", project)
    response = client_for(people["owner"]).post(
        groups_page(org, "group-permissions", annotators), {"boxes": ["projects_read", "org_audit"]}
    )
    assert response.status_code == 302
    assert ticked_boxes(ORGANIZATION_BOXES, Subject(group_id=annotators.pk), org.pk) == {"projects_read", "org_audit"}
    assert can(member, "read", project) and can(member, "read", Node("org_audit_logs", org.pk))
    client_for(people["owner"]).post(groups_page(org, "group-permissions", annotators), {"boxes": ["org_audit"]})
    assert not can(member, "read", project)


def test_an_unknown_box_writes_nothing(org, people, annotators):
    before = row_counts()
    response = client_for(people["owner"]).post(
        groups_page(org, "group-permissions", annotators), {"boxes": ["projects_read", "everything"]}
    )
    assert response.status_code == 400 and "everything" in response.content.decode()
    assert row_counts() == before


def test_the_owners_group_s_permissions_are_shown_but_cannot_be_changed(org, people):
    owners = builtin_group(org, "owners")
    client = client_for(people["owner"])
    html = client.get(groups_page(org, "group-permissions", owners), **HTMX).content.decode()
    assert "cannot be removed" in html and "disabled" in html and ">Save</button>" not in html
    before = row_counts()
    assert client.post(groups_page(org, "group-permissions", owners), {"boxes": []}).status_code == 400
    assert row_counts() == before


@pytest.mark.parametrize(("who", "status"), [("engineer", 403), ("viewer", 403), ("custom", 404), ("outsider", 404)])
def test_only_those_who_manage_access_open_or_save_the_permissions_dialog(org, people, annotators, who, status):
    client = client_for(people[who])
    assert client.get(groups_page(org, "group-permissions", annotators)).status_code == status
    before = row_counts()
    assert client.post(groups_page(org, "group-permissions", annotators), {"boxes": ["org_acls"]}).status_code == status
    assert row_counts() == before


def test_a_refusal_is_the_explained_page(org, people, annotators):
    html = client_for(people["engineer"]).get(groups_page(org, "group-permissions", annotators)).content.decode()
    assert "You can't do this" in html and refusal_names("Manage access: add grants <code") in html


# Group access


def test_the_group_access_dialog_lists_who_holds_access_to_the_group(org, people, annotators):
    robot = ServiceAccountFactory(service_account_org=org, given_name="Labeler bot")
    grant(org, annotators, user=people["engineer"], permission="update")
    grant(org, annotators, group=builtin_group(org, "viewers"), permission="read")
    grant_many(org, annotators, ACL_PERMISSIONS, user=robot)
    grant(org, annotators, user=people["viewer"], permission="read_acls")
    html = client_for(people["owner"]).get(groups_page(org, "group-access", annotators), **HTMX).content.decode()
    legends = [part.split("</legend>")[0] for part in html.split("<legend>")[1:]]
    assert any("Viewers" in legend and "Group" in legend for legend in legends)
    assert any(people["engineer"].email in legend for legend in legends)
    assert any("Labeler bot" in legend and "Service account" in legend for legend in legends)
    assert checked(html, f"boxes-u{people['engineer'].pk.hex}") == {"update"}
    assert checked(html, f"boxes-u{robot.pk.hex}") == {"acls"}
    assert checked(html, f"boxes-g{builtin_group(org, 'viewers').pk.hex}") == {"read"}
    assert checked(html, f"boxes-u{people['viewer'].pk.hex}") == set()
    assert "Also holds: read_acls on this group." in html  # a grant no box stands for is still shown
    assert "Add a group, member or service account" in html
    assert f'<option value="u{robot.pk.hex}">Labeler bot</option>' in html


def test_saving_group_access_adds_a_principal_and_changes_another(org, people, annotators):
    engineer, viewer = people["engineer"], people["viewer"]
    grant(org, annotators, user=engineer, permission="update")
    token = f"u{engineer.pk.hex}"
    response = client_for(people["owner"]).post(
        groups_page(org, "group-access", annotators),
        {"listed": [token], f"boxes-{token}": ["read"], "new_subject": f"u{viewer.pk.hex}", "new_boxes": ["update"]},
    )
    assert response.status_code == 302
    assert ticked_boxes(GROUP_ACCESS_BOXES, Subject(user_id=engineer.pk), annotators.pk) == {"read"}
    assert ticked_boxes(GROUP_ACCESS_BOXES, Subject(user_id=viewer.pk), annotators.pk) == {"update"}
    assert can(viewer, "update", annotators) and not can(engineer, "update", annotators)


def test_clearing_every_box_of_a_principal_removes_its_access(org, people, annotators):
    grant(org, annotators, group=builtin_group(org, "viewers"), permission="delete")
    token = f"g{builtin_group(org, 'viewers').pk.hex}"
    client_for(people["owner"]).post(groups_page(org, "group-access", annotators), {"listed": [token]})
    assert not can(people["viewer"], "delete", annotators)


def test_choosing_boxes_without_a_principal_is_a_form_error(org, people, annotators):
    before = row_counts()
    response = client_for(people["owner"]).post(groups_page(org, "group-access", annotators), {"new_boxes": ["read"]})
    assert response.status_code == 400 and "Choose who to give access to." in response.content.decode()
    assert row_counts() == before


def test_someone_who_may_only_read_access_sees_it_but_cannot_save(org, people, annotators):
    viewer = people["viewer"]
    grant(org, annotators, user=viewer, permission="read_acls")
    client = client_for(viewer)
    html = client.get(groups_page(org, "group-access", annotators)).content.decode()
    assert 'id="access-u' in html and ">Save</button>" not in html and "Add access" not in html
    assert f'aria-label="Group access to {annotators.name}"' in client.get(groups_page(org)).content.decode()
    before = row_counts()
    response = client.post(groups_page(org, "group-access", annotators), {"new_subject": f"u{viewer.pk.hex}", "new_boxes": ["update"]})
    assert response.status_code == 403
    assert row_counts() == before


@pytest.mark.parametrize(("who", "status"), [("engineer", 403), ("viewer", 403), ("custom", 404), ("outsider", 404)])
def test_group_access_is_refused_to_those_who_hold_no_access_rights_on_the_group(org, people, annotators, who, status):
    assert client_for(people[who]).get(groups_page(org, "group-access", annotators)).status_code == status


def test_the_group_access_dialog_costs_the_same_queries_for_one_and_many_holders(org, people, annotators):
    client = client_for(people["owner"])
    grant(org, annotators, user=add_member(org), permission="read")
    grant(org, annotators, group=custom_group(org, name="Holder"), role="viewer")
    few = steady_state_queries(client, groups_page(org, "group-access", annotators), **HTMX)
    for index in range(12):
        grant(org, annotators, user=add_member(org), permission="update")
        grant(org, annotators, group=custom_group(org, name=f"Holder {index}"), role="viewer")
    assert steady_state_queries(client, groups_page(org, "group-access", annotators), **HTMX) == few


def test_all_principals_boxes_read_in_one_query_agree_with_ticked_boxes_one_by_one(org, people, annotators):
    """The batched read behind the Group access dialog is the same rule as `ticked_boxes`."""
    rng = random.Random(7)
    project = ProjectFactory(org=org)
    subjects = [Subject(user_id=people[who].pk) for who in ("engineer", "viewer", "custom")]
    subjects += [Subject(group_id=g.pk) for g in (annotators, builtin_group(org, "viewers"), custom_group(org, name="Extra"))]
    for box_set, target in ((GROUP_ACCESS_BOXES, annotators.pk), (ORGANIZATION_BOXES, org.pk), (PROJECT_BOXES, project.pk)):
        for subject in subjects:
            keys = [box.key for box in box_set.boxes if rng.random() < 0.4]
            save_boxes(actor=people["owner"], box_set=box_set, subject=subject, target_id=target, ticked=keys)
        grant(org, Node(box_set.boxes[0].grants[0].node_type, target), user=people["engineer"], permission="read_acls")
        batched = boxes_by_subject(box_set, target)
        for subject in subjects:
            expected = ticked_boxes(box_set, subject, target)
            assert (batched[subject].ticked if subject in batched else set()) == expected


# Edit: name, description, members


def test_an_owner_renames_a_group_and_sets_its_members(org, people, annotators):
    person, robot = add_member(org), ServiceAccountFactory(service_account_org=org)
    viewers = builtin_group(org, "viewers")
    response = client_for(people["owner"]).post(
        groups_page(org, "group-edit", annotators),
        {
            "name": "Labelers",
            "description": "Label traces",
            "member_people": [str(person.pk)],  # the custom member is left out: removed
            "member_service_accounts": [str(robot.pk)],
            "member_groups": [str(viewers.pk)],
        },
    )
    assert response.status_code == 302
    annotators.refresh_from_db()
    assert (annotators.name, annotators.description) == ("Labelers", "Label traces")
    assert set(member_user_ids(annotators)) == {person.pk, robot.pk}
    assert list(GroupNesting.objects.filter(group=annotators).values_list("member_group_id", flat=True)) == [viewers.pk]


def test_the_edit_dialog_shows_current_members_ticked(org, people, annotators):
    html = client_for(people["owner"]).get(groups_page(org, "group-edit", annotators), **HTMX).content.decode()
    assert 'aria-labelledby="edit-dialog-title"' in html
    person = people["custom"]
    assert f'value="{person.pk}"' in html.split("People</legend>")[1].split("</fieldset>")[0]
    assert checked(html) == {str(person.pk)}


def test_nesting_a_group_into_one_it_contains_is_refused_with_the_cycle_named(org, people, annotators):
    outer = custom_group(org, name="Outer")
    nest(annotators, outer)  # Annotators contains Outer
    before = row_counts()
    response = client_for(people["owner"]).post(
        groups_page(org, "group-edit", outer), {"name": "Outer", "member_groups": [str(annotators.pk)]}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "would make a cycle: Annotators → Outer → Annotators." in html
    assert row_counts() == before


def test_a_built_in_group_keeps_its_name_while_its_members_change(org, people):
    owners = builtin_group(org, "owners")
    client = client_for(people["owner"])
    html = client.get(groups_page(org, "group-edit", owners)).content.decode()
    assert 'name="name"' not in html and "built-in group" in html
    newcomer = add_member(org)
    response = client.post(
        groups_page(org, "group-edit", owners), {"name": "Bosses", "member_people": [str(people["owner"].pk), str(newcomer.pk)]}
    )
    assert response.status_code == 302
    owners.refresh_from_db()
    assert owners.name == "Owners" and newcomer.pk in member_user_ids(owners)


def test_removing_every_owner_from_owners_is_refused_with_a_clear_message(org, people):
    owners = builtin_group(org, "owners")
    before = row_counts()
    response = client_for(people["owner"]).post(groups_page(org, "group-edit", owners), {"member_people": []})
    assert response.status_code == 400 and "at least one member in Owners" in response.content.decode()
    assert row_counts() == before


def test_a_member_outside_the_choices_is_a_form_error(org, people, annotators):
    before = row_counts()
    response = client_for(people["owner"]).post(
        groups_page(org, "group-edit", annotators), {"name": "Annotators", "member_people": [str(people["outsider"].pk)]}
    )
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert row_counts() == before


def test_someone_who_may_update_a_group_but_not_read_members_is_offered_only_its_members(org, people, annotators):
    custom = people["custom"]
    grant(org, annotators, user=custom, permission="update")
    html = client_for(custom).get(groups_page(org, "group-edit", annotators)).content.decode()
    assert custom.email in html and people["viewer"].email not in html


@pytest.mark.parametrize(("who", "status"), [("engineer", 403), ("viewer", 403), ("custom", 404), ("outsider", 404)])
def test_only_those_who_may_update_the_group_edit_it(org, people, annotators, who, status):
    client = client_for(people[who])
    assert client.get(groups_page(org, "group-edit", annotators)).status_code == status
    before = row_counts()
    assert client.post(groups_page(org, "group-edit", annotators), {"name": "Taken over"}).status_code == status
    assert row_counts() == before


def test_the_edit_dialog_costs_the_same_queries_for_few_and_many_members(org, people, annotators):
    client = client_for(people["owner"])
    few = steady_state_queries(client, groups_page(org, "group-edit", annotators), **HTMX)
    for index in range(20):
        add_member(org, None, annotators)
        nest(annotators, custom_group(org, name=f"Nested {index}"))
    assert steady_state_queries(client, groups_page(org, "group-edit", annotators), **HTMX) == few


# Delete


def test_an_owner_deletes_a_group_and_its_members_lose_what_it_granted(org, people, annotators):
    project = ProjectFactory(org=org)
    grant(org, Node("org_project", org.pk), group=annotators, permission="read")
    assert can(people["custom"], "read", project)
    response = client_for(people["owner"]).post(groups_page(org, "group-delete", annotators), {"confirm_name": "Annotators"}, follow=True)
    assert "Deleted the permission group Annotators." in response.content.decode()
    assert not PermissionGroup.objects.filter(pk=annotators.pk).exists()
    assert not can(people["custom"], "read", project)


def test_a_built_in_group_cannot_be_deleted_even_by_posting(org, people):
    engineers = builtin_group(org, "engineers")
    response = client_for(people["owner"]).post(groups_page(org, "group-delete", engineers), follow=True)
    assert "cannot be deleted" in response.content.decode()
    assert PermissionGroup.objects.filter(pk=engineers.pk).exists()


@pytest.mark.parametrize(("who", "status"), [("engineer", 403), ("viewer", 403), ("custom", 404), ("outsider", 404)])
def test_only_those_who_may_delete_the_group_delete_it(org, people, annotators, who, status):
    assert client_for(people[who]).post(groups_page(org, "group-delete", annotators)).status_code == status
    assert PermissionGroup.objects.filter(pk=annotators.pk).exists()


def test_a_group_of_another_organization_is_not_found(org, people):
    elsewhere = custom_group(OrganizationFactory(name="Other"), name="Theirs")
    client = client_for(people["owner"])
    for name in ("group-permissions", "group-access", "group-edit"):
        assert client.get(groups_page(org, name, elsewhere)).status_code == 404
    assert client.post(groups_page(org, "group-delete", elsewhere)).status_code == 404
