"""Render: every output decodes with the promised frames and size, twice identically."""

from __future__ import annotations

import io
import tempfile

import imageio_ffmpeg
import numpy as np
from PIL import Image

from gallery.engine.scenario import loads
from gallery.engine.simulate import simulate
from gallery.media.frames import Scene
from gallery.media.render import poster, render

CUBIC = """
title = "Cubic"
function = "x**2 + y**2 + y**3 + x*y"
domain = { x = [-3, 3], y = [-3, 3] }
steps = 12
start = [2, 3]
minima = [[0, 0]]

[[optimizer]]
kind = "sgd"
lr = 0.01

[[optimizer]]
kind = "nesterov"
lr = 0.1
momentum = 0.9

[view]
grid = 30

[render]
width = 320
height = 180
fps = 10
hold = 0.5
arrows = true
"""


def _traj():
    return simulate(loads(CUBIC), keep_extras=True)


def _mp4_frames(data: bytes) -> tuple[tuple[int, int], list[bytes]]:
    with tempfile.NamedTemporaryFile(suffix=".mp4") as fh:
        fh.write(data)
        fh.flush()
        reader = imageio_ffmpeg.read_frames(fh.name)
        meta = next(reader)
        return tuple(meta["size"]), [bytes(f) for f in reader]


def test_outputs_have_the_promised_frames_and_size():
    traj = _traj()
    media = render(traj)
    n = traj.scenario.steps + 1
    assert media.frame_count == n and media.size == (320, 180)
    gif = Image.open(io.BytesIO(media.gif))
    assert gif.size == (320, 180) and gif.n_frames == n and gif.info["loop"] == 0
    durations = []
    for k in range(gif.n_frames):
        gif.seek(k)
        durations.append(gif.info["duration"])
    assert durations == [100] * (n - 1) + [600]
    size, frames = _mp4_frames(media.mp4)
    assert size == (320, 180) and len(frames) == n + 5  # hold: 0.5 s at 10 fps
    assert Image.open(io.BytesIO(media.png)).size == (320, 180)
    assert Image.open(io.BytesIO(media.thumb)).size[0] <= 480


def test_diverging_run_renders_and_legend_says_so():
    traj = _traj()
    assert traj.runs[1].diverged
    scene = Scene(traj)
    texts = [t.get_text() for t in scene.fig.legends[0].get_texts()]
    assert any("diverged at step" in t for t in texts)
    assert not any("diverged" in t for t in texts[:1])
    scene.frame(len(scene.steps) - 1)


def test_same_scenario_renders_to_identical_bytes():
    a, b = render(_traj()), render(_traj())
    assert a.png == b.png and a.gif == b.gif and a.thumb == b.thumb
    assert _mp4_frames(a.mp4)[1] == _mp4_frames(b.mp4)[1]
    assert poster(_traj()) == a.png


def test_formats_are_optional_and_poster_takes_a_size():
    media = render(_traj(), formats=("png",))
    assert media.gif is None and media.mp4 is None and media.png is not None
    assert Image.open(io.BytesIO(poster(_traj(), size=(200, 120)))).size == (200, 120)
    assert np.asarray(Image.open(io.BytesIO(media.png))).std() > 0


def test_replayed_strokes_draw_what_the_lines_themselves_draw():
    """Moving paths are drawn by replaying each Line2D's recorded renderer calls; drawing the
    Line2D itself (the fallback) must give the very same pixels, heads and crosses included."""
    traj = _traj()
    fast, slow = Scene(traj), Scene(traj)
    for stroke in [slow._cursor] + [s for entry in slow._lines for s in entry[2:]]:
        stroke.calls = None
    for i in range(len(fast.steps)):
        assert np.array_equal(fast.rgba_view(i), slow.rgba_view(i)), i
