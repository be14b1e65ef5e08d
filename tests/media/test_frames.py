"""Frames: schedule, and lines land on the contour panel where the data says."""

from __future__ import annotations

import numpy as np

from gallery.engine.scenario import loads
from gallery.engine.simulate import simulate
from gallery.media.frames import Scene, frame_steps, styles, thin
from gallery.media.style import KIND_LOOKS
from tests.media.conftest import pixel

SCENE = """
title = "Bowl"
function = "x**2/20 + y**2"
domain = { x = [-10, 10], y = [-5, 5] }
steps = 12
start = [-7, 2]
minima = [[0, 0]]

[[optimizer]]
kind = "sgd"
lr = 0.1
color = "#D55E00"

[[optimizer]]
kind = "adam"
lr = 0.3

[view]
grid = 30

[render]
width = 480
height = 270
"""


def test_frame_schedule_every_step_then_sampled_with_last_kept():
    assert list(frame_steps(10)) == list(range(11))
    long = frame_steps(1000)
    assert len(long) == 151 and long[0] == 0 and long[-1] == 1000
    assert np.all(np.diff(long) > 0)
    picked = frame_steps(100, 7)
    assert len(picked) == 7 and picked[-1] == 100


def test_file_colour_overrides_the_kinds_colour_and_styles_differ():
    traj = simulate(loads(SCENE))
    a, b = styles(traj)
    assert a.color == "#d55e00"  # the file's colour wins over SGD's black
    assert (a.marker, a.linestyle) != (b.marker, b.linestyle)
    assert b.color == KIND_LOOKS["adam"][0]  # Adam keeps its own look, whatever the slot


def test_path_pixel_on_contour_panel_has_the_optimizer_colour():
    traj = simulate(loads(SCENE))
    scene = Scene(traj)
    last = len(scene.steps) - 1
    image = scene.frame(last)
    for run, style in zip(traj.runs, styles(traj), strict=True):
        want = np.array([int(style.color[i : i + 2], 16) for i in (1, 3, 5)])
        # the head of each run sits at its last point: a filled marker in the run's colour
        row, col = pixel(scene, "contour", run.xy[scene.steps[last], 0])
        r, c = int(row), int(col)
        patch = image[r - 1 : r + 2, c - 1 : c + 2].reshape(-1, 3).astype(int)
        assert np.abs(patch - want).sum(axis=1).min() <= 12, (run.spec.label, patch, want)
    # and along the line: the middle of the SGD segment farthest from Adam's path
    sgd, adam = traj.runs[0].xy[:, 0], traj.runs[1].xy[:, 0]
    mids = (sgd[:-1] + sgd[1:]) / 2
    gap = np.sqrt(((mids[:, None] - adam[None]) ** 2).sum(-1)).min(axis=1)
    want = np.array([0xD5, 0x5E, 0x00])
    row, col = pixel(scene, "contour", mids[gap.argmax()])
    r, c = int(round(row)), int(round(col))
    patch = image[r - 1 : r + 2, c - 1 : c + 2].reshape(-1, 3).astype(int)
    assert np.abs(patch - want).sum(axis=1).min() <= 12, patch


def test_background_is_not_redrawn_per_frame():
    traj = simulate(loads(SCENE))
    scene = Scene(traj)
    calls = []
    scene.ax_surface.draw = lambda *a, **k: calls.append(1)
    first, later = scene.frame(0), scene.frame(len(scene.steps) - 1)
    assert not calls
    assert (first != later).any()


def test_arrows_point_along_minus_gradient_for_plain_sgd():
    text = SCENE.replace("[render]", "[render]\narrows = true")
    traj = simulate(loads(text), keep_extras=True)
    scene = Scene(traj)
    t_index = 3
    scene.frame(t_index)
    t = int(scene.steps[t_index])
    grad_arrow, step_arrow, _velocity = next(trio for i, _k, trio in scene._arrows if i == 0)
    sgd = traj.runs[0]
    here = sgd.xy[t, 0]
    to_pixels = scene.ax_contour.transData.transform

    def pixel_direction(vec):
        d = to_pixels(here + 1e-3 * vec) - to_pixels(here)
        return d / np.hypot(*d)

    def drawn(arrow):
        a, b = (np.array(p) for p in arrow._posA_posB)
        return (b - a) / np.hypot(*(b - a))

    want = pixel_direction(-sgd.grads[t, 0])
    np.testing.assert_allclose(drawn(grad_arrow), want, atol=1e-6)
    # plain SGD steps exactly along -gradient, so the step arrow is parallel to it
    np.testing.assert_allclose(drawn(step_arrow), want, atol=1e-6)
    assert np.all(np.isnan(sgd.velocity))  # SGD without momentum keeps no velocity to draw


def test_many_starts_are_thinned_for_drawing_and_said():
    text = SCENE.replace("start = [-7, 2]", "starts = [[-7, 2], [-5, 1], [-3, 0], [1, 1], [7, -2]]")
    traj = simulate(loads(text))
    thinned, notes = thin(traj, most=3)
    for before, after in zip(traj.runs, thinned.runs, strict=True):
        assert after.xy.shape[1] == 3
        np.testing.assert_array_equal(after.xy[:, 0], before.xy[:, 0])
        np.testing.assert_array_equal(after.xy[:, -1], before.xy[:, -1])
    assert notes == ["the animation draws 3 of the 5 paths per optimizer (evenly chosen)"]
    assert thin(traj, most=5) == (traj, [])
