"""Render: trajectories in, GIF / MP4 / poster / thumbnail bytes out (nothing written to disk)."""

from __future__ import annotations

import gc
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from gallery.engine.simulate import Trajectories
from gallery.media.encode import GIF_CAP, GifWriter, Mp4Writer, png_bytes, thumbnail
from gallery.media.frames import Scene

FORMATS = ("gif", "mp4", "png")


@dataclass(frozen=True)
class Media:
    """Encoded outputs of one scenario."""

    gif: bytes | None
    mp4: bytes | None
    png: bytes | None
    thumb: bytes | None
    notes: tuple[str, ...]
    frame_count: int
    size: tuple[int, int]


def render(
    traj: Trajectories,
    formats: Collection[str] = FORMATS,
    *,
    size: tuple[int, int] | None = None,
    gif_cap: int | None = GIF_CAP,
) -> Media:
    """Draw every frame once and feed it straight to the requested encoders."""
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown formats: {', '.join(sorted(unknown))}")
    with _no_gc():
        return _render(traj, formats, size, gif_cap)


@contextmanager
def _no_gc() -> Iterator[None]:
    """The cyclic garbage collector paused: a render allocates many objects (a figure, tens of
    thousands of surface polygons) but leaves little cyclic garbage, and every full collection
    would walk the whole heap (matplotlib's and the formula engine's objects too)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _render(
    traj: Trajectories, formats: Collection[str], size: tuple[int, int] | None, gif_cap: int | None
) -> Media:
    settings = traj.scenario.render
    scene = gif = mp4 = None
    try:
        if "mp4" in formats:  # ffmpeg starts up while the background is drawn
            hold = int(round(settings.hold * settings.fps))
            mp4 = Mp4Writer(size or (settings.width, settings.height), settings.fps, hold=hold)
        scene = Scene(traj, size)
        notes: list[str] = list(scene.notes)
        background = np.asarray(scene.canvas.buffer_rgba()).copy()
        if "gif" in formats:
            accents = [s.color for s in scene.styles]
            gif = GifWriter(background, accents, settings.fps, settings.hold)
        encoders = [e for e in (gif, mp4) if e is not None]
        last = background
        # draw here; the writers quantise / feed ffmpeg in their own threads, each frame a copy
        for i in range(len(scene.steps)):
            view = scene.rgba_view(i)
            last = view.copy() if encoders else view
            for e in encoders:
                e.add(last, owned=True)
        rgb = last[..., :3].copy()
        png = png_bytes(rgb) if "png" in formats else None  # while the writers finish
        thumb = thumbnail(rgb) if "png" in formats else None
        mp4_bytes = mp4.finish() if mp4 is not None else None
        mp4 = None
        gif_bytes = None
        if gif is not None:
            gif_bytes, gif_notes = gif.encode(gif_cap)
            notes += gif_notes
    finally:
        if mp4 is not None:
            mp4.abort()
        if gif is not None:
            gif.abort()
        if scene is not None:
            scene.close()
    return Media(
        gif=gif_bytes,
        mp4=mp4_bytes,
        png=png,
        thumb=thumb,
        notes=tuple(notes),
        frame_count=len(scene.steps),
        size=(scene.width, scene.height),
    )


def poster(traj: Trajectories, size: tuple[int, int] | None = None) -> bytes:
    """PNG of the last frame (full size unless `size` is given)."""
    with _no_gc():
        scene = Scene(traj, size)
        try:
            return png_bytes(scene.frame(len(scene.steps) - 1))
        finally:
            scene.close()
