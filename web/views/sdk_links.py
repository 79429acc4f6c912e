"""The links Braintrust's SDK prints, answered with a redirect to the page they mean.

The SDK names projects, experiments and datasets by name, and rows by object and id:

* ``p/<project name>`` (and ``/``): the project page; ``p/<project name>/<tab>``: that tab;
* ``p/<project name>/logs?oid=<row id>``: the Logs tab showing that row's trace;
* ``p/<project name>/experiments/<experiment name>``, ``.../datasets/<dataset name>``: that object's page;
* ``object?object_type=project_logs|experiment|dataset&object_id=<id>&id=<row id>``: the page of that
  object (for project_logs, the project's id) showing that row's trace.

Names arrive URL-encoded; Django decodes the path, so a ``%2F`` in a name is a ``/`` here and names
with slashes work, except where the path is ambiguous: the project name ends at the first
``/experiments/`` or ``/datasets/`` (a project named ``a/datasets/b`` is not reached by those links), and
a project whose name ends with ``/logs`` or another tab's name is read as that tab of the shorter name.

These routes come after the project pages' ``p/<uuid:project_id>/...``: a path those match is theirs. A
project segment that parses as a UUID is tried as an id first, then as a name. A project named like a
UUID is therefore reached by ``p/<name>`` (what the SDK prints) but not by ``p/<name>/`` (the project
page's own route, which looks it up as an id).

Lookups run only among what the person may see, restricted in the database by the engine, on live
(not deleted) objects; someone who may not see it gets the same 404 as for a missing name. A live name
is unique in its organization (projects) or project (experiments, datasets), so there is at most one
match; should there be more, the newest wins. A path that names nothing here but would match another
page with a trailing slash is redirected there, as ``APPEND_SLASH`` did before these routes existed.
"""

from urllib.parse import urlencode
from uuid import UUID

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect
from django.urls import Resolver404, re_path, resolve, reverse
from django.views import View

from permissions.exceptions import NotFound
from projects.models import Dataset, Experiment, Project, ProjectObject
from projects.selectors import live_projects_of, newest_project_seen_by, objects_readable_by
from web.context import member_org_or_404
from web.views.project_pages.kinds import KINDS, object_url, tab_url

# The object types of ``/object`` that hold rows, and the model of each (project_logs: the project).
ROW_HOLDERS: dict[str, type[ProjectObject]] = {"experiment": Experiment, "dataset": Dataset}
TABS = ("logs", *KINDS)


def as_uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except (TypeError, ValueError, AttributeError):
        return None


def with_row(url: str, row_id: str | None) -> str:
    """`url`, showing only the trace of `row_id` when there is one (the ``row`` query of rows pages)."""
    return f"{url}?{urlencode({'row': row_id})}" if row_id else url


class SdkLink(LoginRequiredMixin, View):
    """A link of the SDK: members only (anyone else: 404), the login page with ``next`` when logged out."""

    http_method_names = ["get", "head"]

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.org = member_org_or_404(request.user, kwargs["org_name"])
        try:
            return super().dispatch(request, *args, **kwargs)
        except NotFound as exc:
            if (redirect := self.with_slash(request)) is not None:
                return redirect
            raise Http404("Not found.") from exc

    @staticmethod
    def with_slash(request) -> HttpResponseRedirect | None:
        """The same path with a trailing slash, when another page answers it."""
        if not settings.APPEND_SLASH or request.path_info.endswith("/"):
            return None
        try:
            match = resolve(request.path_info + "/")
        except Resolver404:
            return None
        if match.url_name and match.url_name.startswith("sdk-"):
            return None
        query = request.META.get("QUERY_STRING", "")
        return HttpResponseRedirect(request.path + "/" + (f"?{query}" if query else ""))

    def project(self, name: str) -> Project:
        """The live project of the organization that `name` names, tried as an id first, if the person sees it."""
        projects = live_projects_of(self.org)
        project_id = as_uuid(name)
        project = newest_project_seen_by(self.request.user, projects.filter(pk=project_id)) if project_id else None
        if project is None:
            project = newest_project_seen_by(self.request.user, projects.filter(name=name))
        if project is None:
            raise NotFound("project", name)
        return project


class ProjectLink(SdkLink):
    """``p/<project name>``: the project page; ``p/<project name>/<tab>``: that tab, and for logs the row
    ``oid`` when given."""

    def get(self, request, org_name: str, project_name: str, tab: str = ""):
        project = self.project(project_name)
        if not tab:
            return HttpResponseRedirect(reverse("web:project", kwargs={"org_name": self.org.name, "project_id": project.pk}))
        url = tab_url(self.org, project.pk, tab)
        return HttpResponseRedirect(with_row(url, request.GET.get("oid")) if tab == "logs" else url)


class ObjectNameLink(SdkLink):
    """``p/<project name>/experiments/<name>`` and ``.../datasets/<name>``: the object's page."""

    def get(self, request, org_name: str, project_name: str, kind: str, object_name: str):
        project = self.project(project_name)
        model = KINDS[kind].model
        object_id = as_uuid(object_name)
        obj = objects_readable_by(request.user, model, project=project, pk=object_id).first() if object_id else None
        if obj is None:
            obj = objects_readable_by(request.user, model, project=project, name=object_name).order_by("-created").first()
        if obj is None:
            raise NotFound(model.acl_object_type, object_name)
        return HttpResponseRedirect(object_url(self.org, obj))


class ObjectLink(SdkLink):
    """``object?object_type=...&object_id=...&id=...``: the page of the object (a project's logs, an
    experiment or a dataset) showing the row ``id`` (optional)."""

    def get(self, request, org_name: str):
        object_type, raw_id = request.GET.get("object_type", ""), request.GET.get("object_id", "")
        if not object_type or not raw_id:
            return HttpResponseBadRequest(
                "This link needs object_type (project_logs, experiment or dataset) and object_id.", content_type="text/plain"
            )
        object_id = as_uuid(raw_id)
        if object_id is None or (object_type != "project_logs" and object_type not in ROW_HOLDERS):
            raise NotFound(object_type, raw_id)
        row_id = request.GET.get("id")
        if object_type == "project_logs":
            project = newest_project_seen_by(request.user, live_projects_of(self.org).filter(pk=object_id))
            if project is None:
                raise NotFound("project", raw_id)
            return HttpResponseRedirect(with_row(tab_url(self.org, project.pk, "logs"), row_id))
        filters = {"project__org": self.org, "project__deleted_at__isnull": True, "pk": object_id}
        obj = objects_readable_by(request.user, ROW_HOLDERS[object_type], **filters).first()
        if obj is None:
            raise NotFound(object_type, raw_id)
        return HttpResponseRedirect(with_row(object_url(self.org, obj), row_id))


PROJECT = r"^p/(?P<project_name>.+?)"

urlpatterns = [
    re_path(r"^object/?$", ObjectLink.as_view(), name="sdk-object"),
    re_path(rf"{PROJECT}/(?P<kind>experiments|datasets)/(?P<object_name>.+?)/?$", ObjectNameLink.as_view(), name="sdk-project-object"),
    re_path(rf"{PROJECT}/(?P<tab>{'|'.join(TABS)})/?$", ProjectLink.as_view(), name="sdk-project-tab"),
    re_path(rf"{PROJECT}/?$", ProjectLink.as_view(), name="sdk-project"),
]
