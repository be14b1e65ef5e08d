"""Preflight: what drawing would fail on is found by `check`, before anything runs."""

from __future__ import annotations

import pytest

from gallery.engine.scenario import loads
from gallery.media import preflight

BASE = """title = "TITLE"
function = "FUNCTION"
domain = { x = [-2, 2], y = [-2, 2] }
steps = 5
start = START
MINIMA
[[optimizer]]
kind = "sgd"
lr = 0.1
[analysis]
basins = true
basin_grid = 8
"""


def scenario(title="t", function="x**2 + y**2", start="[1, 1]", minima="minima = [[0, 0]]"):
    text = BASE.replace("TITLE", title).replace("FUNCTION", function)
    return loads(text.replace("START", start).replace("MINIMA", minima), "p.toml")


def test_a_title_that_breaks_mathtext_is_found():
    problems, _ = preflight.check(scenario(title="$\\\\\\\\foo$"))
    assert problems and problems[0][0] == "title" and "does not parse" in problems[0][1]
    assert preflight.check(scenario(title="costs $5"))[0] == []  # one dollar sign is just text


def test_more_minima_than_the_basin_maps_can_colour():
    nine = "minima = [" + ", ".join(f"[{0.1 * i}, 0]" for i in range(9)) + "]"
    problems, _ = preflight.check(scenario(minima=nine))
    assert (
        problems == [("analysis.basins", pytest.approx(problems[0][1]))]
        and "at most 8 known minima" in problems[0][1]
    )


def test_f_must_be_finite_where_the_runs_start_and_somewhere_on_the_view():
    problems, _ = preflight.check(scenario(function="log(x) + y", start="[-1, 1]"))
    assert ("start", "f is not finite at the start (-1, 1)") in problems
    problems, _ = preflight.check(scenario(function="log(-x**2 - 1) + y"))
    assert any(key == "function" and "not finite anywhere" in msg for key, msg in problems)


def test_holes_and_starts_outside_the_view_are_notes_not_errors():
    problems, notes = preflight.check(scenario(function="log(x) + y**2", start="[3, 1]"))
    assert problems == []
    assert any("not finite on 50 % of the view" in n for n in notes)
    assert any("outside the view" in n for n in notes)
