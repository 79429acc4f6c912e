"""``/v1/access/...``: questions about access that Braintrust's API does not answer, beside its endpoints.

``GET /v1/access/who_can`` turns the explain endpoint round: for a node and a permission, every member
(person or service account) and every group of the organization that holds it, each with every grant that
gives it and the groups and roles it comes through. It is the engine's :func:`permissions.engine.holders`,
readable by whoever may read the node's grants (read_acls), as explaining someone else's access is.

``GET /v1/access/what_can`` asks the other way: for a principal and a permission, every node of one type
where it holds it, with the same reasons, restricted and paged in the database
(:mod:`permissions.engine.what_can`). Anyone may ask it of themselves; asking it of another member or of a
group needs read_acls on the organization, as reading the organization's grants does.

``GET /v1/access/who_could`` asks who-can of an earlier instant, from the audit log
(:mod:`permissions.engine.history`), with who gained and who lost the permission since and the events that
changed it. It reads the audit log, so it needs read on org_audit_logs besides read_acls on the node.
"""

from datetime import datetime
from functools import cached_property

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.selectors import member_in
from api.access_fields import AclObjectTypeField
from api.acl import AclExplanationReasonSerializer, AclExplanationRefSerializer, reason_json, ref_json
from api.base import OrgScopedView
from api.pagination import paginate, paginate_list
from api.schema import ORG_NAME_PARAMETER, error_responses, pagination_parameters
from permissions.engine import Holder, Node, Reach, explain_reach, holders, reachable_rows, who_could
from permissions.engine.explain import HOLDER_KINDS
from permissions.exceptions import NotFound, ValidationError
from permissions.requirements import Needs, to_ask_what_can, to_ask_who_could
from permissions.selectors import group_in
from permissions.types import ALL_PERMISSIONS, ObjectType


class HolderSerializer(serializers.Serializer):
    principal_type = serializers.ChoiceField(HOLDER_KINDS, help_text="A person (user), a service account or a group")
    principal = AclExplanationRefSerializer()
    reasons = AclExplanationReasonSerializer(many=True, help_text="Every grant that gives the permission, and the way it reaches")


HolderList = inline_serializer(
    name="AccessHolderList", fields={"objects": HolderSerializer(many=True, help_text="People, then service accounts, then groups")}
)


def holder_json(holder: Holder) -> dict:
    return {"principal_type": holder.kind, "principal": ref_json(holder.ref), "reasons": [reason_json(r) for r in holder.reasons]}


# The object a question about one object names.
OBJECT_PARAMETERS = [
    OpenApiParameter("object_type", OpenApiTypes.STR, required=True, enum=ObjectType.values, description="The object's type"),
    OpenApiParameter("object_id", OpenApiTypes.UUID, required=True, description="The object's id"),
]


def access_question_schema(operation_id: str, summary: str, description: str, parameters: list, answer):
    """The schema of a ``/v1/access`` question: its own parameters, then the permission asked about, the
    list's paging and the organization."""
    permission = OpenApiParameter("permission", OpenApiTypes.STR, required=True, enum=ALL_PERMISSIONS, description="The permission")
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        description=description,
        tags=["Access"],
        parameters=[*parameters, permission, *pagination_parameters(), ORG_NAME_PARAMETER],
        responses={200: answer, **error_responses(400, 401, 403, 404)},
    )


def holders_page(found: list[Holder], request: Request) -> list[Holder]:
    """One page of holders, kept in the engine's order (people, service accounts, groups, each by name), the
    cursor a principal's id."""
    order = {holder.id: position for position, holder in enumerate(found)}
    return paginate_list(found, request.query_params, key=lambda holder: -order[holder.id])


def _required_choice(request: Request, name: str, choices) -> str:
    value = request.query_params.get(name) or None
    if value is None:
        raise ValidationError({name: f"{name} is required."})
    if value not in choices:
        raise ValidationError({name: f"{name} must be one of {', '.join(choices)}, not {value!r}."})
    return value


class WhoCanView(OrgScopedView):
    """Who holds a permission on a node, and through what. Needs read_acls on the node: a caller who sees
    nothing of it gets "not found", one who sees it without read_acls a 403 naming read_acls."""

    @cached_property
    def node(self) -> Node:
        object_type = _required_choice(self.request, "object_type", ObjectType.values)
        return Node(object_type, self.uuid_param("object_id", required=True))

    @cached_property
    def permission(self) -> str:
        return _required_choice(self.request, "permission", ALL_PERMISSIONS)

    def requirements_get(self):
        self.permission  # noqa: B018 (a bad permission is a 400 before the node is looked at)
        return [Needs("read_acls", self.node)]

    @access_question_schema(
        "getAccessWhoCan",
        "Who can",
        "This server's addition: every member (person or service account) and every group of the "
        "organization that holds `permission` on the object, each with every grant that gives it, the groups it "
        "reaches through (from the principal outwards) and the roles that yield it. A group is listed when its "
        "membership alone gives the permission. People first, then service accounts, then groups, each by name; "
        "`starting_after` and `ending_before` take a principal's id. Needs read_acls on the object.",
        OBJECT_PARAMETERS,
        HolderList,
    )
    def get(self, request: Request) -> Response:
        return Response({"objects": [holder_json(holder) for holder in holders_page(holders(self.permission, self.node), request)]})


class ReachSerializer(serializers.Serializer):
    object_type = AclObjectTypeField(help_text="The node's type")
    object_id = serializers.UUIDField(help_text="The node's id (for a virtual node, the id of what it hangs on)")
    name = serializers.CharField(help_text="The name of the node (or of what it hangs on)")
    reasons = AclExplanationReasonSerializer(many=True, help_text="Every grant that gives the permission, and the way it reaches")


ReachList = inline_serializer(name="AccessReachList", fields={"objects": ReachSerializer(many=True, help_text="Newest first")})


def reach_json(reach: Reach) -> dict:
    return {
        "object_type": reach.node.type,
        "object_id": str(reach.node.id),
        "name": reach.name,
        "reasons": [reason_json(r) for r in reach.reasons],
    }


class WhatCanView(OrgScopedView):
    """Every node of one type where a principal holds a permission, and through what. The caller's own
    principal by default; another member (``user_id``) or a group (``group_id``) needs read_acls on the
    organization, and one that is not of the organization is "not found"."""

    @cached_property
    def object_type(self) -> str:
        return _required_choice(self.request, "object_type", ObjectType.values)

    @cached_property
    def permission(self) -> str:
        return _required_choice(self.request, "permission", ALL_PERMISSIONS)

    @cached_property
    def asks_of_another(self) -> bool:
        user_id, group_id = self.uuid_param("user_id"), self.uuid_param("group_id")
        if user_id is not None and group_id is not None:
            raise ValidationError({"group_id": "Pass only one of user_id and group_id."})
        return group_id is not None or (user_id is not None and user_id != self.request.user.pk)

    def principal(self):
        """The member or group asked about: the caller, unless ``user_id`` or ``group_id`` names another."""
        user_id, group_id = self.uuid_param("user_id"), self.uuid_param("group_id")
        if group_id is not None:
            group = group_in(self.org, group_id)
            if group is None:
                raise NotFound("group", group_id)
            return group
        if user_id is None or user_id == self.request.user.pk:
            return self.request.user
        member = member_in(self.org, user_id)
        if member is None:
            raise NotFound("user", user_id)
        return member

    def requirements_get(self):
        self.object_type, self.permission  # noqa: B018 (bad parameters are a 400 before access is looked at)
        return to_ask_what_can(self.org.pk, asks_of_self=not self.asks_of_another)

    @access_question_schema(
        "getAccessWhatCan",
        "What can",
        "This server's addition: every node of `object_type` in the organization where a principal "
        "holds `permission`, each with every grant that gives it, the groups it reaches through (from the "
        "principal outwards) and the roles that yield it. The principal is the caller, or the member `user_id` "
        "(a person or a service account), or the group `group_id` (what its membership alone carries). Asking "
        "about another principal needs read_acls on the organization. Newest first; `starting_after` and "
        "`ending_before` take a node's id (for a virtual node, the id of what it hangs on).",
        [
            OpenApiParameter("object_type", OpenApiTypes.STR, required=True, enum=ObjectType.values, description="The type of the nodes"),
            OpenApiParameter("user_id", OpenApiTypes.UUID, description="A member (person or service account); the caller if left out"),
            OpenApiParameter("group_id", OpenApiTypes.UUID, description="A group of the organization, instead of a member"),
        ],
        ReachList,
    )
    def get(self, request: Request) -> Response:
        principal = self.principal()
        rows = paginate(reachable_rows(principal, self.permission, self.object_type, self.org.pk), request.query_params)
        found = explain_reach(principal, self.permission, self.object_type, rows, self.org.pk)
        return Response({"objects": [reach_json(reach) for reach in found]})


WHO_COULD_CHANGES_LISTED = 50


class PastAccessSerializer(serializers.Serializer):
    at = serializers.DateTimeField(help_text="The instant asked about (now, if a later one was asked)")
    existed = serializers.BooleanField(help_text="Whether the object existed then (if not, nobody could)")
    objects = HolderSerializer(many=True, help_text="Who held the permission then, with the reasons of then")
    gained_since = HolderSerializer(many=True, help_text="Who holds it now and did not then, with today's reasons")
    lost_since = HolderSerializer(many=True, help_text="Who held it then and does not now, with the reasons of then")
    changes = inline_serializer(
        name="PastAccessChanges",
        fields={
            "count": serializers.IntegerField(help_text="How many events since changed access there"),
            "events": inline_serializer(
                name="PastAccessChange",
                many=True,
                fields={
                    "id": serializers.UUIDField(),
                    "created": serializers.DateTimeField(),
                    "action": serializers.CharField(),
                    "actor": serializers.CharField(allow_blank=True, help_text="The actor's email then"),
                    "target_type": serializers.CharField(),
                    "target_id": serializers.CharField(allow_blank=True),
                    "target_name": serializers.CharField(allow_blank=True),
                },
                help_text=f"The first {WHO_COULD_CHANGES_LISTED}, newest first",
            ),
        },
    )


def _instant(request: Request, name: str) -> datetime:
    raw = request.query_params.get(name) or None
    if raw is None:
        raise ValidationError({name: f"{name} is required."})
    try:
        value = parse_datetime(raw)
    except ValueError:
        value = None
    if value is None:
        raise ValidationError({name: f"{name} must be an ISO 8601 date and time, not {raw!r}."})
    if timezone.is_naive(value):
        raise ValidationError({name: f"{name} needs a time zone (for example {raw}Z)."})
    return value


def change_json(event) -> dict:
    return {
        "id": str(event.pk),
        "created": event.created.isoformat(),
        "action": event.action,
        "actor": event.actor_email,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target_name": event.target_name,
    }


class WhoCouldView(WhoCanView):
    """Who held a permission on a node at an earlier instant, from the audit log. Needs read_acls on the
    node, as who-can does, and read on the organization's audit log, which it reads."""

    @cached_property
    def at(self) -> datetime:
        return _instant(self.request, "at")

    def requirements_get(self):
        self.at, self.permission  # noqa: B018 (a bad instant or permission is a 400 before the node is looked at)
        return to_ask_who_could(self.node, self.org.pk)

    @access_question_schema(
        "getAccessWhoCould",
        "Who could",
        "This server's addition: who-can at an earlier instant `at`, rebuilt from the audit log (every change "
        "to grants, groups, roles and memberships since, undone), with who gained and who lost the permission "
        "since and the events that changed access there. Paged like who-can. Needs read_acls on the object and "
        "read on the organization's audit log.",
        [*OBJECT_PARAMETERS, OpenApiParameter("at", OpenApiTypes.DATETIME, required=True, description="The instant, with its time zone")],
        PastAccessSerializer,
    )
    def get(self, request: Request) -> Response:
        past = who_could(self.permission, self.node, self.at)
        page = holders_page(past.holders, request)
        return Response(
            {
                "at": past.at.isoformat(),
                "existed": past.existed,
                "objects": [holder_json(holder) for holder in page],
                "gained_since": [holder_json(holder) for holder in past.gained],
                "lost_since": [holder_json(holder) for holder in past.lost],
                "changes": {"count": past.changes_count, "events": [change_json(e) for e in past.changes[:WHO_COULD_CHANGES_LISTED]]},
            }
        )
