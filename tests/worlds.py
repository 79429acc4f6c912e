"""The casts of callers the tests run every request as.

`make_cast`, for the organization and user endpoints: one organization with an owner, an engineer, a
viewer, a member of a custom group, a member through a group nested in that custom group, a member with
no grant at all, and the owner of another organization. The custom group holds, on the organization:
read and "Manage settings" (both restricted to organization), "Manage members (invite)" and read on
org_member, so that each endpoint has something to allow it.

`project_world`, for the experiment and dataset endpoints: two projects, an object of the kind under
test, and a caller of each kind of grant on it.

`people_of`, for the pages: the built-in groups' members, a custom group's, and an outsider.
"""

from dataclasses import dataclass, field

from django.test import Client
from django.utils import timezone

from accounts.models import ApiKey, Organization, User
from accounts.services.credentials import api_key_create
from permissions.engine.nodes import Node
from permissions.models import PermissionGroup, Role
from projects.models import Project, ProjectObject
from tests.access_helpers import custom_group, custom_role, grant, grant_many, nest
from tests.api_helpers import ApiClient, api_client_for
from tests.factories import OBJECT_FACTORIES, OrganizationFactory, ProjectFactory, UserFactory, add_member, owner_of

PRINCIPALS = ("owner", "engineer", "viewer", "custom", "nested", "nobody", "outsider")


@dataclass
class Cast:
    org: Organization
    other_org: Organization
    owner: User
    engineer: User
    viewer: User
    custom: User
    nested: User
    nobody: User
    outsider: User
    custom_group: PermissionGroup
    inner_group: PermissionGroup
    clients: dict[str, ApiClient] = field(default_factory=dict)

    def user(self, who: str) -> User:
        return getattr(self, who)

    def client(self, who: str) -> ApiClient:
        """A client with an API key of `who` in its own organization (made with the cast, so that
        using it writes no row a test counts)."""
        if who not in self.clients:
            org = self.other_org if who == "outsider" else self.org
            _, raw = api_key_create(actor=self.user(who), org=org, name=f"{who} key")
            self.clients[who] = ApiClient(raw)
        return self.clients[who]


def make_cast() -> Cast:
    org, other_org = OrganizationFactory(), OrganizationFactory()
    custom = add_member(org, UserFactory(given_name="Custom"))
    nested = add_member(org, UserFactory(given_name="Nested"))
    team = custom_group(org, custom, name="Team")
    inner = custom_group(org, nested, name="Inner")
    nest(team, inner)  # Team contains Inner, so Inner's members hold Team's grants
    organization, members = Node("organization", org.pk), Node("org_member", org.pk)
    grant(org, organization, group=team, permission="read", restrict="organization")
    grant(org, organization, group=team, permission="update", restrict="organization")
    grant(org, members, group=team, permission="read")
    grant(org, members, group=team, permission="create")
    cast = Cast(
        org=org,
        other_org=other_org,
        owner=owner_of(org),
        engineer=add_member(org, None, "engineers"),
        viewer=add_member(org, None, "viewers"),
        custom=custom,
        nested=nested,
        nobody=add_member(org),
        outsider=owner_of(other_org),
        custom_group=team,
        inner_group=inner,
    )
    for who in PRINCIPALS:
        cast.client(who)
    return cast


def revoked_client(user: User, org: Organization) -> ApiClient:
    key, raw = api_key_create(actor=user, org=org, name="revoked")
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
    return ApiClient(raw)


def session_client(user: User) -> ApiClient:
    """A client logged in as `user` through the browser session (no bearer token)."""
    client = ApiClient()
    client.client.force_login(user)
    return client


def people_of(org: Organization, custom: PermissionGroup) -> dict[str, User]:
    """The people the page tests run as: an owner, an engineer and a viewer (the built-in groups), a
    member of `custom`, and the owner of another organization."""
    return {
        "owner": owner_of(org),
        "engineer": add_member(org, None, "engineers"),
        "viewer": add_member(org, None, "viewers"),
        "custom": add_member(org, None, custom),
        "outsider": owner_of(OrganizationFactory(name="Elsewhere")),
    }


def client_for(user: User) -> Client:
    """A browser's client, logged in as `user`."""
    client = Client()
    client.force_login(user)
    return client


class ActsAsCallers:
    """For a world with ``org``, ``other_org`` and ``callers``: ``client(who)`` is a client with a new API key
    of the caller `who`, in the other organization for ``outsider`` and in ``org`` for everyone else."""

    def client(self, who: str) -> ApiClient:
        return api_client_for(self.callers[who], self.other_org if who == "outsider" else self.org)


class ServesOneKind:
    """For a world with an ``object_type``: ``url()`` is the address of that kind's collection, ``url(id)``
    one object's."""

    def url(self, object_id=None) -> str:
        return f"/v1/{self.object_type}" if object_id is None else f"/v1/{self.object_type}/{object_id}"


CREATORS = ("owner", "engineer", "group_grant", "nested_group")
READERS = ("owner", "engineer", "viewer", "group_grant", "nested_group", "object_grant")
UPDATERS = ("owner", "engineer", "group_grant", "nested_group", "object_grant")
DELETERS = ("owner", "engineer", "group_grant", "nested_group")


def listed_for_each_caller(
    everything: set[str], *, through_the_group: set[str] | None = None, one_object: set[str], outsider: set[str] | None = None
) -> list[tuple[str, set[str]]]:
    """The ``(who, listed)`` cases of a list test over the callers of `callers_of`: the members of the built-in
    groups list `everything`; the custom group's members, directly or through the nested group,
    `through_the_group` (by default `everything` too); the holder of a grant on one object `one_object`; a
    member without a grant nothing; and the owner of the other organization, where it is given, `outsider`."""
    group = everything if through_the_group is None else through_the_group
    cases = [("owner", everything), ("engineer", everything), ("viewer", everything)]
    cases += [("group_grant", group), ("nested_group", group), ("object_grant", one_object), ("no_grant", set())]
    return cases if outsider is None else [*cases, ("outsider", outsider)]


@dataclass
class ProjectWorld(ActsAsCallers, ServesOneKind):
    """An organization with two projects, one object (``target``) of the kind under test in the first, one
    caller of each kind, and a second organization with a project of its own.

    ``group_grant`` holds create, read, update and delete on objects of the kind in ``project`` through a
    custom group; ``nested_group`` the same through a group nested in it; ``object_grant`` read and update
    on ``target`` alone.
    """

    object_type: str
    org: Organization
    other_org: Organization
    project: Project
    other_project: Project
    foreign_project: Project
    managers: PermissionGroup
    target: ProjectObject
    callers: dict[str, User]

    def make(self, project: Project | None = None, **fields) -> ProjectObject:
        return OBJECT_FACTORIES[self.object_type](project=project or self.project, **fields)


def project_world(object_type: str) -> ProjectWorld:
    org, other_org = OrganizationFactory(), OrganizationFactory()
    project = ProjectFactory(org=org, name="Project P")
    other_project = ProjectFactory(org=org, name="Project Q")
    foreign_project = ProjectFactory(org=other_org, name="Project P")
    managers = custom_group(org, name="Managers")
    grant_many(org, project, ("create", "read", "update", "delete"), group=managers, restrict=object_type)
    inner = custom_group(org, name="Inner")
    nest(managers, inner)
    target = OBJECT_FACTORIES[object_type](project=project, name="Target")
    callers = callers_of(org, other_org, managers=managers, inner=inner, target=target)
    return ProjectWorld(object_type, org, other_org, project, other_project, foreign_project, managers, target, callers)


def callers_of(org: Organization, other_org: Organization, *, managers: PermissionGroup, inner: PermissionGroup, target) -> dict[str, User]:
    """One caller of each kind of grant the endpoint tests compare: the built-in groups' members, a member
    of `managers` and one of `inner` (nested in it), one holding read and update on `target` alone, a
    member with no grant, and the owner of `other_org`."""
    object_grant = add_member(org)
    grant_many(org, target, ("read", "update"), user=object_grant)
    return {
        "owner": owner_of(org),
        "engineer": add_member(org, None, "engineers"),
        "viewer": add_member(org, None, "viewers"),
        "group_grant": add_member(org, None, managers),
        "nested_group": add_member(org, None, inner),
        "object_grant": object_grant,
        "no_grant": add_member(org),
        "outsider": owner_of(other_org),
    }


@dataclass
class OrganizationObjectWorld(ActsAsCallers, ServesOneKind):
    """An organization with one caller of each kind, the group or role (``object_type``) they act on, and a
    second organization. ``managers`` holds create, read, update and delete on the organization's nodes
    of that type; ``inner`` is a member group of it."""

    object_type: str  # group or role
    org: Organization
    other_org: Organization
    managers: PermissionGroup
    inner: PermissionGroup
    target: PermissionGroup | Role  # the one the endpoints act on
    callers: dict[str, User]
    other: Role | None = None  # a roles world's second role


def organization_object_world(object_type: str) -> OrganizationObjectWorld:
    org, other_org = OrganizationFactory(), OrganizationFactory()
    managers = custom_group(org, name=f"{object_type.capitalize()} managers")
    grant_many(org, org, ("create", "read", "update", "delete"), group=managers, restrict=object_type)
    inner = custom_group(org, name="Inner")
    nest(managers, inner)
    other = None
    if object_type == "group":
        target = custom_group(org, name="Target")
    else:
        target = custom_role(org, "Target", pairs=[("read", "experiment")])
        other = custom_role(org, "Other", pairs=[("update", "")])
    callers = callers_of(org, other_org, managers=managers, inner=inner, target=target)
    return OrganizationObjectWorld(object_type, org, other_org, managers, inner, target, callers, other)


def read_by_a_holder_of_update_alone(world: ProjectWorld | OrganizationObjectWorld):
    """The answer to reading the world's target by a new member who holds update alone on it."""
    updater = add_member(world.org)
    grant(world.org, world.target, user=updater, permission="update")
    return api_client_for(updater, world.org).get(world.url(world.target.pk))


def creator_client(org: Organization, node, restrict: str | None = None, *, reads_the_organization: bool = False) -> ApiClient:
    """A client of a new member of `org` who holds create on `node` (for objects of type `restrict`) and,
    with `reads_the_organization`, read on the organization itself, and nothing else: one who may make
    an object there but may read none of those already there."""
    creator = add_member(org)
    grant(org, node, user=creator, permission="create", restrict=restrict)
    if reads_the_organization:
        grant(org, org, user=creator, permission="read", restrict="organization")
    return api_client_for(creator, org)
