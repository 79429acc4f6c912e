"""Who could: who held a permission on an object at an earlier instant, and what changed since.

Beside Check access, for whoever may read the object's grants: the answer is
``GET /v1/access/who_could``'s, from the same engine call (:func:`permissions.engine.who_could`, which
rebuilds the organization's access of then from the audit log) and the same requirements
(:func:`permissions.requirements.to_ask_who_could`: read_acls on the object and read on the audit log),
declared, so that someone who may not read the grants meets the explained 403 page and nothing of the
answer. The page says who could then, with the grants of then; who gained and who lost it since; and the
changes since, in the audit log's words.
"""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.urls import path, reverse

from permissions.audit_words import sentence
from permissions.engine import Holder, PastAccess, who_could
from permissions.engine.nodes import Node
from permissions.requirements import to_ask_who_could
from permissions.selectors import audit_names
from projects.selectors import node_names, nodes_visible_to
from web.context import OrgPage
from web.forms.check_access import DEFAULT_TYPE, TYPE_LABELS
from web.forms.expiry import UNTIL_INPUT_FORMAT
from web.forms.who_could import WhoCouldForm
from web.views.check_access import ReasonView, reason_view

# How many of the changes since the page lists, newest first (the API's who-could lists as many).
CHANGES_SHOWN = 50
_KIND_LABELS = {"user": "Member", "service_account": "Service account", "group": "Group"}
_QUERY_FIELDS = ("object_type", "object_id", "permission", "at")


@dataclass(frozen=True)
class HolderView:
    """A principal who held (or holds) the permission, in words, with every grant that gave it."""

    name: str
    kind: str
    reasons: list[ReasonView]
    is_group: bool


@dataclass(frozen=True)
class ChangeView:
    """One change to access since the instant, as the audit log says it."""

    created: datetime
    sentence: str


class WhoCouldPage(OrgPage):
    """GET: the question, and with a complete one the answer (400 for a choice not offered or a time to
    come; 404 or 403, explained, for an object whose grants the person may not read)."""

    template_name = "web/who_could.html"
    section = "check_access"

    def load(self) -> None:
        query = self.request.GET
        object_type = query.get("object_type") if query.get("object_type") in TYPE_LABELS else DEFAULT_TYPE
        initial = {"object_type": DEFAULT_TYPE, "permission": "read"}
        initial.update({name: query[name] for name in _QUERY_FIELDS if query.get(name)})
        asked = "at" in query and "show_objects" not in query  # "Show objects" (without JavaScript) only refreshes the list
        self.form = WhoCouldForm(
            query if asked else None,
            objects=nodes_visible_to(self.request.user, self.org, object_type),
            objects_url=reverse("web:check-access-objects", kwargs={"org_name": self.org.name}),
            initial=initial,
        )
        self.node = None
        if self.form.is_bound and self.form.is_valid():
            self.node = Node(self.form.cleaned_data["object_type"], UUID(self.form.cleaned_data["object_id"]))

    def requirements_get(self):
        return to_ask_who_could(self.node, self.org.pk) if self.node is not None else []

    def get(self, request, *args, **kwargs):
        context = self.get_context_data(form=self.form)
        status = 200
        if self.form.is_bound:
            if self.node is None:
                status = 400
            else:
                context.update(self.answer(self.node, self.form.cleaned_data["permission"], self.form.cleaned_data["at"]))
        return self.render_to_response(context, status=status)

    def answer(self, node: Node, permission: str, at: datetime) -> dict:
        past = who_could(permission, node, at)
        changes = past.changes[:CHANGES_SHOWN]
        words = audit_names(self.org, changes)
        names = node_names(self.org, [node, *(reason.node for holder in _everyone(past) for reason in holder.reasons)])
        return {
            "past": past,
            "permission": permission,
            "object_label": f"{TYPE_LABELS[node.type]} {names[node]}",
            "holders": [_holder_view(holder, names) for holder in past.holders],
            "gained": [_holder_view(holder, names) for holder in past.gained],
            "lost": [_holder_view(holder, names) for holder in past.lost],
            "changes": [ChangeView(event.created, sentence(event, words)) for event in changes],
            "at_value": past.at.strftime(UNTIL_INPUT_FORMAT),
        }


def _everyone(past: PastAccess) -> list[Holder]:
    return [*past.holders, *past.gained, *past.lost]


def _holder_view(holder: Holder, names: dict[Node, str]) -> HolderView:
    reasons = [reason_view(reason, names) for reason in holder.reasons]
    return HolderView(holder.ref.name, _KIND_LABELS[holder.kind], reasons, is_group=holder.kind == "group")


urlpatterns = [path("check-access/who-could/", WhoCouldPage.as_view(), name="who-could")]
