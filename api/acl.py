"""``/v1/acl``: grants, one at a time, in batches, per object and per organization, and explanations."""

from django.contrib.auth import get_user_model
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import ApiView, node_in_caller_org
from api.pagination import paginate_list, parse_ids, parse_uuid
from permissions.engine import Node, explain
from permissions.exceptions import NotFound, ValidationError
from permissions.grants import GrantRecord, grant_records
from permissions.services.grants import (
    GrantSpec,
    acl_batch_update,
    acl_grant,
    acl_revoke,
    acl_revoke_matching,
    get_grant,
    validate_spec,
)
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


def _filters(request: Request) -> dict:
    filters = {name: ApiView.uuid_param(request, name) for name in _LIST_FILTERS}
    filters["permission"] = _choice(request, "permission", ALL_PERMISSIONS)
    filters["restrict_object_type"] = _choice(request, "restrict_object_type", ObjectType.values)
    return filters


class AclCollectionView(ApiView):
    """POST adds a grant (an identical one is returned as it is); GET lists a node's grants; DELETE
    removes the grant the body describes."""

    def post(self, request: Request) -> Response:
        spec = _spec(_body(request))
        self._in_org(request, spec)
        return Response(acl_json(acl_grant(actor=request.user, spec=spec)))

    def get(self, request: Request) -> Response:
        object_type = _choice(request, "object_type", ObjectType.values)
        if object_type is None:
            raise ValidationError("object_type is required.")
        node = Node(object_type, self.uuid_param(request, "object_id", required=True))
        self.require(request, "read_acls", node)
        records = grant_records(nodes=[node], **_filters(request))
        ids = parse_ids(request.query_params)
        if ids is not None:
            records = [r for r in records if r.id in set(ids)]
        return Response({"objects": [acl_json(r) for r in paginate_list(records, request.query_params)]})

    def delete(self, request: Request) -> Response:
        spec = _spec(_body(request))
        self._in_org(request, spec)
        return Response(acl_json(acl_revoke_matching(actor=request.user, spec=spec)))

    @staticmethod
    def _in_org(request: Request, spec: GrantSpec) -> None:
        validate_spec(spec)
        node_in_caller_org(request, Node(spec.object_type, spec.object_id))


class AclDetailView(ApiView):
    def get(self, request: Request, acl_id: str) -> Response:
        record = self._record(request, acl_id)
        self.require(request, "read_acls", record.node)
        return Response(acl_json(record))

    def delete(self, request: Request, acl_id: str) -> Response:
        record = self._record(request, acl_id)
        return Response(acl_json(acl_revoke(actor=request.user, grant_id=record.id)))

    @staticmethod
    def _record(request: Request, acl_id: str) -> GrantRecord:
        record = get_grant(parse_uuid(acl_id, "acl_id"))
        if record is None:
            raise NotFound("acl", acl_id)
        node_in_caller_org(request, record.node)
        return record


class AclBatchUpdateView(ApiView):
    """Adds and removes grants in one transaction: one refused item refuses all, and nothing is written.
    Adding an existing grant or removing a missing one has no effect."""

    def post(self, request: Request) -> Response:
        body = _body(request)
        unknown = set(body) - {"add_acls", "remove_acls"}
        if unknown:
            raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
        specs = {}
        for field in ("add_acls", "remove_acls"):
            items = body.get(field) or []
            if not isinstance(items, list):
                raise ValidationError(f"{field} must be a list.")
            specs[field] = [_spec(item) for item in items]
            for spec in specs[field]:
                AclCollectionView._in_org(request, spec)
        added, removed = acl_batch_update(actor=request.user, add=specs["add_acls"], remove=specs["remove_acls"])
        return Response({"added_acls": [acl_json(r) for r in added], "removed_acls": [acl_json(r) for r in removed]})


class AclListOrgView(ApiView):
    """Every grant in the caller's organization (needs read_acls on the organization)."""

    def get(self, request: Request) -> Response:
        org = self.org(request)
        self.require(request, "read_acls", Node("organization", org.pk))
        filters = _filters(request)
        object_type = _choice(request, "object_type", ObjectType.values)
        object_id = self.uuid_param(request, "object_id")
        records = grant_records(org_id=org.pk, **filters)
        if object_type:
            records = [r for r in records if r.object_type == object_type]
        if object_id:
            records = [r for r in records if r.object_id == object_id]
        ids = parse_ids(request.query_params)
        if ids is not None:
            records = [r for r in records if r.id in set(ids)]
        return Response({"objects": [acl_json(r) for r in paginate_list(records, request.query_params)]})


class AclExplainView(ApiView):
    """Why a principal may or may not do something: the engine's explanation. Needs read_acls on the
    node, except that everyone may explain their own access."""

    def get(self, request: Request) -> Response:
        object_type = _choice(request, "object_type", ObjectType.values)
        permission = _choice(request, "permission", ALL_PERMISSIONS)
        if object_type is None or permission is None:
            raise ValidationError("object_type, object_id and permission are required.")
        node = node_in_caller_org(request, Node(object_type, self.uuid_param(request, "object_id", required=True)))
        user_id = self.uuid_param(request, "user_id") or request.user.pk
        if user_id != request.user.pk:
            self.require(request, "read_acls", node)
        principal = get_user_model().objects.filter(pk=user_id, memberships__org=self.org(request)).first()
        if principal is None:
            raise NotFound("user", user_id)
        return Response(explanation_json(explain(principal, permission, node)))


def _ref(ref) -> dict:
    return {"id": str(ref.id), "name": ref.name}


def explanation_json(explanation) -> dict:
    return {
        "allowed": explanation.allowed,
        "is_member": explanation.is_member,
        "permission": explanation.permission,
        "object_type": explanation.node.type,
        "object_id": str(explanation.node.id),
        "principal": _ref(explanation.principal),
        "reasons": [
            {
                "acl": acl_json(reason.grant),
                "via_groups": [_ref(g) for g in reason.via_groups],
                "via_roles": [_ref(r) for r in reason.via_roles],
            }
            for reason in explanation.reasons
        ],
        "could_grant": [_ref(p) for p in explanation.grantors],
    }
