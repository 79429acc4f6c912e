"""A tag's color: one a swatch can show (:func:`tag_color`), checked by the services, the pages and the admin alike."""

import re
from typing import Any

from projects.services.configuration.checks import _text, invalid

# The named colors of CSS Color Module Level 4 (all 148 of them; "transparent" and "currentcolor" are
# keywords, not colors a swatch can show, so they are not among them).
_CSS_COLOR_NAMES = """
    aliceblue antiquewhite aqua aquamarine azure beige bisque black blanchedalmond blue blueviolet brown burlywood
    cadetblue chartreuse chocolate coral cornflowerblue cornsilk crimson cyan darkblue darkcyan darkgoldenrod darkgray
    darkgreen darkgrey darkkhaki darkmagenta darkolivegreen darkorange darkorchid darkred darksalmon darkseagreen
    darkslateblue darkslategray darkslategrey darkturquoise darkviolet deeppink deepskyblue dimgray dimgrey dodgerblue
    firebrick floralwhite forestgreen fuchsia gainsboro ghostwhite gold goldenrod gray green greenyellow grey honeydew
    hotpink indianred indigo ivory khaki lavender lavenderblush lawngreen lemonchiffon lightblue lightcoral lightcyan
    lightgoldenrodyellow lightgray lightgreen lightgrey lightpink lightsalmon lightseagreen lightskyblue lightslategray
    lightslategrey lightsteelblue lightyellow lime limegreen linen magenta maroon mediumaquamarine mediumblue
    mediumorchid mediumpurple mediumseagreen mediumslateblue mediumspringgreen mediumturquoise mediumvioletred
    midnightblue mintcream mistyrose moccasin navajowhite navy oldlace olive olivedrab orange orangered orchid
    palegoldenrod palegreen paleturquoise palevioletred papayawhip peachpuff peru pink plum powderblue purple
    rebeccapurple red rosybrown royalblue saddlebrown salmon sandybrown seagreen seashell sienna silver skyblue
    slateblue slategray slategrey snow springgreen steelblue tan teal thistle tomato turquoise violet wheat white
    whitesmoke yellow yellowgreen
"""
CSS_NAMED_COLORS = frozenset(_CSS_COLOR_NAMES.split())
_HEX_COLOR = re.compile(r"#(?:[0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})")
_COLOR_FUNCTION = re.compile(r"(rgba?|hsla?)\(([^()]*)\)")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(%|deg)?")
TAG_COLOR_HINT = "use #rgb or #rrggbb, a CSS color name such as teal, or rgb(31, 119, 180)"


def _component(text: str, *, percent: bool | None, top: float, units: tuple[str | None, ...]) -> str | None:
    """The unit of one number of a color function ("" for none), if it is a number within 0..`top` (or
    0..100%) with one of `units`; `percent` True or False demands a percentage or a plain number."""
    match = _NUMBER.fullmatch(text)
    if match is None or match.group(1) not in units:
        return None
    unit = match.group(1) or ""
    if percent is not None and (unit == "%") != percent:
        return None
    value = float(text.removesuffix(unit))
    limit = 100 if unit == "%" else top
    return unit if 0 <= value <= limit else None


def _is_color_function(name: str, body: str) -> bool:
    """``rgb()``/``rgba()`` and ``hsl()``/``hsla()``, comma- or space-separated, with an optional alpha."""
    if "," in body:
        parts = [part.strip() for part in body.split(",")]
        alpha = parts[3] if len(parts) == 4 else None
        parts = parts[:3] if len(parts) in (3, 4) else []
    else:
        color, _, alpha_text = body.partition("/")
        parts = color.split()
        alpha = alpha_text.strip() if "/" in body else None
        if alpha == "":
            return False
    if len(parts) != 3:
        return False
    if alpha is not None and _component(alpha, percent=None, top=1, units=(None, "%")) is None:
        return False
    if name.startswith("rgb"):
        units = [_component(part, percent=None, top=255, units=(None, "%")) for part in parts]
        return None not in units and ("," not in body or len(set(units)) == 1)
    hue = _NUMBER.fullmatch(parts[0])
    if hue is None or hue.group(1) not in (None, "deg"):
        return False
    percent = True if "," in body else None
    return all(_component(part, percent=percent, top=100, units=(None, "%")) is not None for part in parts[1:])


def is_tag_color(value: str) -> bool:
    """Whether `value` is a CSS color a tag's swatch can show: ``#rgb``, ``#rgba``, ``#rrggbb`` or
    ``#rrggbbaa``; one of the 148 CSS named colors (:data:`CSS_NAMED_COLORS`, any case); or ``rgb()``,
    ``rgba()``, ``hsl()`` or ``hsla()`` with numbers in range.

    A fixed list of names, rather than any word, because a word a browser does not know ("blurple") is
    silently dropped from the style and leaves a blank swatch; numbers out of range are refused too,
    although a browser would clamp them, because they are rarely what was meant. Being this strict is
    also what makes the value safe to put into a ``style`` attribute.
    """
    color = value.strip().lower()
    if _HEX_COLOR.fullmatch(color) or color in CSS_NAMED_COLORS:
        return True
    function = _COLOR_FUNCTION.fullmatch(color)
    return function is not None and _is_color_function(function.group(1), function.group(2).strip())


def tag_color(value: Any, path: str = "color") -> str:
    """A tag's color as it is stored: empty (no color) or a color :func:`is_tag_color` accepts, stripped."""
    color = _text(value, path, max_length=64).strip()
    if color and not is_tag_color(color):
        raise invalid(path, f"{color!r} is not a color: {TAG_COLOR_HINT}.")
    return color
