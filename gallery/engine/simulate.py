"""Simulation: a `Scenario` in, one trajectory array per optimizer out, divergence marked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from gallery.engine import optim
from gallery.engine.formula import Formula
from gallery.engine.scenario import OptimizerSpec, Scenario

#: A run has diverged once |f| exceeds this (or any coordinate or f stops being finite).
DIVERGENCE_BOUND = 1e12


@dataclass(frozen=True)
class Run:
    """One optimizer's paths from every start point."""

    spec: OptimizerSpec
    xy: np.ndarray  # (steps + 1, N, 2); NaN from the diverged step on
    f: np.ndarray  # (steps + 1, N); NaN from the diverged step on
    diverged_at: np.ndarray  # (N,) int: first point index that diverged, -1 if none
    grads: np.ndarray | None = None  # (steps + 1, N, 2) gradient seen at each point (if kept)
    velocity: np.ndarray | None = None  # (steps + 1, N, 2) momentum / first moment after each step

    @property
    def diverged(self) -> bool:
        """True when any start point diverged."""
        return bool((self.diverged_at >= 0).any())


@dataclass(frozen=True)
class Trajectories:
    """Every optimizer's run for one scenario."""

    scenario: Scenario
    runs: tuple[Run, ...]


def run(
    formula: Formula,
    kind: str,
    hyper: Mapping[str, Any],
    starts: np.ndarray,
    steps: int,
    *,
    noise: float | np.ndarray = 0.0,
    seed: int = 0,
    keep_extras: bool = False,
    spec: OptimizerSpec | None = None,
    noise_index: np.ndarray | None = None,
    streams: int | None = None,
) -> Run:
    """Advance every start point `steps` times with one optimizer; stop each point on divergence.

    Hyperparameters may be arrays broadcastable to (N, 1), so one call can sweep learning rates.
    Noise comes from one stream per start point; `noise_index` maps each row to its stream, so the
    rows of a sweep see exactly the noise the same start sees in the scenario's own run, and
    `streams` (default: as many as the rows need) keeps the draws the same when the rows are run
    in chunks.
    """
    params = np.array(starts, dtype=np.float64).reshape(-1, 2)
    n = params.shape[0]
    tx = optim.build(kind, hyper, hessian=formula.hessian)
    state = tx.init(params)
    rng = np.random.default_rng(seed)
    if streams is None:
        streams = n if noise_index is None else int(np.max(noise_index)) + 1
    noise = np.broadcast_to(np.asarray(noise, dtype=np.float64), (n, 1)) if np.any(noise) else None

    xy = np.empty((steps + 1, n, 2))
    f = np.empty((steps + 1, n))
    diverged_at = np.full(n, -1, dtype=np.int64)
    grads_seen = np.full((steps + 1, n, 2), np.nan) if keep_extras else None
    vel = np.full((steps + 1, n, 2), np.nan) if keep_extras else None

    alive = np.ones(n, dtype=bool)
    prev = params  # last position of every point (finite while it is alive)
    safe = None  # where diverged points are parked so they cannot poison anything later
    with np.errstate(all="ignore"):
        for t in range(steps + 1):
            value = formula.value(params)
            bad = ~(np.isfinite(params).all(axis=1) & np.isfinite(value))
            bad |= np.abs(value) > DIVERGENCE_BOUND
            newly = alive & bad
            if newly.any():
                diverged_at[newly] = t
                alive &= ~newly
                safe = prev.copy() if safe is None else safe
                safe[newly] = prev[newly]
            if safe is not None:
                params = np.where(alive[:, None], params, safe)
            xy[t] = params
            f[t] = value
            if t == steps or not alive.any():
                break
            grads = formula.grad(params)
            if noise is not None:
                draw = rng.standard_normal((streams, 2))
                grads = grads + noise * (draw if noise_index is None else draw[noise_index])
            if grads_seen is not None:
                grads_seen[t] = grads
            updates, state = tx.update(grads, state, params)
            prev = params
            params = params + updates
            if vel is not None:
                v = optim.velocity(state)
                if v is not None:
                    vel[t + 1] = v
    # every point from the step a run diverged on (and any step never reached) is NaN
    last = np.where(diverged_at >= 0, diverged_at, steps + 1)
    gone = np.arange(steps + 1)[:, None] >= last[None, :]
    gone[t + 1 :] = True
    for arr in (xy, f, grads_seen, vel):
        if arr is not None:
            arr[gone] = np.nan
    if spec is None:
        spec = OptimizerSpec(kind=kind, label=kind, color=None, hyper=dict(hyper), given={})
    return Run(spec=spec, xy=xy, f=f, diverged_at=diverged_at, grads=grads_seen, velocity=vel)


def simulate(scenario: Scenario, *, keep_extras: bool = False) -> Trajectories:
    """Run every optimizer of the scenario from all its starts."""
    for spec in scenario.optimizers:
        if isinstance(spec.hyper.get("lr"), str):
            raise ValueError(f"{spec.label}: lr = 'tuned' must be resolved (analysis.tune) first")
    runs = tuple(
        run(
            scenario.function,
            spec.kind,
            spec.hyper,
            scenario.starts,
            scenario.steps,
            noise=spec.noise,
            seed=spec.seed,
            keep_extras=keep_extras,
            spec=spec,
        )
        for spec in scenario.optimizers
    )
    return Trajectories(scenario=scenario, runs=runs)


CSV_HEADER = "optimizer,start,step,x,y,f"


def _csv_field(text: str) -> str:
    if any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


#: Rows of the CSV a page offers for download: beyond this, evenly chosen start points are kept
#: (`gallery trace` writes every row).
MAX_CSV_ROWS = 1_000_000


def csv_chunks(traj: Trajectories, starts: np.ndarray | None = None):
    """The CSV of every point of every run (of `starts` only, if given), a start at a time:
    `optimizer,start,step,x,y,f`; diverged points are `nan`."""
    yield CSV_HEADER + "\n"
    for r in traj.runs:
        label = _csv_field(r.spec.label)
        steps, n = r.f.shape
        for i in range(n) if starts is None else starts:
            xs, ys, fs = r.xy[:, i, 0].tolist(), r.xy[:, i, 1].tolist(), r.f[:, i].tolist()
            yield "".join(f"{label},{i},{t},{xs[t]!r},{ys[t]!r},{fs[t]!r}\n" for t in range(steps))


def trace_csv(traj: Trajectories, most: int | None = None) -> tuple[str, str | None]:
    """(the CSV, a note if it holds only some start points): at most `most` rows."""
    steps, n = traj.runs[0].f.shape
    rows = steps * n * len(traj.runs)
    if most is None or rows <= most:
        return "".join(csv_chunks(traj)), None
    keep = max(1, most // (steps * len(traj.runs)))
    picked = np.unique(np.linspace(0, n - 1, keep).round().astype(int))
    note = (
        f"the CSV holds {len(picked)} of the {n} start points (evenly chosen), to stay under "
        f"{most:,} rows; `gallery trace` writes them all"
    )
    return "".join(csv_chunks(traj, picked)), note
