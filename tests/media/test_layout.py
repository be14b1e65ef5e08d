"""Layout: on every shipped scenario (and a narrow view) no two texts overlap, every text is
inside the frame, and at 1280x720 no text is smaller than 14 px (what reads on a projector)."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from gallery.engine.analysis import tune
from gallery.engine.scenario import load, loads
from gallery.engine.simulate import simulate
from gallery.media.frames import DPI, Scene, slide_size
from gallery.media.render import KIND_POSTER_SIZE

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "scenarios").glob("*.toml"))

#: A narrow view (twice as wide as tall) of a function with six local minima.
CAMEL = """
title = "Six-hump camel"
function = "(4 - 2.1*x**2 + x**4/3)*x**2 + x*y + (-4 + 4*y**2)*y**2"
domain = { x = [-2, 2], y = [-1, 1] }
steps = 60
start = [1.0, -0.95]
minima = [[0.0898, -0.7126], [-0.0898, 0.7126]]

[[optimizer]]
kind = "sgd"
lr = 0.01

[[optimizer]]
kind = "momentum"
lr = 0.01

[[optimizer]]
kind = "adam"
lr = 0.05

[[optimizer]]
kind = "newton"
lr = 1.0
"""

CASES = [p.stem for p in SHIPPED] + ["camel"]


@functools.cache
def _traj(name: str):
    if name == "camel":
        sc = loads(CAMEL, "camel.toml")
    else:
        sc = tune(load(ROOT / "scenarios" / f"{name}.toml"))
    return simulate(sc, keep_extras=sc.render.arrows)


def drawn_texts(scene: Scene) -> list:
    """Every Text the figure draws, with its step counter at its widest (recorded from a draw
    whose rendering is switched off)."""
    sc = scene.traj.scenario
    scene.step_text.set_text(f"step {sc.steps} / {sc.steps}")
    renderer = scene.canvas.get_renderer()
    seen: list = []
    with renderer._draw_disabled():
        renderer.draw_text = lambda *a, mtext=None, **k: seen.append(mtext)
        scene.fig.draw(renderer)
    out, ids = [], set()
    for t in seen:
        if t is not None and id(t) not in ids and t.get_text().strip():
            ids.add(id(t))
            out.append(t)
    return out


def problems(scene: Scene) -> list[str]:
    renderer = scene.canvas.get_renderer()
    texts = drawn_texts(scene)
    assert len(texts) > 10  # ticks, labels, legend, title were all seen
    boxes = [t.get_window_extent(renderer) for t in texts]
    fig = scene.fig.bbox
    out = []
    for t, b in zip(texts, boxes, strict=True):
        if b.x0 < fig.x0 - 0.5 or b.y0 < fig.y0 - 0.5 or b.x1 > fig.x1 + 0.5 or b.y1 > fig.y1 + 0.5:
            out.append(f"{t.get_text()!r} sticks out of the frame")
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            a, b = boxes[i], boxes[j]
            if min(a.x1, b.x1) > max(a.x0, b.x0) and min(a.y1, b.y1) > max(a.y0, b.y0):
                out.append(f"{texts[i].get_text()!r} overlaps {texts[j].get_text()!r}")
    return out


@pytest.mark.parametrize("name", CASES)
def test_full_frame_texts_neither_overlap_nor_read_small(name):
    scene = Scene(_traj(name), (1280, 720))
    try:
        assert problems(scene) == []
        small = [
            (t.get_text(), round(t.get_fontsize() * DPI / 72, 1))
            for t in drawn_texts(scene)
            if t.get_fontsize() * DPI / 72 < 14
        ]
        assert small == []
    finally:
        scene.close()


@pytest.mark.parametrize("name", CASES)
def test_posters_and_slides_texts_do_not_overlap(name):
    traj = _traj(name)
    for size, layout in ((KIND_POSTER_SIZE, "full"), (None, "contour"), (None, "surface")):
        size = size or slide_size(traj, layout)
        scene = Scene(traj, size, layout=layout)
        try:
            assert problems(scene) == [], (size, layout)
        finally:
            scene.close()


def test_the_narrow_view_is_drawn_to_scale_beside_an_unclipped_surface():
    scene = Scene(_traj("camel"), (1280, 720))
    try:
        box = scene.ax_contour.get_window_extent()
        assert box.width / box.height == pytest.approx(2.0, rel=0.02)
    finally:
        scene.close()
