"""``/environment-object/{object_type}/{object_id}[/{environment_slug}]``: which version of a prompt,
function or dataset each environment runs, at the paths Braintrust's SDK calls (outside ``/v1``).

``init_dataset(..., environment=...)`` reads ``GET .../dataset/{id}/{slug}`` for ``object_version`` and then
fetches the dataset at that version; ``load_prompt(..., environment=...)`` asks ``/v1/prompt`` directly
(:mod:`api.prompts`). A pin is read with read on the object and moved or removed with update on it
(:mod:`projects.services.environments`); an object the caller holds nothing on, an unknown environment and
an object pinned to nothing there are all "not found".
"""

from collections.abc import Callable
from functools import cached_property
from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_view, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import OrgScopedView
from api.inputs import StrictCharField, StrictSerializer
from api.prompts import FUNCTIONS, PROMPTS
from api.schema import ORG_NAME_PARAMETER, operation_schema
from permissions.engine import Node
from permissions.exceptions import NotFound, ValidationError
from projects.models import Dataset, Prompt
from projects.selectors import environment_by_slug, live_objects_of_org, live_pins_of, pinned_version
from projects.services.environments import environment_object_delete, environment_object_update, parse_object_version

# The object types of the path: what is looked up, among which rows (a prompt is a function of type prompt).
_ROWS = {"prompt": (Prompt, PROMPTS.rows), "function": (Prompt, FUNCTIONS.rows), "dataset": (Dataset, None)}


class PinBodySerializer(StrictSerializer):
    """The version to pin. Unknown fields are refused."""

    object_version = StrictCharField(max_length=32, help_text="The version to pin: an `_xact_id` of the object")


_VERSION = {"object_version": serializers.CharField(help_text="The pinned version: an `_xact_id` of the object")}
_PIN = inline_serializer("EnvironmentObject", _VERSION)
_PINS_LISTED = inline_serializer(
    "EnvironmentObjectPin",
    {
        "environment_id": serializers.UUIDField(),
        "environment_slug": serializers.CharField(),
        "environment_name": serializers.CharField(),
        **_VERSION,
    },
    many=True,
)
_PATH = [
    OpenApiParameter("object_type", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(_ROWS), description="The kind of object"),
    OpenApiParameter("object_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The object's id"),
    ORG_NAME_PARAMETER,
]
_SLUG = OpenApiParameter("environment_slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="The environment's slug")
_TAG = "Environments"


class _PinnedObjectView(OrgScopedView):
    """A view of one prompt, function or dataset of the organization, named by the path."""

    queryset = Prompt.objects.none()  # the rows come from the path's object type, in find_object
    org_field = None
    lookup_url_kwarg = "object_id"
    list_permission = None

    @cached_property
    def pinned_type(self) -> str:
        object_type = self.kwargs["object_type"]
        if object_type not in _ROWS:
            raise ValidationError(f"object_type must be one of {', '.join(_ROWS)}, not {object_type[:40]!r}.")
        self.object_type = object_type  # a missing object is reported under the path's name for it
        return object_type

    def find_object(self, pk: UUID):
        model, rows = _ROWS[self.pinned_type]
        found = live_objects_of_org(model, self.org).filter(pk=pk)
        return (found if rows is None else found.filter(rows)).select_related("project__org").first()

    def safely_get_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset


@extend_schema_view(
    get=operation_schema(
        "listEnvironmentObjects",
        tag=_TAG,
        summary="List an object's pinned versions",
        description="The version of the object pinned to each environment that pins one (read on the object).",
        answer=inline_serializer("EnvironmentObjectList", {"objects": _PINS_LISTED}),
        parameters=_PATH,
    )
)
class EnvironmentObjectListView(_PinnedObjectView):
    object_permissions = {"GET": "read"}

    def get(self, request: Request, **_path) -> Response:
        node = Node.of(self.get_object())
        pins = live_pins_of(self.org.pk, node)
        return Response(
            {
                "objects": [
                    {
                        "environment_id": pin.environment_id,
                        "environment_slug": pin.environment.slug,
                        "environment_name": pin.environment.name,
                        "object_version": str(pin.object_version),
                    }
                    for pin in pins
                ]
            }
        )


def _pin_operation(operation_id: str, summary: str, description: str, **request: Any) -> Callable:
    """An operation on an object's pin in one environment: the path names the object and the environment,
    and the answer is the pinned version."""
    return operation_schema(
        operation_id, tag=_TAG, summary=summary, description=description, answer=_PIN, parameters=[*_PATH, _SLUG], **request
    )


@extend_schema_view(
    get=_pin_operation(
        "getEnvironmentObject",
        "Get the version pinned to an environment",
        "The version of the object pinned to the environment (read on the object); 404 when none is pinned.",
    ),
    put=_pin_operation(
        "putEnvironmentObject",
        "Pin a version to an environment",
        "Pin a version of the object to the environment, or move its pin (update on the object). The version must be one the object has.",
        request=PinBodySerializer,
    ),
    delete=_pin_operation(
        "deleteEnvironmentObject",
        "Unpin an object from an environment",
        "Remove the object's pin from the environment (update on the object); answers the version it pinned.",
        request=None,
    ),
)
class EnvironmentObjectView(_PinnedObjectView):
    object_permissions = {"GET": "read", "PUT": "update", "DELETE": "update"}

    def environment(self):
        slug = self.kwargs["environment_slug"]
        environment = environment_by_slug(self.org.pk, slug)
        if environment is None:
            raise NotFound("environment", slug[:255])
        return environment

    def get(self, request: Request, **_path) -> Response:
        obj = self.get_object()
        environment = self.environment()
        version = pinned_version(environment, Node.of(obj))
        if version is None:
            raise NotFound("environment object", f"{self.pinned_type}/{obj.pk}/{environment.slug}")
        return Response({"object_version": str(version)})

    def put(self, request: Request, **_path) -> Response:
        obj = self.get_object()
        version = parse_object_version(self.body(PinBodySerializer)["object_version"])
        pin = environment_object_update(actor=request.user, environment=self.environment(), obj=obj, object_version=version)
        return Response({"object_version": str(pin.object_version)})

    def delete(self, request: Request, **_path) -> Response:
        pin = environment_object_delete(actor=request.user, environment=self.environment(), obj=self.get_object())
        return Response({"object_version": str(pin.object_version)})


urlpatterns = [
    path("environment-object/<str:object_type>/<str:object_id>", EnvironmentObjectListView.as_view(), name="api-environment-objects"),
    path(
        "environment-object/<str:object_type>/<str:object_id>/<str:environment_slug>",
        EnvironmentObjectView.as_view(),
        name="api-environment-object",
    ),
]
