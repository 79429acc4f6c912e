"""``/v1/acl``: grants, one at a time, in batches, per object and per organization, and explanations.

The serializers here describe Braintrust's shapes (``Acl``, ``AclItem``, ``AclBatchUpdateRequest``,
``AclBatchUpdateResponse``) for the OpenAPI schema; requests are parsed by ``GrantSpec`` and the services'
validation, so that every refusal carries the same message whichever way a grant arrives.

``expires_at`` is this server's addition to those shapes: a grant may carry an expiry (ISO 8601, with its
UTC offset, in the future), from which it counts for nothing; lists leave out grants whose expiry has
passed, and every ACL answered says its expiry (null: none).
"""

from functools import cached_property

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from accounts.selectors import may_read_members, member_in
from api.access_fields import OBJECT_TYPE_HELP, PERMISSION_HELP, AclObjectTypeField, PermissionField
from api.access_preview import preview_response
from api.base import OrgScopedView
from api.inputs import object_list
from api.pagination import paginate_list, parse_ids
from api.schema import ORG_NAME_PARAMETER, error_responses, id_parameter, pagination_parameters
from permissions.engine import Node, explain
from permissions.exceptions import NotFound, ValidationError
from permissions.grants import GrantRecord, grant_records
from permissions.models import PermissionGroup
from permissions.requirements import Needs, to_explain
from permissions.selectors import group_in
from permissions.services.grants import (
    GrantSpec,
    acl_batch_update,
    acl_grant,
    acl_revoke,
    acl_revoke_matching,
    get_grant,
    validate_spec,
)
from permissions.services.preview import acl_batch_update_preview
from permissions.types import ALL_PERMISSIONS, ObjectType

_LIST_FILTERS = ("user_id", "group_id", "role_id")


def acl_json(record: GrantRecord) -> dict:
    return {
        "id": str(record.id),
        "object_type": record.object_type,
        "object_id": str(record.object_id),
        "user_id": str(record.user_id) if record.user_id else None,
        "group_id": str(record.group_id) if record.group_id else None,
        "permission": record.permission,
        "restrict_object_type": record.restrict_object_type,
        "role_id": str(record.role_id) if record.role_id else None,
        "_object_org_id": str(record.org_id),
        "created": record.created.isoformat(),
        "expires_at": record.expires_at.isoformat() if record.expires_at else None,
    }


def _body(request: Request) -> dict:
    if not isinstance(request.data, dict):
        raise ValidationError("The request body must be a JSON object.")
    return request.data


def _spec(data) -> GrantSpec:
    if not isinstance(data, dict):
        raise ValidationError("Each ACL must be a JSON object.")
    return GrantSpec.from_dict(data)


def _choice(request: Request, name: str, choices) -> str | None:
    value = request.query_params.get(name) or None
    if value is not None and value not in choices:
        raise ValidationError(f"{name} must be one of {', '.join(choices)}, not {value!r}.")
    return value


def _filters(view: OrgScopedView) -> dict:
    filters = {name: view.uuid_param(name) for name in _LIST_FILTERS}
    filters["permission"] = _choice(view.request, "permission", ALL_PERMISSIONS)
    filters["restrict_object_type"] = _choice(view.request, "restrict_object_type", ObjectType.values)
    return filters


# Braintrust's shapes, for the schema.

_USER_HELP = "Id of the user the ACL applies to. Exactly one of `user_id` and `group_id` will be provided"
_GROUP_HELP = "Id of the group the ACL applies to. Exactly one of `user_id` and `group_id` will be provided"
_ROLE_HELP = "Id of the role the ACL grants. Exactly one of `permission` and `role_id` will be provided"
_ACL_PERMISSION_HELP = "Permission the ACL grants. Exactly one of `permission` and `role_id` will be provided"
_EXPIRES_IN_HELP = (
    "This server's addition to Braintrust's `AclItem`: when the grant stops counting, an ISO 8601 date and time with its "
    "UTC offset, in the future; null: never. Adding a grant that exists gives it this expiry; left out, a live grant keeps "
    "its own and one whose expiry has passed is renewed for good. Not accepted when removing a grant, nor on a grant to "
    "the Owners group"
)
_EXPIRES_OUT_HELP = (
    "This server's addition to Braintrust's `Acl`: when the grant stops counting; null: never. "
    "Lists leave out grants whose expiry has passed"
)
_RESTRICT_HELP = (
    "When setting a permission directly, optionally restricts the permission grant to just the specified object type. "
    "Cannot be set alongside a `role_id`."
)


@extend_schema_serializer(component_name="AclItem")
class AclItemSerializer(serializers.Serializer):
    """An ACL grants a certain permission or role to a certain user or group on an object.

    ACLs are inherited across the object hierarchy. To restrict a grant to a particular sub-object, specify
    `restrict_object_type`, as part of a direct permission grant."""

    object_type = AclObjectTypeField()
    object_id = serializers.UUIDField(help_text="The id of the object the ACL applies to")
    user_id = serializers.UUIDField(required=False, allow_null=True, help_text=_USER_HELP)
    group_id = serializers.UUIDField(required=False, allow_null=True, help_text=_GROUP_HELP)
    permission = PermissionField(required=False, allow_null=True, help_text=_ACL_PERMISSION_HELP)
    restrict_object_type = AclObjectTypeField(required=False, allow_null=True, help_text=_RESTRICT_HELP)
    role_id = serializers.UUIDField(required=False, allow_null=True, help_text=_ROLE_HELP)
    expires_at = serializers.DateTimeField(required=False, allow_null=True, help_text=_EXPIRES_IN_HELP)


@extend_schema_serializer(component_name="Acl")
class AclSerializer(serializers.Serializer):
    """An ACL grants a certain permission or role to a certain user or group on an object. Every field is
    present in an answer; the ones that do not apply are null."""

    id = serializers.UUIDField(help_text="Unique identifier for the acl")
    object_type = AclObjectTypeField()
    object_id = serializers.UUIDField(help_text="The id of the object the ACL applies to")
    user_id = serializers.UUIDField(allow_null=True, help_text=_USER_HELP)
    group_id = serializers.UUIDField(allow_null=True, help_text=_GROUP_HELP)
    permission = PermissionField(allow_null=True, help_text=_ACL_PERMISSION_HELP)
    restrict_object_type = AclObjectTypeField(allow_null=True, help_text=_RESTRICT_HELP)
    role_id = serializers.UUIDField(allow_null=True, help_text=_ROLE_HELP)
    _object_org_id = serializers.UUIDField(label="_object_org_id", help_text="The organization the ACL's referred object belongs to")
    created = serializers.DateTimeField(allow_null=True, help_text="Date of acl creation")
    expires_at = serializers.DateTimeField(allow_null=True, help_text=_EXPIRES_OUT_HELP)


@extend_schema_serializer(component_name="AclBatchUpdateRequest")
class AclBatchUpdateRequestSerializer(serializers.Serializer):
    add_acls = object_list(AclItemSerializer(), "ACLs to add; existing ones are left as they are, but for an `expires_at` given")
    remove_acls = object_list(AclItemSerializer(), "ACLs to remove; missing ones are ignored")


@extend_schema_serializer(component_name="AclBatchUpdateResponse")
class AclBatchUpdateResponseSerializer(serializers.Serializer):
    added_acls = AclSerializer(many=True, help_text="The ACLs added (or already present)")
    removed_acls = AclSerializer(many=True, help_text="The ACLs removed")


class AclExplanationRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class AclExplanationReasonSerializer(serializers.Serializer):
    acl = AclSerializer(help_text="A grant that yields the permission")
    via_groups = AclExplanationRefSerializer(many=True, help_text="The groups from the principal outwards to the grant's group")
    via_roles = AclExplanationRefSerializer(
        many=True, help_text="The roles from the granted role inwards to the one holding the permission"
    )


class AclExplanationSerializer(serializers.Serializer):
    allowed = serializers.BooleanField()
    is_member = serializers.BooleanField(help_text="Whether the principal is a member of the object's organization")
    permission = PermissionField()
    object_type = AclObjectTypeField()
    object_id = serializers.UUIDField()
    principal = AclExplanationRefSerializer()
    reasons = AclExplanationReasonSerializer(many=True)
    could_grant = AclExplanationRefSerializer(many=True, help_text="When denied: the members who hold create_acls on the object")


_ACL_LIST = inline_serializer("AclList", {"objects": AclSerializer(many=True, help_text="A list of acl objects")})

_ACL_ID = [id_parameter("acl_id", "Acl")]


def _uuid_query(name: str, description: str, **kwargs) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.UUID, description=description, **kwargs)


def _object_parameters(*, required: bool) -> list[OpenApiParameter]:
    return [
        OpenApiParameter("object_type", OpenApiTypes.STR, required=required, enum=ObjectType.values, description=OBJECT_TYPE_HELP),
        _uuid_query("object_id", "The id of the object the ACL applies to", required=required),
    ]


_FILTER_PARAMETERS = [
    _uuid_query("user_id", _USER_HELP),
    _uuid_query("group_id", _GROUP_HELP),
    OpenApiParameter("permission", OpenApiTypes.STR, enum=ALL_PERMISSIONS, description=PERMISSION_HELP),
    OpenApiParameter("restrict_object_type", OpenApiTypes.STR, enum=ObjectType.values, description=OBJECT_TYPE_HELP),
    _uuid_query("role_id", _ROLE_HELP),
]


def _object_node(view: OrgScopedView) -> Node:
    """The node the query names with object_type and object_id (both required)."""
    object_type = _choice(view.request, "object_type", ObjectType.values)
    if object_type is None:
        raise ValidationError("object_type is required.")
    return Node(object_type, view.uuid_param("object_id", required=True))


def _spec_node(spec: GrantSpec, *, removing: bool = False) -> Node:
    validate_spec(spec, removing=removing)
    return Node(spec.object_type, spec.object_id)


class AclCollectionView(OrgScopedView):
    """POST adds a grant (an identical one is returned as it is, one differing only in its expiry gets the
    expiry the request names); GET lists a node's live grants; DELETE removes the grant the body describes."""

    delete_has_body = True

    def requirements_get(self):
        return [Needs("read_acls", _object_node(self))]

    def requirements_post(self):
        return [Needs("create_acls", _spec_node(self.spec))]

    def requirements_delete(self):
        # Checked before looking the grant up, so that a caller who may not see the object cannot tell
        # whether a grant exists on it.
        return [Needs("delete_acls", _spec_node(self.spec, removing=True))]

    @cached_property
    def spec(self) -> GrantSpec:
        return _spec(_body(self.request))

    @extend_schema(
        operation_id="postAcl",
        summary="Create acl",
        description="Create a new acl. If there is an existing acl with the same contents as the one specified in the request, "
        "will return the existing acl unmodified, but for its `expires_at` (this server's addition), which takes the "
        "request's when the request names one (null included). Needs create_acls on the object.",
        tags=["Acls"],
        parameters=[ORG_NAME_PARAMETER],
        request=AclItemSerializer,
        responses={200: AclSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request) -> Response:
        return Response(acl_json(acl_grant(actor=request.user, spec=self.spec)))

    @extend_schema(
        operation_id="getAcl",
        summary="List acls",
        description="List out the acls on one object, most recently created first, leaving out those whose `expires_at` "
        "has passed. Needs read_acls on the object.",
        tags=["Acls"],
        parameters=[*pagination_parameters(), *_object_parameters(required=True), *_FILTER_PARAMETERS, ORG_NAME_PARAMETER],
        responses={200: _ACL_LIST, **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request) -> Response:
        records = grant_records(nodes=[_object_node(self)], **_filters(self))
        ids = parse_ids(request.query_params)
        if ids is not None:
            records = [r for r in records if r.id in set(ids)]
        return Response({"objects": [acl_json(r) for r in paginate_list(records, request.query_params)]})

    @extend_schema(
        operation_id="deleteAcl",
        summary="Delete single acl",
        description="Delete the acl the body describes, and answer it. Needs delete_acls on the object.",
        tags=["Acls"],
        parameters=[ORG_NAME_PARAMETER],
        request=AclItemSerializer,
        responses={200: AclSerializer, **error_responses(400, 401, 403, 404)},
    )
    def delete(self, request: Request) -> Response:
        return Response(acl_json(acl_revoke_matching(actor=request.user, spec=self.spec)))


class AclDetailView(OrgScopedView):
    """One grant by id. A grant on an object the caller holds nothing on is answered exactly like a
    missing id, so its answer never tells which object it is on."""

    object_type = "acl"
    lookup_url_kwarg = "acl_id"
    object_permissions = {"GET": "read_acls", "DELETE": "delete_acls"}

    def find_object(self, pk) -> GrantRecord | None:
        record = get_grant(pk)
        return record if record is not None and record.org_id == self.org.pk else None

    def object_node(self, record: GrantRecord) -> Node:
        return record.node

    @extend_schema(
        operation_id="getAclId",
        summary="Get acl",
        description="Get an acl object by its id. Needs read_acls on the acl's object.",
        tags=["Acls"],
        parameters=[*_ACL_ID, ORG_NAME_PARAMETER],
        responses={200: AclSerializer, **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request, acl_id: str) -> Response:
        return Response(acl_json(self.get_object()))

    @extend_schema(
        operation_id="deleteAclId",
        summary="Delete acl",
        description="Delete an acl object by its id, and answer it. Needs delete_acls on the acl's object.",
        tags=["Acls"],
        parameters=[*_ACL_ID, ORG_NAME_PARAMETER],
        request=None,
        responses={200: AclSerializer, **error_responses(400, 401, 403, 404)},
    )
    def delete(self, request: Request, acl_id: str) -> Response:
        record = self.get_object()
        return Response(acl_json(acl_revoke(actor=request.user, grant_id=record.id)))


class AclBatchUpdateView(OrgScopedView):
    """Adds and removes grants in one transaction: one refused item refuses all, and nothing is written.
    Adding an existing grant or removing a missing one has no effect. With ``?dry_run=true``, the same
    batch runs as a dry run and the answer is what it would change (:mod:`api.access_preview`)."""

    dry_run_methods = frozenset({"POST"})
    operation_ids = {"/v1/acl/batch_update": "aclBatchUpdate", "/v1/acl/batch-update": "aclBatchUpdateAlias"}

    @cached_property
    def specs(self) -> dict[str, list[GrantSpec]]:
        body = _body(self.request)
        unknown = set(body) - {"add_acls", "remove_acls"}
        if unknown:
            raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
        specs = {}
        for field in ("add_acls", "remove_acls"):
            items = body.get(field) or []
            if not isinstance(items, list):
                raise ValidationError(f"{field} must be a list.")
            specs[field] = [_spec(item) for item in items]
        return specs

    def requirements_post(self):
        return [
            *(Needs("create_acls", _spec_node(spec)) for spec in self.specs["add_acls"]),
            *(Needs("delete_acls", _spec_node(spec, removing=True)) for spec in self.specs["remove_acls"]),
        ]

    @extend_schema(
        summary="Batch update acls",
        description="Batch update acls. This operation is idempotent, so adding acls which already exist will have no effect "
        "(but for giving them the item's `expires_at`), and removing acls which do not exist will have no effect. It is "
        "atomic: if one item is refused, nothing is written. "
        "Needs create_acls on the objects of the added acls and delete_acls on those of the removed ones. "
        "`/v1/acl/batch-update` is an alias.",
        tags=["Acls"],
        parameters=[ORG_NAME_PARAMETER],
        request=AclBatchUpdateRequestSerializer,
        responses={200: AclBatchUpdateResponseSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request) -> Response:
        if self.dry_run:
            preview = acl_batch_update_preview(actor=request.user, add=self.specs["add_acls"], remove=self.specs["remove_acls"])
            return preview_response(preview)
        added, removed = acl_batch_update(actor=request.user, add=self.specs["add_acls"], remove=self.specs["remove_acls"])
        return Response({"added_acls": [acl_json(r) for r in added], "removed_acls": [acl_json(r) for r in removed]})


class AclListOrgView(OrgScopedView):
    """Every grant in the caller's organization (needs read_acls on the organization)."""

    def requirements_get(self):
        return [Needs("read_acls", Node("organization", self.org.pk))]

    @extend_schema(
        operation_id="aclListOrg",
        summary="List org acls",
        description="List all acls in the org, most recently created first, leaving out those whose `expires_at` has "
        "passed. This query requires the caller to have `read_acls` permission at the organization level.",
        tags=["Acls"],
        parameters=[*pagination_parameters(), *_object_parameters(required=False), *_FILTER_PARAMETERS, ORG_NAME_PARAMETER],
        responses={200: AclSerializer(many=True), **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request) -> Response:
        records = grant_records(org_id=self.org.pk, **_filters(self))
        object_type = _choice(request, "object_type", ObjectType.values)
        object_id = self.uuid_param("object_id")
        if object_type:
            records = [r for r in records if r.object_type == object_type]
        if object_id:
            records = [r for r in records if r.object_id == object_id]
        ids = parse_ids(request.query_params)
        if ids is not None:
            records = [r for r in records if r.id in set(ids)]
        # Braintrust's shape for this endpoint is a bare list of acls, not {"objects": [...]}.
        return Response([acl_json(r) for r in paginate_list(records, request.query_params)])


class AclExplainView(OrgScopedView):
    """Why a principal (a user, a service account or a group) may or may not do something: the engine's
    explanation.

    Explaining anyone else's access needs read_acls on the node. Everyone may explain their own access
    to a node they see (hold some permission on); a node they see nothing on stays "not found", so that
    the endpoint tells nobody that an object exists. Who could grant a missing permission is listed only
    to a caller who may read the organization's members.
    """

    @cached_property
    def node(self) -> Node:
        permission = _choice(self.request, "permission", ALL_PERMISSIONS)
        if permission is None or self.request.query_params.get("object_type") in (None, ""):
            raise ValidationError("object_type, object_id and permission are required.")
        return _object_node(self)

    @cached_property
    def subject(self) -> PermissionGroup | User:
        user_id, group_id = self.uuid_param("user_id"), self.uuid_param("group_id")
        if user_id and group_id:
            raise ValidationError("Pass only one of user_id and group_id.")
        if group_id:
            group = group_in(self.org, group_id)
            if group is None:
                raise NotFound("group", group_id)
            return group
        user_id = user_id or self.request.user.pk
        principal = member_in(self.org, user_id)
        if principal is None:
            raise NotFound("user", user_id)
        return principal

    def requirements_get(self):
        node = self.node
        explains_self = self.uuid_param("group_id") is None and self.uuid_param("user_id") in (None, self.request.user.pk)
        return [to_explain(node, explains_self=explains_self)]

    @extend_schema(
        operation_id="getAclExplain",
        summary="Explain access",
        description="Whether a principal (user, service account or group) holds a permission on an object, and why: each "
        "grant that yields it, with the groups and roles it comes through; when denied, who could grant it. Explaining "
        "anyone else's access needs read_acls on the object; anyone may explain their own access to an object they see.",
        tags=["Acls"],
        parameters=[
            *_object_parameters(required=True),
            OpenApiParameter("permission", OpenApiTypes.STR, required=True, enum=ALL_PERMISSIONS, description=PERMISSION_HELP),
            _uuid_query("user_id", "The principal (a user or service account) whose access to explain; the caller by default"),
            _uuid_query("group_id", "A group whose access to explain: what its membership alone carries"),
            ORG_NAME_PARAMETER,
        ],
        responses={200: AclExplanationSerializer, **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request) -> Response:
        explanation = explain(self.subject, _choice(request, "permission", ALL_PERMISSIONS), self.node)
        body = explanation_json(explanation)
        if not may_read_members(request.user, self.org):
            body["could_grant"] = []
        return Response(body)


def ref_json(ref) -> dict:
    return {"id": str(ref.id), "name": ref.name}


def explanation_json(explanation) -> dict:
    return {
        "allowed": explanation.allowed,
        "is_member": explanation.is_member,
        "permission": explanation.permission,
        "object_type": explanation.node.type,
        "object_id": str(explanation.node.id),
        "principal": ref_json(explanation.principal),
        "reasons": [reason_json(reason) for reason in explanation.reasons],
        "could_grant": [ref_json(p) for p in explanation.grantors],
    }


def reason_json(reason) -> dict:
    """One grant that yields a permission, with the groups and roles it comes through."""
    return {
        "acl": acl_json(reason.grant),
        "via_groups": [ref_json(g) for g in reason.via_groups],
        "via_roles": [ref_json(r) for r in reason.via_roles],
    }
