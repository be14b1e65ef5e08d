"""Scenario files: TOML in, a validated, frozen `Scenario` out; errors as `file: key: message`.

Which keys exist, their types, bounds and defaults are declared in `schema`; this module reads a
file with them and adds the checks that involve several keys (start or starts, labels, budgets).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gallery.engine import optim, schema
from gallery.engine.claims import Claim, ClaimSyntaxError, parse_claim, placeholders, typed_numbers
from gallery.engine.files import read_file
from gallery.engine.formula import Formula
from gallery.engine.observe import NAMES as OBSERVATIONS
from gallery.engine.schema import BAD, Collector, ScenarioError
from gallery.engine.text import did_you_mean, num, show, slugify, value

__all__ = [
    "Scenario", "OptimizerSpec", "Paragraph", "View", "Render", "Analysis", "ScenarioError", "load"
]  # fmt: skip


@dataclass(frozen=True)
class OptimizerSpec:
    """One optimizer of a scenario: its kind, display label, colour and full hyperparameters."""

    kind: str
    label: str
    color: str | None
    hyper: Mapping[str, Any]  # every hyperparameter of the kind, defaults filled in
    given: Mapping[str, Any]  # exactly what the file wrote (lr may be "tuned")
    noise: float = 0.0  # std of Gaussian noise added to each gradient
    seed: int = 0
    tuned: Any = None  # analysis.Tuned once `lr = "tuned"` has been resolved
    ref: str = ""  # name in claims and placeholders: the kind, or the label made an identifier

    @property
    def short(self) -> str:
        """Label plus the learning rate, e.g. `Adam lr=0.3` or `Adam lr=0.0316 (tuned)`."""
        label = self.label.replace(" lr=tuned", "")
        if self.tuned is not None:
            text = f"{label} lr={num(self.tuned.lr, 3)} (tuned)"
        elif "lr" in self.given and self.given["lr"] != "tuned":
            lr = f"lr={value(self.given['lr'])}"
            text = label if lr in label else f"{label} {lr}"
        else:
            text = label
        return text + (f" σ={num(self.noise)}" if self.noise > 0 else "")


@dataclass(frozen=True)
class Paragraph:
    """Authored Markdown with the claims it makes (checked against the run before publishing)."""

    key: str  # as written under [commentary]
    text: str
    claims: tuple[Claim, ...]
    runs: tuple[int, ...]  # the optimizers it is about (none for the intro)


@dataclass(frozen=True)
class View:
    """How the figure looks at the function: camera, z range, contour levels, surface grid."""

    elev: float
    azim: float
    zlim: tuple[float, float] | None
    levels: str | int  # "auto", "log", "linear" or a count
    grid: int
    aspect: str  # "equal" (to scale) or "auto"
    zscale: str  # "auto", "linear" or "log"


@dataclass(frozen=True)
class Render:
    """Animation settings: frames, timing, size, overlays."""

    frames: int | None  # None: every step up to 150, longer runs sampled evenly
    fps: float
    hold: float
    width: int
    height: int
    arrows: bool
    layout: str  # "full" (three panels), "contour" or "surface"


@dataclass(frozen=True)
class Analysis:
    """Extra views: learning-rate sweep and basins of attraction; the tolerance of every metric."""

    sweep: bool
    sweep_points: int
    sweep_decades: float
    tolerance: float
    basins: bool
    basin_grid: int
    basin_steps: int | None


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
    starts: np.ndarray  # (N, 2) float64, every start repeated `repeats` times
    minima: np.ndarray  # (M, 2) float64, M may be 0
    saddles: np.ndarray  # (S, 2) float64, S may be 0
    optimizers: tuple[OptimizerSpec, ...]
    commentary: tuple[Paragraph, ...]
    view: View
    render: Render
    analysis: Analysis
    order: int  # position in the gallery (then by slug)


def load(path: str | os.PathLike[str]) -> Scenario:
    """Read and validate a scenario file."""
    name = str(path)
    try:
        text = read_file(path).decode("utf-8")  # a byte-order mark is dropped by `loads`
    except UnicodeDecodeError as exc:
        raise ScenarioError(name, [("", f"cannot read file as UTF-8 text: {exc}")]) from None
    return loads(text, name)


def loads(text: str, path: str = "<scenario>") -> Scenario:
    """Validate scenario TOML text; `path` names the file in messages and gives the slug."""
    try:
        data = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(path, [("", f"TOML syntax error: {exc}")]) from None
    except RecursionError:
        raise ScenarioError(path, [("", "TOML nested too deeply")]) from None
    if not data:
        required = ", ".join(k.name for k in schema.TOP if k.required)
        raise ScenarioError(path, [("", f"the file is empty; required keys: {required}")])
    c = Collector(path)
    top = schema.read(c, "", data, schema.TOP)
    if top["start"] is None and top["starts"] is None:
        c.err("start", "missing: give `start = [x, y]` or `starts = [[x, y], ...]`")
    if "start" in data and "starts" in data:
        c.err("starts", "give either `start` or `starts`, not both")
    # a missing required key was reported as such; the tables below are read only when present
    domain = _section(c, "domain", top["domain"], schema.DOMAIN)
    view = View(**_section(c, "view", top["view"], schema.VIEW))
    render = Render(**_section(c, "render", top["render"], schema.RENDER))
    analysis = Analysis(**_section(c, "analysis", top["analysis"], schema.ANALYSIS))
    starts = _starts(c, top)
    optimizers = _optimizers(c, top["optimizer"], top["noise"], top["seed"])
    commentary = _commentary(c, top["commentary"], optimizers)
    c.raise_if_any()
    _budgets(c, top["steps"], starts.shape[0], optimizers, render, analysis)
    c.raise_if_any()
    return Scenario(
        path=path,
        slug=slugify(Path(path).stem),
        source=text,
        title=top["title"],
        summary=top["summary"],
        function=top["function"],
        domain=(domain["x"], domain["y"]),
        steps=top["steps"],
        starts=starts,
        minima=np.array(top["minima"], dtype=np.float64).reshape(-1, 2),
        saddles=np.array(top["saddles"], dtype=np.float64).reshape(-1, 2),
        optimizers=optimizers,
        commentary=commentary,
        view=view,
        render=render,
        analysis=analysis,
        order=top["order"],
    )


#: Work one scenario may ask for, so that whatever `check` accepts, `build` builds in bounded time
#: and memory (about 1.5 GB per render worker at the most; see the README).
BUDGET = {
    "paths": 2e7,  # points kept for the animation: optimizers x starts x (steps + 1) (x3: arrows)
    "sweep": 2e8,  # point-steps of the learning-rate sweep: optimizers x rates x starts x steps
    "tuning": 2e8,  # point-steps spent choosing tuned rates (48 rates or more per tuned optimizer)
    "basins": 2e8,  # point-steps of the basin maps: optimizers x grid^2 x basin steps
    "pixels": 4e8,  # frames x width x height: the GIF holds one byte per pixel of every frame
}


def _budgets(
    c: Collector, steps: int, starts: int, optimizers: tuple, render: Render, a: Analysis
) -> None:
    """Report every kind of work over its budget, with the key to lower and to what."""
    k = len(optimizers)
    copies = 3 if render.arrows else 1  # arrows keep the gradient and the velocity too
    paths = k * starts * (steps + 1) * copies
    if paths > BUDGET["paths"]:
        fewer = max(int(BUDGET["paths"] / (k * starts * copies)) - 1, 0)
        what = f"{k} optimizers x {starts} starts x {steps + 1} points x {copies}"
        c.err("steps", _over("the animation keeps", what, paths, "paths", "points") +
              f"lower steps to {fewer} or use fewer starts")  # fmt: skip
    if a.sweep:
        work = k * a.sweep_points * starts * steps
        if work > BUDGET["sweep"]:
            most = int(BUDGET["sweep"] / (k * starts * steps))
            what = f"{k} optimizers x {a.sweep_points} rates x {starts} starts x {steps} steps"
            c.err("analysis.sweep_points", _over("the sweep runs", what, work, "sweep") +
                  f"lower sweep_points to {most}, or set sweep = false")  # fmt: skip
    tuned = sum(1 for o in optimizers if o.given.get("lr") == "tuned")
    rates = max(a.sweep_points, 48)
    work = tuned * rates * starts * steps
    if work > BUDGET["tuning"]:
        most = int(BUDGET["tuning"] / (tuned * rates * starts))
        what = f"{tuned} tuned x {rates} rates x {starts} starts x {steps} steps"
        c.err("steps", _over("tuning runs", what, work, "tuning") +
              f"lower steps to {most}, or tune fewer optimizers")  # fmt: skip
    if a.basins:
        b_steps = a.basin_steps or steps
        work = k * a.basin_grid**2 * b_steps
        if work > BUDGET["basins"]:
            grid = int((BUDGET["basins"] / (k * b_steps)) ** 0.5)
            most = int(BUDGET["basins"] / (k * a.basin_grid**2))
            what = f"{k} optimizers x {a.basin_grid}² starts x {b_steps} steps"
            c.err("analysis.basins", _over("the basin maps run", what, work, "basins") +
                  f"lower basin_steps to {most} or basin_grid to {grid}")  # fmt: skip
    frames = render.frames or min(steps + 1, 151)
    pixels = frames * render.width * render.height
    if pixels > BUDGET["pixels"]:
        most = int(BUDGET["pixels"] / (render.width * render.height))
        what = f"{frames} frames of {render.width}x{render.height}"
        c.err("render.frames", _over("the animation has", what, pixels, "pixels", "pixels") +
              f"lower frames to {most}, or width and height")  # fmt: skip


def _over(doing: str, what: str, amount: float, budget: str, unit: str = "point-steps") -> str:
    return f"{doing} {what} = {num(amount, 3)} {unit}; at most {num(BUDGET[budget])}: "


def _section(c: Collector, where: str, table: Any, keys) -> dict[str, Any]:
    """A table read with its keys; with the table missing or broken, its defaults."""
    if table is BAD:  # already reported
        return {k.name: None if k.required else k.default for k in keys}
    values = schema.read(c, where, table, keys)
    return {k: (v if v is not BAD else schema.defaults(keys).get(k)) for k, v in values.items()}


def _starts(c: Collector, top: Mapping[str, Any]) -> np.ndarray | None:
    """Start points, each repeated `repeats` times, within the point budget."""
    pts = top["starts"] if top["starts"] is not None else top["start"]
    if pts is None or pts is BAD or top["repeats"] is BAD:
        return None
    starts = np.array(pts, dtype=np.float64).reshape(-1, 2)
    if top["repeats"] > 1:
        if starts.shape[0] * top["repeats"] > schema.MAX_STARTS:
            c.err("repeats", f"starts x repeats must be at most {schema.MAX_STARTS}")
        starts = np.repeat(starts, top["repeats"], axis=0)
    steps = top["steps"]
    if steps is not BAD and starts.shape[0] * steps > schema.MAX_POINTS:
        c.err(
            "steps",
            f"steps x start points is {starts.shape[0] * steps:,}; at most "
            f"{schema.MAX_POINTS:,} allowed (fewer steps or fewer starts)",
        )
    return starts


def _optimizers(c: Collector, tables: Any, noise: Any, seed: Any) -> tuple[OptimizerSpec, ...]:
    if tables is BAD:
        return ()
    kinds = tuple(optim.KINDS)
    meta = [k.name for k in schema.OPTIMIZER]
    raw = []
    for i, t in enumerate(tables):
        where = f"optimizer[{i}]"
        kind = t.get("kind")
        if kind is None:
            c.err(where, f"missing 'kind'; allowed: {', '.join(kinds)}")
            continue
        if not isinstance(kind, str) or kind not in optim.KINDS:
            c.err(
                f"{where}.kind",
                f"unknown kind {show(kind)}; allowed: {', '.join(kinds)}"
                + did_you_mean(kind, kinds),
            )
            continue
        fields = schema.read(c, where, t, schema.OPTIMIZER, extra=True)
        hyper_keys = tuple(optim.KINDS[kind].defaults)
        given: dict[str, Any] = {}
        for k, v in t.items():
            if k in meta:
                continue
            if k not in hyper_keys:
                allowed = hyper_keys + tuple(meta[1:])
                c.err(
                    f"{where} ({kind})",
                    f"unknown hyperparameter '{k}'; allowed: {', '.join(allowed)}"
                    + did_you_mean(k, allowed),
                )
                continue
            given[k] = tuple(v) if isinstance(v, list) else v
        checked = {k: v for k, v in given.items() if not (k == "lr" and v == "tuned")}
        for k, msg in optim.validate(kind, checked):
            c.err(f"{where} ({kind}).{k}", msg + (' (or "tuned")' if k == "lr" else ""))
        if any(v is BAD for v in fields.values()):
            continue
        fields["noise"] = noise if fields["noise"] is None else fields["noise"]
        fields["seed"] = seed if fields["seed"] is None else fields["seed"]
        raw.append((i, kind, fields, given))

    labels = _default_labels(raw)
    kinds_seen = [kind for _, kind, _, _ in raw]
    seen: dict[str, int] = {}
    out = []
    for (i, kind, fields, given), label in zip(raw, labels, strict=True):
        if label in seen:
            c.err(
                f"optimizer[{i}].label",
                f"'{label}' is already used by optimizer[{seen[label]}]; labels must be unique",
            )
        seen[label] = i
        out.append(
            OptimizerSpec(
                kind=kind,
                label=label,
                color=fields["color"],
                hyper={**optim.KINDS[kind].defaults, **given},
                given=given,
                noise=0.0 if fields["noise"] is BAD else fields["noise"],
                seed=0 if fields["seed"] is BAD else fields["seed"],
                ref=kind if kinds_seen.count(kind) == 1 else _identifier(label),
            )
        )
    return tuple(out)


def _identifier(label: str) -> str:
    """A label as a name for claims and placeholders: `SGD (tuned)` -> `sgd_tuned`."""
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_") or "run"


def _default_labels(raw: list[tuple]) -> list[str]:
    """Explicit labels win; same-kind optimizers without one get their distinguishing setting."""
    by_kind: dict[str, list[int]] = {}
    for j, (_, kind, fields, _given) in enumerate(raw):
        if fields["label"] is None:
            by_kind.setdefault(kind, []).append(j)
    labels = [fields["label"] for _, _, fields, _ in raw]
    for kind, idxs in by_kind.items():
        title = optim.KINDS[kind].title
        if len(idxs) == 1:
            labels[idxs[0]] = title
            continue
        givens = [raw[j][3] for j in idxs]
        keys = sorted({k for g in givens for k in g}, key=lambda k: (k != "lr", k))
        differing = [k for k in keys if len({value(g.get(k)) for g in givens}) > 1]
        for j, g in zip(idxs, givens, strict=True):
            parts = [f"{k}={value(g[k])}" for k in differing if k in g]
            labels[j] = f"{title} {' '.join(parts)}" if parts else title
    return labels


_IMAGE = re.compile(r"!\[[^\]]*\]\s*[(\[]")

#: Placeholders about the scenario as a whole (they need no run).
SCENARIO_FIELDS = {
    "steps": "steps per run",
    "start": "the first start point",
    "starts": "how many start points (with repeats)",
    "tolerance": "the tolerance",
    "minimum": "the first known minimum ({minima.2} the second, and so on)",
    "saddle": "the first known saddle ({saddles.2} the second, and so on)",
    "function": "the formula as written",
    "f_start": "f at the first start point",
    "grad_start": "the gradient at the first start point",
}
#: Placeholders about a run besides its observations.
RUN_FIELDS = ("label", "short", "noise", "seed")


def _commentary(
    c: Collector, table: Any, optimizers: tuple[OptimizerSpec, ...]
) -> tuple[Paragraph, ...]:
    if table is BAD or not table:
        return ()
    refs = {o.ref: i for i, o in enumerate(optimizers)}
    names = list(dict.fromkeys(["intro", *[o.label for o in optimizers], *refs,
                                *[o.kind for o in optimizers]]))  # fmt: skip
    out = []
    for key, body in table.items():
        where = f"commentary.{key}"
        if key == "intro":
            runs: tuple[int, ...] = ()
        else:
            runs = tuple(i for i, o in enumerate(optimizers) if key in (o.label, o.ref, o.kind))
            if not runs:
                c.err(
                    where,
                    f"matches no optimizer label or kind; allowed: {', '.join(names)}"
                    + did_you_mean(key, names),
                )
                continue
        if isinstance(body, str):
            body = {"text": body}
            if runs:
                c.err(
                    where,
                    "an optimizer's paragraph says what the run shows: write "
                    f'[{where}] with claims = ["..."] and text = """..."""',
                )
                continue
        fields = schema.read(c, where, body, PARAGRAPH)
        if any(v is BAD for v in fields.values()):
            continue
        if len(runs) > 1 and not fields["all"]:
            which = ", ".join(optimizers[i].label for i in runs)
            c.err(
                where,
                f"matches several optimizers ({which}); key it by label, or add `all = true` "
                "if it is about each of them",
            )
            continue
        if runs and not fields["claims"]:
            c.err(f"{where}.claims", "an optimizer's paragraph declares at least one claim")
        claims = []
        for j, line in enumerate(fields["claims"]):
            try:
                claim = parse_claim(line)
            except ClaimSyntaxError as exc:
                c.err(f"{where}.claims[{j}]", str(exc))
                continue
            for ref in (claim.ref, claim.bound_ref[0] if claim.bound_ref else None):
                if ref is not None and ref not in refs:
                    c.err(f"{where}.claims[{j}]", _unknown_ref(ref, refs))
            if not runs and claim.ref is None:
                c.err(
                    f"{where}.claims[{j}]", "the intro's claims name their run, e.g. sgd.converges"
                )
            claims.append(claim)
        text = fields["text"]
        for name in placeholders(text):
            problem = _placeholder_problem(name, refs, bool(runs), optimizers)
            if problem:
                c.err(where, problem)
        if _IMAGE.search(text):
            c.err(
                where,
                "images are not allowed in commentary: the pages load nothing from elsewhere; "
                "link to it instead, [text](address)",
            )
        typed = typed_numbers(text)
        if typed:
            c.err(
                where,
                f"numbers typed into the text ({', '.join(dict.fromkeys(typed))}): write them as "
                "placeholders such as {lr} or {momentum.diverges}, or inside `code`",
            )
        out.append(Paragraph(key, text, tuple(claims), runs))
    return tuple(out)


def _claims(v: Any) -> tuple[str, ...]:
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise schema.Invalid(f"must be a list of claims (strings), got {show(v)}")
    return tuple(v)


PARAGRAPH = (
    schema.Key("text", schema.Text(5000), help="Markdown, raw HTML off"),
    schema.Key("claims", schema.Custom("list of claims", _claims), (), help="what the text says"),
    schema.Key("all", schema.Flag(), False, help="a kind's paragraph shown for each of its runs"),
)


def _unknown_ref(ref: str, refs: Mapping[str, int]) -> str:
    return f"no optimizer is called '{ref}'; runs: {', '.join(refs)}" + did_you_mean(ref, refs)


def _placeholder_problem(
    name: str, refs: Mapping[str, int], own: bool, optimizers: tuple[OptimizerSpec, ...]
) -> str | None:
    """What is wrong with placeholder `{name}`, or None."""
    parts = name.split(".")
    if parts[0] in SCENARIO_FIELDS and len(parts) == 1:
        return None
    if parts[0] in ("minima", "saddles") and len(parts) == 2 and parts[1].isdigit():
        return None
    if parts[0] in refs and len(parts) > 1:  # `{momentum}` alone is the own run's setting
        run, rest = optimizers[refs[parts[0]]], parts[1:]
    elif own:
        run, rest = None, parts
    else:
        return f"{{{name}}}: the intro names the run, e.g. {{sgd.{parts[0]}}}; " + _unknown_ref(
            parts[0], refs
        )
    if not rest:
        return f"{{{name}}}: say what of the run, e.g. {{{name}.lr}} or {{{name}.converges}}"
    field = rest[0]
    settings = (
        set(optim.KINDS[run.kind].defaults)
        if run
        else {k for o in optimizers for k in optim.KINDS[o.kind].defaults}
    )
    known = [*OBSERVATIONS, *RUN_FIELDS, *sorted(settings), *SCENARIO_FIELDS]
    if field in OBSERVATIONS and len(rest) <= 2:
        return None
    if (field in settings or field in RUN_FIELDS) and len(rest) == 1:
        return None
    return f"{{{name}}}: unknown placeholder; allowed: an observation, a setting or one of " + (
        ", ".join(SCENARIO_FIELDS) + did_you_mean(field, known)
    )
