"""What changed between two states of a prompt, as the version history shows it: the fields that differ,
and the messages compared line by line."""

import difflib
import json
from dataclasses import dataclass
from typing import Any

from projects.prompt_templates import prompt_messages


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same", "removed" or "added"
    text: str

    @property
    def sign(self) -> str:
        return {"same": " ", "removed": "\N{MINUS SIGN}", "added": "+"}[self.kind]


def _json(value: Any) -> str:
    if value in (None, "", {}, []):
        return ""
    return value if isinstance(value, str) else json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


def _compared_fields(state: dict) -> dict[str, str]:
    data = state.get("prompt_data") or {}
    options = data.get("options") or {}
    block = data.get("prompt") or {}
    rest = {key: value for key, value in data.items() if key not in ("prompt", "options")}
    return {
        "Name": state.get("name") or "",
        "Slug": state.get("slug") or "",
        "Description": state.get("description") or "",
        "Model": options.get("model") or "",
        "Parameters": _json(options.get("params")),
        "Tools": _json(block.get("tools")),
        "Other prompt settings": _json(rest),
        "Tags": _json(state.get("tags")),
        "Function type": state.get("function_type") or "",
        "Metadata": _json(state.get("metadata")),
    }


def field_changes(before: dict, after: dict) -> list[FieldChange]:
    """The fields (other than the messages) whose values differ between two states of a prompt."""
    old, new = _compared_fields(before), _compared_fields(after)
    return [FieldChange(label, old[label], new[label]) for label in old if old[label] != new[label]]


def message_lines(state: dict) -> list[str]:
    """A prompt's messages as lines of text: each message's role on a line of its own, then its content."""
    lines = []
    for index, message in enumerate(prompt_messages(state.get("prompt_data"))):
        lines.append(f"[{index + 1}. {message['role'] or 'completion'}]")
        lines.extend(message["content"].splitlines() or [""])
    return lines


def message_diff(before: dict, after: dict) -> list[DiffLine]:
    """The messages of `before` against those of `after`, line by line; empty when they are the same."""
    old, new = message_lines(before), message_lines(after)
    if old == new:
        return []
    diff = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag == "equal":
            diff.extend(DiffLine("same", line) for line in old[i1:i2])
            continue
        diff.extend(DiffLine("removed", line) for line in old[i1:i2])
        diff.extend(DiffLine("added", line) for line in new[j1:j2])
    return diff
