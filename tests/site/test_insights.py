"""Analysis sentences say what the sweep and basin data say."""

from __future__ import annotations

import numpy as np

from gallery.engine.analysis import DIVERGED, NOT_CONVERGED, Basins, Sweep
from gallery.engine.scenario import loads
from gallery.site.insights import basin_sentence, sweep_sentence

LRS = np.array([0.01, 0.03, 0.1, 0.3, 1.0])


def sweep(steps_to, diverged, chosen=0.1, minima=True) -> Sweep:
    return Sweep(
        label="SGD",
        kind="sgd",
        lrs=LRS,
        final_f=np.zeros(5),
        steps_to_tol=np.array(steps_to),
        diverged=np.array(diverged, float),
        f_ref=0.0,
        chosen_lr=chosen,
        tolerance=1e-3,
        has_minima=minima,
    )


def test_band_and_where_the_animation_sits():
    s = sweep([np.nan, 40, 20, np.nan, np.nan], [0, 0, 0, 0, 1])
    assert sweep_sentence(s, 100) == (
        "SGD gets within 0.001 of a minimum in 100 steps for lr in [0.03, 0.1] of the tested "
        "grid; the animation uses 0.1."
    )
    low = sweep([np.nan, 40, 20, np.nan, np.nan], [0, 0, 0, 0, 1], chosen=0.01)
    assert sweep_sentence(low, 100).endswith("the animation uses 0.01, below that band.")


def test_never_converging_names_the_divergence_bound():
    s = sweep([np.nan] * 5, [0, 0, 0, 1, 1])
    text = sweep_sentence(s, 50)
    assert "does not get within 0.001 of a minimum in 50 steps" in text
    assert "diverges above 0.1" in text


def test_without_minima_only_finiteness_is_claimed():
    s = sweep([np.nan] * 5, [0, 0, 0, 0, 1], minima=False)
    assert sweep_sentence(s, 60).startswith("SGD stays finite for 60 steps for lr up to 0.3")


def test_basin_shares():
    sc = loads(
        """
title = "w"
function = "(x**2 - 1)**2 + y**2"
domain = { x = [-2, 2], y = [-1, 1] }
steps = 5
start = [0, 0]
minima = [[-1, 0], [1, 0]]
[[optimizer]]
kind = "sgd"
""",
        "w.toml",
    )
    labels = np.array([[0, 0, 1, 1], [0, DIVERGED, 1, NOT_CONVERGED]])
    b = Basins("SGD", "sgd", np.arange(4.0), np.arange(2.0), labels, 0.1)
    assert basin_sentence(sc, b) == (
        "SGD: 38% reach (-1, 0), 38% reach (1, 0), 12% diverge, 12% end elsewhere."
    )
