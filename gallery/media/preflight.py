"""Preflight: what drawing a scenario could fail on, found before anything is simulated or drawn.

`gallery check` and the build both run it, so a file `check` accepts does not stop the build
later: text matplotlib would read as broken mathtext, more minima than the basin maps can colour,
a function that is not finite where the runs start or anywhere on the view.
"""

from __future__ import annotations

import numpy as np

from gallery.engine.scenario import Scenario
from gallery.engine.text import num, point

#: Grid on which f is sampled to see where it is finite.
GRID = 64


def _mathtext_problem(text: str) -> str | None:
    """What is wrong with `text` as matplotlib would draw it (dollar signs start mathtext)."""
    from matplotlib.mathtext import MathTextParser
    from matplotlib.text import Text

    shown, is_math = Text(text=text)._preprocess_math(text)
    if not is_math:
        return None
    try:
        MathTextParser("path").parse(shown)
    except (ValueError, RuntimeError) as exc:
        first = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        return (
            f"{text!r} is read as mathtext (it has $ signs) and does not parse: {first}; write "
            r"\$ for a dollar sign"
        )
    return None


def check(sc: Scenario) -> tuple[list[tuple[str, str]], list[str]]:
    """(problems as (key, message), notes) for drawing `sc`."""
    from gallery.media.charts import BASIN_COLOURS

    problems: list[tuple[str, str]] = []
    notes: list[str] = []
    texts = [("title", sc.title)] + [
        (f"optimizer[{i}].label", o.label) for i, o in enumerate(sc.optimizers)
    ]
    for key, text in texts:
        problem = _mathtext_problem(text)
        if problem:
            problems.append((key, problem))
    if sc.analysis.basins and sc.minima.shape[0] > len(BASIN_COLOURS):
        problems.append(
            (
                "analysis.basins",
                f"the basin maps colour at most {len(BASIN_COLOURS)} known minima; the file lists "
                f"{sc.minima.shape[0]}: list fewer minima or set basins = false",
            )
        )
    with np.errstate(all="ignore"):
        f0 = sc.function.value(sc.starts[:1])
        (x0, x1), (y0, y1) = sc.domain
        X, Y = np.meshgrid(np.linspace(x0, x1, GRID), np.linspace(y0, y1, GRID))
        grid = sc.function.value(np.stack([X, Y], axis=-1))
    if not np.isfinite(f0).all():
        problems.append(("start", f"f is not finite at the start {point(sc.starts[0])}"))
    bad = ~np.isfinite(grid)
    if bad.all():
        problems.append(("function", "f is not finite anywhere on the domain"))
    elif bad.any():
        i, j = np.argwhere(bad)[0]
        notes.append(
            f"f is not finite on {num(100 * bad.mean(), 2)} % of the view (for example at "
            f"{point((X[i, j], Y[i, j]))}); the surface has holes there"
        )
    outside = ~((sc.starts[:, 0] >= x0) & (sc.starts[:, 0] <= x1))
    outside |= ~((sc.starts[:, 1] >= y0) & (sc.starts[:, 1] <= y1))
    if outside.any():
        notes.append(
            f"{int(outside.sum())} start point(s) lie outside the view, e.g. "
            f"{point(sc.starts[outside][0])}"
        )
    return problems, notes
