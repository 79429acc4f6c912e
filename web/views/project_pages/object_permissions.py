"""An object's Permissions as a page of its own, a principal's boxes for htmx, and the list's rows."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render

from accounts.principals import Principal
from permissions.boxes import object_boxes
from permissions.engine.nodes import Node
from permissions.exceptions import NotFound, ValidationError
from permissions.requirements import NeedsAny, Requirement
from web.views.permissions_panel import AccessRow
from web.views.project_pages.kinds import object_url
from web.views.project_pages.object_page import ObjectPage


class ObjectPermissions(ObjectPage):
    """The object's Permissions: the dialog's content as a page of its own (it works without JavaScript),
    a principal's boxes as a partial for htmx (its pencil), and Save through ``save_boxes``.

    It needs read_acls or create_acls on the object; someone who sees the object without them gets the
    explained refusal, anyone else a 404."""

    template_name = "web/project/permissions.html"
    previewing = False  # the route below it: the Save's very call as a dry run, in words

    def requirements_get(self) -> list[Requirement]:
        return [NeedsAny(("read_acls", "create_acls"), Node.of(self.obj))]

    def requirements_post(self) -> list[Requirement]:
        return self.requirements_get()  # save_boxes checks Manage access as it writes

    def chosen_principal(self, key: str | None) -> Principal | None:
        """The principal `key` names: one holding grants on the object, or one the person may pick."""
        if not key:
            return None
        principal = self.panel_principal(key)
        if principal is None:
            raise NotFound("principal", key)
        return principal

    def get(self, request, *args, **kwargs):
        principal = self.chosen_principal(request.GET.get("principal"))
        if request.htmx and principal is not None:
            context = {**self.base_context(), **self.panel_flags(), "row": self.boxes_row(principal), "heading": "h2", "autofocus": True}
            return render(request, "web/permissions/_boxes_form.html", context)
        return super().get(request, *args, **kwargs)

    def base_context(self) -> dict:
        return {"org": self.org, "project": self.project, "obj": self.obj, "kind": self.kind}

    def get_context_data(self, chosen: AccessRow | None = None, **kwargs):
        context = super().get_context_data(**kwargs)
        if chosen is None:
            principal = self.chosen_principal(self.request.GET.get("principal"))
            chosen = self.boxes_row(principal) if principal is not None else None
        context.update(obj=self.obj, kind=self.kind, **self.access_context(chosen, self.request.GET.get("q", "")))
        return context

    def post(self, request, *args, **kwargs):
        principal = self.panel_principal(request.POST.get("principal"))
        box_set = object_boxes(self.kind.object_type)
        ticked = request.POST.getlist("boxes")
        if principal is None or set(ticked) - {box.key for box in box_set.boxes}:
            messages.error(request, "Choose a group, member or service account, and permissions from the list.")
            return self.render_to_response(self.get_context_data(), status=400)
        row = self.boxes_row(principal)
        row.until_form = until = row.until_from(request.POST)
        if not until.is_valid():  # shown next to the field, with the principal's boxes as they were
            return self.render_to_response(self.get_context_data(chosen=row), status=400)
        change = self.boxes_change(row, ticked, until)
        if self.previewing:
            return self.preview_answer(row, ticked, change, lambda preview, status: self.page_with(row, preview, status))
        try:
            change()
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return self.render_to_response(self.get_context_data(), status=400)
        messages.success(request, f"Saved the permissions of {principal.name} on the {self.kind.singular} {self.obj.name}.")
        return HttpResponseRedirect(object_url(self.org, self.obj))

    def page_with(self, row: AccessRow, preview: dict, status: int):
        """The page shown again with `row`'s boxes as posted and the preview of their Save."""
        return self.render_to_response(self.get_context_data(chosen=row, **preview), status=status)


class ObjectPrincipals(ObjectPermissions):
    """GET (htmx): the rows of the Permissions list matching ``q``, as a partial."""

    http_method_names = ["get"]

    def get(self, request, *args, **kwargs):
        context = {**self.base_context(), **self.access_context(query=request.GET.get("q", ""))}
        return render(request, "web/permissions/_rows.html", context)
