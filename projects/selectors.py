"""Reads about projects and their objects that the API and the SDK's endpoints share."""

from permissions.engine import restrict
from projects.models import Experiment


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
