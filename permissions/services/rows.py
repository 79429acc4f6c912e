"""How a service reads again the row it was handed before it changes it."""

from typing import Any, TypeVar

from django.db import models

from permissions.exceptions import NotFound

M = TypeVar("M", bound=models.Model)


def row_or_not_found(rows: models.QuerySet[M], pk: Any, what: str) -> M:
    """The row `pk` among `rows`, or NotFound naming `what` (its audit type) and `pk`.

    A service starts from the row as the database holds it now: locked until the change commits (`rows`
    a ``select_for_update`` queryset), or only while it is live (`rows` without the deleted ones). A row
    deleted or moved out of `rows` meanwhile is answered exactly as one that never existed."""
    row = rows.filter(pk=pk).first()
    if row is None:
        raise NotFound(what, pk)
    return row
