"""Shared fixtures: a tiny scenario set (few steps, small frames) to build end to end."""

from __future__ import annotations

import fcntl
import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest

from gallery.site.build import BuildStats, build_site

TINY = {
    "bowl.toml": """title = "Tiny bowl"
summary = "A round bowl, two optimizers."
function = "x**2 + y**2"
domain = { x = [-2, 2], y = [-2, 2] }
steps = 12
start = [1.5, 1.0]
minima = [[0, 0]]

[[optimizer]]
kind = "sgd"
lr = 0.3

[[optimizer]]
kind = "sgd"
lr = 0.1

[[optimizer]]
kind = "adam"
lr = 0.2

[commentary]
intro = "A *round* bowl."

[commentary.sgd]
all = true
claims = ["not diverges"]
text = "Plain **gradient descent** at lr = {lr}."

[analysis]
sweep_points = 6

[view]
grid = 24

[render]
width = 320
height = 180
frames = 4
fps = 4
hold = 0
""",
    "cliff.toml": """title = "Tiny cliff"
summary = "The cubic: momentum runs off."
function = "x**2 + y**2 + y**3 + x*y"
domain = { x = [-3, 3], y = [-3, 3] }
steps = 25
start = [2, 3]
minima = [[0, 0]]

[[optimizer]]
kind = "momentum"
lr = 0.01

[[optimizer]]
kind = "adam"
lr = "tuned"

[analysis]
sweep_points = 8
basins = true
basin_grid = 12

[view]
grid = 24

[render]
width = 320
height = 180
frames = 4
fps = 4
hold = 0
""",
}


def write_tiny(folder: Path, extra: dict[str, str] | None = None) -> Path:
    """Write the tiny scenario set (plus `extra` files) into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in {**TINY, **(extra or {})}.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A folder with the two tiny scenarios."""
    return write_tiny(tmp_path / "scenarios")


@dataclass(frozen=True)
class Built:
    """A built tiny site: its folder, its scenarios, the build's stats."""

    root: Path  # holds scenarios/, site/ and the cache .cache/
    stats: BuildStats

    @property
    def site(self) -> Path:
        return self.root / "site"

    @property
    def scenarios(self) -> Path:
        return self.root / "scenarios"


@pytest.fixture(scope="session")
def built(tmp_path_factory, worker_id: str) -> Built:
    """The tiny set built once per test run, shared by pytest-xdist's workers (the first to get
    the lock builds it, the others wait and read it). Read it, never change it: use `fresh` (a
    private copy) for that."""
    base = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        base = base.parent  # the run's folder, above each worker's own
    root = base / "built"
    done = base / "built.json"  # the build's stats, written once the site is complete
    with open(base / "built.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(root, ignore_errors=True)  # a build that failed half-way, if any
            stats = build_site(write_tiny(root / "scenarios"), root / "site", jobs=2)
            assert stats.ok and sorted(stats.rendered) == ["bowl", "cliff"]
            done.write_text(json.dumps(asdict(stats)), encoding="utf-8")
    return Built(root, BuildStats(**json.loads(done.read_text(encoding="utf-8"))))


@pytest.fixture
def fresh(built: Built, tmp_path: Path) -> Built:
    """A private copy of the built site with its scenarios and warm cache, free to change."""
    root = tmp_path / "copy"
    shutil.copytree(built.root, root, symlinks=True)
    return Built(root, built.stats)


def snapshot(site: Path) -> dict[str, bytes]:
    """Every file of a built site, by relative path."""
    return {
        p.relative_to(site).as_posix(): p.read_bytes()
        for p in sorted(site.rglob("*"))
        if p.is_file()
    }
