"""What an object's menu (⋯) offers besides Permissions and Copy ID: Rename with update on the object, and
Delete with delete on it, each opening a dialog whose form posts to a page of its own (which also works
without JavaScript); Delete asks the question every delete of the pages asks (:mod:`web.confirm`). The
flags come from :class:`web.flags.NodeFlags`; the pages that act check again."""

from django.urls import reverse

from accounts.models import Organization
from projects.models import ProjectObject
from web.confirm import Confirmation
from web.flags import NodeFlags
from web.forms.prompts import RenameForm


def object_action_url(name: str, org: Organization, obj: ProjectObject, kind_slug: str) -> str:
    kwargs = {"org_name": org.name, "project_id": obj.project_id, "kind": kind_slug, "object_id": obj.pk}
    return reverse(f"web:object-{name}", kwargs=kwargs)


def object_delete_confirmation(org: Organization, obj: ProjectObject, kind_slug: str, singular: str, back_url: str) -> Confirmation:
    """The question before an experiment, dataset, prompt or playground is deleted."""
    freed = "slug" if obj.acl_object_type == "prompt" else "name"
    return Confirmation(
        key="delete-dialog",  # one object, one delete on its page
        title=f"Delete the {singular} {obj.name}?",
        action=object_action_url("delete", org, obj, kind_slug),
        button=f"Delete {singular}",
        back_url=back_url,
        goes=[
            f"It leaves every list and page, and its {freed} is free again.",
            "Its grants stay stored; an Owner can find the deletion in the audit log.",
        ],
    )


def menu_context(org: Organization, obj: ProjectObject, kind_slug: str, singular: str, flags: NodeFlags, back_url: str) -> dict:
    """The menu's Rename and Delete, offered only to whoever may do them; Cancel on the delete's own page
    goes back to `back_url`."""
    context: dict = {"can_rename": flags.can_update, "can_delete": flags.can_delete}
    if flags.can_update:
        context["rename_url"] = object_action_url("rename", org, obj, kind_slug)
        context["rename_form"] = RenameForm(initial={"name": obj.name}, singular=singular, auto_id="id_rename_%s")
    if flags.can_delete:
        context["delete"] = object_delete_confirmation(org, obj, kind_slug, singular, back_url)
    return context
