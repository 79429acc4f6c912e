"""The base of every /v1 view: who is calling, in which organization, and where access is decided.

A credential acts in its own organization only: an API key or service token is bound to the
organization it was made in, and a browser session acts in the organization the request names (or the
person's only one). Every node a request touches must belong to that organization; one of another
organization is answered exactly like a missing one.

Access is decided in one place, :class:`permissions.drf.EngineAccess`, from what each view declares
(``requirements_<method>()`` and ``object_permissions``). The querysets a view reads come from
:class:`OrgScopedView`, which subclasses cannot override: ``get_queryset`` scopes to the caller's
organization and ``visible_queryset`` restricts a list in the database through the engine. A subclass
shapes its rows in ``safely_get_queryset`` and finds an object that is not a model row in
``find_object``; the rare view that must read outside the organization overrides
``dangerously_get_unscoped_queryset``, a name meant to stand out in review.
"""

from collections.abc import Iterable
from typing import Any, ClassVar
from uuid import UUID

from django.db.models import QuerySet
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.generics import GenericAPIView
from rest_framework.metadata import SimpleMetadata
from rest_framework.request import Request

from accounts.models import ApiKey, Organization
from accounts.selectors import memberships_of
from api.access_preview import parse_dry_run
from api.inputs import StrictSerializer, validated_body
from api.pagination import parse_uuid
from api.schema import ApiSchema
from permissions.drf import EngineAccess
from permissions.engine import Node, restrict
from permissions.exceptions import NotFound, ValidationError
from permissions.requirements import Requirement, access_method


def _param(request: Request, name: str):
    value = request.query_params.get(name)
    if value in (None, "") and isinstance(request.data, dict):
        value = request.data.get(name)
    return value or None


def caller_org(request: Request) -> Organization:
    """The organization the request acts in; an org_name or org_id naming another one is refused."""
    if hasattr(request, "_caller_org"):
        return request._caller_org
    org_name, org_id = _param(request, "org_name"), _param(request, "org_id")
    if isinstance(request.auth, ApiKey):
        org = request.auth.org
        if (org_name and org_name != org.name) or (org_id and str(org_id) != str(org.pk)):
            raise ValidationError(f"This credential acts in the organization {org.name!r} only.")
    else:
        memberships = memberships_of(request.user)
        if org_id:
            memberships = memberships.filter(org_id=parse_uuid(org_id, "org_id"))
        if org_name:
            memberships = memberships.filter(org__name=org_name)
        orgs = [m.org for m in memberships[:2]]
        if not orgs:
            raise NotFound("organization", org_id or org_name)
        if len(orgs) > 1:
            raise ValidationError("You belong to several organizations: pass org_name or org_id.")
        org = orgs[0]
    request._caller_org = org
    return org


class DescriptionOnlyMetadata(SimpleMetadata):
    """``OPTIONS`` answers what the view is, what it parses and renders, and (in ``Allow``) its methods.

    DRF's default also describes each writable method's input by building its serializer and loading the
    object, which these views do neither way (inputs are validated per method, objects loaded once access
    is decided); the request shapes are in ``/v1/openapi.json``.
    """

    def determine_actions(self, request, view) -> dict:
        return {}


_SEALED = ("permission_classes", "get_queryset", "get_object", "check_permissions", "check_object_permissions", "get_permissions")


class OrgScopedView(GenericAPIView):
    """A /v1 view whose access the engine decides before the handler runs.

    Subclasses declare:

    * ``queryset`` (every organization's rows) and ``org_field`` (the lookup to the owning
      organization, or None for rows that are scoped otherwise, in ``safely_get_queryset``);
    * ``object_type``: the name a missing object is reported under;
    * ``requirements_<method>()``: what the request needs before anything is read (see
      :mod:`permissions.drf`);
    * ``object_permissions``: the permission each method needs on the object ``get_object`` loads
      (None: the queryset's scoping is the whole rule), and ``object_node`` if the object is not itself
      a node of the hierarchy;
    * ``list_permission``: the permission ``visible_queryset`` restricts lists to (None: the
      requirements cover the whole list);
    * ``dry_run_methods``: the methods that accept ``?dry_run=true`` (:mod:`api.access_preview`), which
      the handler then reads as ``self.dry_run``.
    """

    permission_classes = [EngineAccess]
    metadata_class = DescriptionOnlyMetadata
    schema = ApiSchema()
    queryset: QuerySet | None = None
    org_field: ClassVar[str | None] = "org"
    object_type: ClassVar[str] = "object"
    lookup_url_kwarg: ClassVar[str | None] = None
    object_permissions: ClassVar[dict[str, str | None]] = {}
    list_permission: ClassVar[str | None] = "read"
    dry_run_methods: ClassVar[frozenset[str]] = frozenset()
    dry_run: bool = False

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        for name in _SEALED:
            if name in vars(cls):
                raise TypeError(
                    f"{cls.__qualname__} overrides {name}: access is decided by OrgScopedView and EngineAccess. "
                    "Shape rows in safely_get_queryset, load non-row objects in find_object, and declare "
                    "requirements_<method>() and object_permissions."
                )

    def initial(self, request: Request, *args, **kwargs) -> None:
        """A method the view does not serve is a 405 before anything else: access is declared per method."""
        if request.method.lower() not in self.http_method_names or not hasattr(self, request.method.lower()):
            raise MethodNotAllowed(request.method)
        self.perform_authentication(request)  # no credential is a 401 before anything is said of the input
        self.dry_run = self._dry_run(request)
        super().initial(request, *args, **kwargs)

    def _dry_run(self, request: Request) -> bool:
        """Whether the request asks for a dry run; bad input is a 400 whoever asks. A method that writes and
        cannot run dry refuses the parameter rather than make the change the client meant only to see."""
        if request.method in ("GET", "HEAD", "OPTIONS") and request.method not in self.dry_run_methods:
            return False  # a read writes nothing either way
        dry_run = parse_dry_run(request.query_params.get("dry_run"))
        if dry_run and request.method not in self.dry_run_methods:
            raise ValidationError(f"dry_run is not accepted by {request.method} {request.path}: the change would be made.")
        return dry_run

    # What the permission class reads

    @property
    def org(self) -> Organization:
        """The organization the request acts in."""
        return caller_org(self.request)

    def requirements(self) -> Iterable[Requirement]:
        declared = getattr(self, f"requirements_{access_method(self.request).lower()}", None)
        return declared() if declared is not None else ()

    def object_node(self, obj: Any) -> Node | None:
        """The node of the hierarchy that `obj` stands for (None: no node, the queryset scopes it)."""
        return Node.of(obj)

    # Querysets and objects (sealed)

    def get_queryset(self) -> QuerySet:
        """The view's rows in the caller's organization, shaped by ``safely_get_queryset``."""
        queryset = self.dangerously_get_unscoped_queryset()
        if self.org_field is not None:
            queryset = queryset.filter(**{self.org_field: self.org})
        return self.safely_get_queryset(queryset)

    def dangerously_get_unscoped_queryset(self) -> QuerySet:
        """Every organization's rows. Override only with a reason a reviewer will accept."""
        return self.queryset.all()

    def safely_get_queryset(self, queryset: QuerySet) -> QuerySet:
        """Hook: filter or prefetch the organization's rows."""
        return queryset

    def visible_queryset(self, *, listing: bool = False) -> QuerySet:
        """The rows the caller may see, restricted by the engine in the database; `listing` for a page of
        them (see :func:`permissions.engine.lists.restrict`), not for a lookup by name."""
        queryset = self.get_queryset()
        if self.list_permission is None:
            return queryset
        return restrict(queryset, self.request.user, self.list_permission, listing=listing)

    def find_object(self, pk: UUID) -> Any:
        """Hook: the object with this id among the view's rows, or None."""
        return self.get_queryset().filter(pk=pk).first()

    def get_object(self) -> Any:
        """The object the URL names, checked for the request's method; "not found" names only the object."""
        pk = parse_uuid(self.kwargs[self.lookup_url_kwarg], self.lookup_url_kwarg)
        return self.checked(self.find_object(pk), pk)

    def checked(self, obj: Any, pk: UUID | None = None) -> Any:
        """`obj` once the permission class has allowed the request's method on it.

        A refusal because the caller sees nothing is reported as this view's object, never as the node
        behind it (a grant's answer must not tell which object it is on).
        """
        if obj is None:
            raise NotFound(self.object_type, pk)
        try:
            self.check_object_permissions(self.request, obj)
        except NotFound:
            raise NotFound(self.object_type, pk or getattr(obj, "pk", None)) from None
        return obj

    # Helpers for handlers

    def body(self, serializer_class: type[StrictSerializer]) -> dict:
        """The request's JSON object validated by `serializer_class`, parsed once per request."""
        cache = self.__dict__.setdefault("_bodies", {})
        if serializer_class not in cache:
            cache[serializer_class] = validated_body(self.request, serializer_class)
        return cache[serializer_class]

    def uuid_param(self, name: str, *, required: bool = False) -> UUID | None:
        value = self.request.query_params.get(name)
        if value in (None, ""):
            if required:
                raise ValidationError(f"{name} is required.")
            return None
        return parse_uuid(value, name)
