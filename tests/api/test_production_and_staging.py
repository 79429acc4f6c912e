"""The worked examples of docs/production-and-staging.md, request for request, through the /v1 API."""

import pytest

from accounts.services.credentials import service_account_create, service_token_create
from permissions.engine.nodes import Node
from projects.models import Dataset, EventRow, Experiment, Prompt
from tests.access_helpers import custom_group, grant, grant_many
from tests.api_helpers import ApiClient, api_client_for
from tests.factories import OrganizationFactory, add_member, owner_of

pytestmark = pytest.mark.django_db


def _ok(response):
    assert response.status_code == 200, response.content
    return response.json()


def _acl(object_type, object_id, permission, *, group=None, user=None):
    subject = {"group_id": str(group.pk)} if group is not None else {"user_id": str(user.pk)}
    return {"object_type": object_type, "object_id": str(object_id), "permission": permission, **subject}


@pytest.fixture
def separate_projects():
    """Example 1: production and staging projects, staging developers, and the production application."""
    org = OrganizationFactory(name="Acme")
    owner_client = api_client_for(owner_of(org), org)
    production = _ok(owner_client.post("/v1/project", {"name": "support-bot"}))["id"]
    staging = _ok(owner_client.post("/v1/project", {"name": "support-bot-staging"}))["id"]
    developer = add_member(org)
    developers = custom_group(org, developer, name="Staging developers")
    logger = service_account_create(actor=owner_of(org), org=org, name="support-bot production")
    _, logger_token = service_token_create(actor=owner_of(org), org=org, account_id=logger.pk, name="production")
    _ok(
        owner_client.post(
            "/v1/acl/batch_update",
            {
                "add_acls": [
                    *(_acl("project", staging, p, group=developers) for p in ("create", "read", "update", "delete")),
                    _acl("project", production, "read", group=developers),
                    _acl("project_log", production, "update", user=logger),
                ]
            },
        )
    )
    dataset = _ok(owner_client.post("/v1/dataset", {"project_id": production, "name": "golden questions"}))["id"]
    prompt = _ok(owner_client.post("/v1/prompt", {"project_id": production, "name": "Answer", "slug": "answer"}))["id"]
    return {
        "org": org,
        "production": production,
        "staging": staging,
        "dataset": dataset,
        "prompt": prompt,
        "developer": api_client_for(developer, org),
        "logger": ApiClient(logger_token),
    }


def test_the_production_application_writes_production_logs_only(separate_projects):
    world = separate_projects
    logs = {"events": [{"input": "Where is my order?", "output": "On its way."}]}
    assert world["logger"].post(f"/v1/project_logs/{world['production']}/insert", logs).status_code == 200
    assert world["logger"].post(f"/v1/project_logs/{world['staging']}/insert", logs).status_code == 404
    assert EventRow.objects.filter(project_id=world["production"]).count() == 1
    assert not EventRow.objects.filter(project_id=world["staging"]).exists()


def test_staging_developers_read_production_but_cannot_change_it(separate_projects):
    world = separate_projects
    developer = world["developer"]
    assert developer.get(f"/v1/prompt/{world['prompt']}").status_code == 200
    refused = developer.patch(f"/v1/prompt/{world['prompt']}", {"description": "changed from staging"})
    assert refused.status_code == 403 and refused.json()["error"]["missing_permission"] == "update"
    logs = developer.post(f"/v1/project_logs/{world['production']}/insert", {"events": [{"input": "test"}]})
    assert logs.status_code == 403 and logs.json()["error"]["missing_permission"] == "update"
    assert Prompt.objects.get(pk=world["prompt"]).description == ""
    assert not EventRow.objects.exists()


def test_a_staging_experiment_is_evaluated_on_the_production_dataset_only_with_read_on_it(separate_projects):
    world = separate_projects
    body = {"project_id": world["staging"], "name": "new retriever", "dataset_id": world["dataset"]}
    experiment = _ok(world["developer"].post("/v1/experiment", body))
    assert experiment["dataset_id"] == world["dataset"] and experiment["project_id"] == world["staging"]

    staging_only = add_member(world["org"])
    grant_many(world["org"], Node("project", world["staging"]), ("create", "read", "update", "delete"), user=staging_only)
    refused = api_client_for(staging_only, world["org"]).post("/v1/experiment", {**body, "name": "sneaky"})
    assert refused.status_code == 400 and "No such dataset" in refused.json()["error"]["message"]
    assert not Experiment.objects.filter(name="sneaky").exists()


def test_staging_logs_name_a_production_prompt_only_with_read_on_it(separate_projects):
    world = separate_projects
    event = {"input": "Where is my order?", "metadata": {"prompt": {"id": world["prompt"], "version": "12"}}}
    _ok(world["developer"].post(f"/v1/project_logs/{world['staging']}/insert", {"events": [event]}))
    assert EventRow.objects.filter(project_id=world["staging"]).count() == 1


def test_a_staging_writer_without_read_on_production_cannot_name_its_prompt(separate_projects):
    world = separate_projects
    writer = add_member(world["org"])
    grant(world["org"], Node("project_log", world["staging"]), user=writer, permission="update")
    event = {"input": "x", "metadata": {"prompt": {"id": world["prompt"]}}}
    refused = api_client_for(writer, world["org"]).post(f"/v1/project_logs/{world['staging']}/insert", {"events": [event]})
    assert refused.status_code == 400 and "no prompt" in refused.json()["error"]["message"]
    assert not EventRow.objects.exists()


def test_tags_inside_one_project_filter_logs(separate_projects):
    world = separate_projects
    production = world["production"]
    events = [{"input": "hi", "output": "hello", "tags": ["production"]}, {"input": "hi", "output": "hey", "tags": ["staging"]}]
    _ok(world["logger"].post(f"/v1/project_logs/{production}/insert", {"events": events}))
    staging_only = _ok(world["developer"].post(f"/v1/project_logs/{production}/fetch", {"tags": ["staging"]}))
    assert [event["output"] for event in staging_only["events"]] == ["hey"]


def test_separate_organizations_share_nothing():
    production_org, staging_org = OrganizationFactory(name="Acme"), OrganizationFactory(name="Acme Staging")
    person = owner_of(production_org)
    add_member(staging_org, person, "owners")
    production_client, staging_client = api_client_for(person, production_org), api_client_for(person, staging_org)
    production = _ok(production_client.post("/v1/project", {"name": "support-bot"}))["id"]
    dataset = _ok(production_client.post("/v1/dataset", {"project_id": production, "name": "golden"}))["id"]
    staging = _ok(staging_client.post("/v1/project", {"name": "support-bot"}))["id"]

    refused = staging_client.post("/v1/experiment", {"project_id": staging, "name": "eval", "dataset_id": dataset})
    assert refused.status_code == 400 and "No such dataset" in refused.json()["error"]["message"]
    wrong_org = staging_client.get("/v1/project", {"org_name": "Acme"})
    assert wrong_org.status_code == 400 and "Acme Staging" in wrong_org.json()["error"]["message"]
    assert Dataset.objects.filter(pk=dataset).exists() and not Experiment.objects.filter(name="eval").exists()


def test_environments_pin_the_version_production_runs_and_only_updaters_move_it(separate_projects):
    world = separate_projects
    owner = api_client_for(owner_of(world["org"]), world["org"])
    prompt = world["prompt"]
    version = _ok(owner.get(f"/v1/prompt/{prompt}"))["_xact_id"]
    for environment in ("staging", "production"):
        _ok(owner.put(f"/environment-object/prompt/{prompt}/{environment}", {"object_version": version}))
    _ok(owner.patch(f"/v1/prompt/{prompt}", {"description": "saved after the promotion"}))

    params = {"project_id": world["production"], "slug": "answer", "environment": "production"}
    pinned = _ok(world["developer"].get("/v1/prompt", params))["objects"]
    assert [(p["_xact_id"], p["description"]) for p in pinned] == [(version, "")]  # as it was when pinned
    moved = world["developer"].put(f"/environment-object/prompt/{prompt}/production", {"object_version": version})
    assert moved.status_code == 403 and moved.json()["error"]["missing_permission"] == "update"
    never = owner.put(f"/environment-object/prompt/{prompt}/production", {"object_version": "999999"})
    assert never.status_code == 400 and "object_version" in never.json()["error"]["message"]
    _ok(owner.delete(f"/environment-object/prompt/{prompt}/staging"))
    assert owner.get(f"/v1/prompt/{prompt}", {"environment": "staging"}).status_code == 404
