"""The Preview step of the group Permissions dialog and the group member editor: what Save would give and
take, in words, from a dry run of the Save's own call; refused to whoever may not make the change, and
never writing anything."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from permissions.engine.holdings import Place, PrincipalKey
from permissions.engine.nodes import Node
from permissions.services.preview import AccessChange, AccessPreview
from permissions.types import ACL_PERMISSIONS
from tests.access_helpers import audit_actions, grant, row_counts
from tests.factories import DatasetFactory, ProjectFactory, ServiceAccountFactory, add_member
from tests.worlds import client_for
from web.views.access_preview import preview_in_words

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(org, name: str, group) -> str:
    return reverse(f"web:{name}", kwargs={"org_name": org.name, "group_id": group.pk})


def test_the_permissions_preview_says_in_words_what_save_would_give_and_writes_nothing(org, annotators, people):
    for _ in range(2):
        add_member(org, None, annotators)
    client = client_for(people["owner"])
    before, actions = row_counts(), audit_actions()
    response = client.post(url(org, "group-permissions-preview", annotators), {"boxes": ["projects_read"]}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Saving this gives 3 people Read on all projects; gives the group Annotators Read on all projects." in html
    assert "Nothing is saved yet." in html
    assert (row_counts(), audit_actions()) == (before, actions)


def test_the_permissions_preview_without_javascript_shows_the_dialog_page_with_the_words(org, annotators, people):
    grant(org, Node("org_audit_logs", org.pk), group=annotators, permission="read")
    client = client_for(people["owner"])
    response = client.post(url(org, "group-permissions-preview", annotators), {"boxes": ["projects_read"]})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Saving this gives" in html and "takes Read on the audit log of Acme from" in html
    assert 'value="projects_read" checked' in html and 'value="org_audit" checked' not in html  # the boxes as posted
    assert f'action="{url(org, "group-permissions", annotators)}"' in html  # Save still posts to the dialog


def test_the_dialogs_offer_the_preview_button(org, annotators, people):
    client = client_for(people["owner"])
    for name in ("group-permissions", "group-edit"):
        html = client.get(url(org, name, annotators), **HTMX).content.decode()
        assert f'formaction="{url(org, name + "-preview", annotators)}"' in html
        assert f'hx-post="{url(org, name + "-preview", annotators)}"' in html


@pytest.mark.parametrize("who", ["engineer", "viewer", "custom", "outsider"])
def test_the_permissions_preview_is_refused_to_whoever_may_not_save_and_writes_nothing(org, annotators, people, who):
    client = client_for(people[who])
    before, actions = row_counts(), audit_actions()
    response = client.post(url(org, "group-permissions-preview", annotators), {"boxes": ["projects_read"]}, **HTMX)
    assert response.status_code in (403, 404)
    assert "Saving this" not in response.content.decode()
    assert (row_counts(), audit_actions()) == (before, actions)


def test_the_member_preview_says_what_new_and_removed_members_gain_and_lose(org, annotators, people):
    project = ProjectFactory(org=org, name="support-bot")
    dataset = DatasetFactory(project=project, name="D")
    grant(org, Node("project", project.pk), group=annotators, permission="read")
    grant(org, dataset, group=annotators, permission="update")
    robots = [add_member(org, ServiceAccountFactory(service_account_org=org), annotators) for _ in range(2)]
    newcomer = add_member(org)
    kept = people["custom"]
    client = client_for(people["owner"])
    before, actions = row_counts(), audit_actions()
    data = {"name": "Annotators", "description": "", "member_people": [str(kept.pk), str(newcomer.pk)], "member_service_accounts": []}
    response = client.post(url(org, "group-edit-preview", annotators), data, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    # Read on the project reaches D, the other node the group's grants name.
    assert f"gives {newcomer.email} Read on dataset D and project support-bot; gives {newcomer.email} Update on dataset D;" in html
    taken = "takes Read on dataset D and project support-bot from 2 service accounts; takes Update on dataset D from 2 service accounts."
    assert taken in html
    assert (row_counts(), audit_actions()) == (before, actions)
    assert set(annotators.auth_group.user_set.all()) == {kept, *robots}


def test_the_member_preview_shows_a_refusal_as_save_would(org, people):
    owners = people["owner"].groups.get().permission_group
    client = client_for(people["owner"])
    response = client.post(url(org, "group-edit-preview", owners), {"member_people": []}, **HTMX)
    assert response.status_code == 200
    assert "An organization must keep at least one member in Owners." in response.content.decode()


def test_the_preview_costs_the_same_queries_for_three_members_as_for_thirty(org, annotators, people):
    client = client_for(people["owner"])
    address = url(org, "group-permissions-preview", annotators)

    def queries() -> int:
        client.post(address, {"boxes": ["projects_read"]}, **HTMX)  # warm the session and the content types
        with CaptureQueriesContext(connection) as captured:
            response = client.post(address, {"boxes": ["projects_read"]}, **HTMX)
        assert response.status_code == 200
        return len(captured)

    for _ in range(2):
        add_member(org, None, annotators)
    few = queries()
    for _ in range(27):
        add_member(org, None, annotators)
    assert queries() == few


def _change(kind: str, name: str, permission: str, node_type: str, node_name: str, as_type: str | None = None) -> AccessChange:
    place = Place(node_type, Node("organization", "00000000-0000-0000-0000-000000000001").id, as_type or node_type)
    principal = PrincipalKey(kind, Node("organization", f"00000000-0000-0000-0000-{abs(hash(name)) % 10**12:012d}").id)
    return AccessChange(principal, name, permission, place, node_name)


def test_the_words_count_several_principals_name_one_and_say_restricted_places():
    people = [_change("user", f"p{i}@example.com", "read", "org_project", "Acme") for i in range(34)]
    robots = [_change("service_account", f"robot {i}", "update", "dataset", "D") for i in range(2)]
    restricted = [_change("group", "Readers", "read", "project", "P", "experiment")]
    managers = [_change("user", "ada@example.com", p, "organization", "Acme") for p in ("read", *ACL_PERMISSIONS)]
    words = preview_in_words(AccessPreview(gains=(*people, *restricted, *managers), losses=tuple(robots)))
    assert words == [
        "gives 34 people Read on all projects",
        "gives ada@example.com Read and Manage access on the organization Acme",
        "gives the group Readers Read on the experiments of project P",
        "takes Update on dataset D from 2 service accounts",
    ]
