"""The rules about names that the services of every app apply to what they create: a name is required
and fits its column, and a name that must be unique is refused the same way whether it was already taken
or is taken by a concurrent request at the last moment."""

from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction

from permissions.exceptions import ValidationError

NAME_MAX_LENGTH = 255

M = TypeVar("M", bound=models.Model)


def clean_name(name: str, what: str) -> str:
    """`name` without surrounding blanks, or a ValidationError naming `what` (e.g. "service account") when
    it is empty or longer than the name columns hold."""
    name = (name or "").strip()
    if not name:
        raise ValidationError(f"A {what} needs a name.")
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(f"A {what} name is at most {NAME_MAX_LENGTH} characters.")
    return name


def create_named(model: type[M], *, taken: models.QuerySet, refusal: str, **fields: Any) -> M:
    """A new `model` row of `fields`, whose name must be free: refused with `refusal` when `taken` (the rows
    that already hold the name where it must be unique) finds one, or when a concurrent request takes it
    after that check and the database's uniqueness constraint refuses the insert. The insert runs in a
    savepoint, so a refusal leaves the caller's transaction usable."""
    if taken.exists():
        raise ValidationError(refusal)
    try:
        with transaction.atomic():
            return model.objects.create(**fields)
    except IntegrityError as exc:
        raise ValidationError(refusal) from exc


def others_named(row: M, *within: str) -> models.QuerySet[M]:
    """The other rows of `row`'s model that hold its name where it must be unique: those whose `within`
    fields (e.g. ``"project_id"``) equal `row`'s. What :func:`save_named` is given as `taken`."""
    scope = {field: getattr(row, field) for field in within}
    return type(row)._default_manager.filter(name=row.name, **scope).exclude(pk=row.pk)


def save_named(row: models.Model, *, taken: models.QuerySet | None, refusal: str | ValidationError, update_fields=None) -> None:
    """Insert `row` (or, with `update_fields`, save those fields of it), whose name must be free: refused
    with `refusal` when `taken` (the other rows holding the name where it must be unique; None when the
    caller has checked) finds one, or when a concurrent request takes it at the last moment and the
    database's uniqueness constraint refuses the write. The write runs in a savepoint, as in
    :func:`create_named`."""
    error = refusal if isinstance(refusal, ValidationError) else ValidationError(refusal)
    if taken is not None and taken.exists():
        raise error
    try:
        with transaction.atomic():
            if update_fields:
                row.save(update_fields=list(update_fields))
            else:
                row.save(force_insert=True)
    except IntegrityError as exc:
        raise error from exc
