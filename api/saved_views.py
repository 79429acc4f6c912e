"""``/v1/view``: saved views of an object's table, in Braintrust's shapes (``View``, ``CreateView``,
``PatchView``, ``DeleteView``).

Every request names the object the view belongs to (``object_type`` and ``object_id``: in the query on
GET, in the body otherwise), as Braintrust's does. The object must be live and of the caller's
organization; a view is read with read on its object and written with update on it (the reasons are in
:mod:`projects.services.views`). So the views declare the object as the node behind each view
(``object_node``), and lists are of one object's views, restricted by the engine in the database.

* ``POST``: get or create by name among the object's views of that ``view_type``. An existing view is
  returned unmodified to whoever may read the object; making one needs update on it.
* ``PUT``: create, or replace the view with that name (update on the object).
* ``GET`` (list), and ``GET``, ``PATCH`` (deep-merging ``view_data`` and ``options``) and ``DELETE`` on
  ``/{view_id}``. A view id with another object than the one the request names is "not found".
"""

from functools import cached_property
from typing import Any, ClassVar
from uuid import UUID

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.access_fields import OBJECT_TYPE_HELP, AclObjectTypeField
from api.inputs import StrictCharField, StrictSerializer, StrictUUIDField
from api.named_objects import Kind, KindDocs, ObjectCollectionView, ObjectDetailView, get_or_create, kind_schema
from api.schema import ORG_NAME_PARAMETER
from permissions.engine import Node
from permissions.exceptions import NotFound, ValidationError
from permissions.requirements import Needs
from permissions.types import ObjectType
from projects.models import View, ViewType
from projects.selectors import live_node, view_named, views_readable_by
from projects.services import views as services

_VIEW_TYPE_HELP = "Type of object that the view corresponds to."
_OBJECT_ID_HELP = "The id of the object the view applies to"
_NAME_HELP = "Name of the view"
_USER_HELP = "Identifies the user who created the view. Accepted and ignored: a view records the caller who made it"
_DELETED_HELP = "Date of role deletion, or null if the role is still active"

# Shapes

_SEARCH_LIST = {"type": "array", "nullable": True, "items": {"nullable": True}}
_VIEW_DATA_SCHEMA = {
    "type": "object",
    "nullable": True,
    "properties": {
        "search": {
            "type": "object",
            "nullable": True,
            "properties": {name: _SEARCH_LIST for name in services.SEARCH_FIELDS},
        },
        "custom_charts": {"nullable": True},
    },
    "description": "The view definition",
}
_MEASURE = {
    "type": "object",
    "nullable": True,
    "properties": {"type": {"type": "string", "enum": list(services.MEASURE_TYPES)}, "value": {"type": "string"}},
    "required": ["type", "value"],
}
_NULLABLE_STRING = {"type": "string", "nullable": True}
_NULLABLE_BOOLEAN = {"type": "boolean", "nullable": True}
_VIEW_OPTIONS_SCHEMA = {
    "nullable": True,
    "description": "Options for the view in the app",
    "anyOf": [
        {
            "type": "object",
            "title": "MonitorViewOptions",
            "properties": {
                "viewType": {"type": "string", "enum": ["monitor"]},
                "options": {
                    "type": "object",
                    "properties": {
                        "spanType": {"type": "string", "nullable": True, "enum": ["range", "frame"]},
                        "rangeValue": _NULLABLE_STRING,
                        "frameStart": _NULLABLE_STRING,
                        "frameEnd": _NULLABLE_STRING,
                        "tzUTC": _NULLABLE_BOOLEAN,
                        "chartVisibility": {"type": "object", "nullable": True, "additionalProperties": {"type": "boolean"}},
                        "projectId": _NULLABLE_STRING,
                        "type": {"type": "string", "nullable": True, "enum": ["project", "experiment"]},
                        "groupBy": _NULLABLE_STRING,
                    },
                },
                "freezeColumns": _NULLABLE_BOOLEAN,
            },
            "required": ["viewType", "options"],
        },
        {
            "type": "object",
            "title": "TableViewOptions",
            "properties": {
                "columnVisibility": {"type": "object", "nullable": True, "additionalProperties": {"type": "boolean"}},
                "columnOrder": {"type": "array", "nullable": True, "items": {"type": "string"}},
                "columnSizing": {"type": "object", "nullable": True, "additionalProperties": {"type": "number"}},
                "grouping": _NULLABLE_STRING,
                "rowHeight": _NULLABLE_STRING,
                "tallGroupRows": _NULLABLE_BOOLEAN,
                "layout": _NULLABLE_STRING,
                "topicMapReportKey": _NULLABLE_STRING,
                "chartHeight": {"type": "number", "nullable": True},
                "excludedMeasures": {"type": "array", "nullable": True, "items": _MEASURE},
                "yMetric": _MEASURE,
                "xAxis": _MEASURE,
                "symbolGrouping": _MEASURE,
                "xAxisAggregation": {**_NULLABLE_STRING, "description": "One of 'avg', 'sum', 'min', 'max', 'median', 'all'"},
                "chartAnnotations": {
                    "type": "array",
                    "nullable": True,
                    "items": {
                        "type": "object",
                        "properties": {"id": {"type": "string"}, "text": {"type": "string"}},
                        "required": ["id", "text"],
                    },
                },
                "timeRangeFilter": {
                    "nullable": True,
                    "anyOf": [
                        {"type": "string"},
                        {
                            "type": "object",
                            "properties": {"from": {"type": "string"}, "to": {"type": "string"}},
                            "required": ["from", "to"],
                        },
                    ],
                },
                "queryShape": {"type": "string", "nullable": True, "enum": ["traces", "spans", "topics"]},
                "cluster": _NULLABLE_STRING,
                "freezeColumns": _NULLABLE_BOOLEAN,
            },
        },
    ],
}


@extend_schema_field(
    {"type": "string", "nullable": True, "enum": list(ViewType.values), "description": _VIEW_TYPE_HELP}, component_name="ViewType"
)
class ViewTypeField(serializers.ChoiceField):
    """Braintrust's ``ViewType``, or null."""

    def __init__(self, **kwargs) -> None:
        super().__init__(choices=ViewType.values, allow_null=True, **kwargs)


@extend_schema_field(_VIEW_DATA_SCHEMA, component_name="ViewData")
class ViewDataField(serializers.JSONField):
    """Any JSON value; the service checks that it is a view definition."""


@extend_schema_field(_VIEW_OPTIONS_SCHEMA, component_name="ViewOptions")
class ViewOptionsField(serializers.JSONField):
    """Any JSON value; the service checks that it is a monitor's or a table's options."""


@extend_schema_field({"type": "string", "format": "date-time", "nullable": True, "description": _DELETED_HELP})
class DeletedAtField(serializers.Field):
    """Null, but in the answer of a DELETE: when the view was deleted."""

    def __init__(self, **kwargs) -> None:
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, view: View) -> str | None:
        deleted_at = getattr(view, "deleted_at", None)
        return deleted_at.isoformat() if deleted_at else None


@extend_schema_serializer(component_name="View")
class ViewSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True, help_text="Unique identifier for the view")
    object_type = AclObjectTypeField(read_only=True)
    object_id = serializers.UUIDField(read_only=True, help_text=_OBJECT_ID_HELP)
    view_type = ViewTypeField(read_only=True)
    name = serializers.CharField(read_only=True, help_text=_NAME_HELP)
    created = serializers.DateTimeField(read_only=True, allow_null=True, help_text="Date of view creation")
    view_data = ViewDataField(read_only=True, allow_null=True)
    options = ViewOptionsField(read_only=True, allow_null=True)
    user_id = serializers.UUIDField(
        source="created_by_id", read_only=True, allow_null=True, help_text="Identifies the user who created the view"
    )
    deleted_at = DeletedAtField()


class _NamesObject(StrictSerializer):
    """What every request body names: the object the view belongs to."""

    object_type = AclObjectTypeField(help_text=OBJECT_TYPE_HELP)
    object_id = StrictUUIDField(help_text=_OBJECT_ID_HELP)


@extend_schema_serializer(component_name="CreateView")
class CreateViewSerializer(_NamesObject):
    """A new view, or the new contents of the view with that name and type on the object. Unknown fields are refused."""

    view_type = ViewTypeField()
    name = StrictCharField(max_length=255, help_text=_NAME_HELP)
    view_data = ViewDataField(required=False, allow_null=True)
    options = ViewOptionsField(required=False, allow_null=True)
    user_id = StrictUUIDField(required=False, allow_null=True, help_text=_USER_HELP)
    deleted_at = serializers.DateTimeField(required=False, allow_null=True, help_text=f"{_DELETED_HELP}. Accepted and ignored")


@extend_schema_serializer(component_name="PatchView")
class PatchViewSerializer(_NamesObject):
    """The changes to make to a view; fields left out or null are left as they are, and ``view_data`` and
    ``options`` are deep-merged into the stored ones. Unknown fields are refused."""

    view_type = ViewTypeField(required=False)
    name = StrictCharField(required=False, allow_null=True, max_length=255, help_text=_NAME_HELP)
    view_data = ViewDataField(required=False, allow_null=True)
    options = ViewOptionsField(required=False, allow_null=True)
    user_id = StrictUUIDField(required=False, allow_null=True, help_text=_USER_HELP)


@extend_schema_serializer(component_name="DeleteView")
class DeleteViewSerializer(_NamesObject):
    """The object whose view is deleted."""


# The kind


def _update(request: Request, view: View, data: dict) -> View:
    given = {field: data[field] for field in ("view_type", "view_data", "options") if data.get(field) is not None}
    return services.view_update(actor=request.user, view=view, name=data.get("name"), merge=True, **given)


def _delete(request: Request, view: View) -> View:
    deleted = services.view_delete(actor=request.user, view=view)
    deleted.deleted_at = timezone.now()
    return deleted


def _filter_by_view_type(rows: QuerySet, params) -> QuerySet:
    view_type = params.get("view_type")
    if view_type in (None, ""):
        return rows
    if view_type not in ViewType.values:
        raise ValidationError(f"view_type must be one of {', '.join(ViewType.values)}, not {view_type!r}.")
    return rows.filter(view_type=view_type)


VIEWS = Kind(
    object_type="view",
    model=View,
    output=ViewSerializer,
    create_input=CreateViewSerializer,
    patch_input=PatchViewSerializer,
    update=_update,
    delete=_delete,
    in_project=False,
    list_filter=_filter_by_view_type,
)


def _object_parameters() -> list[OpenApiParameter]:
    return [
        OpenApiParameter("object_type", OpenApiTypes.STR, required=True, enum=ObjectType.values, description=OBJECT_TYPE_HELP),
        OpenApiParameter("object_id", OpenApiTypes.UUID, required=True, description="The id of the object the ACL applies to"),
    ]


_VIEW_TYPE_PARAMETER = OpenApiParameter("view_type", OpenApiTypes.STR, enum=ViewType.values, description=_VIEW_TYPE_HELP)

_collection_schema, _detail_schema = kind_schema(
    VIEWS,
    KindDocs(
        post="Create a new view. If there is an existing view with the same name as the one specified in the request, will "
        "return the existing view unmodified. Needs update on the object (read, to be answered an existing view).",
        put="Create or replace view. If there is an existing view with the same name as the one specified in the request, "
        "will replace the existing view with the provided fields. Needs update on the object.",
        list="List out all views of one object. The views are sorted by creation date, with the most recently-created views "
        "coming first. Needs read on the object.",
        list_parameters=(_VIEW_TYPE_PARAMETER, *_object_parameters()),
        get="Get a view object by its id. Needs read on its object.",
        get_parameters=(*_object_parameters(), ORG_NAME_PARAMETER),
        patch="Partially update a view object. Specify the fields to update in the payload. Any object-type fields will be "
        "deep-merged with existing content. Currently we do not support removing fields or setting them to null. Needs update "
        "on its object.",
        delete="Delete a view object by its id; answers the deleted view. Needs update on its object.",
        delete_request=DeleteViewSerializer,
    ),
)


# The views


class _ViewsOfAnObject:
    """A view's node is its object: access to the view is access to the object."""

    def object_node(self, view: View) -> Node:
        return Node(view.object_type, view.object_id)


@_collection_schema
class ViewCollectionView(_ViewsOfAnObject, ObjectCollectionView):
    """``/v1/view``: POST (get or create by name), PUT (create or replace), GET (one object's views)."""

    kind = VIEWS
    list_permission = None  # the list is of one object's views, restricted by views_readable_by
    object_permissions: ClassVar[dict[str, str | None]] = {"POST": "read", "PUT": "update"}

    @cached_property
    def listed_object(self) -> Node:
        """The live object the list's query names (object_type and object_id, both required)."""
        object_type = self.request.query_params.get("object_type") or None
        if object_type is None:
            raise ValidationError("object_type is required.")
        if object_type not in ObjectType.values:
            raise ValidationError(f"object_type must be one of {', '.join(ObjectType.values)}, not {object_type!r}.")
        return live_node(self.org, object_type, self.uuid_param("object_id", required=True))

    @cached_property
    def target_object(self) -> Node:
        """The live object the body names."""
        data = self.body(CreateViewSerializer)
        return live_node(self.org, data["object_type"], data["object_id"])

    def safely_get_queryset(self, queryset: QuerySet) -> QuerySet:
        return views_readable_by(self.request.user, self.org, node=self.listed_object)

    def _existing(self) -> View | None:
        """The view of the body's object, type and name, whoever may see it: the requirements decide what follows."""
        data, node = self.body(CreateViewSerializer), self.target_object
        return view_named(node, data["view_type"], data["name"].strip())

    def requirements_get(self):
        return [Needs("read", self.listed_object)]

    def requirements_post(self):
        return [Needs("read" if self._existing() is not None else "update", self.target_object)]

    def requirements_put(self):
        return [Needs("update", self.target_object)]

    def _create(self) -> View:
        data, node = self.body(CreateViewSerializer), self.target_object
        return services.view_create(
            actor=self.request.user,
            org=self.org,
            object_type=node.type,
            object_id=node.id,
            name=data["name"],
            view_type=data["view_type"],
            view_data=data.get("view_data"),
            options=data.get("options"),
        )

    def post(self, request: Request) -> Response:
        return self.found_or_created(self._existing, self._create)

    def put(self, request: Request) -> Response:
        data = self.body(CreateViewSerializer)
        view, created = get_or_create(self._existing, self._create)
        if not created:
            view = services.view_update(
                actor=request.user, view=self.checked(view), view_data=data.get("view_data"), options=data.get("options")
            )
        return Response(self.kind.json(view))


@_detail_schema
class ViewDetailView(_ViewsOfAnObject, ObjectDetailView):
    """``/v1/view/{view_id}``: GET (read on the object), PATCH and DELETE (update on the object)."""

    kind = VIEWS
    object_permissions: ClassVar[dict[str, str | None]] = {"GET": "read", "PATCH": "update", "DELETE": "update"}
    delete_has_body = True
    patch_has_required_fields = True

    @cached_property
    def named_object(self) -> tuple[str, UUID]:
        """The object the request names: in the query on GET, in the body on PATCH and DELETE."""
        if self.request.method in ("GET", "HEAD"):
            object_type = self.request.query_params.get("object_type") or None
            if object_type is None:
                raise ValidationError("object_type is required.")
            if object_type not in ObjectType.values:
                raise ValidationError(f"object_type must be one of {', '.join(ObjectType.values)}, not {object_type!r}.")
            return object_type, self.uuid_param("object_id", required=True)
        data = self.body(PatchViewSerializer if self.request.method == "PATCH" else DeleteViewSerializer)
        return data["object_type"], data["object_id"]

    def _parsed(self) -> list:
        """Nothing beyond the object permissions on the view's object; but bad input is a 400 whoever asks."""
        _ = self.named_object
        return []

    requirements_get = requirements_patch = requirements_delete = _parsed

    def find_object(self, pk: UUID) -> Any:
        view = self.get_queryset().filter(pk=pk).first()
        if view is None or (view.object_type, view.object_id) != self.named_object:
            return None
        try:
            live_node(self.org, view.object_type, view.object_id)
        except NotFound:  # the object was deleted: so, for the caller, was its view
            return None
        return view


urlpatterns = VIEWS.urls(ViewCollectionView, ViewDetailView)
