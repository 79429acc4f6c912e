"""The management commands bootstrap_org and seed_demo."""

import re
from io import StringIO
from uuid import UUID

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import base as management_base
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError

from accounts.models import ApiKey, Membership, Organization, User
from accounts.services.credentials import authenticate_token
from accounts.tokens import hash_token
from permissions.engine import Node, can, can_create_in, is_visible
from permissions.grants import grant_records
from permissions.models import AuditEvent, GroupNesting, PermissionGroup, Role
from permissions.services.roles import system_role
from projects.management.commands.seed_demo import DEMO_ORG, PEOPLE
from projects.models import Dataset, EventRow, Experiment, Project, ProjectScore, ProjectTag, Prompt, PromptSession
from tests.factories import UserFactory

pytestmark = pytest.mark.long_running

STRONG_PASSWORD = "violet-Kettle-42-orbit"


def run(command: str, **options) -> str:
    out = StringIO()
    call_command(command, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    """The number of rows of every model: a fingerprint of "what is written"."""
    return {model._meta.label: model._base_manager.count() for model in apps.get_models()}


def dump_everything() -> str:
    out = StringIO()
    call_command("dumpdata", stdout=out)
    return out.getvalue()


# bootstrap_org ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_bootstrap_org_creates_org_with_builtin_groups_and_new_owner_in_owners():
    run("bootstrap_org", org="Initech", owner_email="Ada@Initech.example", password=STRONG_PASSWORD)

    org = Organization.objects.get(name="Initech")
    owner = User.objects.get(email="ada@initech.example")
    groups = {g.builtin: g for g in PermissionGroup.objects.filter(org=org)}
    assert set(groups) == {"owners", "engineers", "viewers"}
    assert owner.groups.filter(pk=groups["owners"].auth_group_id).exists()
    assert Membership.objects.filter(org=org, user=owner).exists()
    assert owner.check_password(STRONG_PASSWORD)
    assert can(owner, "create_acls", org)
    assert not ApiKey.objects.exists()


@pytest.mark.django_db
def test_bootstrap_org_never_prints_the_password():
    out = run("bootstrap_org", org="Initech", owner_email="ada@initech.example", password=STRONG_PASSWORD)
    assert STRONG_PASSWORD not in out


@pytest.mark.django_db
def test_bootstrap_org_without_password_leaves_new_owner_without_a_usable_one():
    out = run("bootstrap_org", org="Initech", owner_email="ada@initech.example")
    assert not User.objects.get(email="ada@initech.example").has_usable_password()
    assert "changepassword" in out


@pytest.mark.django_db
def test_bootstrap_org_last_stdout_line_is_an_api_key_that_authenticates_as_the_owner():
    out = run("bootstrap_org", org="Initech", owner_email="ada@initech.example", api_key_name="deploy")

    assert out.endswith("\n")
    raw = out.splitlines()[-1]
    assert raw.startswith("sk-")
    key = authenticate_token(raw)
    assert key is not None
    assert key.user == User.objects.get(email="ada@initech.example")
    assert key.org == Organization.objects.get(name="Initech")
    assert key.kind == ApiKey.Kind.API_KEY
    assert key.name == "deploy"


@pytest.mark.django_db
def test_bootstrap_org_stores_only_the_hash_of_the_api_key():
    out = run("bootstrap_org", org="Initech", owner_email="ada@initech.example", api_key_name="deploy")
    raw = out.splitlines()[-1]

    assert ApiKey.objects.get().key_hash == hash_token(raw)
    everything = dump_everything()
    assert raw not in everything
    assert raw[-12:] not in everything  # not even a long fragment, only the four-character preview
    assert hash_token(raw) in everything
    assert out.count(raw) == 1


@pytest.mark.django_db
def test_bootstrap_org_reuses_the_user_of_an_existing_owner_email():
    existing = UserFactory(email="ada@initech.example")
    users_before = User.objects.count()

    out = run("bootstrap_org", org="Initech", owner_email="ADA@initech.example")

    assert User.objects.count() == users_before
    org = Organization.objects.get(name="Initech")
    assert existing.groups.filter(permission_group__org=org, permission_group__builtin="owners").exists()
    existing.refresh_from_db()
    assert existing.check_password("correct horse battery staple")
    assert "password is unchanged" in out


@pytest.mark.django_db
def test_bootstrap_org_refuses_to_change_the_password_of_an_existing_user_and_writes_nothing():
    existing = UserFactory(email="ada@initech.example")
    before = row_counts()

    with pytest.raises(CommandError, match="password is not changed"):
        run("bootstrap_org", org="Initech", owner_email="ada@initech.example", password=STRONG_PASSWORD)

    assert row_counts() == before
    existing.refresh_from_db()
    assert existing.check_password("correct horse battery staple")


@pytest.mark.django_db
def test_bootstrap_org_with_an_existing_org_name_is_a_command_error_and_writes_nothing():
    run("bootstrap_org", org="Initech", owner_email="ada@initech.example")
    before = row_counts()

    with pytest.raises(CommandError, match="already exists"):
        run("bootstrap_org", org="Initech", owner_email="bob@initech.example", password=STRONG_PASSWORD, api_key_name="deploy")

    assert row_counts() == before
    assert not User.objects.filter(email="bob@initech.example").exists()


@pytest.mark.django_db
def test_bootstrap_org_duplicate_name_exits_non_zero_from_the_command_line(monkeypatch, capsys):
    run("bootstrap_org", org="Initech", owner_email="ada@initech.example")
    # The command line closes every connection when a command ends; the test's own must stay open.
    monkeypatch.setattr(management_base.connections, "close_all", lambda: None)

    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["manage.py", "bootstrap_org", "--org", "Initech", "--owner-email", "bob@initech.example"])

    assert exit_info.value.code != 0
    assert "already exists" in capsys.readouterr().err


@pytest.mark.django_db
def test_bootstrap_org_refuses_a_weak_password_and_writes_nothing():
    before = row_counts()
    with pytest.raises(CommandError, match="--password was refused"):
        run("bootstrap_org", org="Initech", owner_email="ada@initech.example", password="123")
    assert row_counts() == before


@pytest.mark.django_db
def test_bootstrap_org_records_audit_events_with_the_command_line_origin():
    run("bootstrap_org", org="Initech", owner_email="ada@initech.example", api_key_name="deploy")
    events = AuditEvent.objects.filter(org__name="Initech")
    assert {e.action for e in events} == {"organization.create", "api_key.create"}
    assert all(e.origin == {"channel": "cli", "command": "bootstrap_org"} for e in events)


# seed_demo -----------------------------------------------------------------------------------------


@pytest.fixture
def demo(db):
    """Run seed_demo once; return its output and a handle on what it made."""
    out = run("seed_demo")
    org = Organization.objects.get(name=DEMO_ORG)
    return Demo(out, org)


class Demo:
    def __init__(self, out: str, org: Organization) -> None:
        self.out = out
        self.org = org

    def person(self, key: str) -> User:
        return User.objects.get(email=next(p.email for p in PEOPLE if p.key == key))

    def group(self, name: str) -> PermissionGroup:
        return PermissionGroup.objects.get(org=self.org, name=name)

    def project(self, name: str) -> Project:
        return Project.objects.get(org=self.org, name=name)

    def obj(self, model, name: str):
        return model.objects.get(project__org=self.org, name=name)

    def updatable_by(self, person: User) -> set[str]:
        """The names of the demo's experiments, datasets, prompts and playgrounds that `person` may update."""
        objects = (obj for model in (Experiment, Dataset, Prompt, PromptSession) for obj in model.objects.filter(project__org=self.org))
        return {obj.name for obj in objects if can(person, "update", obj)}

    @property
    def service_account(self) -> User:
        return User.objects.get(service_account_org=self.org)


def printed_passwords(out: str) -> dict[str, str]:
    return dict(re.findall(r"^\s+(\S+@\S+)\s+password: (\S+)$", out, flags=re.MULTILINE))


@pytest.mark.django_db
def test_seed_demo_creates_people_in_the_builtin_groups(demo):
    assert Membership.objects.filter(org=demo.org).count() == len(PEOPLE) + 1  # and the service account
    builtin = {
        g.builtin: set(g.auth_group.user_set.values_list("email", flat=True))
        for g in PermissionGroup.objects.filter(org=demo.org).exclude(builtin="")
    }
    assert builtin["owners"] == {demo.person("maya").email}
    assert builtin["engineers"] == {demo.person("sam").email}
    assert builtin["viewers"] == {demo.person(k).email for k in ("lena", "priya", "tom")}
    assert not PermissionGroup.objects.filter(org=demo.org, auth_group__user=demo.person("diego"), builtin__gt="").exists()


@pytest.mark.django_db
def test_seed_demo_prints_each_password_once_and_it_logs_the_person_in(demo):
    passwords = printed_passwords(demo.out)
    assert set(passwords) == {p.email for p in PEOPLE}
    assert len(set(passwords.values())) == len(PEOPLE)  # random, one per person
    for email, password in passwords.items():
        assert demo.out.count(password) == 1
        assert authenticate(username=email, password=password) == User.objects.get(email=email)
    assert "the site" in demo.out
    assert "http://127.0.0.1:8000/login/" in demo.out.splitlines()[-1]


@pytest.mark.django_db
def test_seed_demo_with_password_option_gives_everyone_that_password():
    out = run("seed_demo", password=STRONG_PASSWORD)
    assert set(printed_passwords(out).values()) == {STRONG_PASSWORD}
    for person in PEOPLE:
        assert User.objects.get(email=person.email).check_password(STRONG_PASSWORD)


@pytest.mark.django_db
def test_seed_demo_reuses_an_existing_account_without_touching_its_password():
    existing = UserFactory(email=PEOPLE[1].email)
    out = run("seed_demo")
    existing.refresh_from_db()
    assert existing.check_password("correct horse battery staple")
    assert Membership.objects.filter(org__name=DEMO_ORG, user=existing).exists()
    assert PEOPLE[1].email not in printed_passwords(out)
    assert "password unchanged" in out


@pytest.mark.django_db
def test_seed_demo_prints_a_service_token_that_authenticates_as_the_service_account(demo):
    tokens = re.findall(r"bt-st-\S+", demo.out)
    assert len(tokens) == 1
    key = authenticate_token(tokens[0])
    assert key is not None
    assert key.user == demo.service_account
    assert key.kind == ApiKey.Kind.SERVICE_TOKEN
    assert tokens[0] not in dump_everything()


@pytest.mark.django_db
def test_seed_demo_creates_nested_and_custom_groups(demo):
    ml_platform, evaluators = demo.group("ML Platform"), demo.group("Evaluators")
    assert GroupNesting.objects.filter(group=ml_platform, member_group=evaluators).exists()
    assert demo.person("lena").groups.filter(pk=evaluators.auth_group_id).exists()
    assert demo.person("sam").groups.filter(pk=ml_platform.auth_group_id).exists()
    assert demo.person("diego").groups.filter(pk=demo.group("Support").auth_group_id).exists()
    assert demo.person("tom").groups.filter(pk=demo.group("Team leads").auth_group_id).exists()


@pytest.mark.django_db
def test_seed_demo_creates_the_dataset_curator_role_inheriting_viewer(demo):
    role = Role.objects.get(org=demo.org, name="Dataset curator")
    pairs = set(role.member_permissions.values_list("permission", "restrict_object_type"))
    assert pairs == {("read", "dataset"), ("update", "dataset")}
    assert list(role.member_roles.all()) == [system_role("viewer")]


@pytest.mark.django_db
def test_seed_demo_creates_projects_with_every_kind_of_object(demo):
    assert set(Project.objects.filter(org=demo.org).values_list("name", flat=True)) == {
        "Customer support bot",
        "Search ranking",
        "Support bot (staging)",
        "Support bot (production)",
    }
    for model in (Experiment, Dataset, Prompt, PromptSession):
        assert model.objects.filter(project__org=demo.org).exists(), model.__name__
    scorer = demo.obj(Prompt, "Helpfulness scorer")
    assert scorer.function_type == Prompt.FunctionType.SCORER
    assert scorer.slug == "helpfulness-scorer"


@pytest.mark.django_db
def test_seed_demo_grants_exist_at_every_level(demo):
    org = demo.org
    maya = demo.person("maya")
    support_bot = demo.project("Customer support bot")
    production = demo.project("Support bot (production)")
    nodes = [
        Node("organization", org.pk),
        Node("org_member", org.pk),
        Node("org_audit_logs", org.pk),
        Node("org_project", org.pk),
        Node("project", support_bot.pk),
        Node("project_log", production.pk),
        Node("experiment", demo.obj(Experiment, "BM25 vs embeddings").pk),
        Node("dataset", demo.obj(Dataset, "Escalations").pk),
        Node("prompt", demo.obj(Prompt, "Helpfulness scorer").pk),
        Node("prompt_session", demo.obj(PromptSession, "Tone of voice").pk),
        Node("group", demo.group("Support").pk),
    ]
    builtin_group_ids = set(PermissionGroup.objects.filter(org=org).exclude(builtin="").values_list("id", flat=True))
    for node in nodes:
        seeded = [
            r
            for r in grant_records(nodes=[node])
            if r.user_id != maya.pk and r.group_id not in builtin_group_ids  # beyond creator and built-in grants
        ]
        assert seeded, f"no seeded grant on {node.type}"

    (logging_grant,) = grant_records(nodes=[Node("project_log", production.pk)], user_id=demo.service_account.pk)
    assert (logging_grant.permission, logging_grant.restrict_object_type) == ("update", None)

    manage_settings = grant_records(nodes=[Node("organization", org.pk)], group_id=demo.group("Team leads").pk)
    assert [(r.permission, r.restrict_object_type) for r in manage_settings] == [("update", "organization")]

    restricted = grant_records(nodes=[Node("project", support_bot.pk)], group_id=demo.group("Evaluators").pk)
    assert {(r.permission, r.restrict_object_type) for r in restricted} == {("create", "experiment"), ("update", "experiment")}

    curator = Role.objects.get(org=org, name="Dataset curator")
    (role_grant,) = grant_records(role_id=curator.pk)
    assert (role_grant.object_type, role_grant.object_id, role_grant.user_id) == ("project", support_bot.pk, demo.person("priya").pk)


@pytest.mark.django_db
def test_seed_demo_team_lead_manages_settings_members_and_support_but_not_access(demo):
    tom, org = demo.person("tom"), demo.org
    assert can(tom, "update", org)
    assert can(tom, "create", Node("org_member", org.pk))
    assert can(tom, "read", Node("org_audit_logs", org.pk))
    assert not can(tom, "delete", Node("org_member", org.pk))
    assert not can(tom, "create_acls", org)
    assert can(tom, "update", demo.group("Support"))
    assert not can(tom, "update", demo.group("ML Platform"))


@pytest.mark.django_db
def test_seed_demo_evaluator_gets_ml_platform_grants_through_the_nested_group(demo):
    lena, org = demo.person("lena"), demo.org
    support_bot = demo.project("Customer support bot")
    assert can_create_in(lena, "project", Node("org_project", org.pk))  # through ML Platform, which contains Evaluators
    assert can_create_in(lena, "experiment", support_bot)  # through Evaluators itself
    assert demo.updatable_by(lena) == {
        "Relevance judgments",  # through ML Platform, which updates its datasets but not its experiments
        "RAG v2 with reranker",  # through Evaluators: the support bot's experiments and its scorer, not its datasets
        "gpt-4o-mini baseline",
        "Helpfulness scorer",
    }


@pytest.mark.django_db
def test_seed_demo_curator_role_lets_priya_edit_the_support_bot_datasets_only(demo):
    priya = demo.person("priya")
    assert demo.updatable_by(priya) == {"Golden support tickets", "Escalations", "Tone of voice"}


@pytest.mark.django_db
def test_seed_demo_support_agent_sees_only_what_support_is_granted(demo):
    diego = demo.person("diego")
    support_bot, search, production = (
        demo.project("Customer support bot"),
        demo.project("Search ranking"),
        demo.project("Support bot (production)"),
    )
    assert can(diego, "read", support_bot)
    assert not can(diego, "update", support_bot)
    assert can(diego, "update", Node("project_log", support_bot.pk))
    assert can(diego, "update", demo.obj(Dataset, "Escalations"))
    assert not can(diego, "update", demo.obj(Dataset, "Golden support tickets"))
    # One shared experiment of a project Support otherwise cannot see.
    assert can(diego, "read", demo.obj(Experiment, "BM25 vs embeddings"))
    assert not is_visible(diego, search)
    assert not is_visible(diego, demo.obj(Dataset, "Relevance judgments"))
    # Production logs: read, not write.
    assert can(diego, "read", Node("project_log", production.pk))
    assert not can(diego, "update", Node("project_log", production.pk))
    assert not is_visible(diego, demo.project("Support bot (staging)"))


@pytest.mark.django_db
def test_seed_demo_service_account_may_only_write_production_logs(demo):
    logger, production = demo.service_account, demo.project("Support bot (production)")
    assert can(logger, "update", Node("project_log", production.pk))
    assert not can(logger, "read", Node("project_log", production.pk))
    assert not is_visible(logger, production)
    assert not is_visible(logger, Node("project_log", demo.project("Support bot (staging)").pk))


@pytest.mark.django_db
def test_seed_demo_owner_and_engineer_get_the_builtin_access(demo):
    maya, sam = demo.person("maya"), demo.person("sam")
    assert can(maya, "create_acls", demo.org)
    assert can(sam, "delete", demo.obj(Experiment, "Nightly regression"))
    assert not can(sam, "create_acls", demo.project("Search ranking"))


@pytest.mark.django_db
def test_seed_demo_writes_audit_events_by_the_owner_with_the_command_line_origin(demo):
    events = AuditEvent.objects.filter(org=demo.org)
    actions = set(events.values_list("action", flat=True))
    assert {"organization.create", "invitation.create", "member.join", "group.create", "role.create", "project.create"} <= actions
    assert "acl.create" in actions
    assert {"experiment.create", "dataset.create", "prompt.create", "prompt_session.create"} <= actions
    assert {"service_account.create", "service_token.create"} <= actions
    assert all(e.origin == {"channel": "cli", "command": "seed_demo"} for e in events)
    assert set(events.exclude(action="member.join").values_list("actor", flat=True)) == {demo.person("maya").pk}
    joined = events.filter(action="member.join")
    assert all(e.actor_id == UUID(e.target_id) for e in joined)  # each person accepted their own invitation
    granted = {UUID(e.target_id) for e in events.filter(action="acl.create")}
    assert granted <= {r.id for r in grant_records(org_id=demo.org.pk)}


@pytest.mark.django_db
def test_seed_demo_second_run_changes_nothing(demo):
    before = row_counts()
    out = run("seed_demo")
    assert row_counts() == before
    assert "already exists" in out
    assert "password" not in out


def test_seed_demo_fills_the_projects_with_configuration_and_rows(demo):
    production = Project.objects.get(org=demo.org, name="Support bot (production)")
    assert EventRow.objects.filter(project=production, kind="project_logs").count() == 3
    assert EventRow.objects.filter(project__org=demo.org, kind="experiment").count() == 6
    assert ProjectTag.objects.filter(project=production, name="needs-review").exists()
    assert set(ProjectScore.objects.filter(project__org=demo.org).values_list("score_type", flat=True)) == {
        "slider",
        "categorical",
        "weighted",
        "online",
    }
