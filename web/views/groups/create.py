"""Creating a permission group: its name and description."""

from django.http import Http404
from django.urls import reverse

from permissions.engine.nodes import Node
from permissions.exceptions import AccessDenied
from permissions.services.groups import group_create
from web.forms.groups import GroupCreateForm
from web.views.groups.dialogs import GroupDialogPage


class CreateGroup(GroupDialogPage):
    """ "Create permission group": a name and a description."""

    form_template = "web/settings/group_create_form.html"
    dialog_id = "create-group-dialog"

    def title(self) -> str:
        return "Create permission group"

    def action_url(self) -> str:
        return reverse("web:group-create", kwargs={"org_name": self.org.name})

    def get(self, request, *args, **kwargs):
        self._require_create()
        return super().get(request, *args, **kwargs)

    def _require_create(self) -> None:
        if not self.flags.can_create_group:
            if self.flags.can_read_groups:
                raise AccessDenied(
                    "create", "group", "You need the 'create' permission to add a group here.", node=Node("organization", self.org.pk)
                )
            raise Http404("No such page.")

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        context["form"] = form or GroupCreateForm()
        return context

    def post(self, request, *args, **kwargs):
        self._require_create()
        return self.outcome(
            GroupCreateForm(request.POST),
            lambda data: group_create(actor=request.user, org=self.org, name=data["name"], description=data["description"]),
            success=lambda group: f"Created the permission group {group.name}.",
            error_field="name",
        )
