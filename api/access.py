"""``/v1/access/...``: questions about access that Braintrust's API does not answer, beside its endpoints.

``GET /v1/access/who_can`` turns the explain endpoint round: for a node and a permission, every member
(person or service account) and every group of the organization that holds it, each with every grant that
gives it and the groups and roles it comes through. It is the engine's :func:`permissions.engine.holders`,
readable by whoever may read the node's grants (read_acls), as explaining someone else's access is.
"""

from functools import cached_property

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.acl import AclExplanationReasonSerializer, AclExplanationRefSerializer, reason_json, ref_json
from api.base import OrgScopedView
from api.pagination import paginate_list
from api.schema import ORG_NAME_PARAMETER, error_responses, pagination_parameters
from permissions.engine import Holder, Node, holders
from permissions.engine.explain import HOLDER_KINDS
from permissions.exceptions import ValidationError
from permissions.requirements import Needs
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

    @extend_schema(
        operation_id="getAccessWhoCan",
        summary="Who can",
        description="This server's addition: every member (person or service account) and every group of the "
        "organization that holds `permission` on the object, each with every grant that gives it, the groups it "
        "reaches through (from the principal outwards) and the roles that yield it. A group is listed when its "
        "membership alone gives the permission. People first, then service accounts, then groups, each by name; "
        "`starting_after` and `ending_before` take a principal's id. Needs read_acls on the object.",
        tags=["Access"],
        parameters=[
            OpenApiParameter("object_type", OpenApiTypes.STR, required=True, enum=ObjectType.values, description="The object's type"),
            OpenApiParameter("object_id", OpenApiTypes.UUID, required=True, description="The object's id"),
            OpenApiParameter("permission", OpenApiTypes.STR, required=True, enum=ALL_PERMISSIONS, description="The permission"),
            *pagination_parameters(),
            ORG_NAME_PARAMETER,
        ],
        responses={200: HolderList, **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request) -> Response:
        found = holders(self.permission, self.node)
        order = {holder.id: position for position, holder in enumerate(found)}
        page = paginate_list(found, request.query_params, key=lambda holder: -order[holder.id])
        return Response({"objects": [holder_json(holder) for holder in page]})
