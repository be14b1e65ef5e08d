"""Metrics: trajectories in, per-run facts out (how far, how fast, how wobbly, if it blew up)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gallery.engine.simulate import Run, Trajectories


@dataclass(frozen=True)
class RunMetrics:
    """Facts about one optimizer's run, one entry per start point."""

    label: str
    kind: str
    final_f: np.ndarray  # f at the last step (NaN if diverged)
    last_f: np.ndarray  # f at the last finite point
    best_f: np.ndarray  # lowest f seen
    distance: (
        np.ndarray
    )  # distance of the last finite point to the nearest known minimum (NaN: none)
    steps_to_min: np.ndarray  # first step within tol of a known minimum (-1: never)
    steps_to_fmin: np.ndarray  # first step with f within tol of the minima's f (-1: never)
    path_length: np.ndarray  # sum of step lengths
    reversals: np.ndarray  # (N, 2) direction reversals along x and y
    diverged_at: np.ndarray  # first diverged point index (-1: never)
    nearest: np.ndarray  # index of the nearest known minimum to the last point (-1: none)
    steps: int

    @property
    def n(self) -> int:
        """Number of start points."""
        return int(self.final_f.shape[0])


def distance_to(xy: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Distance from every point of `xy` (..., 2) to the nearest of `points` (M, 2).

    One point at a time, so memory stays that of `xy` however many points there are; NaN
    positions give inf.
    """
    best = np.full(xy.shape[:-1], np.inf)
    with np.errstate(invalid="ignore"):
        for p in points:
            d = np.hypot(xy[..., 0] - p[0], xy[..., 1] - p[1])
            best = np.fmin(best, np.where(np.isfinite(d), d, np.inf))
    return best


def _first(mask: np.ndarray) -> np.ndarray:
    """Index of the first True along axis 0 per column, -1 where there is none."""
    hit = mask.any(axis=0)
    return np.where(hit, mask.argmax(axis=0), -1)


def measure_run(
    run: Run, minima: np.ndarray, f_minima: np.ndarray | None, tol: float
) -> RunMetrics:
    """Compute the metrics of one run against the known minima (shape (M, 2), M may be 0)."""
    xy, f = run.xy, run.f
    steps = xy.shape[0] - 1
    valid = np.isfinite(f)
    last_idx = np.where(valid.any(axis=0), valid.shape[0] - 1 - valid[::-1].argmax(axis=0), 0)
    cols = np.arange(f.shape[1])
    last_xy = xy[last_idx, cols]
    last_f = f[last_idx, cols]
    with np.errstate(all="ignore"):
        best_f = np.where(valid.any(axis=0), np.nanmin(np.where(valid, f, np.inf), axis=0), np.nan)
        dxy = np.diff(xy, axis=0)
        seg = np.sqrt((dxy**2).sum(axis=-1))
        path_length = np.nansum(seg, axis=0)
        sign = np.sign(dxy)
        # a reversal: this step's direction along an axis is opposite to the last non-zero one
        reversals = np.zeros((f.shape[1], 2), dtype=np.int64)
        for axis in range(2):
            s = sign[..., axis]
            prev = np.zeros(f.shape[1])
            count = np.zeros(f.shape[1], dtype=np.int64)
            for t in range(s.shape[0]):
                cur = s[t]
                ok = np.isfinite(cur) & (cur != 0)
                count += ok & (prev * cur < 0)
                prev = np.where(ok, cur, prev)
            reversals[:, axis] = count
    m = minima.shape[0]
    if m:
        steps_to_min = _first(distance_to(xy, minima) < tol)
        d_last = np.sqrt(((last_xy[:, None, :] - minima[None]) ** 2).sum(-1))
        nearest = d_last.argmin(axis=1)
        distance = d_last[np.arange(len(nearest)), nearest]
        f_star = float(np.min(f_minima)) if f_minima is not None and len(f_minima) else np.nan
        with np.errstate(invalid="ignore"):
            steps_to_fmin = (
                _first(np.abs(f - f_star) < tol)
                if np.isfinite(f_star)
                else -np.ones_like(steps_to_min)
            )
    else:
        n = f.shape[1]
        steps_to_min = steps_to_fmin = -np.ones(n, dtype=np.int64)
        nearest = -np.ones(n, dtype=np.int64)
        distance = np.full(n, np.nan)
    return RunMetrics(
        label=run.spec.label,
        kind=run.spec.kind,
        final_f=f[-1].copy(),
        last_f=last_f,
        best_f=best_f,
        distance=distance,
        steps_to_min=steps_to_min,
        steps_to_fmin=steps_to_fmin,
        path_length=path_length,
        reversals=reversals,
        diverged_at=run.diverged_at.copy(),
        nearest=nearest,
        steps=steps,
    )


def measure(traj: Trajectories, tol: float | None = None) -> tuple[RunMetrics, ...]:
    """Metrics of every run of a scenario, within its `[analysis] tolerance` unless given."""
    tol = traj.scenario.analysis.tolerance if tol is None else tol
    minima = traj.scenario.minima
    f_minima = traj.scenario.function.value(minima) if minima.shape[0] else None
    return tuple(measure_run(r, minima, f_minima, tol) for r in traj.runs)
