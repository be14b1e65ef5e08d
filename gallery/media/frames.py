"""Frames: one figure per scenario, background drawn once, moving artists blitted per frame."""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Iterator

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib import colors as mcolors  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.colors import LightSource  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.mathtext import MathTextParser  # noqa: E402
from matplotlib.patches import FancyArrowPatch  # noqa: E402
from matplotlib.path import Path  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator  # noqa: E402
from matplotlib.transforms import IdentityTransform  # noqa: E402
from mpl_toolkits.mplot3d import art3d, proj3d  # noqa: E402

from gallery.engine.simulate import Run, Trajectories  # noqa: E402
from gallery.media.style import Style, palette  # noqa: E402

MAX_FRAMES = 150
MAX_PATHS = 64  # paths drawn per optimizer; more starts are thinned evenly (the data keeps all)
LEGEND_WIDTH = 24  # characters per legend line: longer labels wrap instead of running off the frame
DPI = 100
BACKGROUND_CMAP = mcolors.LinearSegmentedColormap.from_list(
    "gallery-grey", ["#fcfcfd", "#e4e7eb", "#c3c9d1", "#a1a9b4"]
)


def styles(traj: Trajectories) -> list[Style]:
    """One distinct style per run."""
    return palette([r.spec.color for r in traj.runs])


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


def legend_text(run: Run) -> str:
    """`Adam lr=0.3`, plus where the run diverged if it did."""
    text = textwrap.fill(run.spec.short, LEGEND_WIDTH, break_long_words=False)
    if run.diverged:
        first = int(run.diverged_at[run.diverged_at >= 0].min())
        text += f"\ndiverged at step {first}"
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
    """Contour levels over the finite grid values: log-spaced above the minimum, or quantiles."""
    count = how if isinstance(how, int) and not isinstance(how, bool) else 18
    finite = z[np.isfinite(z)]
    if finite.size == 0:
        raise RenderError("f is not finite anywhere on the domain, so there is nothing to draw")
    zmin = float(finite.min())
    use_log = how == "log" or (how in ("auto", None) or isinstance(how, int)) and bounded
    if how == "linear":
        use_log = False
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


def _symlog_ticks(lo: float, hi: float, thresh: float, most: int = 4) -> list[float]:
    """A few ±10^k ticks (plus 0) for a symlog axis, thinned so labels never collide."""
    ticks = [0.0]
    for sign, end in ((1.0, hi), (-1.0, -lo)):
        if end <= thresh:
            continue
        k0, k1 = int(np.ceil(np.log10(thresh))), int(np.floor(np.log10(end)))
        ks = list(range(k0, k1 + 1))
        stride = max(1, int(np.ceil(len(ks) / most)))
        ticks += [sign * 10.0**k for k in ks[::-1][::stride]]
    return sorted(ticks)


def _short_tick(value: float, _pos: object = None) -> str:
    """Tick text that stays short: 25, 0.5, 2e+04."""
    return (
        f"{value:.0e}".replace("e+0", "e").replace("e-0", "e-")
        if abs(value) >= 1e4
        else f"{value:g}"
    )


def _surface(X: np.ndarray, Y: np.ndarray, Z: np.ndarray, rgb: np.ndarray):
    """One quad per grid cell, coloured by its first corner; cells touching NaN are dropped."""
    P = np.stack([X, Y, Z], axis=-1)
    quads = np.stack([P[:-1, :-1], P[:-1, 1:], P[1:, 1:], P[1:, :-1]], axis=2).reshape(-1, 4, 3)
    colors = np.concatenate([rgb[:-1, :-1].reshape(-1, 3), np.ones((len(quads), 1))], axis=1)
    ok = np.isfinite(quads).all(axis=(1, 2))
    return art3d.Poly3DCollection(
        quads[ok], facecolors=colors[ok], edgecolors=colors[ok], linewidths=0.3, antialiased=False
    )


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


class Scene:
    """A scenario's figure: background drawn once; `frame(i)` gives the RGB pixels of frame i."""

    def __init__(self, traj: Trajectories, size: tuple[int, int] | None = None):
        sc = traj.scenario
        self.traj, self.notes = thin(traj)
        self.width, self.height = size or (sc.render.width, sc.render.height)
        self.steps = frame_steps(sc.steps, sc.render.frames)
        self.styles = styles(traj)
        self.arrows = sc.render.arrows
        self.scale = min(self.width / 1280, self.height / 720)
        self.fig = Figure(figsize=(self.width / DPI, self.height / DPI), dpi=DPI)
        self.fig.patch.set_facecolor("white")
        self.canvas = FigureCanvasAgg(self.fig)
        self._build()
        self.canvas.draw()
        self._project()
        self.background = self.canvas.copy_from_bbox(self.fig.bbox)

    # -- background -------------------------------------------------------------------------
    def _build(self) -> None:
        sc, fig, s = self.traj.scenario, self.fig, self.scale
        (x0, x1), (y0, y1) = sc.domain
        nx, ny = _grid_size(sc.view.grid)
        gx, gy = np.linspace(x0, x1, nx), np.linspace(y0, y1, ny)
        X, Y = np.meshgrid(gx, gy)
        with np.errstate(all="ignore"):
            Z = np.asarray(sc.function.value(np.stack([X, Y], axis=-1)), dtype=float)
        bounded = _bounded_below(Z)
        self.levels, self.log_levels = _levels(Z, sc.view.levels, bounded)
        self.zlim = self._zlim(Z)
        fs = 11 * s

        fig.text(0.012, 0.975, sc.title, fontsize=17 * s, weight="bold", va="top")
        fig.text(0.012, 0.915, formula_text(self.traj), fontsize=13 * s, va="top", color="#333333")
        self.step_text = fig.text(
            0.988, 0.975, "", fontsize=14 * s, ha="right", va="top", family="DejaVu Sans Mono"
        )

        # 3-D surface (left)
        ax3 = fig.add_axes((0.0, 0.0, 0.48, 0.88), projection="3d", computed_zorder=False)
        zlo, zhi = self.zlim
        # above the z range the surface is capped flat (a clean cut, not a ragged hole); below it
        # is left open, so an unbounded fall (the cubic's abyss) reads as a drop
        Zs = np.where(zlo <= Z, np.minimum(Z, zhi), np.nan)
        norm = mcolors.BoundaryNorm(self.levels, BACKGROUND_CMAP.N, extend="both")
        rank = np.interp(Zs, self.levels, np.linspace(0.0, 1.0, len(self.levels)))
        rgb = BACKGROUND_CMAP(rank)[..., :3]
        relief = np.clip(np.nan_to_num(Z, nan=zlo), zlo, zhi)
        rgb = LightSource(azdeg=315, altdeg=40).shade_rgb(
            rgb, relief, fraction=0.8, blend_mode="soft", vert_exag=(x1 - x0) / (zhi - zlo)
        )
        ax3.add_collection3d(_surface(X, Y, Zs, rgb))
        ax3.set_xlim(x0, x1)
        ax3.set_ylim(y0, y1)
        ax3.set_zlim(zlo, zhi)
        ax3.view_init(elev=sc.view.elev, azim=sc.view.azim)
        ax3.set_box_aspect((1.25, 1.0, 0.7), zoom=0.92)
        for axis in (ax3.xaxis, ax3.yaxis, ax3.zaxis):
            axis.set_pane_color((0.97, 0.97, 0.98, 1.0))
            axis.label.set_size(fs)
        ax3.tick_params(labelsize=8.5 * s, pad=0)
        ax3.zaxis.set_major_formatter(FuncFormatter(_short_tick))
        ax3.set_xlabel("x", labelpad=2 * s)
        ax3.set_ylabel("y", labelpad=2 * s)
        self.ax_surface = ax3

        # contour map (right, top)
        axc = fig.add_axes((0.51, 0.39, 0.265, 0.48))
        axc.contourf(X, Y, Z, levels=self.levels, cmap=BACKGROUND_CMAP, norm=norm, extend="both")
        axc.contour(X, Y, Z, levels=self.levels, colors="#6b7380", linewidths=0.5 * s + 0.2,
                    negative_linestyles="solid")  # fmt: skip
        axc.set_xlim(x0, x1)
        axc.set_ylim(y0, y1)
        axc.tick_params(labelsize=8.5 * s)
        axc.set_xlabel("x", fontsize=fs, labelpad=1)
        axc.set_ylabel("y", fontsize=fs, labelpad=1)
        ms = 9 * s + 2
        if len(sc.minima):
            axc.plot(*np.asarray(sc.minima).T, ls="none", marker="*", ms=ms * 1.6, mfc="white",
                     mec="black", mew=0.8, zorder=5)  # fmt: skip
        axc.plot(*np.asarray(sc.starts).T, ls="none", marker="o", ms=ms, mfc="white",
                 mec="black", mew=1.0, zorder=5)  # fmt: skip
        self.ax_contour = axc

        # f against step (right, bottom)
        axl = fig.add_axes((0.51, 0.085, 0.265, 0.22))
        self.loss_lim = self._loss_range()
        self.loss_log = self.loss_lim[0] > 0
        lo, hi = self.loss_lim
        if self.loss_log:
            axl.set_yscale("log")
            axl.set_ylim(lo / 1.5, hi * 1.5)
        else:
            fin = np.concatenate([r.f[np.isfinite(r.f)] for r in self.traj.runs] + [[lo, hi]])
            nz = np.abs(fin[(fin != 0) & (fin >= lo) & (fin <= hi)])
            thresh = max(float(np.quantile(nz, 0.2)) if nz.size else 1.0, 1e-12)
            axl.set_yscale("symlog", linthresh=thresh)
            axl.set_ylim(lo - 0.05 * abs(lo) - 0.5 * thresh, hi + 0.05 * abs(hi) + 0.5 * thresh)
            axl.yaxis.set_major_locator(FixedLocator(_symlog_ticks(lo, hi, thresh)))
            axl.yaxis.set_minor_locator(NullLocator())
        axl.set_xlim(0, max(sc.steps, 1))
        axl.grid(True, which="major", color="#e4e4e4", lw=0.6)
        axl.tick_params(labelsize=8.5 * s)
        axl.set_xlabel("step", fontsize=fs, labelpad=1)
        axl.set_ylabel("f(x, y)", fontsize=fs, labelpad=1)
        lw = max(1.2, 2.0 * s)
        for r, st in zip(self.traj.runs, self.styles, strict=True):
            steps = np.arange(r.f.shape[0])
            for k in range(r.f.shape[1]):
                axl.plot(steps, r.f[:, k], color=st.color, ls=st.linestyle, lw=lw * 0.7, alpha=0.22)
        self.ax_loss = axl

        # one legend, outside every panel
        handles = [
            Line2D([], [], color=st.color, ls=st.linestyle, marker=st.marker, lw=lw, ms=7 * s + 2,
                   mec="black", mew=0.6, label=legend_text(r))
            for r, st in zip(self.traj.runs, self.styles, strict=True)
        ]  # fmt: skip
        handles += [
            Line2D([], [], ls="none", marker="o", mfc="white", mec="black", ms=7 * s + 2,
                   label="start"),
            Line2D([], [], ls="none", marker="X", mfc="#999999", mec="black", ms=8 * s + 2,
                   label="left the view / diverged"),
        ]  # fmt: skip
        if len(sc.minima):
            handles.append(Line2D([], [], ls="none", marker="*", mfc="white", mec="black",
                                  ms=11 * s + 3, label="known minimum"))  # fmt: skip
        if self.arrows:
            handles += [
                Line2D([], [], color="black", lw=1.2, label="→ −∇f (direction)"),
                Line2D([], [], color="#555555", lw=2.0, label="→ actual step"),
                Line2D([], [], color="#555555", lw=1.2, ls=(0, (2, 1)), label="→ velocity"),
            ]
        fig.legend(
            handles=handles, loc="upper left", bbox_to_anchor=(0.785, 0.885), fontsize=10.5 * s,
            frameon=False, handlelength=3.2, borderaxespad=0, labelspacing=0.9,
        )  # fmt: skip

    def _loss_range(self) -> tuple[float, float]:
        """f range shown on the loss panel: runs that did not diverge (and the start)."""
        keep = [r.f[np.isfinite(r.f)] for r in self.traj.runs if not r.diverged]
        keep += [r.f[0][np.isfinite(r.f[0])] for r in self.traj.runs]
        fin = np.concatenate(keep + [np.zeros(0)])
        if fin.size == 0:
            return self.zlim
        lo, hi = float(fin.min()), float(fin.max())
        if lo > 0 and hi / lo < 10:
            lo = hi / 10
        if hi <= lo:
            hi = lo + 1.0
        return lo, hi

    def _zlim(self, Z: np.ndarray) -> tuple[float, float]:
        sc = self.traj.scenario
        if sc.view.zlim is not None:
            return float(sc.view.zlim[0]), float(sc.view.zlim[1])
        finite = Z[np.isfinite(Z)]
        lo, hi = (float(v) for v in np.quantile(finite, [0.01, 0.99]))
        if self.log_levels:
            lo = float(finite.min())
        with np.errstate(all="ignore"):
            f0 = np.asarray(sc.function.value(np.asarray(sc.starts, dtype=float)), dtype=float)
        f0 = f0[np.isfinite(f0) & (f0 <= finite.max()) & (f0 >= finite.min())]
        if f0.size:
            lo, hi = min(lo, float(f0.min())), max(hi, float(f0.max()))
        if hi <= lo:
            hi = lo + 1.0
        pad = 0.03 * (hi - lo)
        return lo - pad, hi + pad

    # -- projections (computed once, after the background is drawn) --------------------------------
    def _project(self) -> None:
        """Pixel coordinates of every path point on every panel; NaN where it is out of view."""
        sc = self.traj.scenario
        (x0, x1), (y0, y1) = sc.domain
        zlo, zhi = self.zlim
        ax3, axc, axl = self.ax_surface, self.ax_contour, self.ax_loss
        self.px3, self.pxc, self.pxl = [], [], []
        for r in self.traj.runs:
            xy, f = r.xy, r.f
            T, N = f.shape
            with np.errstate(invalid="ignore"):
                in_dom = (xy[..., 0] >= x0) & (xy[..., 0] <= x1)
                in_dom &= (xy[..., 1] >= y0) & (xy[..., 1] <= y1)
                in_z = in_dom & (f >= zlo) & (f <= zhi)
            flat = xy.reshape(-1, 2)
            xs, ys, _ = proj3d.proj_transform(flat[:, 0], flat[:, 1], f.reshape(-1), ax3.M)
            p3 = ax3.transData.transform(np.column_stack([xs, ys])).reshape(T, N, 2)
            p3[~in_z] = np.nan
            pc = axc.transData.transform(flat).reshape(T, N, 2)
            pc[~in_dom] = np.nan
            steps = np.repeat(np.arange(T, dtype=float), N)
            pl = axl.transData.transform(np.column_stack([steps, f.reshape(-1)])).reshape(T, N, 2)
            lo, hi = self.ax_loss.get_ylim()
            with np.errstate(invalid="ignore"):
                pl[~(np.isfinite(f) & (f >= lo) & (f <= hi))] = np.nan
            self.px3.append(p3)
            self.pxc.append(pc)
            self.pxl.append(pl)

        s = self.scale
        lw, ms = max(1.5, 2.3 * s), 7.5 * s + 2.5
        alpha = 1.0
        if max(r.xy.shape[1] for r in self.traj.runs) > 1:
            # many starts (or noisy repeats): thin, translucent paths so the spread reads as a band
            lw, ms, alpha = max(0.8, 0.45 * lw), 0.6 * ms, 0.6
        ident = IdentityTransform()
        self.moving: list = []
        # (pixels of the path, last in-view point by step, line, head, cross)
        self._lines: list[tuple[np.ndarray, np.ndarray, _Stroke, _Stroke, _Stroke]] = []
        renderer = self.canvas.get_renderer()
        for panel, ax in ((self.px3, ax3), (self.pxc, axc), (self.pxl, axl)):
            for i, st in enumerate(self.styles):
                line = Line2D([], [], color=st.color, ls=st.linestyle, lw=lw, alpha=alpha,
                              solid_capstyle="round", transform=ident)  # fmt: skip
                head = Line2D([], [], ls="none", marker=st.marker, ms=ms, mfc=st.color,
                              mec="black", mew=0.8, transform=ident)  # fmt: skip
                cross = Line2D([], [], ls="none", marker="X", ms=ms * 1.25, mfc=st.color,
                               mec="black", mew=0.8, transform=ident)  # fmt: skip
                for a in (line, head, cross):
                    a.set_figure(self.fig)
                    a.set_clip_box(ax.bbox)
                # every path of an optimizer on a panel is drawn alike: one recording for all
                strokes = [_Stroke(a, renderer) for a in (line, head, cross)]
                for k in range(self.traj.runs[i].xy.shape[1]):
                    pix = np.ascontiguousarray(panel[i][:, k])
                    # last in-view point up to each step (-1: none yet)
                    seen = np.where(np.isfinite(pix[:, 0]), np.arange(len(pix)), -1)
                    self._lines.append((pix, np.maximum.accumulate(seen), *strokes))
        cursor = Line2D([], [], color="#444444", lw=1.0, ls=(0, (3, 2)), transform=ident)
        cursor.set_figure(self.fig)
        self.cursor = cursor
        self._cursor = _Stroke(cursor, renderer)
        self._arrows = []
        if self.arrows:
            for i in range(len(self.traj.runs)):
                for k in range(self.traj.runs[i].xy.shape[1]):
                    trio = []
                    for color, width, style in (
                        ("black", 1.2, "-"),
                        (self.styles[i].color, 2.0, "-"),
                        (self.styles[i].color, 1.2, (0, (2, 1))),
                    ):
                        a = FancyArrowPatch((0, 0), (0, 0), arrowstyle="-|>",
                                            mutation_scale=9 * s + 3, color=color, lw=width,
                                            ls=style, transform=ident)  # fmt: skip
                        a.set_figure(self.fig)
                        a.set_clip_box(axc.bbox)
                        trio.append(a)
                    self._arrows.append((i, k, trio))

    # -- per frame --------------------------------------------------------------------------
    def draw(self, index: int) -> None:
        """Restore the background and draw frame `index`'s moving artists (no full redraw)."""
        t = int(self.steps[index])
        canvas = self.canvas
        canvas.restore_region(self.background)
        renderer = canvas.get_renderer()
        for pix, seen, line, head, cross in self._lines:
            last = seen[t]
            if last < 0:
                continue
            line.draw(renderer, Path(pix[: t + 1]))
            (head if last == t else cross).draw(renderer, Path(pix[last : last + 1]))
        self._draw_arrows(t)
        bb = self.ax_loss.bbox
        cx = self.ax_loss.transData.transform((t, 1.0 if self.loss_log else 0.0))[0]
        self._cursor.draw(renderer, Path(np.array([[cx, bb.y0], [cx, bb.y1]])))
        self.step_text.set_text(f"step {t} / {self.traj.scenario.steps}")
        self.fig.draw_artist(self.step_text)

    def _draw_arrows(self, t: int) -> None:
        if not self._arrows:
            return
        axc = self.ax_contour
        unit = 0.06 * min(axc.bbox.width, axc.bbox.height)
        for i, k, (grad_a, step_a, vel_a) in self._arrows:
            r = self.traj.runs[i]
            p = self.pxc[i][t, k]
            if not np.all(np.isfinite(p)):
                continue
            here = r.xy[t, k]
            jobs = []
            if r.grads is not None and np.all(np.isfinite(r.grads[t, k])):
                jobs.append((grad_a, self._direction(here, -r.grads[t, k], unit * 1.2)))
            if t + 1 < r.xy.shape[0] and np.all(np.isfinite(r.xy[t + 1, k])):
                q = axc.transData.transform(r.xy[t + 1, k]) - p
                n = float(np.hypot(*q))
                if n > 2 * unit:
                    q *= 2 * unit / n
                jobs.append((step_a, q))
            if r.velocity is not None and np.all(np.isfinite(r.velocity[t, k])):
                jobs.append((vel_a, self._direction(here, -r.velocity[t, k], unit)))
            for arrow, d in jobs:
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

    def frames(self) -> Iterator[np.ndarray]:
        """Every frame's RGB pixels, in order."""
        for i in range(len(self.steps)):
            yield self.frame(i)

    def pixel(self, panel: str, xy) -> tuple[float, float]:
        """Row/column in the frame image of a data point on a 2-D panel ("contour" or "loss")."""
        ax = self.ax_contour if panel == "contour" else self.ax_loss
        px, py = ax.transData.transform(np.asarray(xy, dtype=float))
        return self.height - py, px

    def close(self) -> None:
        """Drop the figure's artists."""
        self.fig.clear()
