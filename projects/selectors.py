"""Reads about projects, their objects and the nodes of the hierarchy that the API, the SDK's endpoints and the pages share."""

from collections import defaultdict
from uuid import UUID

from django.db.models import Q, QuerySet

from accounts.models import Environment, Organization
from accounts.services.environments import is_environment_slug
from permissions.engine import can, is_visible, restrict
from permissions.engine.nodes import Node, chain_plan, model_for_type
from permissions.exceptions import NotFound
from permissions.models import PermissionGroup, Role
from permissions.selectors import groups_visible_to, roles_visible_to
from permissions.types import ORGANIZATION_NODE_TYPES, ObjectType
from projects.models import (
    Dataset,
    DatasetSnapshot,
    EnvironmentObject,
    Experiment,
    Project,
    ProjectObject,
    Prompt,
    PromptSession,
    PromptVersion,
    SpanIframe,
    View,
)
from projects.models.configuration import ProjectScore, ProjectTag

PROJECT_OBJECT_MODELS = {"experiment": Experiment, "dataset": Dataset, "prompt": Prompt, "prompt_session": PromptSession}


def comparison_experiment(actor, experiment: Experiment) -> Experiment | None:
    """What `experiment` is compared with by default, as Braintrust does: its base experiment, else the
    most recent experiment of the same project created before it; either only if `actor` may read it."""
    alive = Experiment.objects.live_in(experiment.project.org_id)
    readable = restrict(alive, actor, "read")
    if experiment.base_exp_id is not None:
        base = readable.filter(pk=experiment.base_exp_id).first()
        if base is not None:
            return base
    earlier = readable.filter(project_id=experiment.project_id, created__lt=experiment.created).exclude(pk=experiment.pk)
    return earlier.order_by("-created", "-pk").first()


def readable_project_named(actor, org_id, name: str) -> Project | None:
    """The live project of the organization called `name` (surrounding spaces aside), if `actor` may read it."""
    projects = Project.objects.alive().filter(org_id=org_id, name=name.strip())
    return restrict(projects, actor, "read").first()


def readable_object_named(actor, model: type[ProjectObject], project: Project, name: str) -> ProjectObject | None:
    """The live `model` object of `project` called `name`, if `actor` may read it."""
    return restrict(model.objects.alive().filter(project=project, name=name), actor, "read").first()


def experiment_for_commits(actor, project: Project, commits: list[str]) -> Experiment | None:
    """The experiment of `project` run on the first of `commits` (newest first) that has one, the most
    recent of them, if `actor` may read it: how an SDK run on a branch finds what to compare with."""
    if not commits:
        return None
    candidates = restrict(Experiment.objects.alive().filter(project=project, repo_info__commit__in=commits), actor, "read")
    newest_by_commit: dict[str, object] = {}
    for pk, commit in candidates.order_by("-created", "-pk").values_list("pk", "repo_info__commit"):
        newest_by_commit.setdefault(commit, pk)
    pk = next((newest_by_commit[commit] for commit in commits if commit in newest_by_commit), None)
    return Experiment.objects.get(pk=pk) if pk is not None else None


def project_is_seen_by(actor, project: Project) -> bool:
    """Whether the project exists for `actor`: some permission on it or on its logs, or read on an object
    in it (an object grant alone makes its project's pages open, showing just that object)."""
    if is_visible(actor, project) or is_visible(actor, Node("project_log", project.pk)):
        return True
    return any(restrict(model.objects.alive().filter(project=project), actor, "read").exists() for model in PROJECT_OBJECT_MODELS.values())


def prompts_readable_in(actor, playground: PromptSession) -> QuerySet[Prompt]:
    """The live prompts of `playground` (of any project of its organization) that `actor` may read."""
    return restrict(playground.prompts.alive().filter(project__deleted_at__isnull=True), actor, "read").select_related("project")


def experiment_links_readable_by(actor, experiment: Experiment) -> dict[str, ProjectObject]:
    """What `experiment` names that `actor` may read, by role: its ``dataset`` and ``base_experiment``,
    each only if it is live."""
    named = (("dataset", experiment.dataset), ("base_experiment", experiment.base_exp))
    return {role: obj for role, obj in named if obj is not None and obj.deleted_at is None and can(actor, "read", obj)}


def live_projects_of(org: Organization) -> QuerySet[Project]:
    """The organization's projects that are not deleted, before anyone is asked about them: the caller
    restricts them, or checks the one it takes."""
    return Project.objects.alive().filter(org=org)


def live_project_in(org: Organization, project_id: UUID) -> Project | None:
    """The live project of `org` that a URL names, or None (another organization's included); whether
    the caller may see it is the caller's to ask."""
    return live_projects_of(org).filter(pk=project_id).first()


def live_objects_of_org(model: type[ProjectObject], org: Organization) -> QuerySet[ProjectObject]:
    """The live objects of `model` in the organization's live projects, before anyone is asked about them:
    what a path or a body sent to that organization may name."""
    return model.objects.live_in(org)


def live_object_in(model: type[ProjectObject], project: Project, object_id: UUID) -> ProjectObject | None:
    """The live experiment, dataset, prompt or playground of `project` that a URL names, or None; whether
    the caller may see it is the caller's to ask."""
    return model.objects.alive().filter(project=project, pk=object_id).first()


def projects_readable_by(actor, org) -> QuerySet[Project]:
    """The organization's live projects on which `actor` holds read, restricted in the database."""
    return restrict(live_projects_of(org), actor, "read")


def objects_readable_by(actor, model: type[ProjectObject], **filters) -> QuerySet[ProjectObject]:
    """The live objects of `model` matching `filters` on which `actor` holds read, restricted in the database."""
    return restrict(model.objects.alive().filter(**filters), actor, "read")


def nodes_visible_to(actor, org, object_type: str) -> list[tuple[str, str]]:
    """The organization's nodes of `object_type` that `actor` sees, as (id, name), in one query: the
    organization's own nodes (which their id names) if visible, else the objects it may read."""
    if object_type in ORGANIZATION_NODE_TYPES:
        return [(str(org.pk), org.name)] if is_visible(actor, Node(object_type, org.pk)) else []
    if object_type == "group":
        return [(str(group.pk), group.name) for group in groups_visible_to(actor, org).order_by("name")]
    if object_type == "role":
        return [(str(role.pk), role.name) for role in roles_visible_to(actor, org).order_by("name")]
    if object_type in ("project", "project_log"):
        return [(str(project.pk), project.name) for project in projects_readable_by(actor, org).order_by("name")]
    found = restrict(PROJECT_OBJECT_MODELS[object_type].objects.live_in(org), actor, "read")
    return [(str(obj.pk), f"{obj.project.name} / {obj.name}") for obj in found.select_related("project").order_by("project__name", "name")]


def node_names(org: Organization, nodes: list[Node]) -> dict[Node, str]:
    """A name people recognize for each node of the organization: one query per type of object among them."""
    names: dict[Node, str] = {}
    ids_by_type: dict[str, set[UUID]] = {}
    for node in nodes:
        if node.type in ORGANIZATION_NODE_TYPES:
            names[node] = org.name
        else:
            anchor = "project" if node.type == "project_log" else node.type
            ids_by_type.setdefault(anchor, set()).add(node.id)
    models = {"project": Project, "group": PermissionGroup, "role": Role, **PROJECT_OBJECT_MODELS}
    found = {
        (object_type, pk): name
        for object_type, ids in ids_by_type.items()
        for pk, name in models[object_type].objects.filter(pk__in=ids).values_list("pk", "name")
    }
    for node in nodes:
        if node not in names:
            names[node] = found.get(("project" if node.type == "project_log" else node.type, node.id), str(node.id))
    return names


def newest_project_seen_by(user, candidates: QuerySet[Project]) -> Project | None:
    """The newest of `candidates` (live projects) that exists for `user`, as on the project page.

    One query for whoever reads the project or something in it (the engine restricts in the database,
    as the Projects page lists them); someone who sees it only through its logs, or through a permission
    other than read, is found by the project pages' own rule (:func:`project_is_seen_by`) on the newest candidate.
    """
    readable = Q(pk__in=restrict(candidates, user, "read").values("pk"))
    for model in PROJECT_OBJECT_MODELS.values():
        inside = restrict(model.objects.alive().filter(project__in=candidates.values("pk")), user, "read")
        readable |= Q(pk__in=inside.values("project_id"))
    project = candidates.filter(readable).order_by("-created").first()
    if project is None:
        newest = candidates.order_by("-created").first()
        if newest is not None and project_is_seen_by(user, newest):
            project = newest
    return project


def projects_seen_by(actor, org) -> QuerySet[Project]:
    """The organization's live projects that `actor` reads, or reads something in (an object granted on its
    own): one query, every part restricted in the database."""
    projects = live_projects_of(org)
    inside = Q(pk__in=restrict(projects, actor, "read").values("pk"))
    for model in PROJECT_OBJECT_MODELS.values():
        inside |= Q(pk__in=objects_readable_by(actor, model, project__org=org).values("project_id"))
    return projects.filter(inside)


def prompt_versions(prompt: Prompt, *, limit: int = 100) -> list[PromptVersion]:
    """The latest `limit` versions `prompt` kept, newest first, each with who saved it (one query). Whoever
    may read a prompt reads its versions, as ``GET /v1/prompt/{id}?version=`` does."""
    return list(PromptVersion.objects.filter(prompt=prompt).select_related("created_by").order_by("-xact_id")[:limit])


def prompt_version(prompt: Prompt, xact_id: int) -> PromptVersion | None:
    """The version of `prompt` kept at `xact_id`, with who saved it, or None."""
    return PromptVersion.objects.filter(prompt=prompt, xact_id=xact_id).select_related("created_by").first()


def prompts_readable_in_org(actor, org: Organization) -> QuerySet[Prompt]:
    """The organization's live prompts (functions of other kinds aside) that `actor` may read, with their
    projects: what a playground may use."""
    prompts = Prompt.objects.live_in(org)
    prompts = prompts.filter(Q(function_data__isnull=True) | Q(function_data__type="prompt"))
    return restrict(prompts, actor, "read", listing=True).select_related("project").order_by("project__name", "name")


def scorers_readable_in_org(actor, org: Organization) -> list[Prompt]:
    """The organization's live scorer functions that `actor` may read, by name, with their projects: what an
    online scoring rule may run."""
    scorers = Prompt.objects.live_in(org).filter(function_type=Prompt.FunctionType.SCORER)
    return list(restrict(scorers, actor, "read").select_related("project").order_by("name"))


def datasets_readable_in_org(actor, org: Organization) -> QuerySet[Dataset]:
    """The organization's live datasets that `actor` may read, with their projects: what a playground may try its prompts on."""
    datasets = Dataset.objects.live_in(org)
    return restrict(datasets, actor, "read", listing=True).select_related("project").order_by("project__name", "name")


def datasets_readable_by(actor, org) -> QuerySet[Dataset]:
    """The organization's live datasets, of live projects, on which `actor` holds read, restricted in the database."""
    return restrict(Dataset.objects.live_in(org), actor, "read")


# A project's configuration. Reading it is read on the project: the caller has checked it.


def span_iframes_of(project: Project) -> list[SpanIframe]:
    """The project's span iframes, by name (one query)."""
    return list(SpanIframe.objects.filter(project=project).order_by("name"))


def tags_of(project: Project) -> list[ProjectTag]:
    """The project's tags, in the order its people gave them (position, then name; one query)."""
    return list(ProjectTag.objects.filter(project=project).order_by("position", "name"))


def scores_of(project: Project, *, score_types: tuple[str, ...] | None = None) -> list[ProjectScore]:
    """The project's scores (of `score_types` only, when given), in the order its people gave them
    (position, then name; one query)."""
    scores = ProjectScore.objects.filter(project=project)
    if score_types is not None:
        scores = scores.filter(score_type__in=score_types)
    return list(scores.order_by("position", "name"))


def tag_colors_of(project: Project) -> dict[str, str]:
    """The colors the project's tags were given, by tag name (tags without one left out; one query)."""
    return dict(ProjectTag.objects.filter(project=project).exclude(color="").values_list("name", "color"))


def configuration_item_named(model: type[ProjectTag | ProjectScore | SpanIframe], project: Project, name: str):
    """The project's tag, score or span iframe of this name, or None: what a create by name finds."""
    return model.objects.filter(project=project, name=name).first()


def configuration_item(model: type[ProjectTag | ProjectScore | SpanIframe], project: Project, item_id: UUID):
    """The project's tag, score or span iframe with this id, with its project; None for any other (one
    of another project included)."""
    return model.objects.filter(project=project, pk=item_id).select_related("project").first()


def snapshot_named(dataset: Dataset, name: str) -> DatasetSnapshot | None:
    """The dataset's snapshot of this name, or None: what a create by name finds."""
    return DatasetSnapshot.objects.filter(dataset=dataset, name=name).first()


def snapshots_of(dataset: Dataset) -> list[DatasetSnapshot]:
    """The dataset's snapshots, newest first (one query). Reading them is read on the dataset: the caller
    has checked it."""
    return list(DatasetSnapshot.objects.filter(dataset=dataset).select_related("created_by").order_by("-created"))


# Environments and what is pinned to them (the caller has been checked for read on the object)


def live_environments(org_id: UUID) -> QuerySet[Environment]:
    """The organization's environments that are not deleted, oldest first (development, staging, production)."""
    return Environment.objects.filter(org_id=org_id, deleted_at__isnull=True).order_by("created", "slug")


def environment_by_slug(org_id: UUID, slug: str) -> Environment | None:
    """The organization's live environment `slug`; None, without asking the database, for what cannot be a slug."""
    if not is_environment_slug(slug):
        return None
    return live_environments(org_id).filter(slug=slug).first()


def pinned_version(environment: Environment, node: Node) -> int | None:
    """The version of the object `node` pinned to `environment`, if any."""
    pin = EnvironmentObject.objects.filter(environment=environment, object_type=node.type, object_id=node.id)
    return pin.values_list("object_version", flat=True).first()


def live_pins_of(org_id: UUID, node: Node) -> list[EnvironmentObject]:
    """The pins of the object `node` in the organization's live environments, each with its environment."""
    pins = EnvironmentObject.objects.filter(object_type=node.type, object_id=node.id, environment__in=live_environments(org_id))
    return list(pins.select_related("environment"))


def pins_of(org_id: UUID, node: Node) -> list[tuple[Environment, EnvironmentObject | None]]:
    """Each live environment of the organization with the pin of the object `node` in it (or None), in two queries."""
    environments = list(live_environments(org_id))
    pins = EnvironmentObject.objects.filter(environment__in=environments, object_type=node.type, object_id=node.id)
    by_environment = {pin.environment_id: pin for pin in pins}
    return [(environment, by_environment.get(environment.pk)) for environment in environments]


def pins_of_many(org_id: UUID, object_type: str, ids: list[UUID]) -> dict[UUID, list[tuple[str, int]]]:
    """For each of the objects `ids` of `object_type`, its pins in the organization's live environments, as
    (slug, version) in the environments' order; one query for any number of objects."""
    pins = EnvironmentObject.objects.filter(
        environment__org_id=org_id, environment__deleted_at__isnull=True, object_type=object_type, object_id__in=ids
    ).order_by("environment__created", "environment__slug")
    found: dict[UUID, list[tuple[str, int]]] = {}
    for object_id, slug, version in pins.values_list("object_id", "environment__slug", "object_version"):
        found.setdefault(object_id, []).append((slug, version))
    return found


# Saved views


def _live_anchors(object_type: str) -> QuerySet:
    """The rows that name the live nodes of `object_type`: a deleted project, or an object of one, names none."""
    model = model_for_type(object_type)
    rows = model._default_manager.all()
    fields = {field.name for field in model._meta.get_fields()}
    if "deleted_at" in fields:
        rows = rows.filter(deleted_at__isnull=True)
    if "project" in fields:
        rows = rows.filter(project__deleted_at__isnull=True)
    return rows


def live_node(org: Organization, object_type: str, object_id: UUID) -> Node:
    """The live node of `org` that `object_type` and `object_id` name, or "not found" (one query). Not an
    access decision: what the caller may do there is the engine's to say."""
    node = Node(object_type, object_id)
    rows = _live_anchors(object_type).filter(pk=node.id)
    if rows.values_list(chain_plan(object_type).org_lookup, flat=True).first() != org.pk:
        raise NotFound(object_type, object_id)
    return node


def view_named(node: Node, view_type: str, name: str) -> View | None:
    """The object's saved view of this type and name, or None: what a create by name finds."""
    return View.objects.filter(object_type=node.type, object_id=node.id, view_type=view_type, name=name).first()


def with_prompt_ids(playgrounds: list[PromptSession]) -> list[PromptSession]:
    """`playgrounds`, each with ``prompt_ids`` (its live prompts, sorted): one query for the whole list."""
    used = defaultdict(list)
    if playgrounds:
        links = PromptSession.prompts.through.objects.filter(
            promptsession_id__in=[p.pk for p in playgrounds],
            prompt__deleted_at__isnull=True,
            prompt__project__deleted_at__isnull=True,
        )
        for playground_id, prompt_id in links.values_list("promptsession_id", "prompt_id"):
            used[playground_id].append(prompt_id)
    for playground in playgrounds:
        playground.prompt_ids = sorted(used[playground.pk], key=str)
    return playgrounds


def views_readable_by(actor, org: Organization | None, *, node: Node | None = None) -> QuerySet[View]:
    """The saved views of `org` (of every organization of `actor`'s, if None; of `node` alone, if given)
    whose object `actor` may read and is live, in one statement restricted by the engine: a view is read
    with its object's read."""
    types = [node.type] if node is not None else ObjectType.values
    readable = Q()
    for object_type in types:
        nodes = restrict(_live_anchors(object_type), actor, "read", node_type=object_type)
        readable |= Q(object_type=object_type, object_id__in=nodes.values("pk"))
    views = View.objects.filter(readable) if org is None else View.objects.filter(org=org).filter(readable)
    return views if node is None else views.filter(object_id=node.id)
