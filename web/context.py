"""The organization a page acts in, and what every page of it shows around its content."""

from collections.abc import Iterable

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import render
from django.views.generic import TemplateView

from accounts.models import Membership, Organization
from permissions.engine import can, explain
from permissions.engine.nodes import Node
from permissions.exceptions import AccessDenied, NotFound
from permissions.requirements import Requirement, access_method
from web.flags import org_flags


def member_org_or_404(user, org_name: str) -> Organization:
    """The organization of that name, if `user` is a member; any other is "not found"."""
    membership = Membership.objects.filter(user=user, org__name=org_name).select_related("org").first()
    if membership is None:
        raise Http404("No such organization.")
    return membership.org


class OrgPage(LoginRequiredMixin, TemplateView):
    """A page inside one organization (``/app/<org_name>/...``), which declares what it needs as the API's
    views do.

    It answers 404 to anyone who is not a member. Then it finds what the path names (:meth:`load`) and
    checks what the request needs (``requirements_<method>()``, a list of :mod:`permissions.requirements`
    values) before the handler runs, so that no handler asks the engine itself. A refusal, from the
    requirements or from a service, becomes the 403 page, which explains it with the engine's
    explanation; "not found" becomes a 404, the same as a missing page.
    """

    section = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.org = member_org_or_404(request.user, kwargs["org_name"])
        self.flags = org_flags(request.user, self.org)
        try:
            self.load()
            for requirement in self.requirements():
                requirement.check(request, self.org.pk)
            return super().dispatch(request, *args, **kwargs)
        except AccessDenied as refusal:
            return refused_page(request, self.org, refusal)
        except NotFound as exc:
            raise Http404(str(exc)) from exc

    def load(self) -> None:
        """Finds the objects the path names (a project, a group), as attributes of the page; a missing one
        raises Http404. The organization's own pages name nothing more."""

    def requirements(self) -> Iterable[Requirement]:
        """What the request needs: ``requirements_<method>()`` (a HEAD needs what a GET needs); a page that
        declares nothing for its method needs membership alone."""
        declared = getattr(self, f"requirements_{access_method(self.request).lower()}", None)
        return declared() if declared is not None else ()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        orgs = Organization.objects.filter(memberships__user=self.request.user).order_by("name")
        context.update(org=self.org, flags=self.flags, orgs=orgs, section=self.section)
        return context


def refused_page(request, org: Organization, refusal: AccessDenied):
    """The 403 page: what was refused, why (the engine's explanation), and who could grant it."""
    explanation = None
    if refusal.node is not None:
        explanation = explain(request.user, refusal.permission, refusal.node)
    may_see_members = can(request.user, "read", Node("org_member", org.pk))
    context = {
        "org": org,
        "message": str(refusal),
        "permission": refusal.permission,
        "explanation": explanation,
        "grantors": explanation.grantors if explanation is not None and may_see_members else (),
        "orgs": Organization.objects.filter(memberships__user=request.user).order_by("name"),
        "flags": org_flags(request.user, org),
    }
    return render(request, "web/403.html", context, status=403)
