"""Settings → Organization: the organization's name, API URLs and the creator-grants setting.

Reading the page needs read on the organization (every built-in group holds it; a member without it is
refused, since membership makes the organization visible); the form is shown with
"Manage settings" (update on the organization), which `organization_update` checks again. Without it the
page is a read-only summary.
"""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path, reverse

from accounts.services.organizations import organization_update
from permissions.engine.nodes import Node
from permissions.exceptions import ValidationError
from permissions.requirements import Needs
from web.context import OrgPage
from web.forms.organization import OrganizationForm


class OrganizationPage(OrgPage):
    template_name = "web/settings/organization.html"
    section = "organization"

    def requirements_get(self):
        """Read on the organization, unless the person may change its settings (which reads them)."""
        return [] if self.flags.can_manage_settings else [Needs("read", Node.of(self.org))]

    def requirements_post(self):
        # Members see their organization: without "Manage settings" the refusal is the explained 403.
        return [Needs("update", Node.of(self.org))]

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.flags.can_manage_settings and form is None:
            form = OrganizationForm(
                initial={
                    "name": self.org.name,
                    "api_url": self.org.api_url or "",
                    "proxy_url": self.org.proxy_url or "",
                    "realtime_url": self.org.realtime_url or "",
                    "create_direct_ownership_grants": self.org.create_direct_ownership_grants,
                }
            )
        context.update(form=form)
        return context

    def post(self, request, *args, **kwargs):
        form = OrganizationForm(request.POST)
        if form.is_valid():
            changes = {field: form.cleaned_data[field] or None for field in ("api_url", "proxy_url", "realtime_url")}
            try:
                org = organization_update(
                    actor=request.user,
                    org=self.org,
                    name=form.cleaned_data["name"],
                    create_direct_ownership_grants=form.cleaned_data["create_direct_ownership_grants"],
                    **changes,
                )
            except ValidationError as exc:
                message = " ".join(exc.messages)
                form.add_error(next((field for field in changes if message.startswith(field)), "name"), message)
            else:
                messages.success(request, "Saved the organization's settings.")
                return redirect(reverse("web:organization", kwargs={"org_name": org.name}))
        return self.render_to_response(self.get_context_data(form=form), status=400)


urlpatterns = [
    path("settings/organization/", OrganizationPage.as_view(), name="organization"),
]
