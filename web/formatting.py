"""How the pages write values of rows: a short preview of a field, a score as a percentage, a metric in its
unit (a count of tokens, a duration in seconds, a cost in dollars)."""

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


def count(value: float) -> str:
    """A count with thousands separators: a whole number as one ("1,234"); a mean of counts that is not
    whole keeps one decimal ("180.5")."""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.1f}"


def seconds(value: float) -> str:
    """A duration in seconds, to the hundredth ("1.20 s"); a shorter one than that is not shown as 0."""
    if 0 < abs(value) < 0.01:
        return "< 0.01 s"
    return f"{value:,.2f} s"


def dollars(value: float) -> str:
    """A cost in dollars: to the cent ("$1,234.50"), or, below a cent, to the first significant digits
    ("$0.00042") rather than as "$0.00"."""
    sign, value = ("-" if value < 0 else ""), abs(value)
    if value == 0 or value >= 0.01:
        return f"{sign}${value:,.2f}"
    return f"{sign}${value:.6f}".rstrip("0")


# The units the experiment summaries give their metrics (projects.events.summaries), and how each is written.
METRIC_UNITS = {
    "tok": lambda value: f"{count(value)} tokens",
    "s": seconds,
    "$": dollars,
}


def metric(value: float | None, unit: str | None) -> str:
    """A metric in its unit: "180 tokens", "1.20 s", "$0.0042"; a number without a known unit keeps its
    thousands separators and at most three decimals."""
    if value is None:
        return "—"
    written = METRIC_UNITS.get(unit or "")
    if written is not None:
        return written(value)
    text = count(value) if float(value).is_integer() else f"{value:,.3f}".rstrip("0")
    return f"{text} {unit}" if unit else text


def metric_change(value: float | None, unit: str | None) -> str:
    """A change of a metric, signed ("+20 tokens", "-0.50 s"); "no change" for none."""
    if value is None:
        return "—"
    if value == 0:
        return "no change"
    return ("+" if value > 0 else "-") + metric(abs(value), unit)
