"""Observations on small hand-made paths whose answers are known, and the README's list."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from gallery.engine import observe
from gallery.engine.observe import Path as RunPath

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = ((-1.5, 1.5), (-1.5, 1.5))  # spans 3: a visible swing is 0.01


def path(points, *, minima=((0.0, 0.0),), saddles=(), tol=1e-3, nudged=None, diverged_at=-1):
    xy = np.array(points, dtype=float)
    return RunPath(
        label="t",
        xy=xy,
        f=(xy**2).sum(axis=1),
        diverged_at=diverged_at,
        lr=0.1,
        minima=np.array(minima, dtype=float).reshape(-1, 2),
        saddles=np.array(saddles, dtype=float).reshape(-1, 2),
        domain=DOMAIN,
        tol=tol,
        nudged=None if nudged is None else np.array(nudged, dtype=float),
    )


def test_readme_lists_every_observation():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- observations:begin -->\n(.*?)<!-- observations:end -->", readme, re.S)
    assert found and found.group(1).strip() == observe.markdown_table().strip(), (
        "README's observation list differs; regenerate it with `python -m gallery.engine.observe`"
    )
    listed = re.findall(r"^\| `([a-z_]+)` \|", found.group(1), re.M)
    assert listed == list(observe.NAMES)


def test_clean_zigzag_counts_visible_reversals_only():
    # y flips sign with a slowly shrinking amplitude; x creeps along: a textbook SGD zig-zag
    ys = [0.5 * (-0.9) ** t for t in range(30)]
    xs = [-1 + t / 30 for t in range(30)]
    seen = observe.observe(path(list(zip(xs, ys, strict=True))))
    visible = sum(1 for t in range(1, 30) if abs(ys[t] - ys[t - 1]) >= 0.01)  # swings >= 1/300
    assert seen["zigzag_y"].value == visible - 1 >= 20
    assert seen["zigzag_x"].value == 0
    # the same shape a thousand times smaller is invisible at the figure's scale
    tiny = observe.observe(path([(x, y / 1000) for x, y in zip(xs, ys, strict=True)]))
    assert tiny["zigzag_y"].value == 0


def test_four_cycle_is_found_with_its_start_and_width():
    settle = [(1.0 - 0.1 * t, 1.0 - 0.1 * t) for t in range(10)]  # walks to (0.1, 0.1)
    hop = [(0.05, 0.0), (0.0, 0.05), (-0.05, 0.0), (0.0, -0.05)]
    seen = observe.observe(path(settle + hop * 10))
    c = seen["cycle"]
    assert c.value == 4 and c.evidence["since"] == 10
    assert c.evidence["width"] == pytest.approx(0.1)
    # standing still is not a cycle
    assert observe.observe(path(settle + [(0.0, 0.0)] * 40))["cycle"].value is None


def test_pass_through_is_not_convergence():
    pts = [(0.5, 0.5), (0.1, 0.1), (0.0005, 0.0), (0.2, 0.0), (0.4, 0.1)]
    seen = observe.observe(path(pts))
    assert seen["reaches"].value == 2
    assert seen["passes"].value == 2 and seen["passes"].evidence["left"] == 3
    assert seen["converges"].value is None
    assert seen["distance"].value == pytest.approx(np.hypot(0.4, 0.1))


def test_convergence_needs_a_stay_not_a_touch():
    approach = [(0.5 / 2**t, 0.0) for t in range(20)]  # within 1e-3 from t = 9 on
    seen = observe.observe(path(approach))
    assert seen["converges"].value == 9 and seen["passes"].value is None
    touch = [(0.5, 0.0)] * 19 + [(0.0, 0.0)]  # only the last point is inside
    assert observe.observe(path(touch))["converges"].value is None


def test_escape_from_a_saddle():
    # x shrinks toward the ridge, y grows away from it: within 0.1 of (0, 0) from t = 22 to 47
    pts = [(-(0.9**t), 0.001 * 1.1**t) for t in range(60)]
    seen = observe.observe(path(pts, minima=(), saddles=((0, 0),), tol=0.1))
    inside = [t for t, (x, y) in enumerate(pts) if np.hypot(x, y) < 0.1]
    assert seen["lingers"].value == len(inside)
    assert seen["escapes"].value == inside[-1] + 1


def test_chaotic_tail_is_dated():
    pts = [(0.5 * 0.9**t, 0.0) for t in range(40)]
    nudged = [(x, y + (0.0 if t < 25 else 1e-3 * 2 ** (t - 25))) for t, (x, y) in enumerate(pts)]
    seen = observe.observe(path(pts, nudged=nudged))
    assert seen["chaotic_after"].value == 26  # 2e-3 > 1e-3 from t = 26 on
    assert observe.observe(path(pts, nudged=pts))["chaotic_after"].value is None


def test_divergence_names_the_coordinate_that_ran_off():
    pts = [(0.5, 0.5), (0.6, -2.0), (0.7, -40.0), (np.nan, np.nan)]
    d = observe.observe(path(pts, diverged_at=3))["diverges"]
    assert d.value == 3 and d.evidence["axis"] == "y" and d.evidence["direction"] == "−∞"


def test_leaving_and_returning_to_the_view():
    pts = [(0.0, 1.0), (0.0, 2.0), (0.0, 3.0), (0.0, 1.0), (0.0, 0.5)]
    seen = observe.observe(path(pts))
    assert seen["leaves_view"].value == 1 and seen["returns"].value == 3
    assert seen["leaves_view"].evidence["outside"] == 2


def test_overshoot_and_basin():
    pts = [(1.0, 0.0), (-0.5, 0.0), (0.2, 0.0), (2.0, 0.0)]
    seen = observe.observe(path(pts, minima=((0, 0), (2, 0))))
    assert seen["basin"].value == 2  # ends nearest the second minimum of the file
    assert seen["overshoots"].value == 0  # its coordinates are never crossed visibly
    seen = observe.observe(path(pts[:3]))
    assert seen["overshoots"].value == 2 and seen["overshoots"].evidence["largest"] == 0.5


def test_ranks_compare_runs():
    runs = [
        observe.observe(path([(0.5, 0), (0.0005, 0), (0, 0)])),
        observe.observe(path([(0.5, 0), (0.3, 0), (0.2, 0)])),
        observe.observe(path([(0.5, 0), (0.1, 0), (0, 0)])),
    ]
    observe.rank(runs)
    assert [r["rank_reach"].value for r in runs] == [1, None, 2]
    assert [r["rank_distance"].value for r in runs] == [1, 3, 1]
