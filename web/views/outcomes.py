"""How a page's POST tells the person what its service did.

Services refuse a change with :class:`permissions.exceptions.ValidationError` (the last Owner, a taken
name). A form shows that refusal next to its fields and is rendered again; a button without a form
(Remove, Revoke, Delete) redirects, and says it in the next page's message.
"""

from collections.abc import Callable
from typing import TypeVar

from django import forms
from django.contrib import messages

from permissions.exceptions import ValidationError

T = TypeVar("T")


def save_form(form: forms.Form, save: Callable[[dict], T], *, error_field: str | None = None) -> T | None:
    """What ``save(form.cleaned_data)`` returns, or None when the form is invalid or the service refuses,
    in which case the refusal is now an error of `error_field` (None: of the whole form)."""
    if not form.is_valid():
        return None
    try:
        return save(form.cleaned_data)
    except ValidationError as exc:
        form.add_error(error_field, " ".join(exc.messages))
        return None


def report(request, change: Callable[[], object], *, success: str) -> bool:
    """Runs `change` and leaves the next page a message: `success`, or the service's refusal. True when it
    was done."""
    try:
        change()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return False
    messages.success(request, success)
    return True
