"""Text: the one number formatter and the one "did you mean" of the gallery."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable
from typing import Any

_EXPONENT = re.compile(r"e([+-])0*(\d)")


def num(value: float, digits: int = 4) -> str:
    """A number for prose, tables and labels: `digits` significant digits, short exponents.

    0.30000000000000004 -> "0.3", 1e-05 -> "1e-5", 123456.0 -> "1.235e5", nan -> "—".
    """
    v = float(value)
    if not math.isfinite(v):
        return "—" if math.isnan(v) else ("∞" if v > 0 else "−∞")
    if v == 0:
        return "0"
    text = f"{v:.{digits}g}"
    return _EXPONENT.sub(lambda m: "e" + ("-" if m.group(1) == "-" else "") + m.group(2), text)


def value(v: Any) -> str:
    """A setting as the scenario file would spell it: true/false, numbers, (a, b) pairs."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return num(v, 6)
    if isinstance(v, list | tuple):
        return "(" + ", ".join(value(x) for x in v) + ")"
    return str(v)


def point(xy: Iterable[float], digits: int = 4) -> str:
    """`(x, y)` with `num` formatting."""
    x, y = xy
    return f"({num(x, digits)}, {num(y, digits)})"


def did_you_mean(word: Any, choices: Iterable[Any]) -> str:
    """` (did you mean 'x'?)` when one of `choices` is close to `word`, else ''."""
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, [str(c) for c in choices], n=1, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(word.lower(), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def slugify(stem: str) -> str:
    """A file stem as a URL-safe slug: `Elongated Bowl` -> `elongated-bowl`."""
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
    return slug or "scenario"


def show(v: Any, limit: int = 60) -> str:
    """repr of a value from a file, cut to `limit` characters."""
    try:
        text = repr(v)
    except RecursionError:
        text = f"<deeply nested {type(v).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."
