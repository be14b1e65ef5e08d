"""Figures that teach without misleading: what a lecturer would check by looking, checked on
the pixels and the axes."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from gallery.engine.scenario import loads
from gallery.engine.simulate import simulate
from gallery.media import geometry as G
from gallery.media.frames import Scene, styles
from gallery.media.style import KIND_LOOKS
from tests.media.conftest import pixel


def _rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])


def _near(image: np.ndarray, row: float, col: float, colour: str, radius: int = 3) -> bool:
    """Whether the colour is drawn within `radius` pixels of (row, col)."""
    r, c = int(round(row)), int(round(col))
    patch = image[max(r - radius, 0) : r + radius + 1, max(c - radius, 0) : c + radius + 1]
    return bool((np.abs(patch.reshape(-1, 3).astype(int) - _rgb(colour)).sum(axis=1) <= 12).any())


def _scene(text: str, size=(640, 360), **kw) -> Scene:
    return Scene(simulate(loads(text, "t.toml"), keep_extras=True), size, **kw)


ROSENBROCK = """
title = "Banana"
function = "(1 - x)**2 + 100*(y - x**2)**2"
domain = { x = [-2, 2], y = [-1, 3] }
steps = 8
start = [-1.5, 2]
minima = [[1, 1]]

[[optimizer]]
kind = "newton"
lr = 1.0

[[optimizer]]
kind = "sgd"
lr = 0.0005

[view]
grid = 40
"""

CUBIC = """
title = "Cubic"
function = "x**2 + y**2 + y**3 + x*y"
domain = { x = [-3, 3], y = [-3, 3] }
steps = 40
start = [2, 3]
minima = [[0, 0]]

[[optimizer]]
kind = "sgd"
lr = 0.01

[[optimizer]]
kind = "momentum"
lr = 0.01

[view]
grid = 40
"""

BOWL = """
title = "Bowl"
function = "x**2/20 + y**2"
domain = { x = [-10, 10], y = [-5, 5] }
steps = 60
start = [-7, 2]
minima = [[0, 0]]

[[optimizer]]
kind = "adam"
lr = 0.3

[[optimizer]]
kind = "sgd"
lr = 0.9

[view]
grid = 40

[render]
arrows = true
"""


def test_a_path_that_leaves_the_view_is_marked_where_it_leaves_and_comes_back():
    scene = _scene(ROSENBROCK)
    newton = styles(scene.traj)[0]
    assert newton.color == KIND_LOOKS["newton"][0]
    track = next(t for t in scene.tracks if t.panel == "contour" and t.run == 0)
    assert [(c.kind, c.step) for c in track.crossings] == [("leave", 2), ("back", 3)]
    image = scene.frame(len(scene.steps) - 1)
    for c in track.crossings:
        assert c.point[1] == pytest.approx(-1.0)  # on the bottom edge
        row, col = pixel(scene, "contour", c.point)
        assert _near(image, row, col, newton.color), c
    assert "Newton leaves the view at step 2 and comes back at step 3." in scene.captions
    labels = [t.get_text() for t in scene.legend.get_texts()]
    assert "leaves the view" in labels and "comes back" in labels


def test_a_diverged_run_is_drawn_down_to_its_divergence_and_marked_at_that_step():
    scene = _scene(CUBIC)
    momentum = scene.traj.runs[1]
    k = int(momentum.diverged_at[0])
    assert k > 0
    lo, hi = scene.ax_loss.get_ylim()
    assert lo < np.nanmin(momentum.f[:, 0])  # every finite value, negative ones too, is shown
    assert scene.loss.scale == "symlog" and "symlog" in scene.ax_loss.get_ylabel()
    image = scene.frame(len(scene.steps) - 1)
    x, y = scene.ax_loss.transData.transform((k, lo))
    assert _near(image, scene.height - y, x, styles(scene.traj)[1].color, radius=4)
    legend = [t.get_text() for t in scene.legend.get_texts()]
    assert any(f"diverged at step {k}" in t for t in legend)


def test_the_loss_axis_stops_at_the_tolerance_not_at_machine_precision():
    text = CUBIC.replace("x**2 + y**2 + y**3 + x*y", "x**2 + y**2").replace(
        'kind = "momentum"\nlr = 0.01', 'kind = "sgd"\nlr = 0.5'
    )  # lr 0.5 lands exactly on the minimum: f = 0
    scene = _scene(text)
    rise = G.tolerance_rise(scene.traj.scenario.function, scene.traj.scenario.minima, 1e-3)
    assert scene.loss.scale == "log" and scene.loss.floor == pytest.approx(rise)
    assert scene.ax_loss.get_ylim()[0] > rise / 10
    ticks = [t.get_text() for t in scene.ax_loss.get_yticklabels()]
    assert "tol" in ticks


def test_the_contour_map_keeps_the_functions_geometry():
    scene = _scene(BOWL)
    box = scene.ax_contour.get_window_extent()
    assert box.width / box.height == pytest.approx(2.0, rel=0.02)  # x spans 20, y spans 10
    sc = scene.traj.scenario
    auto = dataclasses.replace(sc, view=dataclasses.replace(sc.view, aspect="auto"))
    stretched = Scene(dataclasses.replace(scene.traj, scenario=auto), (640, 360))
    box = stretched.ax_contour.get_window_extent()
    assert box.width / box.height < 1.6


def test_the_surface_keeps_its_relief_on_a_log_height_where_f_spans_decades():
    beale = """
title = "Beale"
function = "(1.5 - x + x*y)**2 + (2.25 - x + x*y**2)**2 + (2.625 - x + x*y**3)**2"
domain = { x = [-4.5, 4.5], y = [-4.5, 4.5] }
steps = 20
start = [1, 1.5]
minima = [[3, 0.5]]

[[optimizer]]
kind = "adam"
lr = 0.1

[view]
grid = 40
"""
    scene = _scene(beale)
    assert scene.height_scale.log
    assert any("log scale" in c for c in scene.captions)
    sc = scene.traj.scenario
    linear = dataclasses.replace(sc, view=dataclasses.replace(sc.view, zscale="linear"))
    assert not Scene(dataclasses.replace(scene.traj, scenario=linear)).height_scale.log
    assert not _scene(BOWL).height_scale.log  # a bowl reads fine on a linear height


def test_runs_that_move_as_one_say_so_and_both_markers_stay_visible():
    saddle = """
title = "Saddle"
function = "x**2 - y**2"
domain = { x = [-1.5, 1.5], y = [-1.5, 1.5] }
steps = 25
start = [-1, 0.001]

[[optimizer]]
kind = "adagrad"
lr = 0.1

[[optimizer]]
kind = "rmsprop"
lr = 0.01

[view]
grid = 40
"""
    scene = _scene(saddle)
    legend = [t.get_text() for t in scene.legend.get_texts()]
    assert any("overlaps RMSprop" in t for t in legend[:1])
    assert any("overlaps AdaGrad" in t for t in legend[1:2])
    assert scene.cased == {0: True}
    image = scene.frame(len(scene.steps) // 2)
    t = int(scene.steps[len(scene.steps) // 2])
    adagrad, rmsprop = styles(scene.traj)
    row, col = pixel(scene, "contour", scene.traj.runs[0].xy[t, 0])
    assert _near(image, row, col, rmsprop.color, radius=2)  # drawn on top
    assert _near(image, row, col, adagrad.color, radius=8)  # and the one below shows around it


def test_arrows_are_drawn_in_their_runs_colour_and_large_enough_to_see():
    scene = _scene(BOWL, size=(1280, 720))
    scene.frame(3)
    for i, _k, trio in scene._arrows:
        for arrow in trio:
            colour = "#" + "".join(f"{round(v * 255):02x}" for v in arrow.get_edgecolor()[:3])
            assert colour == styles(scene.traj)[i].color
    # direction arrows (−∇f, velocity) have a fixed, visible length; the step arrow is the step
    steps = {id(trio[1]) for _i, _k, trio in scene._arrows}
    lengths = [
        np.hypot(*d) for a, _p, d in scene._arrow_jobs(3) if d is not None and id(a) not in steps
    ]
    assert lengths and min(lengths) >= 20


def test_single_panel_layouts_show_one_panel_with_legend_and_step_counter():
    for layout, present in (("contour", "ax_contour"), ("surface", "ax_surface")):
        scene = _scene(BOWL, size=(680, 400), layout=layout)
        panels = [a for a in (scene.ax_surface, scene.ax_contour, scene.ax_loss) if a is not None]
        assert panels == [getattr(scene, present)]
        assert scene.title_text is None and scene.legend is not None
        scene.frame(2)
        assert scene.step_text.get_text() == "step 2 / 60"
