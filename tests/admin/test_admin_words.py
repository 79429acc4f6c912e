"""The admin speaks in names and words: grants and their audit events name their object, subject and role,
fields and permissions have human labels, a duplicate grant gets a clear message, what nothing may change
is shown read-only, and the object-permission pages' images have alt text."""

import re
from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Organization, User
from permissions.admin.words import node_names
from permissions.engine import Node
from permissions.engine.nodes import VIRTUAL_ANCHOR, model_for_type
from permissions.models import AclGrant, AuditEvent, PermissionGroup, Role
from permissions.services.grants import acl_revoke
from permissions.services.roles import system_role
from permissions.types import ObjectType
from projects.models import Experiment, Project, Prompt, PromptVersion
from tests.access_helpers import audit_actions, custom_group, grant, row_counts
from tests.admin.pages import admin_client, changelist_queries, messages_of, role_grant_form, staff_owner_of, url
from tests.admin_rows import APPS
from tests.factories import (
    DatasetFactory,
    ExperimentFactory,
    OrganizationFactory,
    ProjectFactory,
    PromptFactory,
    UserFactory,
    add_member,
    builtin_group,
)

pytestmark = pytest.mark.django_db


@dataclass
class World:
    org: Organization
    project: Project
    operator: User  # staff, and the organization's owner
    member: User

    def client(self) -> Client:
        return admin_client(self.operator)


@pytest.fixture
def world() -> World:
    org = OrganizationFactory(name="Acme")
    operator = staff_owner_of(org)
    member = add_member(org, UserFactory(given_name="Priya", family_name="Nair", email="priya@example.com"))
    return World(org=org, project=ProjectFactory(org=org, name="Support bot"), operator=operator, member=member)


def results_table(response) -> str:
    html = response.content.decode()
    match = re.search(r'<table id="result_list">.*?</table>', html, re.S)
    assert match, "no result table"
    return match.group(0)


def _record(world: World, node, **what) -> AclGrant:
    return AclGrant.objects.get(pk=grant(world.org, node, **what).id)


# Grants are named, not numbered


def test_the_grants_changelist_names_each_grants_object_type_object_subject_and_role(world):
    reviewers = custom_group(world.org, name="Reviewers")
    _record(world, world.project, group=reviewers, role="viewer")
    _record(world, Node("org_project", world.org.pk), user=world.member, permission="create_acls")
    _record(world, world.project, user=world.member, permission="read", restrict="experiment")
    table = results_table(world.client().get(url(AclGrant, "changelist")))
    for words in (
        "Project",
        "Support bot",
        "group Reviewers",
        "role viewer",
        "All projects",
        "Acme",
        "Priya Nair (priya@example.com)",
        "Manage access: add grants (create_acls)",
        "Experiment",
    ):
        assert words in table, words
    assert str(world.project.pk) not in table
    assert str(world.org.pk) not in table


def test_the_grants_changelist_costs_the_same_queries_at_one_row_and_at_many_of_every_type(world):
    client = world.client()
    _record(world, ProjectFactory(org=world.org), user=add_member(world.org), role="viewer")
    shown_at_one, queries_at_one = changelist_queries(client, AclGrant)
    group = custom_group(world.org, name="Many")
    for _ in range(5):
        project = ProjectFactory(org=world.org)
        _record(world, project, user=add_member(world.org), role="engineer")
        _record(world, ExperimentFactory(project=project), group=group, role="viewer")
        _record(world, DatasetFactory(project=project), user=world.member, permission="read", restrict="dataset")
        _record(world, Node("project_log", project.pk), group=custom_group(world.org), permission="read")
        _record(world, custom_group(world.org), user=add_member(world.org), permission="read", restrict="group")
        _record(world, Node("org_member", world.org.pk), user=add_member(world.org), permission="create")
    shown_at_many, queries_at_many = changelist_queries(client, AclGrant)
    assert shown_at_many >= shown_at_one + 30
    assert queries_at_many == queries_at_one


def test_node_names_agree_with_each_objects_own_name(world):
    project = world.project
    experiment = ExperimentFactory(project=project, name="baseline")
    nodes = [
        Node("organization", world.org.pk),
        Node("org_member", world.org.pk),
        Node("org_audit_logs", world.org.pk),
        Node("org_project", world.org.pk),
        Node("group", custom_group(world.org, name="Team").pk),
        Node("role", system_role("owner").pk),
        Node("project", project.pk),
        Node("project_log", project.pk),
        Node("experiment", experiment.pk),
        Node("dataset", DatasetFactory(project=project, name="golden").pk),
        Node("prompt", PromptFactory(project=project, name="Greeter").pk),
        Node("prompt_session", Node.of(_playground(project)).id),
    ]
    assert {node.type for node in nodes} == set(ObjectType.values)
    slow = {node: model_for_type(VIRTUAL_ANCHOR.get(node.type, node.type))._base_manager.get(pk=node.id).name for node in nodes}
    with CaptureQueriesContext(connection) as queries:
        fast = node_names(nodes)
    assert fast == slow
    assert len(queries) == 1


def _playground(project):
    from tests.factories import OBJECT_FACTORIES

    return OBJECT_FACTORIES["prompt_session"](project=project, name="Try")


def test_a_grant_is_named_in_words_on_its_page_its_deletion_its_messages_and_the_history(world):
    client = world.client()
    response = client.post(url(AclGrant, "add"), role_grant_form(world.project, world.member), follow=True)
    described = "role viewer on Project Support bot, to Priya Nair (priya@example.com)"
    assert any(described in message for message in messages_of(response)), messages_of(response)
    acl = AclGrant.objects.get(object_id=world.project.pk, user=world.member)
    assert LogEntry.objects.get(object_id=str(acl.pk)).object_repr == described

    page = client.get(url(AclGrant, "change", acl.pk)).content.decode()
    assert described in page
    assert f"role {acl.role_id}" not in page

    confirm = client.get(url(AclGrant, "delete", acl.pk))
    assert described in confirm.content.decode()
    assert confirm.context["deleted_objects"] == [f"Grant: {described}"]
    response = client.post(url(AclGrant, "delete", acl.pk), {"post": "yes"}, follow=True)
    assert any(described in message for message in messages_of(response)), messages_of(response)
    assert LogEntry.objects.filter(object_id=str(acl.pk)).order_by("-action_time").first().object_repr == described
    assert described in client.get(reverse("admin:index")).content.decode()  # recent actions


# The audit log names a grant's target


def test_the_audit_log_shows_a_grants_target_from_the_events_stored_fields(world):
    reviewers = custom_group(world.org, name="Reviewers")
    record = grant(world.org, world.project, group=reviewers, permission="read", restrict="experiment")
    acl_revoke(actor=world.operator, grant_id=record.id)
    grant(world.org, ExperimentFactory(project=world.project, name="baseline"), user=world.member, permission="update")
    table = results_table(world.client().get(url(AuditEvent, "changelist")))
    created_and_deleted = "Read (Experiment only) on Project Support bot, to group Reviewers"
    assert table.count(created_and_deleted) == 2  # acl.create (after) and acl.delete (before)
    assert "Update on Experiment baseline, to Priya Nair (priya@example.com)" in table
    event = AuditEvent.objects.filter(action="acl.delete").get()
    assert created_and_deleted in world.client().get(url(AuditEvent, "change", event.pk)).content.decode()


def test_the_audit_log_changelist_costs_the_same_queries_at_one_and_many_grant_events(world):
    client = world.client()

    def queries() -> tuple[int, int]:
        client.get(url(AuditEvent, "changelist"))
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url(AuditEvent, "changelist"))
        return len(response.context["cl"].result_list), len(captured)

    grant(world.org, world.project, group=custom_group(world.org), role="viewer")
    grant(world.org, world.project, user=world.member, permission="read", restrict="dataset")
    shown_at_one, at_one = queries()
    for _ in range(15):
        project = ProjectFactory(org=world.org)
        grant(world.org, project, group=custom_group(world.org), role="engineer")
        grant(world.org, ExperimentFactory(project=project), user=add_member(world.org), permission="read", restrict="experiment")
    shown_at_many, at_many = queries()
    assert shown_at_many >= shown_at_one + 30
    assert at_many == at_one


# Labels


# What a label must not look like: a code, an abbreviation or a column name.
RAW_LABEL = re.compile(r"\b(org|xact|exp|builtin|url|api)\b|\bid\b|\bat$|^is\b", re.I)


def _human(label: str) -> bool:
    return not RAW_LABEL.search(label.replace("ID", "").replace("URL", "").replace("API", ""))


def test_every_field_shown_in_the_admin_has_a_human_label():
    raw = []
    for model in admin.site._registry:
        if model._meta.app_label not in APPS or model is Organization:
            continue
        for field in model._meta.concrete_fields:
            if not _human(str(field.verbose_name)):
                raw.append(f"{model._meta.label}.{field.name}: {field.verbose_name!r}")
    assert raw == []


def test_the_words_of_the_issue_are_gone_from_headers_and_forms(world):
    client = world.client()
    prompt = PromptFactory(project=world.project)
    PromptVersion.objects.create(prompt=prompt, xact_id=1, snapshot={})
    pages = [
        url(PermissionGroup, "changelist"),
        url(PermissionGroup, "change", builtin_group(world.org, "engineers").pk),
        url(Experiment, "add"),
        url(Prompt, "change", prompt.pk),
        url(PromptVersion, "changelist"),
        url(Project, "changelist"),
    ]
    for page in pages:
        html = client.get(page).content.decode()
        for raw in (">Org<", ">Org:<", "Builtin", "Base exp:", ">Base exp<", "Xact id", ">Id<", ">Id:<"):
            assert raw not in html, (page, raw)
    assert "Base experiment" in client.get(url(Experiment, "add")).content.decode()
    assert "Transaction ID" in client.get(url(PromptVersion, "changelist")).content.decode()


def test_the_organization_admin_labels_its_urls_and_id(world):
    client = world.client()
    listing = client.get(url(Organization, "changelist")).content.decode()
    change = client.get(url(Organization, "change", world.org.pk))
    form = change.context["adminform"].form
    assert (form.fields["api_url"].label, form.fields["proxy_url"].label, form.fields["realtime_url"].label) == (
        "API URL",
        "Proxy URL",
        "Realtime URL",
    )
    for html in (listing, change.content.decode()):
        assert "Api url" not in html and ">Id<" not in html
    assert "API URL" in listing


def test_permissions_are_named_by_the_dialogs_words_on_the_object_permission_pages(world):
    client = world.client()
    page = client.get(url(Project, "permissions", world.project.pk)).content.decode()
    manage = client.get(url(Project, "permissions_manage_user", world.project.pk, world.member.pk)).content.decode()
    for html in (page, manage):
        assert "Can create acls" not in html and "Can read project" not in html
        assert "Manage access: add grants (create_acls)" in html
        assert ">Read<" in html or "Read</label>" in html


def test_role_pairs_and_grant_choices_are_offered_in_words(world):
    client = world.client()
    role_form = client.get(url(Role, "add")).context["adminform"].form
    pairs = dict(role_form.fields["member_permissions"].choices)
    assert pairs["read:experiment"] == "Read, on Experiment only"
    assert pairs["create_acls"] == "Manage access: add grants (create_acls), on any type"
    grant_form = client.get(url(AclGrant, "add")).context["adminform"].form
    assert dict(grant_form.fields["object_type"].choices)["org_project"] == "All projects (org_project)"
    assert dict(grant_form.fields["permission"].choices)["delete_acls"] == "Manage access: remove grants (delete_acls)"
    filters = client.get(url(AclGrant, "changelist")).content.decode()
    assert "Playground (prompt_session)" in filters and "Org Project" not in filters


# A duplicate grant


@pytest.mark.parametrize(
    ("subject", "what", "message"),
    [
        ("user", {"role": "viewer"}, "This user already holds this role on this object."),
        ("group", {"role": "viewer"}, "This group already holds this role on this object."),
        ("group", {"permission": "read", "restrict": "experiment"}, "This group already holds this permission on this object."),
    ],
)
def test_a_duplicate_grant_is_refused_with_a_clear_message(world, subject, what, message):
    holder = world.member if subject == "user" else custom_group(world.org, name="Readers")
    grant(world.org, world.project, **{subject: holder}, **what)
    data = {"object_type": "project", "object_id": str(world.project.pk), subject: str(holder.pk)}
    if "role" in what:
        data["role"] = str(system_role(what["role"]).pk)
    else:
        data.update(permission=what["permission"], restrict_object_type=what["restrict"])
    before, actions = row_counts(), audit_actions()
    response = world.client().post(url(AclGrant, "add"), data)
    assert response.status_code == 200
    errors = str(response.context["adminform"].form.errors)
    assert message in errors
    assert "is violated" not in errors
    assert (row_counts(), audit_actions()) == (before, actions)


# Read-only where nothing may change


def test_a_built_in_group_offers_no_delete_and_no_rename_but_its_members_can_change(world):
    client = world.client()
    engineers = builtin_group(world.org, "engineers")
    page = client.get(url(PermissionGroup, "change", engineers.pk))
    assert page.context["has_delete_permission"] is False
    assert url(PermissionGroup, "delete", engineers.pk) not in page.content.decode()
    assert "name" not in page.context["adminform"].form.fields
    assert "cannot be renamed or deleted" in page.content.decode()
    assert client.post(url(PermissionGroup, "delete", engineers.pk), {"post": "yes"}).status_code == 403
    assert PermissionGroup.objects.filter(pk=engineers.pk).exists()

    data = {"description": "builds things", "member_users": [str(world.member.pk)]}
    assert client.post(url(PermissionGroup, "change", engineers.pk), data).status_code == 302
    engineers.refresh_from_db()
    assert engineers.name == "Engineers" and engineers.description == "builds things"
    assert list(engineers.auth_group.user_set.all()) == [world.member]

    custom = custom_group(world.org, name="Team")
    assert client.get(url(PermissionGroup, "change", custom.pk)).context["has_delete_permission"] is True


def test_a_system_role_is_shown_read_only_with_its_permissions_in_words(world):
    client = world.client()
    engineer = system_role("engineer")
    page = client.get(url(Role, "change", engineer.pk))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="_save"' not in html and url(Role, "delete", engineer.pk) not in html
    assert "Update, on any type" in html
    organization_role = Role.objects.create(org=world.org, name="Auditor")
    editable = client.get(url(Role, "change", organization_role.pk))
    assert 'name="_save"' in editable.content.decode() and editable.context["has_delete_permission"] is True


# Images have alt text


def test_every_image_on_the_object_permission_pages_has_alt_text(world):
    client = world.client()
    page = client.get(url(Organization, "permissions", world.org.pk)).content.decode()
    images = re.findall(r"<img\b[^>]*>", page)
    assert len(images) >= 8  # the Owners' eight grants, each a ticked image
    assert all(re.search(r'\balt="[^"]+"', image) for image in images), images
    assert 'alt="Manage access: add grants (create_acls): granted"' in page
