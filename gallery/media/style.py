"""Style: how each optimizer is drawn (colour, marker, dash), the same on every figure and page.

One look per optimizer *kind*, gallery-wide: Adam is the same blue pentagon with long dashes on
every scenario, whatever its position in the file. The six classic kinds take the six most distinct
Okabe–Ito colours; the other kinds are told apart by marker and dash (their colours repeat). A
second run of the same kind in one scenario is a variant of its kind's look: the same marker, a
tint of the colour and another dash. A colour written in the scenario file wins.

Plain data, no matplotlib: the page writer reads the colours without loading a plotting library.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: Okabe–Ito colour-blind-safe palette.
BLACK = "#000000"
ORANGE = "#e69f00"
SKY_BLUE = "#56b4e9"
GREEN = "#009e73"  # bluish green
YELLOW = "#f0e442"
BLUE = "#0072b2"
VERMILLION = "#d55e00"
PURPLE = "#cc79a7"  # reddish purple
OKABE_ITO = (BLUE, VERMILLION, GREEN, PURPLE, ORANGE, SKY_BLUE, BLACK, YELLOW)

#: Markers the figures use for something else: start, known minimum, divergence, exits.
RESERVED_MARKERS = ("*", "X", "x")

#: kind -> (colour, marker, dash). A dash is "-" or (offset, (on, off, ...)) in line widths.
KIND_LOOKS: dict[str, tuple[str, str | tuple, str | tuple]] = {
    # the classic six: six distinct colours (yellow, too light on a white page, is not used)
    "sgd": (BLACK, "o", "-"),
    "momentum": (VERMILLION, "s", (0, (6.0, 2.5))),
    "nesterov": (GREEN, "^", (0, (6.0, 2.0, 1.5, 2.0))),
    "adagrad": (PURPLE, "D", (0, (1.5, 1.5))),
    "rmsprop": (ORANGE, "v", (0, (5.0, 1.5, 1.5, 1.5, 1.5, 1.5))),
    "adam": (BLUE, "p", (0, (10.0, 2.5))),
    # the rest: told apart by marker and dash; an Adam variant never shares Adam's colour
    "amsgrad": (SKY_BLUE, "P", (0, (10.0, 2.0, 2.0, 2.0))),
    "adamw": (GREEN, "h", (0, (3.0, 1.5))),
    "adamax": (PURPLE, "<", (0, (1.0, 2.5))),
    "nadam": (VERMILLION, ">", (0, (8.0, 2.0, 1.5, 2.0, 1.5, 2.0))),
    "radam": (ORANGE, "H", (0, (4.0, 1.5, 4.0, 1.5, 1.0, 1.5))),
    "adadelta": (SKY_BLUE, "d", (0, (2.5, 1.5, 2.5, 4.0))),
    "lion": (ORANGE, (4, 1, 0), (0, (12.0, 2.0, 1.0, 2.0))),
    "newton": (PURPLE, "8", (0, (7.0, 1.5, 7.0, 4.0))),
}

#: Dashes of the second, third... run of one kind (the first keeps its kind's dash).
VARIANT_DASHES: tuple[str | tuple, ...] = (
    (0, (2.0, 1.0)),
    (0, (0.8, 1.6)),
    (0, (9.0, 1.5, 0.8, 1.5)),
    (0, (14.0, 3.0)),
)
#: Marker of an unknown kind (a kind added to the engine before it is given a look here).
FALLBACK_MARKERS = ("o", "s", "^", "D", "v", "p", "P", "h", "<", ">", "H", "d")

MARKERS = FALLBACK_MARKERS  # kept for older callers
LINESTYLES = ("-", "--", "-.", ":", (0, (6, 2, 1, 2, 1, 2)), (0, (1, 1)), (0, (8, 3)), (0, (3, 1)))


@dataclass(frozen=True)
class Style:
    """How one optimizer is drawn: colour (lower-case #rrggbb), marker, line style; `variant`
    counts earlier runs of the same kind in the scenario (0: the kind's own look)."""

    color: str
    marker: str | tuple
    linestyle: str | tuple
    variant: int = 0


def _rgb(color: str) -> tuple[float, float, float]:
    c = color.lstrip("#")
    if len(c) == 3:
        c = "".join(ch * 2 for ch in c)
    return tuple(int(c[i : i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def _hex(rgb: Sequence[float]) -> str:
    return "#" + "".join(f"{round(min(max(v, 0.0), 1.0) * 255):02x}" for v in rgb)


def luminance(color: str) -> float:
    """Relative luminance (WCAG) of a '#rrggbb' colour, 0 (black) to 1 (white)."""

    def lin(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(v) for v in _rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def tint(color: str, step: int) -> str:
    """The `step`-th variant of a colour: dark colours lighter, light colours darker, so the
    variant stays visible on a light grey map and differs from the original."""
    if step <= 0:
        return color.lower()
    amount = min(0.25 + 0.2 * step, 0.7)
    rgb = _rgb(color)
    if luminance(color) < 0.2:  # lighten toward white
        out = [v + (1.0 - v) * amount for v in rgb]
    else:  # darken toward black
        out = [v * (1.0 - amount * 0.8) for v in rgb]
    return _hex(out)


def kind_look(kind: str) -> tuple[str, str | tuple, str | tuple]:
    """(colour, marker, dash) of an optimizer kind; an unknown kind gets a stable fallback."""
    if kind in KIND_LOOKS:
        return KIND_LOOKS[kind]
    h = sum((i + 1) * ord(ch) for i, ch in enumerate(kind))
    return (
        OKABE_ITO[h % 7],
        FALLBACK_MARKERS[h % len(FALLBACK_MARKERS)],
        LINESTYLES[h % len(LINESTYLES)],
    )


def looks(runs: Sequence[tuple[str, str | None]]) -> list[Style]:
    """One style per run, from (kind, colour written in the file or None).

    The look follows the kind; the k-th further run of a kind in the list is its k-th variant
    (tinted colour, another dash, same marker). A colour from the file replaces the colour only.
    """
    seen: dict[str, int] = {}
    out = []
    for kind, file_color in runs:
        k = seen.get(kind, 0)
        seen[kind] = k + 1
        color, marker, dash = kind_look(kind)
        if k:  # a variant: tinted colour, a dash no kind uses (solid for a dashed kind's first)
            color = tint(color, k)
            dash = "-" if dash != "-" and k == 1 else VARIANT_DASHES[(k - 1) % len(VARIANT_DASHES)]
        if file_color:
            color = file_color.lower()
        out.append(Style(color, marker, dash, k))
    return out


def palette(colors: Sequence[str | None]) -> list[Style]:
    """Older interface, by position only (no kinds): prefer `looks`, which gives every kind the
    same look on every figure. Colours from the file win; the rest take the palette colours that
    the file did not already use, so no two optimizers share a colour (up to eight)."""
    taken = {c.lower() for c in colors if c}
    free = iter([c for c in OKABE_ITO if c not in taken] or OKABE_ITO)
    out = []
    for i, c in enumerate(colors):
        color = c.lower() if c else next(free, OKABE_ITO[i % len(OKABE_ITO)])
        out.append(Style(color, MARKERS[i % len(MARKERS)], LINESTYLES[i % len(LINESTYLES)]))
    return out
