"""What every page of a project shares: the project layout around it (its tabs and Configuration), and
``ProjectPage``, which answers 404 unless the person sees something in the project."""

from functools import cached_property

from accounts.models import Organization
from permissions.engine.nodes import Node
from permissions.exceptions import NotFound
from projects.models import Project
from projects.selectors import live_project_in, project_is_seen_by
from web.context import OrgPage
from web.flags import NodeFlags, ProjectFlags
from web.views.project_pages.kinds import KINDS, tab_url


def project_layout(user, org: Organization, project: Project, current: str) -> dict:
    """What the project layout (``web/project/base.html``) shows around every project page: the tabs the
    person may open (Logs only with read on the project's logs), and Configuration with read on the project."""
    flags = ProjectFlags.of(user, project)
    tabs = [("logs", "Logs")] if flags.reads_logs else []
    tabs += [(kind.slug, kind.label) for kind in KINDS.values()]
    return {
        "project": project,
        "tab": current,
        "tabs": [{"slug": slug, "label": label, "url": tab_url(org, project.pk, slug), "current": slug == current} for slug, label in tabs],
        "shows_configuration": flags.reads_project,
    }


class ProjectPage(OrgPage):
    """A page of one project: 404 unless the person sees something in it."""

    section = "projects"
    tab = ""
    # An object's page answers for the object itself: whoever holds some permission on it sees it there.
    object_decides_sight = False

    @cached_property
    def project(self) -> Project:
        project = live_project_in(self.org, self.kwargs["project_id"])
        if project is None or not (self.object_decides_sight or project_is_seen_by(self.request.user, project)):
            raise NotFound("project", self.kwargs["project_id"])
        return project

    @cached_property
    def log_flags(self) -> NodeFlags:
        return NodeFlags.of(self.request.user, Node("project_log", self.project.pk))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(project_layout(self.request.user, self.org, self.project, self.tab))
        return context
