"""The prompt editor, a prompt's versions with their diff and Restore, the object menu's Rename and Delete,
and a playground's page: what each person may do there, that what the editor saves is what the API and the
SDK read, that bad input and refusals write nothing, and a fixed number of queries whatever the number of
versions, prompts and rows."""

import json

import pytest
from braintrust.logger import LazyValue
from braintrust.logger import Prompt as SdkPrompt
from braintrust.prompt import PromptSchema

from permissions.models import AuditEvent
from projects.models import Prompt, PromptSession
from projects.services.prompts import prompt_update
from tests.access_helpers import grant, row_counts
from tests.api_helpers import api_client_for
from tests.assertions import assert_refused_without_writing
from tests.factories import DatasetFactory, ExperimentFactory, ProjectFactory, insert_as_owner, owner_of
from tests.factories_prompts import GREETER, PlaygroundFactory, PromptFactory
from tests.query_helpers import steady_state_queries
from tests.web.addresses import org_page
from tests.worlds import client_for

pytestmark = pytest.mark.django_db

KIND_OF = {"experiment": "experiments", "dataset": "datasets", "prompt": "prompts", "prompt_session": "playgrounds"}


def object_url(obj, name="project-object", **kwargs) -> str:
    kind = {"kind": KIND_OF[obj.acl_object_type]} if name.startswith(("project-object", "object-")) else {}
    return org_page(obj.project.org, name, project_id=obj.project_id, object_id=obj.pk, **kind, **kwargs)


def editor_post(messages: list[tuple[str, str]], **fields) -> dict:
    """The editor's form as a browser posts it: `messages` in order, and the other fields."""
    data = {
        "name": "Greeter",
        "slug": "",
        "description": "",
        "model": "",
        "temperature": "",
        "max_tokens": "",
        "top_p": "",
        "response_format": "",
        "tools": "",
        "messages-TOTAL_FORMS": str(len(messages)),
        "messages-INITIAL_FORMS": "0",
        "messages-MIN_NUM_FORMS": "0",
        "messages-MAX_NUM_FORMS": "1000",
    }
    for index, (role, content) in enumerate(messages):
        data.update({f"messages-{index}-role": role, f"messages-{index}-content": content, f"messages-{index}-ORDER": str(index + 1)})
    data.update(fields)
    return data


@pytest.fixture
def greeter(project):
    return PromptFactory(project=project, name="Greeter", slug="greeter", prompt_data=GREETER)


# The editor


def test_the_editor_creates_a_prompt_that_the_api_and_the_sdk_read_back_exactly(org, people, project):
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
    data = editor_post(
        [("system", "You answer questions about {{topic}}."), ("user", "{{input.question}}")],
        name="Answerer",
        description="answers",
        model="gpt-4o",
        temperature="0.3",
        max_tokens="256",
        top_p="0.9",
        response_format="json_object",
        tools=json.dumps(tools),
    )
    response = client_for(people["engineer"]).post(org_page(org, "prompt-create", project_id=project.pk), data)
    assert response.status_code == 302
    prompt = Prompt.objects.get(project=project, slug="answerer")
    assert response["Location"] == object_url(prompt)

    shown = api_client_for(people["engineer"], org).get(f"/v1/prompt/{prompt.pk}").json()
    assert (shown["name"], shown["slug"], shown["description"]) == ("Answerer", "answerer", "answers")
    assert shown["prompt_data"] == {
        "prompt": {
            "type": "chat",
            "messages": [
                {"role": "system", "content": "You answer questions about {{topic}}."},
                {"role": "user", "content": "{{input.question}}"},
            ],
            "tools": json.dumps(tools, indent=2),
        },
        "options": {
            "model": "gpt-4o",
            "params": {"temperature": 0.3, "max_tokens": 256, "top_p": 0.9, "response_format": {"type": "json_object"}},
        },
    }
    # what braintrust.load_prompt makes of the answer
    schema = PromptSchema.from_dict_deep(shown)
    built = SdkPrompt(LazyValue(lambda: schema, use_mutex=False), {}, True).build(topic="birds", input={"question": "Why fly?"})
    assert (built["model"], built["temperature"], built["max_tokens"], built["top_p"]) == ("gpt-4o", 0.3, 256, 0.9)
    assert built["messages"] == [
        {"role": "system", "content": "You answer questions about birds."},
        {"role": "user", "content": "Why fly?"},
    ]
    assert built["tools"] == tools


def test_editing_keeps_a_version_and_the_fields_the_editor_does_not_show(org, people, project, greeter):
    prompt_update(actor=owner_of(org), prompt=greeter, prompt_data={**GREETER, "template_format": "mustache"})
    data = editor_post(
        [("user", "Hi {{name}}!"), ("system", "Be brief.")],
        name="Greeter",
        slug="greeter",
        model="gpt-4o-mini",
        temperature="1",
    )
    data["messages-1-ORDER"], data["messages-0-ORDER"] = "1", "2"  # the second row moved up
    response = client_for(people["engineer"]).post(object_url(greeter, "prompt-edit"), data)
    assert response.status_code == 302
    greeter.refresh_from_db()
    assert greeter.prompt_data == {
        "prompt": {"type": "chat", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi {{name}}!"}]},
        "options": {"model": "gpt-4o-mini", "params": {"temperature": 1.0}},
        "template_format": "mustache",
    }
    assert greeter.versions.count() == 3
    html = client_for(people["viewer"]).get(object_url(greeter)).content.decode()
    assert html.count('data-version="') == 3 and people["engineer"].email in html


def test_a_removed_message_row_is_left_out(org, people, project, greeter):
    data = editor_post([("system", "Keep me."), ("user", "Drop me.")], slug="greeter", **{"messages-1-DELETE": "on"})
    assert client_for(people["owner"]).post(object_url(greeter, "prompt-edit"), data).status_code == 302
    greeter.refresh_from_db()
    assert greeter.prompt_data["prompt"]["messages"] == [{"role": "system", "content": "Keep me."}]


def test_saving_the_editor_unchanged_keeps_no_new_version(org, people, project):
    tools = '[{"type": "function", "function": {"name": "lookup"}}]'
    prompt = PromptFactory(project=project, slug="with-tools", prompt_data={**GREETER, "prompt": {**GREETER["prompt"], "tools": tools}})
    client = client_for(people["engineer"])
    form = client.get(object_url(prompt, "prompt-edit")).context
    data = editor_post(
        [(m["role"], m["content"]) for m in GREETER["prompt"]["messages"]],
        name=prompt.name,
        slug=prompt.slug,
        model="gpt-4o-mini",
        temperature="0.2",
        tools=form["form"].initial["tools"],
    )
    assert client.post(object_url(prompt, "prompt-edit"), data).status_code == 302
    prompt.refresh_from_db()
    assert prompt.versions.count() == 1 and prompt.prompt_data["prompt"]["tools"] == tools


def test_a_prompt_with_messages_the_editor_does_not_show_is_not_offered_to_it(org, people, project):
    tool_call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    call = {"role": "assistant", "content": "", "tool_calls": [tool_call]}
    prompt = PromptFactory(project=project, slug="calls", prompt_data={"prompt": {"type": "chat", "messages": [call]}})
    client = client_for(people["engineer"])
    html = client.get(object_url(prompt)).content.decode()
    assert "Edit prompt" not in html and "change it through the API" in html
    assert client.get(object_url(prompt, "prompt-edit"))["Location"] == object_url(prompt)
    state = lambda: list(Prompt.objects.filter(pk=prompt.pk).values_list("prompt_data", "xact_id"))  # noqa: E731
    assert_refused_without_writing(
        lambda: client.post(object_url(prompt, "prompt-edit"), editor_post([("user", "x")], slug="calls")), 302, also_unchanged=[state]
    )


def test_the_editor_shows_a_prompts_variables_computed_on_the_server(org, people, project, greeter):
    html = client_for(people["engineer"]).get(object_url(greeter, "prompt-edit")).content.decode()
    assert "<li><code>topic</code></li><li><code>name</code></li>" in html
    assert 'value="gpt-4o-mini"' in html and 'value="0.2"' in html
    page = client_for(people["viewer"]).get(object_url(greeter)).content.decode()
    assert '<code class="chip">topic</code> <code class="chip">name</code>' in page


def test_add_message_without_javascript_shows_one_row_more_and_writes_nothing(org, people, project):
    data = editor_post([("system", "Hello {{who}}")], add_message="1")
    before = row_counts()
    response = client_for(people["engineer"]).post(org_page(org, "prompt-create", project_id=project.pk), data)
    assert response.status_code == 200 and row_counts() == before
    html = response.content.decode()
    assert 'name="messages-TOTAL_FORMS" value="2"' in html and 'name="messages-1-role"' in html
    assert "<li><code>who</code></li>" in html


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"tools": '[{"type": "function",}]'}, "tools", "Tools must be valid JSON"),
        ({"tools": '{"type": "function"}'}, "tools", "Tools must be a JSON list of objects"),
        ({"temperature": "3"}, "temperature", "less than or equal to 2"),
        ({"max_tokens": "0"}, "max_tokens", "greater than or equal to 1"),
        ({"top_p": "1.5"}, "top_p", "less than or equal to 1"),
        ({"name": ""}, "name", "This field is required"),
        ({"slug": "Not a slug!"}, "slug", "slug"),
    ],
    ids=["bad-json", "tools-not-a-list", "temperature", "max-tokens", "top-p", "no-name", "bad-slug"],
)
def test_bad_input_is_an_error_on_its_field_and_writes_nothing(org, people, project, fields, field, message):
    data = editor_post([("user", "Hi")], **fields)
    response = assert_refused_without_writing(
        lambda: client_for(people["engineer"]).post(org_page(org, "prompt-create", project_id=project.pk), data), 400
    )
    html = response.content.decode()
    error_start = html.index(f'id="id_{field}_error"')
    assert message in html[error_start : html.index("</div>", error_start)]


def test_a_slug_taken_is_an_error_on_the_slug_and_writes_nothing(org, people, project, greeter):
    data = editor_post([("user", "Hi")], name="Another", slug="greeter")
    response = assert_refused_without_writing(
        lambda: client_for(people["engineer"]).post(org_page(org, "prompt-create", project_id=project.pk), data), 400
    )
    assert "already exists" in response.content.decode().split('id="id_slug_error"')[1]


def test_a_viewer_sees_no_edit_controls_and_every_change_is_refused(org, people, project, greeter):
    viewer = client_for(people["viewer"])
    html = viewer.get(object_url(greeter)).content.decode()
    assert "Edit prompt" not in html and "rename-dialog" not in html and "delete-dialog" not in html
    first = greeter.versions.get().xact_id
    prompt_update(actor=owner_of(org), prompt=greeter, description="changed")
    assert "Restore this version" not in viewer.get(object_url(greeter, "prompt-version", xact_id=first)).content.decode()
    state = lambda: list(Prompt.objects.filter(pk=greeter.pk).values_list("name", "description", "prompt_data", "deleted_at"))  # noqa: E731
    calls = [
        (object_url(greeter, "prompt-edit"), editor_post([("user", "Taken over")], slug="greeter")),
        (object_url(greeter, "prompt-restore", xact_id=first), {}),
        (object_url(greeter, "object-rename"), {"name": "Renamed"}),
        (object_url(greeter, "object-delete"), {}),
        (org_page(org, "prompt-create", project_id=project.pk), editor_post([("user", "New")], name="New one")),
    ]
    for address, data in calls:
        assert_refused_without_writing(lambda address=address, data=data: viewer.post(address, data), 403, also_unchanged=[state])
    assert viewer.get(object_url(greeter, "prompt-edit")).status_code == 403


def test_someone_who_sees_nothing_of_a_prompt_gets_not_found(org, people, project, greeter):
    assert client_for(people["custom"]).get(object_url(greeter, "prompt-edit")).status_code == 404
    assert client_for(people["outsider"]).post(object_url(greeter, "object-rename"), {"name": "x"}).status_code == 404


# Versions


def test_a_version_shows_the_fields_that_changed_and_the_messages_line_by_line(org, people, project, greeter):
    first = greeter.versions.get().xact_id
    changed = {
        **GREETER,
        "prompt": {"type": "chat", "messages": [GREETER["prompt"]["messages"][0], {"role": "user", "content": "Wave at {{name}}."}]},
    }
    prompt_update(actor=owner_of(org), prompt=greeter, description="friendlier", prompt_data={**changed, "options": {"model": "gpt-4o"}})
    html = client_for(people["viewer"]).get(object_url(greeter, "prompt-version", xact_id=first)).content.decode()
    assert 'data-field="Description"' in html and 'data-field="Model"' in html and 'data-field="Name"' not in html
    assert '<span class="visually-hidden">Removed: </span>Say hello to {{name}}.' in html.replace("&#x27;", "'")
    assert '<span class="visually-hidden">Added: </span>Wave at {{name}}.' in html
    assert "You greet people who like {{topic}}." in html


def test_restore_keeps_a_new_version_equal_to_the_old_one_and_audits_it(org, people, project, greeter):
    first = greeter.versions.get().xact_id
    prompt_update(actor=owner_of(org), prompt=greeter, name="Welcomer", prompt_data={"prompt": {"type": "completion", "content": "Hi"}})
    response = client_for(people["engineer"]).post(object_url(greeter, "prompt-restore", xact_id=first))
    assert response.status_code == 302
    greeter.refresh_from_db()
    assert greeter.versions.count() == 3 and greeter.xact_id > first
    assert (greeter.name, greeter.prompt_data) == ("Greeter", GREETER)
    event = AuditEvent.objects.filter(action="prompt.restore").get()
    assert event.after["restored_from"] == str(first) and event.before["name"] == "Welcomer"
    shown = api_client_for(people["engineer"], org).get(f"/v1/prompt/{greeter.pk}").json()
    assert (shown["prompt_data"], shown["_xact_id"]) == (GREETER, str(greeter.xact_id))


def test_an_unknown_version_is_not_found(org, people, greeter):
    assert client_for(people["viewer"]).get(object_url(greeter, "prompt-version", xact_id=999999)).status_code == 404


def test_the_version_list_costs_the_same_queries_for_one_and_many_versions(org, people, project, greeter):
    client = client_for(people["viewer"])
    one = steady_state_queries(client, object_url(greeter))
    for index in range(15):
        prompt_update(actor=owner_of(org), prompt=greeter, description=f"take {index}")
    assert steady_state_queries(client, object_url(greeter)) == one


# Rename and Delete


@pytest.mark.parametrize("kind", ["experiment", "dataset", "prompt", "prompt_session"])
def test_the_menu_renames_and_deletes_each_kind_of_object_through_its_service(org, people, project, kind):
    factories = {"experiment": ExperimentFactory, "dataset": DatasetFactory, "prompt": PromptFactory, "prompt_session": PlaygroundFactory}
    obj = factories[kind](project=project, name="Before")
    client = client_for(people["engineer"])
    html = client.get(object_url(obj)).content.decode()
    assert 'data-open-dialog="rename-dialog"' in html and 'data-open-dialog="delete-dialog"' in html
    assert client.post(object_url(obj, "object-rename"), {"name": "After"}).status_code == 302
    obj.refresh_from_db()
    assert obj.name == "After" and AuditEvent.objects.filter(action=f"{kind}.update", target_id=str(obj.pk)).exists()
    response = client.post(object_url(obj, "object-delete"))
    assert response.status_code == 302 and response["Location"] == org_page(org, f"project-{KIND_OF[kind]}", project_id=project.pk)
    obj.refresh_from_db()
    assert obj.deleted_at is not None


def test_a_taken_name_is_an_error_on_the_rename_form(org, people, project):
    ExperimentFactory(project=project, name="taken")
    experiment = ExperimentFactory(project=project, name="mine")
    response = assert_refused_without_writing(
        lambda: client_for(people["engineer"]).post(object_url(experiment, "object-rename"), {"name": "taken"}), 400
    )
    assert "already exists" in response.content.decode()


def test_update_alone_offers_rename_but_not_delete(org, people, project, greeter):
    custom = people["custom"]
    grant(org, greeter, user=custom, permission="read")
    grant(org, greeter, user=custom, permission="update")
    html = client_for(custom).get(object_url(greeter)).content.decode()
    assert "rename-dialog" in html and "delete-dialog" not in html and "Edit prompt" in html
    assert_refused_without_writing(lambda: client_for(custom).post(object_url(greeter, "object-delete")), 403)


# Playgrounds


@pytest.fixture
def playground(project, greeter):
    return PlaygroundFactory(project=project, name="Greetings", prompt_ids=[greeter.pk])


def test_a_playground_fills_its_prompts_from_its_datasets_first_rows(org, people, project, playground):
    dataset = DatasetFactory(project=project, name="people")
    insert_as_owner(dataset, [{"id": "ada", "input": {"name": "Ada"}, "expected": "Hi Ada"}])
    playground_prompt = PromptFactory(
        project=project,
        slug="by-input",
        prompt_data={"prompt": {"type": "chat", "messages": [{"role": "user", "content": "Hello {{input.name}}"}]}},
    )
    client = client_for(people["engineer"])
    assert client.post(object_url(playground, "playground-prompts"), {"prompt": str(playground_prompt.pk)}).status_code == 302
    assert client.post(object_url(playground, "playground-dataset"), {"dataset": str(dataset.pk)}).status_code == 302
    playground.refresh_from_db()
    assert playground.dataset_id == dataset.pk
    html = client.get(object_url(playground)).content.decode()
    assert 'data-row="ada"' in html and "Hello Ada" in html and "Say hello to ." in html
    assert ">Run<" not in html  # no model is called


def test_a_playground_offers_only_what_the_person_may_read_and_the_service_refuses_the_rest(org, people, project, playground):
    custom = people["custom"]
    grant(org, playground, user=custom, permission="read")
    grant(org, playground, user=custom, permission="update")
    other = ProjectFactory(org=org, name="shared")
    readable, hidden = PromptFactory(project=other, name="Readable"), PromptFactory(project=other, name="Hidden")
    grant(org, readable, user=custom, permission="read")
    seen_dataset = DatasetFactory(project=other, name="seen")
    grant(org, seen_dataset, user=custom, permission="update")  # seen, but not readable
    client = client_for(custom)
    html = client.get(object_url(playground)).content.decode()
    assert "shared / Readable" in html and "Hidden" not in html and "shared / seen" not in html
    links = lambda: sorted(map(str, PromptSession.objects.get(pk=playground.pk).prompts.values_list("pk", flat=True)))  # noqa: E731
    assert_refused_without_writing(
        lambda: client.post(object_url(playground, "playground-prompts"), {"prompt": str(hidden.pk)}), 302, also_unchanged=[links]
    )
    dataset_of = lambda: PromptSession.objects.get(pk=playground.pk).dataset_id  # noqa: E731
    assert_refused_without_writing(
        lambda: client.post(object_url(playground, "playground-dataset"), {"dataset": str(seen_dataset.pk)}),
        403,
        also_unchanged=[dataset_of],
    )
    assert client.post(object_url(playground, "playground-prompts"), {"prompt": str(readable.pk)}).status_code == 302
    assert str(readable.pk) in links()


def test_removing_a_prompt_from_a_playground_keeps_the_rest(org, people, project, playground, greeter):
    other = PromptFactory(project=project, name="Other")
    PromptSession.objects.get(pk=playground.pk).prompts.add(other)
    response = client_for(people["engineer"]).post(object_url(playground, "playground-prompt-remove", prompt_id=greeter.pk))
    assert response.status_code == 302
    assert list(PromptSession.objects.get(pk=playground.pk).prompts.all()) == [other]
    assert AuditEvent.objects.filter(action="prompt_session.update").exists()


def test_a_viewer_sees_no_playground_controls_and_is_refused(org, people, project, playground):
    dataset = DatasetFactory(project=project)
    viewer = client_for(people["viewer"])
    html = viewer.get(object_url(playground)).content.decode()
    assert "Add prompt" not in html and "Use dataset" not in html and "Remove" not in html
    for address, data in [
        (object_url(playground, "playground-dataset"), {"dataset": str(dataset.pk)}),
        (object_url(playground, "playground-prompts"), {"prompt": str(PromptFactory(project=project).pk)}),
    ]:
        assert_refused_without_writing(lambda address=address, data=data: viewer.post(address, data), 403)


def test_the_playground_page_costs_the_same_queries_for_one_and_many_prompts_and_rows(org, people, project, playground):
    dataset = DatasetFactory(project=project)
    insert_as_owner(dataset, [{"id": "first", "input": "x"}])
    client = client_for(people["engineer"])
    client.post(object_url(playground, "playground-dataset"), {"dataset": str(dataset.pk)})
    one = steady_state_queries(client, object_url(playground))
    insert_as_owner(dataset, [{"id": f"row-{n}", "input": {"name": n}} for n in range(8)])
    for index in range(8):
        prompt = PromptFactory(project=project, name=f"Extra {index}")
        PromptSession.objects.get(pk=playground.pk).prompts.add(prompt)
        DatasetFactory(project=project)
    assert steady_state_queries(client, object_url(playground)) == one


def test_an_existing_playground_dataset_that_the_person_may_not_read_is_not_shown(org, people, project, playground):
    dataset = DatasetFactory(project=ProjectFactory(org=org, name="private"), name="secret rows")
    PromptSession.objects.filter(pk=playground.pk).update(dataset=dataset)
    custom = people["custom"]
    grant(org, playground, user=custom, permission="read")
    html = client_for(custom).get(object_url(playground)).content.decode()
    assert "secret rows" not in html and "A dataset you cannot read" in html
