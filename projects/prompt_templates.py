"""The template variables of a prompt, and a prompt's messages filled from a dataset row.

Prompts are mustache templates, as in Braintrust: ``{{name}}`` (also ``{{{name}}}``, ``{{&name}}``, and a
section's opening ``{{#name}}`` or ``{{^name}}``) names a variable, dotted names reach inside objects
(``{{input.question}}``). Comments, partials and a section's closing tag name none. The prompt editor's
script (``static/web/prompt_editor.js``) finds them with the same expression, so that what it lists as
one types is what the page lists after saving.

Filling is for showing a prompt beside a dataset's rows in a playground, without running a model: the
variables of a row are its ``input``, ``expected`` and ``metadata``. A variable that the row lacks fills
as empty, as mustache does; sections are left as they are written.
"""

import json
import re
from collections.abc import Iterable
from typing import Any

VARIABLE = re.compile(r"\{\{(\{?)\s*([#^&]?)\s*([A-Za-z_][\w.-]*)\s*\}?\}\}")


def template_variables(texts: Iterable[str]) -> list[str]:
    """The variables the texts name, each once, in the order they first appear."""
    found: dict[str, None] = {}
    for text in texts:
        for match in VARIABLE.finditer(text or ""):
            found.setdefault(match.group(3), None)
    return list(found)


def message_text(content: Any) -> str:
    """A message's content as text: a string, or the text parts of a list of content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(part.get("text", "")) for part in content if isinstance(part, dict) and part.get("type") == "text")
    return ""


def prompt_messages(prompt_data: dict | None) -> list[dict]:
    """The chat messages of a prompt definition (a completion prompt is one message without a role)."""
    block = (prompt_data or {}).get("prompt") or {}
    if block.get("type") == "completion":
        return [{"role": "", "content": message_text(block.get("content"))}]
    messages = block.get("messages") if isinstance(block.get("messages"), list) else []
    return [{"role": str(m.get("role", "")), "content": message_text(m.get("content"))} for m in messages if isinstance(m, dict)]


def prompt_variables(prompt_data: dict | None) -> list[str]:
    """The template variables of a prompt definition's messages."""
    return template_variables(message["content"] for message in prompt_messages(prompt_data))


def _lookup(context: dict, name: str) -> Any:
    value: Any = context
    for part in name.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def fill(text: str, context: dict) -> str:
    """`text` with each plain variable replaced by its value in `context` (objects as JSON)."""

    def replace(match: re.Match) -> str:
        if match.group(2) in ("#", "^"):
            return match.group(0)
        return _shown(_lookup(context, match.group(3)))

    return VARIABLE.sub(replace, text or "")


def row_variables(row: dict) -> dict:
    """What a dataset row offers a prompt's variables: its input, expected output and metadata."""
    return {"input": row.get("input"), "expected": row.get("expected"), "metadata": row.get("metadata")}
