"""Render: trajectories in, GIF / MP4 / poster / thumbnail bytes out (nothing written to disk)."""

from __future__ import annotations

from collections.abc import Collection
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
    settings = traj.scenario.render
    scene = Scene(traj, size)
    notes: list[str] = list(scene.notes)
    try:
        background = np.asarray(scene.canvas.buffer_rgba()).copy()
        gif = (
            GifWriter(background, [s.color for s in scene.styles], settings.fps, settings.hold)
            if "gif" in formats
            else None
        )
        mp4 = Mp4Writer((scene.width, scene.height), settings.fps) if "mp4" in formats else None
        last = background
        try:
            for i in range(len(scene.steps)):
                last = scene.rgba_view(i)
                if gif is not None:
                    gif.add(last)
                if mp4 is not None:
                    mp4.add(last)
            if mp4 is not None:
                for _ in range(int(round(settings.hold * settings.fps))):
                    mp4.add(last)
        except BaseException:
            if mp4 is not None:
                mp4.abort()
            raise
        mp4_bytes = mp4.finish() if mp4 is not None else None
        gif_bytes = None
        if gif is not None:
            gif_bytes, gif_notes = gif.encode(gif_cap)
            notes += gif_notes
        rgb = last[..., :3].copy()
        png = png_bytes(rgb) if "png" in formats else None
        thumb = thumbnail(rgb) if "png" in formats else None
    finally:
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
    scene = Scene(traj, size)
    try:
        return png_bytes(scene.frame(len(scene.steps) - 1))
    finally:
        scene.close()
