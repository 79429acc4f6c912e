"""Braintrust's list conventions: ``{"objects": [...]}``, newest first, ``limit`` and a cursor
``starting_after`` or ``ending_before`` (an object id), never both.

Pagination is by keyset on (created, id) in the database, so pages stay right under concurrent writes
and cost one query whatever the page.
"""

from uuid import UUID

from django.db.models import Q, QuerySet

from permissions.exceptions import ValidationError

MAX_LIMIT = 1000


def parse_uuid(value: str, name: str) -> UUID:
    try:
        return UUID(str(value))
    except (TypeError, ValueError, AttributeError) as exc:
        raise ValidationError(f"{name} must be a UUID, not {value!r}.") from exc


def parse_limit(params) -> int | None:
    raw = params.get("limit")
    if raw in (None, ""):
        return None
    try:
        limit = int(raw)
    except ValueError as exc:
        raise ValidationError(f"limit must be a whole number, not {raw!r}.") from exc
    if limit < 0 or limit > MAX_LIMIT:
        raise ValidationError(f"limit must be between 0 and {MAX_LIMIT}.")
    return limit


def parse_ids(params, name: str = "ids") -> list[UUID] | None:
    values = [v for raw in params.getlist(name) for v in raw.split(",") if v]
    return [parse_uuid(v, name) for v in values] if values else None


def paginate(queryset: QuerySet, params) -> list:
    """One page of `queryset`, newest first, following the request's limit and cursor."""
    limit = parse_limit(params)
    after, before = params.get("starting_after"), params.get("ending_before")
    if after and before:
        raise ValidationError("Pass only one of starting_after and ending_before.")
    queryset = queryset.order_by("-created", "-pk")
    if after or before:
        cursor_id = parse_uuid(after or before, "starting_after" if after else "ending_before")
        cursor = queryset.model._base_manager.filter(pk=cursor_id).values("created").first()
        if cursor is None:
            raise ValidationError(f"No object with id {cursor_id} to page from.")
        created = cursor["created"]
        if after:
            queryset = queryset.filter(Q(created__lt=created) | Q(created=created, pk__lt=cursor_id))
        else:
            earlier = queryset.filter(Q(created__gt=created) | Q(created=created, pk__gt=cursor_id)).order_by("created", "pk")
            rows = list(earlier[:limit] if limit is not None else earlier)
            return rows[::-1]
    return list(queryset[:limit] if limit is not None else queryset)


def paginate_list(items: list, params, *, key=lambda item: (item.created, str(item.id))) -> list:
    """The same convention for a list already in memory (small, bounded lists only)."""
    limit = parse_limit(params)
    after, before = params.get("starting_after"), params.get("ending_before")
    if after and before:
        raise ValidationError("Pass only one of starting_after and ending_before.")
    items = sorted(items, key=key, reverse=True)
    ids = [str(getattr(item, "id", "")) for item in items]
    if after or before:
        cursor = str(parse_uuid(after or before, "starting_after" if after else "ending_before"))
        if cursor not in ids:
            raise ValidationError(f"No object with id {cursor} to page from.")
        position = ids.index(cursor)
        if after:
            items = items[position + 1 :]
        else:
            items = items[:position]
            return items[-limit:] if limit else ([] if limit == 0 else items)
    return items[:limit] if limit is not None else items
