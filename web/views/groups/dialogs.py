"""The groups' dialogs: each is a page of its own, and a <dialog> fetched with htmx.

A dialog shows its form as a page without JavaScript; with htmx the groups list fetches it and opens it in
place. A valid POST goes back to the groups list with a message; bad input, or a service's refusal, shows
the form again.
"""

from collections.abc import Callable
from typing import TypeVar

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_vary_headers

from permissions.exceptions import NotFound
from permissions.requirements import Requirement
from permissions.selectors import group_in
from web.context import OrgPage
from web.views.access_preview import PreviewsAccessChange
from web.views.outcomes import save_form

T = TypeVar("T")


class GroupDialogPage(OrgPage):
    """A form about one permission group (or creating one): a dialog when fetched with htmx, else a page."""

    section = "groups"
    form_template = ""
    dialog_id = "group-dialog"
    wide = False

    def get_template_names(self):
        if self.request.htmx:
            return ["web/settings/group_dialog.html"]
        return ["web/settings/group_page.html"]

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        patch_vary_headers(response, ("HX-Request",))
        return response

    def title(self) -> str:
        raise NotImplementedError

    def action_url(self) -> str:
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            title=self.title(),
            form_template=self.form_template,
            dialog_id=self.dialog_id,
            in_dialog=bool(self.request.htmx),
            wide=self.wide,
            action=self.action_url(),
            groups_url=_groups_url(self.org),
        )
        return context

    def invalid(self, **context):
        """Bad input: the form again, with its errors, as a page (it works with or without JavaScript)."""
        return self.render_to_response(self.get_context_data(**context), status=400)

    def outcome(self, form, save: Callable[[dict], T], *, success: Callable[[T], str], error_field: str | None = None):
        """The answer to the dialog's POST: once ``save(form.cleaned_data)`` is done, back to the groups
        with the message `success` makes of what it returned; bad input, or the service's refusal (an
        error of `error_field`, see :func:`save_form`), shows the form again."""
        saved = save_form(form, save, error_field=error_field)
        if saved is None:
            return self.invalid(form=form)
        messages.success(self.request, success(saved))
        return redirect(_groups_url(self.org))


class GroupDialogOnGroup(GroupDialogPage):
    """A dialog about an existing group, which must be visible to the person (else "not found"); each
    dialog declares what else it needs in :meth:`needs`, for showing and for saving alike."""

    url_name = ""  # the route the dialog posts to, named by its group

    def load(self) -> None:
        group_id = self.kwargs["group_id"]
        self.group = group_in(self.org, group_id)
        if self.group is None:
            raise NotFound("group", group_id)

    def needs(self) -> list[Requirement]:
        raise NotImplementedError

    def requirements_get(self) -> list[Requirement]:
        return self.needs()

    def requirements_post(self) -> list[Requirement]:
        return self.needs()

    def post(self, request, *args, **kwargs):
        return self.save(request)

    def save(self, request):
        raise NotImplementedError

    def action_url(self) -> str:
        return self.group_url(self.url_name)

    def group_url(self, url_name: str) -> str:
        """The address of the route `url_name`, named by the organization and this group."""
        return reverse(url_name, kwargs={"org_name": self.org.name, "group_id": self.group.pk})

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["group"] = self.group
        return context


class GroupAccessChange(PreviewsAccessChange, GroupDialogOnGroup):
    """A dialog about a group whose Save changes who holds what, with a Preview: its preview route is named
    by the organization and the group, as its own route is."""

    def preview_url(self) -> str:
        return self.group_url(self.preview_url_name)


def _groups_url(org) -> str:
    return reverse("web:groups", kwargs={"org_name": org.name})
