"""Bundle: one scenario's outputs by role, plus everything its pages say, as plain data.

The render worker produces a bundle (`produce`); the cache stores it once it is complete; the page
writer reads it. A bundle holds no NumPy arrays and no sympy objects, so reading one back from the
cache loads neither sympy nor matplotlib, and nothing is simulated again to write the pages.

Every file of a scenario is named by its role, the part of the name after the slug: the animation
of `cubic` is `media/cubic.mp4`, its poster for the Adam page `media/cubic-poster-adam.png`. These
addresses stay the same from build to build, so an embed pasted into lecture notes keeps working.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

# ---------------------------------------------------------------------------------- file roles

MP4 = ".mp4"  # the animation
GIF = ".gif"  # the animation, for embedding
POSTER = ".png"  # the last frame
THUMB = "-thumb.png"  # the last frame, small, for the index
CSV = ".csv"  # every point of every run
TOML = ".toml"  # the scenario file as written
FORMULA = "-formula.svg"  # f(x, y) typeset


def kind_poster(kind: str) -> str:
    """Role of the last frame with only one kind's runs (the optimizer pages' cards)."""
    return f"-poster-{kind}.png"


def figure_file(section: str, index: int, ext: str) -> str:
    """Role of an analysis chart, e.g. `-sweep-0.svg`."""
    return f"-{section}-{index}.{ext}"


def media_path(slug: str, role: str) -> str:
    """Site path of a scenario's file with this role."""
    return f"media/{slug}{role}"


# ---------------------------------------------------------------------------------- the data


@dataclass(frozen=True)
class Figure:
    """An analysis chart: its files (roles), alt text and caption."""

    svg: str | None
    png: str | None
    alt: str
    caption: str


@dataclass(frozen=True)
class Section:
    """An analysis view of the page (sweep or basins): charts, sentences, the rule used."""

    figures: tuple[Figure, ...]
    sentences: tuple[str, ...]
    criterion: str | None = None


@dataclass(frozen=True)
class Setting:
    """One hyperparameter as the page lists it."""

    name: str
    value: str
    default: str
    given: bool  # the file set it


@dataclass(frozen=True)
class RunPage:
    """One optimizer of a scenario, as its pages describe it."""

    label: str
    short: str  # label with its learning rate, as in the legend
    kind: str
    color: str
    anchor: str
    authored: tuple[str, ...]  # Markdown written for this optimizer in the scenario file
    sentences: tuple[str, ...]  # measured facts about the run
    headline: str  # a short clause for alt texts and cards
    metrics: Mapping[str, str]  # the results table's cells
    diverged: bool
    settings: tuple[Setting, ...]
    noise: float
    observed: Mapping[str, Mapping[str, Any]]  # observation -> {"value": ..., evidence...}
    band: tuple[float, float] | None  # rates of the sweep that reach a minimum (None: none)
    lr: float | None  # the rate the animation uses


@dataclass(frozen=True)
class Bundle:
    """Everything one scenario contributes to the site."""

    slug: str
    key: str  # content hash of the scenario file and the code that produced the bundle
    title: str
    summary: str
    order: int
    source: str  # the scenario file's text
    formula: str  # f(x, y) as the file wrote it
    steps: int
    starts: int
    start0: str
    minima: tuple[str, ...]
    tolerance: str
    intro: str | None  # Markdown
    runs: tuple[RunPage, ...]
    alt: str  # what the animation shows, in words
    notes: tuple[str, ...]  # what the renderer had to do (e.g. GIF shrunk)
    frames: int
    size: tuple[int, int]
    analysis: Mapping[str, Section]
    fps: float
    frame_steps: tuple[int, ...]  # the step each frame of the animation shows
    files: Mapping[str, bytes] = field(default_factory=dict, repr=False, compare=False)

    def path(self, role: str) -> str:
        """Site path of this scenario's file with `role`."""
        return media_path(self.slug, role)

    def has(self, role: str) -> bool:
        return role in self.files

    def time_of(self, step: int) -> float:
        """Seconds into the animation at which it first shows `step` (or the last frame)."""
        for i, shown in enumerate(self.frame_steps):
            if shown >= step:
                return round(i / self.fps, 2)
        return round((len(self.frame_steps) - 1) / self.fps, 2)

    def to_json(self) -> bytes:
        """The bundle without its files, as stable JSON."""
        data = asdict(replace(self, files={}))
        data.pop("files")
        return json.dumps(data, sort_keys=True, ensure_ascii=False).encode("utf-8")

    @classmethod
    def from_json(cls, raw: bytes, files: Mapping[str, bytes]) -> Bundle:
        """A bundle read back from `to_json` with its files."""
        d = json.loads(raw)
        runs = tuple(
            RunPage(
                **{
                    **r,
                    "authored": tuple(r["authored"]),
                    "sentences": tuple(r["sentences"]),
                    "settings": tuple(Setting(**s) for s in r["settings"]),
                    "band": tuple(r["band"]) if r["band"] is not None else None,
                }
            )
            for r in d.pop("runs")
        )
        analysis = {
            name: Section(
                figures=tuple(Figure(**f) for f in s["figures"]),
                sentences=tuple(s["sentences"]),
                criterion=s["criterion"],
            )
            for name, s in d.pop("analysis").items()
        }
        return cls(
            **{
                **d,
                "minima": tuple(d["minima"]),
                "notes": tuple(d["notes"]),
                "size": tuple(d["size"]),
                "frame_steps": tuple(d["frame_steps"]),
            },
            runs=runs,
            analysis=analysis,
            files=dict(files),
        )


# ---------------------------------------------------------------------------------- the worker

#: Size of the per-optimizer posters on the optimizer pages (small multiples).
KIND_POSTER_SIZE = (480, 270)


def produce(path: str, key: str) -> Bundle:
    """Load, simulate, check, draw and describe one scenario (the render worker's job).

    Raises `ScenarioError` when a claim of the file's commentary does not hold, before anything
    is drawn.
    """
    import re

    from gallery.engine import analysis as engine_analysis
    from gallery.engine import optim
    from gallery.engine.metrics import measure
    from gallery.engine.scenario import load
    from gallery.engine.simulate import Trajectories, trace_csv
    from gallery.engine.text import num, point, value
    from gallery.media.frames import frame_steps
    from gallery.media.render import poster, render
    from gallery.media.style import palette
    from gallery.site import mathsvg, prose

    sc = engine_analysis.tune(load(path))
    reviewed = prose.review(sc, keep_extras=sc.render.arrows)
    traj, seen = reviewed.traj, reviewed.seen
    tol = sc.analysis.tolerance
    metrics = measure(traj)
    media = render(traj, ("gif", "mp4", "png"))
    files: dict[str, bytes | None] = {
        MP4: media.mp4,
        GIF: media.gif,
        POSTER: media.png,
        THUMB: media.thumb,
        CSV: trace_csv(traj).encode("utf-8"),
        TOML: sc.source.encode("utf-8"),
    }
    try:
        files[FORMULA] = mathsvg.latex_svg(sc.function.latex)
    except mathsvg.MathError:
        files[FORMULA] = None
    for kind in sorted({s.kind for s in sc.optimizers}):
        runs = tuple(r for r in traj.runs if r.spec.kind == kind)
        files[kind_poster(kind)] = poster(Trajectories(sc, runs), size=KIND_POSTER_SIZE)
    sections, bands = _analysis(sc, files)

    looks = palette([s.color for s in sc.optimizers])
    runs_out = []
    for i, (spec, m, look) in enumerate(zip(sc.optimizers, metrics, looks, strict=True)):
        kind = optim.KINDS[spec.kind]
        facts = prose.sentences(seen[i], tol, sc.steps)
        if spec.tuned is not None:
            lo, hi, count = spec.tuned.grid
            facts.insert(
                0,
                prose.say(
                    "tuned", lr=num(spec.tuned.lr), count=count, lo=num(lo), hi=num(hi),
                    criterion=spec.tuned.criterion,
                ),
            )  # fmt: skip
        spread = prose.spread(seen[i], tol)
        if spread:
            facts.append(spread)
        runs_out.append(
            RunPage(
                label=spec.label,
                short=spec.short,
                kind=spec.kind,
                color=look.color,
                anchor="opt-" + re.sub(r"[^a-z0-9]+", "-", spec.label.lower()).strip("-"),
                authored=tuple(reviewed.authored[i]),
                sentences=tuple(facts),
                headline=prose.headline(seen[i], tol),
                metrics=prose.metric_cells(m, seen[i]),
                diverged=bool(m.diverged_at[0] >= 0),
                settings=tuple(
                    Setting(
                        name=k,
                        value=value(spec.tuned.lr if k == "lr" and spec.tuned else v),
                        default=value(kind.defaults.get(k, "")),
                        given=k in spec.given,
                    )
                    for k, v in spec.hyper.items()
                ),
                noise=float(spec.noise),
                observed={name: _plain_observation(o) for name, o in seen[i].items()},
                band=bands[i],
                lr=float(spec.hyper["lr"]),
            )
        )
    return Bundle(
        slug=sc.slug,
        key=key,
        title=sc.title,
        summary=sc.summary,
        order=sc.order,
        source=sc.source,
        formula=sc.function.text,
        steps=sc.steps,
        starts=int(sc.starts.shape[0]),
        start0=point(sc.starts[0]),
        minima=tuple(point(p) for p in sc.minima),
        tolerance=num(tol),
        intro=reviewed.intro,
        runs=tuple(runs_out),
        alt=prose.alt_text(sc, [s.short for s in sc.optimizers], seen),
        notes=tuple(media.notes),
        frames=media.frame_count,
        size=tuple(media.size),
        analysis=sections,
        fps=float(sc.render.fps),
        frame_steps=tuple(int(t) for t in frame_steps(sc.steps, sc.render.frames)),
        files={role: data for role, data in files.items() if data is not None},
    )


def _plain_observation(o: Any) -> dict[str, Any]:
    """An observation as JSON-ready data: its value and evidence as Python numbers and text."""

    def plain(v: Any) -> Any:
        if v is None or isinstance(v, bool | str):
            return v
        f = float(v)
        return int(f) if f.is_integer() and abs(f) < 2**53 else f

    return {"value": plain(o.value), **{k: plain(v) for k, v in o.evidence.items()}}


def _analysis(sc: Any, files: dict[str, bytes | None]) -> tuple[dict, list]:
    """The sweep and basin sections (charts into `files`, sentences read off their data), and
    each optimizer's band of converging rates from the sweep."""
    from gallery.engine import analysis
    from gallery.media import charts
    from gallery.site import insights

    out: dict[str, Section] = {}
    bands: list = [None] * len(sc.optimizers)
    a = sc.analysis
    if a.sweep:
        sweeps = analysis.sweep(sc)
        bands = [s.converging_range() for s in sweeps]
        png, svg = charts.sweep_chart(sc, sweeps)
        files[figure_file("sweep", 0, "png")] = png
        files[figure_file("sweep", 0, "svg")] = svg
        sentences = insights.sweep_sentences(sc, sweeps)
        what = (
            "the gap to the minimum after the run and the steps needed to get within "
            f"{a.tolerance:g} of it"
            if sc.minima.shape[0]
            else "f after the run"
        )
        figure = Figure(
            svg=figure_file("sweep", 0, "svg"),
            png=figure_file("sweep", 0, "png"),
            alt=f"Learning-rate sweep: {what}, against the learning rate on a log axis, one line "
            "per optimizer. " + " ".join(sentences),
            caption=f"{a.sweep_points} learning rates over {a.sweep_decades:g} decades around each "
            "optimizer's rate, every start point at once. A marker shows the rate used in the "
            "animation; crosses along the top mark rates that diverged.",
        )
        tuned = any(s.tuned is not None for s in sc.optimizers)
        out["sweep"] = Section(
            (figure,), tuple(sentences), analysis.TUNED_CRITERION if tuned else None
        )
    if a.basins:
        basins = analysis.basins(sc)
        files[figure_file("basins", 0, "png")] = charts.basin_chart(sc, basins)
        sentences = insights.basin_sentences(sc, basins)
        g = a.basin_grid
        figure = Figure(
            svg=None,
            png=figure_file("basins", 0, "png"),
            alt=f"Basin maps: a {g} by {g} grid of start points per optimizer, each coloured by "
            "the known minimum its run reached, or marked diverged or not converged. "
            + " ".join(sentences),
            caption=f"{g}×{g} start points over the whole domain, {a.basin_steps or sc.steps} "
            "steps each; a start counts as reaching a minimum when it ends within 2 % of the "
            "domain's width of it.",
        )
        out["basins"] = Section((figure,), tuple(sentences))
    return out, bands
