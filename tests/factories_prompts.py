"""Factories for prompts, functions and playgrounds, made through the services (so that each prompt has
its first version and the creator its owner grant, exactly as in production), and the world the API tests
of prompts, functions and playgrounds share."""

from dataclasses import dataclass

import factory

from accounts.models import Organization, User
from permissions.models import PermissionGroup
from projects.models import Project, Prompt, PromptSession
from projects.services.playgrounds import playground_create
from projects.services.prompts import FunctionFields, prompt_create
from tests.access_helpers import custom_group, grant, grant_many, nest
from tests.factories import OrganizationFactory, ProjectFactory, add_member, owner_of
from tests.worlds import ActsAsCallers, callers_of

# The fields of a prompt in the API's answers.
PROMPT_FIELDS = {
    "id",
    "_xact_id",
    "project_id",
    "log_id",
    "org_id",
    "name",
    "slug",
    "description",
    "created",
    "prompt_data",
    "tags",
    "metadata",
    "function_type",
}

# A chat prompt with two template variables, a model and a temperature: what the prompt pages edit and the
# SDK's load_prompt builds.
GREETER = {
    "prompt": {
        "type": "chat",
        "messages": [
            {"role": "system", "content": "You greet people who like {{topic}}."},
            {"role": "user", "content": "Say hello to {{name}}."},
        ],
    },
    "options": {"model": "gpt-4o-mini", "params": {"temperature": 0.2}},
}

CHAT_PROMPT = {
    "prompt": {"type": "chat", "messages": [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "{{input}}"}]},
    "options": {"model": "gpt-4o", "params": {"temperature": 0}},
}

INLINE_CODE = {
    "type": "code",
    "data": {"type": "inline", "runtime_context": {"runtime": "python", "version": "3.12"}, "code": "def handler(output):\n    return 1"},
}


class PromptFactory(factory.Factory):
    """A prompt made by `prompt_create`, by the project's organization's first owner (or `actor`).

    Pass ``function=FunctionFields(...)`` for a function."""

    class Meta:
        model = Prompt

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Prompt {n}")
    slug = factory.Sequence(lambda n: f"prompt-{n}")
    prompt_data = factory.LazyFunction(lambda: dict(CHAT_PROMPT))

    @classmethod
    def _create(cls, model_class, project: Project, actor: User | None = None, **fields) -> Prompt:
        return prompt_create(actor=actor or owner_of(project.org), project=project, **fields)


class FunctionFactory(PromptFactory):
    """A code function (``function_data`` of type code) made by `prompt_create`."""

    name = factory.Sequence(lambda n: f"Function {n}")
    slug = factory.Sequence(lambda n: f"function-{n}")
    prompt_data = None
    function_type = "scorer"
    function = factory.LazyFunction(lambda: FunctionFields(function_data=dict(INLINE_CODE)))


class PlaygroundFactory(factory.Factory):
    """A playground made by `playground_create`, by the organization's first owner (or `actor`)."""

    class Meta:
        model = PromptSession

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Playground {n}")
    prompt_ids = ()

    @classmethod
    def _create(cls, model_class, project: Project, actor: User | None = None, **fields) -> PromptSession:
        return playground_create(actor=actor or owner_of(project.org), project=project, **fields)


@dataclass
class PromptWorld(ActsAsCallers):
    """An organization with one caller of each kind, the prompts and playground they act on, and a second
    organization.

    * ``project`` holds ``target`` (a prompt), ``function`` (a code function) and ``playground``;
      ``other_project`` holds ``elsewhere`` (a prompt).
    * ``editors`` hold create, read, update and delete on the prompts and playgrounds of ``project``;
      ``inner`` is a member group of ``editors``.
    * ``object_grant`` holds read and update on ``target`` and on ``playground``, and nothing else.
    """

    org: Organization
    other_org: Organization
    project: Project
    other_project: Project
    editors: PermissionGroup
    inner: PermissionGroup
    target: Prompt
    function: Prompt
    elsewhere: Prompt
    playground: PromptSession
    theirs: Prompt  # a prompt of the other organization
    callers: dict[str, User]


def build_world() -> PromptWorld:
    org, other_org = OrganizationFactory(), OrganizationFactory()
    project = ProjectFactory(org=org, name="Support bot")
    other_project = ProjectFactory(org=org, name="Search")
    editors = custom_group(org, name="Prompt editors")
    for restrict in ("prompt", "prompt_session"):
        grant_many(org, project, ("create", "read", "update", "delete"), group=editors, restrict=restrict)
    inner = custom_group(org, name="Inner")
    nest(editors, inner)
    target = PromptFactory(project=project, name="Reply drafter", slug="reply-drafter", description="drafts replies", tags=["support"])
    function = FunctionFactory(project=project, name="Exact scorer", slug="exact-scorer")
    elsewhere = PromptFactory(project=other_project, name="Query rewriter", slug="query-rewriter")
    playground = PlaygroundFactory(project=project, name="Tone of voice", prompt_ids=[target.pk])
    theirs = PromptFactory(project=ProjectFactory(org=other_org), name="Theirs", slug="theirs")
    callers = callers_of(org, other_org, managers=editors, inner=inner, target=target)
    grant_many(org, playground, ("read", "update"), user=callers["object_grant"])
    return PromptWorld(org, other_org, project, other_project, editors, inner, target, function, elsewhere, playground, theirs, callers)


def grant_only(world: PromptWorld, obj, *permissions: str) -> User:
    """A new member of the world's organization holding exactly `permissions` on `obj`."""
    member = add_member(world.org)
    for permission in permissions:
        grant(world.org, obj, user=member, permission=permission)
    return member
