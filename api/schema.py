"""What the OpenAPI schema (``/v1/openapi.json``) needs beyond each view's own annotations.

* How the API authenticates, for drf-spectacular: ``bearerAuth`` (an ``sk-`` API key or a ``bt-st-``
  service token, the name Braintrust's spec uses) and ``cookieAuth`` (the web pages' login session). The
  extensions register themselves when this module is imported, which ``api.urls`` does.
* ``ApiSchema``: a schema class for /v1 views that keeps Braintrust's component names for request shapes
  and lets one view served at two paths have one operation id per path.
* Shared pieces of the views' annotations: the error body (``error_responses``), a path id
  (``id_parameter``), the list parameters (``list_parameters``), one operation in this API's
  conventions (``operation_schema``), the operations on a collection (``collection_operations_schema``) and
  those on one object by its id (``object_operations_schema``).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from drf_spectacular.drainage import get_override, has_override
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers
from rest_framework.fields import empty

from api.access_preview import DRY_RUN_HELP, PREVIEW_MEDIA_TYPE, AccessPreviewSerializer
from api.pagination import MAX_LIMIT

# Authentication


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "API key (sk-...) or service token (bt-st-...)",
            "description": "`Authorization: Bearer <token>`: a person's API key or a service account's token. "
            "A token acts in the organization it was made in, with exactly its principal's permissions.",
        }


class BrowserSessionScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.BrowserSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": "The web pages' login session; unsafe methods also need the CSRF token. Never a service account.",
        }


# Schema class


class ApiSchema(AutoSchema):
    """The schema of a /v1 view that opts in (``schema = ApiSchema()``).

    * A serializer that names its component (``@extend_schema_serializer(component_name=...)``) keeps that
      name as a request body too, so that Braintrust's ``AclItem`` is not renamed ``AclItemRequest``.
    * A view may set ``operation_ids`` (path to operation id) when it serves several paths, such as an
      alias, so that every operation keeps an id of its own.
    * A view that reads a body on DELETE (as Braintrust's ``DELETE /v1/acl`` does) sets ``delete_has_body``,
      so that the body its ``extend_schema(request=...)`` names is described; one whose PATCH body has
      required fields (as Braintrust's ``PatchView`` names the view's object) sets ``patch_has_required_fields``.
    * A method of a view's ``dry_run_methods`` gets the ``dry_run`` query parameter, and its 200 answer a
      second media type, ``PREVIEW_MEDIA_TYPE``, whose body is the ``AccessPreview`` a dry run answers
      (the ``application/json`` body stays the real call's, as clients made from Braintrust's shapes expect).
    """

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is not None and method in getattr(self.view, "dry_run_methods", ()):
            preview = self.resolve_serializer(AccessPreviewSerializer, "response")
            operation.setdefault("parameters", []).append(
                {"in": "query", "name": "dry_run", "schema": {"type": "boolean", "default": False}, "description": DRY_RUN_HELP}
            )
            answer = operation["responses"]["200"]
            answer["content"][PREVIEW_MEDIA_TYPE] = {"schema": preview.ref}
            answer["description"] = f"{answer.get('description') or ''} With `dry_run=true`: an `AccessPreview`, as {PREVIEW_MEDIA_TYPE}."
            answer["description"] = answer["description"].strip()
        return operation

    def _get_serializer_name(self, serializer, direction, bypass_extensions=False) -> str:
        if has_override(serializer, "component_name"):
            return get_override(serializer, "component_name")
        return super()._get_serializer_name(serializer, direction, bypass_extensions)

    def get_operation_id(self) -> str:
        by_path = getattr(self.view, "operation_ids", None) or {}
        return by_path.get(self.path) or super().get_operation_id()

    def _get_request_body(self, direction="request"):
        as_post = (self.method == "DELETE" and getattr(self.view, "delete_has_body", False)) or (
            self.method == "PATCH" and getattr(self.view, "patch_has_required_fields", False)
        )
        if not as_post:
            return super()._get_request_body(direction)
        # drf-spectacular describes bodies of PUT, PATCH and POST only, and a PATCH's with every field optional;
        # describe this one as a POST's.
        method, self.method = self.method, "POST"
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = method


# Errors


class ApiErrorDetailSerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="The HTTP status, repeated")
    message = serializers.CharField(help_text="What went wrong; on a 403, names the missing permission")
    missing_permission = serializers.CharField(required=False, help_text="On a 403: the permission the caller lacks")


class ApiErrorSerializer(serializers.Serializer):
    error = ApiErrorDetailSerializer()


_ERROR_DESCRIPTIONS = {
    400: "The request was refused (bad parameters or body); nothing was written",
    401: "No valid credential: missing, malformed, expired or revoked",
    403: "The caller sees the object but lacks the permission the message names",
    404: "No such object, or the caller holds no permission on it (the same body either way)",
    413: "The body is larger than this endpoint accepts; nothing was written",
    429: "Too many failed authentication attempts from this address; try again later",
}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """The error answers of an operation, for ``responses={200: ..., **error_responses(400, 401, 404)}``."""
    return {status: OpenApiResponse(ApiErrorSerializer, description=_ERROR_DESCRIPTIONS[status]) for status in statuses}


# Parameters


def id_parameter(name: str, label: str) -> OpenApiParameter:
    """The object id in the path, e.g. ``id_parameter("group_id", "Group")``."""
    return OpenApiParameter(name, OpenApiTypes.UUID, OpenApiParameter.PATH, description=f"{label} id")


ORG_NAME_PARAMETER = OpenApiParameter(
    "org_name", OpenApiTypes.STR, description="The organization to act in; a credential acts in its own organization only"
)


def pagination_parameters() -> list[OpenApiParameter]:
    """Braintrust's list conventions (``api.pagination``): limit, one cursor, ids."""
    return [
        OpenApiParameter(
            "limit",
            {"type": "integer", "minimum": 0, "maximum": MAX_LIMIT},
            description="Limit the number of objects to return",
        ),
        OpenApiParameter(
            "starting_after",
            OpenApiTypes.UUID,
            description="Pagination cursor id: the page after this object. Pass only one of starting_after and ending_before",
        ),
        OpenApiParameter(
            "ending_before",
            OpenApiTypes.UUID,
            description="Pagination cursor id: the page before this object. Pass only one of starting_after and ending_before",
        ),
        OpenApiParameter(
            "ids",
            OpenApiTypes.UUID,
            many=True,
            description="Filter search results to a particular set of object ids. Repeat the parameter, or separate ids with commas",
        ),
    ]


def list_parameters(name_parameter: str, kind: str) -> list[OpenApiParameter]:
    """The parameters of a list of `kind` objects filtered by name, e.g. ``list_parameters("group_name", "group")``."""
    return [
        *pagination_parameters(),
        OpenApiParameter(name_parameter, OpenApiTypes.STR, description=f"Name of the {kind} to search for"),
        ORG_NAME_PARAMETER,
    ]


# Operations


def operation_schema(
    operation_id: str, *, tag: str, summary: str, answer: Any, errors: tuple[int, ...] = (400, 401, 403, 404), **details: Any
) -> Callable:
    """The ``extend_schema`` of one operation in this API's conventions: one tag, the 200 answer, then the
    error answers the operation may give; `details` are the rest (``description``, ``parameters``, ``request``)."""
    return extend_schema(
        operation_id=operation_id, tags=[tag], summary=summary, responses={200: answer, **error_responses(*errors)}, **details
    )


def list_answer(name: str, item: type[serializers.Serializer], **item_details: Any) -> serializers.Serializer:
    """Braintrust's answer to a list, ``{"objects": [...]}`` of `item`, named ``<name>List``; `item_details`
    are the list field's own (``help_text``)."""
    return inline_serializer(f"{name}List", {"objects": item(many=True, **item_details)})


def operation_name(name: str) -> str:
    """An object's name as operation ids and tags spell it: "PromptSession" for "prompt_session"."""
    return "".join(part.capitalize() for part in name.split("_"))


def list_operation_schema(name: str, output: type[serializers.Serializer], **details: Any) -> Callable:
    """The ``GET`` that lists a ``/v1/<name>`` collection: ``getUser`` for `name` "user", tagged "Users",
    "List users", answering :func:`list_answer` of `output`; `details` as :func:`operation_schema` takes them."""
    operation = operation_name(name)
    return operation_schema(
        f"get{operation}", tag=f"{operation}s", summary=f"List {name}s", answer=list_answer(operation, output), **details
    )


def _operations_schema(operation_id: str, tag: str, descriptions: dict[str, str | None], by_method: dict[str, dict]) -> Callable:
    """The schema decorator of one operation for each method of `descriptions`, in this API's conventions:
    the id `operation_id` gives for the method (``"{method}ApiKey"``), and the method's summary, answer,
    parameters and request in `by_method`."""
    return extend_schema_view(
        **{
            method: operation_schema(operation_id.format(method=method), tag=tag, description=description, **by_method[method])
            for method, description in descriptions.items()
        }
    )


def collection_operations_schema(
    *, name: str, operation: str, tag: str, output: Any, created: Any, create_request: Any, descriptions: dict[str, str]
) -> Callable:
    """The schema decorator of the operations on a ``/v1/<name>`` collection, one for each method of
    `descriptions`: ``GET`` lists (``getApiKey`` for `operation` "ApiKey", answering :func:`list_answer`
    of `output`, filtered by ``<name>_name`` and paged), ``POST`` and ``PUT`` create from `create_request`
    and answer `created`. Declared kinds get theirs from :func:`api.named_objects.kind_schema`; this is for
    the collections that are not one."""
    by_method = {
        "get": {"summary": f"List {name}s", "answer": list_answer(operation, output), "parameters": list_parameters(f"{name}_name", name)},
        "post": {"summary": f"Create {name}", "answer": created, "request": create_request},
        "put": {"summary": f"Create or replace {name}", "answer": created, "request": create_request},
    }
    return _operations_schema(f"{{method}}{operation}", tag, descriptions, by_method)


@dataclass(frozen=True)
class DetailDocs:
    """Braintrust's words for the three operations on one object by its id."""

    get: str
    patch: str
    delete: str


def object_operations_schema(
    *,
    name: str,
    operation: str,
    tag: str,
    id_label: str,
    output: Any,
    descriptions: dict[str, str | None],
    requests: dict[str, Any] | None = None,
) -> Callable:
    """The schema decorator of the operations on one ``/v1/<name>/{id}`` object: one for each method of
    `descriptions`, e.g. ``operation_id`` ``getExperimentId`` for `operation` "Experiment" and method "get",
    with the request body `requests` names for that method, if any."""
    object_id, requests = [id_parameter(f"{name}_id", id_label)], requests or {}
    summaries = {"get": f"Get {name}", "patch": f"Partially update {name}", "delete": f"Delete {name}"}
    by_method = {
        method: {"summary": summary, "answer": output, "parameters": object_id, "request": requests.get(method, empty)}
        for method, summary in summaries.items()
    }
    return _operations_schema(f"{{method}}{operation}Id", tag, descriptions, by_method)


def object_detail_schema(*, name: str, operation: str, tag: str, id_label: str, output, patch_input, docs: DetailDocs) -> Callable:
    """The schema decorator of a ``/v1/<name>/{id}`` view: GET, PATCH and DELETE."""
    return object_operations_schema(
        name=name,
        operation=operation,
        tag=tag,
        id_label=id_label,
        output=output,
        descriptions={"get": docs.get, "patch": docs.patch, "delete": docs.delete},
        requests={"patch": patch_input, "delete": None},
    )
