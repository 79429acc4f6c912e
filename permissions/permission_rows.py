"""The auth ``Permission`` rows behind the access model's permissions on each concrete object type.

Migrations make them and nothing changes them while a process runs, so each is read once and kept,
with its content type, for every grant written after. Flushing the database (which the tests'
transactional cases do) makes them anew, with new ids; ``post_migrate``, which follows every flush,
forgets the rows read before.
"""

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType

from permissions.engine.nodes import model_for_type
from permissions.types import codename

_rows: dict[tuple[str, str], Permission] = {}


def permission_row(object_type: str, permission: str) -> Permission:
    """The ``Permission`` row, with its content type loaded, that a grant of `permission` on an object of
    `object_type` points to."""
    key = (object_type, permission)
    row = _rows.get(key)
    if row is None:
        content_type = ContentType.objects.get_for_model(model_for_type(object_type))
        try:
            row = Permission.objects.select_related("content_type").get(
                content_type=content_type, codename=codename(permission, object_type)
            )
        except Permission.DoesNotExist as exc:
            raise RuntimeError(f"The permission rows of {object_type} are missing: run manage.py migrate.") from exc
        _rows[key] = row
    return row


def forget_permission_rows(**_signal) -> None:
    _rows.clear()
