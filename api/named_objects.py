"""The views of the /v1 API's named objects: each kind is declared once, as a :class:`Kind`, and served by
one pair of views that every kind shares.

A kind says what it is called (in paths, parameters, messages and the schema), its shapes, its model and
its services. What follows from that is alike for every kind, in Braintrust's conventions:

* ``POST /v1/<kind>``: get or create by name. An existing object the caller can read is returned
  unmodified; a create refused because a concurrent request made the object meanwhile answers that one.
* ``PUT /v1/<kind>`` (for kinds that have it): create, or replace the object with that name.
* ``GET /v1/<kind>``: the objects the caller may read, restricted in the database, filtered by name, by
  ``ids`` and, for the contents of projects, by ``project_id`` and ``project_name``; newest first, paged.
* ``GET``, ``PATCH`` and ``DELETE`` on ``/v1/<kind>/{<kind>_id}``.
* the routes and the OpenAPI operations of all of these (:func:`kind_schema`, :meth:`Kind.urls`).

The organization's objects with members (``/v1/group``, ``/v1/role``) are a :class:`NamedObjectKind`
served by :class:`NamedObjectCollectionView` and :class:`NamedObjectDetailView`; the contents of projects
use :class:`ProjectObjectScope` and :class:`BodyProject`.

Access is declared here and decided by :class:`permissions.drf.EngineAccess`; the services check again
as they write, in the same transaction as the audit event.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar, TypeVar

from django.db import transaction
from django.db.models import Model, QuerySet
from django.urls import URLPattern, path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import OrgScopedView
from api.inputs import StrictSerializer
from api.pagination import paginate, parse_ids
from api.schema import ORG_NAME_PARAMETER, error_responses, id_parameter, list_answer, operation_name, pagination_parameters
from permissions.engine import Node
from permissions.exceptions import NotFound, ValidationError
from permissions.requirements import NeedsCreate
from permissions.services.groups import lock_organization
from projects.models import Project
from projects.selectors import live_projects_of

T = TypeVar("T")


# The declared kind


@dataclass(frozen=True, kw_only=True)
class Kind:
    """How one kind of named object is called, read and written."""

    object_type: str  # the AclObjectType, and the name in paths, parameters and messages: "prompt_session"
    model: type[Model]
    output: type[serializers.Serializer]
    create_input: type[StrictSerializer]
    patch_input: type[StrictSerializer]
    update: Callable[..., Any]  # (request, object, validated patch body) -> the object
    delete: Callable[..., Any]  # (request, object) -> the deleted object (None if the row is gone)
    in_project: bool = True  # lists of it filter by project_id and project_name
    answers_row_as_it_was: bool = False  # DELETE answers the object as it was before, not as the service leaves it
    list_filter: Callable[[QuerySet, Any], QuerySet] | None = None  # (rows, query parameters) -> the kind's own list filters
    label: str = ""  # the kind in the schema's words, where not its object_type: "playground"
    tag: str = ""  # the schema's tag, where not the operation's name and an "s"
    id_label: str = ""  # the path id's label, where not the operation's name

    @property
    def noun(self) -> str:
        return self.label or self.object_type

    @property
    def operation(self) -> str:
        """The kind in operation ids: "PromptSession" for "prompt_session"."""
        return operation_name(self.object_type)

    def loaded(self, objects: list) -> list:
        """`objects` with what their answers show beyond their rows, loaded in a fixed number of queries."""
        return objects

    def json(self, obj: Any) -> dict:
        return self.output(self.loaded([obj])[0]).data

    def page_json(self, page: list) -> list:
        return self.output(self.loaded(page), many=True).data

    def deleted_json(self, request: Request, obj: Any) -> dict:
        """Deletes `obj` and answers it, as it was or as the service leaves it (a soft delete's ``deleted_at``)."""
        if self.answers_row_as_it_was:
            shown = self.json(obj)  # before the row goes
            self.delete(request, obj)
            return shown
        return self.json(self.delete(request, obj))

    def list_parameters(self) -> list[OpenApiParameter]:
        project = [
            OpenApiParameter("project_name", OpenApiTypes.STR, description="Name of the project to search for"),
            OpenApiParameter("project_id", OpenApiTypes.UUID, description="Project id"),
        ]
        return [
            *pagination_parameters(),
            OpenApiParameter(f"{self.object_type}_name", OpenApiTypes.STR, description=f"Name of the {self.noun} to search for"),
            *(project if self.in_project else []),
            ORG_NAME_PARAMETER,
        ]

    def urls(self, collection: type[OrgScopedView], detail: type[OrgScopedView]) -> list[URLPattern]:
        """``/v1/<object_type>`` and ``/v1/<object_type>/<<object_type>_id>``, named ``api-<object-type>[-detail]``."""
        route, name = f"v1/{self.object_type}", f"api-{self.object_type.replace('_', '-')}"
        return [
            path(route, collection.as_view(), name=name),
            path(f"{route}/<str:{self.object_type}_id>", detail.as_view(), name=f"{name}-detail"),
        ]


def patch_through(service: Callable[..., Any], object_keyword: str, *fields: str) -> Callable[[Request, Any, dict], Any]:
    """A kind's `update` for Braintrust's PATCH: `service` is given the caller, the object (as
    `object_keyword`) and each of the body's `fields`, None where the body leaves it out or sends null,
    which the services take as "leave it as it is"."""

    def update(request: Request, obj: Any, data: dict) -> Any:
        return service(actor=request.user, **{object_keyword: obj}, **{field: data.get(field) for field in fields})

    return update


@dataclass(frozen=True)
class KindDocs:
    """Braintrust's words for a kind's operations, and what its schema has beyond what the kind gives."""

    post: str
    list: str
    get: str
    patch: str
    delete: str
    put: str | None = None  # None: the kind is not replaced by name
    list_output: Any = None  # the list's answer, where not ``{"objects": [...]}`` of the kind's output
    list_item_help: str = ""  # the help of the list's ``objects``, where not "A list of <kind> objects"
    list_parameters: tuple[OpenApiParameter, ...] = ()  # besides the paging, name and project filters
    get_parameters: tuple[OpenApiParameter, ...] = ()  # besides the id, on GET by id
    delete_request: Any = None  # the body DELETE by id reads, where it reads one (the view sets delete_has_body)


def kind_schema(kind: Kind, docs: KindDocs) -> tuple[Callable, Callable]:
    """The schema decorators of a kind's collection view and detail view: operation ids, summaries, tags
    and parameters follow from the kind's names (``postPromptSession``, "Create playground")."""
    noun, operation = kind.noun, kind.operation

    def on(
        operation_id: str,
        summary: str,
        description: str,
        *,
        answer: Any = kind.output,
        errors: tuple[int, ...] = (400, 401, 403, 404),
        **details: Any,
    ) -> Callable:
        return extend_schema(
            operation_id=operation_id,
            summary=summary,
            description=description,
            tags=[kind.tag or f"{operation}s"],
            responses={200: answer, **error_responses(*errors)},
            **details,
        )

    listed = docs.list_output or list_answer(operation, kind.output, help_text=docs.list_item_help or f"A list of {noun} objects")
    collection = {
        "post": on(f"post{operation}", f"Create {noun}", docs.post, request=kind.create_input),
        "put": on(f"put{operation}", f"Create or replace {noun}", docs.put, request=kind.create_input) if docs.put else None,
        "get": on(
            f"get{operation}",
            f"List {noun}s",
            docs.list,
            answer=listed,
            errors=(400, 401, 404),
            parameters=[*kind.list_parameters(), *docs.list_parameters],
        ),
    }
    object_id = [id_parameter(f"{kind.object_type}_id", kind.id_label or operation)]
    detail = extend_schema_view(
        get=on(f"get{operation}Id", f"Get {noun}", docs.get, parameters=[*object_id, *docs.get_parameters]),
        patch=on(f"patch{operation}Id", f"Partially update {noun}", docs.patch, parameters=object_id, request=kind.patch_input),
        delete=on(f"delete{operation}Id", f"Delete {noun}", docs.delete, parameters=object_id, request=docs.delete_request),
    )
    return extend_schema_view(**{method: schema for method, schema in collection.items() if schema}), detail


# The views


def get_or_create(find: Callable[[], T | None], create: Callable[[], T]) -> tuple[T, bool]:
    """What `find` answers, else what `create` makes, and whether it was made.

    Two requests may look for the same name at once and both try to create it: the unique constraint
    refuses the second, which then answers the object the first made.
    """
    existing = find()
    if existing is not None:
        return existing, False
    try:
        return create(), True
    except ValidationError:
        existing = find()  # made meanwhile by a concurrent request?
        if existing is None:
            raise
        return existing, False


class KindView(OrgScopedView):
    """A view of one declared kind: unless it says otherwise, its rows are the kind's model's, and a missing
    object is reported under the kind's name."""

    kind: ClassVar[Kind]

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        declared = vars(cls)
        if "kind" in declared:
            cls.object_type = declared["kind"].object_type
            if "queryset" not in declared:
                cls.queryset = declared["kind"].model.objects.all()


class ObjectCollectionView(KindView):
    """``/v1/<kind>``: GET (list); the kind's POST and PUT get or create through :meth:`found_or_created`."""

    restricts_as_listing: ClassVar[bool] = True  # a page of objects, see :func:`permissions.engine.lists.restrict`

    def filtered(self, rows: QuerySet, *, by_name: bool = True) -> QuerySet:
        """`rows` narrowed by the request's list filters (`by_name`: with ``<kind>_name``)."""
        params = self.request.query_params
        name = params.get(f"{self.kind.object_type}_name")
        if by_name and name:
            rows = rows.filter(name=name)
        if self.kind.in_project:
            project_id = self.uuid_param("project_id")
            if project_id is not None:
                rows = rows.filter(project_id=project_id)
            if params.get("project_name"):
                rows = rows.filter(project__name=params["project_name"])
        ids = parse_ids(params)
        if ids is not None:
            rows = rows.filter(pk__in=ids)
        return rows if self.kind.list_filter is None else self.kind.list_filter(rows, params)

    def get(self, request: Request) -> Response:
        rows = self.filtered(self.visible_queryset(listing=self.restricts_as_listing))
        return Response({"objects": self.kind.page_json(paginate(rows, request.query_params))})

    def found_or_created(self, find: Callable[[], Any], create: Callable[[], Any]) -> Response:
        """The answer of a get-or-create: the object made, or the existing one once the caller may have it."""
        obj, created = get_or_create(find, create)
        return Response(self.kind.json(obj if created else self.checked(obj)))


class ObjectDetailView(KindView):
    """``/v1/<kind>/{<kind>_id}``: GET, PATCH and DELETE."""

    object_permissions = {"GET": "read", "PATCH": "update", "DELETE": "delete"}

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" in vars(cls):
            cls.lookup_url_kwarg = f"{cls.kind.object_type}_id"

    def get(self, request: Request, **_path) -> Response:
        return Response(self.kind.json(self.get_object()))

    def patch(self, request: Request, **_path) -> Response:
        obj = self.get_object()
        return Response(self.kind.json(self.kind.update(request, obj, self.body(self.kind.patch_input))))

    def delete(self, request: Request, **_path) -> Response:
        return Response(self.kind.deleted_json(request, self.get_object()))


# The contents of projects


class ProjectObjectScope:
    """A view's rows are the live objects of live projects of the caller's organization (with their project)."""

    org_field = "project__org"

    def safely_get_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.filter(deleted_at__isnull=True, project__deleted_at__isnull=True).select_related("project")


class BodyProject:
    """A view whose body names the project it creates in (``project_id``)."""

    @cached_property
    def target_project(self) -> Project:
        """The live project of the caller's organization that the body names ("not found" otherwise)."""
        project_id = self.body(self.kind.create_input)["project_id"]
        project = live_projects_of(self.org).filter(pk=project_id).select_related("org").first()
        if project is None:
            raise NotFound("project", project_id)
        return project


class ProjectObjectCollectionView(ProjectObjectScope, BodyProject, ObjectCollectionView):
    """``/v1/<kind>`` of a kind that projects contain (experiments, prompts, playgrounds, ...)."""


class ProjectObjectDetailView(ProjectObjectScope, ObjectDetailView):
    """``/v1/<kind>/{<kind>_id}`` of a kind that projects contain."""


# The organization's objects with members: groups and roles


@dataclass(frozen=True, kw_only=True)
class NamedObjectKind(Kind):
    """An organization's object with members (a group, a role)."""

    with_members: Callable[[list], list]  # loads the members of a page in a fixed number of queries
    member_lists: tuple[str, ...]  # the names of its lists of members: ("member_users", "member_groups")
    create: Callable[..., Model]  # (request, org, validated create body) -> the new object
    replace: Callable[..., Model]  # (request, object with members, validated create body) -> the object
    in_project: bool = False

    def loaded(self, objects: list) -> list:
        return self.with_members(objects)

    def deleted_json(self, request: Request, obj: Model) -> dict:
        obj = self.loaded([obj])[0]
        obj.deleted_at = timezone.now()
        deleted = self.output(obj).data  # before the row goes (and the instance loses its id)
        self.delete(request, obj)
        return deleted


@dataclass(frozen=True)
class NamedObjectDocs:
    """What a kind's OpenAPI operations say beyond what the kind itself gives: their operation ids,
    summaries and parameters follow from the kind's name (``postGroup``, ``getGroupId``, ``group_name``),
    and what PUT and PATCH change from its lists of members."""

    list_description: str
    patch_note: str  # what cannot be changed: "Built-in groups cannot be renamed."
    delete_note: str  # what cannot be deleted: "Built-in groups cannot be deleted."


def named_object_schema(kind: NamedObjectKind, docs: NamedObjectDocs) -> tuple[Callable, Callable]:
    """The schema decorators of a kind's collection view and detail view, in Braintrust's words."""
    name = kind.object_type
    members = " and ".join(member_list.replace("_", " ") for member_list in kind.member_lists)  # "member users and member groups"
    return kind_schema(
        kind,
        KindDocs(
            post=f"Create a new {name}. If there is an existing {name} with the same name as the one specified in the "
            f"request, returns the existing {name} unmodified.",
            put=f"Create or replace {name}. If there is an existing {name} with the same name as the one specified in "
            f"the request, replaces its description, {members} with the ones provided.",
            list=docs.list_description,
            get=f"Get a {name} object by its id.",
            patch=f"Rename, describe, and add or remove {members}. {docs.patch_note}",
            delete=f"Delete a {name} object by its id; answers the deleted {name}. {docs.delete_note}",
        ),
    )


class NamedObjectCollectionView(ObjectCollectionView):
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
        return self.found_or_created(lambda: self._readable_by_name(data["name"]), lambda: self.kind.create(request, self.org, data))

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


class NamedObjectDetailView(ObjectDetailView):
    """``/v1/<kind>/{id}``: GET, PATCH and DELETE."""

    kind: ClassVar[NamedObjectKind]
