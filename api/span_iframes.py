"""``/v1/span_iframe``: a project's span iframes, in Braintrust's shapes.

Like tags and scores, span iframes are not nodes of the access hierarchy: they are read with read on
their project and added, changed and removed with update on it. So they are a
:class:`api.project_config.ConfigKind`, served by the same views: ``POST`` gets or creates by name in
``project_id``, ``PUT`` creates or replaces, ``GET`` lists the span iframes of the projects the caller may
read (filtered by ``span_iframe_name`` and ``ids``, as Braintrust's list is), and ``/{span_iframe_id}``
answers ``GET``, ``PATCH`` and ``DELETE``.

Where a span iframe may point is the service's rule (:func:`projects.services.span_iframes.check_iframe_url`),
so that the API, the pages and the admin refuse the same URLs with the same 400 naming ``url``.
"""

from dataclasses import dataclass

from django.utils import timezone
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request

from api.inputs import StrictBooleanField, StrictCharField, StrictSerializer
from api.named_objects import KindDocs, kind_schema
from api.project_config import BlankAsNullCharField, ConfigCollectionView, ConfigDetailView, ConfigKind, config_create_fields
from projects.models import Project, SpanIframe
from projects.models.span_iframes import URL_MAX_LENGTH
from projects.services import span_iframes

_NAME = "Name of the span iframe"
_DESCRIPTION = "Textual description of the span iframe"
_URL = "URL to embed the project viewer in an iframe"
_POST_MESSAGE = (
    "Whether to post messages to the iframe containing the span's data. This is useful when you want to render more "
    "data than fits in the URL."
)
_PROJECT = "Unique identifier for the project that the span iframe belongs under"


@extend_schema_serializer(component_name="SpanIFrame")
class SpanIframeSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True, help_text="Unique identifier for the span iframe")
    project_id = serializers.UUIDField(read_only=True, help_text=_PROJECT)
    user_id = serializers.UUIDField(
        source="created_by_id", read_only=True, allow_null=True, help_text="Identifies the user who created the span iframe"
    )
    created = serializers.DateTimeField(read_only=True, allow_null=True, help_text="Date of span iframe creation")
    deleted_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Date of span iframe deletion, or null if the span iframe is still active"
    )
    name = serializers.CharField(read_only=True, help_text=_NAME)
    description = BlankAsNullCharField(read_only=True, allow_null=True, help_text=_DESCRIPTION)
    url = serializers.CharField(read_only=True, help_text=_URL)
    post_message = serializers.BooleanField(read_only=True, allow_null=True, help_text=_POST_MESSAGE)


@extend_schema_serializer(component_name="CreateSpanIFrame")
class CreateSpanIframeSerializer(config_create_fields("span iframe")):
    """A new span iframe, or the new contents of the one with that name in the project. Unknown fields are refused."""

    url = StrictCharField(max_length=URL_MAX_LENGTH, help_text=_URL + " (https only)")
    post_message = StrictBooleanField(required=False, allow_null=True, help_text=_POST_MESSAGE)


@extend_schema_serializer(component_name="PatchSpanIFrame")
class PatchSpanIframeSerializer(StrictSerializer):
    """The changes to make to a span iframe; fields left out or null are left as they are. Unknown fields are refused."""

    name = StrictCharField(required=False, allow_null=True, min_length=1, max_length=255, help_text=_NAME)
    url = StrictCharField(required=False, allow_null=True, max_length=URL_MAX_LENGTH, help_text=_URL + " (https only)")
    post_message = StrictBooleanField(required=False, allow_null=True, help_text=_POST_MESSAGE)
    description = StrictCharField(required=False, allow_null=True, allow_blank=True, help_text=_DESCRIPTION)


def _create(request: Request, project: Project, data: dict) -> SpanIframe:
    return span_iframes.span_iframe_create(
        actor=request.user,
        project=project,
        name=data["name"],
        url=data["url"],
        description=data.get("description") or "",
        post_message=data.get("post_message"),
    )


def _replace(request: Request, iframe: SpanIframe, data: dict) -> SpanIframe:
    """PUT: the fields given, and the defaults of those left out."""
    return span_iframes.span_iframe_update(
        actor=request.user,
        iframe=iframe,
        url=data["url"],
        description=data.get("description") or "",
        post_message=data.get("post_message"),
    )


def _update(request: Request, iframe: SpanIframe, data: dict) -> SpanIframe:
    """PATCH: fields left out or null are left as they are."""
    changes = {field: data.get(field) for field in ("name", "url", "description")}
    if data.get("post_message") is not None:
        changes["post_message"] = data["post_message"]
    return span_iframes.span_iframe_update(actor=request.user, iframe=iframe, **changes)


@dataclass(frozen=True, kw_only=True)
class SpanIframeKind(ConfigKind):
    """Span iframes are removed for good; the DELETE answer says when, as Braintrust's ``deleted_at``."""

    def deleted_json(self, request: Request, obj: SpanIframe) -> dict:
        obj.deleted_at = timezone.now()
        shown = self.json(obj)  # before the row goes
        self.delete(request, obj)
        return shown


SPAN_IFRAMES = SpanIframeKind(
    object_type="span_iframe",
    label="span_iframe",
    model=SpanIframe,
    output=SpanIframeSerializer,
    create_input=CreateSpanIframeSerializer,
    patch_input=PatchSpanIframeSerializer,
    create=_create,
    replace=_replace,
    update=_update,
    delete=lambda request, iframe: span_iframes.span_iframe_delete(actor=request.user, iframe=iframe),
    in_project=False,  # Braintrust's list filters by name and ids only
)

_collection, _detail = kind_schema(
    SPAN_IFRAMES,
    KindDocs(
        post="Create a new span_iframe. If there is an existing span_iframe with the same name as the one specified in the "
        "request, will return the existing span_iframe unmodified",
        put="Create or replace span_iframe. If there is an existing span_iframe with the same name as the one specified in "
        "the request, will replace the existing span_iframe with the provided fields",
        list="List out all span_iframes of the projects the caller may read. The span_iframes are sorted by creation date, "
        "with the most recently-created span_iframes coming first",
        get="Get a span_iframe object by its id",
        patch="Partially update a span_iframe object. Specify the fields to update in the payload.",
        delete="Delete a span_iframe object by its id",
    ),
)


@_collection
class SpanIframeCollectionView(ConfigCollectionView):
    kind = SPAN_IFRAMES


@_detail
class SpanIframeDetailView(ConfigDetailView):
    kind = SPAN_IFRAMES


urlpatterns = SPAN_IFRAMES.urls(SpanIframeCollectionView, SpanIframeDetailView)
