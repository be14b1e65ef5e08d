"""Observe: what a viewer can see in a run, each observation with the numbers behind it.

An observation is measured at a scale a viewer can see: a reversal or an overshoot counts only
when its swing is at least `VISIBLE` of the view's span along that axis (about one pixel of the
contour map at 1280 px). Distances "within tolerance" use the scenario's `[analysis] tolerance`.
Observations describe start point 0 of each run; `converged_share` and `end_spread` cover all.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

#: Smallest swing that counts as visible, as a fraction of the view's span along the axis.
VISIBLE = 1 / 300
#: Cycle periods looked for in the tail of a run.
CYCLE_PERIODS = range(2, 13)


@dataclass(frozen=True)
class Observation:
    """One thing a run shows: a number (None when it does not show it) and the numbers behind it."""

    name: str
    value: float | None
    evidence: Mapping[str, float | int | str | None] = field(default_factory=dict)

    @property
    def present(self) -> bool:
        """Whether the run shows it at all (a count of zero or a missing step: no)."""
        return self.value is not None and self.value != 0


@dataclass(frozen=True)
class Path:
    """Start 0 of one run, with what the observations need to know about the scenario."""

    label: str
    xy: np.ndarray  # (T, 2), NaN from the diverged point on
    f: np.ndarray  # (T,)
    diverged_at: int  # first diverged point index, -1 if none
    lr: float | None
    minima: np.ndarray  # (M, 2)
    saddles: np.ndarray  # (S, 2)
    domain: tuple[tuple[float, float], tuple[float, float]]
    tol: float
    nudged: np.ndarray | None = None  # (T, 2): the same run from a start one ulp away
    ends: np.ndarray | None = None  # (N, 2) last finite point of every start
    converged: np.ndarray | None = None  # (N,) bool: every start's "converges"
    f_minima: np.ndarray | None = None  # (M,) f at the known minima

    @property
    def finite(self) -> int:
        """Number of finite points (the path's length before it diverged)."""
        ok = np.isfinite(self.xy).all(axis=1)
        return int(ok.argmin()) if not ok.all() else len(ok)

    def spans(self) -> np.ndarray:
        (x0, x1), (y0, y1) = self.domain
        return np.array([x1 - x0, y1 - y0])


@dataclass(frozen=True)
class Kind:
    """An observation's definition: how to measure it and how to say what a claim about it means."""

    name: str
    measure: Callable[[Path], Observation]
    meaning: str  # what the value is, for the README and for claim messages
    unit: str = ""  # "steps", "points"...


def _within(p: Path, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per point of the path: distance to the nearest of `points`, and which one."""
    if points.shape[0] == 0:
        n = p.xy.shape[0]
        return np.full(n, np.inf), np.full(n, -1)
    with np.errstate(invalid="ignore"):
        d = np.sqrt(((p.xy[:, None, :] - points[None]) ** 2).sum(-1))
    d = np.where(np.isfinite(d), d, np.inf)
    return d.min(axis=1), d.argmin(axis=1)


def _steps_within(p: Path, points: np.ndarray) -> np.ndarray:
    d, _ = _within(p, points)
    return d < p.tol


def reaches(p: Path) -> Observation:
    inside = _steps_within(p, p.minima)
    if not inside.any():
        return Observation("reaches", None)
    k = int(inside.argmax())
    _, which = _within(p, p.minima)
    return Observation("reaches", k, {"step": k, "minimum": _pt(p.minima[which[k]])})


def _streak(p: Path) -> int:
    """Points a run must stay within the tolerance, at the end, to count as converged."""
    return max(3, math.ceil(0.05 * (len(p.xy) - 1)))


def converges(p: Path) -> Observation:
    inside = _steps_within(p, p.minima)
    if p.diverged_at >= 0 or not inside[-1]:
        return Observation("converges", None)
    k = int(len(inside) - np.argmin(inside[::-1])) if not inside.all() else 0
    if len(inside) - k < _streak(p):
        return Observation("converges", None)  # only touches it at the very end
    _, which = _within(p, p.minima)
    return Observation("converges", k, {"step": k, "minimum": _pt(p.minima[which[-1]])})


def passes(p: Path) -> Observation:
    inside = _steps_within(p, p.minima)
    if not inside.any() or converges(p).present:
        return Observation("passes", None)
    k = int(inside.argmax())
    left = k + int(np.argmin(inside[k:])) if not inside[k:].all() else len(inside)
    return Observation("passes", k, {"step": k, "left": left})


def distance(p: Path) -> Observation:
    if p.diverged_at >= 0 or p.minima.shape[0] == 0:
        return Observation("distance", None)
    d, which = _within(p, p.minima)
    return Observation("distance", float(d[-1]), {"minimum": _pt(p.minima[which[-1]])})


def final_f(p: Path) -> Observation:
    if p.diverged_at >= 0:
        return Observation("final_f", None)
    return Observation("final_f", float(p.f[-1]), {"point": _pt(p.xy[-1])})


def diverges(p: Path) -> Observation:
    if p.diverged_at < 0:
        return Observation("diverges", None)
    k = p.finite - 1
    here = p.xy[k]
    delta = here - p.xy[k - 1] if k > 0 else here
    axis = int(np.argmax(np.abs(delta))) if np.isfinite(delta).all() else 1
    sign = "+" if delta[axis] > 0 else "−"
    return Observation(
        "diverges",
        p.diverged_at,
        {"step": p.diverged_at, "axis": "xy"[axis], "direction": f"{sign}∞", "last": _pt(here)},
    )


def _turns(values: np.ndarray, swing: float) -> list[int]:
    """Indices where a sequence turns back after moving at least `swing` (zig-zag filter)."""
    v = values[np.isfinite(values)]
    turns: list[int] = []
    if v.size < 3:
        return turns
    direction = 0  # +1 rising, -1 falling, 0 not yet known
    extreme, at = v[0], 0
    for i in range(1, v.size):
        x = v[i]
        if direction >= 0 and x > extreme:
            extreme, at = x, i
            if direction == 0 and x - v[0] >= swing:
                direction = 1
        elif direction <= 0 and x < extreme:
            extreme, at = x, i
            if direction == 0 and v[0] - x >= swing:
                direction = -1
        if direction == 1 and extreme - x >= swing:
            turns.append(at)
            direction, extreme, at = -1, x, i
        elif direction == -1 and x - extreme >= swing:
            turns.append(at)
            direction, extreme, at = 1, x, i
    return turns


def _zigzag(axis: int) -> Callable[[Path], Observation]:
    name = f"zigzag_{'xy'[axis]}"

    def measure(p: Path) -> Observation:
        turns = _turns(p.xy[:, axis], VISIBLE * p.spans()[axis])
        first = turns[0] if turns else None
        return Observation(name, len(turns), {"count": len(turns), "first": first})

    return measure


def overshoots(p: Path) -> Observation:
    """Visible crossings past the coordinates of the minimum the run ends nearest to."""
    if p.minima.shape[0] == 0:
        return Observation("overshoots", None)
    _, which = _within(p, p.minima)
    ok = np.isfinite(p.xy).all(axis=1)
    if not ok.any():
        return Observation("overshoots", None)
    m = p.minima[which[np.flatnonzero(ok)[-1]]]
    count, first, largest = 0, None, 0.0
    for axis in range(2):
        rel = p.xy[ok, axis] - m[axis]
        swing = VISIBLE * p.spans()[axis]
        side, crossed = 0, False  # the side of the minimum the path was last visibly on
        for i, r in enumerate(rel):
            now = 1 if r > swing else -1 if r < -swing else 0
            if now and side and now != side:
                count, crossed = count + 1, True
                first = i if first is None else min(first, i)
            if now:
                side = now
            if crossed:  # how far past the minimum it has gone since it first crossed it
                largest = max(largest, float(abs(r)))
    return Observation("overshoots", count, {"count": count, "first": first, "largest": largest})


def lingers(p: Path) -> Observation:
    inside = _steps_within(p, p.saddles)
    if p.saddles.shape[0] == 0:
        return Observation("lingers", None)
    count = int(inside.sum())
    return Observation("lingers", count, {"steps": count, "saddle": _pt(p.saddles[0])})


def escapes(p: Path) -> Observation:
    """The step after which the path stays farther than the tolerance from every saddle."""
    inside = _steps_within(p, p.saddles)
    if not inside.any() or inside[-1]:
        return Observation("escapes", None)
    k = int(len(inside) - np.argmax(inside[::-1]))
    return Observation("escapes", k, {"step": k})


def leaves_view(p: Path) -> Observation:
    """The first step outside the view (the diverged tail does not count)."""
    (x0, x1), (y0, y1) = p.domain
    xy = p.xy[: p.finite]
    out = ~((xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1))
    if not out.any():
        return Observation("leaves_view", None)
    first = int(out.argmax())
    back = np.flatnonzero(~out[first:])
    returned = int(first + back[0]) if back.size else None
    evidence = {"step": first, "outside": int(out.sum()), "back": returned}
    return Observation("leaves_view", first, evidence)


def returns(p: Path) -> Observation:
    back = leaves_view(p).evidence.get("back")
    if back is None:
        return Observation("returns", None)
    return Observation("returns", back, {"step": back})


def basin(p: Path) -> Observation:
    """Which known minimum (1 = the first in the file) the run ends nearest to."""
    if p.diverged_at >= 0 or p.minima.shape[0] == 0:
        return Observation("basin", None)
    _, which = _within(p, p.minima)
    j = int(which[-1])
    evidence: dict = {"minimum": _pt(p.minima[j])}
    if p.f_minima is not None:  # does it end in the deepest valley the file knows of?
        evidence["deepest"] = bool(p.f_minima[j] <= p.f_minima.min() + p.tol)
    return Observation("basin", j + 1, evidence)


def cycle(p: Path) -> Observation:
    """The shortest period with which the end of the run repeats itself while still moving."""
    n = p.finite
    if p.diverged_at >= 0:
        return Observation("cycle", None)
    xy = p.xy[:n]
    still = VISIBLE * float(p.spans().min()) / 10
    for period in CYCLE_PERIODS:
        window = max(4 * period, 16)
        if window + period > n:
            break
        tail = xy[n - window :]
        if np.sqrt((np.diff(tail, axis=0) ** 2).sum(-1)).max() < 10 * still:
            return Observation("cycle", None)  # standing, not cycling
        gap = np.sqrt(((xy[period:] - xy[:-period]) ** 2).sum(-1))  # gap[t]: t vs t + period
        if gap[n - period - window :].max() > still:
            continue
        broken = np.flatnonzero(gap > still)
        since = int(broken[-1]) + 1 if broken.size else 0
        width = float(np.ptp(xy[since:], axis=0).max())
        return Observation("cycle", period, {"period": period, "since": since, "width": width})
    return Observation("cycle", None)


def _lengths(p: Path) -> np.ndarray:
    seg = np.sqrt((np.diff(p.xy[: p.finite], axis=0) ** 2).sum(-1))
    return seg[np.isfinite(seg)]


def first_step(p: Path) -> Observation:
    s = _lengths(p)
    if not s.size:
        return Observation("first_step", None)
    rel = float(s[0] / p.lr) if p.lr else None
    return Observation("first_step", float(s[0]), {"length": float(s[0]), "per_lr": rel})


def median_step(p: Path) -> Observation:
    s = _lengths(p)
    return Observation("median_step", float(np.median(s)) if s.size else None)


def last_step(p: Path) -> Observation:
    s = _lengths(p)
    return Observation("last_step", float(s[-1]) if s.size else None)


def first_step_lr(p: Path) -> Observation:
    """The first step's length in units of the learning rate."""
    s = _lengths(p)
    if not s.size or not p.lr:
        return Observation("first_step_lr", None)
    return Observation("first_step_lr", float(s[0] / p.lr))


def path_ratio(p: Path) -> Observation:
    s = _lengths(p)
    xy = p.xy[: p.finite]
    straight = float(np.hypot(*(xy[-1] - xy[0]))) if len(xy) else 0.0
    if not s.size or straight == 0:
        return Observation("path_ratio", None)
    return Observation("path_ratio", float(s.sum() / straight), {"length": float(s.sum())})


def chaotic_after(p: Path) -> Observation:
    """The first step at which a start one ulp away is farther than the tolerance."""
    if p.nudged is None:
        return Observation("chaotic_after", None)
    with np.errstate(invalid="ignore"):
        d = np.sqrt(((p.xy - p.nudged) ** 2).sum(-1))
    both = np.isfinite(d)
    apart = both & (d > p.tol)
    if not apart.any():
        return Observation("chaotic_after", None)
    k = int(apart.argmax())
    return Observation("chaotic_after", k, {"step": k})


def converged_share(p: Path) -> Observation:
    if p.converged is None or p.minima.shape[0] == 0:
        return Observation("converged_share", None)
    share = float(np.mean(p.converged))
    return Observation("converged_share", share, {"of": int(p.converged.size)})


def end_spread(p: Path) -> Observation:
    """Root-mean-square distance of the starts' end points from their mean (0 for one start)."""
    if p.ends is None:
        return Observation("end_spread", None)
    ends = p.ends[np.isfinite(p.ends).all(axis=1)]
    if not ends.size:
        return Observation("end_spread", None)
    spread = float(np.sqrt(((ends - ends.mean(axis=0)) ** 2).sum(-1).mean()))
    return Observation("end_spread", spread, {"of": int(len(ends))})


def _pt(xy) -> str:
    from gallery.engine.text import point

    return point(xy)


KINDS: tuple[Kind, ...] = (
    Kind("reaches", reaches, "first step within the tolerance of a known minimum", "steps"),
    Kind("converges", converges, "step from which it stays within the tolerance of a known "
         "minimum to the end (at least 5 % of the steps, and 3)", "steps"),
    Kind("passes", passes, "first step within the tolerance of a known minimum, for a run that "
         "does not converge", "steps"),
    Kind("distance", distance, "distance from the end point to the nearest known minimum"),
    Kind("final_f", final_f, "f at the last step"),
    Kind("diverges", diverges, "step at which the run diverged (|f| > 1e12 or not finite)",
         "steps"),
    Kind("zigzag_x", _zigzag(0), "visible reversals of direction along x", "reversals"),
    Kind("zigzag_y", _zigzag(1), "visible reversals of direction along y", "reversals"),
    Kind("overshoots", overshoots, "visible crossings past the coordinates of the minimum it "
         "ends nearest to", "crossings"),
    Kind("lingers", lingers, "steps spent within the tolerance of a known saddle", "steps"),
    Kind("escapes", escapes, "step after which it stays out of every saddle's tolerance", "steps"),
    Kind("leaves_view", leaves_view, "first step outside the view", "steps"),
    Kind("returns", returns, "step at which it comes back into the view after leaving it",
         "steps"),
    Kind("basin", basin, "which known minimum it ends nearest to (1: the first in the file)"),
    Kind("cycle", cycle, "period of a cycle the end of the run repeats while still moving",
         "steps"),
    Kind("first_step", first_step, "length of the first step"),
    Kind("first_step_lr", first_step_lr, "length of the first step divided by the learning rate"),
    Kind("median_step", median_step, "median step length"),
    Kind("last_step", last_step, "length of the last step"),
    Kind("path_ratio", path_ratio, "path length over the straight line from start to end"),
    Kind("chaotic_after", chaotic_after, "first step at which a start one ulp away is farther "
         "than the tolerance (digits past it are not reproducible)", "steps"),
    Kind("converged_share", converged_share, "share of all start points (and repeats) that "
         "converge"),
    Kind("end_spread", end_spread, "root-mean-square distance of all starts' end points from "
         "their mean"),
)  # fmt: skip
BY_NAME: dict[str, Kind] = {k.name: k for k in KINDS}
#: Observations that compare the runs of one scenario (computed by `rank`).
RANKS = {
    "rank_reach": "rank by `reaches` among the runs on the page (1: first; ties share a rank)",
    "rank_distance": "rank by `distance` among the runs on the page (1: closest at the end)",
}
NAMES = tuple(BY_NAME) + tuple(RANKS)


def observe(p: Path) -> dict[str, Observation]:
    """Every observation of one path."""
    return {k.name: k.measure(p) for k in KINDS}


def rank(seen: Sequence[dict[str, Observation]]) -> None:
    """Add `rank_reach` and `rank_distance` to the observations of every run of a scenario."""
    for name, source in (("rank_reach", "reaches"), ("rank_distance", "distance")):
        values = [s[source].value for s in seen]
        for s, v in zip(seen, values, strict=True):
            if v is None or (isinstance(v, float) and math.isnan(v)):
                s[name] = Observation(name, None)
                continue
            better = sum(1 for w in values if w is not None and w < v)
            s[name] = Observation(name, better + 1, {"of": len(values)})


def of_scenario(traj, nudged=None) -> list[dict[str, Observation]]:
    """Observations of every run of a scenario (start 0), ranks included.

    `nudged`: the same runs from start 0 moved one ulp (a `Trajectories` with one start), for
    `chaotic_after`; see `nudge`.
    """
    sc = traj.scenario
    tol = sc.analysis.tolerance
    out = []
    for i, r in enumerate(traj.runs):
        ok = np.isfinite(r.f)
        last = np.where(ok.any(axis=0), ok.shape[0] - 1 - ok[::-1].argmax(axis=0), 0)
        ends = r.xy[last, np.arange(r.f.shape[1])]
        ends[r.diverged_at >= 0] = np.nan
        if sc.minima.shape[0]:
            with np.errstate(invalid="ignore"):
                gap = np.sqrt(((ends[:, None, :] - sc.minima[None]) ** 2).sum(-1)).min(axis=1)
            converged = (gap < tol) & (r.diverged_at < 0)
        else:
            converged = None
        lr = r.spec.hyper.get("lr")
        path = Path(
            label=r.spec.label,
            xy=r.xy[:, 0],
            f=r.f[:, 0],
            diverged_at=int(r.diverged_at[0]),
            lr=float(lr) if isinstance(lr, int | float) else None,
            minima=sc.minima,
            saddles=sc.saddles,
            domain=sc.domain,
            tol=tol,
            nudged=None if nudged is None or r.spec.noise > 0 else nudged.runs[i].xy[:, 0],
            ends=ends,
            converged=converged,
            f_minima=sc.function.value(sc.minima) if sc.minima.shape[0] else None,
        )
        out.append(observe(path))
    rank(out)
    return out


def nudge(scenario):
    """The scenario from start 0 moved one unit in the last place, noise-free runs only.

    Noisy runs are left out (their paths are random by design): `chaotic_after` is about how a
    deterministic path depends on rounding.
    """
    import dataclasses

    start = np.nextafter(scenario.starts[:1], np.inf)
    specs = tuple(dataclasses.replace(s, noise=0.0) for s in scenario.optimizers)
    return dataclasses.replace(scenario, starts=start, optimizers=specs)


def markdown_table() -> str:
    """The README's list of observations: name and what its number is."""
    rows = ["| observation | its number |", "| --- | --- |"]
    for k in KINDS:
        unit = f" ({k.unit})" if k.unit else ""
        rows.append(f"| `{k.name}` | {k.meaning.replace('|', chr(92) + '|')}{unit} |")
    rows += [f"| `{name}` | {meaning} |" for name, meaning in RANKS.items()]
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
