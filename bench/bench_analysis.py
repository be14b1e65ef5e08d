"""Sweep and basin timings: 48 lrs x 8 optimizers x 200 steps; 40,000 starts x 200 steps x 6."""

from __future__ import annotations

import time

from gallery.engine import analysis
from gallery.engine.scenario import loads
from gallery.engine.simulate import run

KINDS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "lion")


def _scenario(kinds, extra: str = "") -> str:
    opts = "".join(f'\n[[optimizer]]\nkind = "{k}"\nlr = 0.01\n' for k in kinds)
    return f"""
title = "bench"
function = "(x**2 + y - 11)**2 + (x + y**2 - 7)**2"
domain = {{ x = [-5, 5], y = [-5, 5] }}
steps = 200
start = [0, 0]
minima = [[3, 2], [-2.805118, 3.131312], [-3.779310, -3.283186], [3.584428, -1.848126]]
{opts}
[analysis]
sweep_points = 48
basin_grid = 200
{extra}
"""


def main() -> None:
    sc = loads(_scenario(KINDS), "bench.toml")
    t0 = time.perf_counter()
    analysis.sweep(sc)
    sweep_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for spec in sc.optimizers:  # baseline: one run per learning rate, as a loop would do it
        for lr in analysis.lr_grid(0.01, 48, 4):
            run(sc.function, spec.kind, {**spec.hyper, "lr": float(lr)}, sc.starts, sc.steps)
    loop_s = time.perf_counter() - t0
    print(
        f"lr sweep: 48 lrs x 8 optimizers x 200 steps: vectorised {sweep_s:.3f} s, "
        f"one run per lr {loop_s:.3f} s, ratio {loop_s / sweep_s:.1f}x (target < 2 s)"
    )

    sc = loads(_scenario(KINDS[:6]), "bench.toml")
    t0 = time.perf_counter()
    analysis.basins(sc)
    basin_s = time.perf_counter() - t0
    print(
        f"basins: 40,000 starts x 200 steps x 6 optimizers: {basin_s:.2f} s (target < 10 s, "
        f"{10 / basin_s:.1f}x headroom)"
    )


if __name__ == "__main__":
    main()
