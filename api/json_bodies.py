"""How every API request body is read as JSON: the same values accepted on SQLite and on PostgreSQL.

Three things a JSON parser accepts would break the server later, so they are refused here, as a 400 that
names where they are, before any view runs:

* Nesting deeper than ``JSON_MAX_DEPTH`` levels: the writes that merge, validate and render rows recurse,
  and a body as deep as Python's recursion limit would fail in them (or in the parser itself).
* The NUL character (``\\u0000``), in a key or a value: PostgreSQL cannot store it in text or jsonb.
* A lone surrogate (``\\ud800`` to ``\\udfff`` without its pair): no UTF-8 encoding exists for it, so a
  stored one makes every later read of its row fail.

Both characters can only reach a parsed string through a ``\\u`` escape (raw control characters are
invalid JSON and raw surrogates are invalid UTF-8), so a body without ``\\u`` is not searched for them.
"""

import json
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# A NUL or a surrogate escape, not itself escaped (preceded by an even number of backslashes).
_SUSPECT_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
_UNSTORABLE_TEXT = "contains a NUL character or a lone surrogate, which cannot be stored"


def json_max_depth() -> int:
    return settings.JSON_MAX_DEPTH


def _where(path: list) -> str:
    text = "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path).lstrip(".")
    return text or "the top level"


def _first_problem(value: Any, *, max_depth: int, check_text: bool) -> str | None:
    """What is wrong with `value` first, saying where; None if nothing is. Iterative: it must not recurse."""
    if check_text and isinstance(value, str) and _UNSTORABLE.search(value):
        return f"{_where([])} {_UNSTORABLE_TEXT}"
    stack: list[tuple[Any, list, int]] = [(value, [], 1)]
    while stack:
        node, path, depth = stack.pop()
        if isinstance(node, dict):
            items = node.items()
        elif isinstance(node, list):
            items = enumerate(node)
        else:
            continue
        if depth > max_depth:
            return f"{_where(path)} is nested deeper than {max_depth} levels"
        for key, child in items:
            if check_text and isinstance(key, str) and _UNSTORABLE.search(key):
                return f"{_where(path)} has a key that {_UNSTORABLE_TEXT}"
            if isinstance(child, dict | list):
                stack.append((child, [*path, key], depth + 1))
            elif check_text and isinstance(child, str) and _UNSTORABLE.search(child):
                return f"{_where([*path, key])} {_UNSTORABLE_TEXT}"
    return None


def parse_json_body(data: bytes, what: str = "The request body") -> Any:
    """`data` parsed as JSON, or a 400 (:class:`ParseError`) saying what is wrong and where."""
    max_depth = json_max_depth()
    try:
        value = json.loads(data)
    except RecursionError as exc:
        raise ParseError(f"{what} is nested deeper than {max_depth} levels.") from exc
    except ValueError as exc:
        raise ParseError(f"{what} is not valid JSON (JSON parse error - {exc}).") from exc
    # Shortcuts: no text to search without a \u escape, and no depth to measure with fewer brackets than allowed.
    check_text = _SUSPECT_ESCAPE.search(data) is not None
    if check_text or data.count(b"[") + data.count(b"{") > max_depth:
        problem = _first_problem(value, max_depth=max_depth, check_text=check_text)
        if problem is not None:
            raise ParseError(f"{what}: {problem}.")
    return value


class StorableJSONParser(JSONParser):
    """DRF's JSON parser, refusing what could not be stored or processed (see the module's docstring)."""

    def parse(self, stream, media_type=None, parser_context=None):
        # DRF reads the stream itself, past Django's own check of DATA_UPLOAD_MAX_MEMORY_SIZE: check it here.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        data = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(data) > limit:
            raise RequestDataTooBig(f"The request body is larger than {limit} bytes.")
        return parse_json_body(data)
