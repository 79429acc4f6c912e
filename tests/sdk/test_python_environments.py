"""Braintrust's Python SDK loading what an environment pins: ``load_prompt(..., environment=...)`` gets the
pinned version of the prompt, and ``init_dataset(..., environment=...)`` the rows of the pinned version of
the dataset, from this server, end to end (the SDK in a subprocess, as in ``test_python``)."""

import pytest

from accounts.models import Environment
from projects.models import EventVersion
from projects.services.environments import environment_object_update
from projects.services.prompts import prompt_update
from tests.factories import DatasetFactory, insert_as_owner, owner_of
from tests.factories_prompts import GREETER, PromptFactory
from tests.sdk.test_python import run_sdk, served  # noqa: F401 (the live server answering one request at a time)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("overflow_dir")]


def environment_script(project_name: str) -> str:
    return f"""
    import json
    import braintrust

    pinned = braintrust.load_prompt(project={project_name!r}, slug="greeter", environment="production")
    latest = braintrust.load_prompt(project={project_name!r}, slug="greeter")
    dataset = braintrust.init_dataset(project={project_name!r}, name="golden", environment="staging")
    print(json.dumps({{
        "pinned": [pinned.version, pinned.build(name="Ada", topic="maths")["messages"][-1]["content"]],
        "latest": latest.version,
        "rows": sorted(row["input"] for row in dataset),
    }}))
    """


def test_load_prompt_and_init_dataset_with_an_environment_read_its_pinned_versions(live_server, tmp_path, org, owner_key, project):
    owner = owner_of(org)
    prompt = PromptFactory(project=project, name="Greeter", slug="greeter", prompt_data=GREETER)
    first = prompt.xact_id
    changed = {**GREETER, "prompt": {**GREETER["prompt"], "messages": [{"role": "user", "content": "Hi {{name}}!"}]}}
    prompt_update(actor=owner, prompt=prompt, prompt_data=changed)
    production = Environment.objects.get(org=org, slug="production")
    environment_object_update(actor=owner, environment=production, obj=prompt, object_version=first)

    dataset = DatasetFactory(project=project, name="golden")
    insert_as_owner(dataset, [{"id": "a", "input": "first row"}])
    staged = EventVersion.objects.get(object_id=dataset.pk).xact_id
    insert_as_owner(dataset, [{"id": "b", "input": "added after staging"}])
    staging = Environment.objects.get(org=org, slug="staging")
    environment_object_update(actor=owner, environment=staging, obj=dataset, object_version=staged)

    flow = run_sdk(live_server, tmp_path, owner_key, environment_script(project.name))
    flow.assert_clean()
    latest = str(prompt.versions.latest("xact_id").xact_id)
    assert flow.result == {"pinned": [str(first), "Say hello to Ada."], "latest": latest, "rows": ["first row"]}
