"""The one rule of a partial update: an argument left out keeps the stored value."""

from types import SimpleNamespace

import pytest

from permissions.exceptions import ValidationError
from permissions.services.changes import UNCHANGED, set_given


def _refuse(value):
    raise ValidationError(f"name: {value!r} is refused.")


def test_a_field_left_out_keeps_its_stored_value_and_a_given_one_is_stored_cleaned():
    row = SimpleNamespace(name="old", description="kept")

    set_given(row, None, name=(" new ", str.strip), description=(None, str.upper))

    assert (row.name, row.description) == ("new", "kept")


def test_where_unchanged_leaves_a_field_out_none_is_a_value_to_store():
    row = SimpleNamespace(metadata={"a": 1}, type="openai")

    set_given(row, UNCHANGED, metadata=(None, lambda given: given), type=(UNCHANGED, str))

    assert (row.metadata, row.type) == (None, "openai")


def test_a_refused_value_is_never_stored():
    row = SimpleNamespace(name="old")

    with pytest.raises(ValidationError):
        set_given(row, None, name=("bad", _refuse))

    assert row.name == "old"
