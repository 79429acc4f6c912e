"""factory-boy factories for the models tests need.

Organizations are built through the real service so that every one has its built-in groups and grants,
exactly as in production.
"""

from types import SimpleNamespace

import factory
from django.utils import timezone

from accounts.models import Membership, Organization, User
from accounts.services.organizations import organization_create
from permissions.models import PermissionGroup
from projects.models import Dataset, DatasetSnapshot, Experiment, Project, Prompt, PromptSession


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    password = factory.django.Password("correct horse battery staple")  # hashed before the insert: one query


class OrganizationFactory(factory.Factory):
    """An organization created by `organization_create`, owned by a new person (or `owner`)."""

    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Org {n}")
    owner = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, name, owner):
        return organization_create(name=name, owner=owner)

    @classmethod
    def _build(cls, model_class, name, owner):
        return model_class(name=name)


def owner_of(org: Organization) -> User:
    """The person the organization was created for (its first direct member of Owners)."""
    return User.objects.filter(groups__permission_group__org=org, groups__permission_group__builtin="owners").earliest("created")


def builtin_group(org: Organization, kind: str) -> PermissionGroup:
    return PermissionGroup.objects.get(org=org, builtin=kind)


def add_member(org: Organization, user: User | None = None, *groups: PermissionGroup | str) -> User:
    """Make `user` (or a new person) a member of `org` and of `groups` (objects or built-in kinds)."""
    if user is None:
        user = UserFactory()
        Membership.objects.create(org=org, user=user)
    else:
        Membership.objects.get_or_create(org=org, user=user)
    for group in groups:
        group = builtin_group(org, group) if isinstance(group, str) else group
        user.groups.add(group.auth_group_id)
    return user


class ServiceAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"robot{n}@service-accounts.invalid")
    given_name = factory.Sequence(lambda n: f"robot {n}")
    kind = User.Kind.SERVICE_ACCOUNT
    service_account_org = factory.SubFactory(OrganizationFactory)

    @factory.post_generation
    def membership(obj, create, extracted, **kwargs):
        if create:
            Membership.objects.get_or_create(org=obj.service_account_org, user=obj)


class PermissionGroupFactory(factory.django.DjangoModelFactory):
    """A custom group, written directly (the services are tested on their own)."""

    class Meta:
        model = PermissionGroup

    org = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Group {n}")
    auth_group = factory.SubFactory("tests.factories.AuthGroupFactory")


class AuthGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "auth.Group"

    name = factory.Sequence(lambda n: f"permission-group:test-{n}")


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    org = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"project-{n}")
    created = factory.LazyFunction(timezone.now)


class _ProjectObjectFactory(factory.django.DjangoModelFactory):
    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"object-{n}")


class ExperimentFactory(_ProjectObjectFactory):
    class Meta:
        model = Experiment


class DatasetFactory(_ProjectObjectFactory):
    class Meta:
        model = Dataset


class DatasetSnapshotFactory(factory.django.DjangoModelFactory):
    """A snapshot naming a transaction of its dataset (written directly: the service checks the id)."""

    class Meta:
        model = DatasetSnapshot

    dataset = factory.SubFactory(DatasetFactory)
    name = factory.Sequence(lambda n: f"snapshot-{n}")
    xact_id = 1
    created = factory.LazyFunction(timezone.now)


class PromptFactory(_ProjectObjectFactory):
    class Meta:
        model = Prompt

    slug = factory.Sequence(lambda n: f"prompt-{n}")


class PromptSessionFactory(_ProjectObjectFactory):
    class Meta:
        model = PromptSession


OBJECT_FACTORIES = {
    "experiment": ExperimentFactory,
    "dataset": DatasetFactory,
    "prompt": PromptFactory,
    "prompt_session": PromptSessionFactory,
}


def objects_in(project: Project, **fields: dict) -> dict[str, Experiment | Dataset | Prompt | PromptSession]:
    """One object of each kind in `project`, by object type; `fields` gives a kind's fields (``prompt={"name": "p"}``)."""
    return {kind: factory(project=project, **fields.get(kind, {})) for kind, factory in OBJECT_FACTORIES.items()}


def two_projects(org: Organization) -> SimpleNamespace:
    """Projects P and Q of `org`: in P one object of each kind (``e``, ``d``, ``prompt``, ``session``), in Q an
    experiment (``qe``)."""
    p, q = ProjectFactory(org=org, name="P"), ProjectFactory(org=org, name="Q")
    named = {"experiment": "E", "dataset": "D", "prompt": "prompt", "prompt_session": "playground"}
    objects = objects_in(p, **{kind: {"name": name} for kind, name in named.items()})
    return SimpleNamespace(
        org=org,
        p=p,
        q=q,
        e=objects["experiment"],
        d=objects["dataset"],
        prompt=objects["prompt"],
        session=objects["prompt_session"],
        qe=ExperimentFactory(project=q, name="QE"),
    )


def insert_as_owner(holder, events: list[dict]) -> list[str]:
    """Inserts `events` into `holder` (a project's logs, an experiment or a dataset) as its organization's
    owner would, through the one write path; the new rows' ids."""
    from projects.events.targets import EventTarget
    from projects.events.writes import insert_events

    target = EventTarget.of(holder)
    return insert_events(actor=owner_of(target.project.org), target=target, events=events)
