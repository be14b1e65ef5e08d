"""Prose: observations -> sentences (a message catalog); claims checked, placeholders filled.

Every sentence the gallery writes about a run is a template of `CATALOG` with named fields taken
from the observations; a second language would be a second catalog, not a rewrite. Authored
paragraphs keep their wording, but their claims are checked and their numbers filled in here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from gallery.engine import observe
from gallery.engine.claims import PLACEHOLDER, Claim, compare
from gallery.engine.observe import Observation
from gallery.engine.scenario import RUN_FIELDS, SCENARIO_FIELDS, Paragraph, Scenario
from gallery.engine.text import num, point, value

Seen = Mapping[str, Observation]

CATALOG: dict[str, str] = {
    "diverged": "Diverged at step {step}: {axis} ran off toward {direction} "
    "(last finite point {last}).",
    "diverged_after_reach": "Before that it had come within {tol} of the minimum at step {step}.",
    "converges": "Converges: within {tol} of {minimum} from step {step} to the end{first}.",
    "first": ", the first of the runs here to get within the tolerance",
    "passes": "Comes within {tol} of the minimum at step {step} but does not stay there: it "
    "leaves again at step {left}. It ends {distance} away.",
    "ends": "Never within {tol} of a known minimum in {steps} steps; it ends {distance} from "
    "{minimum} with f = {f}.",
    "ends_free": "After {steps} steps it is at {point} with f = {f}.",
    "zigzag": "It visibly reverses direction {x} along x and {y} along y.",
    "overshoots": "It crosses past the minimum's coordinates {count} on the way (by up to "
    "{largest}).",
    "times": "{n} times",
    "once": "once",
    "never": "never",
    "lingers": "It spends {steps} steps within {tol} of the saddle {saddle}",
    "escapes": ", and leaves it for good at step {step}.",
    "stays": ", and is still there at the end.",
    "leaves": "It leaves the view at step {at}{back}.",
    "back": " and comes back at step {step}",
    "cycle": "From step {since} on it repeats a {period}-step cycle {width} wide: it hops instead "
    "of settling.",
    "chaotic": "From step {step} on, a start one ulp away follows a visibly different path: "
    "what happens after that depends on rounding, not on the method.",
    "tuned": "Its learning rate {lr} was tuned: out of {count} rates from {lo} to {hi}, it is "
    "{criterion}.",
    "spread": "Of all {n} start points, {converged} converge within {tol}; their end points lie "
    "a root-mean-square {spread} from their mean.",
    "headline_diverged": "diverges at step {step}",
    "headline_converges": "converges from step {step}",
    "headline_passes": "comes within {tol} of the minimum at step {step} and ends {distance} away",
    "headline_ends": "ends {distance} from the nearest minimum",
    "headline_free": "ends at f = {f}",
    "alt": "Animation of {n} optimizer paths on f(x, y) = {formula} {origin} over {steps} steps: "
    "a 3-D surface, a contour map and f against step. {runs}.",
    "claim_failed": 'claims "{claim}" ({meaning}), measured {measured}',
}


def say(message: str, **fields: Any) -> str:
    """The catalog's template `message` with `fields` filled in."""
    return CATALOG[message].format(**fields)


def fmt(v: Any) -> str:
    """A measured value for prose: whole numbers as such, others to three digits."""
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, int | np.integer) or (
        isinstance(v, float) and v.is_integer() and abs(v) < 1e6
    ):
        return str(int(v))
    if isinstance(v, float | np.floating):
        return num(float(v), 3)
    return str(v)


def times(n: int) -> str:
    """`never`, `once` or `N times`, from the catalog."""
    return say("never") if n == 0 else say("once") if n == 1 else say("times", n=n)


# ---------------------------------------------------------------------------------- sentences


def sentences(seen: Seen, tol: float, steps: int) -> list[str]:
    """What start 0 of a run did, each sentence read off one observation."""
    out: list[str] = []
    t = num(tol)
    d, conv, passes, reach = (seen[k] for k in ("diverges", "converges", "passes", "reaches"))
    if d.present:
        out.append(say("diverged", **d.evidence))
        if reach.present:
            out.append(say("diverged_after_reach", tol=t, step=reach.value))
    elif conv.present:
        first = say("first") if seen["rank_reach"].value == 1 and _others(seen) else ""
        out.append(say("converges", tol=t, first=first, **conv.evidence))
    elif passes.present:
        out.append(say("passes", tol=t, distance=fmt(seen["distance"].value), **passes.evidence))
    elif seen["distance"].present:
        out.append(
            say(
                "ends",
                tol=t,
                steps=steps,
                distance=fmt(seen["distance"].value),
                minimum=seen["distance"].evidence["minimum"],
                f=fmt(seen["final_f"].value),
            )
        )
    elif seen["final_f"].value is not None:
        end = seen["final_f"]
        out.append(say("ends_free", steps=steps, point=end.evidence["point"], f=fmt(end.value)))
    x, y = seen["zigzag_x"].value, seen["zigzag_y"].value
    if (x or 0) + (y or 0) >= 2:
        out.append(say("zigzag", x=times(x or 0), y=times(y or 0)))
    if seen["overshoots"].present:
        ev = seen["overshoots"].evidence
        out.append(say("overshoots", count=times(ev["count"]), largest=fmt(ev["largest"])))
    if seen["lingers"].present:
        ev = seen["lingers"].evidence
        text = say("lingers", steps=ev["steps"], tol=t, saddle=ev["saddle"])
        esc = seen["escapes"]
        out.append(text + (say("escapes", step=esc.value) if esc.present else say("stays")))
    if seen["leaves_view"].value is not None and not d.present:
        ev = seen["leaves_view"].evidence
        back = say("back", step=ev["back"]) if ev["back"] is not None else ""
        out.append(say("leaves", at=ev["step"], back=back))
    if seen["cycle"].present:
        ev = seen["cycle"].evidence
        out.append(say("cycle", period=ev["period"], since=ev["since"], width=fmt(ev["width"])))
    if seen["chaotic_after"].present and seen["chaotic_after"].value < steps:
        out.append(say("chaotic", step=seen["chaotic_after"].value))
    return out


def _others(seen: Seen) -> bool:
    return seen["rank_reach"].evidence.get("of", 1) > 1


def spread(seen: Seen, tol: float) -> str | None:
    """One sentence over every start point of a run (None for a single start)."""
    share, ends = seen["converged_share"], seen["end_spread"]
    n = ends.evidence.get("of", 1) if ends.value is not None else 1
    if n <= 1:
        return None
    converged = round(share.value * share.evidence["of"]) if share.value is not None else 0
    return say("spread", n=n, converged=converged, tol=num(tol), spread=fmt(ends.value))


def headline(seen: Seen, tol: float) -> str:
    """A short clause for alt texts and cards, e.g. `converges from step 34`."""
    d, conv, passes = seen["diverges"], seen["converges"], seen["passes"]
    if d.present:
        return say("headline_diverged", step=d.value)
    if conv.present:
        return say("headline_converges", step=conv.value)
    if passes.present:
        return say(
            "headline_passes", tol=num(tol), step=passes.value, distance=fmt(seen["distance"].value)
        )
    if seen["distance"].present:
        return say("headline_ends", distance=fmt(seen["distance"].value))
    return say("headline_free", f=fmt(seen["final_f"].value))


def alt_text(sc: Scenario, shorts: Sequence[str], seen: Sequence[Seen]) -> str:
    """What the animation shows, in words."""
    runs = "; ".join(
        f"{s} {headline(o, sc.analysis.tolerance)}" for s, o in zip(shorts, seen, strict=True)
    )
    n = sc.starts.shape[0]
    origin = f"from {point(sc.starts[0])}" if n == 1 else f"from {n} start points"
    formula = sc.function.text.replace("**", "^")
    return say("alt", n=len(shorts), formula=formula, origin=origin, steps=sc.steps, runs=runs)


def metric_cells(m: Any, seen: Seen) -> dict[str, str]:
    """The results table's cells for start 0 of a run (from `metrics.RunMetrics`).

    Reversals are the visible ones (`zigzag_x` / `zigzag_y`), as in the sentences.
    """
    i = 0
    div = int(m.diverged_at[i])
    reach = int(m.steps_to_min[i])
    return {
        "final_f": "diverged" if div >= 0 else num(m.final_f[i]),
        "distance": "—" if div >= 0 else num(m.distance[i]),
        "steps": str(reach) if reach >= 0 else "never",
        "path": num(m.path_length[i]),
        "reversals": f"{seen['zigzag_x'].value} / {seen['zigzag_y'].value}",
        "diverged": f"step {div}" if div >= 0 else "no",
    }


# ---------------------------------------------------------------------------------- authored


def check_claims(sc: Scenario, seen: Sequence[Seen]) -> list[tuple[str, str]]:
    """Every authored claim that the runs do not back, as (key, message)."""
    refs = {o.ref: i for i, o in enumerate(sc.optimizers)}
    problems = []
    for para in sc.commentary:
        for own in para.runs or (None,):
            for claim in para.claims:
                ok, measured = evaluate(claim, own, refs, seen)
                if not ok:
                    key = f"commentary.{para.key}"
                    if len(para.runs) > 1:
                        key += f" ({sc.optimizers[own].label})"
                    message = say(
                        "claim_failed",
                        claim=claim.text,
                        meaning=meaning(claim, sc.analysis.tolerance),
                        measured=measured,
                    )
                    problems.append((key, message))
    return problems


def meaning(claim: Claim, tol: float) -> str:
    """What a claim asserts, in words."""
    what = (
        observe.BY_NAME[claim.name].meaning
        if claim.name in observe.BY_NAME
        else (observe.RANKS[claim.name])
    )
    what = what.replace("the tolerance", f"{num(tol)}")
    run = f"{claim.ref}: " if claim.ref else ""
    if claim.negated:
        return f"{run}not shown: {what}"
    if claim.op is None:
        return f"{run}{what}"
    bound = (
        fmt(claim.bound) if claim.bound is not None else ".".join(p for p in claim.bound_ref if p)
    )
    return f"{run}{what} {claim.op} {bound}"


def evaluate(
    claim: Claim, own: int | None, refs: Mapping[str, int], seen: Sequence[Seen]
) -> tuple[bool, str]:
    """Whether a claim holds, and the measured value(s) in words."""
    run = refs[claim.ref] if claim.ref else own
    obs = seen[run][claim.name]
    measured = "not shown" if obs.value is None else fmt(obs.value)
    if claim.op is None:
        return obs.present != claim.negated, measured
    if claim.bound_ref is not None:
        ref, name = claim.bound_ref
        other = seen[refs[ref] if ref else own][name].value
        measured += f" against {'not shown' if other is None else fmt(other)}"
        bound = other
    else:
        bound = claim.bound
    if obs.value is None or bound is None:
        return False, measured
    return compare(float(obs.value), claim.op, float(bound)), measured


class FillError(ValueError):
    """A placeholder that has no value in this run (e.g. `{escapes}` for a run that never does)."""


def fill(
    para: Paragraph,
    own: int | None,
    sc: Scenario,
    seen: Sequence[Seen],
    settings: Sequence[Mapping[str, Any]],
) -> str:
    """The paragraph's Markdown with every placeholder replaced by its value."""
    refs = {o.ref: i for i, o in enumerate(sc.optimizers)}

    def one(match) -> str:
        name = match.group(1)
        parts = name.split(".")
        if len(parts) == 1 and parts[0] in SCENARIO_FIELDS:
            return scenario_field(sc, parts[0])
        if parts[0] in ("minima", "saddles") and len(parts) == 2 and parts[1].isdigit():
            pts, k = (sc.minima if parts[0] == "minima" else sc.saddles), int(parts[1])
            if not 1 <= k <= pts.shape[0]:
                raise FillError(
                    f"{{{name}}} has no value: the file lists {pts.shape[0]} {parts[0]}"
                )
            return point(pts[k - 1])
        if parts[0] in refs and len(parts) > 1:
            run, rest = refs[parts[0]], parts[1:]
        else:
            run, rest = own, parts
        field = rest[0]
        if field in observe.NAMES:
            obs = seen[run][field]
            v = obs.evidence.get(rest[1]) if len(rest) > 1 else obs.value
            if v is None:
                raise FillError(f"{{{name}}} has no value: that run does not show '{field}'")
            return fmt(v)
        spec = sc.optimizers[run]
        if field in RUN_FIELDS:
            return fmt(getattr(spec, field)) if field in ("noise", "seed") else getattr(spec, field)
        return value(settings[run][field])

    text = para.text.replace("{{", "\0").replace("}}", "\1")
    return PLACEHOLDER.sub(one, text).replace("\0", "{").replace("\1", "}")


def scenario_field(sc: Scenario, name: str) -> str:
    """The value of a scenario-level placeholder."""
    start = sc.starts[0]
    if name == "steps":
        return str(sc.steps)
    if name == "start":
        return point(start)
    if name == "starts":
        return str(sc.starts.shape[0])
    if name == "tolerance":
        return num(sc.analysis.tolerance)
    if name in ("minimum", "saddle"):
        pts = sc.minima if name == "minimum" else sc.saddles
        if not pts.shape[0]:
            raise FillError(f"{{{name}}} has no value: the file lists no {name}")
        return point(pts[0])
    if name == "function":
        return sc.function.text
    if name == "f_start":
        return fmt(float(sc.function.value(start)))
    return point(sc.function.grad(start), 3)  # grad_start


class Reviewed:
    """A scenario after its runs were observed and its authored paragraphs checked and filled."""

    def __init__(
        self, sc: Scenario, traj: Any, seen: list[dict[str, Observation]], paragraphs, notes
    ):
        self.scenario, self.traj, self.seen, self.notes = sc, traj, seen, notes
        self.intro: str | None = paragraphs.get(None)
        self.authored: list[list[str]] = [paragraphs.get(i, []) for i in range(len(seen))]


def review(sc: Scenario, *, keep_extras: bool = False) -> Reviewed:
    """Preflight, simulate, observe, check every claim and fill every placeholder; raise
    `ScenarioError` with every problem found.

    `sc` must have its tuned rates resolved. This is what `gallery check` runs and what the
    build runs before it draws anything.
    """
    from gallery.engine.schema import ScenarioError
    from gallery.engine.simulate import simulate
    from gallery.media import preflight

    problems, notes = preflight.check(sc)
    if problems:
        raise ScenarioError(sc.path, problems)
    traj = simulate(sc, keep_extras=keep_extras)
    nudged = simulate(observe.nudge(sc))
    seen = observe.of_scenario(traj, nudged)
    problems = check_claims(sc, seen)
    settings = [
        {**s.hyper, "lr": s.tuned.lr if s.tuned is not None else s.hyper.get("lr")}
        for s in sc.optimizers
    ]
    paragraphs: dict[int | None, Any] = {}
    for para in sc.commentary:
        for own in para.runs or (None,):
            try:
                text = fill(para, own, sc, seen, settings)
            except FillError as exc:
                problems.append((f"commentary.{para.key}", str(exc)))
                continue
            if own is None:
                paragraphs[None] = text
            else:
                paragraphs.setdefault(own, []).append(text)
    if problems:
        raise ScenarioError(sc.path, problems)
    return Reviewed(sc, traj, seen, paragraphs, notes)
