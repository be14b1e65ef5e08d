"""Render benchmark: the course homework's FuncAnimation way against ours, whole process each.

Scene: the elongated bowl with its five optimizers, 100 frames, 1280x720, written as a TOML file.
Both sides are timed as whole processes (python start-up, imports, simulation, drawing, encoding,
writing the files), wall clock:
  - homework: `python bench/homework.py OUT` (FuncAnimation, blit=False, pillow + ffmpeg writers;
    its surface is the homework's 200x100 grid, `GRID`);
  - ours: `python -m gallery render bowl.toml --out OUT` (GIF + MP4 + poster PNG + thumbnail + CSV;
    `[view] grid = 200`: a 200x200 contour map, and a 3-D surface of 141x141 points, thinned to
    about one quad per 4 pixels of its panel: as many quads as the homework's 200x100).
Run: `python bench/bench_render.py` (from the repository root).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

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
GRID = (200, 100)  # the homework's surface grid (x points, y points)
OURS_RUNS = 3
HOMEWORK_RUNS = 2  # ~1 minute each
TARGET = 20.0


def scene_toml() -> str:
    """SCENE with our surface grid: `grid` takes one int (200 -> 200x200)."""
    return SCENE.replace("[render]", f"[view]\ngrid = {GRID[0]}\n\n[render]")


def _run(cmd: list[str], out: str) -> float:
    """Wall-clock seconds of one whole process (fails loudly if it fails)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    t0 = time.perf_counter()
    subprocess.run(cmd + [out], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def whole_process() -> None:
    """Time the homework script and `gallery render` as separate processes; print the ratio."""
    with tempfile.TemporaryDirectory(prefix="bench-render-") as tmp:
        toml = Path(tmp) / "bowl.toml"
        toml.write_text(scene_toml(), encoding="utf-8")
        ours_cmd = [sys.executable, "-m", "gallery", "render", str(toml), "--out"]
        hw_cmd = [sys.executable, str(ROOT / "bench" / "homework.py")]
        out = Path(tmp) / "ours"
        _run(ours_cmd, str(out))  # warm-up: page cache, font cache, .pyc files
        ours, theirs = [], []
        for i in range(max(OURS_RUNS, HOMEWORK_RUNS)):  # interleaved: a busy spell hits both
            if i < OURS_RUNS:
                ours.append(_run(ours_cmd, str(out)))
            if i < HOMEWORK_RUNS:
                theirs.append(_run(hw_cmd, str(Path(tmp) / "hw")))
        gif, mp4 = (out / "bowl.gif").stat().st_size, (out / "bowl.mp4").stat().st_size
    o, h = statistics.median(ours), statistics.median(theirs)
    print("scene: elongated bowl, 5 optimizers, 100 steps, 100 frames, 1280x720")
    print(
        f"homework way, whole process (bench/homework.py; FuncAnimation, blit=False, "
        f"pillow + ffmpeg writers, grid {GRID[0]}x{GRID[1]}):"
    )
    print(f"    {h:6.2f} s  (median of {len(theirs)}: {', '.join(f'{t:.2f}' for t in theirs)})")
    print(
        f"ours, whole process (python -m gallery render; GIF + MP4 + PNG, contour grid "
        f"{GRID[0]}x{GRID[0]}, surface thinned to its pixels):"
    )
    print(f"    {o:6.2f} s  (median of {len(ours)}: {', '.join(f'{t:.2f}' for t in ours)})")
    print(f"speed-up, whole process: {h / o:.1f}x (target >= {TARGET:g}x)")
    print(f"sizes: GIF {gif / 1e6:.2f} MB, MP4 {mp4 / 1e6:.2f} MB")


def main() -> None:
    whole_process()
    frame_time()
    shipped()


def frame_time() -> None:
    """Per-frame drawing cost of the bowl, in process (blitting only, no encoding)."""
    sys.path.insert(0, str(ROOT))
    from gallery.engine.scenario import loads
    from gallery.engine.simulate import simulate
    from gallery.media.frames import Scene

    scene = Scene(simulate(loads(scene_toml(), "bowl.toml")))
    t0 = time.perf_counter()
    for i in range(len(scene.steps)):
        scene.rgba_view(i)
    per_frame = (time.perf_counter() - t0) / len(scene.steps)
    scene.close()
    print(f"frame drawing: {per_frame * 1000:.1f} ms/frame (target <= 10 ms)")


def shipped() -> None:
    """Render every shipped scenario (GIF + MP4 + PNG), one after the other."""
    sys.path.insert(0, str(ROOT))
    from gallery.engine.analysis import tune
    from gallery.engine.scenario import load
    from gallery.engine.simulate import simulate
    from gallery.media.render import render

    total, sizes = 0.0, []
    for path in sorted((ROOT / "scenarios").glob("*.toml")):
        sc = tune(load(path))
        t0 = time.perf_counter()
        traj = simulate(sc, keep_extras=sc.render.arrows)
        media = render(traj, formats=("gif", "mp4", "png"))
        total += time.perf_counter() - t0
        sizes.append(f"{sc.slug} {len(media.gif) / 1e6:.2f} MB")
        for note in media.notes:
            print(f"note ({sc.slug}):", note)
    print(f"all {len(sizes)} shipped scenarios, GIF + MP4 + PNG: {total:.1f} s (target < 30 s)")
    print("GIF sizes: " + ", ".join(sizes))


if __name__ == "__main__":
    main()
