"""The kinds of object a project's pages show (experiments, datasets, prompts, playgrounds) and the
addresses of an object's page and of a project's tabs."""

from dataclasses import dataclass
from uuid import UUID

from django.urls import reverse

from accounts.models import Organization
from projects.models import Dataset, Experiment, ProjectObject, Prompt, PromptSession


@dataclass(frozen=True)
class Kind:
    """One kind of project object, as the pages name it."""

    slug: str  # in URLs: experiments, datasets, prompts, playgrounds
    object_type: str  # the access model's type
    model: type[ProjectObject]
    singular: str  # experiment, dataset, prompt, playground
    label: str  # the tab: Experiments, ...


KINDS: dict[str, Kind] = {
    kind.slug: kind
    for kind in (
        Kind("experiments", "experiment", Experiment, "experiment", "Experiments"),
        Kind("datasets", "dataset", Dataset, "dataset", "Datasets"),
        Kind("prompts", "prompt", Prompt, "prompt", "Prompts"),
        Kind("playgrounds", "prompt_session", PromptSession, "playground", "Playgrounds"),
    )
}
KIND_OF_TYPE = {kind.object_type: kind for kind in KINDS.values()}


def object_url(org: Organization, obj: ProjectObject) -> str:
    kind = KIND_OF_TYPE[obj.acl_object_type]
    return reverse(
        "web:project-object", kwargs={"org_name": org.name, "project_id": obj.project_id, "kind": kind.slug, "object_id": obj.pk}
    )


def tab_url(org: Organization, project_id: UUID, tab: str) -> str:
    return reverse(f"web:project-{tab}", kwargs={"org_name": org.name, "project_id": project_id})
