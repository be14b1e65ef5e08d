"""Build: discover -> load all -> render media (process pool, cached) -> gather pages -> swap in."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gallery.engine.scenario import Scenario, ScenarioError, load, slugify

#: Size of the per-optimizer posters on the optimizer pages (small multiples).
POSTER_SIZE = (480, 270)


@dataclass
class BuildStats:
    """What a build did: which scenarios it rendered, took from the cache or lost, files written."""

    rendered: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    written: int = 0
    kept: int = 0
    seconds: float = 0.0
    code: int = 0


def _analysis_media(scenario: Scenario) -> dict[str, Any]:
    """Hook for issue 5: the optional "sweep" and "basins" sections of a scenario page.

    Return {} or a dict with keys "sweep" and/or "basins", each
    `{"figures": [{"png": bytes, "svg": bytes | None, "alt": str, "caption": str}],
    "sentences": [str], "criterion": str | None}`. It runs in the render worker and its result is
    cached with the media, so it may be slow.
    """
    from gallery.engine import analysis
    from gallery.media import charts
    from gallery.site import insights

    out: dict[str, Any] = {}
    a = scenario.analysis
    if a.sweep:
        sweeps = analysis.sweep(scenario)
        png, svg = charts.sweep_chart(scenario, sweeps)
        sentences = insights.sweep_sentences(scenario, sweeps)
        what = (
            "the gap to the minimum after the run and the steps needed to get within "
            f"{a.tolerance:g} of it"
            if scenario.minima.shape[0]
            else "f after the run"
        )
        out["sweep"] = {
            "figures": [
                {
                    "png": png,
                    "svg": svg,
                    "alt": f"Learning-rate sweep: {what}, against the learning rate on a log "
                    "axis, one line per optimizer. " + " ".join(sentences),
                    "caption": f"{a.sweep_points} learning rates over {a.sweep_decades:g} decades "
                    "around each optimizer's rate, every start point at once. A marker shows the "
                    "rate used in the animation; crosses along the top mark rates that diverged.",
                }
            ],
            "sentences": sentences,
            "criterion": analysis.TUNED_CRITERION
            if any(s.tuned is not None for s in scenario.optimizers)
            else None,
        }
    if a.basins:
        basins = analysis.basins(scenario)
        sentences = insights.basin_sentences(scenario, basins)
        g = a.basin_grid
        out["basins"] = {
            "figures": [
                {
                    "png": charts.basin_chart(scenario, basins),
                    "svg": None,
                    "alt": f"Basin maps: a {g} by {g} grid of start points per optimizer, each "
                    "coloured by the known minimum its run reached, or marked diverged or not "
                    "converged. " + " ".join(sentences),
                    "caption": f"{g}×{g} start points over the whole domain, "
                    f"{a.basin_steps or scenario.steps} steps each; a start counts as reaching a "
                    "minimum when it ends within 2 % of the domain's width of it.",
                }
            ],
            "sentences": sentences,
            "criterion": None,
        }
    return out


def _prepare(scenario: Scenario) -> Scenario:
    """The scenario as it is simulated: every `lr = "tuned"` resolved (deterministically)."""
    from gallery.engine.analysis import tune

    return tune(scenario)


def _pack_analysis(data: dict[str, Any]) -> dict[str, bytes]:
    """Analysis sections as cache files: `analysis.json` plus one file per figure image."""
    files: dict[str, bytes] = {}
    doc: dict[str, Any] = {}
    for section in sorted(data):
        sec = dict(data[section])
        figs = []
        for i, fig in enumerate(sec.pop("figures", ())):
            entry = {k: v for k, v in fig.items() if not isinstance(v, bytes | bytearray)}
            for ext in ("png", "svg"):
                if fig.get(ext):
                    name = f"analysis-{section}-{i}.{ext}"
                    files[name] = bytes(fig[ext])
                    entry[ext] = name
            figs.append(entry)
        doc[section] = {**sec, "figures": figs}
    files["analysis.json"] = json.dumps(doc, sort_keys=True).encode()
    return files


def _unpack_analysis(files: dict[str, bytes]) -> dict[str, Any]:
    doc = json.loads(files.get("analysis.json", b"{}"))
    for sec in doc.values():
        for fig in sec.get("figures", ()):
            for ext in ("png", "svg"):
                if fig.get(ext):
                    fig[ext] = files[fig[ext]]
    return doc


def render_media(path: str) -> dict[str, bytes]:
    """Worker: every cached file of one scenario (animation, posters, CSV, analysis)."""
    from gallery.engine.simulate import Trajectories, simulate, trace_csv
    from gallery.media.render import poster, render
    from gallery.site.pages import meta_json

    sc = _prepare(load(path))
    traj = simulate(sc, keep_extras=sc.render.arrows)
    media = render(traj, ("gif", "mp4", "png"))
    files = {
        "mp4": media.mp4,
        "gif": media.gif,
        "png": media.png,
        "thumb": media.thumb,
        "csv": trace_csv(traj).encode("utf-8"),
        "meta.json": meta_json(
            {"notes": list(media.notes), "frame_count": media.frame_count, "size": media.size}
        ),
    }
    for kind in sorted({s.kind for s in sc.optimizers}):
        runs = tuple(r for r in traj.runs if r.spec.kind == kind)
        files[f"poster-{kind}"] = poster(Trajectories(sc, runs), size=POSTER_SIZE)
    files.update(_pack_analysis(_analysis_media(sc)))
    return {k: v for k, v in files.items() if v is not None}


def _run(path: str) -> tuple[dict[str, bytes], float]:
    t0 = time.perf_counter()
    return render_media(path), time.perf_counter() - t0


class _Progress:
    """tqdm bar on a terminal, one plain line per scenario otherwise."""

    def __init__(self, total: int):
        self.total, self.done, self.bar = total, 0, None
        if total and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc="render", unit="scenario", file=sys.stderr)

    def step(self, slug: str, seconds: float, ok: bool) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.set_postfix_str(slug)
            self.bar.update(1)
        else:
            state = f"rendered in {seconds:.1f} s" if ok else "FAILED"
            print(f"[{self.done}/{self.total}] {slug}: {state}", flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _render_all(
    todo: dict[str, str], jobs: int, keep_going: bool, on_done
) -> dict[str, BaseException]:
    """Render `todo` (slug -> path); call `on_done(slug, files, seconds)`; return failures."""
    failures: dict[str, BaseException] = {}
    progress = _Progress(len(todo))
    try:
        if jobs <= 1 or len(todo) <= 1:
            for slug, path in todo.items():
                try:
                    files, secs = _run(path)
                except Exception as exc:  # noqa: BLE001 - reported per scenario
                    failures[slug] = exc
                    progress.step(slug, 0.0, False)
                    if not keep_going:
                        break
                    continue
                on_done(slug, files, secs)
                progress.step(slug, secs, True)
            return failures
        with ProcessPoolExecutor(max_workers=min(jobs, len(todo))) as pool:
            pending: dict[Future, str] = {pool.submit(_run, p): s for s, p in todo.items()}
            try:
                while pending:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in sorted(done, key=lambda f: pending[f]):
                        slug = pending.pop(fut)
                        exc = fut.exception()
                        if exc is not None:
                            failures[slug] = exc
                            progress.step(slug, 0.0, False)
                            continue
                        files, secs = fut.result()
                        on_done(slug, files, secs)
                        progress.step(slug, secs, True)
                    if failures and not keep_going:
                        break
            finally:
                for fut in pending:
                    fut.cancel()
        return failures
    finally:
        progress.close()


def _discover(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise ScenarioError(str(folder), [("", "no such folder of scenario files")])
    return sorted(folder.glob("*.toml"))


def _err(line: str) -> None:
    print(f"error: {line}", file=sys.stderr)


def build_site(
    scenarios: Path,
    out: Path,
    jobs: int | None = None,
    only: Iterable[str] | None = None,
    keep_going: bool = False,
    cache_dir: Path | None = None,
) -> BuildStats:
    """Build the site; problems are printed as `error: ...` lines and reflected in `stats.code`."""
    from gallery.engine.metrics import measure
    from gallery.engine.simulate import simulate
    from gallery.site import cache, pages

    t0 = time.perf_counter()
    stats = BuildStats()
    out = Path(out)
    store = cache.MediaCache(cache_dir or out.absolute().parent / ".cache" / "gallery")
    jobs = jobs or os.cpu_count() or 1

    try:
        paths = _discover(Path(scenarios))
    except ScenarioError as exc:
        _err(str(exc))
        stats.code = 2
        return stats
    # --only renders just these; the others keep what the cache has (and are left out if nothing)
    wanted = set(only) if only else None
    if wanted:
        by_slug = {slugify(p.stem): p for p in paths}
        for slug in sorted(wanted - set(by_slug)):
            _err(f"--only {slug}: no scenario file with that slug in {scenarios}")
            stats.code = 2
        if stats.code:
            return stats
    if not paths:
        _err(f"{scenarios}: no *.toml scenario files")
        stats.code = 2
        return stats

    loaded: dict[str, tuple[Scenario, bytes]] = {}
    for p in paths:
        try:
            sc = load(p)
        except ScenarioError as exc:
            for line in str(exc).splitlines():
                _err(line)
            stats.invalid.append(str(p))
            continue
        if sc.slug in loaded:
            _err(f"{p}: two scenario files give the slug '{sc.slug}'")
            stats.invalid.append(str(p))
            continue
        loaded[sc.slug] = (sc, p.read_bytes())
    if stats.invalid and not keep_going:
        stats.code = 2
        return stats

    keys = {slug: cache.media_key(raw) for slug, (sc, raw) in loaded.items()}
    media: dict[str, dict[str, bytes]] = {}
    todo: dict[str, str] = {}
    for slug in sorted(loaded):
        hit = store.get(slug, keys[slug])
        if hit is None and wanted and slug not in wanted:
            print(f"note: {slug}: not rendered yet, left out (build without --only to add it)")
        elif hit is None:
            todo[slug] = loaded[slug][0].path
        else:
            media[slug] = hit
            stats.cached.append(slug)

    def done(slug: str, files: dict[str, bytes], secs: float) -> None:
        store.put(slug, keys[slug], files)  # recorded only once the render has succeeded
        media[slug] = files
        stats.rendered.append(slug)

    failures = _render_all(todo, jobs, keep_going, done)
    for slug, exc in sorted(failures.items()):
        _err(f"{loaded[slug][0].path}: render failed: {type(exc).__name__}: {exc}")
        stats.failed.append(slug)
    if failures and not keep_going:
        stats.code = 1
        return stats

    entries = []
    for slug in sorted(media):
        sc = _prepare(loaded[slug][0])
        traj = simulate(sc)
        files = media[slug]
        entries.append(
            pages.Entry(
                scenario=sc,
                traj=traj,
                metrics=measure(traj),
                key=keys[slug],
                media={k: v for k, v in files.items() if "." not in k},
                meta=json.loads(files.get("meta.json", b"{}")),
                analysis=_unpack_analysis(files),
            )
        )
    typeset = pages.Typesetter(store.get_blob, store.put_blob)
    site = pages.render_site(entries, pages.read_citation(), typeset)
    try:
        written = cache.write_site(site, out)
    except cache.SiteError as exc:
        _err(str(exc))
        stats.code = 2
        return stats
    stats.written, stats.kept = written.written, written.kept
    stats.seconds = time.perf_counter() - t0
    if stats.invalid or stats.failed:
        stats.code = 1 if stats.failed else 2
    print(
        f"built {out}: {len(entries)} scenarios ({len(stats.rendered)} rendered, "
        f"{len(stats.cached)} from cache), {stats.written} files written, {stats.kept} unchanged, "
        f"{stats.seconds:.1f} s"
    )
    return stats


def build(
    scenarios: Path,
    out: Path,
    jobs: int | None = None,
    only: list[str] | None = None,
    keep_going: bool = False,
) -> int:
    """`gallery build`: build the site; exit code 0 ok, 1 a render failed, 2 invalid input."""
    return build_site(scenarios, out, jobs=jobs, only=only, keep_going=keep_going).code
