"""Render benchmark: the course homework's FuncAnimation way against ours, same scene, same size.

Scene: the elongated bowl with its five optimizers, 100 frames, a 200x100 surface grid, 1280x720.
Run: `python bench/bench_render.py` (from the repository root).
"""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import imageio_ffmpeg  # noqa: E402
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.animation import FuncAnimation  # noqa: E402

from gallery.engine.scenario import loads  # noqa: E402
from gallery.engine.simulate import simulate  # noqa: E402
from gallery.media.frames import Scene  # noqa: E402
from gallery.media.render import render  # noqa: E402

SCENE = """
title = "Elongated bowl"
function = "x**2/20 + y**2"
domain = { x = [-10, 10], y = [-5, 5] }
steps = 100
start = [-7, 2]
minima = [[0, 0]]

[[optimizer]]
kind = "sgd"
lr = 0.95

[[optimizer]]
kind = "adagrad"
lr = 1.5

[[optimizer]]
kind = "rmsprop"
lr = 0.05
alpha = 0.9

[[optimizer]]
kind = "momentum"
lr = 0.1
momentum = 0.9

[[optimizer]]
kind = "adam"
lr = 0.3
betas = [0.9, 0.99]

[render]
frames = 100
"""
GRID = (200, 100)


class HomeworkAnimation(FuncAnimation):
    """The course's way: lines updated with set_data_3d, whole figure redrawn every frame."""

    def __init__(self, fig, ax, traj, steps):
        self.traj, self.steps = traj, steps
        self.lines = [ax.plot([], [], [], lw=2, label=r.spec.short)[0] for r in traj.runs]
        ax.legend(loc="upper left")
        super().__init__(fig, self.update, frames=len(steps), interval=1000 / 15, blit=False)

    def update(self, i):
        t = self.steps[i]
        for line, run in zip(self.lines, self.traj.runs, strict=True):
            line.set_data_3d(run.xy[: t + 1, 0, 0], run.xy[: t + 1, 0, 1], run.f[: t + 1, 0])
        return self.lines


def homework(traj, steps, out: str) -> float:
    sc = traj.scenario
    matplotlib.rcParams["animation.ffmpeg_path"] = imageio_ffmpeg.get_ffmpeg_exe()
    t0 = time.perf_counter()
    fig = plt.figure(figsize=(sc.render.width / 100, sc.render.height / 100), dpi=100)
    ax = fig.add_subplot(projection="3d")
    (x0, x1), (y0, y1) = sc.domain
    X, Y = np.meshgrid(np.linspace(x0, x1, GRID[0]), np.linspace(y0, y1, GRID[1]))
    Z = sc.function.value(np.stack([X, Y], axis=-1))
    ax.plot_surface(X, Y, Z, cmap="viridis", rstride=1, cstride=1)
    anim = HomeworkAnimation(fig, ax, traj, steps)
    anim.save(os.path.join(out, "hw.gif"), writer="pillow", fps=15, dpi=100)
    anim.save(os.path.join(out, "hw.mp4"), writer="ffmpeg", fps=15, dpi=100)
    plt.close(fig)
    return time.perf_counter() - t0


def main() -> None:
    sc = loads(SCENE, "bench.toml")
    sc = dataclasses.replace(sc, view=dataclasses.replace(sc.view, grid=GRID))
    traj = simulate(sc)

    t0 = time.perf_counter()
    media = render(traj, formats=("gif", "mp4"))
    ours = time.perf_counter() - t0

    scene = Scene(traj)
    t0 = time.perf_counter()
    for i in range(len(scene.steps)):
        scene.rgba_view(i)
    per_frame = (time.perf_counter() - t0) / len(scene.steps)
    steps = scene.steps
    scene.close()

    with tempfile.TemporaryDirectory() as out:
        theirs = homework(traj, steps, out)

    w, h = media.size
    print(f"scene: elongated bowl, {media.frame_count} frames, grid {GRID[0]}x{GRID[1]}, {w}x{h}")
    print(f"homework way (FuncAnimation, blit=False, pillow + ffmpeg writers): {theirs:6.2f} s")
    print(f"ours (blitting, one GIF palette, streamed ffmpeg):                  {ours:6.2f} s")
    print(f"speed-up GIF+MP4: {theirs / ours:.1f}x (target >= 10x)")
    print(f"frame drawing: {per_frame * 1000:.1f} ms/frame (target <= 10 ms)")
    print(f"sizes: GIF {len(media.gif) / 1e6:.2f} MB, MP4 {len(media.mp4) / 1e6:.2f} MB")
    for note in media.notes:
        print("note:", note)
    shipped()


def shipped() -> None:
    """Render every shipped scenario (GIF + MP4 + PNG), one after the other."""
    from pathlib import Path

    from gallery.engine.analysis import tune
    from gallery.engine.scenario import load

    total, sizes = 0.0, []
    for path in sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.toml")):
        sc = tune(load(path))
        t0 = time.perf_counter()
        traj = simulate(sc, keep_extras=sc.render.arrows)
        media = render(traj, formats=("gif", "mp4", "png"))
        total += time.perf_counter() - t0
        sizes.append(f"{sc.slug} {len(media.gif) / 1e6:.2f} MB")
    print(f"all {len(sizes)} shipped scenarios, GIF + MP4 + PNG: {total:.1f} s (target < 30 s)")
    print("GIF sizes: " + ", ".join(sizes))


if __name__ == "__main__":
    main()
