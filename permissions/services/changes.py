"""Partial updates: the one rule every update service follows for the arguments it is given.

An argument left out keeps the stored value. Most services leave a field out with None, as Braintrust's
PATCH does; a field for which None is itself a value to store (a view's options, a secret's metadata,
a span iframe's post_message) is left out with :data:`UNCHANGED` instead.
"""

from collections.abc import Callable
from typing import Any

from django.db import models

UNCHANGED: Any = object()  # an argument left out where None is a value: the stored value stays


def set_given(row: models.Model, left_out: Any, /, **fields: tuple[Any, Callable[[Any], Any]]) -> None:
    """Set each of `fields` (name: (value, clean)) whose value is not `left_out` to the value as `clean`
    answers it; the others keep what is stored. `clean` refuses a bad value with a ValidationError
    before anything is saved."""
    for field, (value, clean) in fields.items():
        if value is not left_out:
            setattr(row, field, clean(value))
