"""Encoders: GIF timing, loop, shared palette and size cap; PNG and MP4 basics."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from gallery.media.encode import (
    PNG_BAND,
    GifWriter,
    Mp4Writer,
    Palette,
    PngSequence,
    durations_ms,
    png_bytes,
    thumbnail,
)


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


def _exact_frames():
    """Background plus an accent-coloured block that moves, stays, and leaves (exact colours)."""
    bg = np.full((60, 80, 3), 240, np.uint8)
    bg[:, :40] = 200
    frames = []
    for x in (5, 20, 20, 50, None):  # moves, holds still (no change), moves, then disappears
        f = bg.copy()
        if x is not None:
            f[10:20, x : x + 8] = (0, 114, 178)
        frames.append(f)
    return bg, frames


def test_gif_frames_decode_to_the_frames_added_even_unchanged_ones():
    bg, frames = _exact_frames()
    gw = GifWriter(bg, ["#0072B2"], fps=10, hold=0)
    for f in frames:
        gw.add(f)
    data, _ = gw.encode()
    im = Image.open(io.BytesIO(data))
    assert im.n_frames == len(frames)
    for k, f in enumerate(frames):
        im.seek(k)
        assert np.array_equal(np.asarray(im.convert("RGB")), f), k


def _alpha(rgb):
    return np.concatenate([rgb, np.full(rgb.shape[:2] + (1,), 255, np.uint8)], axis=-1)


def test_gif_writer_takes_rgba_frames_it_may_keep():
    bg, frames = _exact_frames()
    a = GifWriter(bg, ["#0072B2"], fps=10, hold=0)
    b = GifWriter(_alpha(bg), ["#0072B2"], fps=10, hold=0)
    for f in frames:
        a.add(f)
        b.add(_alpha(f), owned=True)
    assert a.encode()[0] == b.encode()[0]


def test_gif_writer_error_surfaces_in_the_caller():
    bg, frames = _exact_frames()
    gw = GifWriter(bg, ["#0072B2"], fps=10, hold=0)
    gw.add(frames[0])
    gw.add(frames[1][:30])  # wrong size: fails in the writer thread
    try:
        gw.encode()
    except ValueError:
        pass
    else:
        raise AssertionError("a bad frame must fail encode()")


def test_mp4_hold_repeats_the_last_frame():
    import tempfile

    import imageio_ffmpeg

    mp4 = Mp4Writer((64, 48), fps=10, hold=3)
    for v in (0, 255):
        mp4.add(np.full((48, 64, 4), v, np.uint8))
    with tempfile.NamedTemporaryFile(suffix=".mp4") as fh:
        fh.write(mp4.finish())
        fh.flush()
        reader = imageio_ffmpeg.read_frames(fh.name)
        next(reader)
        got = [np.frombuffer(f, np.uint8).mean() for f in reader]
    assert len(got) == 5 and got[0] < 10 and min(got[1:]) > 245


def test_mp4_writer_reports_a_dead_ffmpeg_as_an_error_not_a_closed_stdout():
    mp4 = Mp4Writer((64, 48), fps=10)
    frame = np.zeros((48, 64, 4), np.uint8)
    mp4.add(frame)
    mp4._proc.kill()
    try:
        for _ in range(200):  # the pipe fills, then the writer thread's error surfaces
            mp4.add(frame)
        mp4.finish()
    except RuntimeError as exc:
        assert "ffmpeg" in str(exc)
    else:
        raise AssertionError("a killed ffmpeg must fail the MP4")
    finally:
        mp4.abort()


def test_png_sequence_decodes_to_every_frame_and_compresses_changed_bands_only():
    rng = np.random.default_rng(1)
    h, w = 3 * PNG_BAND + 7, 90  # a last band that is not full
    palette = rng.integers(0, 256, 768).tolist()
    seq = PngSequence(palette, (h, w))
    frame = rng.integers(0, 40, (h, w)).astype(np.uint8)
    frames, pngs = [], []
    for i in range(6):
        changed = None
        if i:
            frame = frame.copy()
            if i == 1:  # in the second band only
                at = PNG_BAND * w + rng.choice(PNG_BAND * w, 30, replace=False)
            else:  # anywhere, the last band too
                at = rng.choice(h * w, 25 * i, replace=False)
            frame.reshape(-1)[at] = rng.integers(0, 256, at.size)
            changed = np.sort(at)
        before = list(seq._bands)
        pngs.append(seq.add(frame, changed))
        frames.append(frame)
        if i == 1:  # only the bands holding a change were compressed again
            touched = set((changed // (w * PNG_BAND)).tolist())
            kept = [b for b in range(len(before)) if b not in touched]
            assert touched == {1} and all(seq._bands[b] is before[b] for b in kept)
    for data, expected in zip(pngs, frames, strict=True):
        im = Image.open(io.BytesIO(data))
        assert im.mode == "P" and im.size == (w, h)
        assert np.array_equal(np.asarray(im), expected)
        assert im.getpalette()[:768] == palette
    # a band's bytes depend on its rows alone: the same frame gives the same file, whatever came
    # before it
    assert PngSequence(palette, (h, w)).add(frames[-1]) == pngs[-1]


def test_gif_writer_keeps_every_frame_as_a_palette_png_of_the_gif_palette():
    bg, frames = _frames()
    gw = GifWriter(bg, ["#0072B2"], fps=10, hold=0.0, pngs=True)
    only = GifWriter(bg, ["#0072B2"], fps=10, hold=0.0, pngs=True, gif=False)
    for f in frames:
        gw.add(f)
        only.add(f)
    gw.encode()
    assert gw.pngs == only.pngs and len(gw.pngs) == len(frames)
    palette = Palette(bg, ["#0072B2"])
    for data, f in zip(gw.pngs, frames, strict=True):
        im = Image.open(io.BytesIO(data))
        assert im.mode == "P"
        assert np.array_equal(np.asarray(im), palette.fast(f))  # every pixel by the lookup table
    try:
        only.encode()
    except ValueError:
        pass
    else:
        raise AssertionError("a writer made with gif=False has no GIF")
