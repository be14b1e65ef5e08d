"""Analysis: sweeps find known stability bounds, tuning is deterministic, basins are right."""

from __future__ import annotations

import dataclasses

import numpy as np

from gallery.engine import analysis
from gallery.engine.scenario import loads
from gallery.engine.simulate import simulate

QUADRATIC = """
title = "Quadratic"
function = "x**2 + 5*y**2"
domain = {{ x = [-2, 2], y = [-2, 2] }}
steps = {steps}
start = [1, 1]
minima = [[0, 0]]

[[optimizer]]
kind = "sgd"
lr = {lr}

[analysis]
sweep_points = 48
sweep_decades = 4
"""


def test_sweep_finds_the_stable_bound_of_gradient_descent():
    # L = 10 (the largest Hessian eigenvalue): gradient descent is stable for lr < 2 / L = 0.2
    sc = loads(QUADRATIC.format(steps=2000, lr=0.1), "q.toml")
    (s,) = analysis.sweep(sc)
    bound = 2 / 10
    below = s.stable_below()
    above = s.lrs[np.searchsorted(s.lrs, below) + 1]
    assert below < bound < above  # within one grid step
    lo, hi = s.converging_range()
    assert hi == below and lo < 0.1  # the smallest rates are too slow to get there in time
    assert s.chosen_lr == 0.1 and np.isclose(s.lrs, 0.1).any()


def test_tuned_lr_is_deterministic_and_follows_the_criterion():
    text = QUADRATIC.format(steps=50, lr='"tuned"').replace("5*y**2", "y**2")
    sc = loads(text, "q.toml")
    a, b = analysis.tune(sc), analysis.tune(sc)
    lr = a.optimizers[0].hyper["lr"]
    assert lr == b.optimizers[0].hyper["lr"]
    assert a.optimizers[0].tuned.lr == lr and "fewest steps" in a.optimizers[0].tuned.criterion
    # on x² + y² gradient descent lands on the minimum in one step at lr = 1/2; the grid's
    # nearest rates to it are the fastest
    lo, hi, count = a.optimizers[0].tuned.grid
    ratio = (hi / lo) ** (1 / (count - 1))
    assert 0.5 / ratio <= lr <= 0.5 * ratio
    assert a.optimizers[0].short.endswith("(tuned)")


def test_tuned_never_picks_a_diverging_rate():
    sc = loads(QUADRATIC.format(steps=50, lr='"tuned"'), "q.toml")
    spec = analysis.tune(sc).optimizers[0]
    grid = analysis.lr_grid(1e-3, 48, 6)
    s = analysis.sweep_lrs(sc, dataclasses.replace(sc.optimizers[0], hyper={"lr": 0.1}), grid)
    chosen = np.flatnonzero(np.isclose(grid, spec.hyper["lr"]))[0]
    assert s.diverged[chosen] == 0
    assert s.steps_to_tol[chosen] == np.nanmin(s.steps_to_tol)


def test_basins_of_a_double_well():
    text = """
title = "Double well"
function = "(x**2 - 1)**2 + y**2"
domain = { x = [-2, 2], y = [-1, 1] }
steps = 300
start = [0.5, 0.5]
minima = [[-1, 0], [1, 0]]

[[optimizer]]
kind = "sgd"
lr = 0.05

[analysis]
basins = true
basin_grid = 21
"""
    (b,) = analysis.basins(loads(text, "w.toml"))
    X, _ = np.meshgrid(b.xs, b.ys)
    assert (b.labels[X < -0.1] == 0).all()
    assert (b.labels[X > 0.1] == 1).all()
    # on the ridge x = 0 the gradient has no x part: those starts end at the saddle (0, 0)
    assert (b.labels[np.isclose(X, 0)] == analysis.NOT_CONVERGED).all()


def test_basins_mark_divergence_and_falling_below():
    text = """
title = "Cubic"
function = "x**2 + y**2 + y**3 + x*y"
domain = { x = [-3, 3], y = [-3, 3] }
steps = 300
start = [2, 3]
minima = [[0, 0]]

[[optimizer]]
kind = "sgd"
lr = 0.01

[[optimizer]]
kind = "adam"
lr = 0.1

[analysis]
basin_grid = 31
"""
    sgd, adam = analysis.basins(loads(text, "c.toml"))
    X, Y = np.meshgrid(sgd.xs, sgd.ys)
    deep = Y < -2.5  # far down the cliff: f falls without bound
    assert (sgd.labels[deep] == analysis.DIVERGED).all()
    assert (adam.labels[deep] == analysis.FELL_BELOW).all()  # capped steps: sliding, not blown up
    near = (np.abs(X) < 0.3) & (np.abs(Y) < 0.3)
    assert (sgd.labels[near] == 0).all() and (adam.labels[near] == 0).all()


def test_noisy_sweep_sees_the_noise_of_the_run_it_describes():
    text = QUADRATIC.format(steps=40, lr=0.05) + "\n"
    text = text.replace("start = [1, 1]", "starts = [[1, 1], [-1, 0.5]]\nnoise = 0.5\nseed = 3")
    sc = loads(text, "q.toml")
    lrs = np.array([0.01, 0.05, 0.1])
    s = analysis.sweep_lrs(sc, sc.optimizers[0], lrs)
    # the same rate gives the same numbers whatever else is on the grid
    alone = analysis.sweep_lrs(sc, sc.optimizers[0], lrs[1:2])
    assert s.final_f[1] == alone.final_f[0]
    final = simulate(sc).runs[0].f[-1]  # the scenario's own run, at its own rate
    assert s.final_f[1] == np.median(final)


LIMITED = """
import resource, sys
limit = 2**30  # 1 GiB of address space for everything: Python, NumPy, sympy and the runs
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from gallery.engine import analysis
from gallery.engine.scenario import loads
if sys.argv[1] == "unchunked":
    analysis.CHUNK_POINTS = 10**12
sc = loads(sys.stdin.read(), "big.toml")
analysis.basins(sc)
analysis.sweep(sc)
print("done")
"""
BIG = """title = "big"
function = "x**2 + y**2 + y**3 + x*y"
domain = { x = [-3, 3], y = [-3, 3] }
steps = 1000
start = [2, 3]
minima = [[0, 0]]
[[optimizer]]
kind = "adam"
lr = 0.1
[analysis]
basins = true
"""


def test_basins_and_sweeps_run_in_bounded_memory():
    import subprocess
    import sys

    def attempt(mode: str):
        return subprocess.run(
            [sys.executable, "-c", LIMITED, mode], input=BIG, capture_output=True, text=True
        )

    ok = attempt("chunked")
    assert ok.returncode == 0 and "done" in ok.stdout, ok.stderr[-2000:]
    # the same work held in memory at once does not fit under the limit: the limit is binding
    assert "MemoryError" in attempt("unchunked").stderr
