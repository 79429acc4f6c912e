"""Settings → Environments and the environments panel of a prompt's page: who sees them, who changes them,
that they write through the same services as the API, refuse bad input without writing, and cost a fixed
number of queries whatever the number of environments."""

import pytest

from accounts.models import Environment
from accounts.services.environments import environment_create
from projects.models import EnvironmentObject
from projects.services.environments import environment_object_update
from projects.services.prompts import prompt_update
from tests.access_helpers import audit_actions, grant
from tests.assertions import assert_refused_without_writing
from tests.factories import owner_of
from tests.factories_prompts import PromptFactory
from tests.query_helpers import steady_state_queries
from tests.web.addresses import org_page
from tests.worlds import client_for

pytestmark = pytest.mark.django_db


def _environment(org, slug: str) -> Environment:
    return Environment.objects.get(org=org, slug=slug, deleted_at__isnull=True)


# Settings → Environments


@pytest.mark.parametrize("who", ["engineer", "viewer"])
def test_readers_see_the_environments_without_the_forms(org, people, who):
    page = client_for(people[who]).get(org_page(org, "environments"))
    assert page.status_code == 200
    html = page.content.decode()
    assert all(f'data-environment="{slug}"' in html for slug in ("development", "staging", "production"))
    assert "Create environment" not in html and "Manage settings" in html


def test_the_settings_nav_links_environments_for_whoever_reads_the_organization(org, people):
    assert org_page(org, "environments") in client_for(people["viewer"]).get(org_page(org, "api-keys")).content.decode()
    assert org_page(org, "environments") not in client_for(people["custom"]).get(org_page(org, "api-keys")).content.decode()


def test_an_owner_creates_renames_and_deletes_an_environment(org, people):
    client = client_for(people["owner"])
    response = client.post(org_page(org, "environments"), {"name": "QA", "slug": "qa", "description": "manual checks"})
    assert response.status_code == 302
    qa = _environment(org, "qa")
    assert client.post(org_page(org, "environment-edit", environment_id=qa.pk), {"name": "Quality", "slug": "quality"}).status_code == 302
    qa.refresh_from_db()
    assert (qa.name, qa.slug) == ("Quality", "quality")
    assert "Delete the environment Quality?" in client.get(org_page(org, "environment-delete", environment_id=qa.pk)).content.decode()
    assert client.post(org_page(org, "environment-delete", environment_id=qa.pk)).status_code == 302
    assert audit_actions()[-3:] == ["environment.create", "environment.update", "environment.delete"]
    assert 'data-environment="quality"' not in client.get(org_page(org, "environments")).content.decode()


@pytest.mark.parametrize(("data", "message"), [({"name": "QA", "slug": "Q A"}, "lowercase"), ({"name": "S", "slug": "staging"}, "already")])
def test_a_bad_or_taken_slug_is_shown_by_the_field_and_nothing_is_written(org, people, data, message):
    client = client_for(people["owner"])
    response = assert_refused_without_writing(lambda: client.post(org_page(org, "environments"), data), 400)
    assert message in response.content.decode()


def test_a_viewer_is_refused_changes_with_the_explained_403(org, people):
    client, staging = client_for(people["viewer"]), _environment(org, "staging")
    for path, data in [
        (org_page(org, "environments"), {"name": "QA", "slug": "qa"}),
        (org_page(org, "environment-edit", environment_id=staging.pk), {"name": "X", "slug": "x"}),
        (org_page(org, "environment-delete", environment_id=staging.pk), {}),
    ]:
        assert_refused_without_writing(lambda path=path, data=data: client.post(path, data), 403)


def test_an_environment_of_another_organization_is_not_found(org, people):
    theirs = Environment.objects.get(org__name="Elsewhere", slug="staging")  # the outsider's organization
    assert client_for(people["owner"]).get(org_page(org, "environment-edit", environment_id=theirs.pk)).status_code == 404


def test_the_list_costs_the_same_queries_for_three_environments_and_twenty(org, people):
    client = client_for(people["owner"])
    three = steady_state_queries(client, org_page(org, "environments"))
    for n in range(17):
        environment_create(actor=owner_of(org), org=org, name=f"Env {n}", slug=f"env-{n}")
    assert steady_state_queries(client, org_page(org, "environments")) == three


# A prompt's environments


@pytest.fixture
def greeter(org, project):
    prompt = PromptFactory(project=project, name="Greeter", slug="greeter")
    prompt_update(actor=owner_of(org), prompt=prompt, description="second")
    return prompt


def _prompt_url(prompt, name="project-object", **kwargs) -> str:
    kind = {"kind": "prompts"} if name == "project-object" else {}
    return org_page(prompt.project.org, name, project_id=prompt.project_id, object_id=prompt.pk, **kind, **kwargs)


def _versions(prompt) -> list[int]:
    return list(prompt.versions.order_by("xact_id").values_list("xact_id", flat=True))


def test_the_prompt_page_shows_each_environments_pinned_version(org, people, greeter):
    first, _ = _versions(greeter)
    environment_object_update(actor=owner_of(org), environment=_environment(org, "staging"), obj=greeter, object_version=first)
    html = client_for(people["viewer"]).get(_prompt_url(greeter)).content.decode()
    staging = html[html.index('data-environment="staging"') :]
    assert f"<code>{first}</code>" in staging[: staging.index("</tr>")]
    assert "Nothing pinned" in html and "Promote" not in html  # a viewer sees, and is offered nothing


def test_the_prompts_tab_shows_each_prompts_pins_at_a_fixed_number_of_queries(org, project, people, greeter):
    tab = org_page(org, "project-prompts", project_id=project.pk)
    first, second = _versions(greeter)
    environment_object_update(actor=owner_of(org), environment=_environment(org, "production"), obj=greeter, object_version=first)
    environment_object_update(actor=owner_of(org), environment=_environment(org, "staging"), obj=greeter, object_version=second)
    client = client_for(people["viewer"])
    html = client.get(tab).content.decode()
    row = html[html.index('data-object="Greeter"') :]
    row = row[: row.index("</tr>")]
    assert f'data-pin="staging">staging: <code>{second}</code>' in row and f'data-pin="production">production: <code>{first}</code>' in row
    assert row.index('data-pin="staging"') < row.index('data-pin="production"')  # in the environments' order
    one = steady_state_queries(client, tab)
    for index in range(5):
        prompt = PromptFactory(project=project, name=f"Other {index}", slug=f"other-{index}")
        version = _versions(prompt)[0]
        environment_object_update(actor=owner_of(org), environment=_environment(org, "production"), obj=prompt, object_version=version)
    assert steady_state_queries(client, tab) == one


def test_an_editor_pins_a_version_then_promotes_staging_to_production(org, people, greeter):
    first, _ = _versions(greeter)
    editor = people["custom"]
    grant(org, greeter, user=editor, permission="read")
    grant(org, greeter, user=editor, permission="update")
    client = client_for(editor)
    assert "Promote" in client.get(_prompt_url(greeter)).content.decode()
    assert client.post(_prompt_url(greeter, "prompt-pin"), {"environment": "staging", "version": str(first)}).status_code == 302
    assert client.post(_prompt_url(greeter, "prompt-promote"), {"source": "staging", "target": "production"}).status_code == 302
    pins = dict(EnvironmentObject.objects.values_list("environment__slug", "object_version"))
    assert pins == {"staging": first, "production": first}
    assert client.post(_prompt_url(greeter, "prompt-unpin", slug="staging")).status_code == 302
    assert dict(EnvironmentObject.objects.values_list("environment__slug", "object_version")) == {"production": first}
    assert audit_actions()[-3:] == ["environment_object.update", "environment_object.update", "environment_object.delete"]


def test_promoting_from_an_environment_that_pins_nothing_writes_nothing(org, people, greeter):
    client = client_for(people["owner"])
    call = lambda: client.post(_prompt_url(greeter, "prompt-promote"), {"source": "staging", "target": "production"})  # noqa: E731
    assert_refused_without_writing(call, 302)
    assert "pins no version" in client.get(_prompt_url(greeter)).content.decode()


def test_a_version_the_prompt_does_not_have_is_refused_without_writing(org, people, greeter):
    client = client_for(people["owner"])
    call = lambda: client.post(_prompt_url(greeter, "prompt-pin"), {"environment": "staging", "version": "999999"})  # noqa: E731
    assert_refused_without_writing(call, 302)


def test_a_viewer_cannot_pin(org, people, greeter):
    client = client_for(people["viewer"])
    first, _ = _versions(greeter)
    call = lambda: client.post(_prompt_url(greeter, "prompt-pin"), {"environment": "staging", "version": str(first)})  # noqa: E731
    assert_refused_without_writing(call, 403)


def test_the_prompt_page_costs_the_same_queries_for_three_environments_and_twelve(org, people, greeter):
    client = client_for(people["owner"])
    first, _ = _versions(greeter)
    environment_object_update(actor=owner_of(org), environment=_environment(org, "staging"), obj=greeter, object_version=first)
    three = steady_state_queries(client, _prompt_url(greeter))
    for n in range(9):
        environment = environment_create(actor=owner_of(org), org=org, name=f"Env {n}", slug=f"env-{n}")
        environment_object_update(actor=owner_of(org), environment=environment, obj=greeter, object_version=first)
    assert steady_state_queries(client, _prompt_url(greeter)) == three
