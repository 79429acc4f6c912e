"""The question every delete, remove and revoke of the pages asks first: each page's dialog names what goes
and what it takes with it (counted on the server, in the page's fixed number of queries), the same
question is a page of its own for whoever has no JavaScript, and deleting a group needs its name typed,
which the server checks too."""

import html as html_module
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiKey, Invitation
from accounts.services.credentials import api_key_create, service_account_create, service_token_create
from permissions.engine.nodes import Node
from permissions.grants import grant_records
from permissions.group_deletion import group_deletions
from permissions.models import PermissionGroup
from projects.models import ProjectScore, ProjectTag
from tests.access_helpers import custom_group, grant, nest, raw_grant_expiry
from tests.assertions import assert_refused_without_writing
from tests.factories import ExperimentFactory, ProjectFactory, UserFactory, add_member, builtin_group
from tests.factories_configuration import ProjectScoreFactory, ProjectTagFactory
from tests.query_helpers import steady_state_queries
from tests.web.addresses import org_page
from tests.worlds import client_for

pytestmark = pytest.mark.django_db


def dialog(page: str, key: str) -> str:
    """The text of the confirmation dialog `key` of a page's HTML, unescaped."""
    start = page.index(f'<dialog id="{key}"')
    return html_module.unescape(page[start : page.index("</dialog>", start)])


def region(page: str) -> str:
    """The confirmation of a page of its own (no JavaScript), from its heading to its form's end, unescaped."""
    start = page.index("<h1")
    assert '<div class="form-page confirm"' in page[start:]
    return html_module.unescape(page[start : page.index("</form>", start)])


def group_key(group) -> str:
    return f"delete-group-{group.pk.hex}"


@pytest.fixture
def project(org):
    return ProjectFactory(org=org, name="support-bot")


@pytest.fixture
def annotators_with_everything(org, people, annotators, project):
    """Annotators with two members, a member group, two grants (one in each store) and a group containing it."""
    add_member(org, UserFactory(email="second@example.com"), annotators)
    nest(annotators, custom_group(org, name="Interns"))
    nest(custom_group(org, name="Reviewers"), annotators)
    grant(org, Node("org_project", org.pk), group=annotators, permission="read")
    grant(org, project, group=annotators, permission="update")
    return annotators


# Deleting a group


def test_the_groups_page_asks_before_deleting_naming_members_grants_and_the_groups_it_leaves(org, people, annotators_with_everything):
    page = client_for(people["owner"]).get(org_page(org, "groups")).content.decode()
    asked = dialog(page, group_key(annotators_with_everything))
    assert "Delete the group Annotators?" in asked
    assert "Its 2 members and 1 member group lose what it grants." in asked
    assert "It holds 2 grants, which go with it: Read · All projects; Update · Project support-bot." in asked
    assert "It is removed from the group that contains it: Reviewers." in asked
    assert 'data-confirm-name="Annotators"' in asked and "Type Annotators to confirm" in asked
    assert "data-initial-focus>Cancel</button>" in asked
    # the opener is a link to the same question as a page, for whoever has no JavaScript
    delete_url = org_page(org, "group-delete", group_id=annotators_with_everything.pk)
    assert f'<a href="{delete_url}" data-open-dialog="{group_key(annotators_with_everything)}" aria-label="Delete Annotators"' in page


def test_a_group_with_nothing_says_so(org, people):
    empty = custom_group(org, name="Empty")
    asked = dialog(client_for(people["owner"]).get(org_page(org, "groups")).content.decode(), group_key(empty))
    assert "It has no members." in asked and "It holds no grants." in asked
    assert "contains it" not in asked


def test_grants_on_what_the_person_may_not_list_are_counted_but_not_named(org, people, annotators, project):
    deleter = people["custom"]
    for permission in ("read", "delete"):
        grant(org, annotators, user=deleter, permission=permission)
    grant(org, project, group=annotators, permission="update")
    asked = dialog(client_for(deleter).get(org_page(org, "groups")).content.decode(), group_key(annotators))
    assert "It holds 1 grant, which goes with it (on what you may not list the grants of)." in asked
    assert "support-bot" not in asked


def test_a_wrong_name_is_refused_with_a_form_error_and_deletes_nothing(org, people, annotators_with_everything):
    client = client_for(people["owner"])
    delete_url = org_page(org, "group-delete", group_id=annotators_with_everything.pk)
    for typed in ("", "annotators", "Annotator"):
        response = assert_refused_without_writing(lambda typed=typed: client.post(delete_url, {"confirm_name": typed}), 400)
        page = html_module.unescape(response.content.decode())
        assert "Type the name Annotators exactly as it is written to confirm. Nothing was deleted." in page
        assert 'aria-invalid="true"' in page
    assert PermissionGroup.objects.filter(pk=annotators_with_everything.pk).exists()


def test_without_javascript_the_question_is_a_page_whose_form_deletes_the_group(org, people, annotators_with_everything):
    client = client_for(people["owner"])
    delete_url = org_page(org, "group-delete", group_id=annotators_with_everything.pk)
    response = client.get(delete_url)
    assert response.status_code == 200
    asked = region(response.content.decode())
    assert "Its 2 members and 1 member group lose what it grants." in asked
    assert f'<form method="post" action="{delete_url}">' in asked
    assert f'<a class="button" href="{org_page(org, "groups")}">Cancel</a>' in asked
    response = client.post(delete_url, {"confirm_name": " Annotators "}, follow=True)
    assert "Deleted the permission group Annotators." in response.content.decode()
    assert not PermissionGroup.objects.filter(pk=annotators_with_everything.pk).exists()


def test_without_javascript_every_confirmation_dialog_stays_hidden_for_its_page(org, people):
    page = client_for(people["owner"]).get(org_page(org, "groups")).content.decode()
    noscript = page.split("<noscript>")[1].split("</noscript>")[0]
    assert "dialog.confirm { display: none; }" in noscript


def test_a_built_in_group_is_not_asked_about_it_says_it_cannot_be_deleted(org, people):
    owners = builtin_group(org, "owners")
    response = client_for(people["owner"]).get(org_page(org, "group-delete", group_id=owners.pk), follow=True)
    assert "The built-in group Owners cannot be deleted." in response.content.decode()
    assert "Type Owners to confirm" not in response.content.decode()


def test_what_the_page_counts_agrees_with_the_grants_read_one_group_at_a_time(org, people, annotators_with_everything, project):
    others = [custom_group(org, name=f"Other {index}") for index in range(3)]
    experiment = ExperimentFactory(project=project, name="baseline")
    grant(org, experiment, group=others[0], role="viewer")
    grant(org, project, group=others[1], permission="read", restrict="dataset")
    expired = grant(org, project, group=others[2], permission="delete")
    raw_grant_expiry(expired, timezone.now() - timedelta(minutes=1))
    groups = [annotators_with_everything, *others]
    found = group_deletions(people["owner"], org, [group.pk for group in groups])
    for group in groups:
        records = grant_records(group_id=group.pk)
        assert found[group.pk].grant_count == len(records)
        assert len(found[group.pk].listed_grants) == len(records)  # an Owner may list every grant
    assert found[others[0].pk].listed_grants == ["the role viewer · Experiment baseline"]
    assert found[others[1].pk].listed_grants == ["Read (restricted to Dataset) · Project support-bot"]
    assert found[others[2].pk].grant_count == 0  # an expired grant counts for nothing


@pytest.mark.parametrize(("who", "status"), [("engineer", 403), ("viewer", 403), ("custom", 404), ("outsider", 404)])
def test_only_those_who_may_delete_the_group_see_its_question(org, people, annotators, who, status):
    assert client_for(people[who]).get(org_page(org, "group-delete", group_id=annotators.pk)).status_code == status


def test_the_groups_page_costs_the_same_queries_for_one_and_many_groups_to_delete(org, people, project):
    client = client_for(people["owner"])
    first = custom_group(org, name="First")
    grant(org, project, group=first, permission="read")
    one = steady_state_queries(client, org_page(org, "groups"))
    containers = custom_group(org, name="Container")
    for index in range(12):
        group = custom_group(org, UserFactory(), name=f"Group {index}")
        grant(org, project, group=group, permission="read")
        grant(org, Node("org_project", org.pk), group=group, permission="update")
        nest(containers, group)
    page = client.get(org_page(org, "groups")).content.decode()
    assert "It holds 2 grants" in dialog(page, group_key(group))
    assert steady_state_queries(client, org_page(org, "groups")) == one


# Removing a member


def test_removing_a_member_names_them_and_the_groups_they_leave(org, people, annotators):
    viewer = people["viewer"]
    annotators.auth_group.user_set.add(viewer)
    page = client_for(people["owner"]).get(org_page(org, "members")).content.decode()
    asked = dialog(page, f"remove-member-{viewer.pk.hex}")
    assert f"Remove {viewer.get_full_name()} ({viewer.email}) from Acme?" in asked
    assert "They leave 2 groups, and what those grant: Annotators and Viewers." in asked
    assert "Owner" not in asked
    assert "their API keys for Acme stop working at once" in asked


def test_removing_an_owner_says_they_stop_being_one(org, people):
    owner = people["owner"]
    page = client_for(owner).get(org_page(org, "members")).content.decode()
    assert "They are an Owner of Acme: they stop being one." in dialog(page, f"remove-member-{owner.pk.hex}")


def test_without_javascript_removing_a_member_is_asked_on_a_page(org, people):
    viewer = people["viewer"]
    response = client_for(people["owner"]).get(org_page(org, "member-remove", user_id=viewer.pk))
    assert response.status_code == 200
    assert "They leave 1 group, and what those grant: Viewers." in region(response.content.decode())
    assert client_for(people["viewer"]).get(org_page(org, "member-remove", user_id=people["engineer"].pk)).status_code == 403


def test_revoking_an_invitation_names_the_address_and_the_groups_it_offered(org, people, annotators):
    invitation = Invitation.objects.create(
        org=org, email="grace@example.com", invited_by=people["owner"], expires_at=timezone.now() + timedelta(days=7)
    )
    invitation.groups.add(annotators)
    client = client_for(people["owner"])
    asked = dialog(client.get(org_page(org, "members")).content.decode(), f"revoke-invitation-{invitation.pk.hex}")
    assert "Revoke the invitation of grace@example.com?" in asked
    assert "The link sent to grace@example.com stops working: they do not join Acme through it." in asked
    assert "They would have joined Annotators." in asked
    assert "Revoke the invitation of grace@example.com?" in region(
        client.get(org_page(org, "invitation-revoke", invitation_id=invitation.pk)).content.decode()
    )
    invitation.refresh_from_db()
    assert invitation.revoked_at is None  # asking revokes nothing


# Service accounts, tokens and API keys


@pytest.fixture
def robot(org, people):
    account = service_account_create(actor=people["owner"], org=org, name="ci-bot", group_ids=[builtin_group(org, "engineers").pk])
    for name in ("deploys", "nightly"):
        service_token_create(actor=people["owner"], org=org, account_id=account.pk, name=name)
    return account


def test_deleting_a_service_account_names_its_tokens_which_stop_working(org, people, robot):
    page = client_for(people["owner"]).get(org_page(org, "service-account", account_id=robot.pk)).content.decode()
    asked = dialog(page, "delete-service-account")
    deploys, nightly = (ApiKey.objects.get(user=robot, name=name) for name in ("deploys", "nightly"))
    assert "Delete the service account ci-bot?" in asked
    assert f"Its 2 tokens stop working at once: nightly ({nightly.preview_name}) and deploys ({deploys.preview_name})." in asked
    assert "It leaves 1 group: Engineers." in asked


def test_revoking_a_token_names_it_and_its_preview(org, people, robot):
    page = client_for(people["owner"]).get(org_page(org, "service-account", account_id=robot.pk)).content.decode()
    deploys = ApiKey.objects.get(user=robot, name="deploys")
    asked = dialog(page, f"revoke-token-{deploys.pk.hex}")
    assert f"Revoke the token deploys ({deploys.preview_name})?" in asked
    assert "Programs using it stop working at once" in asked


def test_without_javascript_the_service_account_questions_are_pages(org, people, robot):
    client = client_for(people["owner"])
    deploys = ApiKey.objects.get(user=robot, name="deploys")
    asked = region(client.get(org_page(org, "service-account-delete", account_id=robot.pk)).content.decode())
    assert "Its 2 tokens stop working at once" in asked
    asked = region(client.get(org_page(org, "service-token-revoke", account_id=robot.pk, token_id=deploys.pk)).content.decode())
    assert f"Revoke the token deploys ({deploys.preview_name})?" in asked
    assert ApiKey.objects.filter(pk=deploys.pk).exists()  # asking revokes nothing
    assert client_for(people["engineer"]).get(org_page(org, "service-account-delete", account_id=robot.pk)).status_code == 403


def test_deleting_an_api_key_names_it_and_keeps_the_list_it_came_from(org, people):
    owner = people["owner"]
    key, _ = api_key_create(actor=owner, org=org, name="laptop")
    client = client_for(owner)
    asked = dialog(client.get(org_page(org, "api-keys") + "?scope=all").content.decode(), f"delete-api-key-{key.pk.hex}")
    assert f"Delete the API key laptop ({key.preview_name})?" in asked
    assert "Programs using it stop working at once in Acme." in asked
    assert '<input type="hidden" name="scope" value="all">' in asked
    asked = region(client.get(org_page(org, "api-key-delete", key_id=key.pk)).content.decode())
    assert f"Delete the API key laptop ({key.preview_name})?" in asked
    # nobody is asked about another person's key
    assert client_for(people["engineer"]).get(org_page(org, "api-key-delete", key_id=key.pk)).status_code == 404
    assert ApiKey.objects.filter(pk=key.pk).exists()


# The project's configuration


def test_deleting_a_tag_or_a_score_says_what_it_is(org, people, project):
    tag = ProjectTagFactory(project=project, name="urgent", color="#b3261e", description="Answer today")
    score = ProjectScoreFactory(
        project=project, name="verdict", score_type=ProjectScore.ScoreType.CATEGORICAL, categories=[{"name": "good", "value": 1}]
    )
    page = client_for(people["owner"]).get(reverse("web:project-configuration", kwargs={"org_name": org.name, "project_id": project.pk}))
    page = page.content.decode()
    asked = dialog(page, f"delete-tag-{tag.pk.hex}")
    assert "Delete the tag urgent?" in asked
    assert "The tag urgent of support-bot (Answer today, color #b3261e): it is no longer offered." in asked
    asked = dialog(page, f"delete-score-{score.pk.hex}")
    assert "Delete the human review score verdict?" in asked
    assert "A categorical score of support-bot: good (1)." in asked


def test_without_javascript_deleting_a_tag_is_asked_on_a_page_for_whoever_may_change_tags(org, people, project):
    tag = ProjectTagFactory(project=project, name="urgent")
    address = reverse("web:project-tag-delete", kwargs={"org_name": org.name, "project_id": project.pk, "tag_id": tag.pk})
    response = client_for(people["owner"]).get(address)
    assert response.status_code == 200
    assert "Delete the tag urgent?" in region(response.content.decode())
    assert client_for(people["viewer"]).get(address).status_code == 403
    assert ProjectTag.objects.filter(pk=tag.pk).exists()
