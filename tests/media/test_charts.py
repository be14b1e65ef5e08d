"""Analysis charts: they render, deterministically, with what the data says."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from gallery.engine import analysis
from gallery.engine.scenario import loads
from gallery.media import charts

TEXT = """
title = "Double well"
function = "(x**2 - 1)**2 + y**2"
domain = { x = [-2, 2], y = [-1, 1] }
steps = 60
start = [0.5, 0.5]
minima = [[-1, 0], [1, 0]]

[[optimizer]]
kind = "sgd"
lr = 0.05

[[optimizer]]
kind = "adam"
lr = 0.1

[analysis]
sweep_points = 12
basin_grid = 16
"""


def test_sweep_chart_png_and_svg_are_deterministic():
    sc = loads(TEXT, "w.toml")
    sweeps = analysis.sweep(sc)
    png1, svg1 = charts.sweep_chart(sc, sweeps)
    png2, svg2 = charts.sweep_chart(sc, sweeps)
    assert png1 == png2 and svg1 == svg2
    img = Image.open(io.BytesIO(png1))
    assert img.format == "PNG" and img.width > 600
    assert svg1.startswith(b"<?xml") and b"<svg" in svg1


def test_sweep_figure_marks_the_rate_in_use():
    sc = loads(TEXT, "w.toml")
    fig = charts.sweep_figure(sc, analysis.sweep(sc))
    ax = fig.axes[0]
    marked = [line for line in ax.lines if len(line.get_xdata()) == 1]
    assert sorted(float(line.get_xdata()[0]) for line in marked) == [0.05, 0.1]


def test_basin_chart_colours_match_the_labels():
    sc = loads(TEXT, "w.toml")
    b = analysis.basins(sc)
    png = charts.basin_chart(sc, b)
    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    colours = {tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in charts.BASIN_COLOURS[:2]}
    found = {tuple(p) for p in img.reshape(-1, 3)[::7]}
    assert colours <= found  # both basins are painted
