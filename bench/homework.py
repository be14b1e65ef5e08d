"""The course homework's way of animating the bowl: FuncAnimation, whole figure redrawn per frame.

Run as its own process, so `bench_render.py` can time it whole (start-up and imports included)
against `python -m gallery render`: `python bench/homework.py OUT_DIR` writes OUT_DIR/hw.gif and
OUT_DIR/hw.mp4.

The trajectories come from `gallery.engine` (the same numbers ours draws). The surface is the
homework's 200x100 grid (200 points along x, 100 along y) with `rstride=cstride=1`: 19,701
quads. Our scene file says `[view] grid = 200`: the contour map uses 200x200 points, and the 3-D
surface is thinned to about one quad per 4 pixels of its panel, 141x141 points (19,600 quads) at
1280x720.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import imageio_ffmpeg  # noqa: E402
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.animation import FuncAnimation  # noqa: E402

from gallery.engine.scenario import loads  # noqa: E402
from gallery.engine.simulate import simulate  # noqa: E402

GRID = (200, 100)  # (x points, y points), as in the homework


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


def frame_steps(steps: int, frames: int) -> np.ndarray:
    """Step of every frame: `frames` evenly spaced steps, the last one kept (as ours picks them)."""
    count = max(1, min(int(frames), steps + 1))
    if count == steps + 1:
        return np.arange(steps + 1)
    picked = np.unique(np.round(np.linspace(0, steps, count)).astype(int))
    picked[-1] = steps
    return picked


def homework(traj, out: str) -> None:
    """Write out/hw.gif (pillow writer) and out/hw.mp4 (ffmpeg writer) of the scenario."""
    sc = traj.scenario
    steps = frame_steps(sc.steps, sc.render.frames or sc.steps + 1)
    matplotlib.rcParams["animation.ffmpeg_path"] = imageio_ffmpeg.get_ffmpeg_exe()
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


def main(argv: list[str] | None = None) -> int:
    from bench_render import SCENE

    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python bench/homework.py OUT_DIR", file=sys.stderr)
        return 2
    os.makedirs(argv[0], exist_ok=True)
    homework(simulate(loads(SCENE, "bench.toml")), argv[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
