"""Simulation: shapes, divergence marking, vectorised runs, the CSV trace."""

from __future__ import annotations

import numpy as np

from gallery.engine.formula import parse
from gallery.engine.scenario import loads
from gallery.engine.simulate import CSV_HEADER, run, simulate, trace_csv

CUBIC = """
title = "Cubic"
function = "x**2 + y**2 + y**3 + x*y"
domain = { x = [-3, 3], y = [-3, 3] }
steps = 150
start = [2, 3]

[[optimizer]]
kind = "sgd"
lr = 0.01

[[optimizer]]
kind = "momentum"
lr = 0.01
"""


def test_shapes_and_start_point():
    traj = simulate(loads(CUBIC, "cubic.toml"))
    for r in traj.runs:
        assert r.xy.shape == (151, 1, 2)
        assert r.f.shape == (151, 1)
        np.testing.assert_array_equal(r.xy[0, 0], [2.0, 3.0])
        assert r.f[0, 0] == 4 + 9 + 27 + 6


def test_divergence_is_marked_and_later_points_are_nan():
    sgd, mom = simulate(loads(CUBIC, "cubic.toml")).runs
    assert sgd.diverged_at[0] == -1 and np.isfinite(sgd.f).all()
    k = mom.diverged_at[0]
    assert 0 < k < 150
    assert np.isnan(mom.f[k:]).all() and np.isnan(mom.xy[k:]).all()
    assert np.isfinite(mom.f[:k]).all() and np.all(np.abs(mom.f[:k]) <= 1e12)
    # it falls into the abyss: y runs off to minus infinity
    assert mom.xy[k - 1, 0, 1] < -1e3


def test_many_starts_equal_separate_runs():
    f = parse("x**2/20 + y**2")
    starts = np.array([[-7.0, 2.0], [3.0, -1.0], [0.5, 4.0]])
    together = run(f, "adam", {"lr": 0.3, "betas": (0.9, 0.99)}, starts, 50)
    for i, s in enumerate(starts):
        alone = run(f, "adam", {"lr": 0.3, "betas": (0.9, 0.99)}, s[None], 50)
        np.testing.assert_array_equal(together.xy[:, i], alone.xy[:, 0])


def test_learning_rates_as_an_array_sweep_in_one_run():
    f = parse("x**2 + y**2")
    lrs = np.array([0.1, 0.5, 0.9, 1.1])[:, None]
    starts = np.repeat([[1.0, 1.0]], 4, axis=0)
    r = run(f, "sgd", {"lr": lrs}, starts, 200)
    # gradient descent on x² is stable for lr < 2 / L = 1 and diverges above it
    assert (r.diverged_at[:3] == -1).all() and r.diverged_at[3] > 0
    for i, lr in enumerate(lrs[:, 0]):
        alone = run(f, "sgd", {"lr": float(lr)}, starts[:1], 200)
        np.testing.assert_array_equal(r.xy[:, i], alone.xy[:, 0])


def test_noise_is_seeded():
    f = parse("x**2 + y**2")
    a = run(f, "sgd", {"lr": 0.1}, [[1.0, 1.0]], 20, noise=0.5, seed=3)
    b = run(f, "sgd", {"lr": 0.1}, [[1.0, 1.0]], 20, noise=0.5, seed=3)
    c = run(f, "sgd", {"lr": 0.1}, [[1.0, 1.0]], 20, noise=0.5, seed=4)
    clean = run(f, "sgd", {"lr": 0.1}, [[1.0, 1.0]], 20)
    np.testing.assert_array_equal(a.xy, b.xy)
    assert not np.array_equal(a.xy, c.xy)
    assert not np.array_equal(a.xy, clean.xy)


def test_trace_csv_format():
    traj = simulate(loads(CUBIC, "cubic.toml"))
    lines = trace_csv(traj)[0].splitlines()
    assert lines[0] == CSV_HEADER
    assert len(lines) == 1 + 2 * 151
    first = lines[1].split(",")
    assert first[:3] == ["SGD", "0", "0"] and float(first[3]) == 2.0
    # repr precision round-trips exactly
    x1 = float(lines[2].split(",")[3])
    assert x1 == traj.runs[0].xy[1, 0, 0]
    assert lines[-1].endswith("nan,nan,nan")  # momentum diverged before the last step


def test_noise_from_the_scenario_file_is_seeded_and_repeats_spread():
    text = CUBIC.replace(
        "start = [2, 3]", "start = [0.5, 0.5]\nrepeats = 4\nnoise = 0.5\nseed = 11"
    )
    a = simulate(loads(text, "n.toml")).runs[0]
    b = simulate(loads(text, "n.toml")).runs[0]
    c = simulate(loads(text.replace("seed = 11", "seed = 12"), "n.toml")).runs[0]
    assert a.xy.shape[1] == 4
    np.testing.assert_array_equal(a.xy, b.xy)  # same seed, same run
    assert not np.array_equal(a.xy, c.xy)
    # the repeats start together and spread apart: each sees its own noise
    np.testing.assert_array_equal(a.xy[0], np.repeat([[0.5, 0.5]], 4, axis=0))
    assert len({tuple(p) for p in a.xy[10]}) == 4
    assert loads(text, "n.toml").optimizers[0].short == "SGD lr=0.01 σ=0.5"


def test_a_long_csv_keeps_evenly_chosen_starts_and_says_so():
    from gallery.engine.simulate import csv_chunks

    text = CUBIC.replace("start = [2, 3]", "starts = [[1, 1], [-1, 0.5], [0.2, -1.5], [0.5, 0.5]]")
    traj = simulate(loads(text, "b.toml"))
    full, note = trace_csv(traj)
    assert note is None and full == "".join(csv_chunks(traj))
    rows_per_start = traj.runs[0].f.shape[0] * len(traj.runs)
    part, note = trace_csv(traj, most=2 * rows_per_start)
    assert "holds 2 of the 4 start points" in note
    starts = {line.split(",")[1] for line in part.splitlines()[1:]}
    assert starts == {"0", "3"}  # the first and the last, evenly chosen
