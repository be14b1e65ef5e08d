"""Render: trajectories in, GIF / MP4 / poster / thumbnail bytes out (nothing written to disk)."""

from __future__ import annotations

import gc
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from gallery.engine.simulate import Trajectories
from gallery.media.encode import GIF_CAP, GifWriter, Mp4Writer, png_bytes, thumbnail
from gallery.media.frames import Scene, slide_size

FORMATS = ("gif", "mp4", "png")
#: Size the optimizer pages' per-kind posters should be drawn at (full size ≥ 960 px wide).
KIND_POSTER_SIZE = (960, 540)
#: Widest a slide asset may be.
SLIDE_MAX_WIDTH = 700


@dataclass(frozen=True)
class Media:
    """Encoded outputs of one scenario.

    `notes`: what the renderer had to do (paths thinned, GIF shrunk). `captions`: sentences for
    the figure's caption about what it shows that the eye could miss: a path that leaves the view
    and comes back ("Newton leaves the view at step 2 and comes back at step 3."), runs that
    overlap, a log height scale, a stretched contour map.
    """

    gif: bytes | None
    mp4: bytes | None
    png: bytes | None
    thumb: bytes | None
    notes: tuple[str, ...]
    frame_count: int
    size: tuple[int, int]
    captions: tuple[str, ...] = ()
    layout: str = "full"
    frame_pngs: tuple[bytes, ...] = ()  # every frame as a palette PNG, when asked for


def render(
    traj: Trajectories,
    formats: Collection[str] = FORMATS,
    *,
    size: tuple[int, int] | None = None,
    gif_cap: int | None = GIF_CAP,
    layout: str | None = None,
) -> Media:
    """Draw every frame once and feed it straight to the requested encoders.

    `layout`: "full" (three panels), "contour" or "surface" (one panel); default: the scenario's
    `[render] layout`, else "full"."""
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown formats: {', '.join(sorted(unknown))}")
    with _no_gc():
        return _render(traj, formats, size, gif_cap, layout)[0]


def slide(
    traj: Trajectories,
    layout: str = "contour",
    formats: Collection[str] = FORMATS,
    *,
    size: tuple[int, int] | None = None,
    gif_cap: int | None = GIF_CAP,
) -> Media:
    """The animation in one clean panel for slides ("contour" or "surface"), with its legend and
    step counter: GIF, MP4 and PNG (last frame) at most 700 px wide; by default 680 px wide and,
    for the contour map, as tall as the view's shape needs (`frames.slide_size`)."""
    if layout not in ("contour", "surface"):
        raise ValueError(f"a slide shows one panel: 'contour' or 'surface', not {layout!r}")
    size = size or slide_size(traj, layout)
    if size[0] > SLIDE_MAX_WIDTH:
        raise ValueError(f"a slide is at most {SLIDE_MAX_WIDTH} px wide, not {size[0]}")
    return render(traj, formats, size=size, gif_cap=gif_cap, layout=layout)


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
    traj: Trajectories,
    formats: Collection[str],
    size: tuple[int, int] | None,
    gif_cap: int | None,
    layout: str | None,
    *,
    frame_pngs: bool = False,
    then: Callable[[Scene], Any] | None = None,
) -> tuple[Media, Any]:
    """(Media, what `then(scene)` returned). `frame_pngs`: every frame also as a palette PNG (the
    GIF's palette), made in the GIF's thread; `then`: called with the scene once every frame is
    drawn, while the encoders finish in their threads (e.g. to save the same figure as vectors)."""
    settings = traj.scenario.render
    scene = gif = mp4 = None
    extra = None
    try:
        if "mp4" in formats:  # ffmpeg starts up while the background is drawn
            hold = int(round(settings.hold * settings.fps))
            mp4 = Mp4Writer(size or (settings.width, settings.height), settings.fps, hold=hold)
        scene = Scene(traj, size, layout=layout)
        notes: list[str] = list(scene.notes)
        background = np.asarray(scene.canvas.buffer_rgba()).copy()
        if "gif" in formats or frame_pngs:
            accents = [s.color for s in scene.styles]
            gif = GifWriter(background, accents, settings.fps, settings.hold, pngs=frame_pngs,
                            gif="gif" in formats)  # fmt: skip
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
        if then is not None:
            extra = then(scene)
        mp4_bytes = mp4.finish() if mp4 is not None else None
        mp4 = None
        gif_bytes = None
        pngs: tuple[bytes, ...] = ()
        if gif is not None:
            if frame_pngs:
                pngs = tuple(gif.pngs)
            if "gif" in formats:
                gif_bytes, gif_notes = gif.encode(gif_cap)
                notes += gif_notes
    finally:
        if mp4 is not None:
            mp4.abort()
        if gif is not None:
            gif.abort()
        if scene is not None:
            scene.close()
    media = Media(
        gif=gif_bytes,
        mp4=mp4_bytes,
        png=png,
        thumb=thumb,
        notes=tuple(notes),
        frame_count=len(scene.steps),
        size=(scene.width, scene.height),
        captions=tuple(scene.captions),
        layout=scene.layout,
        frame_pngs=pngs,
    )
    return media, extra


def poster(
    traj: Trajectories, size: tuple[int, int] | None = None, *, layout: str | None = None
) -> bytes:
    """PNG of the last frame (full size unless `size` is given; `KIND_POSTER_SIZE` for the
    optimizer pages' cards: smaller sizes shrink the text below what reads)."""
    with _no_gc():
        scene = Scene(traj, size, layout=layout)
        try:
            return png_bytes(scene.frame(len(scene.steps) - 1))
        finally:
            scene.close()


def kind_posters(
    traj: Trajectories, size: tuple[int, int] = KIND_POSTER_SIZE, *, layout: str | None = None
) -> dict[str, bytes]:
    """PNG of the last frame for every optimizer kind of the scenario, each with only that
    kind's runs: their paths, their legend and their loss curves on the scale they call for.

    At most `size`, and no larger than the scenario's own frames. The surface and the contour
    map are drawn once (one `bare` Scene) and shared by every kind's poster; kinds whose runs
    call for another height scale of the surface share a second one."""
    sc = traj.scenario
    size = (min(size[0], sc.render.width), min(size[1], sc.render.height))
    kinds = sorted({r.spec.kind for r in traj.runs})
    out: dict[str, bytes] = {}
    with _no_gc():
        bases: dict[Any, Scene] = {}
        try:
            first = Scene(traj, size, layout=layout, bare=True)
            bases[first.height_scale] = first
            for kind in kinds:
                keep = [i for i, r in enumerate(first.traj.runs) if r.spec.kind == kind]
                height = first.height_scale
                if first.ax_surface is not None:
                    height = first.height_for(keep)[0]
                if height not in bases:
                    bases[height] = Scene(traj, size, layout=layout, bare=True, height=height)
                rgb = bases[height].subset_frame(keep)
                if rgb is None:  # this background cannot take them: a scene of their own
                    runs = tuple(traj.runs[i] for i in keep)
                    out[kind] = poster(Trajectories(sc, runs), size, layout=layout)
                else:
                    out[kind] = png_bytes(rgb)
        finally:
            for scene in bases.values():
                scene.close()
    return out
