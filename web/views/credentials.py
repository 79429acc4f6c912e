"""Settings → Service accounts and Settings → API keys.

Service accounts are for Owners only (docs/access-model.md, "Principals"). Every member knows the
organization can have them (the API tells a member who is not an Owner the same), so a member who is not
an Owner gets the explained refusal, which says that only Owners manage them and who the Owners are,
whatever account the address names; a missing account is "not found" to an Owner. API keys are each
person's own, in this organization or in all of theirs.

A new token's raw value is shown exactly once: it is rendered into the response of the POST that made it
(status 200, never cached), not redirected to, so it never passes through the session, a message or the
database. Every later page shows only ``preview_name``.
"""

from functools import partial
from uuid import UUID

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from accounts.models import ApiKey, User
from accounts.selectors import api_key_of, api_keys_of, service_account_in, service_accounts_of, service_token_of, service_tokens_of
from accounts.services.credentials import (
    api_key_create,
    api_key_delete,
    service_account_create,
    service_account_delete,
    service_account_rename,
    service_token_create,
    service_token_revoke,
)
from permissions.models import PermissionGroup
from permissions.selectors import direct_groups_of, groups_in_display_order, groups_visible_to
from permissions.services.groups import user_groups_set
from web.confirm import Confirmation, counted, named
from web.context import NeedsOwnerOfPage, OrgPage
from web.forms.credentials import AccountGroupsForm, NewTokenForm, RenameForm, ServiceAccountForm
from web.views.outcomes import report, save_form


def token_created_response(page: OrgPage, *, key: ApiKey, raw: str, kind: str, back_url: str):
    """The one response that ever contains `raw`. Never cached; the address bar is set back to `back_url`
    so that reloading shows the list again instead of posting the form a second time."""
    context = page.get_base_context()
    context.update(key=key, raw_token=raw, kind=kind, back_url=back_url)
    response = page.response_class(request=page.request, template=["web/settings/token_created.html"], context=context, status=200)
    add_never_cache_headers(response)
    return response


class CredentialsPage(OrgPage):
    def get_base_context(self) -> dict:
        """The context every page of the organization needs (top bar, sidebar), without this page's own data."""
        return OrgPage.get_context_data(self)


# Service accounts


class ServiceAccountsBase(CredentialsPage):
    section = "service-accounts"

    def requirements_get(self):
        return [NeedsOwnerOfPage("manage service accounts")]

    def requirements_post(self):
        return [NeedsOwnerOfPage("manage service accounts")]

    def editable_groups(self) -> list[PermissionGroup]:
        """The groups whose members the person may change, restricted in the database (Owners: all of them)."""
        return list(groups_in_display_order(groups_visible_to(self.request.user, self.org, "update")))


class ServiceAccountsPage(ServiceAccountsBase):
    """The list, and "Create service account"."""

    template_name = "web/settings/service_accounts.html"

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(accounts=service_accounts_of(self.org), form=form or ServiceAccountForm(groups=self.editable_groups()))
        return context

    def post(self, request, *args, **kwargs):
        form = ServiceAccountForm(request.POST, groups=self.editable_groups())
        account = save_form(
            form,
            lambda data: service_account_create(
                actor=request.user, org=self.org, name=data["name"], group_ids=[UUID(value) for value in data["groups"]]
            ),
        )
        if account is None:
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(request, f"Created the service account {account.given_name}. Create a token for it below.")
        return redirect(_account_url(self.org, account))


class ServiceAccountPage(ServiceAccountsBase):
    """One service account: its groups, its tokens, rename and delete."""

    template_name = "web/settings/service_account.html"

    @property
    def account(self) -> User:
        if not hasattr(self, "_account"):
            account = service_account_in(self.org, self.kwargs["account_id"])
            if account is None:
                raise Http404("No such service account.")
            self._account = account
        return self._account

    def account_groups(self) -> list[PermissionGroup]:
        return list(direct_groups_of(self.account, self.org))

    def get_context_data(self, token_form=None, rename_form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        account = self.account
        current = self.account_groups()
        editable = self.editable_groups()
        tokens = service_tokens_of(account)
        context.update(
            account=account,
            account_groups=current,
            tokens=[{"token": token, "revoke": token_revoke_confirmation(self.org, account, token)} for token in tokens],
            delete=service_account_delete_confirmation(self.org, account, tokens, current),
            now=timezone.now(),
            can_edit_groups=bool(editable),
            groups_form=AccountGroupsForm(
                groups=editable, initial={"groups": [str(g.pk) for g in current if g in editable]}, auto_id="groups_%s"
            ),
            rename_form=rename_form or RenameForm(initial={"name": account.given_name}, auto_id="rename_%s"),
            token_form=token_form or NewTokenForm(auto_id="token_%s"),
        )
        return context


class RenameServiceAccount(ServiceAccountPage):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = RenameForm(request.POST, auto_id="rename_%s")
        renamed = save_form(
            form,
            lambda data: service_account_rename(actor=request.user, org=self.org, account_id=self.account.pk, name=data["name"]),
            error_field="name",
        )
        if renamed is None:
            return self.render_to_response(self.get_context_data(rename_form=form), status=400)
        messages.success(request, f"Renamed the service account to {form.cleaned_data['name'].strip()}.")
        return redirect(_account_url(self.org, self.account))


class ServiceAccountGroups(ServiceAccountPage):
    """Put the account into groups and take it out of others, in one transaction."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        editable = self.editable_groups()
        form = AccountGroupsForm(request.POST, groups=editable, auto_id="groups_%s")
        if not form.is_valid():
            messages.error(request, "Choose groups from the list.")
            return redirect(_account_url(self.org, self.account))
        change = partial(
            user_groups_set,
            actor=request.user,
            user_id=self.account.pk,
            groups=editable,
            wanted={UUID(value) for value in form.cleaned_data["groups"]},
            current={group.pk for group in self.account_groups()},
        )
        report(request, change, success=f"Updated the groups of {self.account.given_name}.")
        return redirect(_account_url(self.org, self.account))


class ConfirmOnItsPage(ServiceAccountPage):
    """A delete or revoke about one service account: GET asks, as a page (the account's page asks in a
    dialog), POST does it."""

    http_method_names = ["get", "post"]
    template_name = "web/settings/confirm_page.html"

    def confirmation(self) -> Confirmation:
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        context = self.get_base_context()
        context.update(confirm=self.confirmation(), back_label=self.account.given_name)
        return self.render_to_response(context)


class DeleteServiceAccount(ConfirmOnItsPage):
    def confirmation(self) -> Confirmation:
        tokens = service_tokens_of(self.account)
        return service_account_delete_confirmation(self.org, self.account, tokens, self.account_groups())

    def post(self, request, *args, **kwargs):
        account = self.account
        change = partial(service_account_delete, actor=request.user, org=self.org, account_id=account.pk)
        if not report(request, change, success=f"Deleted the service account {account.given_name} and its tokens."):
            return redirect(_account_url(self.org, account))
        return redirect(reverse("web:service-accounts", kwargs={"org_name": self.org.name}))


class CreateServiceToken(ServiceAccountPage):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = NewTokenForm(request.POST, auto_id="token_%s")
        created = save_form(
            form,
            lambda data: service_token_create(
                actor=request.user, org=self.org, account_id=self.account.pk, name=data["name"], expires_at=form.expires_at()
            ),
        )
        if created is None:
            return self.render_to_response(self.get_context_data(token_form=form), status=400)
        key, raw = created
        return token_created_response(self, key=key, raw=raw, kind="service token", back_url=_account_url(self.org, self.account))


class RevokeServiceToken(ConfirmOnItsPage):
    def token(self) -> ApiKey:
        token = service_token_of(self.account, self.kwargs["token_id"])
        if token is None:
            raise Http404("No such token.")
        return token

    def confirmation(self) -> Confirmation:
        return token_revoke_confirmation(self.org, self.account, self.token())

    def post(self, request, *args, **kwargs):
        token = self.token()
        service_token_revoke(actor=request.user, org=self.org, token_id=token.pk)
        messages.success(request, f"Revoked the token {token.name} ({token.preview_name}).")
        return redirect(_account_url(self.org, self.account))


def service_account_delete_confirmation(org, account: User, tokens: list[ApiKey], groups: list[PermissionGroup]) -> Confirmation:
    """The question before deleting a service account: its tokens, by name, stop working at once; it
    leaves its groups and its grants go."""
    if tokens:
        names = named([f"{token.name} ({token.preview_name})" for token in tokens])
        goes = [f"Its {counted(len(tokens), 'token')} stop working at once: {names}. Programs using them are refused."]
    else:
        goes = ["It has no tokens."]
    if groups:
        goes.append(f"It leaves {counted(len(groups), 'group')}: {named([group.name for group in groups])}.")
    goes.append("Every grant made to it goes. This cannot be undone.")
    return Confirmation(
        key="delete-service-account",
        title=f"Delete the service account {account.given_name}?",
        action=reverse("web:service-account-delete", kwargs={"org_name": org.name, "account_id": account.pk}),
        button="Delete service account",
        back_url=_account_url(org, account),
        goes=goes,
    )


def token_revoke_confirmation(org, account: User, token: ApiKey) -> Confirmation:
    return Confirmation(
        key=f"revoke-token-{token.pk.hex}",
        title=f"Revoke the token {token.name} ({token.preview_name})?",
        action=reverse("web:service-token-revoke", kwargs={"org_name": org.name, "account_id": account.pk, "token_id": token.pk}),
        button="Revoke token",
        back_url=_account_url(org, account),
        goes=[f"Programs using it stop working at once; {account.given_name} keeps its other tokens."],
    )


def _account_url(org, account) -> str:
    return reverse("web:service-account", kwargs={"org_name": org.name, "account_id": account.pk})


# API keys


class ApiKeysPage(CredentialsPage):
    """The person's own API keys, in this organization or in all of theirs, and "Create API key"."""

    template_name = "web/settings/api_keys.html"
    section = "api-keys"

    def all_organizations(self) -> bool:
        return (self.request.GET.get("scope") or self.request.POST.get("scope")) == "all"

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        all_organizations = self.all_organizations()
        keys = api_keys_of(self.request.user, None if all_organizations else self.org)
        context.update(
            keys=[{"key": key, "delete": api_key_delete_confirmation(self.org, key, all_organizations=all_organizations)} for key in keys],
            all_organizations=all_organizations,
            now=timezone.now(),
            form=form or NewTokenForm(),
        )
        return context

    def post(self, request, *args, **kwargs):
        form = NewTokenForm(request.POST)
        created = save_form(
            form, lambda data: api_key_create(actor=request.user, org=self.org, name=data["name"], expires_at=form.expires_at())
        )
        if created is None:
            return self.render_to_response(self.get_context_data(form=form), status=400)
        key, raw = created
        return token_created_response(self, key=key, raw=raw, kind="API key", back_url=_api_keys_url(self.org))


class DeleteApiKey(ApiKeysPage):
    """Delete one of the person's own API keys. GET asks, as a page (the list asks in a dialog); POST deletes."""

    http_method_names = ["get", "post"]
    template_name = "web/settings/confirm_page.html"

    def get(self, request, *args, **kwargs):
        key = api_key_of(request.user, kwargs["key_id"])
        if key is None:
            raise Http404("No such API key.")
        context = self.get_base_context()
        confirm = api_key_delete_confirmation(self.org, key, all_organizations=self.all_organizations())
        context.update(confirm=confirm, back_label="API keys")
        return self.render_to_response(context)

    def post(self, request, *args, **kwargs):
        key = api_key_delete(actor=request.user, key_id=kwargs["key_id"])
        messages.success(request, f"Deleted the API key {key.name} ({key.preview_name}).")
        return redirect(_api_keys_url(self.org, all_organizations=self.all_organizations()))


def api_key_delete_confirmation(org, key: ApiKey, *, all_organizations: bool) -> Confirmation:
    action = reverse("web:api-key-delete", kwargs={"org_name": org.name, "key_id": key.pk})
    return Confirmation(
        key=f"delete-api-key-{key.pk.hex}",
        title=f"Delete the API key {key.name} ({key.preview_name})?",
        action=f"{action}?scope=all" if all_organizations else action,
        button="Delete API key",
        back_url=_api_keys_url(org, all_organizations=all_organizations),
        goes=[f"Programs using it stop working at once in {key.org.name}."],
        hidden=[("scope", "all")] if all_organizations else [],
    )


def _api_keys_url(org, *, all_organizations: bool = False) -> str:
    url = reverse("web:api-keys", kwargs={"org_name": org.name})
    return f"{url}?scope=all" if all_organizations else url


urlpatterns = [
    path("settings/service-accounts/", ServiceAccountsPage.as_view(), name="service-accounts"),
    path("settings/service-accounts/<uuid:account_id>/", ServiceAccountPage.as_view(), name="service-account"),
    path("settings/service-accounts/<uuid:account_id>/rename/", RenameServiceAccount.as_view(), name="service-account-rename"),
    path("settings/service-accounts/<uuid:account_id>/groups/", ServiceAccountGroups.as_view(), name="service-account-groups"),
    path("settings/service-accounts/<uuid:account_id>/delete/", DeleteServiceAccount.as_view(), name="service-account-delete"),
    path("settings/service-accounts/<uuid:account_id>/tokens/", CreateServiceToken.as_view(), name="service-token-create"),
    path(
        "settings/service-accounts/<uuid:account_id>/tokens/<uuid:token_id>/revoke/",
        RevokeServiceToken.as_view(),
        name="service-token-revoke",
    ),
    path("settings/api-keys/", ApiKeysPage.as_view(), name="api-keys"),
    path("settings/api-keys/<uuid:key_id>/delete/", DeleteApiKey.as_view(), name="api-key-delete"),
]
