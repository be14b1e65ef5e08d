"""Charts for the analysis views: learning-rate sensitivity and basins of attraction."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib import colors as mcolors  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from gallery.engine.analysis import DIVERGED, FELL_BELOW, NOT_CONVERGED, Basins, Sweep  # noqa: E402
from gallery.engine.scenario import Scenario  # noqa: E402
from gallery.media.style import looks  # noqa: E402

#: Fill colours for the basins of up to eight known minima (light, distinct, colour-blind-safe).
BASIN_COLOURS = (
    "#9ecae1",
    "#fdae6b",
    "#a1d99b",
    "#dadaeb",
    "#fdd0a2",
    "#c7e9c0",
    "#bcbddc",
    "#fee391",
)
DIVERGED_COLOUR = "#3b3b3b"
FELL_COLOUR = "#b07a8c"
GAP_FLOOR = 1e-16
STALLED_COLOUR = "#ffffff"


def _save(fig: Figure, fmt: str) -> bytes:
    buf = io.BytesIO()
    meta = {"Software": None} if fmt == "png" else {"Date": None, "Creator": None}
    with matplotlib.rc_context({"svg.hashsalt": "optimizer-gallery", "svg.fonttype": "path"}):
        fig.savefig(buf, format=fmt, dpi=100, metadata=meta)
    return buf.getvalue()


def sweep_figure(scenario: Scenario, sweeps: tuple[Sweep, ...]) -> Figure:
    """Gap to the minimum (or f) after n steps, and steps to tolerance, against lr."""
    has_minima = scenario.minima.shape[0] > 0
    fig = Figure(figsize=(11, 4.2) if has_minima else (7.5, 4.2), layout="constrained")
    axes = fig.subplots(1, 2 if has_minima else 1, squeeze=False)[0]
    ax_f = axes[0]
    styles = looks([(o.kind, o.color) for o in scenario.optimizers])
    for i, (s, spec) in enumerate(zip(sweeps, scenario.optimizers, strict=True)):
        st = styles[i]
        color, marker, ls = st.color, st.marker, st.linestyle
        # with a known minimum: the gap |f - f*|, floored so exact hits stay on a log axis
        y_f = np.maximum(np.abs(s.final_f - s.f_ref), GAP_FLOOR) if has_minima else s.final_f
        panels = [(ax_f, y_f)] + ([(axes[1], s.steps_to_tol)] if has_minima else [])
        for ax, y in panels:
            ax.plot(s.lrs, y, color=color, ls=ls, lw=1.8, label=spec.short)
            div = s.diverged > 0
            if div.any():  # diverged rates: crosses along the top edge, one row per optimizer
                top = np.full(div.sum(), 1.0 - 0.025 * i)
                ax.plot(
                    s.lrs[div],
                    top,
                    transform=ax.get_xaxis_transform(),
                    ls="none",
                    marker="x",
                    ms=5,
                    color=color,
                    clip_on=False,
                )
            at = np.flatnonzero(np.isclose(s.lrs, s.chosen_lr, rtol=1e-12, atol=0))
            if at.size and np.isfinite(y[at[0]]):  # the rate the animation uses (on the grid)
                ax.plot(
                    [s.chosen_lr],
                    [y[at[0]]],
                    marker=marker,
                    ms=9,
                    color=color,
                    mec="black",
                    mew=1.2,
                    ls="none",
                    zorder=5,
                )
    ax_f.set_xscale("log")
    if has_minima:
        ax_f.set_yscale("log")
        ax_f.set_ylabel(f"|f − f*| after {scenario.steps} steps")
        ax_f.set_title("Gap to the minimum after the run", loc="left", fontsize=11)
    else:
        ax_f.set_yscale("symlog", linthresh=1.0)
        ax_f.set_ylabel(f"f after {scenario.steps} steps")
        ax_f.set_title("Loss after the run (lower is better)", loc="left", fontsize=11)
    ax_f.set_xlabel("learning rate")
    if has_minima:
        ax_s = axes[1]
        ax_s.set_xscale("log")
        ax_s.set_xlabel("learning rate")
        ax_s.set_ylabel(f"steps to within {scenario.analysis.tolerance:g} of a minimum")
        ax_s.set_title("Speed (gaps: never got there)", loc="left", fontsize=11)
        ax_s.set_ylim(0, scenario.steps * 1.05)
    for ax in axes:
        ax.grid(True, which="major", color="#dddddd", lw=0.6)
    # one entry per run in its full look (colour, dash and the marker of the rate in use)
    labels = [spec.short for spec in scenario.optimizers]
    handles = [
        Line2D([], [], color=st.color, ls=st.linestyle, lw=1.8, marker=st.marker, ms=7,
               mec="black", mew=0.8)
        for st in styles
    ]  # fmt: skip
    handles += [
        ax_f.plot([], [], ls="none", marker="o", mfc="white", mec="black", ms=8)[0],
        ax_f.plot([], [], ls="none", marker="x", color="#444444")[0],
    ]
    labels += ["rate used in the animation", "diverged (some start)"]
    fig.legend(handles, labels, loc="outside right upper", fontsize=9, frameon=False)
    return fig


def sweep_chart(scenario: Scenario, sweeps: tuple[Sweep, ...]) -> tuple[bytes, bytes]:
    """The sweep chart as (PNG, SVG) bytes."""
    fig = sweep_figure(scenario, sweeps)
    png = _save(fig, "png")
    fig.set_layout_engine("none")  # laid out by the first save: the SVG keeps those positions
    return png, _save(fig, "svg")


def basin_chart(scenario: Scenario, basins: tuple[Basins, ...]) -> bytes:
    """Small multiples: each start of the grid coloured by the minimum its optimizer reached."""
    m = scenario.minima.shape[0]
    k = len(basins)
    cols = min(k, 3)
    rows = -(-k // cols)
    fig = Figure(figsize=(3.4 * cols + 1.6, 3.3 * rows + 0.3), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    fills = [FELL_COLOUR, STALLED_COLOUR, DIVERGED_COLOUR, *BASIN_COLOURS[: max(m, 1)]]
    cmap = mcolors.ListedColormap(fills)
    (x0, x1), (y0, y1) = scenario.domain
    styles = looks([(o.kind, o.color) for o in scenario.optimizers])
    for i, (ax, b) in enumerate(zip(axes, basins, strict=False)):
        special = {FELL_BELOW: 0, NOT_CONVERGED: 1, DIVERGED: 2}
        idx = b.labels + 3  # minima 0.. -> colours 3..
        for code, colour_index in special.items():
            idx = np.where(b.labels == code, colour_index, idx)
        ax.imshow(
            idx,
            origin="lower",
            extent=(x0, x1, y0, y1),
            cmap=cmap,
            vmin=-0.5,
            vmax=len(fills) - 0.5,
            interpolation="nearest",
            aspect="auto",
        )
        if m:
            ax.plot(
                scenario.minima[:, 0],
                scenario.minima[:, 1],
                ls="none",
                marker="*",
                ms=11,
                mfc="white",
                mec="black",
            )
        # the title is the run's legend entry: its look, as on every other figure
        st = styles[i] if i < len(styles) else None
        if st is not None:
            handle = Line2D([], [], color=st.color, ls=st.linestyle, marker=st.marker, lw=1.8,
                            ms=7, mec="black", mew=0.6)  # fmt: skip
            ax.legend([handle], [b.label], loc="lower left", bbox_to_anchor=(0.0, 1.0),
                      borderaxespad=0.2, frameon=False, fontsize=11, handlelength=2.6)  # fmt: skip
            for spine in ax.spines.values():
                spine.set_edgecolor(st.color)
                spine.set_linewidth(1.6)
        else:
            ax.set_title(b.label, fontsize=11)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.tick_params(labelsize=8)
    for ax in axes[k:]:
        ax.set_visible(False)
    handles = [
        Patch(color=BASIN_COLOURS[j], label=f"min ({p[0]:.3g}, {p[1]:.3g})")
        for j, p in enumerate(scenario.minima)
    ]
    handles += [
        Patch(facecolor=DIVERGED_COLOUR, label="diverged"),
        Patch(facecolor=STALLED_COLOUR, edgecolor="#999999", label="not converged"),
    ]
    if any((b.labels == FELL_BELOW).any() for b in basins):
        handles.append(Patch(facecolor=FELL_COLOUR, label="fell below f* (sliding off)"))
    fig.legend(handles=handles, loc="outside right upper", fontsize=9, frameon=False)
    return _save(fig, "png")
