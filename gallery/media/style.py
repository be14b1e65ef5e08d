"""Style: how each optimizer is drawn (colour, marker, dash), the same on every figure and page.

Plain data, no matplotlib: the page writer reads the colours without loading a plotting library.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: Okabe–Ito colour-blind-safe palette, ordered so the first five read well on a light grey map.
OKABE_ITO = (
    "#0072b2",  # blue
    "#d55e00",  # vermillion
    "#009e73",  # bluish green
    "#cc79a7",  # reddish purple
    "#e69f00",  # orange
    "#56b4e9",  # sky blue
    "#000000",  # black
    "#f0e442",  # yellow
)
MARKERS = ("o", "s", "^", "D", "v", "P", "p", "h")
LINESTYLES = ("-", "--", "-.", ":", (0, (6, 2, 1, 2, 1, 2)), (0, (1, 1)), (0, (8, 3)), (0, (3, 1)))


@dataclass(frozen=True)
class Style:
    """How one optimizer is drawn: colour (lower-case #rrggbb), marker, line style."""

    color: str
    marker: str
    linestyle: str | tuple


def palette(colors: Sequence[str | None]) -> list[Style]:
    """One style per optimizer: colours from the file win; the rest take the palette colours that
    the file did not already use, so no two optimizers share a colour (up to eight)."""
    taken = {c.lower() for c in colors if c}
    free = iter([c for c in OKABE_ITO if c not in taken] or OKABE_ITO)
    out = []
    for i, c in enumerate(colors):
        color = c.lower() if c else next(free, OKABE_ITO[i % len(OKABE_ITO)])
        out.append(Style(color, MARKERS[i % len(MARKERS)], LINESTYLES[i % len(LINESTYLES)]))
    return out
