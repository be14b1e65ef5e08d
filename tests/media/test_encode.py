"""Encoders: GIF timing, loop, shared palette and size cap; PNG and MP4 basics."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from gallery.media.encode import GifWriter, Mp4Writer, durations_ms, png_bytes, thumbnail


def _frames(n=6, w=320, h=180):
    rng = np.random.default_rng(0)
    bg = np.full((h, w, 3), 240, np.uint8)
    bg[:, : w // 2] = 200
    out = []
    for i in range(n):
        f = bg.copy()
        f[20 + 10 * i : 30 + 10 * i, 40:80] = (0, 114, 178)
        f[100:110, 10 * i : 10 * i + 8] = rng.integers(0, 255, 3)
        out.append(f)
    return bg, out


def test_durations_hold_on_last_frame():
    d = durations_ms(4, 15, 1.5)
    assert d[:3] == [70, 70, 70] and d[3] == 70 + 1500


def test_gif_loops_with_one_palette_and_held_last_frame():
    bg, frames = _frames()
    gw = GifWriter(bg, ["#0072B2"], fps=10, hold=1.0)
    for f in frames:
        gw.add(f)
    data, notes = gw.encode()
    assert not notes
    im = Image.open(io.BytesIO(data))
    assert im.info["loop"] == 0
    durations, decoded = [], []
    for k in range(im.n_frames):
        im.seek(k)
        durations.append(im.info["duration"])
        decoded.append(np.asarray(im.convert("RGB")))
    assert len(decoded) == len(frames)
    assert durations == [100] * 5 + [1100]
    # the exact accent colour survives quantization, where it was drawn
    assert tuple(decoded[-1][75, 60]) == (0, 114, 178)


def test_gif_cap_is_met_and_said():
    bg, frames = _frames(n=20)
    gw = GifWriter(bg, ["#0072B2"], fps=10, hold=0.5)
    for f in frames:
        gw.add(f)
    full, _ = gw.encode(cap=None)
    cap = len(full) // 2
    data, notes = gw.encode(cap=cap, min_width=100)
    assert len(data) <= cap
    assert notes and any("GIF" in n for n in notes)


def test_png_and_thumbnail_sizes():
    _, frames = _frames(w=1000, h=500)
    assert Image.open(io.BytesIO(png_bytes(frames[0]))).size == (1000, 500)
    assert Image.open(io.BytesIO(thumbnail(frames[0]))).size == (480, 240)


def test_mp4_crops_to_even_dimensions():
    import imageio_ffmpeg

    mp4 = Mp4Writer((321, 181), fps=10)
    rgba = np.full((181, 321, 4), 255, np.uint8)
    for _ in range(3):
        mp4.add(rgba)
    data = mp4.finish()
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".mp4") as fh:
        fh.write(data)
        fh.flush()
        reader = imageio_ffmpeg.read_frames(fh.name)
        meta = next(reader)
        assert tuple(meta["size"]) == (320, 180)
        assert sum(1 for _ in reader) == 3
