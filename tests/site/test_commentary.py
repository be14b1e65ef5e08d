"""Generated sentences say what the metrics say; authored Markdown cannot inject HTML."""

from __future__ import annotations

import numpy as np

from gallery.engine.metrics import measure
from gallery.engine.scenario import loads
from gallery.engine.simulate import simulate
from gallery.engine.text import num
from gallery.site import commentary

CUBIC = """title = "c"
function = "x**2 + y**2 + y**3 + x*y"
domain = { x = [-3, 3], y = [-3, 3] }
steps = 60
start = [2, 3]
minima = [[0, 0]]
[[optimizer]]
kind = "momentum"
lr = 0.01
[[optimizer]]
kind = "sgd"
lr = 0.01
"""

BOWL = """title = "b"
function = "x**2 + y**2"
domain = { x = [-2, 2], y = [-2, 2] }
steps = 50
start = [1, 1]
minima = [[0, 0]]
[[optimizer]]
kind = "sgd"
lr = 0.1
[[optimizer]]
kind = "sgd"
lr = 0.3
"""


def _run(text: str):
    traj = simulate(loads(text, "t.toml"))
    return traj, measure(traj)


def test_divergence_sentence_names_step_and_direction():
    traj, metrics = _run(CUBIC)
    run, m = traj.runs[0], metrics[0]
    assert m.diverged_at[0] > 0
    text = commentary.sentences(m, run, traj.scenario.minima, 0, None, 1e-3)[0]
    assert f"Diverged at step {m.diverged_at[0]} as y ran off to −∞" in text


def test_escape_direction_follows_last_finite_step():
    traj, _ = _run(CUBIC)
    run = traj.runs[0]
    flipped = type(run)(spec=run.spec, xy=-run.xy, f=run.f, diverged_at=run.diverged_at)
    assert commentary.escape(flipped) == "y ran off to +∞"


def test_reach_sentence_uses_measured_steps_and_marks_fastest():
    traj, metrics = _run(BOWL)
    steps = [int(m.steps_to_min[0]) for m in metrics]
    assert min(steps) >= 0 and steps[0] != steps[1]
    fastest = min(steps)
    for run, m in zip(traj.runs, metrics, strict=True):
        text = commentary.sentences(m, run, traj.scenario.minima, 0, fastest, 1e-3)[0]
        assert f"in {m.steps_to_min[0]} steps" in text
        assert ("the fastest here" in text) == (m.steps_to_min[0] == fastest)


def test_several_starts_get_a_summary_sentence():
    text = BOWL.replace("start = [1, 1]", "starts = [[1, 1], [-1, 0.5], [0.2, -1.5]]")
    traj, metrics = _run(text)
    out = commentary.sentences(metrics[0], traj.runs[0], traj.scenario.minima, 0, None, 1e-3)
    reached = int((metrics[0].steps_to_min >= 0).sum())
    assert f"Of all 3 start points, {reached} reach a minimum" in out[-1]


def test_alt_text_mentions_every_optimizer_and_outcome():
    traj, metrics = _run(CUBIC)
    alt = commentary.alt_text(traj, metrics, 1e-3)
    for r in traj.runs:
        assert r.spec.short in alt
    assert f"diverges at step {metrics[0].diverged_at[0]}" in alt


def test_several_starts_report_the_spread():
    text = BOWL.replace("start = [1, 1]", "starts = [[1, 1], [-1, 0.5], [0.2, -1.5]]")
    traj, metrics = _run(text)
    m = metrics[0]
    out = commentary.sentences(m, traj.runs[0], traj.scenario.minima, 0, None, 1e-3)[-1]
    d = m.distance
    assert f"median {num(float(np.median(d)))}" in out
    assert f"ranges from {num(float(d.min()))} to {num(float(d.max()))}" in out
