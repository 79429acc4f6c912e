"""How DRF views ask the engine: each view declares what a request needs, one permission class checks it.

Each /v1 view declares, as data:

* ``requirements()``: what the request needs before its handler runs, as the values of
  :mod:`permissions.requirements` (``Needs``, ``NeedsCreate``, ``NeedsOwner``, ...);
* ``object_permissions``: the permission each HTTP method needs on the object the view loads, and
  ``object_node(obj)``: the node that object stands for in the hierarchy.

:class:`EngineAccess` checks both, in the organization the request acts in (``view.org``).
"""

from collections.abc import Iterable
from typing import Protocol

from django.core.exceptions import ImproperlyConfigured
from rest_framework.permissions import BasePermission

from permissions.engine.decision import is_acting_principal
from permissions.engine.nodes import Node
from permissions.requirements import Needs, Requirement, access_method


class EngineAccessView(Protocol):
    """What :class:`EngineAccess` reads from a view."""

    object_permissions: dict[str, str | None]

    @property
    def org(self): ...

    def requirements(self) -> Iterable[Requirement]: ...

    def object_node(self, obj) -> Node | None: ...


class EngineAccess(BasePermission):
    """The one permission class of the /v1 views: the view's declared requirements, asked of the engine."""

    def has_permission(self, request, view: EngineAccessView) -> bool:
        if not is_acting_principal(request.user):
            return False  # DRF answers 401 to a request without a (valid) credential
        for requirement in view.requirements():
            requirement.check(request, view.org.pk)
        return True

    def has_object_permission(self, request, view: EngineAccessView, obj) -> bool:
        method = access_method(request)
        if method not in view.object_permissions:
            raise ImproperlyConfigured(f"{type(view).__name__} declares no object permission for {method}.")
        permission = view.object_permissions[method]
        node = view.object_node(obj)
        if permission is not None and node is not None:
            Needs(permission, node).check(request, view.org.pk)
        return True
