"""The JSON shape checks that a project's configuration, and the other services that take JSON, are built on.

They are public, so that the pages and the admin refuse exactly what the API refuses, with the same
messages. A message names the offending value by its path in the request, e.g.
``config.online.scorers[0].name``.
"""

import math
from collections.abc import Iterable
from typing import Any

from accounts.models import Organization
from permissions.exceptions import ValidationError
from projects.models import ProjectObject
from projects.references import readable_object

# JSON shape checks


def invalid(path: str, message: str) -> ValidationError:
    return ValidationError(f"{path}: {message}")


def expect_object(value: Any, path: str, *, allowed: Iterable[str], required: Iterable[str] = ()) -> dict:
    """`value`, a JSON object whose keys are among `allowed` and include every one of `required`."""
    if not isinstance(value, dict):
        raise invalid(path, "must be an object.")
    allowed = set(allowed)
    unknown = sorted(key for key in value if key not in allowed)
    if unknown:
        raise invalid(path, f"unknown field {unknown[0]!r} (allowed: {', '.join(sorted(allowed))}).")
    for key in required:
        if value.get(key) is None:
            raise invalid(f"{path}.{key}", "is required.")
    return value


def expect_string(value: Any, path: str, *, nullable: bool = True, non_empty: bool = False, max_length: int | None = None) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise invalid(path, "must be a string.")
    if non_empty and not value.strip():
        raise invalid(path, "must not be empty.")
    if max_length is not None and len(value) > max_length:
        raise invalid(path, f"must be at most {max_length} characters.")
    return value


def expect_name(value: Any, path: str = "name") -> str:
    """A name: a string that is not blank and fits the name columns, without its surrounding blanks."""
    return expect_string(value, path, nullable=False, non_empty=True, max_length=255).strip()


def expect_bool(value: Any, path: str, *, nullable: bool = True) -> bool | None:
    if value is None and nullable:
        return None
    if not isinstance(value, bool):
        raise invalid(path, "must be true or false.")
    return value


def expect_number(
    value: Any,
    path: str,
    *,
    nullable: bool = False,
    minimum: float | None = None,
    maximum: float | None = None,
    positive: bool = False,
    integer: bool = False,
) -> float | int | None:
    """A JSON number (never a boolean, never NaN or infinite) within the bounds given."""
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise invalid(path, "must be a number.")
    if integer and not float(value).is_integer():
        raise invalid(path, "must be a whole number.")
    if positive and value <= 0:
        raise invalid(path, "must be greater than 0.")
    too_low, too_high = minimum is not None and value < minimum, maximum is not None and value > maximum
    if (too_low or too_high) and minimum is not None and maximum is not None:
        raise invalid(path, f"must be from {minimum:g} to {maximum:g}.")
    if too_low:
        raise invalid(path, f"must be at least {minimum:g}.")
    if too_high:
        raise invalid(path, f"must be at most {maximum:g}.")
    return value


def expect_choice(value: Any, path: str, choices: Iterable[str], *, nullable: bool = True) -> str | None:
    if value is None and nullable:
        return None
    choices = tuple(choices)
    if not isinstance(value, str) or value not in choices:
        raise invalid(path, f"must be one of {', '.join(choices)}, not {value!r}.")
    return value


def expect_list(value: Any, path: str, *, nullable: bool = True, non_empty: bool = False) -> list | None:
    if value is None and nullable:
        return None
    if not isinstance(value, list):
        raise invalid(path, "must be a list.")
    if non_empty and not value:
        raise invalid(path, "must not be empty.")
    return value


def expect_string_list(value: Any, path: str, *, nullable: bool = True, non_empty: bool = False, unique: bool = False) -> list | None:
    items = expect_list(value, path, nullable=nullable, non_empty=non_empty)
    if items is None:
        return None
    for index, item in enumerate(items):
        expect_string(item, f"{path}[{index}]", nullable=False, non_empty=non_empty)
    if unique:
        duplicates = sorted({item for item in items if items.count(item) > 1})
        if duplicates:
            raise invalid(path, f"{duplicates[0]!r} is listed more than once.")
    return items


# What the rules of tags and scores share


def _text(value: Any, field: str, *, max_length: int | None = None) -> str:
    return expect_string(value, field, max_length=max_length) or ""


# References to objects of other projects (docs/access-model.md, "References across projects")


def referenced_object(*, actor, org: Organization, model: type[ProjectObject], object_id: Any, what: str) -> ProjectObject:
    """The live `model` row `object_id` of `org` that a configuration names, once `actor` may refer to it
    (:func:`projects.references.require_readable_reference`)."""
    return readable_object(actor=actor, org_id=org.pk, model=model, object_id=object_id, missing_message=f"No such {what}: {object_id}.")
