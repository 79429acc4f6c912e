"""How an inserted event combines with the row already stored under its id (Braintrust's semantics).

* Without ``_is_merge`` the new event replaces the row.
* With ``_is_merge`` it is deep-merged into the row: objects merge key by key, anything else replaces.
  ``_merge_paths`` names paths below which the merge does not descend (the value there replaces).
* ``_array_delete`` removes given values from arrays at given paths, after the merge.
"""

import copy
from collections.abc import Iterable, Sequence
from typing import Any


def deep_merge(existing: dict, update: dict, *, stop_paths: Iterable[Sequence[str]] = ()) -> dict:
    """`update` merged into a copy of `existing`; `existing` is left as it is."""
    stops = {tuple(path) for path in stop_paths}
    return _merge(copy.deepcopy(existing), update, (), stops)


def _merge(target: dict, update: dict, path: tuple[str, ...], stops: set[tuple[str, ...]]) -> dict:
    for key, value in update.items():
        child = (*path, key)
        if isinstance(value, dict) and isinstance(target.get(key), dict) and child not in stops:
            target[key] = _merge(target[key], value, child, stops)
        else:
            target[key] = copy.deepcopy(value)
    return target


def delete_from_arrays(row: dict, deletions: Iterable[dict]) -> dict:
    """`row` with the values each deletion lists removed from the array at its path (a missing path or a
    value that is not an array is left alone)."""
    for deletion in deletions:
        *parents, last = deletion["path"]
        node: Any = row
        for key in parents:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict) and isinstance(node.get(last), list):
            doomed = deletion["delete"]
            node[last] = [value for value in node[last] if value not in doomed]
    return row
