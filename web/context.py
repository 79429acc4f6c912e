"""The organization a page acts in, and what every page of it shows around its content."""

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import render
from django.views.generic import TemplateView

from accounts.models import Organization
from accounts.selectors import may_read_members, membership_named, organizations_of
from braintrust_site.errors import error_answer
from permissions.engine import explain
from permissions.exceptions import AccessDenied, NotFound
from permissions.labels import node_permission_label, type_label
from permissions.models import PermissionGroup
from permissions.requirements import NeedsOwner, Requirement, access_method
from permissions.selectors import owners_group
from web.flags import org_flags

NOT_FOUND_MESSAGE = "There is nothing here, or nothing you may see. If you think you should, ask an Owner of the organization."


def member_org_or_404(user, org_name: str) -> Organization:
    """The organization of that name, if `user` is a member; any other is "not found"."""
    membership = membership_named(user, org_name)
    if membership is None:
        raise Http404("No such organization.")
    return membership.org


class OwnersOnlyRefusal(AccessDenied):
    """A refusal of what only the organization's Owners do: the 403 page names who can add the person to
    the Owners group, rather than a permission that no grant gives."""

    def __init__(self, message: str, owners: PermissionGroup) -> None:
        super().__init__("update", "organization", message)
        self.owners = owners


@dataclass(frozen=True)
class NeedsOwnerOfPage:
    """The person must be one of the organization's Owners (service accounts and their tokens), as the
    API's :class:`permissions.requirements.NeedsOwner` says; a member who is not is told so, and who the
    Owners are, instead of meeting a page that seems not to exist."""

    what: str

    def check(self, request, org_id: UUID) -> None:
        try:
            NeedsOwner(self.what).check(request, org_id)
        except AccessDenied:
            owners = owners_group(org_id)
            message = f"Only Owners {self.what}. An Owner can add you to the Owners group."
            raise OwnersOnlyRefusal(message, owners) from None


PageRequirement = Requirement | NeedsOwnerOfPage


class OrgPage(LoginRequiredMixin, TemplateView):
    """A page inside one organization (``/app/<org_name>/...``), which declares what it needs as the API's
    views do.

    It answers 404 to anyone who is not a member. Then it finds what the path names (:meth:`load`) and
    checks what the request needs (``requirements_<method>()``, a list of :mod:`permissions.requirements`
    values) before the handler runs, so that no handler asks the engine itself. A refusal, from the
    requirements or from a service, becomes the 403 page, which explains it with the engine's
    explanation; "not found" becomes the site's 404 page (with DEBUG on too), the same as a missing page.
    """

    section = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        try:
            self.org = member_org_or_404(request.user, kwargs["org_name"])
        except Http404:
            return error_answer(request, 404, NOT_FOUND_MESSAGE)
        self.flags = org_flags(request.user, self.org)
        try:
            self.load()
            for requirement in self.requirements():
                requirement.check(request, self.org.pk)
            return super().dispatch(request, *args, **kwargs)
        except AccessDenied as refusal:
            return refused_page(request, self.org, refusal)
        except (NotFound, Http404):
            # the site's own page, also with DEBUG on: Django's would list every route to whoever asked
            return error_answer(request, 404, NOT_FOUND_MESSAGE)

    def load(self) -> None:
        """Finds the objects the path names (a project, a group), as attributes of the page; a missing one
        raises Http404. The organization's own pages name nothing more."""

    def requirements(self) -> Iterable[PageRequirement]:
        """What the request needs: ``requirements_<method>()`` (a HEAD needs what a GET needs); a page that
        declares nothing for its method needs membership alone."""
        declared = getattr(self, f"requirements_{access_method(self.request).lower()}", None)
        return declared() if declared is not None else ()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        orgs = organizations_of(self.request.user)
        context.update(org=self.org, flags=self.flags, orgs=orgs, section=self.section)
        return context


def refusal_in_words(refusal: AccessDenied) -> str:
    """What a refusal that names only a permission needs, in the Permissions dialogs' words ("This needs
    Manage members (invite) on Members."); the API's message names the code instead."""
    words = node_permission_label(refusal.permission, refusal.object_type)
    return f"This needs {words} on {type_label(refusal.object_type)}."


def refused_page(request, org: Organization, refusal: AccessDenied):
    """The 403 page: what was refused, why (the engine's explanation), and who could grant it.

    The names of those who could grant it are shown only to those who may read the members; everyone
    else is told which people to ask (Owners, or whoever manages access there).
    """
    explanation = None
    if isinstance(refusal, OwnersOnlyRefusal):
        # who may make the person an Owner: those who manage access to the Owners group
        grantors = explain(request.user, "update", refusal.owners).grantors
    elif refusal.node is not None:
        explanation = explain(request.user, refusal.permission, refusal.node)
        grantors = explanation.grantors
    else:
        grantors = ()
    may_see_members = may_read_members(request.user, org)
    context = {
        "org": org,
        "message": str(refusal) if refusal.stated else refusal_in_words(refusal),
        "permission": refusal.permission,
        "explanation": explanation,
        "node_type_words": type_label(refusal.node.type) if refusal.node is not None else "",
        "owners_only": isinstance(refusal, OwnersOnlyRefusal),
        "grantors": grantors if may_see_members else (),
        "orgs": organizations_of(request.user),
        "flags": org_flags(request.user, org),
    }
    return render(request, "web/403.html", context, status=403)
