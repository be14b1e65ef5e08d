"""Print and slide assets: what lecturers paste into PDF notes and Beamer slides.

`print_assets(traj)` gives, from one Scene (`render_with_print` gives them with the animation,
from the Scene the animation is drawn on, the frames ZIP from the GIF's own frames):

- the poster (the animation's last frame) as vector PDF and SVG: paths, markers, contours, axes
  and text are vectors (PDF fonts embedded as Type 3 outlines, SVG text as paths); only the 3-D
  surface is an image;
- a frame strip: a few moments of the run side by side on the contour map, the step under each,
  as PNG and PDF, with the steps chosen;
- a ZIP of every frame of the animation as PNG (`frame-0.png` ... `frame-N.png` in the root), the
  sequence LaTeX's `animate` package loads with
  `\\animategraphics[controls,loop]{fps}{frame-}{0}{N}` (the page writes that snippet:
  `pages.latex`).

Every byte is deterministic: no dates in the PDF or SVG, fixed SVG ids, fixed ZIP timestamps.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from gallery.engine.simulate import Trajectories  # noqa: E402
from gallery.media import geometry as G  # noqa: E402
from gallery.media.encode import GIF_CAP, GifWriter  # noqa: E402
from gallery.media.frames import EDGE, Scene, legend_text  # noqa: E402
from gallery.media.render import FORMATS, Media, _no_gc, _render  # noqa: E402

#: File names in the frames ZIP: FRAME_PREFIX + step index + ".png", counting from 0.
FRAME_PREFIX = "frame-"
#: A fixed time for every ZIP entry (the earliest a ZIP can say), so the bytes never change.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
#: Resolution of the raster parts (the 3-D surface) of the vector poster, and of the strip PNG.
PRINT_DPI = 200
STRIP_DPI = 150
#: Width of one small map of the strip, inches.
STRIP_PANEL = 2.2

RC = {
    "svg.fonttype": "path",
    "svg.hashsalt": "optimizer-gallery",
    # Type 3 fonts: the glyphs used, embedded as outlines, so text prints the same everywhere and
    # stays text; TrueType (42) subsetting costs ~0.1 s a font and a file, five fonts a poster
    "pdf.fonttype": 3,
    "pdf.compression": 6,
}
PDF_META = {"Creator": "optimizer-gallery", "Producer": None, "CreationDate": None}
SVG_META = {"Date": None, "Creator": "optimizer-gallery"}


@dataclass(frozen=True)
class PrintAssets:
    """One scenario's print and slide assets (bytes), and what a page must say about them."""

    pdf: bytes  # the poster (last frame), vector
    svg: bytes  # the poster, vector (text as paths)
    strip_png: bytes
    strip_pdf: bytes
    strip_steps: tuple[int, ...]  # the steps the strip shows, left to right
    frames_zip: bytes  # every frame as PNG: f"{frames_prefix}{i}.png", i = first..last
    frames_prefix: str
    first: int
    last: int
    fps: float
    frame_steps: tuple[int, ...]  # the optimizer step each frame of the ZIP shows
    size: tuple[int, int]  # pixels of each frame


def print_assets(
    traj: Trajectories,
    *,
    moments: int = 5,
    size: tuple[int, int] | None = None,
    frames: bool = True,
) -> PrintAssets:
    """The poster as PDF and SVG, a strip of `moments` (4 to 6) moments as PNG and PDF, and every
    frame of the animation as PNG in a ZIP (empty ZIP when `frames` is false), all from one
    Scene (`size`: of the frames and poster, default the scenario's)."""
    _check(moments)
    with _no_gc():
        scene = Scene(traj, size)
        try:
            pngs = frame_pngs(scene) if frames else []
            return _assemble(_drawn(scene, moments), pngs)
        finally:
            scene.close()


def render_with_print(
    traj: Trajectories,
    formats: Collection[str] = FORMATS,
    *,
    moments: int = 5,
    gif_cap: int | None = GIF_CAP,
) -> tuple[Media, PrintAssets]:
    """`render(traj, formats)` and `print_assets(traj, moments=moments)` (the same bytes) with
    one Scene drawn once: the frames ZIP holds the frames the animation draws (palette PNGs made
    in the GIF's thread as they are quantised), and the strip and the vector poster are saved
    from the animation's figure while its encoders finish."""
    _check(moments)
    with _no_gc():
        media, drawn = _render(
            traj, formats, None, gif_cap, None, frame_pngs=True,
            then=lambda scene: _drawn(scene, moments),
        )  # fmt: skip
    return replace(media, frame_pngs=()), _assemble(drawn, media.frame_pngs)


def _check(moments: int) -> None:
    if not 1 <= moments <= 12:
        raise ValueError(f"moments must be between 1 and 12, not {moments}")


def _drawn(scene: Scene, moments: int) -> dict:
    """Everything but the frames ZIP, from a scene (left as it was)."""
    steps = strip_steps(scene, moments)
    strip = strip_figure(scene, steps)
    pdf, svg = vector_poster(scene)
    return dict(
        pdf=pdf,
        svg=svg,
        strip_png=_save(strip, "png", dpi=STRIP_DPI),
        strip_pdf=_save(strip, "pdf"),
        strip_steps=tuple(steps),
        first=0,
        last=len(scene.steps) - 1,
        fps=float(scene.traj.scenario.render.fps),
        frame_steps=tuple(int(t) for t in scene.steps),
        size=(scene.width, scene.height),
    )


def _assemble(drawn: dict, pngs: Sequence[bytes]) -> PrintAssets:
    entries = [(f"{FRAME_PREFIX}{i}.png", data) for i, data in enumerate(pngs)]
    return PrintAssets(frames_zip=_zip(entries), frames_prefix=FRAME_PREFIX, **drawn)


# ---------------------------------------------------------------------------------- saving


def _save(fig: Figure, fmt: str, dpi: float = PRINT_DPI) -> bytes:
    buf = io.BytesIO()
    meta = {"png": {"Software": None}, "pdf": PDF_META, "svg": SVG_META}[fmt]
    with matplotlib.rc_context(RC):
        fig.savefig(buf, format=fmt, dpi=dpi, metadata=meta, facecolor="white")
    return buf.getvalue()


def _zip(entries: list[tuple[str, bytes]]) -> bytes:
    """A ZIP of (name, bytes), stored (PNGs are compressed already), fixed times and modes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.external_attr = 0o644 << 16
            info.create_system = 3
            z.writestr(info, data)
    return buf.getvalue()


# ---------------------------------------------------------------------------------- the parts


def frame_pngs(scene: Scene) -> list[bytes]:
    """Every frame of the animation as a palette PNG: the GIF's shared palette (the background's
    colours and every run's exact colour) and its indices, a fifth of the bytes of RGB; the
    same bytes `render_with_print` gets from the GIF's thread. PNG encoding (zlib releases the
    GIL) runs in a thread while frames are drawn."""
    scene.canvas.restore_region(scene.background)
    background = np.asarray(scene.canvas.buffer_rgba()).copy()
    settings = scene.traj.scenario.render
    writer = GifWriter(background, [s.color for s in scene.styles], settings.fps, settings.hold,
                       pngs=True, gif=False)  # fmt: skip
    try:
        for i in range(len(scene.steps)):
            writer.add(scene.rgba_view(i))
        return writer.pngs
    finally:
        writer.abort()


def frames_zip(scene: Scene) -> bytes:
    """Every frame of the animation as a palette PNG (`frame_pngs`), `frame-0.png` ... in the
    ZIP's root."""
    return _zip([(f"{FRAME_PREFIX}{i}.png", data) for i, data in enumerate(frame_pngs(scene))])


def strip_steps(scene: Scene, count: int) -> list[int]:
    """The moments a strip shows: evenly spaced in how far the paths have moved on the contour
    map (or the surface), the last step always among them."""
    panel = "contour" if scene.ax_contour is not None else "surface"
    ax = scene.ax_contour if scene.ax_contour is not None else scene.ax_surface
    paths = []
    for r in scene.traj.runs:
        for k in range(r.xy.shape[1]):
            if panel == "contour":
                paths.append(ax.transData.transform(r.xy[:, k]))
            else:
                pts = np.column_stack([r.xy[:, k], scene.height_scale(r.f[:, k])])
                paths.append(scene._to_pixels(panel, ax, pts))
    return G.moments(paths, scene.steps, count)


def strip_figure(scene: Scene, steps: list[int]) -> Figure:
    """Small contour maps side by side, one per step, the step under each; one legend below."""
    k = len(steps)
    ratio = scene.ratio if scene.equal else 1.0
    w = STRIP_PANEL
    h = min(max(w / ratio, 1.1), 3.2)
    if w / ratio > 3.2:
        w = 3.2 * ratio
    gap, side, below = 0.15, 0.1, 0.32
    runs = scene.traj.runs
    names = getattr(scene, "_overlap_names", {})
    entries = len(runs) + 2
    width = k * w + (k - 1) * gap + 2 * side
    cols = max(1, min(entries, int(width // 2.3)))
    legend_h = 0.2 * -(-entries // cols) + 0.08
    height = h + below + legend_h + 0.08
    fig = Figure(figsize=(width, height), dpi=STRIP_DPI)
    fig.patch.set_facecolor("white")
    (x0, x1), (y0, y1) = scene.traj.scenario.domain
    for n, t in enumerate(steps):
        left = side + n * (w + gap)
        ax = fig.add_axes((left / width, (legend_h + below) / height, w / width, h / height))
        scene._draw_map(ax, 0.55, lines=0.35, marks=0.75)
        scene.path_artists(int(t), ax=ax, panel="contour", size=0.55)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel(f"step {int(t)}", fontsize=9, labelpad=7)
        for spine in ax.spines.values():
            spine.set_linewidth(0.6)
    handles = [
        Line2D([], [], color=st.color, ls=st.linestyle, marker=st.marker, lw=1.3, ms=5,
               mec=EDGE, mew=0.5, label=legend_text(r, names.get(i, ()), 60).replace("\n", ", "))
        for i, (r, st) in enumerate(zip(runs, scene.styles, strict=True))
    ]  # fmt: skip
    handles.append(Line2D([], [], ls="none", marker="o", mfc="white", mec=EDGE, ms=5,
                          label="start"))  # fmt: skip
    if len(scene.traj.scenario.minima):
        handles.append(Line2D([], [], ls="none", marker="*", mfc="white", mec=EDGE, ms=7,
                              label="known minimum"))  # fmt: skip
    fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.01), ncols=cols,
               fontsize=7.5, frameon=False, handlelength=2.4, columnspacing=1.2)  # fmt: skip
    return fig


def vector_poster(scene: Scene) -> tuple[bytes, bytes]:
    """(PDF, SVG) of the last frame: the moving paths added as real artists in data coordinates
    (vectors), the surface rasterised; the scene is left as it was."""
    last = len(scene.steps) - 1
    t = int(scene.steps[last])
    artists = scene.path_artists(t)
    surface = getattr(scene, "surface", None)
    scene.step_text.set_text(scene.step_label(t))
    if surface is not None:
        surface.set_rasterized(True)
    try:
        pdf = _save(scene.fig, "pdf")
        svg = _save(scene.fig, "svg")
    finally:
        for a in artists:
            a.remove()
        scene.step_text.set_text("")
        if surface is not None:
            surface.set_rasterized(False)
    return pdf, svg
