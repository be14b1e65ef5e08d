"""Benchmark: Adam on many start points at once."""

from __future__ import annotations

import time

import numpy as np

from gallery.engine import optim


def bench_adam(points: int = 10_000, steps: int = 100) -> dict:
    """Time `steps` Adam steps from `points` start points on x^2/20 + y^2."""
    params = np.random.default_rng(0).uniform(-8, 8, size=(points, 2))
    scale = np.array([0.1, 2.0])  # gradient of x^2/20 + y^2
    tx = optim.build("adam", {"lr": 0.1})
    state = tx.init(params)
    start = time.perf_counter()
    for _ in range(steps):
        updates, state = tx.update(params * scale, state, params)
        params = params + updates
    seconds = time.perf_counter() - start
    return {"name": "adam", "points": points, "steps": steps, "seconds": seconds}


def bench_simulate(points: int = 10_000, steps: int = 100, loop_points: int = 200) -> dict:
    """The full path (formula, gradient, Adam, divergence checks) for many starts in one call,
    against the same work done one start point at a time (timed on `loop_points`, scaled up)."""
    from gallery.engine.formula import parse
    from gallery.engine.simulate import run

    f = parse("x**2/20 + y**2")
    starts = np.random.default_rng(0).uniform(-8, 8, size=(points, 2))
    hyper = {"lr": 0.3, "betas": (0.9, 0.99), "eps": 1e-7}
    run(f, "adam", hyper, starts[:2], 2)  # warm up the lambdified functions
    t0 = time.perf_counter()
    run(f, "adam", hyper, starts, steps)
    vectorised = time.perf_counter() - t0
    t0 = time.perf_counter()
    for p in starts[:loop_points]:
        run(f, "adam", hyper, p[None], steps)
    looped = (time.perf_counter() - t0) * points / loop_points
    return {"points": points, "steps": steps, "vectorised": vectorised, "looped": looped}


def main() -> None:
    r = bench_adam()
    print(
        f"adam update rule alone, {r['points']} points x {r['steps']} steps: {r['seconds']:.3f} s"
    )
    s = bench_simulate()
    print(
        f"adam through simulate.run, {s['points']} points x {s['steps']} steps: "
        f"{s['vectorised']:.3f} s in one call; one point at a time ~{s['looped']:.1f} s; "
        f"ratio {s['looped'] / s['vectorised']:.0f}x"
    )


if __name__ == "__main__":
    main()
