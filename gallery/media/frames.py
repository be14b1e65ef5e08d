"""Frames: one figure per scenario, background drawn once, moving artists blitted per frame.

Layouts: "full" (3-D surface, contour map and loss curve on one timeline, the default), and the
single-panel "contour" and "surface" layouts for slides. What the figure must not do is mislead:
the contour map keeps the function's true geometry (equal axes), the surface's height is drawn
on a log scale where a linear one would flatten the region the paths run through, the loss panel
shows every run until it diverges (negative f included, the divergence marked at its step), a
path that leaves the view is drawn to the edge and marked where it leaves and comes back, runs
that hide each other are said to, and no two texts overlap.
"""

from __future__ import annotations

import dataclasses
import functools
import textwrap

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib import colors as mcolors  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.colors import LightSource  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.markers import MarkerStyle  # noqa: E402
from matplotlib.mathtext import MathTextParser  # noqa: E402
from matplotlib.patches import FancyArrowPatch  # noqa: E402
from matplotlib.path import Path  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from matplotlib.ticker import (  # noqa: E402
    FixedLocator,
    FuncFormatter,
    MaxNLocator,
    NullLocator,
)
from matplotlib.transforms import Affine2D, IdentityTransform  # noqa: E402
from mpl_toolkits.mplot3d import art3d, proj3d  # noqa: E402

from gallery.engine.simulate import Run, Trajectories  # noqa: E402
from gallery.media import geometry as G  # noqa: E402
from gallery.media.style import Style, looks  # noqa: E402


def _share_mathtext_layouts() -> None:
    """Lay out each maths text once per process, not once per figure.

    matplotlib keeps a formula's layout (`MathTextParser._parse_cached`, the expensive part:
    ~8 ms a tick label such as $10^{-6}$) in a 50-entry cache per parser, and every renderer,
    so every figure and every saved file, has a parser of its own: a scenario's figures (frames,
    slide, posters, print files, charts) typeset the same texts again and again. The layout
    depends only on the text, dpi, font and flags, not on the parser, so one cache per output
    type serves them all (same results, so the same pixels and bytes)."""
    from matplotlib.mathtext import MathTextParser

    cached = MathTextParser.__dict__.get("_parse_cached")
    layout = getattr(cached, "__wrapped__", None)
    if layout is None or getattr(cached, "_gallery_shared", False):
        return  # another matplotlib: leave it as it is
    parsers: dict[str, MathTextParser] = {}

    @functools.lru_cache(maxsize=2048)
    def shared(output_type: str, *args):
        return layout(parsers[output_type], *args)

    def parse_cached(self, *args):
        parsers.setdefault(self._output_type, self)
        return shared(self._output_type, *args)

    parse_cached._gallery_shared = True
    MathTextParser._parse_cached = parse_cached


_share_mathtext_layouts()

MAX_FRAMES = 150
MAX_PATHS = 64  # paths drawn per optimizer; more starts are thinned evenly (the data keeps all)
MAX_CROSSINGS = 400  # leave / come-back markers drawn per scene (the earliest)
LEGEND_WIDTH = 22  # characters per legend line: longer labels wrap instead of running off the frame
DPI = 100
#: Pixels of the surface panel per quad of the 3-D surface, at the least (a finer grid is thinned)
SURFACE_CELL_PX = 4
LAYOUTS = ("full", "contour", "surface")
#: Size of the single-panel slide layouts (at most 700 px wide).
SLIDE_SIZE = (680, 480)
#: Smallest text, in pixels, on a 1280x720 frame (what reads on a projector).
MIN_TEXT_PX = 14
#: Widest ratio of the view's sides the contour map is drawn to scale at; beyond it, stretched.
MAX_ASPECT = 5.0
BACKGROUND_CMAP = mcolors.LinearSegmentedColormap.from_list(
    "gallery-grey", ["#f7f8fa", "#e1e5ea", "#c3c9d1", "#a1a9b4"]
)
#: The surface's colours: a shade darker than the map's, so the hill shading keeps its relief.
SURFACE_CMAP = mcolors.LinearSegmentedColormap.from_list(
    "gallery-surface", ["#e9ecf0", "#ccd2d9", "#a9b1bc", "#858f9c"]
)
#: A dart, pointing up: where a path leaves the view (filled) or comes back (hollow).
DART = Path(
    [(0.0, 0.7), (-0.5, -0.5), (0.0, -0.2), (0.5, -0.5), (0.0, 0.7)],
    [Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY],
)
CURSOR_COLOUR = "#444444"
EDGE = "black"

# font sizes in points at 1280x720 (times the scene's scale): ticks 10.5 pt = 14.6 px at 100 dpi
FONT = {"title": 19.0, "formula": 14.0, "step": 15.0, "label": 12.0, "tick": 10.5, "legend": 11.5}


def styles(traj: Trajectories) -> list[Style]:
    """One look per run, by its kind (the same on every scenario), file colours winning."""
    return looks([(r.spec.kind, r.spec.color) for r in traj.runs])


def frame_steps(steps: int, frames: int | None = None) -> np.ndarray:
    """Step index of every frame: every step up to 150, else evenly sampled; last always kept."""
    count = steps + 1 if frames is None else int(frames)
    if frames is None and count > MAX_FRAMES + 1:
        count = MAX_FRAMES + 1
    count = max(1, min(count, steps + 1))
    if count == steps + 1:
        return np.arange(steps + 1)
    picked = np.unique(np.round(np.linspace(0, steps, count)).astype(int))
    picked[-1] = steps
    return picked


def slide_size(traj: Trajectories, layout: str, width: int = SLIDE_SIZE[0]) -> tuple[int, int]:
    """Size of a single-panel slide `width` pixels wide: for the contour map, as tall as the
    view's shape needs (between 340 and 520 px), so a wide view leaves no empty band."""
    if layout != "contour":
        return width, SLIDE_SIZE[1]
    (x0, x1), (y0, y1) = traj.scenario.domain
    ratio = (x1 - x0) / (y1 - y0)
    s = width / 800
    panel = width - (245 + 18 + 62) * s
    height = panel / min(max(ratio, 1 / MAX_ASPECT), MAX_ASPECT) + (40 + 52) * s
    height = int(round(min(max(height, 340.0), 520.0)))
    return width, height + height % 2


def first_divergence(run: Run) -> int:
    """The first step at which any of the run's paths diverged, -1 if none did."""
    d = run.diverged_at[run.diverged_at >= 0]
    return int(d.min()) if d.size else -1


def legend_text(
    run: Run, overlaps: list[str] | tuple[str, ...] = (), width: int = LEGEND_WIDTH
) -> str:
    """`Adam lr=0.3`, plus where the run diverged if it did, and which runs it overlaps."""
    text = textwrap.fill(run.spec.short, width, break_long_words=False)
    if run.diverged:
        text += f"\ndiverged at step {first_divergence(run)}"
    if overlaps:
        text += "\n" + textwrap.fill(
            "overlaps " + ", ".join(overlaps), width, break_long_words=False
        )
    return text


def formula_text(traj: Trajectories) -> str:
    """Mathtext of the scenario's formula, or its plain source when mathtext cannot parse it."""
    fn = traj.scenario.function
    text = f"$f(x, y) = {fn.latex}$"
    try:
        MathTextParser("path").parse(text)
        return text
    except (ValueError, RuntimeError):
        return f"f(x, y) = {fn.text}"


def _grid_size(grid) -> tuple[int, int]:
    if isinstance(grid, (tuple, list)):
        return int(grid[0]), int(grid[1])
    return int(grid), int(grid)


class RenderError(ValueError):
    """A scenario that loads but cannot be drawn (e.g. f is nowhere finite on the domain)."""


def _levels(z: np.ndarray, how, bounded: bool) -> tuple[np.ndarray, bool]:
    """Contour levels over the finite grid values: log-spaced above the minimum where f spans
    decades, else quantiles (every band about as wide on the map), or evenly spaced."""
    count = how if isinstance(how, int) and not isinstance(how, bool) else 18
    finite = z[np.isfinite(z)]
    if finite.size == 0:
        raise RenderError("f is not finite anywhere on the domain, so there is nothing to draw")
    zmin = float(finite.min())
    if how == "linear":
        use_log = False
    elif how == "log":
        use_log = True
    else:  # auto (or a count): log where f spans decades above its minimum inside the view
        above = finite - zmin
        use_log = bounded and float(np.quantile(above, 0.9)) > 100 * float(np.quantile(above, 0.1))
    if use_log:
        span = float(np.quantile(finite, 0.995)) - zmin
        lo = max(span * 1e-4, float(np.quantile(finite - zmin, 0.002)), 1e-12)
        if span > lo:
            return zmin + np.geomspace(lo, span, count), True
    if how == "linear":
        lo, hi = np.quantile(finite, [0.01, 0.99])
        levels = np.linspace(lo, hi, count)
    else:
        levels = np.quantile(finite, np.linspace(0.03, 0.97, count))
    levels = np.unique(levels)
    if levels.size < 2:
        levels = np.array([zmin, zmin + 1.0])
    return levels, False


def _decades(lo: float, hi: float, most: int = 4) -> list[int]:
    """Exponents k with 10^k in [lo, hi]: every one, or every second, third... (multiples of the
    stride, so the labels read 10^-6, 10^0, 10^6), at most `most`."""
    if hi <= 0 or hi < lo:
        return []
    k0, k1 = int(np.ceil(np.log10(max(lo, 1e-300)) - 1e-9)), int(np.floor(np.log10(hi) + 1e-9))
    if k1 < k0:
        return []
    stride = max(1, int(np.ceil((k1 - k0 + 1) / most)))
    ks = [k for k in range(k0, k1 + 1) if k % stride == 0]
    return ks or [k1]


def _symlog_ticks(lo: float, hi: float, thresh: float, most: int = 3) -> list[float]:
    """A few ±10^k ticks (plus 0) for a symlog axis, thinned so labels never collide."""
    ticks = [0.0]
    for sign, end in ((1.0, hi), (-1.0, -lo)):
        if end <= thresh:
            continue
        ticks += [sign * 10.0**k for k in _decades(thresh * 10, end, most)]
    return sorted(ticks)


def _power_tick(value: float, _pos: object = None) -> str:
    """±10^k as mathtext (0 as 0; other values short)."""
    if value == 0:
        return "0"
    k = np.log10(abs(value))
    if abs(k - round(k)) > 1e-6:
        return _short_tick(value)
    k = int(round(k))
    sign = "−" if value < 0 else ""
    if k == 0:
        return f"{sign}1"
    if k == 1:
        return f"{sign}10"
    return f"${'-' if value < 0 else ''}10^{{{k}}}$"


def _short_tick(value: float, _pos: object = None) -> str:
    """Tick text that stays short: 25, 0.5, 2e4, −3 (a true minus sign)."""
    if abs(value) >= 1e4:
        text = f"{value:.0e}".replace("e+0", "e").replace("e-0", "e-").replace("e+", "e")
    else:
        text = f"{value:.6g}"
    return text.replace("-", "−")


def _surface(X: np.ndarray, Y: np.ndarray, Z: np.ndarray, rgb: np.ndarray):
    """One quad per grid cell, coloured by its first corner; cells touching NaN are dropped."""
    P = np.stack([X, Y, Z], axis=-1)
    quads = np.stack([P[:-1, :-1], P[:-1, 1:], P[1:, 1:], P[1:, :-1]], axis=2).reshape(-1, 4, 3)
    colors = np.concatenate([rgb[:-1, :-1].reshape(-1, 3), np.ones((len(quads), 1))], axis=1)
    ok = np.isfinite(quads).all(axis=(1, 2))
    return art3d.Poly3DCollection(
        quads[ok], facecolors=colors[ok], edgecolors=colors[ok], linewidths=0.3, antialiased=False
    )


def _every(n: int, cells: int) -> np.ndarray:
    """Indices of at most `cells + 1` of `n` grid lines, evenly spread, the first and the last
    among them (all of them when there are no more)."""
    if n <= cells + 1:
        return np.arange(n)
    return np.unique(np.round(np.linspace(0, n - 1, cells + 1)).astype(int))


def _bounded_below(z: np.ndarray) -> bool:
    """Heuristic: the grid minimum lies inside the domain, not on its edge."""
    filled = np.where(np.isfinite(z), z, np.inf)
    i, j = np.unravel_index(np.argmin(filled), z.shape)
    return 0 < i < z.shape[0] - 1 and 0 < j < z.shape[1] - 1


def thin(traj: Trajectories, most: int = MAX_PATHS) -> tuple[Trajectories, list[str]]:
    """At most `most` evenly chosen start points per run, so frames stay fast; says what it did."""
    n = max(r.xy.shape[1] for r in traj.runs)
    if n <= most:
        return traj, []
    keep = np.unique(np.linspace(0, n - 1, most).round().astype(int))
    runs = tuple(
        dataclasses.replace(
            r,
            xy=r.xy[:, keep],
            f=r.f[:, keep],
            diverged_at=r.diverged_at[keep],
            grads=None if r.grads is None else r.grads[:, keep],
            velocity=None if r.velocity is None else r.velocity[:, keep],
        )
        for r in traj.runs
    )
    note = f"the animation draws {len(keep)} of the {n} paths per optimizer (evenly chosen)"
    return dataclasses.replace(traj, runs=runs), [note]


class _Recorder:
    """Stands in for the renderer during one `Artist.draw`: keeps its draw_path / draw_markers
    calls (a copy of the graphics context, marker, transforms, face colour), draws nothing.
    `replayable` turns false if the artist drew anything else."""

    def __init__(self, renderer):
        self._renderer = renderer
        self.calls: list[tuple] = []
        self.replayable = True

    def __getattr__(self, name: str):
        if name.startswith("draw_"):
            self.replayable = False
            return lambda *args, **kwargs: None
        return getattr(self._renderer, name)

    def draw_path(self, gc, path, transform, rgbFace=None):  # noqa: N803 (matplotlib's name)
        self.calls.append((False, _copy_gc(gc), None, None, transform, rgbFace))

    def draw_markers(self, gc, marker_path, marker_trans, path, trans, rgbFace=None):  # noqa: N803
        self.calls.append((True, _copy_gc(gc), marker_path, marker_trans, trans, rgbFace))


def _copy_gc(gc):
    out = type(gc)()
    out.copy_properties(gc)
    return out


class _Stroke:
    """A Line2D's drawing recorded once and replayed with other vertices: the renderer calls that
    `Line2D.draw` makes (same graphics contexts, marker, transforms, colours, hence the same
    pixels), without re-deriving them for every frame. The line's own data is only a probe; a
    line drawn some other way is drawn by `Line2D.draw` itself."""

    def __init__(self, line: Line2D, renderer):
        self.line = line
        self.marker = line.get_marker()
        line.set_data([0.0, 1.0], [0.0, 1.0])  # something to draw, so every call is made
        recorder = _Recorder(renderer)
        line.draw(recorder)
        line.set_data([], [])
        self.calls = recorder.calls if recorder.replayable and recorder.calls else None

    def draw(self, renderer, path: Path) -> None:
        """Draw `path` (pixel vertices) the way the line would draw its data."""
        if self.calls is None:
            self.line.set_data(path.vertices[:, 0], path.vertices[:, 1])
            self.line.draw(renderer)
            return
        for markers, gc, marker_path, marker_trans, trans, face in self.calls:
            if markers:
                renderer.draw_markers(gc, marker_path, marker_trans, path, trans, face)
            else:
                renderer.draw_path(gc, path, trans, face)

    def draw_turned(self, renderer, xy: np.ndarray, angle: float) -> None:
        """Draw the line's marker once at pixel `xy`, turned by `angle` degrees."""
        if self.calls is None:
            self.line.set_marker(MarkerStyle(self.marker, transform=Affine2D().rotate_deg(angle)))
            self.line.set_data([xy[0]], [xy[1]])
            self.line.draw(renderer)
            self.line.set_marker(self.marker)
            return
        path = Path(np.asarray(xy, float).reshape(1, 2))
        for markers, gc, marker_path, marker_trans, trans, face in self.calls:
            if markers:
                turned = Affine2D().rotate_deg(angle) + marker_trans
                renderer.draw_markers(gc, marker_path, turned, path, trans, face)


@dataclasses.dataclass
class _Track:
    """One path of one run on one panel: vertices (data and pixels), how many each step draws,
    where it crosses the view's edge, where it diverged."""

    panel: str
    run: int
    path: int
    data: np.ndarray  # (M, D) vertices in the panel's data coordinates (NaN rows: breaks)
    upto: np.ndarray  # (T,) vertices drawn by step t
    inside: np.ndarray  # (T,) point t is in view (its head is drawn)
    last: np.ndarray  # (T,) last finite vertex drawn by step t (-1: none)
    crossings: tuple[G.Crossing, ...]
    diverged: int  # step, -1 if it did not
    px: np.ndarray | None = None  # (M, 2) pixel vertices
    turns: list[tuple[int, str, np.ndarray, float]] = dataclasses.field(default_factory=list)


def _text_px(size_pt: float) -> float:
    return size_pt * DPI / 72


class Scene:
    """A scenario's figure: background drawn once; `frame(i)` gives the RGB pixels of frame i."""

    def __init__(
        self,
        traj: Trajectories,
        size: tuple[int, int] | None = None,
        *,
        layout: str | None = None,
        bare: bool = False,
        height: G.HeightScale | None = None,
    ):
        """`bare`: the background leaves out the legend and the loss panel, for `subset_frame`
        (the last frame of some of the runs, with their own legend and loss panel) to draw.
        `height`: the surface's height scale, instead of the one the runs call for."""
        sc = traj.scenario
        self.layout = layout or getattr(sc.render, "layout", None) or "full"
        if self.layout not in LAYOUTS:
            raise ValueError(f"unknown layout {self.layout!r}; one of {', '.join(LAYOUTS)}")
        self.traj, self.notes = thin(traj)
        self.captions: list[str] = []
        self.width, self.height = size or (sc.render.width, sc.render.height)
        self.steps = frame_steps(sc.steps, sc.render.frames)
        self.styles = styles(traj)
        self.arrows = sc.render.arrows and self.layout in ("full", "contour")
        if self.layout == "full":
            self.scale = min(self.width / 1280, self.height / 720)
        else:
            self.scale = min(self.width / 800, self.height / 340)
        self.fig = Figure(figsize=(self.width / DPI, self.height / DPI), dpi=DPI)
        self.fig.patch.set_facecolor("white")
        self.canvas = FigureCanvasAgg(self.fig)
        self.ax_surface = self.ax_contour = self.ax_loss = None
        self.title_text = self.formula = None
        self.layout_problems: list[str] = []
        self._wrap = LEGEND_WIDTH if self.layout == "full" else LEGEND_WIDTH + 2
        self._height = height
        self._overlay: list = []  # drawn over the background before each frame's paths
        self._build()
        self._make_tracks()
        self._fit_with_overlaps()
        self.bare = bare
        if bare:
            self.legend.set_visible(False)
            if self.ax_loss is not None:
                self.ax_loss.set_visible(False)
        self.canvas.draw()
        self._project()
        self.background = self.canvas.copy_from_bbox(self.fig.bbox)

    # -- what to draw ---------------------------------------------------------------------------
    def _build(self) -> None:
        sc, s = self.traj.scenario, self.scale
        (x0, x1), (y0, y1) = sc.domain
        nx, ny = _grid_size(sc.view.grid)
        gx, gy = np.linspace(x0, x1, nx), np.linspace(y0, y1, ny)
        X, Y = np.meshgrid(gx, gy)
        with np.errstate(all="ignore"):
            Z = np.asarray(sc.function.value(np.stack([X, Y], axis=-1)), dtype=float)
        self.grid = (X, Y, Z)
        bounded = _bounded_below(Z)
        self.levels, self.log_levels = _levels(Z, sc.view.levels, bounded)
        self.norm = mcolors.BoundaryNorm(self.levels, BACKGROUND_CMAP.N, extend="both")
        self.f_star = float(np.min(sc.function.value(sc.minima))) if sc.minima.shape[0] else None
        if self.f_star is not None and not np.isfinite(self.f_star):
            self.f_star = None
        self._choose_aspect()
        self._choose_height(Z, bounded)
        self._choose_loss(Z)

        self.step_text = self.fig.text(
            1 - 12 * s / self.width, 1 - 10 * s / self.height, "", fontsize=FONT["step"] * s,
            ha="right", va="top", family="DejaVu Sans Mono",
        )  # fmt: skip
        if self.layout == "full":
            self.title_text = self.fig.text(
                16 * s / self.width, 1 - 12 * s / self.height, sc.title,
                fontsize=FONT["title"] * s, weight="bold", va="top",
            )  # fmt: skip
            self.formula = self.fig.text(
                16 * s / self.width, 1 - 56 * s / self.height, formula_text(self.traj),
                fontsize=FONT["formula"] * s, va="top", color="#333333",
            )  # fmt: skip
        rects = self._rects()
        if "surface" in rects:
            self._build_surface(rects["surface"])
        if "contour" in rects:
            self._build_contour(rects["contour"])
        if "loss" in rects:
            self._loss_rect = rects["loss"]
            self.ax_loss = self._build_loss(rects["loss"], self.loss)
        self._legend_anchor = rects["legend"]
        self._build_legend()

    def _choose_aspect(self) -> None:
        sc = self.traj.scenario
        (x0, x1), (y0, y1) = sc.domain
        self.ratio = (x1 - x0) / (y1 - y0)
        want = getattr(sc.view, "aspect", "equal") or "equal"
        self.equal = want == "equal" and 1 / MAX_ASPECT <= self.ratio <= MAX_ASPECT
        if want == "equal" and not self.equal:
            wide = self.ratio > 1
            times = f"{(self.ratio if wide else 1 / self.ratio):.3g}"
            self.captions.append(
                f"The contour map is stretched: the view is {times} times as "
                f"{'wide as it is tall' if wide else 'tall as it is wide'}, too far from square "
                "to draw to scale."
            )

    def _choose_height(self, Z: np.ndarray, bounded: bool) -> None:
        self._bounded = bounded
        if self._height is not None:
            self.height_scale = self._height
        else:
            self.height_scale, note = self.height_for(range(len(self.traj.runs)))
            if note:
                self.notes.append(note)
        if self.height_scale.log:
            self.captions.append(
                "The surface's height is drawn on a log scale"
                + (" of f − f*" if "f*" in self.height_scale.label else "")
                + ", so the region the paths run through keeps its relief."
            )
        self.zlim = self._zlim(Z)

    def height_for(self, runs) -> tuple[G.HeightScale, str | None]:
        """The surface's height scale the runs with these indices call for (and a note)."""
        sc = self.traj.scenario
        (x0, x1), (y0, y1) = sc.domain
        inview = []
        for i in runs:
            r = self.traj.runs[i]
            ok = G.inside_box(r.xy, (x0, y0), (x1, y1)) & np.isfinite(r.f)
            inview.append(r.f[ok])
        path_f = np.concatenate(inview + [np.zeros(0)])
        how = getattr(sc.view, "zscale", "auto") or "auto"
        if sc.view.zlim is not None and how == "auto":
            how = "linear"
        return G.height_scale(how, self.grid[2], path_f, bounded=self._bounded, f_star=self.f_star)

    def _zlim(self, Z: np.ndarray) -> tuple[float, float]:
        sc, hs = self.traj.scenario, self.height_scale
        if sc.view.zlim is not None:  # in f's units, on the height's scale
            lo, hi = (float(v) for v in hs(np.asarray(sc.view.zlim, dtype=float)))
            if hi > lo:
                return lo, hi
        finite = Z[np.isfinite(Z)]
        with np.errstate(all="ignore"):
            f0 = np.asarray(sc.function.value(np.asarray(sc.starts, dtype=float)), dtype=float)
        f0 = f0[np.isfinite(f0) & (f0 <= finite.max()) & (f0 >= finite.min())]
        if hs.log:
            zs = hs(finite)
            lo, hi = float(zs.min()), float(np.quantile(zs, 0.99))
            if f0.size:
                hi = max(hi, float(hs(f0).max()))
        else:
            lo, hi = (float(v) for v in np.quantile(finite, [0.01, 0.99]))
            if self.log_levels:
                lo = float(finite.min())
            if f0.size:
                lo, hi = min(lo, float(f0.min())), max(hi, float(f0.max()))
        if hi <= lo:
            hi = lo + 1.0
        pad = 0.03 * (hi - lo)
        return lo - pad, hi + pad

    def _choose_loss(self, Z: np.ndarray) -> None:
        sc = self.traj.scenario
        tol = sc.analysis.tolerance
        rise = G.tolerance_rise(sc.function, sc.minima, tol)
        saddle_rise = None
        if sc.saddles.shape[0]:
            ang = np.linspace(0, 2 * np.pi, 16, endpoint=False)
            ring = sc.saddles[0][None, :] + tol * np.column_stack([np.cos(ang), np.sin(ang)])
            with np.errstate(all="ignore"):
                here = float(np.asarray(sc.function.value(sc.saddles[:1]), float).reshape(-1)[0])
                d = np.abs(np.asarray(sc.function.value(ring), float) - here)
            d = d[np.isfinite(d) & (d > 0)]
            saddle_rise = float(np.median(d)) if d.size else None
        finite = Z[np.isfinite(Z)]
        span = float(np.quantile(finite, 0.99) - np.quantile(finite, 0.01)) if finite.size else 1.0
        self._loss_args = dict(f_star=self.f_star, rise=rise, saddle_rise=saddle_rise,
                               view_span=span)  # fmt: skip
        self.loss = self.loss_for(range(len(self.traj.runs)))

    def loss_for(self, runs) -> G.LossScale:
        """The loss panel's scale for the runs with these indices."""
        return G.loss_scale([self.traj.runs[i].f for i in runs], **self._loss_args)

    # -- layout -----------------------------------------------------------------------------------
    def _rects(self) -> dict[str, tuple[float, float, float, float]]:
        """Figure-fraction rectangles of the panels (frames, without their tick labels) and the
        legend's top-left corner."""
        W, H, s = self.width, self.height, self.scale
        out: dict[str, tuple[float, ...]] = {}

        def fit(w_max: float, h_max: float) -> tuple[float, float]:
            if not self.equal:
                return w_max, h_max
            w, h = w_max, w_max / self.ratio
            if h > h_max:
                w, h = h_max * self.ratio, h_max
            return w, h

        if self.layout == "full":
            sx, sy = W / 1280, H / 720
            top = 628 * sy
            # a view wider than tall takes some of the surface panel's width
            extra = min(max((self.ratio - 1.0) * 80.0, 0.0), 80.0) if self.equal else 0.0
            col_x0, col_w = (700 - extra) * sx, (300 + extra) * sx
            cw, ch = fit(col_w, 330 * sy)
            gap, bottom = 62 * sy, 62 * sy
            lh = min(max(top - bottom - gap - ch, 150 * sy), 250 * sy)
            total = ch + gap + lh
            group_top = top - max(0.0, (top - bottom - total) / 3)
            cx = col_x0 + (col_w - cw) / 2
            out["contour"] = (cx / W, (group_top - ch) / H, cw / W, ch / H)
            out["loss"] = (col_x0 / W, (group_top - total) / H, col_w / W, lh / H)
            out["surface"] = (0.0, 0.0, (640 - extra) * sx / W, (top + 8 * sy) / H)
            out["legend"] = ((col_x0 + col_w + 20 * sx) / W, group_top / H)
            self._column_left = (col_x0 - 70 * sx) / W
        else:
            legend_w = 245 * s
            top = H - 40 * s
            if self.layout == "contour":
                left, bottom = 62 * s, 52 * s
                right = W - legend_w - 18 * s
                cw, ch = fit(right - left, top - bottom)
                cx = left + (right - left - cw) / 2
                cy = bottom + (top - bottom - ch) / 2
                out["contour"] = (cx / W, cy / H, cw / W, ch / H)
                out["legend"] = ((W - legend_w) / W, (cy + ch) / H)
            else:
                right = W - legend_w
                out["surface"] = (0.0, 0.0, right / W, (top + 20 * s) / H)
                out["legend"] = ((W - legend_w) / W, top / H)
        return out  # type: ignore[return-value]

    def _build_surface(self, rect) -> None:
        sc, s, hs = self.traj.scenario, self.scale, self.height_scale
        X, Y, Z = self.grid
        (x0, x1), (y0, y1) = sc.domain
        ax3 = self.fig.add_axes(rect, projection="3d", computed_zorder=False)
        zlo, zhi = self.zlim
        Zt = hs(Z)
        # above the z range the surface is capped flat (a clean cut, not a ragged hole); below it
        # is left open, so an unbounded fall (the cubic's abyss) reads as a drop
        Zs = np.where(zlo <= Zt, np.minimum(Zt, zhi), np.nan)
        if hs.log:  # colour follows the (log) height
            rank = np.clip((Zt - zlo) / (zhi - zlo), 0.0, 1.0)
        else:  # colour follows the contour map's bands
            rank = np.interp(Z, self.levels, np.linspace(0.0, 1.0, len(self.levels)))
        rgb = SURFACE_CMAP(np.nan_to_num(rank, nan=1.0))[..., :3]
        relief = np.clip(np.nan_to_num(Zt, nan=zlo), zlo, zhi)
        rgb = LightSource(azdeg=315, altdeg=40).shade_rgb(
            rgb, relief, fraction=0.8, blend_mode="soft", vert_exag=(x1 - x0) / (zhi - zlo)
        )
        # no more quads than the panel can show (about SURFACE_CELL_PX pixels each): a finer
        # grid only adds polygons to project, sort and draw (the contour map keeps every point)
        most = max(8, int(rect[2] * self.width / SURFACE_CELL_PX))
        rows, cols = _every(Z.shape[0], most), _every(Z.shape[1], most)
        cut = np.ix_(rows, cols)
        self.surface = _surface(X[cut], Y[cut], Zs[cut], rgb[cut])
        ax3.add_collection3d(self.surface)
        ax3.set_xlim(x0, x1)
        ax3.set_ylim(y0, y1)
        ax3.set_zlim(zlo, zhi)
        ax3.view_init(elev=sc.view.elev, azim=sc.view.azim)
        r = min(max(self.ratio, 0.4), 2.5) if self.equal else 1.25
        box = (1.25, 1.25 / r, 0.75) if r >= 1 else (1.25 * r, 1.25, 0.75)
        self._zoom = 0.9
        ax3.set_box_aspect(box, zoom=self._zoom)
        for axis in (ax3.xaxis, ax3.yaxis, ax3.zaxis):
            axis.set_pane_color((0.97, 0.97, 0.98, 1.0))
            axis.label.set_size(FONT["label"] * s)
        ax3.tick_params(labelsize=FONT["tick"] * s, pad=0)
        ax3.xaxis.set_major_locator(MaxNLocator(4, steps=[1, 2, 2.5, 5, 10]))
        ax3.yaxis.set_major_locator(MaxNLocator(4, steps=[1, 2, 2.5, 5, 10]))
        ax3.xaxis.set_major_formatter(FuncFormatter(_short_tick))
        ax3.yaxis.set_major_formatter(FuncFormatter(_short_tick))
        if hs.log:
            ks = _decades(10.0**zlo, 10.0**zhi, 4)
            ticks = [float(hs(np.array(hs.offset + 10.0**k))) for k in ks]
            ax3.zaxis.set_major_locator(FixedLocator(ticks))
            labels = {round(t, 9): _power_tick(10.0**k) for t, k in zip(ticks, ks, strict=True)}
            ax3.zaxis.set_major_formatter(FuncFormatter(lambda v, _p: labels.get(round(v, 9), "")))
            ax3.zaxis.set_rotate_label(False)
            ax3.set_zlabel(hs.label, labelpad=6 * s, rotation=90)
        else:
            ax3.zaxis.set_major_locator(MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]))
            ax3.zaxis.set_major_formatter(FuncFormatter(_short_tick))
        ax3.set_xlabel("x", labelpad=2 * s)
        ax3.set_ylabel("y", labelpad=2 * s)
        self.ax_surface = ax3

    def _build_contour(self, rect) -> None:
        sc, s = self.traj.scenario, self.scale
        X, Y, Z = self.grid
        (x0, x1), (y0, y1) = sc.domain
        axc = self.fig.add_axes(rect)
        self._draw_map(axc, s, lines=0.5 * s + 0.2)
        axc.set_xlim(x0, x1)
        axc.set_ylim(y0, y1)
        axc.set_aspect("equal" if self.equal else "auto", adjustable="box", anchor="C")
        tick_px = _text_px(FONT["tick"] * s)
        w_px, h_px = rect[2] * self.width, rect[3] * self.height
        axc.xaxis.set_major_locator(
            MaxNLocator(max(2, int(w_px / (4.5 * tick_px))), steps=[1, 2, 2.5, 5, 10])
        )
        axc.yaxis.set_major_locator(
            MaxNLocator(max(2, int(h_px / (2.6 * tick_px))), steps=[1, 2, 2.5, 5, 10])
        )
        for axis in (axc.xaxis, axc.yaxis):
            axis.set_major_formatter(FuncFormatter(_short_tick))
        axc.tick_params(labelsize=FONT["tick"] * s, pad=2 * s)
        axc.set_xlabel("x", fontsize=FONT["label"] * s, labelpad=1)
        axc.set_ylabel("y", fontsize=FONT["label"] * s, labelpad=4 * s, rotation=0, va="center",
                       ha="right")  # fmt: skip
        self.ax_contour = axc

    def _draw_map(self, ax, s: float, lines: float, marks: float = 1.0) -> None:
        """The function's contour map, known minima and start points, into any 2-D axes."""
        sc = self.traj.scenario
        X, Y, Z = self.grid
        ax.contourf(X, Y, Z, levels=self.levels, cmap=BACKGROUND_CMAP, norm=self.norm,
                    extend="both")  # fmt: skip
        ax.contour(X, Y, Z, levels=self.levels, colors="#6b7380", linewidths=lines,
                   negative_linestyles="solid")  # fmt: skip
        ms = (9 * s + 2) * marks
        if len(sc.minima):
            whole = self._all_inside(sc.minima)
            ax.plot(*np.asarray(sc.minima).T, ls="none", marker="*", ms=ms * 1.6, mfc="white",
                    mec=EDGE, mew=0.8, zorder=5, clip_on=not whole)  # fmt: skip
        whole = self._all_inside(sc.starts)
        ax.plot(*np.asarray(sc.starts).T, ls="none", marker="o", ms=ms, mfc="white",
                mec=EDGE, mew=1.0, zorder=5, clip_on=not whole)  # fmt: skip

    def _all_inside(self, points: np.ndarray) -> bool:
        """Whether every point lies in the view (drawn whole then, even on its edge)."""
        (x0, x1), (y0, y1) = self.traj.scenario.domain
        return bool(G.inside_box(np.asarray(points, float), (x0, y0), (x1, y1)).all())

    def _build_loss(self, rect, L: G.LossScale):
        """The loss panel (without its curves) for scale `L`."""
        sc, s = self.traj.scenario, self.scale
        axl = self.fig.add_axes(rect)
        if L.scale == "log":
            axl.set_yscale("log")
            axl.set_ylim(L.lo, L.hi)
            ticks = [10.0**k for k in _decades(L.lo, L.hi, 4)]
            if self.f_star is not None:  # the floor is the tolerance: say so on its tick
                ticks = [v for v in ticks if abs(np.log10(v / L.floor)) > 0.7] + [L.floor]
                floor = L.floor
                axl.yaxis.set_major_formatter(
                    FuncFormatter(lambda v, p: "tol" if v == floor else _power_tick(v))
                )
                axl.axhline(floor, color="#8a8f96", lw=0.8, ls=(0, (1, 2)), zorder=1)
            else:
                axl.yaxis.set_major_formatter(FuncFormatter(_power_tick))
            axl.yaxis.set_major_locator(FixedLocator(sorted(ticks)))
        elif L.scale == "symlog":
            axl.set_yscale("symlog", linthresh=L.floor)
            axl.set_ylim(L.lo, L.hi)
            axl.yaxis.set_major_locator(FixedLocator(_symlog_ticks(L.lo, L.hi, L.floor)))
            axl.yaxis.set_major_formatter(FuncFormatter(_power_tick))
        else:
            axl.set_ylim(L.lo, L.hi)
            axl.yaxis.set_major_locator(MaxNLocator(4))
            axl.yaxis.set_major_formatter(FuncFormatter(_short_tick))
        axl.yaxis.set_minor_locator(NullLocator())
        axl.set_xlim(0, max(sc.steps, 1))
        axl.xaxis.set_major_locator(MaxNLocator(5, integer=True))
        axl.grid(True, which="major", color="#e4e4e4", lw=0.6)
        axl.tick_params(labelsize=FONT["tick"] * s, pad=2 * s)
        axl.set_xlabel("step", fontsize=FONT["label"] * s, labelpad=1)
        axl.set_ylabel(L.label, fontsize=FONT["label"] * s, labelpad=2)
        return axl

    def _build_legend(self, overlaps: dict[int, list[str]] | None = None) -> None:
        if getattr(self, "legend", None) is not None:
            self.legend.remove()
        self.legend = self._make_legend(
            range(len(self.traj.runs)),
            overlaps or {},
            getattr(self, "_crossing_kinds", set()),
            self._wrap,
            getattr(self, "_legend_font", self._legend_size()),
            getattr(self, "_legend_spacing", 0.75),
        )

    def _make_legend(self, keep, overlaps: dict[int, list[str]], kinds: set[str], wrap: int,
                     fontsize: float, spacing: float):  # fmt: skip
        """The figure's legend for the runs with indices `keep` (which cross the view's edge in
        the ways `kinds` says)."""
        s = self.scale
        lw = self._line_width()
        ms = 7 * s + 2
        runs = [self.traj.runs[i] for i in keep]
        handles = [
            Line2D([], [], color=st.color, ls=st.linestyle, marker=st.marker, lw=lw, ms=ms,
                   mec=EDGE, mew=0.6, label=legend_text(r, overlaps.get(i, ()), wrap))
            for i, r, st in ((i, self.traj.runs[i], self.styles[i]) for i in keep)
        ]  # fmt: skip
        handles.append(Line2D([], [], ls="none", marker="o", mfc="white", mec=EDGE, ms=ms,
                              label="start"))  # fmt: skip
        if len(self.traj.scenario.minima) and self.layout != "surface":
            handles.append(Line2D([], [], ls="none", marker="*", mfc="white", mec=EDGE,
                                  ms=ms * 1.5, label="known minimum"))  # fmt: skip
        if "leave" in kinds:
            handles.append(Line2D([], [], ls="none", marker=MarkerStyle(DART, transform=Affine2D()
                                  .rotate_deg(-90)), mfc="#888888", mec=EDGE, mew=0.7,
                                  ms=ms * 1.3, label="leaves the view"))  # fmt: skip
        if "back" in kinds:
            handles.append(Line2D([], [], ls="none", marker=MarkerStyle(DART, transform=Affine2D()
                                  .rotate_deg(90)), mfc="white", mec="#666666", mew=1.6,
                                  ms=ms * 1.3, label="comes back"))  # fmt: skip
        if any(r.diverged for r in runs):
            handles.append(Line2D([], [], ls="none", marker="X", mfc="#999999", mec=EDGE,
                                  ms=ms * 1.15, label="diverged"))  # fmt: skip
        if self.arrows:
            grey = "#555555"
            handles += [
                Line2D([], [], color=grey, lw=1.4 * s + 0.4, label="→ −∇f (direction)"),
                Line2D([], [], color=grey, lw=2.6 * s + 0.4, label="→ actual step"),
                Line2D([], [], color=grey, lw=1.4 * s + 0.4, ls=(0, (2, 1)), label="→ velocity"),
            ]
        return self.fig.legend(
            handles=handles, loc="upper left", bbox_to_anchor=self._legend_anchor,
            fontsize=fontsize, frameon=False, handlelength=2.6, borderaxespad=0,
            labelspacing=spacing, handletextpad=0.5,
        )  # fmt: skip

    def _line_width(self) -> float:
        return max(1.5, 2.3 * self.scale)

    # -- fitting the texts ------------------------------------------------------------------------
    def drawn_texts(self) -> list[Text]:
        """Every text the figure draws (measured without rasterising anything)."""
        surface = getattr(self, "surface", None)
        if surface is not None:
            surface.set_visible(False)
        try:
            return _texts_drawn_by(self.fig, self.canvas.get_renderer())
        finally:
            if surface is not None:
                surface.set_visible(True)

    def _fit(self) -> None:
        """Move, shrink or thin what the layout makes collide, until no two texts overlap and
        every text is inside the frame; what cannot be fixed is kept in `layout_problems`."""
        sc = self.traj.scenario
        self.step_text.set_text(self.step_label(sc.steps))
        renderer = self.canvas.get_renderer()
        texts: list[Text] = []
        for _attempt in range(12):
            texts = self.drawn_texts()
            boxes = [t.get_window_extent(renderer) for t in texts]
            owners = self._text_owners()
            changed = self._fit_outside(renderer) or self._keep_inside(texts, boxes, owners)
            changed = self._resolve_overlaps(texts, boxes, owners, renderer) or changed
            if not changed:
                break
        self._fitted = not changed  # settled: fitting again would change nothing
        self.layout_problems = [
            f"{a.get_text()!r} overlaps {b.get_text()!r}"
            for a, b in _overlapping(texts, [t.get_window_extent(renderer) for t in texts], 0.0)
        ]
        self.step_text.set_text("")

    def _keep_inside(self, texts, boxes, owners) -> bool:
        """A panel's texts kept inside the frame: a smaller 3-D box, a 2-D panel moved right."""
        fig = self.fig.bbox
        for t, b in zip(texts, boxes, strict=True):
            o = owners.get(id(t))
            out = b.x0 < fig.x0 or b.x1 > fig.x1 or b.y0 < fig.y0 or b.y1 > fig.y1
            if not (out and o):
                continue
            if o[0] is self.ax_surface:
                self._zoom *= 0.95
                self.ax_surface.set_box_aspect(self.ax_surface.get_box_aspect(), zoom=self._zoom)
                return True
            if b.x0 < fig.x0:
                pos = o[0].get_position()
                dx = (fig.x0 - b.x0 + 4) / fig.width
                o[0].set_position((pos.x0 + dx, pos.y0, pos.width - dx, pos.height))
                return True
        return False

    def _fit_outside(self, renderer) -> bool:
        """Title, formula and legend kept inside the frame (smaller, then cut)."""
        changed = False
        fig_w = self.fig.bbox.width
        for t in (self.title_text, self.formula):
            if t is None:
                continue
            right = (
                self.step_text.get_window_extent(renderer).x0 - 12
                if t is self.title_text
                else fig_w - 8
            )
            box = t.get_window_extent(renderer)
            if box.x1 > right:
                size = t.get_fontsize()
                if size * 0.92 >= self._min_font():
                    t.set_fontsize(size * 0.92)
                elif t is self.title_text and len(t.get_text()) > 8:
                    t.set_text(t.get_text()[: max(8, int(len(t.get_text()) * 0.9))].rstrip() + "…")
                else:
                    continue
                changed = True
        box = self.legend.get_window_extent(renderer)
        if box.x1 > fig_w - 2 and self._wrap > 12:
            self._wrap -= 2
            self._build_legend(getattr(self, "_overlap_names", None))
            changed = True
        elif box.y0 < 2:
            spacing = getattr(self, "_legend_spacing", 0.75)
            font = getattr(self, "_legend_font", self._legend_size())
            if spacing > 0.3:
                self._legend_spacing = spacing - 0.15
            elif font * 0.93 >= self._min_font():
                self._legend_font = font * 0.93
            else:
                return changed
            self._build_legend(getattr(self, "_overlap_names", None))
            changed = True
        return changed

    def _legend_size(self) -> float:
        """The legend's font size: smaller beside a single panel (a slide has room for less)."""
        return (FONT["legend"] if self.layout == "full" else 10.5) * self.scale

    def _min_font(self) -> float:
        """Smallest font size (points): 14 px at 1280x720, in proportion below."""
        return MIN_TEXT_PX * 72 / DPI * min(1.0, self.scale)

    def _text_owners(self) -> dict[int, tuple]:
        """id(text) -> (axis, tick location) for tick labels; (axes, "label") for axis labels."""
        owners: dict[int, tuple] = {}
        for ax in (self.ax_surface, self.ax_contour, self.ax_loss):
            if ax is None:
                continue
            axes = [ax.xaxis, ax.yaxis] + ([ax.zaxis] if ax is self.ax_surface else [])
            for axis in axes:
                for tick in axis.get_major_ticks():
                    owners[id(tick.label1)] = (ax, axis, tick.get_loc())
                owners[id(axis.label)] = (ax, axis, None)
        return owners

    def _resolve_overlaps(self, texts, boxes, owners, renderer) -> bool:
        """Move texts apart where two overlap (each owner once per pass); True if any moved."""
        changed, touched = False, set()
        for a, b in _overlapping(texts, boxes, 2.0):
            keys = {id(owners[id(t)][0]) if id(t) in owners else id(t) for t in (a, b)}
            if keys & touched:
                continue
            if self._resolve(a, b, owners, renderer):
                touched |= keys
                changed = True
        return changed

    def _resolve(self, a: Text, b: Text, owners, renderer) -> bool:
        """Change the layout so that texts a and b stop overlapping; True if anything changed."""
        oa, ob = owners.get(id(a)), owners.get(id(b))
        ax3 = self.ax_surface
        # the surface panel's texts against the middle column's: make the 3-D panel narrower
        if ax3 is not None and oa and ob and (oa[0] is ax3) != (ob[0] is ax3):
            mine, other = (a, b) if oa[0] is ax3 else (b, a)
            over = mine.get_window_extent(renderer).x1 - other.get_window_extent(renderer).x0
            pos = ax3.get_position()
            width = pos.width - (over + 6) / self.fig.bbox.width
            if width < 0.3:
                return False
            ax3.set_position((pos.x0, pos.y0, width, pos.height))
            return True
        if ax3 is not None and (
            a in (self.title_text, self.formula) or b in (self.title_text, self.formula)
        ):
            other = b if a in (self.title_text, self.formula) else a
            if owners.get(id(other)) and owners[id(other)][0] is ax3:
                self._zoom *= 0.95
                ax3.set_box_aspect(ax3.get_box_aspect(), zoom=self._zoom)
                return True
        if oa and ob and oa[2] is not None and ob[2] is not None:
            if oa[1] is ob[1]:  # two ticks of one axis: every other one, or the lesser one
                if isinstance(oa[1].get_major_locator(), FixedLocator) and oa[0] is self.ax_loss:
                    return _drop_tick(oa[1], oa[2], ob[2])
                return _thin_ticks(oa[1])
            # ticks of two axes of the 3-D panel meeting at a corner: drop one of them
            axis, loc = (
                (ob[1], ob[2])
                if len(ob[1].get_majorticklocs()) >= len(oa[1].get_majorticklocs())
                else (oa[1], oa[2])
            )
            locs = [v for v in axis.get_majorticklocs() if v != loc]
            if len(locs) < 2:
                return False
            formatter = axis.get_major_formatter()
            axis.set_major_locator(FixedLocator(locs))
            axis.set_major_formatter(formatter)
            return True
        if oa and ob and oa[2] is None and oa[0] is ax3 and ob[2] is not None:
            oa[1].labelpad = oa[1].labelpad + 4 * self.scale
            return True
        if oa and ob and ob[2] is None and ob[0] is ax3 and oa[2] is not None:
            ob[1].labelpad = ob[1].labelpad + 4 * self.scale
            return True
        if oa and ob and oa[0] is ob[0] and (oa[2] is None) != (ob[2] is None):
            label_axis = oa[1] if oa[2] is None else ob[1]
            label_axis.labelpad = label_axis.labelpad + 3 * self.scale
            return True
        if ax3 is not None and ((oa and oa[0] is ax3) or (ob and ob[0] is ax3)):
            self._zoom *= 0.95
            ax3.set_box_aspect(ax3.get_box_aspect(), zoom=self._zoom)
            return True
        return False

    # -- paths ------------------------------------------------------------------------------------
    def _panels(self) -> list[tuple[str, object]]:
        return [
            (name, ax)
            for name, ax in (("surface", self.ax_surface), ("contour", self.ax_contour),
                             ("loss", self.ax_loss))
            if ax is not None
        ]  # fmt: skip

    def _make_tracks(self) -> None:
        """Every path clipped to every panel's view (data coordinates), the runs that hide each
        other, and the caption's sentences; the legend updated to say so."""
        sc, hs = self.traj.scenario, self.height_scale
        (x0, x1), (y0, y1) = sc.domain
        zlo, zhi = self.zlim
        self.tracks: list[_Track] = []
        for panel, _ax in self._panels():
            for i, r in enumerate(self.traj.runs):
                T, N = r.f.shape
                for k in range(N):
                    div = int(r.diverged_at[k])
                    if panel == "loss":
                        tr = self._loss_track(i, k, r.f[:, k], div, self.loss)
                    else:
                        if panel == "surface":
                            pts = np.column_stack([r.xy[:, k], hs(r.f[:, k])])
                            c = G.clip_path(pts, (x0, y0, zlo), (x1, y1, zhi))
                        else:
                            c = G.clip_path(r.xy[:, k], (x0, y0), (x1, y1))
                        tr = _Track(panel, i, k, c.verts, c.upto, c.inside, c.last,
                                    c.crossings, div)  # fmt: skip
                    self.tracks.append(tr)
        # at most MAX_CROSSINGS markers, the earliest ones
        all_cross = sorted(
            (c.step, n, m) for n, tr in enumerate(self.tracks) for m, c in enumerate(tr.crossings)
        )
        self._crossings_cut = len(all_cross) > MAX_CROSSINGS
        keep = {(n, m) for _s, n, m in all_cross[:MAX_CROSSINGS]}
        for n, tr in enumerate(self.tracks):
            tr.crossings = tuple(c for m, c in enumerate(tr.crossings) if (n, m) in keep)
        self._crossing_kinds = {c.kind for tr in self.tracks for c in tr.crossings}
        self._previews = []
        if self.ax_loss is not None:  # every curve whole and faint behind, as a preview
            self._previews = self._plot_previews(self.ax_loss, self.tracks)
        for r in self.traj.runs:
            if r.xy.shape[1] == 1:
                text = G.view_sentence(r.spec.label, r.xy[:, 0], sc.domain, int(r.diverged_at[0]))
            else:
                text = G.paths_sentence(r.spec.label, r.xy, sc.domain)
            if text:
                self.captions.append(text)
        # measured on the layout before fitting (a 3-D panel alone has no projection before its
        # first draw: nothing yet); `_fit_with_overlaps` measures them again after
        self.cased, self._overlap_names = {}, {}
        if self.ax_contour is not None:
            self.cased, self._overlap_names = self._find_overlaps(range(len(self.traj.runs)))
        if self._overlap_names or self._crossing_kinds:
            self._build_legend(self._overlap_names)

    def _fit_with_overlaps(self) -> None:
        """Fit the texts with the legend that says which runs overlap; fitting can move or shrink
        a panel, so the overlaps are measured again on the fitted layout (and the legend fitted
        again in the rare case that changes them); the caption says the final ones."""
        everyone = range(len(self.traj.runs))
        self._fit()
        if not self._fitted:  # still changing after its passes: as many again
            self._fit()
        for _attempt in range(2):
            cased, names = self._find_overlaps(everyone)
            if names == self._overlap_names:
                break
            self.cased, self._overlap_names = cased, names
            self._build_legend(names)
            self._fit()
        self.cased, self._overlap_names = self._find_overlaps(everyone, say=True)

    def _plot_previews(self, ax, tracks) -> list[tuple[int, Line2D]]:
        """Every loss curve of `tracks` whole and faint into `ax`: (run, line)."""
        lw = self._line_width() * 0.7
        out = []
        for tr in tracks:
            if tr.panel == "loss" and len(tr.data):
                st = self.styles[tr.run]
                (line,) = ax.plot(tr.data[:, 0], tr.data[:, 1], color=st.color, ls=st.linestyle,
                                  lw=lw, alpha=0.22, zorder=2)  # fmt: skip
                out.append((tr.run, line))
        return out

    def _loss_track(self, i: int, k: int, f: np.ndarray, div: int, L: G.LossScale) -> _Track:
        v = L.values(f)
        T = len(f)
        finite = np.isfinite(v)
        n = int(np.argmin(finite)) if not finite.all() else T
        data = np.column_stack([np.arange(n, dtype=float), v[:n]])
        upto = np.minimum(np.arange(1, T + 1), n)
        if div >= 0:
            last_v = v[n - 1] if n else 0.0
            edge = L.lo if (L.scale != "log" and last_v < 0) else L.hi
            data = np.concatenate([data, [[float(div), edge]]])
            upto = np.where(np.arange(T) >= div, n + 1, upto)
        last = upto - 1
        return _Track("loss", i, k, data, upto, finite, last, (), div)

    def _find_overlaps(self, keep, say: bool = False) -> tuple[dict[int, bool], dict[int, list]]:
        """Runs (of those with indices `keep`) whose paths lie on each other for most of their
        length, or move as one: the later one would hide the earlier, so the earlier is drawn
        wider (a coloured casing around the later; its marker larger when they move together)
        and the legend says "overlaps". (cased: run -> its marker too, names: run -> the runs it
        overlaps); `say`: the caption says so too."""
        runs = self.traj.runs
        keep = set(keep)
        cased: dict[int, bool] = {}  # run -> its marker too (they move together)
        names: dict[int, list[str]] = {}
        panel = "contour" if self.ax_contour is not None else "surface"
        ax = self.ax_contour if self.ax_contour is not None else self.ax_surface
        lines: list[np.ndarray | None] = [None] * len(runs)
        points: list[np.ndarray | None] = [None] * len(runs)
        for tr in self.tracks:
            if tr.panel == panel and tr.run in keep and runs[tr.run].xy.shape[1] == 1:
                lines[tr.run] = self._to_pixels(panel, ax, tr.data)
                r = runs[tr.run]
                if panel == "contour":
                    pts = ax.transData.transform(r.xy[:, 0])
                else:
                    pts = self._to_pixels(
                        panel, ax, np.column_stack([r.xy[:, 0], self.height_scale(r.f[:, 0])])
                    )
                pts[~tr.inside] = np.nan
                points[tr.run] = pts
        tol = max(1.0, 0.6 * self._line_width())
        for o in G.overlapping(lines, points, tol):
            i, j = o.i, o.j
            cased[i] = cased.get(i, False) or o.moving
            names.setdefault(i, []).append(runs[j].spec.label)
            names.setdefault(j, []).append(runs[i].spec.label)
            if not say:
                continue
            how = "move together and " if o.moving else ""
            self.captions.append(
                f"{runs[i].spec.label} and {runs[j].spec.label} overlap: their paths {how}stay "
                f"within a pixel of each other for most of the way ({runs[i].spec.label} is drawn "
                f"as the wider line around {runs[j].spec.label})."
            )
        return cased, names

    def _to_pixels(self, panel: str, ax, data: np.ndarray) -> np.ndarray:
        if panel == "surface":
            xs, ys, _ = proj3d.proj_transform(data[:, 0], data[:, 1], data[:, 2], ax.M)
            return ax.transData.transform(np.column_stack([xs, ys]))
        return ax.transData.transform(data)

    def _project_track(self, tr: _Track, ax) -> None:
        """Pixel coordinates of a track's vertices, and where its crossing markers go."""
        tr.px = np.ascontiguousarray(self._to_pixels(tr.panel, ax, tr.data))
        tr.turns = []
        for c in tr.crossings:
            p = self._to_pixels(tr.panel, ax, c.point[None, :])[0]
            d = c.direction / max(float(np.abs(c.direction).max()), 1e-300)
            q = self._to_pixels(tr.panel, ax, (c.point + 1e-3 * self._span() * d)[None, :])[0]
            angle = float(np.degrees(np.arctan2(q[1] - p[1], q[0] - p[0]))) - 90.0
            tr.turns.append((c.step, c.kind, p, angle))

    def _project(self) -> None:
        """Pixel coordinates of every track (after the background is drawn); recorded strokes."""
        axes = dict(self._panels())
        for tr in self.tracks:
            self._project_track(tr, axes[tr.panel])
        # points (pixels, NaN out of view) of the contour panel, for the arrows
        self._points: dict[tuple[int, int], np.ndarray] = {}
        if self.ax_contour is not None:
            for tr in self.tracks:
                if tr.panel == "contour":
                    xy = self.traj.runs[tr.run].xy[:, tr.path]
                    px = self.ax_contour.transData.transform(xy)
                    px[~tr.inside] = np.nan
                    self._points[(tr.run, tr.path)] = px

        s = self.scale
        renderer = self.canvas.get_renderer()
        ident = IdentityTransform()
        self._kw, self._strokes = self._make_strokes(
            range(len(self.traj.runs)), self.cased, self._panels()
        )
        cursor = Line2D([], [], color=CURSOR_COLOUR, lw=1.0, ls=(0, (3, 2)), transform=ident)
        cursor.set_figure(self.fig)
        self.cursor = cursor
        self._cursor = _Stroke(cursor, renderer)
        self._arrows = []
        if self.arrows and self.ax_contour is not None:
            for i in range(len(self.traj.runs)):
                for k in range(self.traj.runs[i].xy.shape[1]):
                    trio = []
                    color = self.styles[i].color
                    for width, style in ((1.5, "-"), (2.6, "-"), (1.5, (0, (2, 1)))):
                        a = FancyArrowPatch((0, 0), (0, 0), arrowstyle="-|>",
                                            mutation_scale=14 * s + 4, color=color,
                                            lw=width * s + 0.4, ls=style, transform=ident,
                                            shrinkA=0, shrinkB=0)  # fmt: skip
                        a.set_figure(self.fig)
                        a.set_clip_box(self.ax_contour.bbox)
                        trio.append(a)
                    self._arrows.append((i, k, trio))

    def _make_strokes(self, runs, cased: dict[int, bool], panels):
        """The looks (keyword arguments) and recorded strokes of the runs with these indices on
        the (name, axes) `panels`: {(panel, run): {"line"|"head"|...: ...}} each."""
        s = self.scale
        lw, ms = self._line_width(), 7.5 * s + 2.5
        alpha = 1.0
        if max(r.xy.shape[1] for r in self.traj.runs) > 1:
            # many starts (or noisy repeats): thin, translucent paths so the spread reads as a band
            lw, ms, alpha = max(0.8, 0.45 * lw), 0.6 * ms, 0.6
        renderer = self.canvas.get_renderer()
        ident = IdentityTransform()
        kws: dict[tuple[str, int], dict[str, dict]] = {}
        strokes: dict[tuple[str, int], dict[str, _Stroke]] = {}
        for panel, ax in panels:
            for i in runs:
                st = self.styles[i]
                wide = i in cased and (panel != "loss" or cased[i])
                big = cased.get(i, False)
                kw = {
                    "line": dict(color=st.color, ls=st.linestyle, lw=lw * (2.2 if wide else 1.0),
                                 alpha=alpha, solid_capstyle="round"),
                    "head": dict(ls="none", marker=st.marker, ms=ms * (1.55 if big else 1.0),
                                 mfc=st.color, mec=EDGE, mew=0.8),
                    "cross": dict(ls="none", marker="X", ms=ms * 1.25, mfc=st.color, mec=EDGE,
                                  mew=0.8),
                    "leave": dict(ls="none", marker=DART, ms=ms * (2.0 if big else 1.35),
                                  mfc=st.color, mec=EDGE, mew=0.7),
                    "back": dict(ls="none", marker=DART, ms=ms * (2.0 if big else 1.35),
                                 mfc="white", mec=st.color, mew=max(1.2, 1.6 * s)),
                }  # fmt: skip
                kws[(panel, i)] = kw
                made = {}
                for name, props in kw.items():
                    a = Line2D([], [], transform=ident, **props)
                    a.set_figure(self.fig)
                    if name == "line":
                        a.set_clip_box(ax.bbox)
                    else:  # a marker on the frame's edge is drawn whole
                        a.set_clip_on(False)
                    made[name] = _Stroke(a, renderer)
                strokes[(panel, i)] = made
        return kws, strokes

    # -- some of the runs -------------------------------------------------------------------------
    def subset_frame(self, keep) -> np.ndarray | None:
        """RGB pixels (height, width, 3) of the last frame with only the runs whose indices are
        in `keep`: their paths, a legend of their own and, on the loss panel, their curves on the
        scale they call for; on a scene made with `bare=True` (whose background has neither
        legend nor loss panel), so the surface and the map are drawn once for every subset.

        None when the background cannot take them (their loss panel's texts would collide with
        the rest of the figure, or the scene drew only the earliest of its crossings): draw a
        Scene of those runs instead."""
        if not self.bare:
            raise ValueError("subset_frame needs a Scene made with bare=True")
        if self._crossings_cut:
            return None
        chosen = set(keep)
        keep = sorted(chosen)
        saved = (self.tracks, self._strokes, self._arrows, self.ax_loss, self.loss, self._overlay)
        made: list = []  # artists added for this subset, removed after
        hidden: list = []  # preview curves of the other runs, hidden meanwhile
        try:
            tracks = [tr for tr in self.tracks if tr.run in chosen and tr.panel != "loss"]
            overlay: list = []
            if self.ax_loss is not None:
                scale = self.loss_for(keep)
                base = [tr for tr in self.tracks if tr.panel == "loss" and tr.run in chosen]
                if scale == self.loss:  # the scene's own panel, with only these runs' curves
                    axl = self.ax_loss
                    for run, line in self._previews:
                        if run not in chosen:
                            line.set_visible(False)
                            hidden.append(line)
                    axl.set_visible(True)
                    tracks += base
                else:  # a panel of their own on their scale
                    fixed = self._fixed_boxes()
                    axl = self._build_loss(self._loss_rect, scale)
                    made.append(axl)
                    self.ax_loss, self.loss = axl, scale
                    mine = [
                        self._loss_track(tr.run, tr.path, self.traj.runs[tr.run].f[:, tr.path],
                                         tr.diverged, scale)
                        for tr in base
                    ]  # fmt: skip
                    self._plot_previews(axl, mine)
                    if not self._fit_panel(axl, fixed):
                        return None
                    for tr in mine:
                        self._project_track(tr, axl)
                    tracks += mine
                overlay.append(axl)
            cased, names = self._find_overlaps(keep)
            kinds = {c.kind for tr in tracks for c in tr.crossings}
            legend = self._subset_legend(keep, names, kinds)
            made.append(legend)
            overlay.append(legend)
            _kw, strokes = self._make_strokes(keep, cased, self._panels())
            self.tracks, self._strokes, self._overlay = tracks, strokes, overlay
            self._arrows = [a for a in self._arrows if a[0] in chosen]
            return self.frame(len(self.steps) - 1)
        finally:
            self.tracks, self._strokes, self._arrows, self.ax_loss, self.loss = saved[:5]
            self._overlay = saved[5]
            for a in made:
                a.remove()
            for line in hidden:
                line.set_visible(True)
            if self.ax_loss is not None:
                self.ax_loss.set_visible(False)

    def _subset_legend(self, keep, names: dict[int, list[str]], kinds: set[str]):
        """The legend of some runs, fitted into the frame as `_fit` fits the scene's own."""
        renderer = self.canvas.get_renderer()
        fig_w = self.fig.bbox.width
        wrap = LEGEND_WIDTH if self.layout == "full" else LEGEND_WIDTH + 2
        font, spacing = self._legend_size(), 0.75
        for _attempt in range(24):
            legend = self._make_legend(keep, names, kinds, wrap, font, spacing)
            box = legend.get_window_extent(renderer)
            if box.x1 > fig_w - 2 and wrap > 12:
                wrap -= 2
            elif box.y0 < 2 and spacing > 0.3:
                spacing -= 0.15
            elif box.y0 < 2 and font * 0.93 >= self._min_font():
                font *= 0.93
            else:
                break
            legend.remove()
        return legend

    def _fixed_boxes(self) -> list:
        """Window boxes of every text of a bare scene's background (step counter at its widest)."""
        if getattr(self, "_fixed", None) is None:
            renderer = self.canvas.get_renderer()
            self.step_text.set_text(self.step_label(self.traj.scenario.steps))
            try:
                self._fixed = [t.get_window_extent(renderer) for t in self.drawn_texts()]
            finally:
                self.step_text.set_text("")
        return self._fixed

    def _texts_of(self, ax) -> list[Text]:
        """Every text one axes draws (measured without rasterising anything)."""
        return _texts_drawn_by(ax, self.canvas.get_renderer())

    def _fit_panel(self, ax, fixed: list) -> bool:
        """Fit a loss panel drawn over a bare background (`self.ax_loss` is `ax`) as `_fit` would:
        its colliding ticks thinned, labels moved off its ticks, moved right if its texts stick
        out on the left. False if a text of it would overlap a text of the background (boxes
        `fixed`): `_fit` would have changed the rest of the figure for it."""
        renderer = self.canvas.get_renderer()
        fig = self.fig.bbox
        for _attempt in range(12):
            texts = self._texts_of(ax)
            boxes = [t.get_window_extent(renderer) for t in texts]
            changed = False
            for b in boxes:
                if b.x0 < fig.x0:
                    pos = ax.get_position()
                    dx = (fig.x0 - b.x0 + 4) / fig.width
                    ax.set_position((pos.x0 + dx, pos.y0, pos.width - dx, pos.height))
                    changed = True
                    break
            if not changed:
                changed = self._resolve_overlaps(texts, boxes, self._text_owners(), renderer)
            if not changed:
                break
        else:  # still changing: measure what it came to
            boxes = [t.get_window_extent(renderer) for t in self._texts_of(ax)]
        return not any(
            min(b.x1, f.x1) > max(b.x0, f.x0) and min(b.y1, f.y1) > max(b.y0, f.y0)
            for b in boxes
            for f in fixed
        )

    def _span(self) -> float:
        (x0, x1), (y0, y1) = self.traj.scenario.domain
        return max(x1 - x0, y1 - y0)

    # -- per frame --------------------------------------------------------------------------
    def draw(self, index: int) -> None:
        """Restore the background and draw frame `index`'s moving artists (no full redraw)."""
        t = int(self.steps[index])
        canvas = self.canvas
        canvas.restore_region(self.background)
        for artist in self._overlay:
            self.fig.draw_artist(artist)
        renderer = canvas.get_renderer()
        strokes = self._strokes
        for tr in self.tracks:  # every line first, so no line hides another run's marker
            n = tr.upto[t]
            if n:
                strokes[(tr.panel, tr.run)]["line"].draw(renderer, Path(tr.px[:n]))
        for tr in self.tracks:
            mine = strokes[(tr.panel, tr.run)]
            for step, kind, p, angle in tr.turns:
                if step <= t:
                    mine[kind].draw_turned(renderer, p, angle)
            if 0 <= tr.diverged <= t:
                j = tr.last[t]
                if j >= 0:
                    mine["cross"].draw(renderer, Path(tr.px[j : j + 1]))
            elif tr.inside[t]:
                n = tr.upto[t]
                mine["head"].draw(renderer, Path(tr.px[n - 1 : n]))
        self._draw_arrows(t)
        if self.ax_loss is not None:
            bb = self.ax_loss.bbox
            cx = self.ax_loss.transData.transform((t, self.loss.hi))[0]
            self._cursor.draw(renderer, Path(np.array([[cx, bb.y0], [cx, bb.y1]])))
        self.step_text.set_text(self.step_label(t))
        self.fig.draw_artist(self.step_text)

    def step_label(self, t: int) -> str:
        return f"step {t} / {self.traj.scenario.steps}"

    def _arrow_jobs(self, t: int):
        """(arrow, start pixel, pixel vector) of every arrow frame t draws."""
        axc = self.ax_contour
        unit = max(0.085 * min(axc.bbox.width, axc.bbox.height), 24 * self.scale)
        for i, k, (grad_a, step_a, vel_a) in self._arrows:
            r = self.traj.runs[i]
            p = self._points[(i, k)][t]
            if not np.all(np.isfinite(p)):
                continue
            here = r.xy[t, k]
            if r.grads is not None and np.all(np.isfinite(r.grads[t, k])):
                yield grad_a, p, self._direction(here, -r.grads[t, k], unit * 1.3)
            if t + 1 < r.xy.shape[0] and np.all(np.isfinite(r.xy[t + 1, k])):
                q = axc.transData.transform(r.xy[t + 1, k]) - p
                n = float(np.hypot(*q))
                if n > 2 * unit:
                    q *= 2 * unit / n
                yield step_a, p, q
            if r.velocity is not None and np.all(np.isfinite(r.velocity[t, k])):
                yield vel_a, p, self._direction(here, -r.velocity[t, k], unit)

    def _draw_arrows(self, t: int) -> None:
        if not self._arrows:
            return
        for arrow, p, d in self._arrow_jobs(t):
            if d is None or not np.all(np.isfinite(d)) or np.hypot(*d) < 1.0:
                continue
            arrow.set_positions(tuple(p), tuple(p + d))
            self.fig.draw_artist(arrow)

    def _direction(self, here: np.ndarray, vec: np.ndarray, length: float) -> np.ndarray | None:
        """A pixel vector of fixed length pointing along data-space `vec` from `here`."""
        n = float(np.hypot(*vec))
        if n == 0 or not np.isfinite(n):
            return None
        (x0, x1), (y0, y1) = self.traj.scenario.domain
        tip = here + vec / n * 1e-3 * max(x1 - x0, y1 - y0)
        d = self.ax_contour.transData.transform(tip) - self.ax_contour.transData.transform(here)
        m = float(np.hypot(*d))
        return None if m == 0 else d / m * length

    def rgba_view(self, index: int) -> np.ndarray:
        """Draw frame `index`; return the canvas's RGBA buffer (a view, valid until next draw)."""
        self.draw(index)
        return np.asarray(self.canvas.buffer_rgba())

    def frame(self, index: int) -> np.ndarray:
        """RGB pixels (height, width, 3) of frame `index`."""
        self.draw(index)
        return np.asarray(self.canvas.buffer_rgba())[..., :3].copy()

    # -- as artists (vector output) -------------------------------------------------------------
    def path_artists(self, t: int, ax=None, panel: str | None = None, size: float = 1.0) -> list:
        """Real artists, in data coordinates, for what frame step `t` draws over the background:
        every panel of the scene (or only `panel`, drawn into `ax`, e.g. a strip's small map)
        with marker and line sizes times `size`. Vector backends draw these as paths."""
        out = []
        axes = dict(self._panels())
        chosen = [tr for tr in self.tracks if panel is None or tr.panel == panel]

        def plot(target, pnl, data, props, zorder):
            props = dict(props)
            if props.get("ls") == "none":  # markers on the frame's edge are drawn whole
                props["clip_on"] = False
            for key in ("lw", "ms", "mew"):
                if key in props:
                    props[key] = props[key] * size
            if pnl == "surface":
                (a,) = target.plot(data[:, 0], data[:, 1], data[:, 2], zorder=zorder, **props)
            else:
                (a,) = target.plot(data[:, 0], data[:, 1], zorder=zorder, **props)
            out.append(a)
            return a

        for tr in chosen:
            target = ax if ax is not None else axes[tr.panel]
            n = tr.upto[t]
            if n:
                plot(target, tr.panel, tr.data[:n], self._kw[(tr.panel, tr.run)]["line"], 10)
        for tr in chosen:
            target = ax if ax is not None else axes[tr.panel]
            kw = self._kw[(tr.panel, tr.run)]
            for c, (step, kind, _p, angle) in zip(tr.crossings, tr.turns, strict=True):
                if step <= t:
                    if ax is not None:
                        angle = self._angle_in(target, c)
                    props = dict(kw[kind])
                    props["marker"] = MarkerStyle(DART, transform=Affine2D().rotate_deg(angle))
                    plot(target, tr.panel, c.point[None, :], props, 11)
            if 0 <= tr.diverged <= t:
                j = tr.last[t]
                if j >= 0:
                    plot(target, tr.panel, tr.data[j : j + 1], kw["cross"], 12)
            elif tr.inside[t]:
                n = tr.upto[t]
                plot(target, tr.panel, tr.data[n - 1 : n], kw["head"], 12)
        if ax is None and self._arrows:
            axc = self.ax_contour
            inv = axc.transData.inverted()
            for arrow, p, d in self._arrow_jobs(t):
                if d is None or not np.all(np.isfinite(d)) or np.hypot(*d) < 1.0:
                    continue
                a = FancyArrowPatch(tuple(inv.transform(p)), tuple(inv.transform(p + d)),
                                    arrowstyle="-|>", mutation_scale=arrow.get_mutation_scale(),
                                    color=arrow.get_edgecolor(), lw=arrow.get_linewidth(),
                                    ls=arrow.get_linestyle(), shrinkA=0, shrinkB=0,
                                    zorder=13)  # fmt: skip
                axc.add_patch(a)
                out.append(a)
        if ax is None and self.ax_loss is not None:
            out.append(self.ax_loss.axvline(t, color=CURSOR_COLOUR, lw=1.0, ls=(0, (3, 2))))
        return out

    def _angle_in(self, ax, c: G.Crossing) -> float:
        p = ax.transData.transform(c.point[:2])
        d = c.direction[:2] / max(float(np.abs(c.direction[:2]).max()), 1e-300)
        q = ax.transData.transform(c.point[:2] + 1e-3 * self._span() * d)
        return float(np.degrees(np.arctan2(q[1] - p[1], q[0] - p[0]))) - 90.0

    def close(self) -> None:
        """Drop the figure's artists."""
        self.fig.clear()


def _texts_drawn_by(artist, renderer) -> list[Text]:
    """Every non-empty text `artist` (a figure or an axes) draws, once each, in drawing order:
    recorded from a draw whose rendering is switched off."""
    drawn: list[Text] = []
    with renderer._draw_disabled():
        renderer.draw_text = lambda *a, mtext=None, **k: drawn.append(mtext)
        artist.draw(renderer)
    seen, out = set(), []
    for t in drawn:
        if isinstance(t, Text) and id(t) not in seen and t.get_text().strip():
            seen.add(id(t))
            out.append(t)
    return out


def _overlapping(texts: list[Text], boxes: list, gap: float) -> list[tuple[Text, Text]]:
    """Pairs of texts whose boxes overlap or come closer than `gap` pixels."""
    if len(texts) < 2:
        return []
    b = np.array([[x.x0, x.y0, x.x1, x.y1] for x in boxes])
    dx = np.minimum(b[:, None, 2], b[None, :, 2]) - np.maximum(b[:, None, 0], b[None, :, 0])
    dy = np.minimum(b[:, None, 3], b[None, :, 3]) - np.maximum(b[:, None, 1], b[None, :, 1])
    hit = np.triu((dx > -gap) & (dy > -gap), k=1)
    return [(texts[i], texts[j]) for i, j in zip(*np.nonzero(hit), strict=True)]


def _drop_tick(axis, a: float, b: float) -> bool:
    """Drop the lesser of two colliding ticks of a fixed list: never 0 or the floor ("tol"),
    else the one nearer to 1 in magnitude (the extremes say how far the axis reaches)."""
    label = axis.get_major_formatter()

    def keep_first(v: float) -> tuple:
        text = label(v, 0)
        return (v == 0 or text == "tol", abs(np.log10(abs(v))) if v else 0.0)

    drop = b if keep_first(a) >= keep_first(b) else a
    locs = [v for v in axis.get_majorticklocs() if v != drop]
    if len(locs) < 2:
        return False
    axis.set_major_locator(FixedLocator(locs))
    axis.set_major_formatter(label)
    return True


def _thin_ticks(axis) -> bool:
    """Keep every other tick of an axis (the largest kept); False if fewer than three remain."""
    lo, hi = sorted(axis.get_view_interval())
    locs = [
        v
        for v in axis.get_majorticklocs()
        if lo - 1e-9 * abs(hi - lo) <= v <= hi + 1e-9 * abs(hi - lo)
    ]
    if len(locs) < 3:
        return False
    formatter = axis.get_major_formatter()
    axis.set_major_locator(FixedLocator(locs[::-1][::2][::-1]))
    axis.set_major_formatter(formatter)
    return True
