"""Sentences from the analysis views: every claim next to a chart is read off its data."""

from __future__ import annotations

import numpy as np

from gallery.engine.analysis import DIVERGED, FELL_BELOW, NOT_CONVERGED, Basins, Sweep
from gallery.engine.scenario import Scenario


def fmt(x: float) -> str:
    """A learning rate as a short number."""
    return f"{x:.3g}"


def sweep_sentence(s: Sweep, steps: int) -> str:
    """One sentence on where an optimizer works on the lr grid and where the animation sits."""
    lo_grid, hi_grid = fmt(s.lrs[0]), fmt(s.lrs[-1])
    used = f"the animation uses {fmt(s.chosen_lr)}" if np.isfinite(s.chosen_lr) else ""
    band = s.converging_range()
    target = f"within {s.tolerance:g} of a minimum"
    stable = s.stable_below()
    if not s.has_minima:  # nothing to converge to: say where the run stays finite
        if not s.diverged.any():
            text = f"{s.label} stays finite for {steps} steps at every tested rate"
            text += f" ({lo_grid} to {hi_grid})"
        elif s.diverged.all():
            text = f"{s.label} diverges at every tested rate from {lo_grid} to {hi_grid}"
        elif stable is not None:
            text = f"{s.label} stays finite for {steps} steps for lr up to {fmt(stable)}"
            text += " and diverges above"
        else:
            text = f"{s.label} diverges at some tested rates between {lo_grid} and {hi_grid}"
        return f"{text}; {used}." if used else f"{text}."
    if band is not None:
        lo, hi = band
        where = ""
        if np.isfinite(s.chosen_lr):
            if s.chosen_lr < lo * (1 - 1e-9):
                where = ", below that band"
            elif s.chosen_lr > hi * (1 + 1e-9):
                where = ", above that band"
        rates = f"only at lr {fmt(lo)}" if lo == hi else f"for lr in [{fmt(lo)}, {fmt(hi)}]"
        text = f"{s.label} gets {target} in {steps} steps {rates} of the tested grid"
        return f"{text}; {used}{where}." if used else f"{text}."
    if s.diverged.all():
        text = f"{s.label} diverges at every tested rate from {lo_grid} to {hi_grid}"
    elif stable is not None:
        text = (
            f"{s.label} does not get {target} in {steps} steps at any tested rate "
            f"({lo_grid} to {hi_grid}) and diverges above {fmt(stable)}"
        )
    elif s.diverged.any():
        text = (
            f"{s.label} does not get {target} in {steps} steps at any tested rate "
            f"({lo_grid} to {hi_grid}), and some rates diverge"
        )
    else:
        text = (
            f"{s.label} does not get {target} in {steps} steps at any tested rate "
            f"({lo_grid} to {hi_grid}), but never diverges either"
        )
    return f"{text}; {used}." if used else f"{text}."


def sweep_sentences(scenario: Scenario, sweeps: tuple[Sweep, ...]) -> list[str]:
    """One sentence per optimizer, in the scenario's order."""
    return [sweep_sentence(s, scenario.steps) for s in sweeps]


def basin_sentence(scenario: Scenario, b: Basins) -> str:
    """What share of the start grid ends where, for one optimizer."""
    total = b.labels.size
    parts = []
    for j, p in enumerate(scenario.minima):
        share = (b.labels == j).sum() / total
        if share > 0:
            parts.append(f"{share:.0%} reach ({p[0]:.3g}, {p[1]:.3g})")
    for code, what in (
        (DIVERGED, "diverge"),
        (FELL_BELOW, "slide below every minimum"),
        (NOT_CONVERGED, "end elsewhere"),
    ):
        share = (b.labels == code).sum() / total
        if share > 0:
            parts.append(f"{share:.0%} {what}")
    return f"{b.label}: " + ", ".join(parts) + "."


def basin_sentences(scenario: Scenario, basins: tuple[Basins, ...]) -> list[str]:
    """One sentence per optimizer."""
    return [basin_sentence(scenario, b) for b in basins]
