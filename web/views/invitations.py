"""The invitation link (``/invite/<token>/``): joining an organization from the emailed invitation.

The token is the credential, so the page works without logging in. Someone new creates their account
here and joins at once; someone who already has an account logs in first and then accepts, which the
service allows only when the logged-in email is the invited one. A link that was replaced (Resend),
revoked, used or has expired says so, and changes nothing.
"""

from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from accounts.models import Invitation, normalize_email
from accounts.selectors import has_account
from accounts.services.invitations import invitation_accept_new_account, invitation_for_token
from accounts.services.members import invitation_accept
from permissions.exceptions import ValidationError
from web.forms.invitations import NewAccountForm


def invitation_state(invitation: Invitation | None) -> str:
    """What the link can still do: "unknown" (never issued or replaced by a newer one), "revoked", "used", "expired" or "pending"."""
    if invitation is None:
        return "unknown"
    if invitation.revoked_at:
        return "revoked"
    if invitation.accepted_at:
        return "used"
    if invitation.expires_at <= timezone.now():
        return "expired"
    return "pending"


@method_decorator(never_cache, name="dispatch")
class InvitationPage(View):
    def dispatch(self, request, *args, **kwargs):
        self.invitation = invitation_for_token(kwargs["token"])
        self.state = invitation_state(self.invitation)
        if self.state != "pending":
            return render(
                request,
                "web/invitation_invalid.html",
                {"state": self.state, "invitation": self.invitation},
                status=404 if self.state == "unknown" else 410,
            )
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        return self.page(form=NewAccountForm(email=self.invitation.email))

    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return self.accept_for_logged_in_person()
        form = NewAccountForm(request.POST, email=self.invitation.email)
        if self.account_exists():
            return self.page(form=form, error="An account with this email address already exists: log in to accept.", status=400)
        if not form.is_valid():
            return self.page(form=form, status=400)
        try:
            user = invitation_accept_new_account(
                invitation=self.invitation, name=form.cleaned_data["name"], password=form.cleaned_data["password1"]
            )
        except ValidationError as exc:
            return self.page(form=form, error=" ".join(exc.messages), status=400)
        login(request, user, backend="accounts.backends.EmailBackend")
        return self.joined()

    def accept_for_logged_in_person(self):
        try:
            invitation_accept(user=self.request.user, invitation=self.invitation)
        except ValidationError as exc:
            return self.page(form=None, error=" ".join(exc.messages), status=400)
        return self.joined()

    def joined(self):
        org = self.invitation.org
        messages.success(self.request, f"Welcome to {org.name}.")
        return redirect(reverse("web:projects", kwargs={"org_name": org.name}))

    def account_exists(self) -> bool:
        return has_account(self.invitation.email)

    def page(self, *, form, error: str | None = None, status: int = 200):
        user = self.request.user
        signed_in_as_invited = user.is_authenticated and normalize_email(user.email) == normalize_email(self.invitation.email)
        context = {
            "invitation": self.invitation,
            "groups": list(self.invitation.groups.order_by("name")),
            "form": form,
            "error": error,
            "signed_in_as_invited": signed_in_as_invited,
            "signed_in_as_other": user.is_authenticated and not signed_in_as_invited,
            "account_exists": not user.is_authenticated and self.account_exists(),
        }
        return render(self.request, "web/invitation.html", context, status=status)


urlpatterns = [
    path("invite/<str:token>/", InvitationPage.as_view(), name="invitation"),
]
