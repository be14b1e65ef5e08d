"""Commentary: sentences about a run, each read off its metrics (written by the render worker)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gallery.engine.metrics import RunMetrics
from gallery.engine.simulate import Run, Trajectories
from gallery.engine.text import num, point

#: Direction reversals (x + y) from which a run is called oscillating.
OSCILLATION_REVERSALS = 4
#: Path length / straight-line distance above which a path is called winding.
WINDING_RATIO = 1.5


def metric_row(m: RunMetrics, i: int = 0) -> dict[str, str]:
    """The results table's cells for start `i` of a run."""
    div = int(m.diverged_at[i])
    reach = int(m.steps_to_min[i])
    return {
        "final_f": "diverged" if div >= 0 else num(m.final_f[i]),
        "distance": "—" if div >= 0 else num(m.distance[i]),
        "steps": str(reach) if reach >= 0 else "never",
        "path": num(m.path_length[i]),
        "reversals": f"{int(m.reversals[i, 0])} / {int(m.reversals[i, 1])}",
        "diverged": f"step {div}" if div >= 0 else "no",
    }


def last_finite(run: Run, i: int = 0) -> int:
    """Index of the last finite point of start `i`."""
    ok = np.isfinite(run.f[:, i])
    return int(np.flatnonzero(ok)[-1]) if ok.any() else 0


def escape(run: Run, i: int = 0) -> str:
    """How start `i` left the map, from its last finite points, e.g. `y ran off to −∞`."""
    k = last_finite(run, i)
    here = run.xy[k, i]
    delta = here - run.xy[k - 1, i] if k > 0 else here
    if not np.isfinite(delta).all() or not np.abs(delta).any():
        return "f blew up"
    big = np.abs(delta)
    axes = [a for a in range(2) if big[a] >= 0.5 * big.max()]
    parts = [f"{'xy'[a]} {'+∞' if delta[a] > 0 else '−∞'}" for a in axes]
    if len(parts) == 1:
        name, inf = parts[0].split(" ")
        return f"{name} ran off to {inf}"
    return f"x and y ran off to {parts[0].split(' ')[1]} and {parts[1].split(' ')[1]}"


def sentences(
    m: RunMetrics,
    run: Run,
    minima: np.ndarray,
    i: int,
    fastest: int | None,
    tol: float,
) -> list[str]:
    """Plain-text claims about start `i` of one run, each read off its metrics."""
    out: list[str] = []
    t = num(tol)
    k = last_finite(run, i)
    div = int(m.diverged_at[i])
    reach = int(m.steps_to_min[i])
    near = int(m.nearest[i])
    where = point(minima[near]) if near >= 0 else ""
    if div >= 0:
        out.append(
            f"Diverged at step {div} as {escape(run, i)} (last finite point "
            f"{point(run.xy[k, i])}, f = {num(run.f[k, i])})."
        )
        if reach >= 0:
            out.append(f"Before that it had come within {t} of the minimum at step {reach}.")
    elif reach >= 0:
        text = f"Reaches the minimum at {where} (within {t}) in {reach} steps"
        if fastest is not None and reach == fastest:
            text += ", the fastest here"
        out.append(text + ".")
        if m.distance[i] > tol:
            out.append(f"It does not stay there: it ends {num(m.distance[i])} away.")
    elif near >= 0:
        out.append(
            f"Does not come within {t} of a known minimum in {m.steps} steps; it ends "
            f"{num(m.distance[i])} from {where} with f = {num(m.last_f[i])}."
        )
        fmin = int(m.steps_to_fmin[i])
        if fmin >= 0:
            out.append(f"Its f first comes within {t} of the minimum value at step {fmin}.")
    else:
        out.append(
            f"After {m.steps} steps it is at {point(run.xy[k, i])} with f = {num(m.last_f[i])} "
            f"(lowest f seen: {num(m.best_f[i])})."
        )
    rx, ry = (int(v) for v in m.reversals[i])
    if rx + ry >= OSCILLATION_REVERSALS:
        out.append(f"It reverses direction {rx} times along x and {ry} times along y.")
    if div < 0:
        straight = float(np.hypot(*(run.xy[k, i] - run.xy[0, i])))
        length = float(m.path_length[i])
        if straight > 0 and length / straight >= WINDING_RATIO:
            out.append(
                f"Its path is {num(length)} long, {length / straight:.1f}× the straight line "
                f"from start to end."
            )
    if m.n > 1:
        out.append(spread(m, tol))
    return out


def spread(m: RunMetrics, tol: float) -> str:
    """One sentence over every start point of a run."""
    n = m.n
    reached = m.steps_to_min >= 0
    diverged = m.diverged_at >= 0
    parts = [f"Of all {n} start points, {int(reached.sum())} reach a minimum within {num(tol)}"]
    if reached.any():
        parts[0] += f" (median {int(np.median(m.steps_to_min[reached]))} steps)"
    if diverged.any():
        parts.append(f"{int(diverged.sum())} diverge")
    ok = ~diverged
    if ok.sum() > 1:  # the spread over the runs that stayed finite
        if np.isfinite(m.distance[ok]).all():
            d = m.distance[ok]
            parts.append(
                f"the final distance to the nearest minimum has median {num(float(np.median(d)))} "
                f"and ranges from {num(float(d.min()))} to {num(float(d.max()))}"
            )
        f = m.final_f[ok]
        parts.append(
            f"final f has median {num(float(np.median(f)))} (from {num(float(f.min()))} to "
            f"{num(float(f.max()))})"
        )
    return "; ".join(parts) + "."


def headline(m: RunMetrics, run: Run, i: int, tol: float) -> str:
    """A short clause for alt text, e.g. `reaches the minimum in 34 steps`."""
    if m.diverged_at[i] >= 0:
        return f"diverges at step {int(m.diverged_at[i])} as {escape(run, i)}"
    if m.steps_to_min[i] >= 0:
        return f"reaches the minimum in {int(m.steps_to_min[i])} steps"
    if m.nearest[i] >= 0:
        return f"ends {num(m.distance[i])} from the nearest minimum"
    return f"ends at f = {num(m.last_f[i])}"


def alt_text(traj: Trajectories, metrics: Sequence[RunMetrics], tol: float) -> str:
    """What the animation shows, in words, from the metrics of start 0."""
    sc = traj.scenario
    runs = "; ".join(
        f"{r.spec.short} {headline(m, r, 0, tol)}" for r, m in zip(traj.runs, metrics, strict=True)
    )
    starts = sc.starts.shape[0]
    formula = sc.function.text.replace("**", "^")
    origin = f"from {point(sc.starts[0])}" if starts == 1 else f"from {starts} start points"
    return (
        f"Animation of {len(traj.runs)} optimizer paths on f(x, y) = {formula} "
        f"{origin} over {sc.steps} steps: a 3-D surface, a contour map and f against step. "
        f"{runs}."
    )
