"""Geometry of the figures, in plain NumPy: paths clipped to the view (with where they leave and
come back), the scale of the loss axis and of the surface's height, runs that hide each other,
and the moments a frame strip shows. No matplotlib here; `frames` draws what this computes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: A run whose |f| passes this has diverged (as in `gallery.engine.simulate`).
DIVERGENCE_BOUND = 1e12
#: Directions sampled around a known minimum to find the rise of f at the tolerance distance.
DIRECTIONS = 32


# ---------------------------------------------------------------------------------- clipping


@dataclass(frozen=True)
class Crossing:
    """A path crossing the edge of the view: `kind` "leave" or "back", the step of the first point
    outside (leave) or back inside (back), where it crosses and the direction it travels."""

    kind: str
    step: int
    point: np.ndarray  # (D,)
    direction: np.ndarray  # (D,), not normalised


@dataclass(frozen=True)
class Clipped:
    """A path cut to a box: the vertices to draw (NaN rows break the line), how many of them
    frame t draws (`upto[t]`), whether point t is inside, and the crossings of the box's edge."""

    verts: np.ndarray  # (M, D)
    upto: np.ndarray  # (T,) int
    inside: np.ndarray  # (T,) bool
    crossings: tuple[Crossing, ...]
    last: np.ndarray  # (T,) int: index of the last finite vertex drawn by frame t, -1 if none


def inside_box(points: np.ndarray, lo, hi) -> np.ndarray:
    """True where a point lies in the closed box [lo, hi] (NaN: outside)."""
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    with np.errstate(invalid="ignore"):
        return np.all((points >= lo) & (points <= hi), axis=-1)


def _liang_barsky(
    a: np.ndarray, b: np.ndarray, lo, hi
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For segments a[i] -> b[i]: (hit, t0, t1); the part inside the box is t in [t0, t1]."""
    d = b - a
    t0 = np.zeros(len(a))
    t1 = np.ones(len(a))
    hit = np.all(np.isfinite(a), axis=1) & np.all(np.isfinite(b), axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        for p, q in ((-d, a - lo), (d, hi - a)):
            for k in range(a.shape[1]):
                pk, qk = p[:, k], q[:, k]
                parallel = pk == 0
                hit &= ~(parallel & (qk < 0))
                t = qk / pk
                t0 = np.where(~parallel & (pk < 0), np.maximum(t0, t), t0)
                t1 = np.where(~parallel & (pk > 0), np.minimum(t1, t), t1)
    hit &= t0 <= t1
    return hit, t0, t1


def clip_path(points: np.ndarray, lo, hi) -> Clipped:
    """Cut a path (T, D) to the box [lo, hi]: drawn to the edge where it leaves, from the edge where
    it comes back; a segment that only passes through the box is drawn too. NaN points (after a
    divergence) end the path."""
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    points = np.asarray(points, float)
    T, D = points.shape
    inside = inside_box(points, lo, hi)
    a, b = points[:-1], points[1:]
    hit, t0, t1 = _liang_barsky(a, b, lo, hi)
    d = b - a
    entering = hit & ~inside[:-1]
    ending_out = hit & ~inside[1:]
    # per step s >= 1: up to three vertices: a break and the entry point (when it comes in),
    # then the point itself or the exit point
    slots = np.full((T - 1, 3, D), np.nan)
    use = np.zeros((T - 1, 3), bool)
    slots[:, 1] = a + t0[:, None] * d
    use[:, 0] = entering
    use[:, 1] = entering
    slots[:, 2] = np.where(inside[1:, None], b, a + t1[:, None] * d)
    use[:, 2] = hit
    first = points[:1] if inside[0] else np.full((1, D), np.nan)
    verts = np.concatenate([first, slots[use]]) if T > 1 else first
    counts = np.concatenate([[1], use.sum(axis=1)])
    upto = np.cumsum(counts)
    finite = np.all(np.isfinite(verts), axis=1)
    last_finite = np.maximum.accumulate(np.where(finite, np.arange(len(verts)), -1))
    last = last_finite[upto - 1]
    crossings = []
    for s in np.flatnonzero(entering | ending_out):
        if entering[s]:
            crossings.append(Crossing("back", int(s + 1), a[s] + t0[s] * d[s], d[s].copy()))
        if ending_out[s]:
            crossings.append(Crossing("leave", int(s + 1), a[s] + t1[s] * d[s], d[s].copy()))
    return Clipped(verts, upto, inside, tuple(crossings), last)


# ---------------------------------------------------------------------------------- captions


def _steps_text(steps: list[int]) -> str:
    if len(steps) == 1:
        return f"step {steps[0]}"
    return "steps " + ", ".join(str(s) for s in steps[:-1]) + f" and {steps[-1]}"


def view_sentence(label: str, xy: np.ndarray, domain, diverged_at: int = -1) -> str | None:
    """A sentence for the caption about a path that leaves the view (None if it never does):
    "Newton leaves the view at step 2 and comes back at step 3." Steps count points, as the
    observations `leaves_view` and `returns` do."""
    (x0, x1), (y0, y1) = domain
    finite = np.all(np.isfinite(xy), axis=1)
    n = int(np.argmin(finite)) if not finite.all() else len(xy)
    inside = inside_box(xy[:n], (x0, y0), (x1, y1))
    if inside.all():
        return None
    change = np.flatnonzero(np.diff(inside.astype(int)))
    leaves = [int(s + 1) for s in change if inside[s]]
    backs = [int(s + 1) for s in change if not inside[s]]
    parts = []
    if not inside[0]:
        parts.append("starts outside the view")
        if backs:
            parts.append(f"enters it at step {backs.pop(0)}")
    if len(leaves) + len(backs) > 6:
        parts.append(f"leaves the view {len(leaves)} times (first at step {leaves[0]})")
        if backs:
            parts.append(f"comes back {len(backs)} times (last at step {backs[-1]})")
    else:
        if leaves:
            parts.append(f"leaves the view at {_steps_text(leaves)}")
        if backs:
            parts.append(f"comes back at {_steps_text(backs)}")
    if diverged_at >= 0 and not inside[-1]:
        parts.append(f"diverges outside it at step {diverged_at}")
    elif diverged_at >= 0:
        parts.append(f"diverges at step {diverged_at}")
    elif not inside[-1]:
        parts.append("ends outside it")
    text = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"{label} {text}."


def paths_sentence(label: str, xys: np.ndarray, domain) -> str | None:
    """The caption's sentence for a run with several paths (T, N, 2): how many leave the view."""
    (x0, x1), (y0, y1) = domain
    out = ~inside_box(xys, (x0, y0), (x1, y1)) & np.all(np.isfinite(xys), axis=-1)
    left = out.any(axis=0)
    k, n = int(left.sum()), xys.shape[1]
    if k == 0:
        return None
    return f"{k} of the {n} paths of {label} leave the view."


# ---------------------------------------------------------------------------------- scales


def tolerance_rise(function, minima: np.ndarray, tol: float) -> float | None:
    """How much f rises at distance `tol` from a known minimum (the smallest rise over directions
    and minima): the f gap that counts as "reached" on a log axis. None if f rises nowhere."""
    if minima.shape[0] == 0 or not tol > 0:
        return None
    ang = np.linspace(0.0, 2 * np.pi, DIRECTIONS, endpoint=False)
    ring = np.column_stack([np.cos(ang), np.sin(ang)]) * tol
    rises = []
    with np.errstate(all="ignore"):
        for m in minima:
            here = float(np.asarray(function.value(m[None, :]), float).reshape(-1)[0])
            around = np.asarray(function.value(m[None, :] + ring), float).reshape(-1) - here
            around = around[np.isfinite(around) & (around > 0)]
            if around.size:
                rises.append(float(around.min()))
    return min(rises) if rises else None


@dataclass(frozen=True)
class LossScale:
    """How the loss panel shows f: `scale` "log", "symlog" or "linear" of f − `offset`; `floor`
    is the lower limit of a log axis (values below it sit on it) or a symlog's linear threshold;
    (lo, hi) the axis limits; `label` says which."""

    scale: str
    offset: float
    floor: float
    lo: float
    hi: float
    label: str

    def values(self, f: np.ndarray) -> np.ndarray:
        """What the panel plots for f (NaN stays NaN)."""
        v = np.asarray(f, float) - self.offset
        if self.scale == "log":
            with np.errstate(invalid="ignore"):
                v = np.where(np.isfinite(v), np.maximum(v, self.floor), np.nan)
        return v


def loss_scale(
    fs: list[np.ndarray],
    *,
    f_star: float | None,
    rise: float | None,
    saddle_rise: float | None = None,
    view_span: float = 1.0,
) -> LossScale:
    """Choose the loss axis for every run's f values (finite ones before any divergence).

    With a known minimum: f − f* on a log axis whose floor is the rise of f at the tolerance
    distance (not machine precision); symlog of f − f* when a run goes below f*. Without one: f,
    on a symlog axis when it changes sign over decades, log when positive over decades, else
    linear.
    """
    fin = np.concatenate([f[np.isfinite(f)] for f in fs] + [np.zeros(0)])
    if fin.size == 0:
        return LossScale("linear", 0.0, 1.0, 0.0, 1.0, "f(x, y)")
    if f_star is not None:
        g = fin - f_star
        floor = rise if rise and rise > 0 else max(1e-12, 1e-9 * float(np.abs(g).max()))
        floor = max(floor, 1e-14 * max(1.0, abs(f_star)))
        top = max(float(g.max()), floor * 10)
        if float(g.min()) >= -floor:
            return LossScale("log", f_star, floor, floor / 1.6, top * 2.0, "f − f*  (log)")
        lo = float(g.min())
        return LossScale("symlog", f_star, floor, lo * 2.0, top * 2.0, "f − f*  (symlog)")
    lo, hi = float(fin.min()), float(fin.max())
    if lo > 0 and hi / lo > 100:
        return LossScale("log", 0.0, lo, lo / 1.6, hi * 2.0, "f  (log)")
    thresh = saddle_rise if saddle_rise and saddle_rise > 0 else 1e-3 * max(view_span, 1e-12)
    big = max(abs(lo), abs(hi))
    if lo < 0 and big / thresh > 1e3:
        return LossScale(
            "symlog",
            0.0,
            thresh,
            lo * 2.0 if lo < -thresh else lo - thresh,
            hi * 2.0 if hi > thresh else hi + thresh,
            "f  (symlog)",
        )
    pad = 0.06 * (hi - lo) if hi > lo else 1.0
    return LossScale("linear", 0.0, 0.0, lo - pad, hi + pad, "f(x, y)")


@dataclass(frozen=True)
class HeightScale:
    """The surface's height: f itself, or log10(f − `offset` + `floor`) (`log`)."""

    log: bool
    offset: float = 0.0
    floor: float = 1.0
    label: str = ""

    def __call__(self, f: np.ndarray) -> np.ndarray:
        f = np.asarray(f, float)
        if not self.log:
            return f
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.log10(np.maximum(f - self.offset, 0.0) + self.floor)

    def inverse(self, z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, float)
        return z if not self.log else 10.0**z - self.floor + self.offset


#: "auto" draws the height on a log scale when the view's range of f is this many times the
#: range where the paths run (the paths would otherwise lie on a flat floor).
LOG_HEIGHT_RATIO = 1e3


def height_scale(
    how: str,
    Z: np.ndarray,
    path_f: np.ndarray,
    *,
    bounded: bool,
    f_star: float | None,
) -> tuple[HeightScale, str | None]:
    """(the surface's height scale, a note when a requested log scale cannot be used).

    `Z` is f on the grid, `path_f` f at the path points inside the view, `bounded` whether f has
    its minimum inside the view (a log scale needs a floor)."""
    finite = Z[np.isfinite(Z)]
    if how == "linear" or finite.size == 0:
        return HeightScale(False), None
    base = float(finite.min())
    pf = path_f[np.isfinite(path_f)]
    if pf.size:
        base = min(base, float(pf.min()))
    if f_star is not None and f_star <= base + 1e-12 * max(1.0, abs(base)):
        base = min(base, f_star)
    span = float(np.quantile(finite, 0.99)) - base
    if how == "auto":
        if not bounded or pf.size == 0 or span <= 0:
            return HeightScale(False), None
        where = float(np.quantile(pf - base, 0.75))
        if where <= 0 or span / where < LOG_HEIGHT_RATIO:
            return HeightScale(False), None
    elif not bounded:
        return HeightScale(False), (
            "the surface is drawn on a linear height scale: f has no minimum inside the view, so "
            "a log scale has no floor"
        )
    floor = max(float(np.quantile(finite - base, 0.01)), span * 1e-6, 1e-300)
    at_star = f_star is not None and abs(base - f_star) <= 1e-12 * max(1.0, abs(f_star))
    if at_star and f_star == 0:
        label = "f  (log)"
    elif at_star:
        label = "f − f*  (log)"
    else:
        label = "f − min f  (log)"
    return HeightScale(True, base, floor, label), None


# ---------------------------------------------------------------------------------- overlaps


def _samples(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points every pixel or less along a polyline (NaN rows break it), and the length each
    stands for."""
    a, b = p[:-1], p[1:]
    seg = np.sqrt(((b - a) ** 2).sum(1))
    ok = np.isfinite(seg)
    a, b, seg = a[ok], b[ok], seg[ok]
    if len(seg) == 0:
        return np.zeros((0, 2)), np.zeros(0)
    n = np.maximum(np.ceil(seg).astype(int), 1)
    owner = np.repeat(np.arange(len(seg)), n)
    start = np.cumsum(n) - n
    frac = (np.arange(n.sum()) - start[owner] + 0.5) / n[owner]
    pts = a[owner] + frac[:, None] * (b - a)[owner]
    return pts, (seg / n)[owner]


def _keys(pts: np.ndarray, radius: int | None = None) -> np.ndarray:
    """Integer pixel key of every point; with a `radius`: the set of keys of every pixel within
    it of some point."""
    ij = np.round(pts).astype(np.int64)
    if radius is None:
        return ij[:, 0] * 1_000_003 + ij[:, 1]
    if radius:
        r = np.arange(-radius, radius + 1)
        di, dj = np.meshgrid(r, r)
        disk = (di**2 + dj**2) <= radius**2
        offs = np.column_stack([di[disk], dj[disk]])
        ij = (ij[:, None, :] + offs[None]).reshape(-1, 2)
    return np.unique(ij[:, 0] * 1_000_003 + ij[:, 1])


def covered(p: np.ndarray, q: np.ndarray, tol: float) -> tuple[float, float]:
    """(share of the length of polyline p lying within about `tol` pixels of polyline q, that
    length), on the pixel grid. NaN rows break a line."""
    sp, wp = _samples(p)
    sq, _ = _samples(q)
    if len(sp) == 0 or len(sq) == 0:
        return 0.0, 0.0
    near = np.isin(_keys(sp), _keys(sq, max(1, int(tol))))
    total = float(wp.sum())
    if total <= 0:
        return 0.0, 0.0
    return float(wp[near].sum()) / total, float(wp[near].sum())


def together(p: np.ndarray, q: np.ndarray, tol: float) -> tuple[float, float]:
    """(share of the distance p moves while q is within `tol` of it at the same step, that
    distance): how long two runs move as one. Paths (T, 2) point by point; NaN: out of view."""
    n = min(len(p), len(q))
    p, q = p[:n], q[:n]
    with np.errstate(invalid="ignore"):
        near = np.sqrt(((p - q) ** 2).sum(1)) <= tol
        seg = np.sqrt(((p[1:] - p[:-1]) ** 2).sum(1))
    seg = np.where(np.isfinite(seg), seg, 0.0)
    total = float(seg.sum())
    if total <= 0:
        return 0.0, 0.0
    ok = near[1:] & near[:-1]
    return float(seg[ok].sum()) / total, float(seg[ok].sum())


@dataclass(frozen=True)
class Overlap:
    """Two runs (i < j) whose paths hide each other: `moving` when they also move as one (their
    heads coincide), else only their lines lie on each other."""

    i: int
    j: int
    moving: bool


def overlapping(
    lines: list[np.ndarray | None],
    points: list[np.ndarray | None],
    tol: float,
    least: float = 20.0,
) -> list[Overlap]:
    """Pairs of runs that hide each other, from their pixel paths: `lines` the drawn polylines
    (NaN breaks), `points` the points step by step. A pair overlaps when the line of one lies
    within `tol` of the other's for nearly all its length (90 %), or each for most of its length
    (60 %), or when the two move together for half their way. None entries are skipped; less
    than `least` pixels of shared line do not count."""
    out = []
    for i in range(len(lines)):
        for j in range(i + 1, len(lines)):
            if lines[i] is None or lines[j] is None:
                continue
            a, la = covered(lines[i], lines[j], tol)
            b, lb = covered(lines[j], lines[i], tol)
            moving = False
            if points[i] is not None and points[j] is not None:
                c, lc = together(points[i], points[j], tol)
                d, ld = together(points[j], points[i], tol)
                moving = min(c, d) >= 0.5 and min(lc, ld) >= least
            hidden = (a >= 0.9 and la >= least) or (b >= 0.9 and lb >= least)
            both = min(a, b) >= 0.6 and min(la, lb) >= least
            if moving or hidden or both:
                out.append(Overlap(i, j, moving))
    return out


# ---------------------------------------------------------------------------------- moments


def moments(paths: list[np.ndarray], steps: np.ndarray, count: int) -> list[int]:
    """`count` steps (from `steps`, the animation's) at which a frame strip shows the run: evenly
    spaced in a mix of time and how far the paths have moved on screen (pixel paths, (T, 2)
    each), so a burst of early motion and a long quiet end both get their moments; the last
    step is always among them, step 0 never (it only shows the start)."""
    steps = np.asarray(steps)
    count = max(1, min(int(count), len(steps) - 1 if len(steps) > 1 else 1))
    T = int(steps[-1]) + 1
    motion = np.zeros(T)
    for p in paths:
        d = np.sqrt(((p[1:T] - p[: T - 1]) ** 2).sum(-1))
        motion[1 : len(d) + 1] += np.where(np.isfinite(d), d, 0.0)
    cum = np.cumsum(motion)
    clock = np.arange(T) / max(T - 1, 1)
    progress = 0.5 * clock + (0.5 * cum / cum[-1] if cum[-1] > 0 else 0.5 * clock)
    picked: set[int] = {int(steps[-1])}
    for q in np.arange(1, count) / count:
        t = int(np.searchsorted(progress, q))
        j = min(int(np.searchsorted(steps, min(max(t, 1), T - 1))), len(steps) - 1)
        picked.add(int(steps[j]))
    # fill up with evenly spaced frames where two moments fell on the same one
    for j in np.round(np.linspace(1, len(steps) - 1, count)).astype(int):
        if len(picked) >= count:
            break
        picked.add(int(steps[j]))
    return sorted(picked)
