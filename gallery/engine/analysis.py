"""Analysis: learning-rate sweeps, tuned rates and basins of attraction, as vectorised runs."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from gallery.engine import optim
from gallery.engine.metrics import distance_to
from gallery.engine.scenario import OptimizerSpec, Scenario
from gallery.engine.simulate import run

#: How the tuned learning rate is chosen; printed on every page that uses it.
TUNED_CRITERION = (
    "the learning rate on the sweep grid whose run first comes within the tolerance of a known "
    "minimum (without known minima: of the lowest f any rate reached) in the fewest steps; ties, "
    "and rates that never get there, are ranked by the gap |f - f*| after the last step (without "
    "minima: by f), then by the smaller rate; rates that diverge are never chosen"
)
#: Sweep grid used for `lr = "tuned"`: this many decades either side of the kind's default lr.
TUNED_HALF_DECADES = 3.0


@dataclass(frozen=True)
class Sweep:
    """One optimizer's results over a log grid of learning rates (medians over start points)."""

    label: str
    kind: str
    lrs: np.ndarray  # (K,)
    final_f: np.ndarray  # (K,) median f after all steps (NaN where any start diverged)
    steps_to_tol: np.ndarray  # (K,) median first step within tol of a minimum (or f_ref), or NaN
    diverged: np.ndarray  # (K,) fraction of starts that diverged
    f_ref: float  # the value "within tolerance" is measured against
    chosen_lr: float  # the lr the scenario runs with
    tolerance: float
    has_minima: bool = False

    @property
    def converging(self) -> np.ndarray:
        """Rates whose median run reached the tolerance without any start diverging."""
        return np.isfinite(self.steps_to_tol) & (self.diverged == 0)

    def converging_range(self) -> tuple[float, float] | None:
        """The contiguous band of converging rates around the best one (None if none converge)."""
        ok = self.converging
        if not ok.any():
            return None
        best = int(np.nanargmin(np.where(ok, self.steps_to_tol, np.inf)))
        lo = hi = best
        while lo > 0 and ok[lo - 1]:
            lo -= 1
        while hi < len(ok) - 1 and ok[hi + 1]:
            hi += 1
        return float(self.lrs[lo]), float(self.lrs[hi])

    def stable_below(self) -> float | None:
        """The largest rate below which no tested rate diverged (None if even the first did)."""
        bad = self.diverged > 0
        if not bad.any():
            return None
        first = int(np.argmax(bad))
        return float(self.lrs[first - 1]) if first > 0 else None


@dataclass(frozen=True)
class Basins:
    """Which known minimum each start of a grid ends at, per optimizer."""

    label: str
    kind: str
    xs: np.ndarray  # (G,)
    ys: np.ndarray  # (G,)
    labels: np.ndarray  # (G, G) [row = y, col = x]: minimum index, DIVERGED or NOT_CONVERGED
    radius: float


DIVERGED = -1
NOT_CONVERGED = -2
FELL_BELOW = -3  # ended below every known minimum: sliding off where the function is unbounded


def lr_grid(centre: float, points: int, decades: float, include: float | None = None) -> np.ndarray:
    """`points` rates log-spaced over `decades` decades around `centre`, plus `include`."""
    c = math.log10(centre)
    grid = np.logspace(c - decades / 2, c + decades / 2, points)
    if include is not None and not np.isclose(grid, include, rtol=1e-12, atol=0).any():
        grid = np.sort(np.append(grid, include))
    return grid


def _f_star(scenario: Scenario) -> float | None:
    if scenario.minima.shape[0] == 0:
        return None
    return float(np.min(scenario.function.value(scenario.minima)))


#: Points (steps + 1 per row) simulated at once by a sweep or a basin map: about 70 MB of
#: positions and values, however many rates or starts the file asks for.
CHUNK_POINTS = 2_000_000


def _chunks(rows: int, steps: int):
    """Row slices of at most CHUNK_POINTS points each."""
    size = max(1, CHUNK_POINTS // (steps + 1))
    for lo in range(0, rows, size):
        yield slice(lo, min(rows, lo + size))


def sweep_lrs(
    scenario: Scenario,
    spec: OptimizerSpec,
    lrs: np.ndarray,
    steps: int | None = None,
) -> Sweep:
    """Run one optimizer for every lr in `lrs` and every start (lr as a (K*N, 1) array).

    The K*N rows run in chunks of bounded memory; each chunk is reduced to what the sweep keeps
    (first step within the tolerance, final f, diverged) before the next one runs.
    """
    steps = steps or scenario.steps
    tol = scenario.analysis.tolerance
    n = scenario.starts.shape[0]
    k = lrs.shape[0]
    starts = np.tile(scenario.starts, (k, 1))  # (K*N, 2): all starts for lr 0, then lr 1, ...
    lr_col = np.repeat(lrs, n)[:, None]
    noise_index = np.tile(np.arange(n), k)
    f_star = _f_star(scenario)

    def chunk_runs():
        for rows in _chunks(k * n, steps):
            yield (
                rows,
                run(
                    scenario.function,
                    spec.kind,
                    {**spec.hyper, "lr": lr_col[rows]},
                    starts[rows],
                    steps,
                    noise=spec.noise,
                    seed=spec.seed,
                    noise_index=noise_index[rows],
                    streams=n,
                ),
            )

    final = np.full(k * n, np.nan)
    first = np.full(k * n, np.nan)
    diverged = np.zeros(k * n, dtype=bool)
    f_ref = f_star
    if f_ref is None:  # without a known minimum: the lowest f any rate reached (a first pass)
        lowest = [np.nanmin(r.f) for _, r in chunk_runs() if np.isfinite(r.f).any()]
        f_ref = float(min(lowest)) if lowest else 0.0
    with np.errstate(invalid="ignore"):
        for rows, r in chunk_runs():
            if f_star is not None:  # near a known minimum in position: f's level is not enough
                within = distance_to(r.xy, scenario.minima) < tol
            else:
                within = np.abs(r.f - f_ref) < tol
            hit = within.any(axis=0)
            first[rows] = np.where(hit, within.argmax(axis=0), np.nan)
            final[rows] = r.f[-1]
            diverged[rows] = r.diverged_at >= 0
    first, final = first.reshape(k, n), final.reshape(k, n)
    diverged = diverged.reshape(k, n)
    with np.errstate(invalid="ignore"):
        steps_to = np.where(np.isfinite(first).all(axis=1), np.median(first, axis=1), np.nan)
        final_f = np.where(diverged.any(axis=1), np.nan, np.median(final, axis=1))
    chosen = spec.hyper["lr"]
    return Sweep(
        label=spec.label,
        kind=spec.kind,
        lrs=lrs,
        final_f=final_f,
        steps_to_tol=steps_to,
        diverged=diverged.mean(axis=1),
        f_ref=float(f_ref),
        chosen_lr=float(chosen) if not isinstance(chosen, str) else float("nan"),
        tolerance=tol,
        has_minima=f_star is not None,
    )


def sweep(scenario: Scenario) -> tuple[Sweep, ...]:
    """The learning-rate sweep of every optimizer, centred on the lr each one runs with."""
    a = scenario.analysis
    return tuple(
        sweep_lrs(
            scenario, spec, lr_grid(_centre(spec), a.sweep_points, a.sweep_decades, _centre(spec))
        )
        for spec in scenario.optimizers
    )


def _centre(spec: OptimizerSpec) -> float:
    lr = spec.hyper["lr"]
    if isinstance(lr, str) or not lr > 0:
        return float(optim.KINDS[spec.kind].defaults["lr"])
    return float(lr)


def pick(s: Sweep) -> float | None:
    """Apply TUNED_CRITERION to a sweep; None when every rate diverged."""
    ok = s.diverged == 0
    if not ok.any():
        return None
    steps = np.where(ok & np.isfinite(s.steps_to_tol), s.steps_to_tol, np.inf)
    gap = s.final_f - s.f_ref if s.has_minima else s.final_f
    final = np.where(ok & np.isfinite(gap), np.abs(gap) if s.has_minima else gap, np.inf)
    # lexicographic: fewest steps to tolerance, then lowest final f, then the smaller rate
    order = np.lexsort((s.lrs, final, steps))
    best = int(order[0])
    return float(s.lrs[best]) if ok[best] else None


@dataclass(frozen=True)
class Tuned:
    """Where a tuned learning rate came from."""

    lr: float
    grid: tuple[float, float, int]  # lowest, highest, count
    criterion: str = TUNED_CRITERION


def tune(scenario: Scenario) -> Scenario:
    """Replace every `lr = "tuned"` by the rate TUNED_CRITERION picks (deterministic)."""
    if not any(s.hyper.get("lr") == "tuned" for s in scenario.optimizers):
        return scenario
    a = scenario.analysis
    specs = []
    for spec in scenario.optimizers:
        if spec.hyper.get("lr") != "tuned":
            specs.append(spec)
            continue
        default = float(optim.KINDS[spec.kind].defaults["lr"])
        points = max(a.sweep_points, 48)
        lrs = lr_grid(default, points, 2 * TUNED_HALF_DECADES)
        chosen = pick(sweep_lrs(scenario, spec, lrs))
        if chosen is None:
            chosen = float(lrs[0])
        specs.append(
            dataclasses.replace(
                spec,
                hyper={**spec.hyper, "lr": chosen},
                tuned=Tuned(lr=chosen, grid=(float(lrs[0]), float(lrs[-1]), points)),
            )
        )
    return dataclasses.replace(scenario, optimizers=tuple(specs))


def basins(scenario: Scenario) -> tuple[Basins, ...]:
    """Run every optimizer from a grid of starts over the domain; label each by where it ends.

    The starts run in chunks of bounded memory; only where each one ends is kept.
    """
    a = scenario.analysis
    g = a.basin_grid
    (x0, x1), (y0, y1) = scenario.domain
    xs, ys = np.linspace(x0, x1, g), np.linspace(y0, y1, g)
    X, Y = np.meshgrid(xs, ys)
    starts = np.column_stack([X.ravel(), Y.ravel()])
    steps = a.basin_steps or scenario.steps
    radius = 0.02 * min(x1 - x0, y1 - y0)
    minima = scenario.minima
    f_star = float(np.min(scenario.function.value(minima))) if minima.shape[0] else None
    rows = np.arange(starts.shape[0])
    out = []
    for spec in scenario.optimizers:
        end = np.empty_like(starts)
        f_end = np.empty(starts.shape[0])
        diverged = np.zeros(starts.shape[0], dtype=bool)
        for part in _chunks(starts.shape[0], steps):
            r = run(
                scenario.function,
                spec.kind,
                spec.hyper,
                starts[part],
                steps,
                noise=spec.noise,
                seed=spec.seed,
                noise_index=rows[part],
                streams=starts.shape[0],
            )
            end[part], f_end[part], diverged[part] = r.xy[-1], r.f[-1], r.diverged_at >= 0
        labels = np.full(starts.shape[0], NOT_CONVERGED, dtype=np.int64)
        if minima.shape[0]:
            d = np.sqrt(((end[:, None, :] - minima[None]) ** 2).sum(-1))
            near = d.argmin(axis=1)
            reached = np.isfinite(d).all(axis=1) & (d.min(axis=1, initial=np.inf) < radius)
            labels[reached] = near[reached]
            with np.errstate(invalid="ignore"):
                below = ~reached & (f_end < f_star - a.tolerance)
            labels[below] = FELL_BELOW
        labels[diverged] = DIVERGED
        out.append(Basins(spec.label, spec.kind, xs, ys, labels.reshape(g, g), radius))
    return tuple(out)
