"""What the accessibility tests serve and visit: one organization with something on every page, the
pages (settings, project, sign-in and every registered admin model's), axe-core's findings on a page, and
the dialogs a page opens.

axe-core (npm ``axe-core``) is pinned in tests/browser/axe/package.json and installed from its lock file
by the package's ``axe_script`` fixture.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.auth.hashers import make_password
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, Organization, User
from accounts.services.credentials import api_key_create, service_account_create, service_token_create
from permissions.boxes import PROJECT_BOXES, Subject, object_boxes, save_boxes
from permissions.models import PermissionGroup
from permissions.services.groups import group_member_expiry_set
from projects.events.targets import EventTarget
from projects.events.writes import insert_events
from projects.models import Project, ProjectTag
from projects.services.prompts import prompt_update
from secrets_store.models import AISecret, EnvVar
from tests.access_helpers import custom_group
from tests.admin_rows import REGISTERED, Rows
from tests.browser.conftest import PASSWORD
from tests.factories import DatasetFactory, ExperimentFactory, OrganizationFactory, ProjectFactory, UserFactory, add_member, owner_of
from tests.factories_configuration import ProjectTagFactory, human_review_scores
from tests.factories_prompts import PlaygroundFactory, PromptFactory
from tests.factories_secrets import AISecretFactory, EnvVarFactory

AXE_DIR = Path(__file__).parents[1] / "axe"
AXE_SCRIPT = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
NPM_CI_TIMEOUT_SECONDS = 300
FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"


# What the module serves: one organization with something on every page


@dataclass
class World:
    org: Organization
    owner: User
    member: User
    group: PermissionGroup
    service_account: User
    project: Project
    tag: ProjectTag | None = None
    ai_secret: AISecret | None = None
    env_var: EnvVar | None = None
    objects: dict = field(default_factory=dict)  # by kind slug (experiments, datasets, prompts, playgrounds)
    admin_rows: dict = field(default_factory=dict)  # a row of every registered model, by model
    first_prompt_version: int = 0  # the prompt's first version, which its current one differs from

    def app(self, suffix: str = "") -> str:
        return f"/app/{self.org.name}/{suffix}"

    def in_project(self, suffix: str = "") -> str:
        return self.app(f"p/{self.project.pk}/{suffix}")

    def object_page(self, kind: str, suffix: str = "") -> str:
        return self.in_project(f"{kind}/{self.objects[kind].pk}/{suffix}")


def build_world() -> World:
    org = OrganizationFactory(name="Acme")
    owner = owner_of(org)
    owner.password = make_password(PASSWORD)
    owner.is_staff = owner.is_superuser = True  # the admin pages, every model's rows included
    owner.save(update_fields=["password", "is_staff", "is_superuser"])
    member = add_member(org, UserFactory(email="ada.lovelace@example.com", given_name="Ada", family_name="Lovelace"))
    group = custom_group(org, member, name="Annotators")
    account = service_account_create(actor=owner, org=org, name="ci-bot", group_ids=[group.pk])
    service_token_create(actor=owner, org=org, account_id=account.pk, name="deploys")
    api_key_create(actor=owner, org=org, name="laptop")
    Invitation.objects.create(org=org, email="grace@example.com", invited_by=owner, expires_at=timezone.now() + timedelta(days=7))

    project = ProjectFactory(org=org, name="Support bot", description="The support assistant", created_by=owner)
    dataset = DatasetFactory(project=project, name="golden-questions", created_by=owner)
    experiment = ExperimentFactory(project=project, name="baseline", dataset=dataset, created_by=owner)
    prompt = PromptFactory(project=project, name="Answer", slug="answer", actor=owner)
    first_prompt_version = prompt.xact_id
    messages = [{"role": "user", "content": "Answer {{input.question}}"}]
    answer = {"prompt": {"type": "chat", "messages": messages}, "options": {"model": "gpt-4o"}}
    prompt_update(actor=owner, prompt=prompt, description="Answers support questions", prompt_data=answer)
    playground = PlaygroundFactory(project=project, name="Try answers", prompt_ids=[prompt.pk], dataset_id=dataset.pk, actor=owner)
    question = {"input": {"question": "How do I reset my password?"}, "expected": "Use the link on the login page."}
    insert_events(
        actor=owner, target=EventTarget.of(experiment), events=[{**question, "id": "q1", "output": "Ask us.", "scores": {"accuracy": 0}}]
    )
    insert_events(actor=owner, target=EventTarget.of(dataset), events=[{**question, "id": "d1"}])
    insert_events(actor=owner, target=EventTarget.of(project), events=[{**question, "id": "l1", "output": "Use the link."}])
    tag = ProjectTagFactory(project=project, name="urgent", color="#b3261e", description="Answer today")
    human_review_scores(project)
    # Some access that ends soon, so that "until" and the groups page's "Expiring soon" are on the pages too.
    soon = timezone.now() + timedelta(days=3)
    group_member_expiry_set(actor=owner, group=group, expires_at=soon, member_user_id=member.pk)
    save_boxes(
        actor=owner,
        box_set=PROJECT_BOXES,
        subject=Subject(user_id=member.pk),
        target_id=project.pk,
        ticked=["experiment_read"],
        expires_at=soon,
    )
    save_boxes(actor=owner, box_set=PROJECT_BOXES, subject=Subject(group_id=group.pk), target_id=project.pk, ticked=["dataset_read"])
    save_boxes(
        actor=owner,
        box_set=object_boxes("experiment"),
        subject=Subject(user_id=member.pk),
        target_id=experiment.pk,
        ticked=["read"],
        expires_at=soon,
    )

    world = World(org, owner, member, group, account, project, tag, first_prompt_version=first_prompt_version)
    world.ai_secret = AISecretFactory(org=org, name="OPENAI_API_KEY", type="openai", secret_updated_by=owner)
    world.env_var = EnvVarFactory(org=org, project=project, name="DATABASE_URL")
    world.objects = {"experiments": experiment, "datasets": dataset, "prompts": prompt, "playgrounds": playground}
    rows = Rows(SimpleNamespace(org=org, project=project, operator=owner, member=member))
    world.admin_rows = {model: rows.make(model) for model in REGISTERED}
    return world


# The pages


@dataclass(frozen=True)
class Page:
    name: str
    path: Callable[[World], str]
    logged_out: bool = False


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _model_name(model) -> str:
    return f"{model._meta.app_label}-{model._meta.model_name}"


SIGN_IN_PAGES = [
    Page("login", lambda w: "/login/", logged_out=True),
    Page("password-reset", lambda w: "/password-reset/", logged_out=True),
]
SETTINGS_PAGES = [
    Page("settings-members", lambda w: w.app("settings/members/")),
    Page("settings-groups", lambda w: w.app("settings/groups/")),
    Page("settings-group-create", lambda w: w.app("settings/groups/create/")),
    Page("settings-group-permissions", lambda w: w.app(f"settings/groups/{w.group.pk}/permissions/")),
    Page("settings-group-access", lambda w: w.app(f"settings/groups/{w.group.pk}/access/")),
    Page("settings-group-edit", lambda w: w.app(f"settings/groups/{w.group.pk}/edit/")),
    Page("settings-group-delete", lambda w: w.app(f"settings/groups/{w.group.pk}/delete/")),
    Page("settings-service-accounts", lambda w: w.app("settings/service-accounts/")),
    Page("settings-service-account", lambda w: w.app(f"settings/service-accounts/{w.service_account.pk}/")),
    Page("settings-api-keys", lambda w: w.app("settings/api-keys/")),
    Page("settings-organization", lambda w: w.app("settings/organization/")),
    Page("settings-ai-providers", lambda w: w.app("settings/ai-providers/")),
    Page("settings-ai-provider-delete", lambda w: w.app(f"settings/ai-providers/{w.ai_secret.pk}/delete/")),
    Page("settings-audit-log", lambda w: w.app("settings/audit-log/")),
    Page("check-access", lambda w: w.app("check-access/")),
]
PROJECT_PAGES = [
    Page("projects", lambda w: w.app()),
    Page("project-experiments", lambda w: w.in_project()),
    Page("project-logs", lambda w: w.in_project("logs/")),
    *(Page(f"project-{kind}", lambda w, kind=kind: w.in_project(f"{kind}/")) for kind in ("datasets", "prompts", "playgrounds")),
    Page("project-configuration", lambda w: w.in_project("configuration/")),
    Page("project-configuration-search", lambda w: w.in_project("configuration/?q=a#permissions")),
    Page("project-tag-delete", lambda w: w.in_project(f"configuration/tags/{w.tag.pk}/delete/")),
    Page("project-env-var-delete", lambda w: w.in_project(f"configuration/env-vars/{w.env_var.pk}/delete/")),
    Page("project-access", lambda w: w.in_project(f"configuration/permissions/user/{w.member.pk}/")),
    *(Page(f"object-{kind}", lambda w, kind=kind: w.object_page(kind)) for kind in ("experiments", "datasets", "prompts", "playgrounds")),
    Page("prompt-create", lambda w: w.in_project("prompts/new/")),
    Page("prompt-edit", lambda w: w.object_page("prompts", "edit/")),
    Page("prompt-version", lambda w: w.object_page("prompts", f"versions/{w.first_prompt_version}/")),
    Page("object-rename-prompt", lambda w: w.object_page("prompts", "rename/")),
    Page("object-delete-playground", lambda w: w.object_page("playgrounds", "delete/")),
    Page("object-permissions", lambda w: w.object_page("experiments", "permissions/")),
    Page("object-permissions-chosen", lambda w: w.object_page("experiments", f"permissions/?principal=user:{w.member.pk}")),
]
ADMIN_PAGES = [
    Page("admin-index", lambda w: reverse("admin:index")),
    *(Page(f"admin-{_model_name(model)}-changelist", lambda w, m=model: admin_url(m, "changelist")) for model in REGISTERED),
    *(Page(f"admin-{_model_name(model)}-change", lambda w, m=model: admin_url(m, "change", w.admin_rows[m].pk)) for model in REGISTERED),
    Page("admin-projects-project-object-permissions", lambda w: admin_url(type(w.project), "permissions", w.project.pk)),
]
# The pages whose dialogs are opened one by one (the admin has none; Create prompt opens the editor's page).
PAGES_WITH_DIALOGS = {
    "settings-members",
    "settings-groups",
    "settings-service-accounts",
    "settings-service-account",
    "settings-api-keys",
    "settings-ai-providers",
    "projects",
    "project-experiments",
    "project-datasets",
    "project-playgrounds",
    "project-configuration",
    "object-experiments",
    "object-datasets",
    "object-prompts",
    "object-playgrounds",
}

# Violations found in templates this suite does not own, to be fixed there: {page: rule ids}. Each case
# is expected to fail, strictly, so that it is noticed when the fix lands.
KNOWN_PAGE_VIOLATIONS: dict[str, str] = {}
KNOWN_DIALOG_VIOLATIONS: dict[str, str] = {}


def cases(pages: list[Page], known: dict[str, str]) -> list:
    return [
        pytest.param(page, id=page.name, marks=[pytest.mark.xfail(strict=True, reason=known[page.name])] if page.name in known else [])
        for page in pages
    ]


ALL_PAGES = [*SIGN_IN_PAGES, *SETTINGS_PAGES, *PROJECT_PAGES, *ADMIN_PAGES]
DIALOG_PAGES = [page for page in ALL_PAGES if page.name in PAGES_WITH_DIALOGS]


# axe


def skip_or_fail(message: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def axe_problems(page, axe_script: Path) -> list[str]:
    """What axe-core finds on the page as it is now: every violation, and every incomplete aria rule."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_script))
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations', 'incomplete']})")
    incomplete = [result for result in results["incomplete"] if result["id"].startswith("aria")]
    return [
        f"{kind} {result['id']} ({result['impact']}): {result['help']} at {[node['target'] for node in result['nodes'][:3]]}"
        for kind, found in (("violation", results["violations"]), ("incomplete", incomplete))
        for result in found
    ]


def visit(browser, site, signed_in, target: Page):
    """The page `target`, as the owner or (for the sign-in pages) as nobody; answered 200."""
    if target.logged_out:
        context = browser.new_context(base_url=site.url)
        page = context.new_page()
    else:
        page = signed_in
    response = page.goto(target.path(site.world))
    assert response.status == 200, f"{target.name} answered {response.status}"
    page.wait_for_load_state("load")
    return page


# Dialogs: every opener on the page, one at a time


OPENERS = """() => {
  const ids = [...new Set([...document.querySelectorAll('[data-open-dialog]')].map(el => el.getAttribute('data-open-dialog')))];
  // Buttons that fetch a dialog; those inside a dialog (an object's pencils) fetch into it instead.
  const fetched = [...document.querySelectorAll('button[hx-get]')]
    .map((el, index) => (el.closest('dialog') ? -1 : index))
    .filter(index => index >= 0);
  return {ids: ids.filter(id => document.getElementById(id)), fetched};
}"""


def open_dialog(page, opener) -> None:
    """Click `opener` (opening the ⋯ menu it sits in first) and wait for its dialog."""
    opener.evaluate("el => { const menu = el.closest('details'); if (menu) menu.open = true; }")
    opener.click()
    page.locator("dialog[open]").first.wait_for()


def close_dialog(page) -> None:
    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.querySelector('dialog[open]')")
