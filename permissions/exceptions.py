"""Errors the services raise; the API and the pages turn them into 404, 403 and 400 answers."""

from django.core.exceptions import PermissionDenied, ValidationError

__all__ = ["AccessDenied", "NotFound", "ValidationError"]


class NotFound(Exception):
    """The object does not exist, or the actor holds no permission on it: the two look the same."""

    def __init__(self, object_type: str = "object", object_id: object = None) -> None:
        self.object_type = object_type
        self.object_id = object_id
        super().__init__(f"No {object_type} with id {object_id} was found." if object_id else f"No such {object_type}.")


class AccessDenied(PermissionDenied):
    """The actor sees the object but lacks the permission it needs; the message names that permission."""

    def __init__(self, permission: str, object_type: str, message: str | None = None, *, node=None) -> None:
        self.permission = permission
        self.object_type = object_type
        self.node = node  # the node refused, when known: the pages explain the refusal with it
        self.stated = message is not None  # a message of its own, rather than the permission's code named
        super().__init__(message or f"You need the '{permission}' permission on this {object_type}.")
