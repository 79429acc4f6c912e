"""What an object's menu (⋯) offers besides Permissions and Copy ID: Rename with update on the object, and
Delete with delete on it, each opening a dialog whose form posts to a page of its own (which also works
without JavaScript). The flags come from :class:`web.flags.NodeFlags`; the pages that act check again."""

from django.urls import reverse

from accounts.models import Organization
from projects.models import ProjectObject
from web.flags import NodeFlags
from web.forms.prompts import RenameForm


def object_action_url(name: str, org: Organization, obj: ProjectObject, kind_slug: str) -> str:
    kwargs = {"org_name": org.name, "project_id": obj.project_id, "kind": kind_slug, "object_id": obj.pk}
    return reverse(f"web:object-{name}", kwargs=kwargs)


def menu_context(org: Organization, obj: ProjectObject, kind_slug: str, singular: str, flags: NodeFlags) -> dict:
    """The menu's Rename and Delete, offered only to whoever may do them."""
    context: dict = {"can_rename": flags.can_update, "can_delete": flags.can_delete}
    if flags.can_update:
        context["rename_url"] = object_action_url("rename", org, obj, kind_slug)
        context["rename_form"] = RenameForm(initial={"name": obj.name}, singular=singular, auto_id="id_rename_%s")
    if flags.can_delete:
        context["delete_url"] = object_action_url("delete", org, obj, kind_slug)
    return context
