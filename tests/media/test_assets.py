"""Print and slide assets: vector poster, frame strip, frames ZIP for LaTeX's animate."""

from __future__ import annotations

import io
import re
import zipfile
import zlib

import numpy as np
import pytest
from PIL import Image

from gallery.engine.scenario import loads
from gallery.engine.simulate import simulate
from gallery.media.assets import FRAME_PREFIX, print_assets, render_with_print
from gallery.media.frames import Scene
from gallery.media.render import render

TEXT = """
title = "Cubic"
function = "x**2 + y**2 + y**3 + x*y"
domain = { x = [-3, 3], y = [-3, 3] }
steps = 24
start = [2, 3]
minima = [[0, 0]]

[[optimizer]]
kind = "sgd"
lr = 0.01

[[optimizer]]
kind = "momentum"
lr = 0.01

[[optimizer]]
kind = "adam"
lr = 0.1

[view]
grid = 30

[render]
width = 480
height = 270
fps = 12
"""


@pytest.fixture(scope="module")
def assets():
    return print_assets(simulate(loads(TEXT, "cubic.toml")), moments=4)


def _pdf_streams(pdf: bytes) -> list[bytes]:
    out = []
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        raw = m.group(1)
        try:
            out.append(zlib.decompress(raw))
        except zlib.error:
            out.append(raw)
    return out


def test_poster_pdf_is_vector_with_only_the_surface_as_an_image(assets):
    pdf = assets.pdf
    assert pdf.startswith(b"%PDF")
    assert b"/CreationDate" not in pdf and b"/ModDate" not in pdf
    streams = _pdf_streams(pdf)
    drawing = b"\n".join(s for s in streams if b" re" in s or b" l\n" in s or b" l " in s)
    # paths (moveto/lineto/curveto, rectangles) are drawn as vectors, not as one picture
    assert re.search(rb"[\d.]+ [\d.]+ l\b", drawing)
    assert re.search(rb"[\d.]+ [\d.]+ m\b", drawing)
    assert drawing.count(b" l") > 200
    assert pdf.count(b"/Subtype /Image") <= 2  # the rasterised surface (and its mask)
    # every font is embedded: a Type 3 font whose glyphs are drawn by procedures in the file
    fonts = re.findall(rb"/Type /Font\b.*?>>", pdf, re.S)
    assert fonts and all(b"/Subtype /Type3" in f and b"/CharProcs" in f for f in fonts), fonts
    assert b"/FontFile" not in pdf and b"/BaseFont /Helvetica" not in pdf


def test_poster_svg_draws_text_as_paths(assets):
    svg = assets.svg
    assert svg.startswith(b"<?xml") and b"<svg" in svg
    assert b"<text" not in svg and svg.count(b"<path") > 100
    assert b"<dc:date>" not in svg


def test_strip_shows_the_chosen_moments_with_the_last_step(assets):
    steps = assets.strip_steps
    assert len(steps) == 4 and steps[-1] == 24 and list(steps) == sorted(set(steps))
    img = Image.open(io.BytesIO(assets.strip_png))
    assert img.format == "PNG" and img.width > 3 * img.height
    assert assets.strip_pdf.startswith(b"%PDF")
    text = b"\n".join(_pdf_streams(assets.strip_pdf))
    assert text  # vector content
    assert np.asarray(img.convert("L")).std() > 10


def test_frames_zip_holds_every_frame_named_for_animategraphics(assets):
    z = zipfile.ZipFile(io.BytesIO(assets.frames_zip))
    names = z.namelist()
    n = len(assets.frame_steps)
    assert n == 25 and assets.first == 0 and assets.last == n - 1
    assert names == [f"{FRAME_PREFIX}{i}.png" for i in range(n)]
    assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    first = Image.open(io.BytesIO(z.read(names[0])))
    last = Image.open(io.BytesIO(z.read(names[-1])))
    assert first.size == last.size == assets.size == (480, 270)
    assert np.asarray(first.convert("RGB")).tolist() != np.asarray(last.convert("RGB")).tolist()
    assert assets.fps == 12 and assets.frames_prefix == FRAME_PREFIX


def test_assets_are_byte_for_byte_deterministic(assets):
    again = print_assets(simulate(loads(TEXT, "cubic.toml")), moments=4)
    assert again.pdf == assets.pdf
    assert again.svg == assets.svg
    assert again.strip_png == assets.strip_png and again.strip_pdf == assets.strip_pdf
    assert again.frames_zip == assets.frames_zip


def test_render_with_print_gives_the_files_of_render_and_print_assets_from_one_figure(assets):
    """The build draws the animation once: its frames ZIP is made from the frames the GIF is
    made of, its vector poster and strip from the animation's own figure; every file is the same
    as drawing each again (render, then print_assets on a scene of its own)."""
    traj = simulate(loads(TEXT, "cubic.toml"))
    media, printed = render_with_print(traj, ("gif", "mp4", "png"), moments=4)
    alone = render(traj, ("gif", "mp4", "png"))
    assert media.gif == alone.gif and media.png == alone.png and media.thumb == alone.thumb
    assert media.mp4[:4] == alone.mp4[:4] and media.frame_count == alone.frame_count
    assert media.notes == alone.notes and media.captions == alone.captions
    assert media.frame_pngs == ()  # handed over to the ZIP, not kept twice
    for name in ("pdf", "svg", "strip_png", "strip_pdf", "frames_zip"):
        assert getattr(printed, name) == getattr(assets, name), name
    assert printed.strip_steps == assets.strip_steps
    assert (printed.first, printed.last, printed.fps) == (assets.first, assets.last, assets.fps)
    assert printed.frame_steps == assets.frame_steps and printed.size == assets.size


def test_frames_zip_shows_each_frame_of_the_animation(assets):
    """Each PNG of the ZIP is its frame of the animation, in the GIF's palette."""
    scene = Scene(simulate(loads(TEXT, "cubic.toml")))
    z = zipfile.ZipFile(io.BytesIO(assets.frames_zip))
    try:
        for i, name in enumerate(z.namelist()):
            png = np.asarray(Image.open(io.BytesIO(z.read(name))).convert("RGB")).astype(int)
            error = np.abs(png - scene.frame(i).astype(int)).max(axis=-1)
            assert error.mean() < 2.0 and np.quantile(error, 0.99) < 24, name
    finally:
        scene.close()
