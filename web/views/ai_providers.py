"""Settings → AI providers: the organization's AI provider keys (``/v1/ai_secret``'s), never shown again.

AI secrets are organization settings, so the page follows the Organization page: whoever may read the
organization sees which providers are configured (name, provider, the preview of the key, when it was last
set); "Manage settings" (update on the organization) adds keys, replaces a key's value and deletes keys,
through :mod:`secrets_store.services.ai_secrets`, which checks it again and audits without the value. A key
is typed into a password field and never rendered back, not even in a form shown again after an error.
"""

from uuid import UUID

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse

from permissions.engine.nodes import Node
from permissions.requirements import Needs
from secrets_store.models import AISecret
from secrets_store.selectors import ai_secrets_of
from secrets_store.services.ai_secrets import ai_secret_create, ai_secret_delete, ai_secret_update
from web.confirm import Confirmation
from web.context import OrgPage
from web.forms.secrets import PROVIDER_TYPES, AISecretForm, ReplaceValueForm, next_to_the_field
from web.views.outcomes import save_form


class AIProvidersPage(OrgPage):
    template_name = "web/settings/ai_providers.html"
    section = "ai-providers"

    def requirements_get(self):
        """Read on the organization, unless the person may change its settings (which reads them)."""
        return [] if self.flags.can_manage_settings else [Needs("read", Node.of(self.org))]

    def requirements_post(self):
        return [Needs("update", Node.of(self.org))]

    def page_url(self) -> str:
        return reverse("web:ai-providers", kwargs={"org_name": self.org.name})

    def secret_url(self, name: str, secret: AISecret) -> str:
        return reverse(f"web:{name}", kwargs={"org_name": self.org.name, "secret_id": secret.pk})

    def delete_confirmation(self, secret: AISecret) -> Confirmation:
        provider = f" ({secret.type})" if secret.type else ""
        return Confirmation(
            key=f"delete-ai-secret-{secret.pk.hex}",
            title=f"Delete the AI provider key {secret.name}?",
            action=self.secret_url("ai-provider-delete", secret),
            button="Delete key",
            back_url=self.page_url(),
            goes=[f"The key {secret.name}{provider}: prompts and functions that use it can no longer call the provider."],
        )

    def get_context_data(self, form: AISecretForm | None = None, failed: tuple[UUID, ReplaceValueForm] | None = None, **kwargs):
        context = super().get_context_data(**kwargs)
        can_manage = self.flags.can_manage_settings
        rows = []
        for secret in ai_secrets_of(self.org).select_related("secret_updated_by").order_by("name"):
            replace = None
            if can_manage:
                replace = failed[1] if failed and failed[0] == secret.pk else ReplaceValueForm(label=f"New key for {secret.name}")
                replace.auto_id = f"replace-{secret.pk.hex}-%s"
            rows.append(
                {
                    "secret": secret,
                    "replace": replace,
                    "replace_url": self.secret_url("ai-provider-replace", secret),
                    "delete": self.delete_confirmation(secret) if can_manage else None,
                }
            )
        context.update(
            secrets=rows,
            form=(form or AISecretForm()) if can_manage else None,
            provider_types=PROVIDER_TYPES,
        )
        return context

    def post(self, request, *args, **kwargs):
        form = AISecretForm(request.POST)

        def create(data: dict) -> AISecret:
            return ai_secret_create(actor=request.user, org=self.org, name=data["name"], type=data["type"] or None, secret=data["secret"])

        created = save_form(form, next_to_the_field(create), error_field="name")
        if created is None:
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(request, f"Added the AI provider key {created.name}.")
        return redirect(self.page_url())


class _OneSecret(AIProvidersPage):
    """A change of one key the URL names (Manage settings)."""

    def load(self) -> None:
        secret = ai_secrets_of(self.org).filter(pk=self.kwargs["secret_id"]).first()
        if secret is None:
            raise Http404("No such AI provider key.")
        self.secret = secret


class ReplaceAISecret(_OneSecret):
    """POST: a new value for the key; the form shown again on error is empty."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = ReplaceValueForm(request.POST, label=f"New key for {self.secret.name}")
        replace = next_to_the_field(lambda data: ai_secret_update(actor=request.user, secret=self.secret, value=data["value"]))
        saved = save_form(form, replace, error_field="value")
        if saved is None:
            return self.render_to_response(self.get_context_data(failed=(self.secret.pk, form)), status=400)
        messages.success(request, f"Replaced the key of {saved.name}.")
        return redirect(self.page_url())


class DeleteAISecret(_OneSecret):
    """GET asks, as a page of its own (the list asks in a dialog); POST deletes. Both need Manage settings."""

    http_method_names = ["get", "post"]
    template_name = "web/settings/confirm_page.html"

    def requirements_get(self):
        return [Needs("update", Node.of(self.org))]

    def get(self, request, *args, **kwargs):
        context = super(AIProvidersPage, self).get_context_data()
        context.update(confirm=self.delete_confirmation(self.secret), back_label="AI providers")
        return self.render_to_response(context)

    def post(self, request, *args, **kwargs):
        ai_secret_delete(actor=request.user, secret=self.secret)
        messages.success(request, f"Deleted the AI provider key {self.secret.name}.")
        return redirect(self.page_url())


urlpatterns = [
    path("settings/ai-providers/", AIProvidersPage.as_view(), name="ai-providers"),
    path("settings/ai-providers/<uuid:secret_id>/replace/", ReplaceAISecret.as_view(), name="ai-provider-replace"),
    path("settings/ai-providers/<uuid:secret_id>/delete/", DeleteAISecret.as_view(), name="ai-provider-delete"),
]
