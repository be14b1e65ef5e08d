"""Metrics: checked on runs whose answers are known by hand."""

from __future__ import annotations

import numpy as np

from gallery.engine.metrics import measure, measure_run
from gallery.engine.scenario import OptimizerSpec, loads
from gallery.engine.simulate import Run, simulate


def make_run(points, f=None) -> Run:
    xy = np.array(points, dtype=float)[:, None, :]
    if f is None:
        f = (xy**2).sum(-1)
    spec = OptimizerSpec(kind="sgd", label="SGD", color=None, hyper={}, given={})
    return Run(spec=spec, xy=xy, f=np.asarray(f, float), diverged_at=np.array([-1]))


def test_path_length_and_reversals():
    r = make_run([[1, 0], [-1, 0], [1, 1], [1, 2], [0, 2]])
    m = measure_run(r, np.zeros((0, 2)), None, 1e-3)
    assert np.isclose(m.path_length[0], 2 + np.sqrt(5) + 1 + 1)
    # x: -, +, 0, -  -> two reversals; y: 0, +, +, 0 -> none
    assert m.reversals[0].tolist() == [2, 0]


def test_distance_and_steps_to_minimum():
    r = make_run([[1, 1], [0.5, 0.5], [0.0005, 0], [0, 0]])
    minima = np.array([[0.0, 0.0], [5.0, 5.0]])
    m = measure_run(r, minima, np.array([0.0, 50.0]), 1e-3)
    assert m.steps_to_min[0] == 2
    assert m.distance[0] == 0.0 and m.nearest[0] == 0
    assert m.steps_to_fmin[0] == 2
    assert m.best_f[0] == 0.0 and m.final_f[0] == 0.0


def test_no_minima_means_no_distance():
    m = measure_run(make_run([[1, 1], [0, 0]]), np.zeros((0, 2)), None, 1e-3)
    assert np.isnan(m.distance[0]) and m.steps_to_min[0] == -1


def test_diverged_run_reports_last_finite_value():
    text = """
title = "c"
function = "x**2 + y**2 + y**3 + x*y"
domain = { x = [-3, 3], y = [-3, 3] }
steps = 150
start = [2, 3]
minima = [[0, 0]]
[[optimizer]]
kind = "momentum"
lr = 0.01
"""
    (m,) = measure(simulate(loads(text, "c.toml")))
    k = m.diverged_at[0]
    assert k > 0 and np.isnan(m.final_f[0])
    assert np.isfinite(m.last_f[0]) and m.last_f[0] < -1e6
    assert m.steps_to_min[0] == -1


def test_falling_below_the_minimum_value_is_not_reaching_it():
    # f passes below f* = 0 on its way into an abyss: that is not "within tolerance of f*"
    r = make_run([[1, 1], [0.5, 0.5], [0.2, -3]], f=[[2.0], [0.5], [-28.0]])
    m = measure_run(r, np.zeros((1, 2)), np.array([0.0]), 1e-3)
    assert m.steps_to_fmin[0] == -1


def test_tolerance_comes_from_the_scenario():
    text = """
title = "b"
function = "x**2 + y**2"
domain = { x = [-2, 2], y = [-2, 2] }
steps = 40
start = [1, 1]
minima = [[0, 0]]
[[optimizer]]
kind = "sgd"
lr = 0.1
[analysis]
tolerance = 0.1
"""
    loose = measure(simulate(loads(text, "b.toml")))[0]
    tight = measure(simulate(loads(text.replace("0.1\n", "1e-6\n", 1), "b.toml")))[0]
    # |(1, 1)| * 0.8^k < tol: k = 12 for 0.1, k = 64 (never within 40 steps) for 1e-6
    assert loose.steps_to_min[0] == 12 and tight.steps_to_min[0] == -1
