"""Build benchmark, whole processes: cold build, no-change rebuild, one scenario changed, the test
suite, and the peak memory of the shipped build and of the largest scenario `check` accepts.

Each figure is the wall time of `python -m gallery ...` (or pytest) as a subprocess; peak memory
is the largest resident set of any process of the command (the build and its render workers),
measured by a small wrapper process so that no other benchmark's processes count.
Run: `python bench/bench_build.py` (from the repository root).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Runs `argv` and prints {"seconds": wall, "peak_mb": largest RSS of it and its descendants}.
WRAPPER = """
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak, "code": proc.returncode,
                  "out": proc.stdout[-4000:], "err": proc.stderr[-4000:]}))
"""

#: The largest scenario `gallery check` accepts, at about every budget at once (BUDGET and
#: MAX_POINTS in gallery/engine): 10,000 start points x 1,000 steps, a 20-rate sweep of all of
#: them, a 400 x 400 basin map of 1,000 steps.
LARGEST = """title = "Largest accepted"
function = "x**2 + y**2 + y**3 + x*y"
domain = { x = [-3, 3], y = [-3, 3] }
steps = 1000
starts = [STARTS]
minima = [[0, 0]]

[[optimizer]]
kind = "adam"
lr = 0.05

[analysis]
sweep_points = 20
basins = true
basin_grid = 400
"""


def measure(argv: list[str], cwd: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", WRAPPER, *argv], capture_output=True, text=True, cwd=cwd
    )
    result = json.loads(out.stdout)
    if result["code"] not in (0,):
        print(f"   (exit {result['code']}: {result['err'].strip()[-300:]})")
    return result


def inside(result: dict) -> float:
    """The build's own timing line: `built ...: ..., 0.3 s`."""
    found = re.search(r", ([0-9.]+) s\s*$", result["out"].strip())
    return float(found.group(1)) if found else float("nan")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        scenarios = work / "scenarios"
        shutil.copytree(ROOT / "scenarios", scenarios)
        build = [sys.executable, "-m", "gallery", "build", "--scenarios", str(scenarios),
                 "--out", str(work / "site")]  # fmt: skip
        cold = measure(build, ROOT)
        again = measure(build, ROOT)
        n = len(list(scenarios.glob("*.toml")))
        print(f"cold build ({n} scenarios, 2 workers): {cold['seconds']:6.2f} s  (target <= 30 s)")
        print(f"  peak memory of one process:       {cold['peak_mb']:6.0f} MB (bound: 1500 MB)")
        print(
            f"no-change rebuild:                  {again['seconds']:6.2f} s whole process, "
            f"{inside(again):.2f} s inside the command (target < 1 s)"
        )
        print(f"  cold / no-change (whole process): {cold['seconds'] / again['seconds']:6.1f}x "
              "(target >= 30x)")  # fmt: skip
        one = scenarios / "saddle.toml"
        one.write_text(one.read_text() + "\n# edited\n")
        changed = measure(build, ROOT)
        print(f"one scenario changed (saddle):      {changed['seconds']:6.2f} s")

    tests = measure([sys.executable, "-m", "pytest", "-q", "-x"], ROOT)
    summary = tests["out"].strip().splitlines()[-1] if tests["out"].strip() else "?"
    print(f"test suite (pytest, whole process): {tests['seconds']:6.2f} s (target <= 60 s); "
          f"{summary}")  # fmt: skip
    largest()


def largest() -> None:
    """Check, then build, the largest scenario check accepts; report time and peak memory."""
    starts = ", ".join(f"[{2 - 0.0004 * i:.4f}, 3]" for i in range(10_000))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "scenarios"
        folder.mkdir()
        path = folder / "largest.toml"
        path.write_text(LARGEST.replace("STARTS", starts))
        check = measure([sys.executable, "-m", "gallery", "check", str(path)], ROOT)
        verdict = "accepted" if check["code"] == 0 else "REJECTED"
        print(f"largest accepted scenario: check {verdict} in {check['seconds']:.1f} s, "
              f"peak {check['peak_mb']:.0f} MB")  # fmt: skip
        t0 = time.perf_counter()
        built = measure([sys.executable, "-m", "gallery", "build", "--scenarios", str(folder),
                         "--out", str(Path(tmp) / "site")], ROOT)  # fmt: skip
        print(f"  its build: {time.perf_counter() - t0:.1f} s, peak memory of one process "
              f"{built['peak_mb']:.0f} MB (bound: 1500 MB)")  # fmt: skip


if __name__ == "__main__":
    main()
