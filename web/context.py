"""The organization a page acts in, and what every page of it shows around its content."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import render
from django.views.generic import TemplateView

from accounts.models import Membership, Organization
from permissions.engine import can, explain
from permissions.engine.nodes import Node
from permissions.exceptions import AccessDenied, NotFound
from web.flags import org_flags


def member_org_or_404(user, org_name: str) -> Organization:
    """The organization of that name, if `user` is a member; any other is "not found"."""
    membership = Membership.objects.filter(user=user, org__name=org_name).select_related("org").first()
    if membership is None:
        raise Http404("No such organization.")
    return membership.org


class OrgPage(LoginRequiredMixin, TemplateView):
    """A page inside one organization (``/app/<org_name>/...``).

    It answers 404 to anyone who is not a member. A service refusal raised while handling the request
    becomes the 403 page, which explains the refusal with the engine's explanation; "not found" from a
    service becomes a 404, the same as a missing page.
    """

    section = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.org = member_org_or_404(request.user, kwargs["org_name"])
        self.flags = org_flags(request.user, self.org)
        try:
            return super().dispatch(request, *args, **kwargs)
        except AccessDenied as refusal:
            return refused_page(request, self.org, refusal)
        except NotFound as exc:
            raise Http404(str(exc)) from exc

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
