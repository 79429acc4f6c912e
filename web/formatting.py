"""How the pages write values of rows: a short preview of a field, a score as a percentage."""

import json

PREVIEW_LENGTH = 240


def preview(value) -> str:
    """A short, one-line rendering of a row's field."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= PREVIEW_LENGTH else text[: PREVIEW_LENGTH - 1] + "…"


def percent(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"
