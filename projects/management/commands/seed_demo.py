"""Seed a demo organization: a team that evaluates the AI features of its products.

    python manage.py seed_demo [--password PASSWORD] [--host HOST] [--port PORT]
    python manage.py seed_demo --reset-passwords [--password PASSWORD]

Everything is made through the services, with the demo owner as the actor, so every check is the real
one and every change writes its audit event (origin: command line, ``seed_demo``). It all happens in one
transaction.

If the demo organization exists already the command says so and changes nothing; ``make run`` calls it
on every start, so only the first start seeds. Passwords (random, unless ``--password`` is given) and
the service token are printed once, when they are created, and never stored in clear. ``--host`` and
``--port`` say where the site is served (``make run`` passes its HOST and PORT), for the login address
the command prints.

``--reset-passwords`` gives the demo people (the members of the demo organization with the demo emails,
nobody else) new random passwords, or ``--password``, and prints them once; it changes nothing else.

What the demo shows (see also the summary the command prints):

* Built-in groups in use: Maya owns the organization; Sam is an engineer; Lena, Priya and Tom are viewers.
* Custom groups: "ML Platform" contains the group "Evaluators" (so Lena, an evaluator, gets what ML
  Platform gets); "Support" (Diego, who is in no built-in group); "Team leads" (Tom).
* An organization role, "Dataset curator": read and update restricted to datasets, inheriting the
  system role viewer.
* Grants at every level: organization boxes for Team leads (Manage settings, invite members, read
  audit logs); All projects: Create for ML Platform; project-level grants (Support reads the support
  bot project and adds feedback to its logs, Evaluators create and update its experiments, ML Platform
  edits the datasets of Search ranking); object-level grants (a dataset, an experiment, a scorer and a
  playground); a grant on a group (Tom manages the Support group); a role grant (Priya curates the
  support bot's datasets); and a production logging service account that may only write the
  production project's logs, which Support may read.
"""

import secrets
from dataclasses import dataclass

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Organization, User, normalize_email
from accounts.services.credentials import service_account_create, service_token_create
from accounts.services.members import invitation_accept, member_invite_user
from accounts.services.organizations import organization_create
from permissions.audit import request_origin
from permissions.exceptions import AccessDenied, NotFound, ValidationError
from permissions.models import PermissionGroup
from permissions.services.grants import GrantSpec, acl_grant
from permissions.services.groups import group_create
from permissions.services.roles import role_create, system_role
from projects.events.targets import EventTarget
from projects.events.writes import insert_events
from projects.models import Project, ProjectObject
from projects.services.configuration import project_score_create, project_tag_create
from projects.services.objects import object_create, project_create

DEMO_ORG = "Acme AI"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
# Addresses a server listens on that a browser cannot open: the login address names this machine instead.
ANY_ADDRESS = {"0.0.0.0", "::", ""}  # noqa: S104 (compared against, not bound)


@dataclass(frozen=True)
class Person:
    key: str
    given_name: str
    family_name: str
    builtin: str | None  # the built-in group the person is in, if any
    role: str  # what the person does, for the printed summary

    @property
    def email(self) -> str:
        return normalize_email(f"{self.given_name}.{self.family_name}@acme-ai.example")


OWNER = Person("maya", "Maya", "Chen", "owners", "Head of AI; owns the organization")
PEOPLE = (
    OWNER,
    Person("sam", "Sam", "Patel", "engineers", "ML engineer; in ML Platform"),
    Person("lena", "Lena", "Fischer", "viewers", "Evaluator; in Evaluators, inside ML Platform"),
    Person("priya", "Priya", "Nair", "viewers", "Data curator; curates the support bot's datasets"),
    Person("tom", "Tom", "Becker", "viewers", "Team lead; manages settings and members"),
    Person("diego", "Diego", "Ramos", None, "Support agent; in Support only"),
)

# Project name -> objects to create in it: (object type, name, extra fields).
PROJECTS: dict[str, list[tuple[str, str, dict]]] = {
    "Customer support bot": [
        ("experiment", "gpt-4o-mini baseline", {}),
        ("experiment", "RAG v2 with reranker", {}),
        ("dataset", "Golden support tickets", {}),
        ("dataset", "Escalations", {}),
        ("prompt", "Reply drafter", {"slug": "reply-drafter", "function_type": "llm"}),
        ("prompt", "Helpfulness scorer", {"slug": "helpfulness-scorer", "function_type": "scorer"}),
        ("prompt_session", "Tone of voice", {}),
    ],
    "Search ranking": [
        ("experiment", "BM25 vs embeddings", {}),
        ("dataset", "Relevance judgments", {}),
        ("prompt", "Query rewriter", {"slug": "query-rewriter", "function_type": "llm"}),
        ("prompt_session", "Rewrite ideas", {}),
    ],
    "Support bot (staging)": [
        ("experiment", "Nightly regression", {}),
        ("dataset", "Smoke tests", {}),
    ],
    "Support bot (production)": [
        ("dataset", "Flagged conversations", {}),
    ],
}
PROJECT_DESCRIPTIONS = {
    "Customer support bot": "Drafts replies to customer tickets.",
    "Search ranking": "Ranks help-center articles for a query.",
    "Support bot (staging)": "The support bot as deployed to staging.",
    "Support bot (production)": "The support bot as deployed to production; its logs are the live traffic.",
}

SERVICE_ACCOUNT = "Production logger"
SERVICE_TOKEN_NAME = "production-logging"  # noqa: S105 (a name, not a secret)


class Command(BaseCommand):
    help = f"Create the demo organization {DEMO_ORG!r} with people, groups, a role, projects and grants (once; later runs change nothing)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            help="Password for every demo person. Without it each person gets a random password, printed once.",
        )
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Give the demo people new passwords (random, or --password) and print them once; change nothing else.",
        )
        parser.add_argument(
            "--host", default=DEFAULT_HOST, help=f"Where the site is served, for the login address printed (default {DEFAULT_HOST})."
        )
        parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"The port the site is served on (default {DEFAULT_PORT}).")

    def handle(
        self,
        *args,
        password: str | None = None,
        reset_passwords: bool = False,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        **options,
    ):
        if password is not None and not password:
            raise CommandError("--password must not be empty.")
        login_url = login_address(host, port)
        if reset_passwords:
            self._reset_passwords(password, login_url)
            return
        if Organization.objects.filter(name=DEMO_ORG).exists():
            self.stdout.write(f"The demo organization {DEMO_ORG!r} already exists; nothing to do.")
            self.stdout.write(f"Log in to the site at {login_url}.")
            # No word of passwords here (none is shown); --help names the option that makes new ones.
            self.stdout.write("Lost the demo logins? python manage.py seed_demo --help says how to get new ones.")
            return
        try:
            with request_origin(channel="cli", command="seed_demo"), transaction.atomic():
                lines = _Seeder(password, login_url).run()
        except (ValidationError, AccessDenied, NotFound) as exc:
            message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            raise CommandError(f"Seeding the demo failed and nothing was written: {message}") from exc
        # Printed after the commit only: passwords and the token are shown for data that exists.
        for line in lines:
            self.stdout.write(line)

    def _reset_passwords(self, password: str | None, login_url: str) -> None:
        org = Organization.objects.filter(name=DEMO_ORG).first()
        if org is None:
            raise CommandError(f"There is no demo organization {DEMO_ORG!r} yet: run seed_demo without --reset-passwords first.")
        # Only the demo people, and only as members of the demo organization: an account that merely shares
        # a demo email elsewhere, or a service account, is left alone.
        people = {
            user.email: user
            for user in User.objects.filter(email__in=[person.email for person in PEOPLE], memberships__org=org, kind=User.Kind.PERSON)
        }
        if not people:
            raise CommandError(f"The demo organization {DEMO_ORG!r} has none of the demo people; no password was changed.")
        credentials = {}
        with transaction.atomic():
            for email, user in people.items():
                credentials[email] = password or secrets.token_urlsafe(16)
                user.set_password(credentials[email])
                user.save(update_fields=["password"])
        # Printed after the commit only, and nowhere else: these passwords are not kept in clear.
        self.stdout.write(f"New passwords for the people of the demo organization {DEMO_ORG!r} (shown only now):")
        for person in PEOPLE:
            if person.email in credentials:
                self.stdout.write(f"  {person.email}  password: {credentials[person.email]}")
        self.stdout.write("")
        self.stdout.write(f"Log in to the site at {login_url} with one of the emails and passwords above.")


def login_address(host: str, port: int) -> str:
    """The login page's address for a site served on `host`:`port`, as a browser on this machine opens it."""
    host = DEFAULT_HOST if host in ANY_ADDRESS else host
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address
    return f"http://{host}:{port}/login/"


class _Seeder:
    """Builds the demo inside the caller's transaction; returns the lines to print."""

    def __init__(self, password: str | None, login_url: str) -> None:
        self.password = password
        self.login_url = login_url
        self.people: dict[str, User] = {}
        self.groups: dict[str, PermissionGroup] = {}
        self.projects: dict[str, Project] = {}
        self.objects: dict[str, ProjectObject] = {}

    def run(self) -> list[str]:
        credentials = self._people()
        owner = self.people[OWNER.key]
        self.org = organization_create(name=DEMO_ORG, owner=owner)
        self.owner = owner
        self.groups.update({g.builtin: g for g in PermissionGroup.objects.filter(org=self.org).exclude(builtin="")})
        for person in PEOPLE[1:]:
            builtin = [self.groups[person.builtin].pk] if person.builtin else []
            # Each demo person is invited and accepts, as a real member would.
            invitation = member_invite_user(actor=owner, org=self.org, user=self.people[person.key], group_ids=builtin)
            invitation_accept(user=self.people[person.key], invitation=invitation)
        self._custom_groups()
        curator = role_create(
            actor=owner,
            org=self.org,
            name="Dataset curator",
            description="Reads and edits datasets; sees everything a viewer sees.",
            member_permissions=[("read", "dataset"), ("update", "dataset")],
            member_roles=[system_role("viewer").pk],
        )
        self._projects()
        logger, raw_token = self._service_account()
        self._grants(curator, logger)
        self._contents()

        lines = [f"Created the demo organization {DEMO_ORG!r}.", "", "People (passwords are shown only now):"]
        for person in PEOPLE:
            lines.append(f"  {person.email}  password: {credentials[person.key]}")
            lines.append(f"      {person.role}")
        lines += [
            "",
            "Groups: Owners (Maya), Engineers (Sam), Viewers (Lena, Priya, Tom),",
            "        ML Platform (Sam, and the group Evaluators), Evaluators (Lena), Support (Diego), Team leads (Tom).",
            "Role: Dataset curator (read + update on datasets, inherits viewer), granted to Priya on Customer support bot.",
            f"Projects: {', '.join(PROJECTS)}.",
            "",
            f"Service account {SERVICE_ACCOUNT!r} (may only write the logs of Support bot (production)).",
            f"Its service token {SERVICE_TOKEN_NAME!r} is shown only now:",
            f"  {raw_token}",
            "",
            "Contents: tags, human review and aggregate scores, an online-scoring rule on the production logs,",
            "          experiment and dataset rows, and production logs (scored by the worker that make run starts).",
            "",
            "Lost the passwords? New ones for the demo people: python manage.py seed_demo --reset-passwords",
            f"Log in to the site at {self.login_url} with one of the emails and passwords above.",
        ]
        return lines

    def _contents(self) -> None:
        """Configuration and rows, so that every page has something to show."""
        owner, projects, objects = self.owner, self.projects, self.objects
        support_bot, production = projects["Customer support bot"], projects["Support bot (production)"]
        for project in (support_bot, production):
            project_tag_create(
                actor=owner, project=project, name="needs-review", color="#b3261e", description="A person should look at it."
            )
            project_tag_create(actor=owner, project=project, name="production", color="#1e6b34")
            project_tag_create(actor=owner, project=project, name="staging", color="#1f5fd6")
        project_score_create(actor=owner, project=support_bot, name="Helpfulness", score_type="slider", description="How much it helped.")
        project_score_create(
            actor=owner,
            project=support_bot,
            name="Tone",
            score_type="categorical",
            categories=[{"name": "Rude", "value": 0}, {"name": "Neutral", "value": 0.5}, {"name": "Warm", "value": 1}],
        )
        project_score_create(
            actor=owner,
            project=production,
            name="Reply quality",
            score_type="online",
            config={"online": {"sampling_rate": 1, "scorers": [{"type": "global", "name": "Levenshtein"}], "apply_to_root_span": True}},
        )
        tickets = [
            ("Where is my order #1234?", "It shipped yesterday and arrives Friday.", "It shipped yesterday; it arrives on Friday."),
            (
                "How do I reset my password?",
                "Use the 'Forgot password' link on the login page.",
                "Click 'Forgot password' on the login page.",
            ),
            ("Can I get a refund?", "Refunds are possible within 30 days.", "Yes, within 30 days of purchase."),
        ]
        insert_events(
            actor=owner,
            target=EventTarget.of(objects["Golden support tickets"]),
            events=[{"input": question, "expected": expected} for question, _, expected in tickets],
        )
        for name, factuality in (("gpt-4o-mini baseline", (0.6, 0.8, 0.7)), ("RAG v2 with reranker", (0.9, 0.85, 0.95))):
            insert_events(
                actor=owner,
                target=EventTarget.of(objects[name]),
                events=[
                    {
                        "input": q,
                        "output": a,
                        "expected": e,
                        "scores": {"Factuality": f},
                        "metrics": {"start": 0, "end": 1.2, "tokens": 180},
                    }
                    for (q, a, e), f in zip(tickets, factuality, strict=True)
                ],
            )
        # After the rows: an aggregate score names scores that exist (Factuality is one the experiments' rows carry).
        project_score_create(
            actor=owner, project=support_bot, name="Overall", score_type="weighted", categories={"Factuality": 3, "Helpfulness": 1}
        )
        insert_events(
            actor=owner,
            target=EventTarget.of(production),
            events=[
                {"input": q, "output": a, "expected": e, "tags": ["production"] if i else ["production", "needs-review"]}
                for i, (q, a, e) in enumerate(tickets)
            ],
        )

    def _people(self) -> dict[str, str]:
        """Create the demo people (or reuse existing accounts, leaving their passwords alone)."""
        credentials = {}
        for person in PEOPLE:
            user = User.objects.filter(email__iexact=person.email).first()
            if user is not None:
                if user.is_service_account:
                    raise ValidationError(f"{person.email} is a service account, not a person.")
                credentials[person.key] = "(existing account; password unchanged)"
            else:
                password = self.password or secrets.token_urlsafe(16)
                # Maya also operates the site, so she may use the Django admin too.
                user = User.objects.create_user(
                    email=person.email,
                    password=password,
                    given_name=person.given_name,
                    family_name=person.family_name,
                    is_staff=person is OWNER,
                )
                credentials[person.key] = password
            self.people[person.key] = user
        return credentials

    def _custom_groups(self) -> None:
        owner, people = self.owner, self.people
        self.groups["evaluators"] = group_create(
            actor=owner,
            org=self.org,
            name="Evaluators",
            description="Run experiments and tune scorers.",
            member_users=[people["lena"].pk],
        )
        self.groups["ml_platform"] = group_create(
            actor=owner,
            org=self.org,
            name="ML Platform",
            description="Builds the evaluation platform; contains Evaluators.",
            member_users=[people["sam"].pk],
            member_groups=[self.groups["evaluators"].pk],
        )
        self.groups["support"] = group_create(
            actor=owner,
            org=self.org,
            name="Support",
            description="Support agents: read the support bot and give feedback on its answers.",
            member_users=[people["diego"].pk],
        )
        self.groups["team_leads"] = group_create(
            actor=owner,
            org=self.org,
            name="Team leads",
            description="Manage organization settings and invite members.",
            member_users=[people["tom"].pk],
        )

    def _projects(self) -> None:
        for name, objects in PROJECTS.items():
            project = project_create(actor=self.owner, org=self.org, name=name, description=PROJECT_DESCRIPTIONS[name])
            self.projects[name] = project
            for object_type, object_name, fields in objects:
                self.objects[object_name] = object_create(
                    actor=self.owner, project=project, object_type=object_type, name=object_name, **fields
                )

    def _service_account(self) -> tuple[User, str]:
        account = service_account_create(actor=self.owner, org=self.org, name=SERVICE_ACCOUNT)
        _key, raw = service_token_create(actor=self.owner, org=self.org, account_id=account.pk, name=SERVICE_TOKEN_NAME)
        return account, raw

    def _grants(self, curator, logger: User) -> None:
        org, groups, people, projects, objects = self.org, self.groups, self.people, self.projects, self.objects
        support_bot = projects["Customer support bot"]
        production = projects["Support bot (production)"]

        def to_group(group: str, object_type: str, object_id, permission: str, restrict: str | None = None) -> GrantSpec:
            return GrantSpec(object_type, object_id, group_id=groups[group].pk, permission=permission, restrict_object_type=restrict)

        def to_user(user: User, object_type: str, object_id, permission: str | None = None, role=None) -> GrantSpec:
            return GrantSpec(object_type, object_id, user_id=user.pk, permission=permission, role_id=role.pk if role else None)

        grants = [
            # Organization level ("Permissions" dialog of a group).
            to_group("team_leads", "organization", org.pk, "update", "organization"),  # Manage settings
            to_group("team_leads", "org_member", org.pk, "create"),  # Manage members (invite)
            to_group("team_leads", "org_audit_logs", org.pk, "read"),  # Read audit logs
            to_group("ml_platform", "org_project", org.pk, "create"),  # All projects: Create
            # Project level.
            to_group("support", "project", support_bot.pk, "read"),  # Project: Read
            to_group("support", "project", support_bot.pk, "update", "project_log"),  # Logs: Update (feedback)
            to_group("evaluators", "project", support_bot.pk, "create", "experiment"),  # Experiments: Create
            to_group("evaluators", "project", support_bot.pk, "update", "experiment"),  # Experiments: Update
            to_group("ml_platform", "project", projects["Search ranking"].pk, "update", "dataset"),  # Datasets: Update
            # The production logs: Support reads them, the logging service account only writes them.
            to_group("support", "project_log", production.pk, "read"),
            to_user(logger, "project_log", production.pk, "update"),
            # Object level.
            to_group("support", "dataset", objects["Escalations"].pk, "update"),
            to_user(people["diego"], "experiment", objects["BM25 vs embeddings"].pk, "read"),
            to_group("evaluators", "prompt", objects["Helpfulness scorer"].pk, "update"),
            to_user(people["priya"], "prompt_session", objects["Tone of voice"].pk, "update"),
            # Group access: Tom manages who is in Support.
            to_user(people["tom"], "group", groups["support"].pk, "update"),
            # A role grant.
            to_user(people["priya"], "project", support_bot.pk, role=curator),
        ]
        for spec in grants:
            acl_grant(actor=self.owner, spec=spec)
