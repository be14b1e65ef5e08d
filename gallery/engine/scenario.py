"""Scenario files: TOML in, a validated, frozen `Scenario` out; errors as `file: key: message`."""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gallery.engine import optim
from gallery.engine.formula import Formula, FormulaError
from gallery.engine.formula import parse as parse_formula


@dataclass(frozen=True)
class OptimizerSpec:
    """One optimizer of a scenario: its kind, display label, colour and full hyperparameters."""

    kind: str
    label: str
    color: str | None
    hyper: Mapping[str, Any]  # every hyperparameter of the kind, defaults filled in
    given: Mapping[str, Any]  # only what the file wrote (for short legends)
    noise: float = 0.0  # std of Gaussian noise added to each gradient
    seed: int = 0
    tuned: Any = None  # analysis.Tuned once `lr = "tuned"` has been resolved

    @property
    def short(self) -> str:
        """Label plus the hyperparameters the file set, e.g. `Adam lr=0.3`."""
        text = short_form(self.label.replace(" lr=tuned", ""), self.given)
        if self.noise > 0:
            text += f" σ={self.noise:g}"
        tuned = self.tuned is not None and "tuned" not in self.label
        return f"{text} (tuned)" if tuned else text


@dataclass(frozen=True)
class View:
    """How the figure looks at the function: camera, z range, contour levels, surface grid."""

    elev: float = 35.0
    azim: float = -60.0
    zlim: tuple[float, float] | None = None
    levels: str | int = "auto"  # "auto", "log", "linear" or a count
    grid: int = 120


@dataclass(frozen=True)
class Render:
    """Animation settings: frames, timing, size, overlays."""

    frames: int | None = None  # None: every step up to 150, longer runs sampled evenly
    fps: float = 15.0
    hold: float = 1.5
    width: int = 1280
    height: int = 720
    arrows: bool = False


@dataclass(frozen=True)
class Analysis:
    """Extra views: learning-rate sweep and basins of attraction."""

    sweep: bool = True
    sweep_points: int = 48
    sweep_decades: float = 4.0
    tolerance: float = 1e-3
    basins: bool = False
    basin_grid: int = 200
    basin_steps: int | None = None


@dataclass(frozen=True)
class Scenario:
    """A validated scenario file."""

    path: str
    slug: str
    source: str
    title: str
    summary: str
    function: Formula
    domain: tuple[tuple[float, float], tuple[float, float]]
    steps: int
    starts: np.ndarray  # (N, 2) float64
    minima: np.ndarray  # (M, 2) float64, M may be 0
    optimizers: tuple[OptimizerSpec, ...]
    commentary: Mapping[str, str] = field(default_factory=dict)
    view: View = field(default_factory=View)
    render: Render = field(default_factory=Render)
    analysis: Analysis = field(default_factory=Analysis)
    order: int = 100  # position in the gallery (then by slug)


def short_form(label: str, given: Mapping[str, Any]) -> str:
    """`Adam lr=0.3` style text: the label and the lr the file set."""
    if "lr" in given and given["lr"] != "tuned" and f"lr={_fmt(given['lr'])}" not in label:
        return f"{label} lr={_fmt(given['lr'])}"
    return label


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(_fmt(v) for v in value) + ")"
    return str(value)


# ---------------------------------------------------------------------------------------------
# Loading and validation
# ---------------------------------------------------------------------------------------------

MAX_FILE_BYTES = 256_000
MAX_STEPS = 10_000
MAX_STARTS = 10_000
MAX_POINTS = 10_000_000

TOP_KEYS = (
    "title",
    "summary",
    "order",
    "function",
    "domain",
    "steps",
    "start",
    "starts",
    "minima",
    "noise",
    "seed",
    "repeats",
    "optimizer",
    "commentary",
    "view",
    "render",
    "analysis",
)
OPTIMIZER_META = ("kind", "label", "color", "noise", "seed")


class ScenarioError(ValueError):
    """Everything wrong with one scenario file, as `file: key: message` lines."""

    def __init__(self, path: str, problems: list[tuple[str, str]]):
        self.path = path
        self.problems = problems
        super().__init__(
            "\n".join(f"{path}: {key}: {msg}" if key else f"{path}: {msg}" for key, msg in problems)
        )


def did_you_mean(word: str, choices: Any) -> str:
    """` (did you mean 'x'?)` when a choice is close to `word`, else ''."""
    import difflib

    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def slugify(stem: str) -> str:
    """File stem -> URL-safe slug."""
    import re

    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
    return slug or "scenario"


def load(path: str | os.PathLike[str]) -> Scenario:
    """Read and validate a scenario file."""
    p = Path(path)
    name = str(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise ScenarioError(name, [("", f"cannot read file: {exc.strerror or exc}")]) from None
    if size > MAX_FILE_BYTES:
        raise ScenarioError(name, [("", f"file is {size} bytes; the limit is {MAX_FILE_BYTES}")])
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(name, [("", f"cannot read file as UTF-8 text: {exc}")]) from None
    return loads(text, name)


def loads(text: str, path: str = "<scenario>") -> Scenario:
    """Validate scenario TOML text; `path` names the file in messages and gives the slug."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(path, [("", f"TOML syntax error: {exc}")]) from None
    return _Checker(path, text).scenario(data)


class _Checker:
    """Collects every problem of one file before raising them together."""

    def __init__(self, path: str, text: str):
        self.path = path
        self.text = text
        self.problems: list[tuple[str, str]] = []

    def err(self, key: str, msg: str) -> None:
        self.problems.append((key, msg))

    # -- small typed readers; each returns None after recording a problem ------------------------

    def number(
        self,
        key: str,
        value: Any,
        lo: float | None = None,
        hi: float | None = None,
        *,
        lo_open: bool = False,
    ) -> float | None:
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            self.err(key, f"must be a finite number, got {_show(value)}")
            return None
        if lo is not None and (value < lo or (lo_open and value == lo)):
            self.err(key, f"must be {'>' if lo_open else '>='} {lo:g}, got {value:g}")
            return None
        if hi is not None and value > hi:
            self.err(key, f"must be <= {hi:g}, got {value:g}")
            return None
        return float(value)

    def integer(self, key: str, value: Any, lo: int, hi: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.err(key, f"must be a whole number from {lo} to {hi}, got {_show(value)}")
            return None
        if not lo <= value <= hi:
            self.err(key, f"must be from {lo} to {hi}, got {value}")
            return None
        return value

    def boolean(self, key: str, value: Any) -> bool | None:
        if not isinstance(value, bool):
            self.err(key, f"must be true or false, got {_show(value)}")
            return None
        return value

    def text_value(self, key: str, value: Any, max_len: int = 200) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.err(key, f"must be a non-empty string, got {_show(value)}")
            return None
        if len(value) > max_len:
            self.err(key, f"is {len(value)} characters; at most {max_len} allowed")
            return None
        return value.strip()

    def point(self, key: str, value: Any) -> tuple[float, float] | None:
        if (
            not isinstance(value, list)
            or len(value) != 2
            or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in value)
        ):
            self.err(key, f"must be a point [x, y] of two numbers, got {_show(value)}")
            return None
        if not all(math.isfinite(v) for v in value):
            self.err(key, f"must be finite, got {_show(value)}")
            return None
        return float(value[0]), float(value[1])

    def points(self, key: str, value: Any, lo: int, hi: int) -> np.ndarray | None:
        if not isinstance(value, list) or not lo <= len(value) <= hi:
            self.err(key, f"must be a list of {lo} to {hi} points [x, y], got {_show(value)}")
            return None
        pts = [self.point(f"{key}[{i}]", v) for i, v in enumerate(value)]
        if any(p is None for p in pts):
            return None
        return np.array(pts, dtype=np.float64).reshape(-1, 2)

    def unknown(self, where: str, table: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
        for key in table:
            if key not in allowed:
                full = f"{where}.{key}" if where else key
                self.err(
                    full, f"unknown key; allowed: {', '.join(allowed)}" + did_you_mean(key, allowed)
                )

    def table(self, key: str, value: Any) -> Mapping[str, Any] | None:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.err(key, f"must be a table [{key}], got {_show(value)}")
            return None
        return value

    # -- the file ------------------------------------------------------------------------------

    def scenario(self, d: Mapping[str, Any]) -> Scenario:
        if not d:
            raise ScenarioError(
                self.path,
                [
                    (
                        "",
                        "the file is empty; required keys: "
                        "title, function, domain, steps, start, [[optimizer]]",
                    )
                ],
            )
        self.unknown("", d, TOP_KEYS)
        for req in ("title", "function", "domain", "steps", "optimizer"):
            if req not in d:
                self.err(req, "missing (required)")
        if "start" not in d and "starts" not in d:
            self.err("start", "missing: give `start = [x, y]` or `starts = [[x, y], ...]`")
        if "start" in d and "starts" in d:
            self.err("starts", "give either `start` or `starts`, not both")

        title = self.text_value("title", d["title"]) if "title" in d else None
        summary = self.text_value("summary", d["summary"], 400) if "summary" in d else ""
        formula = self.function(d["function"]) if "function" in d else None
        domain = self.domain(d["domain"]) if "domain" in d else None
        steps = self.integer("steps", d["steps"], 1, MAX_STEPS) if "steps" in d else None
        starts = None
        if "start" in d:
            pt = self.point("start", d["start"])
            starts = None if pt is None else np.array([pt], dtype=np.float64)
        elif "starts" in d:
            starts = self.points("starts", d["starts"], 1, MAX_STARTS)
        repeats = self.integer("repeats", d.get("repeats", 1), 1, 1000)
        if starts is not None and repeats and repeats > 1:
            if starts.shape[0] * repeats > MAX_STARTS:
                self.err("repeats", f"starts x repeats must be at most {MAX_STARTS}")
            starts = np.repeat(starts, repeats, axis=0)
        if starts is not None and steps and starts.shape[0] * steps > MAX_POINTS:
            self.err(
                "steps",
                f"steps x start points is {starts.shape[0] * steps:,}; at most "
                f"{MAX_POINTS:,} allowed (fewer steps or fewer starts)",
            )
        minima = self.points("minima", d["minima"], 0, 100) if "minima" in d else np.zeros((0, 2))
        noise = self.number("noise", d.get("noise", 0.0), 0.0, 1e6)
        seed = self.integer("seed", d.get("seed", 0), 0, 2**32 - 1)
        optimizers = self.optimizers(d.get("optimizer"), noise or 0.0, seed or 0)
        commentary = self.commentary(d.get("commentary"), optimizers)
        view = self.view(d.get("view"))
        render = self.render(d.get("render"))
        analysis = self.analysis(d.get("analysis"))
        order = self.integer("order", d.get("order", 100), 0, 10_000)

        if self.problems:
            raise ScenarioError(self.path, self.problems)
        stem = Path(self.path).stem
        return Scenario(
            path=self.path,
            slug=slugify(stem),
            source=self.text,
            title=title,
            summary=summary,
            function=formula,
            domain=domain,
            steps=steps,
            starts=starts,
            minima=minima,
            optimizers=optimizers,
            commentary=commentary,
            view=view,
            render=render,
            analysis=analysis,
            order=order if order is not None else 100,
        )

    def function(self, value: Any) -> Formula | None:
        if not isinstance(value, str):
            self.err("function", f"must be a formula in x and y as a string, got {_show(value)}")
            return None
        try:
            return parse_formula(value)
        except FormulaError as exc:
            self.err("function", str(exc))
            return None

    def domain(self, value: Any):
        t = self.table("domain", value)
        if t is None:
            return None
        self.unknown("domain", t, ("x", "y"))
        out = []
        for axis in ("x", "y"):
            key = f"domain.{axis}"
            if axis not in t:
                self.err(key, "missing: give [min, max]")
                continue
            pt = self.point(key, t[axis])
            if pt is None:
                continue
            if not pt[0] < pt[1]:
                self.err(key, f"min must be less than max, got [{pt[0]:g}, {pt[1]:g}]")
                continue
            out.append(pt)
        return tuple(out) if len(out) == 2 else None

    def optimizers(self, value: Any, noise: float, seed: int) -> tuple[OptimizerSpec, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
            self.err("optimizer", "must be one or more [[optimizer]] tables")
            return ()
        raw = []
        for i, t in enumerate(value):
            key = f"optimizer[{i}]"
            kind = t.get("kind")
            if kind is None:
                self.err(key, f"missing 'kind'; allowed: {', '.join(optim.KINDS)}")
                continue
            if kind not in optim.KINDS:
                self.err(
                    f"{key}.kind",
                    f"unknown kind {_show(kind)}; allowed: "
                    f"{', '.join(optim.KINDS)}" + did_you_mean(kind, optim.KINDS),
                )
                continue
            spec = optim.KINDS[kind]
            allowed_hyper = tuple(spec.defaults)
            hyper_given: dict[str, Any] = {}
            for k, v in t.items():
                if k in OPTIMIZER_META:
                    continue
                if k not in allowed_hyper:
                    self.err(
                        f"{key} ({kind})",
                        f"unknown hyperparameter '{k}'; allowed: "
                        f"{', '.join(allowed_hyper + OPTIMIZER_META[1:])}"
                        + did_you_mean(k, allowed_hyper + OPTIMIZER_META[1:]),
                    )
                    continue
                hyper_given[k] = tuple(v) if isinstance(v, list) else v
            tuned = hyper_given.get("lr") == "tuned"
            check = {k: v for k, v in hyper_given.items() if not (k == "lr" and tuned)}
            for k, msg in optim.validate(kind, check):
                extra = ' (or "tuned")' if k == "lr" else ""
                self.err(f"{key} ({kind}).{k}", msg + extra)
            label = self.text_value(f"{key}.label", t["label"], 60) if "label" in t else None
            color = self.color(f"{key}.color", t["color"]) if "color" in t else None
            o_noise = self.number(f"{key}.noise", t["noise"], 0.0, 1e6) if "noise" in t else noise
            o_seed = self.integer(f"{key}.seed", t["seed"], 0, 2**32 - 1) if "seed" in t else seed
            raw.append((i, kind, label, color, hyper_given, o_noise or 0.0, o_seed or 0))

        labels = _default_labels(raw)
        seen: dict[str, int] = {}
        out = []
        for (i, kind, _, color, given, o_noise, o_seed), label in zip(raw, labels, strict=True):
            if label in seen:
                self.err(
                    f"optimizer[{i}].label",
                    f"'{label}' is already used by optimizer[{seen[label]}]; labels must be unique",
                )
            seen[label] = i
            hyper = {**optim.KINDS[kind].defaults, **given}
            out.append(
                OptimizerSpec(
                    kind=kind,
                    label=label,
                    color=color,
                    hyper=hyper,
                    given=given,
                    noise=o_noise,
                    seed=o_seed,
                )
            )
        return tuple(out)

    def color(self, key: str, value: Any) -> str | None:
        from matplotlib.colors import is_color_like, to_hex

        if not isinstance(value, str) or not is_color_like(value):
            self.err(key, f"must be a colour like '#D55E00' or 'tab:blue', got {_show(value)}")
            return None
        return to_hex(value).upper()

    def commentary(self, value: Any, optimizers: tuple[OptimizerSpec, ...]) -> dict[str, str]:
        t = self.table("commentary", value)
        if not t:
            return {}
        names = ["intro"] + [o.label for o in optimizers] + [o.kind for o in optimizers]
        out = {}
        for k, v in t.items():
            if optimizers and k not in names:
                self.err(
                    f"commentary.{k}",
                    f"matches no optimizer label or kind; allowed: "
                    f"{', '.join(dict.fromkeys(names))}" + did_you_mean(k, names),
                )
                continue
            text = self.text_value(f"commentary.{k}", v, 5000)
            if text is not None:
                out[k] = text
        return out

    def view(self, value: Any) -> View:
        t = self.table("view", value)
        if not t:
            return View()
        self.unknown("view", t, ("elev", "azim", "zlim", "levels", "grid"))
        kw: dict[str, Any] = {}
        if "elev" in t:
            kw["elev"] = self.number("view.elev", t["elev"], -90, 90)
        if "azim" in t:
            kw["azim"] = self.number("view.azim", t["azim"], -360, 360)
        if "zlim" in t:
            z = self.point("view.zlim", t["zlim"])
            if z is not None and not z[0] < z[1]:
                self.err("view.zlim", f"min must be less than max, got [{z[0]:g}, {z[1]:g}]")
                z = None
            kw["zlim"] = z
        if "levels" in t:
            lv = t["levels"]
            named = isinstance(lv, str) and lv in ("auto", "log", "linear")
            count = isinstance(lv, int) and not isinstance(lv, bool) and 2 <= lv <= 200
            if named or count:
                kw["levels"] = lv
            else:
                self.err(
                    "view.levels",
                    f"must be 'auto', 'log', 'linear' or a count from 2 to "
                    f"200, got {_show(lv)}" + did_you_mean(lv, ("auto", "log", "linear")),
                )
        if "grid" in t:
            kw["grid"] = self.integer("view.grid", t["grid"], 10, 400)
        return View(**{k: v for k, v in kw.items() if v is not None})

    def render(self, value: Any) -> Render:
        t = self.table("render", value)
        if not t:
            return Render()
        self.unknown("render", t, ("frames", "fps", "hold", "width", "height", "arrows"))
        kw: dict[str, Any] = {}
        if "frames" in t:
            kw["frames"] = self.integer("render.frames", t["frames"], 2, 1000)
        if "fps" in t:
            kw["fps"] = self.number("render.fps", t["fps"], 1, 60)
        if "hold" in t:
            kw["hold"] = self.number("render.hold", t["hold"], 0, 10)
        if "width" in t:
            kw["width"] = self.integer("render.width", t["width"], 160, 3840)
        if "height" in t:
            kw["height"] = self.integer("render.height", t["height"], 120, 2160)
        if "arrows" in t:
            kw["arrows"] = self.boolean("render.arrows", t["arrows"])
        return Render(**{k: v for k, v in kw.items() if v is not None})

    def analysis(self, value: Any) -> Analysis:
        t = self.table("analysis", value)
        if not t:
            return Analysis()
        allowed = (
            "sweep",
            "sweep_points",
            "sweep_decades",
            "tolerance",
            "basins",
            "basin_grid",
            "basin_steps",
        )
        self.unknown("analysis", t, allowed)
        kw: dict[str, Any] = {}
        if "sweep" in t:
            kw["sweep"] = self.boolean("analysis.sweep", t["sweep"])
        if "sweep_points" in t:
            kw["sweep_points"] = self.integer("analysis.sweep_points", t["sweep_points"], 3, 400)
        if "sweep_decades" in t:
            kw["sweep_decades"] = self.number("analysis.sweep_decades", t["sweep_decades"], 0.1, 12)
        if "tolerance" in t:
            kw["tolerance"] = self.number(
                "analysis.tolerance", t["tolerance"], 0, 1e6, lo_open=True
            )
        if "basins" in t:
            kw["basins"] = self.boolean("analysis.basins", t["basins"])
        if "basin_grid" in t:
            kw["basin_grid"] = self.integer("analysis.basin_grid", t["basin_grid"], 4, 400)
        if "basin_steps" in t:
            kw["basin_steps"] = self.integer("analysis.basin_steps", t["basin_steps"], 1, MAX_STEPS)
        return Analysis(**{k: v for k, v in kw.items() if v is not None})


def _default_labels(raw: list[tuple]) -> list[str]:
    """Explicit labels win; same-kind optimizers without one get their distinguishing setting."""
    by_kind: dict[str, list[int]] = {}
    for j, (_, kind, label, *_rest) in enumerate(raw):
        if label is None:
            by_kind.setdefault(kind, []).append(j)
    labels = [r[2] for r in raw]
    for kind, idxs in by_kind.items():
        title = optim.KINDS[kind].title
        if len(idxs) == 1:
            labels[idxs[0]] = title
            continue
        givens = [raw[j][4] for j in idxs]
        keys = sorted({k for g in givens for k in g}, key=lambda k: (k != "lr", k))
        differing = [k for k in keys if len({_fmt(g.get(k)) for g in givens}) > 1]
        for j, g in zip(idxs, givens, strict=True):
            parts = [f"{k}={_fmt(g[k])}" for k in differing if k in g]
            labels[j] = f"{title} {' '.join(parts)}" if parts else title
    return labels


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
