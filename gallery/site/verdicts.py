"""Verdicts: strengths, weaknesses and common claims per optimizer, read off the shipped runs.

Everything here is computed from bundles (the observations of every run, the learning-rate sweep
bands) and from the update rules themselves; nothing is written by hand except the wording of a
statement, and a statement no run supports is not shown. Each piece of evidence points at a run and
at the moment of its animation that shows it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gallery.engine import optim
from gallery.engine.text import num
from gallery.site.bundle import Bundle, RunPage

ANGLES = (
    ("path", "Shape of the path"),
    ("speed", "Speed"),
    ("rate", "Robustness to the learning rate"),
    ("terrain", "Saddles, plateaus and noise"),
    ("cost", "Cost"),
)
CLASSIC = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")


@dataclass(frozen=True)
class Evidence:
    """One run that shows a statement, and where to look."""

    slug: str
    title: str
    label: str
    anchor: str  # the run's section on the scenario page
    time: float | None  # seconds into the animation (None: not a moment of the animation)
    step: int | None
    numbers: str  # what was measured, in words


@dataclass(frozen=True)
class Item:
    """A strength or a weakness, with the runs that show it and those that show the opposite."""

    angle: str
    strength: bool
    text: str
    shown: tuple[Evidence, ...]
    not_shown: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class Verdict:
    """A claim students commonly make, and what the shipped runs say about it."""

    claim: str
    verdict: str  # "holds", "fails here", "depends", "not tested here", "holds by the rule"
    holds: tuple[Evidence, ...]
    fails: tuple[Evidence, ...]
    note: str = ""


def _v(r: RunPage, name: str):
    return r.observed[name]["value"]


def _e(r: RunPage, name: str, key: str):
    return r.observed[name].get(key)


def _evidence(b: Bundle, r: RunPage, step: int | None, numbers: str) -> Evidence:
    time = b.time_of(b.steps if step is None else step)  # every run has a moment to show
    return Evidence(b.slug, b.title, r.label, r.anchor, time, step, numbers)


def _first(b: Bundle, kind: str) -> RunPage | None:
    return next((r for r in b.runs if r.kind == kind), None)


def _reversals(r: RunPage) -> int:
    return (_v(r, "zigzag_x") or 0) + (_v(r, "zigzag_y") or 0)


def _steps(v) -> str:
    return "never" if v is None else f"step {v}"


# ---------------------------------------------------------------------------------- statements
# A statement looks at one run in its scenario and returns None (does not apply), or
# (shows it?, evidence step, numbers).

Outcome = tuple[bool, int | None, str] | None
Judge = Callable[[Bundle, RunPage], Outcome]


def smooth(b: Bundle, r: RunPage) -> Outcome:
    if _v(r, "diverges") is not None:
        return None
    n = _reversals(r)
    return (
        n == 0,
        b.steps if n == 0 else _e(r, "zigzag_y", "first") or _e(r, "zigzag_x", "first"),
        (f"{n} visible reversals in {b.steps} steps"),
    )


def zigzags(b: Bundle, r: RunPage) -> Outcome:
    n = _reversals(r)
    first = min(x for x in (_e(r, "zigzag_x", "first"), _e(r, "zigzag_y", "first"), b.steps)
                if x is not None)  # fmt: skip
    return n >= 10, first, _plural(n, "visible reversal")


def overshoots(b: Bundle, r: RunPage) -> Outcome:
    n = _v(r, "overshoots")
    if n is None:
        return None
    step = _e(r, "overshoots", "first")
    return n >= 3, b.steps if step is None else step, _plural(n, "crossing") + " past the minimum"


def direct(b: Bundle, r: RunPage) -> Outcome:
    ratio = _v(r, "path_ratio")
    if ratio is None or _v(r, "diverges") is not None:
        return None
    return ratio < 1.3, b.steps, f"path {num(ratio, 3)} times the straight line"


def winding(b: Bundle, r: RunPage) -> Outcome:
    out = direct(b, r)
    return None if out is None else (_v(r, "path_ratio") >= 2, out[1], out[2])


def _vs(b: Bundle, r: RunPage, other: RunPage | None, name: str) -> tuple | None:
    if other is None or r.kind == other.kind or not b.minima:
        return None
    return _v(r, name), _v(other, name)


def faster_than_sgd(b: Bundle, r: RunPage) -> Outcome:
    pair = _vs(b, r, _first(b, "sgd"), "reaches")
    if pair is None or pair == (None, None):
        return None
    mine, sgd = pair
    faster = mine is not None and (sgd is None or mine < sgd)
    return faster, mine if mine is not None else sgd, f"{_steps(mine)}; SGD: {_steps(sgd)}"


def slower_than_sgd(b: Bundle, r: RunPage) -> Outcome:
    pair = _vs(b, r, _first(b, "sgd"), "reaches")
    if pair is None or pair == (None, None):
        return None
    mine, sgd = pair
    slower = sgd is not None and (mine is None or mine > sgd)
    return slower, sgd if sgd is not None else mine, f"{_steps(mine)}; SGD: {_steps(sgd)}"


def closer_than_sgd(b: Bundle, r: RunPage) -> Outcome:
    pair = _vs(b, r, _first(b, "sgd"), "distance")
    if pair is None or None in pair:
        return None
    mine, sgd = pair
    return mine < sgd, b.steps, f"ends {num(mine, 2)} away; SGD {num(sgd, 2)}"


def farther_than_sgd(b: Bundle, r: RunPage) -> Outcome:
    out = closer_than_sgd(b, r)
    return None if out is None else (_v(r, "distance") > 2 * _v(_first(b, "sgd"), "distance"),
                                       out[1], out[2])  # fmt: skip


def first_to_arrive(b: Bundle, r: RunPage) -> Outcome:
    if not b.minima or len(b.runs) < 2 or all(_v(o, "reaches") is None for o in b.runs):
        return None
    rank = _v(r, "rank_reach")
    best = min(_v(o, "reaches") for o in b.runs if _v(o, "reaches") is not None)
    return (
        rank == 1,
        _v(r, "reaches") or best,
        f"{_steps(_v(r, 'reaches'))}; the first: step {best}",
    )


def beaten(b: Bundle, r: RunPage) -> Outcome:
    out = first_to_arrive(b, r)
    return None if out is None else (not out[0], out[1], out[2])


def _decades(band: float | None) -> float | None:
    return band


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def wide_band(b: Bundle, r: RunPage) -> Outcome:
    if "sweep" not in b.analysis or not b.minima:
        return None
    width = _decades(r.band)
    sgd = _first(b, "sgd")
    sgd_width = _decades(sgd.band) if sgd else None
    sgd_text = "none" if sgd_width is None else f"{num(sgd_width, 2)} decades"
    note = f" (SGD: {sgd_text})" if sgd and sgd is not r else ""
    text = "no rate reaches a minimum" if width is None else f"{num(width, 2)} decades of rates"
    return width is not None and width >= 1.0, _v(r, "reaches") or b.steps, text + note


def narrow_band(b: Bundle, r: RunPage) -> Outcome:
    out = wide_band(b, r)
    if out is None:
        return None
    width = _decades(r.band)
    return (width is None or width < 0.5), out[1], out[2]


def _runs_off(r: RunPage) -> int | None:
    """The step a run diverged, or left the view for good; None if it did neither."""
    if _v(r, "diverges") is not None:
        return _v(r, "diverges")
    leaves = _v(r, "leaves_view")
    return leaves if leaves is not None and _e(r, "leaves_view", "back") is None else None


def stays_clear(b: Bundle, r: RunPage) -> Outcome:
    """Keeps away from the cliff that other runs of its scenario go over."""
    others = [o for o in b.runs if o is not r and _runs_off(o) is not None]
    if not others or b.saddles:  # at a saddle every run is meant to slide off
        return None
    mine = _runs_off(r)
    names = ", ".join(o.label for o in others)
    return (
        mine is None,
        mine or b.steps,
        f"stays on the map; {names} run off"
        if mine is None
        else (f"runs off at step {mine}, like {names}"),
    )


def runs_off(b: Bundle, r: RunPage) -> Outcome:
    if b.saddles and _v(r, "diverges") is None:
        return None  # leaving a saddle's view is the point of a saddle scenario
    step = _runs_off(r)
    if step is None:
        return False, b.steps, "stays on the map"
    how = "diverges" if _v(r, "diverges") is not None else "leaves the view for good"
    return True, step, f"{how} at step {step}"


def leaves_saddle(b: Bundle, r: RunPage) -> Outcome:
    if not b.saddles or all(_v(o, "lingers") == 0 for o in b.runs):
        return None  # no run comes near the saddle: the scenario says nothing about it
    lingers, escapes = _v(r, "lingers"), _v(r, "escapes")
    sgd = _first(b, "sgd")
    sgd_escapes = _v(sgd, "escapes") if sgd and sgd is not r else None
    quick = lingers == 0 or (
        sgd_escapes is not None and escapes is not None and escapes < sgd_escapes
    )
    ref = f"; SGD leaves at {_steps(sgd_escapes)}" if sgd and sgd is not r else ""
    return quick, escapes or 0, f"{lingers} steps near the saddle{ref}"


def lingers(b: Bundle, r: RunPage) -> Outcome:
    if not b.saddles:
        return None
    n = _v(r, "lingers")
    return n >= 10, _v(r, "escapes") or b.steps, f"{n} steps within {b.tolerance} of the saddle"


def crawls(b: Bundle, r: RunPage) -> Outcome:
    """Slows to a crawl far from the minimum: the plateau weakness."""
    first, median, distance = _v(r, "first_step"), _v(r, "median_step"), _v(r, "distance")
    if None in (first, median, distance) or not first:
        return None
    tol = float(b.tolerance)
    slow = median < 0.01 * first and distance > 10 * tol
    numbers = (
        f"median step {num(median, 2)}, first step {num(first, 2)}; ends {num(distance, 2)} away"
    )
    return slow, b.steps, numbers


def keeps_moving(b: Bundle, r: RunPage) -> Outcome:
    out = crawls(b, r)
    if out is None:
        return None
    sgd = _first(b, "sgd")
    if sgd is None or sgd is r or not (crawls(b, sgd) or (False,))[0]:
        return None  # only where plain descent crawls: a plateau
    return (not out[0] and _v(r, "distance") < _v(sgd, "distance")), b.steps, out[2]


def settles_under_noise(b: Bundle, r: RunPage) -> Outcome:
    if r.noise <= 0 or _v(r, "converged_share") is None:
        return None
    share = _v(r, "converged_share")
    return share > 0, b.steps, f"{num(share * 100, 3)} % of the repeats converge; end spread " \
        f"{num(_v(r, 'end_spread'), 3)}"  # fmt: skip


def averages_noise(b: Bundle, r: RunPage) -> Outcome:
    if r.noise <= 0 or r.kind == "sgd":
        return None
    sgd = next((o for o in b.runs if o.kind == "sgd" and o.noise > 0), None)
    if sgd is None:
        return None
    mine, theirs = _v(r, "end_spread"), _v(sgd, "end_spread")
    return mine < theirs, b.steps, f"end spread {num(mine, 3)}; noisy SGD: {num(theirs, 3)}"


def no_settle_under_noise(b: Bundle, r: RunPage) -> Outcome:
    out = settles_under_noise(b, r)
    return None if out is None else (not out[0], out[1], out[2])


STATEMENTS: tuple[tuple[str, bool, str, Judge], ...] = (
    ("path", True, "Its path is smooth: no visible reversal of direction.", smooth),
    ("path", False, "It zig-zags: ten or more visible reversals of direction.", zigzags),
    ("path", False, "It overshoots: it crosses past the minimum's coordinates three times or more.",
     overshoots),
    ("path", True, "Its path is direct: under 1.3 times the straight line from start to end.",
     direct),
    ("path", False, "Its path winds: at least twice the straight line from start to end.", winding),
    ("speed", True, "It gets within the tolerance of a minimum sooner than SGD.", faster_than_sgd),
    ("speed", False, "It gets within the tolerance later than SGD, or never.", slower_than_sgd),
    ("speed", True, "After the same number of steps it ends closer to a minimum than SGD.",
     closer_than_sgd),
    ("speed", False, "After the same number of steps it ends more than twice as far from a minimum "
     "as SGD.", farther_than_sgd),
    ("speed", True, "It is the first in its scenario to get within the tolerance.",
     first_to_arrive),
    ("speed", False, "Other optimizers of its scenario get within the tolerance first.", beaten),
    ("rate", True, "A wide band of learning rates reaches a minimum: a decade or more.", wide_band),
    ("rate", False, "Only a narrow band of learning rates reaches a minimum, under half a decade, "
     "or none does.", narrow_band),
    ("terrain", True, "It stays clear of a cliff that other runs of its scenario go over.",
     stays_clear),
    ("terrain", False, "It runs off a cliff: it diverges, or leaves the view for good.", runs_off),
    ("terrain", True, "It leaves a saddle quickly: at once, or before SGD.", leaves_saddle),
    ("terrain", False, "It lingers near a saddle: ten steps or more.", lingers),
    ("terrain", True, "On a plateau where SGD crawls, it keeps moving and ends closer.",
     keeps_moving),
    ("terrain", False, "It slows to a crawl far from the minimum: its median step is under 1 % of "
     "its first.", crawls),
    ("terrain", True, "Under noisy gradients it averages the noise: its repeats end less spread "
     "than noisy SGD's.", averages_noise),
    ("terrain", False, "Under noisy gradients none of its repeats settles.", no_settle_under_noise),
)  # fmt: skip


def _runs(kind: str, bundles: Sequence[Bundle]):
    for b in bundles:
        for r in b.runs:
            if r.kind == kind:
                yield b, r


def items(kind: str, bundles: Sequence[Bundle]) -> list[Item]:
    """The strengths and weaknesses of `kind` that the runs show, and where they do not hold."""
    out = []
    for angle, strength, text, judge in STATEMENTS:
        shown, not_shown = [], []
        for b, r in _runs(kind, bundles):
            outcome = judge(b, r)
            if outcome is None:
                continue
            yes, step, numbers = outcome
            (shown if yes else not_shown).append(_evidence(b, r, step, numbers))
        if shown:
            out.append(Item(angle, strength, text, tuple(shown), tuple(not_shown)))
    out += cost_items(kind)
    return out


def settings(kind: str) -> list[str]:
    """The numbers a user can set for `kind` (flags left out; both betas counted)."""
    out = []
    for name, default in optim.KINDS[kind].defaults.items():
        if isinstance(default, bool):
            continue
        out += (
            [f"{name}[{i}]" for i in range(len(default))] if isinstance(default, tuple) else [name]
        )
    return out


def cost_items(kind: str) -> list[Item]:
    """State kept between steps, and the numbers to set: properties of the update rule."""
    k = optim.KINDS[kind]
    vectors = optim.state_vectors(kind)
    numbers = settings(kind)
    rule = Evidence(
        "", "", k.title, "", None, None,
        f"measured on the update rule; {len(numbers)} numbers to set: {', '.join(numbers)}",
    )  # fmt: skip
    out = []
    if vectors == 0:
        text = "It keeps no state between steps: its memory is just the parameters."
        out.append(Item("cost", True, text, (rule,)))
    else:
        text = f"It keeps {_plural(vectors, 'vector')} the size of the parameters between steps."
        out.append(Item("cost", vectors == 1, text, (rule,)))
    if k.needs_hessian:
        text = "It needs the Hessian, all second derivatives, at every step."
        out.append(Item("cost", False, text, (rule,)))
    return out


# ---------------------------------------------------------------------------------- claims


def _verdict(claim: str, holds: list, fails: list, note: str = "") -> Verdict:
    if holds and fails:
        v = "depends"
    elif holds:
        v = "holds"
    elif fails:
        v = "fails here"
    else:
        v = "not tested here"
    return Verdict(claim, v, tuple(holds), tuple(fails), note)


def _judge(kind: str, bundles: Sequence[Bundle], judge: Judge) -> tuple[list, list]:
    holds, fails = [], []
    for b, r in _runs(kind, bundles):
        outcome = judge(b, r)
        if outcome is None:
            continue
        yes, step, numbers = outcome
        (holds if yes else fails).append(_evidence(b, r, step, numbers))
    return holds, fails


def _against(other: str, name: str, better: Callable[[float, float], bool], what: str) -> Judge:
    """A judge comparing a run with the first run of kind `other` in the same scenario."""

    def judge(b: Bundle, r: RunPage) -> Outcome:
        o = _first(b, other)
        if o is None or o is r:
            return None
        mine, theirs = _v(r, name), _v(o, name)
        if mine is None and theirs is None:
            return None
        yes = mine is not None and (theirs is None or better(mine, theirs))
        step = mine if name in ("reaches", "escapes") and mine is not None else b.steps
        return yes, step, f"{what}: {mine if mine is not None else 'none'} against " \
            f"{theirs if theirs is not None else 'none'}"  # fmt: skip

    return judge


def _fewer_reversals(other: str) -> Judge:
    def judge(b: Bundle, r: RunPage) -> Outcome:
        o = _first(b, other)
        if o is None or o is r:
            return None
        return (
            _reversals(r) < _reversals(o),
            b.steps,
            (f"{_reversals(r)} visible reversals against {_reversals(o)}"),
        )

    return judge


def trapped(b: Bundle, r: RunPage) -> Outcome:
    """Ends in a shallower valley than the deepest known one."""
    if not b.unequal_minima or _v(r, "basin") is None:
        return None
    deep = bool(_e(r, "basin", "deepest"))
    return (
        not deep,
        b.steps,
        f"ends at {_e(r, 'basin', 'minimum')}"
        + (" (the deepest)" if deep else " (a shallower one)"),
    )


def rolls_on(b: Bundle, r: RunPage) -> Outcome:
    out = trapped(b, r)
    sgd = _first(b, "sgd")
    if out is None or sgd is None or sgd is r or not (trapped(b, sgd) or (False,))[0]:
        return None
    return not out[0], out[1], out[2] + "; SGD stays in the shallow one"


def slowest(b: Bundle, r: RunPage) -> Outcome:
    if not b.minima or len(b.runs) < 2:
        return None
    mine = _v(r, "reaches")
    others = [_v(o, "reaches") for o in b.runs if o is not r]
    if mine is None and all(v is None for v in others):
        return None
    last = mine is None or all(v is not None and v <= mine for v in others)
    return last, mine or b.steps, f"{_steps(mine)}; others: " + ", ".join(_steps(v) for v in others)


def stops_short(b: Bundle, r: RunPage) -> Outcome:
    first, last = _v(r, "first_step"), _v(r, "last_step")
    if first is None or last is None or not b.minima or _v(r, "diverges") is not None:
        return None
    short = _v(r, "reaches") is None and last < 0.01 * first
    return short, b.steps, f"last step {num(last, 2)} against a first of {num(first, 2)}; " \
        f"ends {num(_v(r, 'distance'), 2)} away"  # fmt: skip


def smoothest(b: Bundle, r: RunPage) -> Outcome:
    if len(b.runs) < 2 or _v(r, "diverges") is not None:
        return None
    mine = _reversals(r)
    fewest = min(_reversals(o) for o in b.runs if _v(o, "diverges") is None)
    return mine == fewest, b.steps, f"{mine} visible reversals; fewest here: {fewest}"


def shrinks_like_adagrad(b: Bundle, r: RunPage) -> Outcome:
    a = _first(b, "adagrad")
    if a is None or None in (_v(r, "last_step"), _v(a, "last_step")):
        return None
    mine = _v(r, "last_step") / _v(r, "first_step")
    theirs = _v(a, "last_step") / _v(a, "first_step")
    return mine <= 2 * theirs, b.steps, f"last step / first step: {num(mine, 2)}; AdaGrad: " \
        f"{num(theirs, 2)}"  # fmt: skip


def rattles(b: Bundle, r: RunPage) -> Outcome:
    if _v(r, "reaches") is None or _v(r, "diverges") is not None:
        return None
    n = _reversals(r)
    return (
        n >= 10 and _v(r, "converges") is None,
        _v(r, "reaches"),
        (f"{n} visible reversals; converges: {_steps(_v(r, 'converges'))}"),
    )


def never_overshoots(b: Bundle, r: RunPage) -> Outcome:
    n = _v(r, "overshoots")
    if n is None:
        return None
    return (
        n == 0,
        _e(r, "overshoots", "first") or b.steps,
        _plural(n, "crossing") + " past the minimum",
    )


COMMON: dict[str, tuple[tuple[str, Judge], ...]] = {
    "sgd": (
        ("SGD zig-zags across steep valleys.", zigzags),
        ("SGD gets stuck in a shallow valley when a deeper one exists.", trapped),
        ("SGD is the slowest optimizer.", slowest),
    ),
    "momentum": (
        ("Momentum is faster than SGD.", faster_than_sgd),
        ("Momentum overshoots the minimum and has to come back.", overshoots),
        ("Momentum can roll out of a shallow valley that traps SGD.", rolls_on),
    ),
    "nesterov": (
        ("Nesterov corrects its course sooner than Momentum: fewer reversals.",
         _fewer_reversals("momentum")),
        ("Nesterov overshoots less than Momentum.",
         _against("momentum", "overshoots", lambda a, b: a < b, "crossings")),
        ("Nesterov is never slower than Momentum to reach the minimum.",
         _against("momentum", "reaches", lambda a, b: a <= b, "first step within the tolerance")),
    ),
    "adagrad": (
        ("AdaGrad's steps decay until it stops short of the minimum.", stops_short),
        ("AdaGrad has the smoothest path of all.", smoothest),
        ("AdaGrad is faster than SGD.", faster_than_sgd),
    ),
    "rmsprop": (
        ("RMSprop's step size shrinks over time the way AdaGrad's does.", shrinks_like_adagrad),
        ("RMSprop rattles around the minimum instead of settling.", rattles),
        ("RMSprop leaves a saddle quickly.", leaves_saddle),
    ),
    "adam": (
        ("Adam never overshoots.", never_overshoots),
        ("Adam is the fastest optimizer.", first_to_arrive),
        ("Adam leaves a saddle quickly.", leaves_saddle),
    ),
}  # fmt: skip


def common_claims(kind: str, bundles: Sequence[Bundle]) -> list[Verdict]:
    """The common claims about a classic optimizer, each with the verdict of the shipped runs."""
    out = [_verdict(claim, *_judge(kind, bundles, judge)) for claim, judge in COMMON.get(kind, ())]
    if kind == "adam":
        vectors = optim.state_vectors("adam")
        rule = Evidence("", "", "Adam", "", None, None, f"{vectors} vectors, measured on the rule")
        claim = "Adam needs more memory than SGD: it keeps two vectors per parameter."
        ok = vectors == 2 and optim.state_vectors("sgd") == 0
        verdict = "holds by the rule" if ok else "fails here"
        out.append(Verdict(claim, verdict, (rule,) if ok else (), () if ok else (rule,)))
    return out


# ---------------------------------------------------------------------------------- compare


@dataclass(frozen=True)
class Cell:
    """One optimizer on one scenario, in the comparison table."""

    text: str  # "converges from step 34", "diverged at step 20", "ends 0.2 away"
    sort: float  # the value the column sorts by (smaller is better)
    band: str  # width of the band of rates that reach a minimum
    href: str  # the run on its scenario page
    more: int  # further runs of the same kind in the scenario


def cell(b: Bundle, kind: str) -> Cell | None:
    """The first run of `kind` in scenario `b`, summarised."""
    runs = [r for r in b.runs if r.kind == kind]
    if not runs:
        return None
    r = runs[0]
    d, conv, reach = _v(r, "diverges"), _v(r, "converges"), _v(r, "reaches")
    if d is not None:
        text, key = f"diverged at step {d}", 1e9 + d
    elif conv is not None:
        text, key = f"converges from step {conv}", conv
    elif reach is not None:
        text, key = f"within the tolerance at step {reach}, leaves again", reach + 0.5
    elif _v(r, "distance") is not None:
        dist = _v(r, "distance")
        text, key = f"ends {num(dist, 2)} away", 1e6 + dist
    else:
        text, key = f"ends at f = {num(_v(r, 'final_f'), 3)}", 2e9
    width = _decades(r.band)
    band = (
        "—"
        if "sweep" not in b.analysis or not b.minima
        else ("none" if width is None else f"{num(width, 2)} decades")
    )
    return Cell(text, key, band, f"scenarios/{b.slug}.html#{r.anchor}", len(runs) - 1)
