"""``/environment`` and ``/environment/{environment_id}``: the organization's environments, in Braintrust's
shapes and at its paths (outside ``/v1``, as Braintrust serves them).

Environments are settings of the organization, not nodes of the access hierarchy: every one of them is
read with read on the organization (every built-in group holds it, restricted to organization) and
changed with update on it ("Manage settings"), so the requirements cover whole lists and the organization
is the node behind each row. Writes go through :mod:`accounts.services.environments`.
"""

from functools import partial

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_serializer, extend_schema_view, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Environment
from accounts.services.environments import environment_create, environment_delete, environment_update
from api.base import OrgScopedView
from api.inputs import StrictCharField, StrictSerializer
from api.pagination import parse_ids
from api.schema import ORG_NAME_PARAMETER, id_parameter, operation_schema
from permissions.engine import Node
from permissions.requirements import Needs

_NAME = "Name of the environment"
_SLUG = "A url-friendly, unique identifier for the environment within an organization"
_DESCRIPTION = "Textual description of the environment"


@extend_schema_serializer(component_name="Environment")
class EnvironmentSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="Unique identifier for the environment")
    org_id = serializers.UUIDField(help_text="Unique identifier for the organization that the environment belongs under")
    name = serializers.CharField(help_text=_NAME)
    slug = serializers.CharField(help_text=_SLUG)
    description = serializers.CharField(allow_null=True, help_text=_DESCRIPTION)
    created = serializers.DateTimeField(allow_null=True, help_text="Date of environment creation")
    deleted_at = serializers.DateTimeField(
        allow_null=True, help_text="Date of environment deletion, or null if the environment is still active"
    )

    def to_representation(self, instance):
        shown = super().to_representation(instance)
        shown["description"] = shown["description"] or None
        return shown


@extend_schema_serializer(component_name="CreateEnvironment")
class CreateEnvironmentSerializer(StrictSerializer):
    """A new environment. Unknown fields are refused."""

    name = StrictCharField(min_length=1, max_length=255, help_text=_NAME)
    slug = StrictCharField(min_length=1, max_length=255, help_text=_SLUG)
    description = StrictCharField(required=False, allow_null=True, allow_blank=True, max_length=10_000, help_text=_DESCRIPTION)
    org_name = StrictCharField(
        required=False,
        allow_null=True,
        help_text="The organization the environment belongs in; a credential acts in its own organization only",
    )


@extend_schema_serializer(component_name="PatchEnvironment")
class PatchEnvironmentSerializer(StrictSerializer):
    """The changes to make; fields left out or null are left as they are. Unknown fields are refused."""

    name = StrictCharField(required=False, allow_null=True, min_length=1, max_length=255, help_text=_NAME)
    slug = StrictCharField(required=False, allow_null=True, min_length=1, max_length=255, help_text=_SLUG)
    description = StrictCharField(required=False, allow_null=True, allow_blank=True, max_length=10_000, help_text=_DESCRIPTION)


class _EnvironmentRows:
    """The organization's live environments; the organization is the node each one is read and changed through."""

    queryset = Environment.objects.all()
    object_type = "environment"

    def safely_get_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.filter(deleted_at__isnull=True)

    def object_node(self, environment: Environment) -> Node:
        return Node("organization", environment.org_id)


_TAG = "Environments"


@extend_schema_view(
    get=operation_schema(
        "listEnvironments",
        tag=_TAG,
        summary="List environments",
        description="List out all environments. The environments are sorted by creation date, with the most recently-created "
        "environments first.",
        answer=inline_serializer("EnvironmentList", {"objects": EnvironmentSerializer(many=True)}),
        errors=(400, 401, 403, 404),
        parameters=[
            OpenApiParameter("ids", OpenApiTypes.UUID, many=True, description="Filter by environment IDs"),
            OpenApiParameter("name", OpenApiTypes.STR, description="Filter by environment name"),
            ORG_NAME_PARAMETER,
        ],
    ),
    post=operation_schema(
        "createEnvironment",
        tag=_TAG,
        summary="Create environment",
        description="Create a new environment (Manage settings: update on the organization). A slug already taken in the "
        "organization is refused.",
        answer=EnvironmentSerializer,
        request=CreateEnvironmentSerializer,
    ),
)
class EnvironmentCollectionView(_EnvironmentRows, OrgScopedView):
    list_permission = None  # read on the organization, required below, covers every environment

    def requirements_get(self):
        return [Needs("read", Node("organization", self.org.pk))]

    def requirements_post(self):
        self.body(CreateEnvironmentSerializer)  # bad input is a 400 whoever asks
        return [Needs("update", Node("organization", self.org.pk))]

    def get(self, request: Request) -> Response:
        rows = self.visible_queryset()
        ids = parse_ids(request.query_params)
        if ids is not None:
            rows = rows.filter(pk__in=ids)
        if request.query_params.get("name"):
            rows = rows.filter(name=request.query_params["name"])
        return Response({"objects": EnvironmentSerializer(rows.order_by("-created", "-slug"), many=True).data})

    def post(self, request: Request) -> Response:
        data = self.body(CreateEnvironmentSerializer)
        environment = environment_create(
            actor=request.user, org=self.org, name=data["name"], slug=data["slug"], description=data.get("description")
        )
        return Response(EnvironmentSerializer(environment).data)


# What the operations on one environment say alike: their tag, the environment's id, and the answer.
_environment_operation = partial(
    operation_schema, tag=_TAG, answer=EnvironmentSerializer, parameters=[id_parameter("environment_id", "Environment")]
)


@extend_schema_view(
    get=_environment_operation("getEnvironment", summary="Get environment"),
    patch=_environment_operation(
        "updateEnvironment",
        summary="Partially update environment",
        description="Change the name, slug or description (Manage settings); fields left out or null are left as they are.",
        request=PatchEnvironmentSerializer,
    ),
    delete=_environment_operation(
        "deleteEnvironment",
        summary="Delete environment",
        description="Delete an environment (Manage settings); what was pinned to it is no longer found through it.",
        request=None,
    ),
)
class EnvironmentDetailView(_EnvironmentRows, OrgScopedView):
    lookup_url_kwarg = "environment_id"
    object_permissions = {"GET": "read", "PATCH": "update", "DELETE": "update"}

    def get(self, request: Request, **_path) -> Response:
        return Response(EnvironmentSerializer(self.get_object()).data)

    def patch(self, request: Request, **_path) -> Response:
        environment = self.get_object()
        data = self.body(PatchEnvironmentSerializer)
        changed = environment_update(
            actor=request.user, environment=environment, name=data.get("name"), slug=data.get("slug"), description=data.get("description")
        )
        return Response(EnvironmentSerializer(changed).data)

    def delete(self, request: Request, **_path) -> Response:
        return Response(EnvironmentSerializer(environment_delete(actor=request.user, environment=self.get_object())).data)


urlpatterns = [
    path("environment", EnvironmentCollectionView.as_view(), name="api-environment"),
    path("environment/<str:environment_id>", EnvironmentDetailView.as_view(), name="api-environment-detail"),
]
