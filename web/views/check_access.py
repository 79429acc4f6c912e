"""Check access: may this person, service account or group do this on that object, and why?

The answer is the engine's own explanation (``permissions.engine.explain``): each grant that allows it,
the node that carries it, the groups and roles it comes through; when nothing allows it, who could grant
it (named only to those who may read the organization's members). Below it, every object of the same type
where the subject holds the permission, each with why (``permissions.selectors.first_reaches``, the first
page of ``/v1/access/what_can``), to whoever may ask that. The rule is that of
``/v1/acl/explain``: anyone may check their own access to what they see (the object list offers only
that), and explaining anyone else's access needs read_acls on the object.

The page speaks the Permissions dialogs' words (:mod:`permissions.labels`: "Manage access: list grants"
for read_acls), with the permission's code beside them, and says the answer in a sentence: who holds the
permission (or not) on the object, and through which grant.
"""

from dataclasses import dataclass, replace
from urllib.parse import urlencode

from django.shortcuts import render
from django.urls import path, reverse

from accounts.models import Organization, User
from accounts.principals import Principal, find_principal, principal_choices, subject_of_key
from accounts.selectors import members_of
from permissions.engine import explain
from permissions.engine.explain import Explanation, Reason
from permissions.engine.nodes import Node
from permissions.exceptions import AccessDenied, NotFound
from permissions.grants import resolve_chain
from permissions.labels import permission_label
from permissions.models import PermissionGroup
from permissions.requirements import to_ask_what_can, to_explain
from permissions.selectors import first_reaches, groups_of
from projects.selectors import node_names, nodes_visible_to
from web.context import OrgPage
from web.forms.check_access import DEFAULT_TYPE, TYPE_LABELS, CheckAccessForm

# How many of the objects where the subject holds the permission the page lists.
ELSEWHERE_SHOWN = 50


@dataclass(frozen=True)
class ReasonView:
    """One grant that allows it, in words: the grant (the dialogs' words, or the role), the node that
    carries it, and the groups and roles it comes through."""

    grant: str  # "Update", "Read, restricted to Experiment", "role Lead"
    code: str  # the permission as the API names it, where the words are not simply it capitalized
    node_type: str
    node_name: str
    groups: str  # "Annotators → Reviewers": the subject's group, up to the group granted
    roles: str  # "Lead → Reviewer": the role granted, down to the one that holds the permission
    grantee: str  # the group the grant was made to; "" when made to the subject itself


def reason_views(org: Organization, explanation: Explanation) -> list[ReasonView]:
    names = node_names(org, [reason.node for reason in explanation.reasons])
    return [reason_view(reason, names) for reason in explanation.reasons]


def reason_view(reason: Reason, names: dict[Node, str]) -> ReasonView:
    record = reason.grant
    code = ""
    if record.permission:
        grant = permission_label(record.permission)
        if record.restrict_object_type:
            grant += f", restricted to {TYPE_LABELS.get(record.restrict_object_type, record.restrict_object_type)}"
        code = record.permission if permission_label(record.permission) != record.permission.capitalize() else ""
    else:
        grant = f"role {reason.via_roles[0].name}" if reason.via_roles else "a role"
    return ReasonView(
        grant=grant,
        code=code,
        node_type=TYPE_LABELS.get(reason.node.type, reason.node.type),
        node_name=names[reason.node],
        groups=" → ".join(group.name for group in reason.via_groups),
        roles=" → ".join(role.name for role in reason.via_roles),
        grantee=reason.via_groups[-1].name if reason.via_groups else "",
    )


class CheckAccessPage(OrgPage):
    """GET: the form, and with a complete query the answer (400 for a choice not offered, 403 for someone
    else's access to an object without read_acls, "Manage access: list grants", on it)."""

    template_name = "web/check_access.html"
    section = "check_access"

    def principals(self) -> list[Principal]:
        me = self.request.user
        you = replace(Principal.of_user(me), name=f"You, {me.email}")
        return [you, *(p for p in principal_choices(me, self.org, limit=None) if p.key != you.key)]

    def object_type(self) -> str:
        chosen = self.request.GET.get("object_type")
        return chosen if chosen in TYPE_LABELS else DEFAULT_TYPE

    def form(self) -> CheckAccessForm:
        """Bound to the query once it is submitted; "Show objects" (without JavaScript) only refreshes the
        object list for the chosen type, keeping the other choices."""
        query = self.request.GET
        initial = {"principal": f"user:{self.request.user.pk}", "object_type": DEFAULT_TYPE, "permission": "read"}
        if "show_objects" in query:
            initial.update({key: query[key] for key in ("principal", "object_type", "permission") if query.get(key)})
        return CheckAccessForm(
            query if "permission" in query and "show_objects" not in query else None,
            principals=self.principals(),
            objects=nodes_visible_to(self.request.user, self.org, self.object_type()),
            objects_url=reverse("web:check-access-objects", kwargs={"org_name": self.org.name}),
            initial=initial,
        )

    def get(self, request, *args, **kwargs):
        form = self.form()
        context = self.get_context_data(form=form)
        status = 200
        if form.is_bound:
            status = self.answer(form, context) if form.is_valid() else 400
        return self.render_to_response(context, status=status)

    def subject(self, key: str) -> "User | PermissionGroup":
        if key == f"user:{self.request.user.pk}":
            return self.request.user
        principal = find_principal(self.request.user, self.org, subject_of_key(key))
        subject = principal.subject
        if subject.group_id:
            return groups_of(self.org).get(pk=subject.group_id)
        return members_of(self.org).get(pk=subject.user_id)

    def answer(self, form: CheckAccessForm, context: dict) -> int:
        data = form.cleaned_data
        node = Node(data["object_type"], data["object_id"])
        chain = resolve_chain(node)
        if chain is None or chain[-1].id != self.org.pk:
            form.add_error("object_id", "Choose an object from the list.")
            return 400
        subject = self.subject(data["principal"])
        try:
            to_explain(node, explains_self=subject == self.request.user).check(self.request, self.org.pk)
        except AccessDenied:
            context["refused_permission"] = "read_acls"
            return 403
        explanation = explain(subject, data["permission"], node)
        names = node_names(self.org, chain)
        context.update(self.elsewhere(subject, data["permission"], node.type))
        context.update(
            explanation=explanation,
            is_group=isinstance(subject, PermissionGroup),
            is_self=subject == self.request.user,
            object_label=f"{TYPE_LABELS[node.type]} {names[node]}",
            reasons=reason_views(self.org, explanation),
            grantors=explanation.grantors if self.flags.can_read_members else (),
            who_could_url=self.who_could_url(data) if subject != self.request.user and self.flags.can_read_audit_log else "",
        )
        return 200

    def who_could_url(self, data: dict) -> str:
        """The Who could page, asking the same of an earlier date (offered to whoever it would answer: read_acls
        on the object, which explaining someone else's access has just needed, and read on the audit log)."""
        query = {name: str(data[name]) for name in ("object_type", "object_id", "permission")}
        return f"{reverse('web:who-could', kwargs={'org_name': self.org.name})}?{urlencode(query)}"

    def elsewhere(self, subject: "User | PermissionGroup", permission: str, object_type: str) -> dict:
        """Every object of the type where the subject holds the permission, with why (the first
        :data:`ELSEWHERE_SHOWN`, newest first), when the person may ask that (:func:`to_ask_what_can`)."""
        try:
            for requirement in to_ask_what_can(self.org.pk, asks_of_self=subject == self.request.user):
                requirement.check(self.request, self.org.pk)
        except (AccessDenied, NotFound):
            return {}
        reaches, more = first_reaches(subject, permission, object_type, self.org.pk, ELSEWHERE_SHOWN)
        names = node_names(self.org, [reason.node for reach in reaches for reason in reach.reasons])
        return {
            "elsewhere": [(reach, [reason_view(reason, names) for reason in reach.reasons]) for reach in reaches],
            "elsewhere_more": more,
            "elsewhere_type": TYPE_LABELS[object_type],
        }


class CheckAccessObjects(CheckAccessPage):
    """GET (htmx): the Object field for the chosen object type."""

    def get(self, request, *args, **kwargs):
        form = CheckAccessForm(
            initial={"object_type": self.object_type()},
            principals=[],
            objects=nodes_visible_to(request.user, self.org, self.object_type()),
        )
        return render(request, "web/check_access_object_field.html", {"field": form["object_id"]})


urlpatterns = [
    path("check-access/", CheckAccessPage.as_view(), name="check-access"),
    path("check-access/objects/", CheckAccessObjects.as_view(), name="check-access-objects"),
]
