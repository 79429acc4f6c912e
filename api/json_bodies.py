"""How every API request body is read as JSON: the same values accepted on SQLite and on PostgreSQL.

Three things a JSON parser accepts would break the server later, so they are refused here, as a 400 that
names where they are, before any view runs:

* Nesting deeper than ``JSON_MAX_DEPTH`` levels: the writes that merge, validate and render rows recurse,
  and a body as deep as Python's recursion limit would fail in them (or in the parser itself).
* The NUL character (``\\u0000``), in a key or a value: PostgreSQL cannot store it in text or jsonb.
* A lone surrogate (``\\ud800`` to ``\\udfff`` without its pair): no UTF-8 encoding exists for it, so a
  stored one makes every later read of its row fail.

Both characters can only reach a parsed string through a ``\\u`` escape (raw control characters are
invalid JSON and raw surrogates are invalid UTF-8), so the body's text is searched for those escapes, and
its nesting measured from its brackets; only when either shows a problem are the parsed values walked, to
name where it is. (Walking every body would cost several times the parsing itself.)
"""

import json
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# Where a NUL or a lone surrogate could be: the escape of a NUL, of a high surrogate that no low one follows,
# or of a low surrogate (whose pair, if any, is checked in Python). Every alternative starts with the literal
# "\\u", which the regex engine finds at the speed of a substring search.
_ESCAPE_CANDIDATE = re.compile(rb"\\u(?:0000|[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])|[dD][c-fC-F][0-9a-fA-F]{2})")
_HIGH_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abAB][0-9a-fA-F]{2}")
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
_UNSTORABLE_TEXT = "contains a NUL character or a lone surrogate, which cannot be stored"
_NOT_BRACKETS = bytes(range(256)).translate(None, b"[]{}")


def _is_escape(data: bytes, start: int) -> bool:
    """Whether the backslash at `start` begins an escape (it is not itself escaped by the one before)."""
    backslashes = 0
    while start - backslashes - 1 >= 0 and data[start - backslashes - 1] == 0x5C:
        backslashes += 1
    return backslashes % 2 == 0


def _ends_a_pair(data: bytes, start: int) -> bool:
    """Whether the low surrogate escape at `start` follows a high one, completing a pair."""
    return start >= 6 and _HIGH_SURROGATE_ESCAPE.fullmatch(data, start - 6, start) is not None and _is_escape(data, start - 6)


def _may_hold_unstorable_text(data: bytes) -> bool:
    for match in _ESCAPE_CANDIDATE.finditer(data):
        start, escape = match.start(), match.group().lower()
        if not _is_escape(data, start):
            continue  # the text "\\u...", not an escape
        if escape[3:4] in b"cdef" and escape[2:3] == b"d" and _ends_a_pair(data, start):
            continue
        return True
    return False


def _nesting_exceeds(data: bytes, max_depth: int) -> bool:
    """Whether valid JSON `data` nests deeper than `max_depth`, from its text, at the speed of bytes methods:
    strings are cut out, then brackets kept, then innermost pairs removed one level per pass."""
    if data.count(b"[") + data.count(b"{") <= max_depth:
        return False
    if b"\\" in data:  # drop escaped backslashes, then escaped quotes, so that every quote left delimits
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    structure = b"".join(data.split(b'"')[::2]).translate(None, _NOT_BRACKETS)
    for _level in range(max_depth):
        if not structure:
            return False
        structure = structure.replace(b"{}", b"").replace(b"[]", b"")
    return bool(structure)


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
        value = json.loads(data.decode("utf-8"))  # UTF-8 only: the checks below read its bytes
    except UnicodeDecodeError as exc:
        raise ParseError(f"{what} is not UTF-8 text.") from exc
    except RecursionError as exc:
        raise ParseError(f"{what} is nested deeper than {max_depth} levels.") from exc
    except ValueError as exc:
        raise ParseError(f"{what} is not valid JSON (JSON parse error - {exc}).") from exc
    # The exact walk, which says where, runs only when the text shows that something is wrong.
    if _nesting_exceeds(data, max_depth) or _may_hold_unstorable_text(data):
        problem = _first_problem(value, max_depth=max_depth, check_text=True)
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
