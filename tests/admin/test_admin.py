"""The Django admin: every model registered for operators, writes made by the services (checked by the
engine, audited with the admin as origin), read-only history, no secret ever rendered, fixed query
counts, and object-permission pages that show and make the same grants the API lists."""

import re
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from guardian.admin import GuardedModelAdmin

from accounts.models import ApiKey, Environment, Invitation, Membership, Organization, ServiceAccount, User
from accounts.services.credentials import api_key_create, service_account_create, service_token_create
from permissions.admin.bases import ReadOnlyAdmin, ServiceAdmin
from permissions.engine import Node
from permissions.grant_tables import GroupGrantTable, UserGrantTable
from permissions.models import AclGrant, AuditEvent, GroupNesting, PermissionGroup, Role, RoleNesting, RolePermission
from permissions.services.roles import system_role
from permissions.types import ALL_PERMISSIONS
from projects.models import (
    Dataset,
    DatasetSnapshot,
    EnvironmentObject,
    EventFeedback,
    EventRow,
    EventTag,
    EventVersion,
    Experiment,
    OverflowUpload,
    Project,
    ProjectScore,
    ProjectTag,
    Prompt,
    PromptSession,
    PromptVersion,
    ScoringJob,
    SpanIframe,
    Transaction,
    View,
)
from projects.services.dataset_snapshots import latest_transaction
from tests.access_helpers import audit_actions, custom_group, grant, nest, row_counts
from tests.admin.pages import admin_client, changelist_queries, form_data, messages_of, post_change, role_grant_form, staff_owner_of, url
from tests.admin_rows import APPS, REGISTERED, Rows
from tests.api_helpers import api_client_for
from tests.factories import (
    DatasetFactory,
    ExperimentFactory,
    OrganizationFactory,
    ProjectFactory,
    PromptFactory,
    UserFactory,
    add_member,
    builtin_group,
    insert_as_owner,
    owner_of,
)

pytestmark = pytest.mark.django_db

# Rows that belong to no organization, which only superusers (the hosting operators) see.
SUPERUSERS_ONLY = {Transaction}
GUARDED = [Organization, PermissionGroup, Role, Project, Experiment, Dataset, Prompt, PromptSession]
READ_ONLY = [
    User,
    Membership,
    GroupNesting,
    RoleNesting,
    RolePermission,
    AuditEvent,
    PromptVersion,
    EnvironmentObject,
    EventRow,
    EventVersion,
    EventTag,
    EventFeedback,
    Transaction,
    ScoringJob,
    OverflowUpload,
]
# Anything shaped like a bearer token: a known prefix followed by a long base62 body.
TOKEN_PATTERN = re.compile(r"(?:sk-|bt-st-)[0-9A-Za-z]{20,}")


def _label(model) -> str:
    return model._meta.label


@dataclass
class World:
    """An organization with its owner as operator, an operator who is only an engineer, a superuser who
    is no member, a member without grants, a project, and a second organization."""

    org: Organization
    other_org: Organization
    project: Project
    operator: User  # a staff user who is the organization's owner
    engineer_operator: User  # a staff user in Engineers
    stranger_superuser: User  # a superuser who is not a member of the organization
    member: User  # a member with no grant

    def client(self, who: str = "operator") -> Client:
        return admin_client(getattr(self, who))

    def client_seeing(self, model) -> Client:
        """The operator's client, or the superuser's for rows that belong to no organization."""
        return self.client("stranger_superuser" if model in SUPERUSERS_ONLY else "operator")

    def operator_at_the_forms(self) -> "AdminForms":
        return AdminForms(self.client(), self.operator)


@dataclass
class AdminForms:
    """An operator writing through the admin's add, change and delete forms: each write is posted as the
    page posts it, answered with a redirect, and audited once, from the admin, with the operator as actor."""

    client: Client
    operator: User

    def add(self, model, data: dict, event: str, **lookup):
        """Post the add form of `model` with `data`; the row it made, found by `lookup`."""
        response = self.client.post(url(model, "add"), data)
        assert response.status_code == 302, response.content
        assert_audited_from_admin(event, self.operator)
        return model.objects.get(**lookup)

    def change(self, obj, event: str, **overrides) -> None:
        """Post the change form of `obj` as shown, with `overrides`; `obj` is read again afterwards."""
        response = post_change(self.client, obj, **overrides)
        assert response.status_code == 302, response.content
        assert_audited_from_admin(event, self.operator)
        obj.refresh_from_db()

    def delete(self, obj, event: str) -> None:
        """Confirm the delete page of `obj`."""
        assert self.client.post(url(type(obj), "delete", obj.pk), {"post": "yes"}).status_code == 302
        assert_audited_from_admin(event, self.operator)


@pytest.fixture
def world() -> World:
    org, other_org = OrganizationFactory(), OrganizationFactory()
    operator = staff_owner_of(org)
    engineer_operator = add_member(org, UserFactory(is_staff=True), "engineers")
    stranger = UserFactory(is_staff=True, is_superuser=True)
    return World(
        org=org,
        other_org=other_org,
        project=ProjectFactory(org=org, name="Support bot"),
        operator=operator,
        engineer_operator=engineer_operator,
        stranger_superuser=stranger,
        member=add_member(org),
    )


def admin_events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("created"))


def assert_audited_from_admin(action: str, actor: User, count: int = 1) -> list[AuditEvent]:
    events = admin_events(action)
    assert len(events) == count, audit_actions()
    for event in events:
        assert event.actor == actor
        assert event.origin["channel"] == "admin"
    return events


# What is registered, and how


def test_every_model_of_the_three_apps_is_registered_except_guardians_grant_tables():
    for label in APPS:
        for model in apps.get_app_config(label).get_models():
            if issubclass(model, UserGrantTable | GroupGrantTable):
                assert not admin.site.is_registered(model), model
            else:
                assert admin.site.is_registered(model), model


@pytest.mark.parametrize("model", GUARDED, ids=_label)
def test_models_with_grant_tables_use_guardians_admin_with_writes_through_services(model):
    model_admin = admin.site._registry[model]
    assert isinstance(model_admin, GuardedModelAdmin)
    assert isinstance(model_admin, ServiceAdmin)


@pytest.mark.parametrize("model", READ_ONLY, ids=_label)
def test_history_and_derived_rows_have_read_only_admins(model):
    assert isinstance(admin.site._registry[model], ReadOnlyAdmin)


def test_django_groups_are_not_editable_on_their_own():
    assert not admin.site.is_registered(PermissionGroup._meta.get_field("auth_group").related_model)


@pytest.mark.parametrize("model", REGISTERED, ids=_label)
def test_every_admin_has_columns_and_search(model):
    model_admin = admin.site._registry[model]
    assert len(model_admin.list_display) >= 2
    assert model_admin.search_fields or model is Transaction


# Who may use the admin


def test_an_operator_sees_the_admin_index(world):
    response = world.client().get(reverse("admin:index"))
    assert response.status_code == 200
    assert {app["app_label"] for app in response.context["app_list"]} >= set(APPS)


def test_a_member_who_is_not_staff_is_sent_to_the_login_page(world):
    response = admin_client(world.member).get(url(Project, "changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_an_inactive_staff_user_cannot_use_the_admin(world):
    world.engineer_operator.is_active = False
    world.engineer_operator.save(update_fields=["is_active"])
    response = admin_client(world.engineer_operator).get(url(Project, "changelist"))
    assert response.status_code == 302


# Every page answers


@pytest.mark.parametrize("model", REGISTERED, ids=_label)
def test_changelist_and_change_page_answer_200_for_an_operator(world, model):
    obj = Rows(world).make(model)
    client = world.client_seeing(model)
    changelist = client.get(url(model, "changelist"))
    assert changelist.status_code == 200
    assert obj.pk in {row.pk for row in changelist.context["cl"].result_list}
    change = client.get(url(model, "change", obj.pk))
    assert change.status_code == 200
    assert change.context["original"].pk == obj.pk


@pytest.mark.parametrize("model", REGISTERED, ids=_label)
def test_search_answers_200_with_any_text(world, model):
    Rows(world).make(model)
    response = world.client().get(url(model, "changelist"), {"q": "no-such-thing-0f3a"})
    assert response.status_code == 200


CREATABLE = [
    m for m in REGISTERED if isinstance(admin.site._registry[m], ServiceAdmin) and admin.site._registry[m].offers("create_through_service")
]


@pytest.mark.parametrize("model", CREATABLE, ids=_label)
def test_add_page_answers_200_where_a_service_creates(world, model):
    assert world.client().get(url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", GUARDED, ids=_label)
def test_object_permissions_page_answers_200_and_is_linked_from_the_change_page(world, model):
    obj = world.org if model is Organization else Rows(world).make(model)
    client = world.client()
    permissions_url = url(model, "permissions", obj.pk)
    assert permissions_url in client.get(url(model, "change", obj.pk)).content.decode()
    assert client.get(permissions_url).status_code == 200


def test_object_permissions_pages_of_a_missing_object_answer_404(world):
    client = world.client()
    assert client.get(url(Project, "permissions", "not-a-uuid")).status_code == 404
    assert client.get(url(Project, "permissions", world.other_org.pk)).status_code == 404
    assert client.get(url(Project, "permissions_manage_user", world.project.pk, "not-a-uuid")).status_code == 404
    assert client.get(url(Project, "permissions_manage_group", world.project.pk, "x")).status_code == 404


AUTOCOMPLETE_FIELDS = [(model, field) for model in REGISTERED for field in admin.site._registry[model].autocomplete_fields]


@pytest.mark.parametrize(("model", "field"), AUTOCOMPLETE_FIELDS, ids=[f"{m._meta.label}.{f}" for m, f in AUTOCOMPLETE_FIELDS])
def test_every_autocomplete_field_finds_rows_by_their_search_fields(world, model, field):
    target = model._meta.get_field(field).related_model
    obj = world.org if target is Organization else Rows(world).make(target)
    params = {"app_label": model._meta.app_label, "model_name": model._meta.model_name, "field_name": field, "term": str(obj)[:6]}
    response = world.client().get(reverse("admin:autocomplete"), params)
    assert response.status_code == 200
    assert str(obj.pk) in {result["id"] for result in response.json()["results"]}


# Query counts


@pytest.mark.parametrize("model", REGISTERED, ids=_label)
def test_changelist_costs_the_same_number_of_queries_for_one_and_thirty_rows(world, model):
    rows = Rows(world)
    client = world.client_seeing(model)
    rows.make(model)
    shown_before, queries_at_one = changelist_queries(client, model)
    for _ in range(29):
        rows.make(model)
    shown_after, queries_at_thirty = changelist_queries(client, model)
    assert shown_after >= shown_before + 29
    assert queries_at_thirty == queries_at_one


# Read-only admins


@pytest.mark.parametrize("model", READ_ONLY, ids=_label)
def test_read_only_admins_refuse_to_add_change_or_delete(world, model):
    obj = Rows(world).make(model)
    client = world.client_seeing(model)
    before = row_counts()
    assert client.get(url(model, "add")).status_code == 403
    assert client.post(url(model, "add"), {}).status_code == 403
    change_page = client.get(url(model, "change", obj.pk))
    assert change_page.context["has_change_permission"] is False
    assert "adminform" not in change_page.context or not change_page.context["adminform"].form.fields
    assert client.post(url(model, "change", obj.pk), {}).status_code == 403
    assert client.post(url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    changelist = client.get(url(model, "changelist"))
    assert "delete_selected" not in (changelist.context["cl"].model_admin.get_actions(changelist.wsgi_request))
    assert row_counts() == before
    assert model._base_manager.filter(pk=obj.pk).exists()


def test_a_service_admin_without_an_update_service_shows_its_rows_read_only(world):
    key, _ = api_key_create(actor=world.operator, org=world.org, name="ci")
    client = world.client()
    assert client.get(url(ApiKey, "add")).status_code == 403
    assert client.post(url(ApiKey, "change", key.pk), {"name": "renamed"}).status_code == 403
    key.refresh_from_db()
    assert key.name == "ci"


# Writes go through the services


def test_creating_a_group_goes_through_group_create(world):
    response = world.client().post(url(PermissionGroup, "add"), {"org": world.org.pk, "name": "Reviewers", "description": "they review"})
    assert response.status_code == 302, response.content
    group = PermissionGroup.objects.get(org=world.org, name="Reviewers")
    assert group.auth_group_id is not None
    assert group.created_by == world.operator
    [event] = assert_audited_from_admin("group.create", world.operator)
    assert event.target_id == str(group.pk)


def test_changing_a_group_goes_through_group_update(world):
    group = custom_group(world.org, name="Team")
    inner = custom_group(world.org, name="Inner")
    response = post_change(world.client(), group, name="Team A", member_users=[str(world.member.pk)], nested_groups=[str(inner.pk)])
    assert response.status_code == 302, response.content
    group.refresh_from_db()
    assert group.name == "Team A"
    assert list(group.auth_group.user_set.all()) == [world.member]
    assert list(group.member_groups.all()) == [inner]
    [event] = assert_audited_from_admin("group.update", world.operator)
    assert event.before["name"] == "Team" and event.after["name"] == "Team A"
    assert event.after["member_users"] == [str(world.member.pk)]


def test_removing_a_member_from_a_group_goes_through_group_update(world):
    group = custom_group(world.org, world.member, name="Team")
    response = post_change(world.client(), group, member_users=None)
    assert response.status_code == 302
    assert not group.auth_group.user_set.exists()
    [event] = assert_audited_from_admin("group.update", world.operator)
    assert event.before["member_users"] == [str(world.member.pk)] and event.after["member_users"] == []


def test_deleting_a_group_goes_through_group_delete(world):
    group = custom_group(world.org, name="Temporary")
    response = world.client().post(url(PermissionGroup, "delete", group.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not PermissionGroup.objects.filter(pk=group.pk).exists()
    assert_audited_from_admin("group.delete", world.operator)


def test_deleting_groups_from_the_changelist_goes_through_group_delete_for_each(world):
    groups = [custom_group(world.org, name=f"Old {n}") for n in range(2)]
    data = {"action": "delete_selected", "post": "yes", admin.helpers.ACTION_CHECKBOX_NAME: [str(g.pk) for g in groups]}
    response = world.client().post(url(PermissionGroup, "changelist"), data)
    assert response.status_code == 302
    assert not PermissionGroup.objects.filter(pk__in=[g.pk for g in groups]).exists()
    assert_audited_from_admin("group.delete", world.operator, count=2)


def test_a_refused_item_of_a_changelist_deletion_refuses_all_of_it(world):
    group = custom_group(world.org, name="Deletable")
    owners = builtin_group(world.org, "owners")
    before, actions = row_counts(), audit_actions()
    data = {"action": "delete_selected", "post": "yes", admin.helpers.ACTION_CHECKBOX_NAME: [str(group.pk), str(owners.pk)]}
    response = world.client().post(url(PermissionGroup, "changelist"), data, follow=True)
    assert response.status_code == 200
    assert "The built-in group Owners cannot be deleted." in messages_of(response)
    assert PermissionGroup.objects.filter(pk=group.pk).exists()
    assert row_counts() == before
    assert audit_actions() == actions


def test_creating_changing_and_deleting_a_role_go_through_the_role_services(world):
    forms = world.operator_at_the_forms()
    data = {"org": world.org.pk, "name": "Auditor", "description": "", "member_permissions": ["read", "update:org_audit_logs"]}
    role = forms.add(Role, data, "role.create", org=world.org, name="Auditor")
    assert set(role.member_permissions.values_list("permission", "restrict_object_type")) == {("read", ""), ("update", "org_audit_logs")}

    viewer = system_role("viewer")
    forms.change(role, "role.update", member_permissions=["read", "update:project"], inherited_roles=[str(viewer.pk)])
    assert set(role.member_permissions.values_list("permission", "restrict_object_type")) == {("read", ""), ("update", "project")}
    assert list(role.member_roles.all()) == [viewer]

    forms.delete(role, "role.delete")
    assert not Role.objects.filter(pk=role.pk).exists()


def test_a_system_role_cannot_be_edited_through_the_admin(world):
    viewer = system_role("viewer")
    before = row_counts()
    client = world.client()
    page = client.get(url(Role, "change", viewer.pk))
    assert page.status_code == 200
    assert (page.context["has_change_permission"], page.context["has_delete_permission"]) == (False, False)
    assert client.post(url(Role, "change", viewer.pk), {"name": "looker"}).status_code == 403
    assert client.post(url(Role, "delete", viewer.pk), {"post": "yes"}).status_code == 403
    viewer.refresh_from_db()
    assert viewer.name == "viewer"
    assert row_counts() == before


def test_changing_organization_settings_goes_through_organization_update(world):
    response = post_change(world.client(), world.org, api_url="https://api.example.com", create_direct_ownership_grants=None)
    assert response.status_code == 302, response.content
    world.org.refresh_from_db()
    assert world.org.api_url == "https://api.example.com"
    assert world.org.create_direct_ownership_grants is False
    [event] = assert_audited_from_admin("organization.update", world.operator)
    assert event.after["api_url"] == "https://api.example.com"


def test_creating_an_organization_makes_the_operator_its_first_owner(world):
    response = world.client().post(url(Organization, "add"), {"name": "Acme"})
    assert response.status_code == 302
    org = Organization.objects.get(name="Acme")
    assert owner_of(org) == world.operator
    assert PermissionGroup.objects.filter(org=org).count() == 3
    event = AuditEvent.objects.get(action="organization.create", target_id=str(org.pk))
    assert (event.actor, event.origin["channel"]) == (world.operator, "admin")


def test_organizations_cannot_be_deleted_in_the_admin(world):
    assert world.client().post(url(Organization, "delete", world.org.pk), {"post": "yes"}).status_code == 403
    assert Organization.objects.filter(pk=world.org.pk).exists()


def test_creating_renaming_and_deleting_a_project_go_through_the_project_services(world):
    forms = world.operator_at_the_forms()
    project = forms.add(Project, {"org": world.org.pk, "name": "Search", "description": ""}, "project.create", org=world.org, name="Search")
    assert AclGrant.objects.filter(object_type="project", object_id=project.pk, user=world.operator, role__name="owner").exists()

    forms.change(project, "project.update", name="Search v2", settings='{"comparison_key": "input"}')
    assert (project.name, project.settings) == ("Search v2", {"comparison_key": "input"})

    forms.delete(project, "project.delete")
    project.refresh_from_db()
    assert project.deleted_at is not None


def test_invalid_project_settings_are_refused_with_the_services_message(world):
    before, actions = row_counts(), audit_actions()
    response = post_change(world.client(), world.project, settings='{"nonsense": 1}', follow=True)
    _refused(response, "nonsense")
    world.project.refresh_from_db()
    assert world.project.settings is None
    assert (row_counts(), audit_actions()) == (before, actions)


def test_deleting_a_project_only_marks_it_deleted_and_lists_no_cascade(world):
    ExperimentFactory(project=world.project)
    response = world.client().get(url(Project, "delete", world.project.pk))
    assert response.status_code == 200
    assert response.context["deleted_objects"] == [f"Project: {world.project.name} (marked deleted; its contents and grants stay stored)"]
    assert not response.context["perms_lacking"]


def test_creating_changing_and_deleting_an_experiment_go_through_the_experiment_services(world):
    forms = world.operator_at_the_forms()
    dataset = DatasetFactory(project=ProjectFactory(org=world.org))
    data = {"project": world.project.pk, "name": "baseline", "description": "", "dataset": dataset.pk, "tags": '["nightly"]'}
    experiment = forms.add(Experiment, data, "experiment.create", project=world.project, name="baseline")
    assert (experiment.dataset, experiment.tags, experiment.created_by) == (dataset, ["nightly"], world.operator)

    forms.change(experiment, "experiment.update", public="on", metadata='{"team": "search"}')
    assert experiment.public and experiment.metadata == {"team": "search"}

    forms.delete(experiment, "experiment.delete")
    experiment.refresh_from_db()
    assert experiment.deleted_at is not None


def test_linking_a_dataset_of_another_organization_is_refused_as_missing(world):
    theirs = DatasetFactory(project=ProjectFactory(org=world.other_org))
    before = row_counts()
    data = {"project": world.project.pk, "name": "sneaky", "dataset": theirs.pk}
    response = world.client().post(url(Experiment, "add"), data, follow=True)
    _refused(response, f"No such dataset with id {theirs.pk}")
    assert row_counts() == before


def test_creating_and_changing_a_dataset_go_through_the_dataset_services(world):
    forms = world.operator_at_the_forms()
    dataset = forms.add(Dataset, {"project": world.project.pk, "name": "golden"}, "dataset.create", project=world.project, name="golden")
    forms.change(dataset, "dataset.update", description="hand-checked")
    assert dataset.description == "hand-checked"


def test_creating_and_changing_a_prompt_go_through_the_prompt_services_and_keep_versions(world):
    forms = world.operator_at_the_forms()
    prompt_data = '{"prompt": {"type": "completion", "content": "Hi {{name}}"}}'
    data = {"project": world.project.pk, "name": "Greeter", "slug": "greeter", "prompt_data": prompt_data}
    prompt = forms.add(Prompt, data, "prompt.create", project=world.project, slug="greeter")
    assert prompt.versions.count() == 1

    forms.change(prompt, "prompt.update", description="says hello")
    assert prompt.description == "says hello"
    assert prompt.versions.count() == 2


def test_creating_and_changing_a_playground_go_through_the_playground_services(world):
    forms = world.operator_at_the_forms()
    prompt = PromptFactory(project=world.project)
    data = {"project": world.project.pk, "name": "Try it", "prompts": [str(prompt.pk)]}
    playground = forms.add(PromptSession, data, "prompt_session.create", project=world.project, name="Try it")
    assert list(playground.prompts.all()) == [prompt]

    forms.change(playground, "prompt_session.update", prompts=None)
    assert not playground.prompts.exists()


def test_a_playgrounds_dataset_is_chosen_changed_and_cleared_through_the_playground_services(world):
    forms = world.operator_at_the_forms()
    first, second = DatasetFactory(project=world.project), DatasetFactory(project=world.project)
    data = {"project": world.project.pk, "name": "On rows", "dataset": str(first.pk)}
    playground = forms.add(PromptSession, data, "prompt_session.create", project=world.project, name="On rows")
    assert playground.dataset == first

    forms.change(playground, "prompt_session.update", dataset=second.pk)
    assert playground.dataset == second
    assert post_change(forms.client, playground, dataset="").status_code == 302
    assert_audited_from_admin("prompt_session.update", forms.operator, count=2)
    playground.refresh_from_db()
    assert playground.dataset is None


def test_a_dataset_of_another_organization_is_refused_as_missing_for_a_playground(world):
    hidden = DatasetFactory(project=ProjectFactory(org=world.other_org))
    before = row_counts()
    data = {"project": world.project.pk, "name": "Leaky", "dataset": str(hidden.pk)}
    response = world.client().post(url(PromptSession, "add"), data, follow=True)
    _refused(response, f"No dataset with id {hidden.pk} was found.")
    assert not PromptSession.objects.filter(name="Leaky").exists()
    assert row_counts() == before


def test_adding_a_prompt_of_another_organization_to_a_playground_is_refused_as_missing(world):
    hidden = PromptFactory(project=ProjectFactory(org=world.other_org))
    before = row_counts()
    data = {"project": world.project.pk, "name": "Leaky", "prompts": [str(hidden.pk)]}
    response = world.client().post(url(PromptSession, "add"), data, follow=True)
    _refused(response, f"No prompt with id {hidden.pk} was found.")
    assert row_counts() == before
    assert not PromptSession.objects.filter(name="Leaky").exists()


def test_tags_are_created_changed_and_deleted_through_the_configuration_services(world):
    forms = world.operator_at_the_forms()
    data = {"project": world.project.pk, "name": "urgent", "color": "red"}
    tag = forms.add(ProjectTag, data, "project_tag.create", project=world.project, name="urgent")
    assert tag.created_by == world.operator
    forms.change(tag, "project_tag.update", color="blue")
    assert tag.color == "blue"
    forms.delete(tag, "project_tag.delete")
    assert not ProjectTag.objects.filter(pk=tag.pk).exists()


def test_span_iframes_are_created_changed_and_deleted_through_their_services(world):
    forms = world.operator_at_the_forms()
    data = {"project": world.project.pk, "name": "Viewer", "url": "https://tools.example.com/v", "post_message": "unknown"}
    iframe = forms.add(SpanIframe, data, "span_iframe.create", project=world.project, name="Viewer")
    forms.change(iframe, "span_iframe.update", url="https://tools.example.com/w", post_message="true")
    assert (iframe.url, iframe.post_message) == ("https://tools.example.com/w", True)
    response = post_change(forms.client, iframe, url="http://tools.example.com/w", follow=True)
    assert any("only https URLs may be embedded" in message for message in messages_of(response))
    forms.delete(iframe, "span_iframe.delete")
    assert not SpanIframe.objects.filter(pk=iframe.pk).exists()


def test_dataset_snapshots_are_created_renamed_and_deleted_through_their_services(world):
    dataset = DatasetFactory(project=world.project)
    insert_as_owner(dataset, [{"id": "a"}])
    xact_id = latest_transaction(dataset)
    forms = world.operator_at_the_forms()
    data = {"dataset": dataset.pk, "name": "v1", "xact_id": xact_id + 1000}
    response = forms.client.post(url(DatasetSnapshot, "add"), data, follow=True)
    assert any("is not a transaction of this dataset" in message for message in messages_of(response))
    snapshot = forms.add(DatasetSnapshot, {**data, "xact_id": xact_id}, "dataset_snapshot.create", dataset=dataset, name="v1")
    forms.change(snapshot, "dataset_snapshot.update", name="baseline")
    assert DatasetSnapshot.objects.get(pk=snapshot.pk).name == "baseline"
    forms.delete(snapshot, "dataset_snapshot.delete")
    assert audit_actions()[-2:] == ["dataset_snapshot.update", "dataset_snapshot.delete"]


def test_environments_are_created_changed_and_deleted_through_the_environment_services(world):
    forms = world.operator_at_the_forms()
    qa = forms.add(Environment, {"org": world.org.pk, "name": "QA", "slug": "qa"}, "environment.create", org=world.org, slug="qa")
    forms.change(qa, "environment.update", name="Quality")
    assert qa.name == "Quality"
    forms.delete(qa, "environment.delete")
    qa.refresh_from_db()
    assert qa.deleted_at is not None


def test_scores_are_created_changed_and_deleted_through_the_configuration_services(world):
    forms = world.operator_at_the_forms()
    data = {"project": world.project.pk, "name": "Helpful", "score_type": "categorical", "categories": '[{"name": "yes", "value": 1}]'}
    score = forms.add(ProjectScore, data, "project_score.create", project=world.project, name="Helpful")
    forms.change(score, "project_score.update", categories='[{"name": "yes", "value": 1}, {"name": "no", "value": 0}]')
    assert [c["name"] for c in score.categories] == ["yes", "no"]
    forms.delete(score, "project_score.delete")
    assert not ProjectScore.objects.filter(pk=score.pk).exists()


def test_saved_views_are_created_changed_and_deleted_through_the_view_services(world):
    forms = world.operator_at_the_forms()
    data = {"org": world.org.pk, "object_type": "project_log", "object_id": world.project.pk, "view_type": "logs", "name": "Prod"}
    data["view_data"] = '{"search": {"tag": ["production"]}}'
    view = forms.add(View, data, "view.create", object_id=world.project.pk, name="Prod")
    assert (view.created_by, view.view_data) == (world.operator, {"search": {"tag": ["production"]}})
    forms.change(view, "view.update", name="Production")
    assert view.name == "Production"
    forms.delete(view, "view.delete")
    assert not View.objects.filter(pk=view.pk).exists()


def test_a_view_with_an_invalid_definition_is_refused_and_nothing_is_written(world):
    before = row_counts()
    data = {"org": world.org.pk, "object_type": "project_log", "object_id": world.project.pk, "name": "Bad", "view_data": "[1]"}
    response = world.client().post(url(View, "add"), data, follow=True)
    _refused(response, "view_data: must be an object.")
    assert row_counts() == before
    assert not View.objects.filter(name="Bad").exists()


def test_an_invalid_score_definition_is_refused_and_nothing_is_written(world):
    before, actions = row_counts(), audit_actions()
    data = {"project": world.project.pk, "name": "Broken", "score_type": "weighted", "categories": '["not", "weights"]'}
    response = world.client().post(url(ProjectScore, "add"), data, follow=True)
    assert response.status_code == 200
    assert any("categories" in message for message in messages_of(response))
    assert not ProjectScore.objects.filter(name="Broken").exists()
    assert (row_counts(), audit_actions()) == (before, actions)


def test_service_accounts_are_created_renamed_and_deleted_through_the_credentials_service(world):
    forms = world.operator_at_the_forms()
    group = custom_group(world.org, name="Loggers")
    data = {"service_account_org": world.org.pk, "given_name": "ingest bot", "permission_groups": [str(group.pk)]}
    account = forms.add(ServiceAccount, data, "service_account.create", given_name="ingest bot")
    assert Membership.objects.filter(org=world.org, user=account).exists()
    assert list(group.auth_group.user_set.all()) == [account]

    forms.change(account, "service_account.update", given_name="ingest robot")
    assert account.given_name == "ingest robot"

    forms.delete(account, "service_account.delete")
    assert not User.objects.filter(pk=account.pk).exists()


def test_invitations_are_made_by_member_invite_and_revoked_by_the_action(world):
    client = world.client()
    group = custom_group(world.org, name="New hires")
    data = {"org": world.org.pk, "email": "New.Person@Example.com", "groups": [str(group.pk)]}
    assert client.post(url(Invitation, "add"), data).status_code == 302
    invitation = Invitation.objects.get(org=world.org, email="new.person@example.com")
    assert list(invitation.groups.all()) == [group]
    assert_audited_from_admin("invitation.create", world.operator)

    action = {"action": "revoke_invitations", admin.helpers.ACTION_CHECKBOX_NAME: [str(invitation.pk)]}
    assert client.post(url(Invitation, "changelist"), action).status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert_audited_from_admin("invitation.revoke", world.operator)
    assert client.post(url(Invitation, "delete", invitation.pk), {"post": "yes"}).status_code == 403


def test_deleting_a_service_token_revokes_it_through_the_credentials_service(world):
    account = service_account_create(actor=world.operator, org=world.org, name="bot")
    token, _ = service_token_create(actor=world.operator, org=world.org, account_id=account.pk, name="prod")
    assert world.client().post(url(ApiKey, "delete", token.pk), {"post": "yes"}).status_code == 302
    assert not ApiKey.objects.filter(pk=token.pk).exists()
    assert_audited_from_admin("service_token.delete", world.operator)


def test_an_operator_may_delete_their_own_api_key_but_not_someone_elses(world):
    mine, _ = api_key_create(actor=world.operator, org=world.org, name="mine")
    theirs, _ = api_key_create(actor=world.member, org=world.org, name="theirs")
    client = world.client()
    assert client.post(url(ApiKey, "delete", mine.pk), {"post": "yes"}).status_code == 302
    assert not ApiKey.objects.filter(pk=mine.pk).exists()
    assert_audited_from_admin("api_key.delete", world.operator)

    # another member's key is not shown to the operator at all; a superuser sees it, and the service refuses
    hidden = client.post(url(ApiKey, "delete", theirs.pk), {"post": "yes"}, follow=True)
    assert any("Perhaps it was deleted?" in message for message in messages_of(hidden))
    response = world.client("stranger_superuser").post(url(ApiKey, "delete", theirs.pk), {"post": "yes"}, follow=True)
    assert f"No api_key with id {theirs.pk} was found." in messages_of(response)
    assert ApiKey.objects.filter(pk=theirs.pk).exists()


def test_a_role_grant_made_on_the_grants_page_is_listed_by_the_api_and_revoked_through_the_service(world):
    forms = world.operator_at_the_forms()
    acl = forms.add(
        AclGrant,
        role_grant_form(world.project, world.member),
        "acl.create",
        object_type="project",
        object_id=world.project.pk,
        user=world.member,
    )
    listed = api_client_for(world.operator, world.org).get("/v1/acl", {"object_type": "project", "object_id": str(world.project.pk)})
    assert str(acl.pk) in {a["id"] for a in listed.json()["objects"]}

    forms.delete(acl, "acl.delete")
    assert not AclGrant.objects.filter(pk=acl.pk).exists()


def test_a_grant_made_on_the_grants_page_may_carry_an_expiry(world):
    data = role_grant_form(world.project, world.member, expires_at_0="2999-01-01", expires_at_1="12:00:00")
    assert world.client().post(url(AclGrant, "add"), data).status_code == 302
    acl = AclGrant.objects.get(object_type="project", object_id=world.project.pk, user=world.member)
    assert (acl.expires_at.year, acl.expires_at.hour) == (2999, 12)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"permission": "read"}, "direct grant"),
        ({"permission": "read", "role": "viewer"}, "Exactly one of permission and role_id must be given."),
        ({}, "Exactly one of permission and role_id must be given."),
        ({"role": "viewer", "restrict_object_type": "experiment"}, "restrict_object_type cannot be set together with role_id."),
        ({"role": "viewer", "expires_at_0": "2001-01-01", "expires_at_1": "00:00:00"}, "expires_at must be in the future."),
    ],
)
def test_an_invalid_grant_on_the_grants_page_is_a_form_error_and_writes_nothing(world, fields, message):
    data = {"object_type": "project", "object_id": str(world.project.pk), "user": str(world.member.pk), **fields}
    if "role" in data:
        data["role"] = str(system_role(data["role"]).pk)
    before = row_counts()
    response = world.client().post(url(AclGrant, "add"), data)
    assert response.status_code == 200
    assert message in str(response.context["adminform"].form.errors)
    assert row_counts() == before


# Refusals are messages, and nothing of the refused change stays


def _refused(response, message: str) -> None:
    assert response.status_code == 200, response.status_code
    shown = messages_of(response)
    assert any(message in text for text in shown), shown


def test_an_engineer_operator_changing_organization_settings_sees_the_refusal(world):
    before, actions = row_counts(), audit_actions()
    page = world.client("engineer_operator").get(url(Organization, "change", world.org.pk))
    data = form_data(page, api_url="https://evil.example.com")
    response = world.client("engineer_operator").post(url(Organization, "change", world.org.pk), data, follow=True)
    _refused(response, "You need the 'update' permission on this organization.")
    world.org.refresh_from_db()
    assert world.org.api_url is None
    assert (row_counts(), audit_actions()) == (before, actions)


def test_an_engineer_operator_creating_a_group_sees_the_refusal(world):
    before, actions = row_counts(), audit_actions()
    response = world.client("engineer_operator").post(url(PermissionGroup, "add"), {"org": world.org.pk, "name": "Mine"}, follow=True)
    _refused(response, "You need the 'create' permission to add a group here.")
    assert (row_counts(), audit_actions()) == (before, actions)


def test_an_engineer_operator_deleting_a_group_sees_the_refusal(world):
    group = custom_group(world.org, name="Reviewers")
    before = row_counts()
    response = world.client("engineer_operator").post(url(PermissionGroup, "delete", group.pk), {"post": "yes"}, follow=True)
    _refused(response, "You need the 'delete' permission on this group.")
    assert row_counts() == before


def test_renaming_a_built_in_group_is_not_offered_even_to_an_owner(world):
    owners = builtin_group(world.org, "owners")
    before, actions = row_counts(), audit_actions()
    client = world.client()
    page = client.get(url(PermissionGroup, "change", owners.pk))
    assert "name" not in page.context["adminform"].form.fields  # shown read-only
    response = client.post(url(PermissionGroup, "change", owners.pk), form_data(page, name="Bosses"))
    assert response.status_code == 302
    owners.refresh_from_db()
    assert owners.name == "Owners"
    assert (row_counts(), audit_actions()) == (before, actions)


def test_a_superuser_who_is_not_a_member_gets_no_bypass_of_the_engine(world):
    before, actions = row_counts(), audit_actions()
    client = world.client("stranger_superuser")
    page = client.get(url(Project, "change", world.project.pk))
    response = client.post(url(Project, "change", world.project.pk), form_data(page, name="Hijacked"), follow=True)
    _refused(response, f"No project with id {world.project.pk} was found.")
    response = client.post(url(Project, "add"), {"org": world.org.pk, "name": "Planted"}, follow=True)
    _refused(response, f"No org_project with id {world.org.pk} was found.")
    world.project.refresh_from_db()
    assert world.project.name == "Support bot"
    assert (row_counts(), audit_actions()) == (before, actions)


def test_a_refused_add_shows_the_add_page_again_with_the_message(world):
    response = world.client("engineer_operator").post(url(Role, "add"), {"org": world.org.pk, "name": "Mine"}, follow=True)
    assert response.redirect_chain[-1][0] == url(Role, "add")
    _refused(response, "You need the 'create' permission to add a role here.")


# No secret is ever rendered


def test_no_raw_token_or_hash_appears_on_any_page(world):
    account = service_account_create(actor=world.operator, org=world.org, name="bot")
    token, raw_token = service_token_create(actor=world.operator, org=world.org, account_id=account.pk, name="prod")
    key, raw_key = api_key_create(actor=world.operator, org=world.org, name="laptop")
    client = world.client()
    pages = [
        url(ApiKey, "changelist"),
        url(ApiKey, "changelist") + f"?q={key.preview_name[-4:]}",
        url(ApiKey, "change", key.pk),
        url(ApiKey, "change", token.pk),
        url(ApiKey, "delete", key.pk),
        url(ApiKey, "history", key.pk),
        url(AuditEvent, "changelist"),
        *[url(AuditEvent, "change", event.pk) for event in AuditEvent.objects.filter(target_type__in=["api_key", "service_token"])],
        url(User, "change", account.pk),
        url(ServiceAccount, "change", account.pk),
        url(User, "change", world.operator.pk),
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        html = response.content.decode()
        for secret in (raw_token, raw_key, token.key_hash, key.key_hash):
            assert secret not in html, page
        assert not TOKEN_PATTERN.search(html), page
        assert "key_hash" not in html, page
        assert world.operator.password not in html, page
    listing = client.get(url(ApiKey, "changelist")).content.decode()
    assert key.preview_name in listing and token.preview_name in listing


def test_the_api_key_form_has_no_hash_field(world):
    key, _ = api_key_create(actor=world.operator, org=world.org, name="laptop")
    response = world.client().get(url(ApiKey, "change", key.pk))
    shown = {field for fieldset in response.context["adminform"] for line in fieldset for field in line}
    names = {field.field["name"] if isinstance(field.field, dict) else field.field.name for field in shown}
    assert "key_hash" not in names
    assert {"preview_name", "user", "org", "kind", "created", "last_used_at", "expires_at", "revoked_at"} <= names


# Object permissions: the admin and the API see and make the same grants


def _acl_of(world: World, obj) -> list[dict]:
    response = api_client_for(world.operator, world.org).get("/v1/acl", {"object_type": obj.acl_object_type, "object_id": str(obj.pk)})
    assert response.status_code == 200
    return response.json()["objects"]


def test_a_user_grant_made_on_the_object_permissions_page_is_listed_by_the_api(world):
    manage = url(Project, "permissions_manage_user", world.project.pk, world.member.pk)
    response = world.client().post(manage, {"permissions": ["read_project", "update_project"]})
    assert response.status_code == 302
    listed = {(a["user_id"], a["permission"]) for a in _acl_of(world, world.project) if a["user_id"]}
    assert {(str(world.member.pk), "read"), (str(world.member.pk), "update")} <= listed
    events = assert_audited_from_admin("acl.create", world.operator, count=2)
    assert {e.after["permission"] for e in events} == {"read", "update"}


def test_a_group_grant_made_on_the_object_permissions_page_is_listed_by_the_api(world):
    group = custom_group(world.org, name="Readers")
    manage = url(Experiment, "permissions_manage_group", (experiment := ExperimentFactory(project=world.project)).pk, group.auth_group_id)
    assert world.client().post(manage, {"permissions": ["read_experiment"]}).status_code == 302
    assert {(a["group_id"], a["permission"]) for a in _acl_of(world, experiment)} == {(str(group.pk), "read")}
    assert_audited_from_admin("acl.create", world.operator)


def test_clearing_boxes_on_the_object_permissions_page_revokes_through_the_service(world):
    grant(world.org, world.project, user=world.member, permission="read")
    manage = url(Project, "permissions_manage_user", world.project.pk, world.member.pk)
    assert world.client().post(manage, {}).status_code == 302
    assert not [a for a in _acl_of(world, world.project) if a["user_id"] == str(world.member.pk)]
    assert_audited_from_admin("acl.delete", world.operator)


def test_grants_made_through_the_api_show_on_the_object_permissions_page(world):
    group = custom_group(world.org, name="Readers")
    api = api_client_for(world.operator, world.org)
    node = {"object_type": "project", "object_id": str(world.project.pk)}
    for body in (
        {**node, "user_id": str(world.member.pk), "permission": "read"},
        {**node, "group_id": str(group.pk), "permission": "update"},
        {**node, "user_id": str(world.member.pk), "role_id": str(system_role("engineer").pk)},
        {**node, "group_id": str(group.pk), "permission": "read", "restrict_object_type": "experiment"},
    ):
        assert api.post("/v1/acl", body).status_code == 200
    client = world.client()
    page = client.get(url(Project, "permissions", world.project.pk))
    assert page.status_code == 200
    assert page.context["users_perms"] == {world.member: ["read_project"]}
    assert page.context["groups_perms"] == {group: ["update_project"]}
    assert {(g["subject"], g["what"], g["restrict_object_type"]) for g in page.context["other_grants"]} == {
        (world.member, "role engineer", ""),
        (group, "read", "experiment"),
    }
    html = page.content.decode()
    assert world.member.email in html and "Readers" in html and "role engineer" in html
    user_page = client.get(url(Project, "permissions_manage_user", world.project.pk, world.member.pk))
    assert user_page.context["form"]["permissions"].value() == ["read_project"]
    group_page = client.get(url(Project, "permissions_manage_group", world.project.pk, group.auth_group_id))
    assert group_page.context["form"]["permissions"].value() == ["update_project"]
    assert group_page.context["group_obj"] == group


def test_the_object_permissions_page_lists_everyone_with_access_and_the_way_it_reaches(world):
    outer, inner = custom_group(world.org, name="Reviewers"), custom_group(world.org, name="Contractors")
    nest(outer, inner)
    contractor = add_member(world.org, None, inner)
    grant(world.org, world.project, group=outer, permission="read", restrict="experiment")
    experiment = ExperimentFactory(project=world.project)
    page = world.client().get(url(Experiment, "permissions", experiment.pk))
    lines = {line["name"]: line for line in page.context["who_has_access"]}
    assert lines[contractor.email]["kind"] == "Person"
    assert lines[contractor.email]["held"] == [("Read", "through Contractors → Reviewers, granted on Project, Experiment only")]
    assert "Owners" in lines and "Engineers" in lines
    assert "Who has access to this experiment" in page.content.decode()


def test_an_operator_who_may_not_read_the_grants_is_not_shown_who_has_access(world):
    page = world.client("engineer_operator").get(url(Project, "permissions", world.project.pk))
    assert page.status_code == 200
    assert page.context["who_has_access"] is None
    assert "Who has access" not in page.content.decode()


def test_the_owners_grants_show_on_the_organizations_object_permissions_page(world):
    page = world.client().get(url(Organization, "permissions", world.org.pk))
    owners = builtin_group(world.org, "owners")
    assert sorted(page.context["groups_perms"][owners]) == sorted(f"{p}_organization" for p in ALL_PERMISSIONS)


def test_an_engineer_operator_cannot_grant_on_the_object_permissions_page(world):
    before, actions = row_counts(), audit_actions()
    manage = url(Project, "permissions_manage_user", world.project.pk, world.member.pk)
    response = world.client("engineer_operator").post(manage, {"permissions": ["read_project"]})
    _refused(response, "You need the 'create_acls' permission on this project.")
    assert (row_counts(), audit_actions()) == (before, actions)


def test_a_refused_item_of_a_grant_change_refuses_all_of_it(world):
    owners = builtin_group(world.org, "owners")
    before, actions = row_counts(), audit_actions()
    manage = url(Organization, "permissions_manage_group", world.org.pk, owners.auth_group_id)
    response = world.client().post(manage, {"permissions": ["read_organization"]})
    _refused(response, "The Owners group's grants on the organization cannot be removed.")
    assert (row_counts(), audit_actions()) == (before, actions)


def test_granting_to_someone_outside_the_organization_is_refused(world):
    outsider = owner_of(world.other_org)
    before = row_counts()
    response = world.client().post(
        url(Project, "permissions_manage_user", world.project.pk, outsider.pk), {"permissions": ["read_project"]}
    )
    _refused(response, "is not a member of this organization")
    assert row_counts() == before


def test_the_object_permissions_page_picks_members_by_email_and_groups_of_the_organization(world):
    client = world.client()
    page = url(Project, "permissions", world.project.pk)
    response = client.post(page, {"submit_manage_user": "1", "user": world.member.email.upper()})
    assert response["Location"] == url(Project, "permissions_manage_user", world.project.pk, world.member.pk)
    response = client.post(page, {"submit_manage_user": "1", "user": owner_of(world.other_org).email})
    assert response.status_code == 200
    assert response.context["user_form"].errors
    group = custom_group(world.org, name="Readers")
    response = client.post(page, {"submit_manage_group": "1", "group": str(group.pk)})
    assert response["Location"] == url(Project, "permissions_manage_group", world.project.pk, group.auth_group_id)
    foreign = custom_group(world.other_org, name="Theirs")
    response = client.post(page, {"submit_manage_group": "1", "group": str(foreign.pk)})
    assert response.status_code == 200
    assert response.context["group_form"].errors


def test_the_grant_pages_warn_that_manage_access_is_a_super_user_ability(world):
    response = world.client().get(url(Project, "permissions_manage_user", world.project.pk, world.member.pk))
    assert "can grant themselves anything" in response.content.decode()


# What a staff member who is not a superuser sees


@pytest.mark.parametrize("model", REGISTERED, ids=_label)
def test_a_staff_member_of_another_organization_sees_none_of_its_rows_while_a_superuser_sees_them(world, model):
    obj = Rows(world).make(model)
    outsider = add_member(world.other_org, UserFactory(is_staff=True), "owners")  # an Owner, elsewhere
    client = admin_client(outsider)
    changelist = client.get(url(model, "changelist"))
    assert changelist.status_code == 200
    assert obj.pk not in {row.pk for row in changelist.context["cl"].result_list}
    assert client.get(url(model, "change", obj.pk)).status_code == 302  # "doesn't exist", as for a missing id
    everything = world.client("stranger_superuser").get(url(model, "changelist"))
    assert obj.pk in {row.pk for row in everything.context["cl"].result_list}


def test_an_engineer_operator_sees_projects_and_members_but_not_the_audit_log_nor_others_keys(world):
    rows = Rows(world)
    project, event, membership = rows.make(Project), rows.make(AuditEvent), rows.make(Membership)
    operators_key, _ = api_key_create(actor=world.operator, org=world.org, name="the owner's")
    own_key, _ = api_key_create(actor=world.engineer_operator, org=world.org, name="mine")
    client = world.client("engineer_operator")

    def shown(model) -> set:
        return {row.pk for row in client.get(url(model, "changelist")).context["cl"].result_list}

    assert project.pk in shown(Project)
    assert membership.pk in shown(Membership)  # Engineers read org_member
    assert event.pk not in shown(AuditEvent)  # no read on org_audit_logs
    assert shown(ApiKey) == {own_key.pk}
    assert operators_key.pk not in shown(ApiKey)
    grant(world.org, Node("org_audit_logs", world.org.pk), user=world.engineer_operator, permission="read")
    assert event.pk in shown(AuditEvent)


def test_event_rows_are_shown_only_for_objects_the_staff_member_may_read(world):
    from projects.events.targets import EventTarget
    from projects.events.writes import insert_events

    reader = add_member(world.org, UserFactory(is_staff=True))
    seen, hidden = ExperimentFactory(project=world.project), ExperimentFactory(project=world.project)
    for experiment in (seen, hidden):
        insert_events(actor=world.operator, target=EventTarget.of(experiment), events=[{"id": f"r-{experiment.pk}"}])
    grant(world.org, seen, user=reader, permission="read")
    rows = {row.object_id for row in admin_client(reader).get(url(EventRow, "changelist")).context["cl"].result_list}
    assert rows == {seen.pk}
