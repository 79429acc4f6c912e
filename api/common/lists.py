"""What the ``/v1`` list endpoints share beyond pagination (:mod:`api.pagination`)."""

from django.db.models import QuerySet
from django.http import QueryDict

from api.pagination import parse_ids


def filter_ids(rows: QuerySet, params: QueryDict) -> QuerySet:
    """`rows` restricted to the objects the ``ids`` parameter names, when it names any: Braintrust's
    filter of every list, one id a value or several separated by commas (a malformed id is a 400)."""
    ids = parse_ids(params)
    return rows if ids is None else rows.filter(pk__in=ids)
