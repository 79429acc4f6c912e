"""What ``/v1/group`` and ``/v1/role`` share: an organization's objects addressed by name, with members.

Both follow the same Braintrust conventions, so one pair of views serves both, parameterised by a
:class:`NamedObjectKind` (the model, its serializers, its services and how its members are loaded):

* ``POST``: get or create by name. An existing object the caller can read is returned unmodified; one
  it cannot read is not revealed, and creating it is refused as "taken", as for anyone who may create.
* ``PUT``: create, or replace the description and members of the object with that name.
* ``GET`` (list): the objects the caller may read, restricted in the database, with name and ids filters.
* ``GET``, ``PATCH`` and ``DELETE`` on ``/{id}``: read, update and delete on the object.

Access is declared here and decided by :class:`permissions.drf.EngineAccess`; the services check again
as they write, in the same transaction as the audit event.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import OrgScopedView
from api.inputs import StrictSerializer
from api.pagination import paginate, parse_ids
from api.schema import DetailDocs, error_responses, list_parameters, object_detail_schema
from permissions.engine import Node
from permissions.exceptions import ValidationError
from permissions.requirements import NeedsCreate
from permissions.services.groups import lock_organization


@dataclass(frozen=True)
class NamedObjectKind:
    """How one kind of named object is read and written."""

    object_type: str  # "group" or "role": the AclObjectType, and the name used in messages and parameters
    model: type[Model]
    output: type[serializers.Serializer]
    create_input: type[StrictSerializer]
    patch_input: type[StrictSerializer]
    with_members: Callable[[list], list]  # loads the members of a page in a fixed number of queries
    create: Callable[..., Model]  # (request, org, validated create body) -> the new object
    replace: Callable[..., Model]  # (request, object with members, validated create body) -> the object
    update: Callable[..., Model]  # (request, object, validated patch body) -> the object
    delete: Callable[..., None]  # (request, object) -> None

    def json(self, obj: Model) -> dict:
        return self.output(self.with_members([obj])[0]).data


@dataclass(frozen=True)
class NamedObjectDocs:
    """What a kind's OpenAPI operations say beyond what the kind itself gives: their operation ids,
    summaries and parameters follow from the kind's name (``postGroup``, ``getGroupId``, ``group_name``)."""

    members: str  # what PUT replaces besides the description: "member users and member groups"
    list_output: Any  # the list's response shape, ``{"objects": [...]}``
    list_description: str
    patch_description: str
    delete_note: str  # what cannot be deleted: "Built-in groups cannot be deleted."


def named_object_schema(kind: NamedObjectKind, docs: NamedObjectDocs) -> tuple[Callable, Callable]:
    """The schema decorators of a kind's collection view and detail view, in Braintrust's words."""
    name, title = kind.object_type, kind.object_type.capitalize()
    tags, output, errors = [f"{title}s"], kind.output, error_responses(400, 401, 403, 404)
    collection = extend_schema_view(
        post=extend_schema(
            operation_id=f"post{title}",
            summary=f"Create {name}",
            description=f"Create a new {name}. If there is an existing {name} with the same name as the one specified in the "
            f"request, returns the existing {name} unmodified.",
            tags=tags,
            request=kind.create_input,
            responses={200: output, **errors},
        ),
        put=extend_schema(
            operation_id=f"put{title}",
            summary=f"Create or replace {name}",
            description=f"Create or replace {name}. If there is an existing {name} with the same name as the one specified in "
            f"the request, replaces its description, {docs.members} with the ones provided.",
            tags=tags,
            request=kind.create_input,
            responses={200: output, **errors},
        ),
        get=extend_schema(
            operation_id=f"get{title}",
            summary=f"List {name}s",
            description=docs.list_description,
            tags=tags,
            parameters=list_parameters(f"{name}_name", name),
            responses={200: docs.list_output, **error_responses(400, 401, 404)},
        ),
    )
    detail = object_detail_schema(
        name=name,
        operation=title,
        tag=tags[0],
        id_label=title,
        output=output,
        patch_input=kind.patch_input,
        docs=DetailDocs(
            get=f"Get a {name} object by its id.",
            patch=docs.patch_description,
            delete=f"Delete a {name} object by its id; answers the deleted {name}. {docs.delete_note}",
        ),
    )
    return collection, detail


class NamedObjectCollectionView(OrgScopedView):
    """``/v1/<kind>``: POST (get or create by name), PUT (create or replace), GET (list)."""

    kind: ClassVar[NamedObjectKind]
    object_permissions = {"POST": "read", "PUT": "update"}

    def requirements_post(self):
        self.body(self.kind.create_input)  # bad input is a 400 whoever asks
        return [NeedsCreate(self.kind.object_type, Node("organization", self.org.pk))]

    def _readable_by_name(self, name: str) -> Any:
        """The organization's object of that name, if the caller may read it (never a system role: creating
        a role named "owner" makes the organization's own)."""
        return self.visible_queryset().filter(org=self.org, name=name.strip()).first()

    def post(self, request: Request) -> Response:
        data = self.body(self.kind.create_input)
        existing = self._readable_by_name(data["name"])
        if existing is None:
            try:
                return Response(self.kind.json(self.kind.create(request, self.org, data)))
            except ValidationError:
                existing = self._readable_by_name(data["name"])  # made meanwhile by a concurrent request?
                if existing is None:
                    raise
        return Response(self.kind.json(self.checked(existing)))

    def put(self, request: Request) -> Response:
        data = self.body(self.kind.create_input)
        with transaction.atomic():
            existing = self._readable_by_name(data["name"])
            if existing is None:
                obj = self.kind.create(request, self.org, data)
            else:
                lock_organization(self.org.pk)  # the members read here are the ones replaced
                obj = self.kind.replace(request, self.kind.with_members([self.checked(existing)])[0], data)
        return Response(self.kind.json(obj))

    def get(self, request: Request) -> Response:
        params = request.query_params
        rows: QuerySet = self.visible_queryset(listing=True)
        name = params.get(f"{self.kind.object_type}_name")
        if name:
            rows = rows.filter(name=name)
        ids = parse_ids(params)
        if ids is not None:
            rows = rows.filter(pk__in=ids)
        page = self.kind.with_members(paginate(rows, params))
        return Response({"objects": self.kind.output(page, many=True).data})


class NamedObjectDetailView(OrgScopedView):
    """``/v1/<kind>/{id}``: GET, PATCH and DELETE."""

    kind: ClassVar[NamedObjectKind]
    object_permissions = {"GET": "read", "PATCH": "update", "DELETE": "delete"}

    def get(self, request: Request, **_path) -> Response:
        return Response(self.kind.json(self.get_object()))

    def patch(self, request: Request, **_path) -> Response:
        obj = self.get_object()
        return Response(self.kind.json(self.kind.update(request, obj, self.body(self.kind.patch_input))))

    def delete(self, request: Request, **_path) -> Response:
        obj = self.kind.with_members([self.get_object()])[0]
        obj.deleted_at = timezone.now()
        deleted = self.kind.output(obj).data  # before the row goes (and the instance loses its id)
        self.kind.delete(request, obj)
        return Response(deleted)
