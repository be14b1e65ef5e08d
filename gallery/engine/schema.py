"""Schema: every key of a scenario file declared once (name, type, bounds, default, help).

The declarations below drive the checker (`read`), the "did you mean" of unknown keys and the
README's key table (`markdown_table`, kept equal to the README by a test), so a key's bounds or
default are never written twice.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gallery.engine.text import did_you_mean, num, show

MAX_STEPS = 10_000
MAX_STARTS = 10_000
MAX_POINTS = 10_000_000  # steps x start points of one run


class ScenarioError(ValueError):
    """Everything wrong with one scenario file, as `file: key: message` lines."""

    def __init__(self, path: str, problems: list[tuple[str, str]]):
        self.path = path
        self.problems = problems
        super().__init__(
            "\n".join(f"{path}: {key}: {msg}" if key else f"{path}: {msg}" for key, msg in problems)
        )

    def __reduce__(self):  # so a render worker can send it back to the build intact
        return (ScenarioError, (self.path, self.problems))


class Invalid(ValueError):
    """One value that does not fit its key; the message says what is allowed."""


# ---------------------------------------------------------------------------------- value types


@dataclass(frozen=True)
class Option:
    """A type of value: `check` converts a TOML value or raises `Invalid`."""

    def check(self, v: Any) -> Any:
        raise NotImplementedError

    def allowed(self) -> str:
        raise NotImplementedError


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


@dataclass(frozen=True)
class Integer(Option):
    """A whole number in [lo, hi]."""

    lo: int
    hi: int

    def check(self, v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int):
            raise Invalid(f"must be a whole number from {self.lo} to {self.hi}, got {show(v)}")
        if not self.lo <= v <= self.hi:
            raise Invalid(f"must be from {self.lo} to {self.hi}, got {v}")
        return v

    def allowed(self) -> str:
        return f"whole number, {self.lo} to {self.hi}"


@dataclass(frozen=True)
class Number(Option):
    """A finite number in [lo, hi] (or (lo, hi] when `lo_open`)."""

    lo: float
    hi: float
    lo_open: bool = False

    def check(self, v: Any) -> float:
        if not _is_number(v) or not math.isfinite(v):
            raise Invalid(f"must be a finite number, got {show(v)}")
        if v < self.lo or (self.lo_open and v == self.lo):
            raise Invalid(f"must be {'>' if self.lo_open else '>='} {num(self.lo)}, got {num(v)}")
        if v > self.hi:
            raise Invalid(f"must be <= {num(self.hi)}, got {num(v)}")
        return float(v)

    def allowed(self) -> str:
        left = "(" if self.lo_open else "["
        return f"number in {left}{num(self.lo)}, {num(self.hi)}]"


@dataclass(frozen=True)
class Flag(Option):
    """true or false."""

    def check(self, v: Any) -> bool:
        if not isinstance(v, bool):
            raise Invalid(f"must be true or false, got {show(v)}")
        return v

    def allowed(self) -> str:
        return "true or false"


@dataclass(frozen=True)
class Text(Option):
    """A non-empty string of at most `most` characters (surrounding space stripped)."""

    most: int

    def check(self, v: Any) -> str:
        if not isinstance(v, str) or not v.strip():
            raise Invalid(f"must be a non-empty string, got {show(v)}")
        if len(v) > self.most:
            raise Invalid(f"is {len(v)} characters; at most {self.most} allowed")
        return v.strip()

    def allowed(self) -> str:
        return f"text, at most {self.most} characters"


#: Largest coordinate a file may give: far beyond any view, far below float64's overflow.
MAX_COORD = 1e6


@dataclass(frozen=True)
class Point(Option):
    """Two finite numbers [x, y], each within ±`bound`."""

    bound: float = MAX_COORD

    def check(self, v: Any) -> tuple[float, float]:
        if not isinstance(v, list) or len(v) != 2 or not all(_is_number(c) for c in v):
            raise Invalid(f"must be a point [x, y] of two numbers, got {show(v)}")
        if not all(math.isfinite(c) for c in v):
            raise Invalid(f"must be finite, got {show(v)}")
        if any(abs(c) > self.bound for c in v):
            raise Invalid(f"must be within ±{num(self.bound)}, got {show(v)}")
        return float(v[0]), float(v[1])

    def allowed(self) -> str:
        return f"[x, y], each within ±{num(self.bound)}"


@dataclass(frozen=True)
class Interval(Option):
    """Two finite numbers [min, max] with min < max, each within ±`bound`."""

    bound: float = MAX_COORD

    def check(self, v: Any) -> tuple[float, float]:
        try:
            lo, hi = Point(self.bound).check(v)
        except Invalid:
            raise Invalid(
                f"must be [min, max], two numbers within ±{num(self.bound)}, got {show(v)}"
            ) from None
        if not lo < hi:
            raise Invalid(f"min must be less than max, got [{num(lo)}, {num(hi)}]")
        return lo, hi

    def allowed(self) -> str:
        return f"[min, max], min < max, within ±{num(self.bound)}"


@dataclass(frozen=True)
class Points(Option):
    """A list of `lo` to `hi` points [x, y]."""

    lo: int
    hi: int

    def check(self, v: Any) -> tuple[tuple[float, float], ...]:
        if not isinstance(v, list) or not self.lo <= len(v) <= self.hi:
            raise Invalid(f"must be a list of {self.lo} to {self.hi} points [x, y], got {show(v)}")
        out = []
        for i, p in enumerate(v):
            try:
                out.append(Point().check(p))
            except Invalid as exc:
                raise Invalid(f"[{i}] {exc}") from None
        return tuple(out)

    def allowed(self) -> str:
        return f"list of {self.lo} to {self.hi} points [[x, y], ...]"


@dataclass(frozen=True)
class Choice(Option):
    """One of a few names, or (when `counts` is set) a whole number in that range."""

    names: tuple[str, ...]
    counts: tuple[int, int] | None = None

    def check(self, v: Any) -> str | int:
        if isinstance(v, str) and v in self.names:
            return v
        lo_hi = self.counts
        if lo_hi and isinstance(v, int) and not isinstance(v, bool) and lo_hi[0] <= v <= lo_hi[1]:
            return v
        raise Invalid(f"must be {self.allowed()}, got {show(v)}" + did_you_mean(v, self.names))

    def allowed(self) -> str:
        names = ", ".join(f"'{n}'" for n in self.names)
        return names + (
            f" or a count from {self.counts[0]} to {self.counts[1]}" if self.counts else ""
        )


#: Colour names a file may use besides #rgb / #rrggbb: matplotlib's Tableau set and basic CSS.
COLOUR_NAMES = {
    "tab:blue": "#1f77b4",
    "tab:orange": "#ff7f0e",
    "tab:green": "#2ca02c",
    "tab:red": "#d62728",
    "tab:purple": "#9467bd",
    "tab:brown": "#8c564b",
    "tab:pink": "#e377c2",
    "tab:gray": "#7f7f7f",
    "tab:olive": "#bcbd22",
    "tab:cyan": "#17becf",
    "black": "#000000",
    "gray": "#808080",
    "red": "#ff0000",
    "green": "#008000",
    "blue": "#0000ff",
    "orange": "#ffa500",
    "purple": "#800080",
    "brown": "#a52a2a",
    "teal": "#008080",
    "navy": "#000080",
    "olive": "#808000",
    "maroon": "#800000",
}
_HEX = re.compile(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


@dataclass(frozen=True)
class Colour(Option):
    """#rgb, #rrggbb or a colour name; normalised to lower-case #rrggbb."""

    def check(self, v: Any) -> str:
        if isinstance(v, str) and _HEX.fullmatch(v):
            h = v[1:].lower()
            return "#" + (h if len(h) == 6 else "".join(c * 2 for c in h))
        if isinstance(v, str) and v.lower() in COLOUR_NAMES:
            return COLOUR_NAMES[v.lower()]
        raise Invalid(
            f"must be a colour like '#D55E00' or 'tab:blue', got {show(v)}"
            + did_you_mean(v, COLOUR_NAMES)
        )

    def allowed(self) -> str:
        return "'#rrggbb', '#rgb', 'tab:blue'… or a basic name ('navy', 'teal'…)"


@dataclass(frozen=True)
class Custom(Option):
    """A value read by a function of its own (formula, tables); `what` describes it."""

    what: str
    fn: Callable[[Any], Any] = field(compare=False, repr=False)

    def check(self, v: Any) -> Any:
        return self.fn(v)

    def allowed(self) -> str:
        return self.what


# ---------------------------------------------------------------------------------- the keys

REQUIRED = object()


@dataclass(frozen=True)
class Key:
    """One key of a scenario file."""

    name: str
    option: Option
    default: Any = REQUIRED
    help: str = ""
    default_text: str | None = None  # the default in words, when it is not a plain value

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def default_shown(self) -> str:
        if self.required:
            return "required"
        if self.default_text is not None:
            return self.default_text
        d = self.default
        if isinstance(d, bool):
            return "true" if d else "false"
        if isinstance(d, str):
            return f'"{d}"'
        if isinstance(d, int | float):
            return num(d, 6)
        return str(d)


def _formula(v: Any) -> Any:
    from gallery.engine.formula import FormulaError, parse

    if not isinstance(v, str):
        raise Invalid(f"must be a formula in x and y as a string, got {show(v)}")
    try:
        return parse(v)
    except FormulaError as exc:
        raise Invalid(str(exc)) from None


def _table(v: Any) -> Mapping[str, Any]:
    if not isinstance(v, dict):
        raise Invalid(f"must be a table, got {show(v)}")
    return v


MAX_OPTIMIZERS = 12


def _tables(v: Any) -> list[Mapping[str, Any]]:
    if not isinstance(v, list) or not v or not all(isinstance(t, dict) for t in v):
        raise Invalid("must be one or more [[optimizer]] tables")
    if len(v) > MAX_OPTIMIZERS:
        raise Invalid(f"{len(v)} optimizers; at most {MAX_OPTIMIZERS} in one scenario")
    return v


TOP = (
    Key("title", Text(200), help="shown on the page and the index"),
    Key("summary", Text(400), "", help="one line for the index"),
    Key("order", Integer(0, 10_000), 100, help="position in the gallery (ties: by file name)"),
    Key("function", Custom("formula in x and y (see below)", _formula), help="f(x, y)"),
    Key("domain", Custom("table { x = [min, max], y = [min, max] }", _table), help="the view"),
    Key("steps", Integer(1, MAX_STEPS), help="optimizer steps per run"),
    Key("start", Point(), None, help="one start point", default_text="give start or starts"),
    Key("starts", Points(1, MAX_STARTS), None, help="several start points", default_text="—"),
    Key(
        "minima",
        Points(0, 32),
        (),
        help="known minimisers, used by the metrics",
        default_text="none",
    ),
    Key(
        "saddles",
        Points(0, 32),
        (),
        help="known saddle points, for `lingers` and `escapes`",
        default_text="none",
    ),
    Key("noise", Number(0.0, 1e6), 0.0, help="std of Gaussian noise added to every gradient"),
    Key("seed", Integer(0, 2**32 - 1), 0, help="seed of the noise"),
    Key("repeats", Integer(1, 1000), 1, help="runs per start point (for noise)"),
    Key(
        "optimizer",
        Custom(f"1 to {MAX_OPTIMIZERS} [[optimizer]] tables", _tables),
        help="what to compare",
    ),
    Key(
        "commentary",
        Custom("table of paragraphs (see below)", _table),
        {},
        help="authored prose",
        default_text="none",
    ),
    Key("view", Custom("table", _table), {}, help="see [view]", default_text="—"),
    Key("render", Custom("table", _table), {}, help="see [render]", default_text="—"),
    Key("analysis", Custom("table", _table), {}, help="see [analysis]", default_text="—"),
)

DOMAIN = (
    Key("x", Interval(), help="x range drawn and used for basins"),
    Key("y", Interval(), help="y range drawn and used for basins"),
)

OPTIMIZER = (
    Key("kind", Custom("an optimizer kind (see below)", lambda v: v), help="the update rule"),
    Key("label", Text(60), None, help="display name", default_text="from the kind"),
    Key("color", Colour(), None, help="line colour", default_text="palette"),
    Key(
        "noise",
        Number(0.0, 1e6),
        None,
        help="gradient noise for this one",
        default_text="top-level noise",
    ),
    Key(
        "seed",
        Integer(0, 2**32 - 1),
        None,
        help="noise seed for this one",
        default_text="top-level seed",
    ),
)

VIEW = (
    Key("elev", Number(-90, 90), 35.0, help="camera elevation, degrees"),
    Key("azim", Number(-360, 360), -60.0, help="camera azimuth, degrees"),
    Key(
        "zlim", Interval(1e12), None, help="z range of the surface", default_text="robust quantiles"
    ),
    Key("levels", Choice(("auto", "log", "linear"), (2, 200)), "auto", help="contour levels"),
    Key(
        "grid",
        Integer(10, 400),
        120,
        help="grid points per side (the surface: at most one quad per 4 px)",
    ),
    Key(
        "aspect",
        Choice(("equal", "auto")),
        "equal",
        help="contour map drawn to scale (equal axes), or stretched to fill its panel",
    ),
    Key(
        "zscale",
        Choice(("auto", "linear", "log")),
        "auto",
        help="height scale of the surface: auto is log where f spans decades above the paths",
    ),
)

RENDER = (
    Key(
        "frames",
        Integer(2, 1000),
        None,
        help="frames of the animation",
        default_text="every step up to 150, longer runs sampled evenly",
    ),
    Key("fps", Number(1, 60), 15.0, help="frames per second"),
    Key("hold", Number(0, 10), 1.5, help="seconds on the last frame"),
    Key("width", Integer(160, 3840), 1280, help="pixels"),
    Key("height", Integer(120, 2160), 720, help="pixels"),
    Key("arrows", Flag(), False, help="gradient, step and velocity arrows at each head"),
    Key(
        "layout",
        Choice(("full", "contour", "surface")),
        "full",
        help="three panels, or one clean panel with legend and step counter",
    ),
)

ANALYSIS = (
    Key("sweep", Flag(), True, help="learning-rate sweep on the page"),
    Key("sweep_points", Integer(3, 400), 48, help="rates in the sweep"),
    Key("sweep_decades", Number(0.1, 12), 4.0, help="decades the sweep spans"),
    Key(
        "tolerance",
        Number(0, 1e6, lo_open=True),
        1e-3,
        help="distance to a known minimum that counts as reaching it",
    ),
    Key("basins", Flag(), False, help="basin maps over a grid of starts"),
    Key("basin_grid", Integer(4, 400), 200, help="grid of starts per side"),
    Key(
        "basin_steps", Integer(1, MAX_STEPS), None, help="steps per basin run", default_text="steps"
    ),
)

SECTIONS: dict[str, tuple[Key, ...]] = {
    "": TOP,
    "domain": DOMAIN,
    "[[optimizer]]": OPTIMIZER,
    "view": VIEW,
    "render": RENDER,
    "analysis": ANALYSIS,
}


# ---------------------------------------------------------------------------------- checking


class Collector:
    """Every problem of one file, collected before they are raised together."""

    def __init__(self, path: str):
        self.path = path
        self.problems: list[tuple[str, str]] = []

    def err(self, key: str, msg: str) -> None:
        self.problems.append((key, msg))

    def raise_if_any(self) -> None:
        if self.problems:
            raise ScenarioError(self.path, self.problems)

    def unknown(self, where: str, table: Mapping[str, Any], allowed: Sequence[str]) -> None:
        """Report every key of `table` that is not in `allowed`, with a "did you mean"."""
        for key in table:
            if key not in allowed:
                full = f"{where}.{key}" if where else key
                hint = did_you_mean(key, allowed)
                self.err(full, f"unknown key; allowed: {', '.join(allowed)}{hint}")


#: Returned by `read` for a key whose value was invalid (its problem is already recorded).
BAD = object()


def read(
    c: Collector, where: str, table: Mapping[str, Any], keys: Sequence[Key], *, extra: bool = False
) -> dict[str, Any]:
    """Check `table` against `keys`: values converted, defaults filled, problems recorded.

    Missing required keys are reported; an invalid value reads as `BAD`. With `extra`, keys that
    are not declared are left for the caller instead of reported as unknown.
    """
    if not extra:
        c.unknown(where, table, [k.name for k in keys])
    out: dict[str, Any] = {}
    for key in keys:
        full = f"{where}.{key.name}" if where else key.name
        if key.name not in table:
            if key.required:
                c.err(full, "missing (required)")
                out[key.name] = BAD
            else:
                out[key.name] = key.default
            continue
        try:
            out[key.name] = key.option.check(table[key.name])
        except Invalid as exc:
            c.err(full, str(exc))
            out[key.name] = BAD
    return out


def defaults(keys: Sequence[Key]) -> dict[str, Any]:
    """Every optional key's default (for building a section nobody wrote)."""
    return {k.name: k.default for k in keys if not k.required}


# ---------------------------------------------------------------------------------- the README


def markdown_table() -> str:
    """The README's table of every key: section, key, allowed values, default, meaning."""
    rows = ["| key | allowed | default | meaning |", "| --- | --- | --- | --- |"]
    for section, keys in SECTIONS.items():
        for k in keys:
            if section == "" and k.name in ("domain", "view", "render", "analysis"):
                continue
            name = f"`{k.name}`" if not section else f"`{section}` `{k.name}`"
            allowed = k.option.allowed().replace("|", "\\|")
            rows.append(f"| {name} | {allowed} | {k.default_shown()} | {k.help} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
