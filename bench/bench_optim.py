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


if __name__ == "__main__":
    r = bench_adam()
    print(f"adam {r['points']} points x {r['steps']} steps: {r['seconds']:.3f} s")
