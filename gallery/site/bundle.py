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
POSTER_PDF = "-poster.pdf"  # the last frame as vector graphics, for print
POSTER_SVG = "-poster.svg"
STRIP_PNG = "-strip.png"  # a few moments of the run side by side
STRIP_PDF = "-strip.pdf"
FRAMES_ZIP = "-frames.zip"  # every frame as PNG, for LaTeX's animate package
SLIDE_GIF = "-slide.gif"  # one panel, slide-sized
SLIDE_MP4 = "-slide.mp4"
ALL_ZIP = "-all.zip"  # every file of the scenario


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
    band: float | None  # decades of sweep rates that reach a minimum (one grid step per rate)
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
    unequal_minima: bool  # the known minima differ in depth (a shallow valley can trap a run)
    saddles: tuple[str, ...]
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
    strip_steps: tuple[int, ...] = ()  # the moments of the frame strip
    captions: tuple[str, ...] = ()  # what the figure shows that needs saying (exits, overlaps)
    zip_frames: tuple[str, int, int] | None = None  # frames ZIP: (file prefix, first, last)
    files: Mapping[str, bytes] = field(default_factory=dict, repr=False, compare=False)

    def path(self, role: str) -> str:
        """Site path of this scenario's file with `role`."""
        return media_path(self.slug, role)

    def has(self, role: str) -> bool:
        return role in self.files

    def time_of(self, step: int) -> float:
        """A time (s) in the middle of the first frame that shows `step` (or of the last frame)."""
        i = next((i for i, shown in enumerate(self.frame_steps) if shown >= step), None)
        i = len(self.frame_steps) - 1 if i is None else i
        return round((i + 0.5) / self.fps, 2)

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
                "saddles": tuple(d["saddles"]),
                "notes": tuple(d["notes"]),
                "size": tuple(d["size"]),
                "frame_steps": tuple(d["frame_steps"]),
                "strip_steps": tuple(d.get("strip_steps", ())),
                "captions": tuple(d.get("captions", ())),
                "zip_frames": tuple(d["zip_frames"]) if d.get("zip_frames") else None,
            },
            runs=runs,
            analysis=analysis,
            files=dict(files),
        )


# ---------------------------------------------------------------------------------- the worker


def produce(path: str, key: str) -> Bundle:
    """Load, check, describe and draw one scenario (the render worker's job).

    Raises `ScenarioError` when a claim of the file's commentary does not hold, before anything
    is drawn.
    """
    from gallery.engine.analysis import tune
    from gallery.engine.scenario import load

    sc = tune(load(path))
    described = describe(sc, key)
    return draw(sc, described)


@dataclass(frozen=True)
class Described:
    """A bundle before its pictures are drawn, with the runs and sweeps the pictures need."""

    bundle: Bundle
    traj: Any
    sweeps: Any


def describe(sc: Any, key: str) -> Described:
    """Everything a scenario's pages say, without drawing: runs, checks, sentences, sweeps.

    `sc` has its tuned rates resolved. The basin maps are left to `draw` (their sentences come
    with their picture).
    """
    import re

    import numpy as np

    from gallery.engine import analysis, optim
    from gallery.engine.metrics import measure
    from gallery.engine.text import num, point, value
    from gallery.media.frames import frame_steps
    from gallery.media.style import looks as kind_looks
    from gallery.site import insights, prose

    reviewed = prose.review(sc, keep_extras=sc.render.arrows)
    traj, seen = reviewed.traj, reviewed.seen
    tol = sc.analysis.tolerance
    metrics = measure(traj)
    sections: dict[str, Section] = {}
    sweeps = analysis.sweep(sc) if sc.analysis.sweep else None
    widths: list[float | None] = [None] * len(sc.optimizers)
    if sweeps is not None:
        sections["sweep"] = _sweep_section(sc, insights.sweep_sentences(sc, sweeps))
        step = sc.analysis.sweep_decades / max(sc.analysis.sweep_points - 1, 1)
        for i, sw in enumerate(sweeps):
            band = sw.converging_range()
            widths[i] = None if band is None else float(np.log10(band[1] / band[0]) + step)

    looks = kind_looks([(s.kind, s.color) for s in sc.optimizers])
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
                band=widths[i],
                lr=float(spec.hyper["lr"]),
            )
        )
    steps = frame_steps(sc.steps, sc.render.frames)
    bundle = Bundle(
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
        unequal_minima=bool(
            sc.minima.shape[0] > 1 and np.ptp(sc.function.value(sc.minima)) > sc.analysis.tolerance
        ),
        saddles=tuple(point(p) for p in sc.saddles),
        tolerance=num(tol),
        intro=reviewed.intro,
        runs=tuple(runs_out),
        alt=prose.alt_text(sc, [s.short for s in sc.optimizers], seen),
        notes=(),
        frames=len(steps),
        size=(sc.render.width, sc.render.height),
        analysis=sections,
        fps=float(sc.render.fps),
        frame_steps=tuple(int(t) for t in steps),
    )
    return Described(bundle, traj, sweeps)


def draw(sc: Any, d: Described) -> Bundle:
    """The described bundle with its files: animation, posters, print and slide files, CSV,
    charts, basin maps, and one ZIP of them all."""
    from gallery.engine import analysis
    from gallery.engine.simulate import MAX_CSV_ROWS, trace_csv
    from gallery.media import charts
    from gallery.media.assets import render_with_print
    from gallery.media.render import KIND_POSTER_SIZE, kind_posters, slide
    from gallery.site import insights, mathsvg

    traj = d.traj
    # one figure for the animation and the print files: the frames ZIP is made of the frames
    # the animation draws (as the GIF is), the vector poster and strip from the same figure
    media, printed = render_with_print(traj, ("gif", "mp4", "png"))
    csv, csv_note = trace_csv(traj, MAX_CSV_ROWS)
    slides = slide(traj, "contour", ("gif", "mp4"))
    files: dict[str, bytes | None] = {
        MP4: media.mp4,
        GIF: media.gif,
        POSTER: media.png,
        THUMB: media.thumb,
        CSV: csv.encode("utf-8"),
        TOML: sc.source.encode("utf-8"),
        POSTER_PDF: printed.pdf,
        POSTER_SVG: printed.svg,
        STRIP_PNG: printed.strip_png,
        STRIP_PDF: printed.strip_pdf,
        FRAMES_ZIP: printed.frames_zip,
        SLIDE_GIF: slides.gif,
        SLIDE_MP4: slides.mp4,
    }
    try:
        files[FORMULA] = mathsvg.latex_svg(sc.function.latex)
    except mathsvg.MathError:
        files[FORMULA] = None
    # one background for every kind's poster, no larger than the scenario's own frames
    for kind, png in kind_posters(traj, KIND_POSTER_SIZE).items():
        files[kind_poster(kind)] = png
    sections = dict(d.bundle.analysis)
    if d.sweeps is not None:
        png, svg = charts.sweep_chart(sc, d.sweeps)
        files[figure_file("sweep", 0, "png")] = png
        files[figure_file("sweep", 0, "svg")] = svg
    if sc.analysis.basins:
        basins = analysis.basins(sc)
        files[figure_file("basins", 0, "png")] = charts.basin_chart(sc, basins)
        sections["basins"] = _basin_section(sc, insights.basin_sentences(sc, basins))
    kept = {role: data for role, data in files.items() if data is not None}
    packed = {f"{sc.slug}{role}": data for role, data in sorted(kept.items()) if role != FRAMES_ZIP}
    kept[ALL_ZIP] = _zip(packed)  # the frames ZIP is offered on its own, not packed twice
    return replace(
        d.bundle,
        notes=tuple(media.notes) + ((csv_note,) if csv_note else ()),
        captions=tuple(media.captions),
        frames=media.frame_count,
        size=tuple(media.size),
        analysis=sections,
        strip_steps=tuple(printed.strip_steps),
        zip_frames=(printed.frames_prefix, printed.first, printed.last),
        files=kept,
    )


def _zip(files: Mapping[str, bytes]) -> bytes:
    """A ZIP of `files` (name -> bytes), stored as they are (media compress no further), with
    fixed timestamps so the same files give the same bytes."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    return buf.getvalue()


def _plain_observation(o: Any) -> dict[str, Any]:
    """An observation as JSON-ready data: its value and evidence as Python numbers and text."""

    def plain(v: Any) -> Any:
        if v is None or isinstance(v, bool | str):
            return v
        f = float(v)
        return int(f) if f.is_integer() and abs(f) < 2**53 else f

    return {"value": plain(o.value), **{k: plain(v) for k, v in o.evidence.items()}}


def _sweep_section(sc: Any, sentences: list[str]) -> Section:
    from gallery.engine.analysis import TUNED_CRITERION
    from gallery.engine.text import num

    a = sc.analysis
    what = (
        f"the gap to the minimum after the run and the steps needed to get within "
        f"{num(a.tolerance)} of it"
        if sc.minima.shape[0]
        else "f after the run"
    )
    figure = Figure(
        svg=figure_file("sweep", 0, "svg"),
        png=figure_file("sweep", 0, "png"),
        alt=f"Learning-rate sweep: {what}, against the learning rate on a log axis, one line "
        "per optimizer. " + " ".join(sentences),
        caption=f"{a.sweep_points} learning rates over {num(a.sweep_decades)} decades around each "
        "optimizer's rate, every start point at once. A marker shows the rate used in the "
        "animation; crosses along the top mark rates that diverged.",
    )
    tuned = any(s.tuned is not None for s in sc.optimizers)
    return Section((figure,), tuple(sentences), TUNED_CRITERION if tuned else None)


def _basin_section(sc: Any, sentences: list[str]) -> Section:
    a = sc.analysis
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
    return Section((figure,), tuple(sentences))
