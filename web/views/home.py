"""Where a person lands after logging in: their organization's projects, or a page saying they have none."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.selectors import organizations_of


@login_required
def home(request):
    """The organization the switcher names (if the person belongs to it), else their first one."""
    orgs = organizations_of(request.user)
    chosen = request.GET.get("org")
    org = (orgs.filter(name=chosen).first() if chosen else None) or orgs.first()
    if org is None:
        return render(request, "web/no_organization.html")
    return redirect(reverse("web:projects", kwargs={"org_name": org.name}))
