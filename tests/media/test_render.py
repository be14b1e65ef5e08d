"""Render: every output decodes with the promised frames and size, twice identically."""

from __future__ import annotations

import io
import tempfile

import imageio_ffmpeg
import numpy as np
from PIL import Image

from gallery.engine.scenario import loads
from gallery.engine.simulate import Trajectories, simulate
from gallery.media.frames import Scene
from gallery.media.render import KIND_POSTER_SIZE, kind_posters, poster, render, slide

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


LEAVES = """
title = "Newton leaves and comes back"
function = "(1 - x)**2 + 100*(y - x**2)**2"
domain = { x = [-2, 2], y = [-1, 3] }
steps = 6
start = [-1.5, 2]
minima = [[1, 1]]

[[optimizer]]
kind = "newton"
lr = 1.0

[[optimizer]]
kind = "sgd"
lr = 0.0005

[view]
grid = 30

[render]
width = 480
height = 270
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
    for traj in (_traj(), simulate(loads(LEAVES))):
        fast, slow = Scene(traj), Scene(traj)
        strokes = [s for kinds in slow._strokes.values() for s in kinds.values()]
        for stroke in [slow._cursor] + strokes:
            stroke.calls = None
        assert any(tr.turns for tr in fast.tracks)  # markers turned to the way a path crosses
        for i in range(len(fast.steps)):
            assert np.array_equal(fast.rgba_view(i), slow.rgba_view(i)), i


def test_slide_is_one_panel_at_most_700_px_wide_as_gif_mp4_and_png():
    traj = simulate(loads(LEAVES))
    for layout in ("contour", "surface"):
        media = slide(traj, layout)
        assert media.layout == layout and media.size[0] <= 700
        gif = Image.open(io.BytesIO(media.gif))
        assert gif.size == media.size and gif.n_frames == media.frame_count == 7
        size, frames = _mp4_frames(media.mp4)
        assert size[0] <= 700 and frames
        assert Image.open(io.BytesIO(media.png)).size == media.size
    try:
        slide(traj, "full")
    except ValueError:
        pass
    else:
        raise AssertionError("a slide shows a single panel")


def test_media_captions_say_where_a_path_leaves_and_comes_back():
    media = render(simulate(loads(LEAVES)), formats=("png",))
    assert "Newton leaves the view at step 2 and comes back at step 3." in media.captions


def test_the_render_layout_key_is_read_when_present():
    import dataclasses

    traj = _traj()
    sc = traj.scenario
    render_settings = dataclasses.replace(sc.render, layout="contour")
    single = dataclasses.replace(traj, scenario=dataclasses.replace(sc, render=render_settings))
    assert Scene(single).ax_surface is None
    assert Scene(traj).ax_surface is not None  # three panels by default


def test_kind_posters_are_drawn_at_a_readable_size():
    assert KIND_POSTER_SIZE[0] >= 960
    png = poster(_traj(), size=KIND_POSTER_SIZE)
    assert Image.open(io.BytesIO(png)).size == KIND_POSTER_SIZE


def _rgb(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def test_kind_posters_share_one_background_and_show_each_kind_alone():
    """One poster per kind, no larger than the scenario's frames, each the picture a scene of
    that kind's runs alone draws (its paths, legend and loss axis), though the surface and the
    contour map are drawn once for all of them."""
    traj = simulate(loads(LEAVES))  # 480x270: its posters are 480x270
    sc = traj.scenario
    posters = kind_posters(traj, KIND_POSTER_SIZE)
    assert sorted(posters) == ["newton", "sgd"]
    for kind, png in posters.items():
        assert Image.open(io.BytesIO(png)).size == (480, 270)
        alone = Trajectories(sc, tuple(r for r in traj.runs if r.spec.kind == kind))
        assert np.array_equal(_rgb(png), _rgb(poster(alone, (480, 270)))), kind
    assert kind_posters(simulate(loads(LEAVES)), KIND_POSTER_SIZE) == posters  # same bytes


def test_a_bare_scene_draws_subsets_of_its_runs_and_stays_as_it_was():
    traj = _traj()
    scene = Scene(traj, bare=True)
    try:
        with_sgd = scene.subset_frame([0])
        both = scene.subset_frame([0, 1])
        assert with_sgd is not None and both is not None
        assert not np.array_equal(with_sgd, both)
        assert np.array_equal(scene.subset_frame([0]), with_sgd)  # nothing left behind
        assert np.array_equal(both, Scene(traj).frame(len(scene.steps) - 1))  # every run: the frame
    finally:
        scene.close()
