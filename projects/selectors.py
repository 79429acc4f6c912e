"""Reads about projects and their objects that the API and the SDK's endpoints share."""

from django.db.models import Q, QuerySet

from permissions.engine import is_visible, restrict
from permissions.engine.nodes import Node
from projects.models import Dataset, Experiment, Project, ProjectObject, Prompt, PromptSession

PROJECT_OBJECT_MODELS = {"experiment": Experiment, "dataset": Dataset, "prompt": Prompt, "prompt_session": PromptSession}


def comparison_experiment(actor, experiment: Experiment) -> Experiment | None:
    """What `experiment` is compared with by default, as Braintrust does: its base experiment, else the
    most recent experiment of the same project created before it; either only if `actor` may read it."""
    alive = Experiment.objects.alive().filter(project__org_id=experiment.project.org_id, project__deleted_at__isnull=True)
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


def projects_readable_by(actor, org) -> QuerySet[Project]:
    """The organization's live projects on which `actor` holds read, restricted in the database."""
    return restrict(Project.objects.alive().filter(org=org), actor, "read")


def objects_readable_by(actor, model: type[ProjectObject], *, listing: bool = False, **filters) -> QuerySet[ProjectObject]:
    """The live objects of `model` matching `filters` on which `actor` holds read, restricted in the database
    (`listing`: for a page of them, see :func:`permissions.engine.lists.restrict`)."""
    return restrict(model.objects.alive().filter(**filters), actor, "read", listing=listing)


def projects_seen_by(actor, org) -> QuerySet[Project]:
    """The organization's live projects that `actor` reads, or reads something in (an object granted on its
    own): one query, every part restricted in the database."""
    projects = Project.objects.alive().filter(org=org)
    inside = Q(pk__in=restrict(projects, actor, "read").values("pk"))
    for model in PROJECT_OBJECT_MODELS.values():
        inside |= Q(pk__in=objects_readable_by(actor, model, project__org=org).values("project_id"))
    return projects.filter(inside)
