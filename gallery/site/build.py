"""Build: discover -> check what changed -> render it (process pool) -> gather pages -> swap in.

A scenario whose file and bundle code are unchanged comes from the cache as a bundle: nothing is
loaded with sympy, simulated or drawn. Every page is rendered again from the bundles (cheap), and
the finished site replaces the previous one in a single step.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from gallery.engine.schema import ScenarioError
from gallery.engine.text import slugify
from gallery.site.bundle import Bundle


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

    @property
    def ok(self) -> bool:
        return not (self.failed or self.invalid)


class BuildError(Exception):
    """The build cannot start or finish (no scenarios, output folder unusable); one line each."""


def render_bundle(path: str, key: str) -> Bundle:
    """Worker: the bundle of one scenario file (imports the engine and the renderer)."""
    from gallery.site.bundle import produce

    return produce(path, key)


def _worker_init() -> None:
    """In each render worker: die with the build (Linux), so no worker outlives it."""
    if sys.platform == "linux":
        import ctypes
        import signal

        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)
        if os.getppid() == 1:  # the build died before the call above: follow it
            os._exit(1)


def _stop(pool: ProcessPoolExecutor) -> None:
    """End a pool at once: its workers are terminated, not waited for."""
    for proc in list(getattr(pool, "_processes", {}).values()):
        proc.terminate()
    pool.shutdown(wait=False, cancel_futures=True)


def _run(path: str, key: str) -> tuple[Bundle, float]:
    t0 = time.perf_counter()
    return render_bundle(path, key), time.perf_counter() - t0


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
    todo: dict[str, tuple[str, str]],
    jobs: int,
    keep_going: bool,
    on_done: Callable[[str, Bundle, float], None],
) -> dict[str, BaseException]:
    """Render `todo` (slug -> (path, key)); call `on_done` for each success; return failures."""
    failures: dict[str, BaseException] = {}
    progress = _Progress(len(todo))
    try:
        if jobs <= 1 or len(todo) <= 1:
            for slug, (path, key) in todo.items():
                try:
                    b, secs = _run(path, key)
                except Exception as exc:  # noqa: BLE001 - reported per scenario
                    failures[slug] = exc
                    progress.step(slug, 0.0, False)
                    if not keep_going:
                        break
                    continue
                on_done(slug, b, secs)
                progress.step(slug, secs, True)
            return failures
        with ProcessPoolExecutor(
            max_workers=min(jobs, len(todo)), initializer=_worker_init
        ) as pool:
            pending: dict[Future, str] = {
                pool.submit(_run, path, key): slug for slug, (path, key) in todo.items()
            }
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
                        b, secs = fut.result()
                        on_done(slug, b, secs)
                        progress.step(slug, secs, True)
                    if failures and not keep_going:
                        break
            except BaseException:  # Ctrl-C or SIGTERM: stop now, not after the running renders
                _stop(pool)
                raise
            finally:
                for fut in pending:
                    fut.cancel()
        return failures
    finally:
        progress.close()


def _err(line: str) -> None:
    print(f"error: {line}", file=sys.stderr)


def _check(todo: dict[str, tuple[str, str]], stats: BuildStats) -> None:
    """Load every scenario that needs a render; print every problem; drop the invalid ones."""
    if not todo:
        return
    from gallery.engine.scenario import load

    for slug, (path, _key) in list(todo.items()):
        try:
            load(path)
        except ScenarioError as exc:
            for line in str(exc).splitlines():
                _err(line)
            stats.invalid.append(path)
            del todo[slug]


def build_site(
    scenarios: Path,
    out: Path,
    jobs: int | None = None,
    only: Iterable[str] | None = None,
    keep_going: bool = False,
    cache_dir: Path | None = None,
    base_url: str | None = None,
) -> BuildStats:
    """Build the site; problems are printed as `error: ...` lines and recorded in the stats.

    Raises `BuildError` when there is nothing to build or the output cannot be written.
    """
    from gallery.site import cache

    t0 = time.perf_counter()
    stats = BuildStats()
    out = Path(out)
    store = cache.BundleCache(cache_dir or out.absolute().parent / ".cache" / "gallery")
    jobs = jobs or os.cpu_count() or 1

    folder = Path(scenarios)
    if not folder.is_dir():
        raise BuildError(f"{folder}: no such folder of scenario files")
    paths = sorted(folder.glob("*.toml"))
    if not paths:
        raise BuildError(f"{folder}: no *.toml scenario files")
    by_slug: dict[str, Path] = {}
    for p in paths:
        slug = slugify(p.stem)
        if slug in by_slug:
            _err(f"{p}: two scenario files give the slug '{slug}' ({by_slug[slug].name})")
            stats.invalid.append(str(p))
            continue
        by_slug[slug] = p
    # --only renders just these; the others keep what the cache has (and are left out if nothing)
    wanted = set(only) if only else None
    if wanted and wanted - set(by_slug):
        missing = ", ".join(sorted(wanted - set(by_slug)))
        raise BuildError(f"--only {missing}: no scenario file with that slug in {folder}")

    try:
        with cache.SiteLock(out), _terminate_as_interrupt():
            return _build_locked(by_slug, wanted, out, store, jobs, keep_going, stats, t0, base_url)
    except cache.SiteError as exc:
        raise BuildError(str(exc)) from None


@contextlib.contextmanager
def _terminate_as_interrupt():
    """SIGTERM ends the build like Ctrl-C: workers stopped, lock released, old site kept."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def _built_on() -> str:
    """The build's date (UTC), or SOURCE_DATE_EPOCH's for reproducible builds."""
    import datetime

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = (
        datetime.datetime.fromtimestamp(int(epoch), datetime.UTC)
        if epoch and epoch.isdigit()
        else datetime.datetime.now(datetime.UTC)
    )
    return when.date().isoformat()


def _build_locked(by_slug, wanted, out, store, jobs, keep_going, stats, t0, base_url) -> BuildStats:
    """The build proper, holding the output folder's lock."""
    from gallery.engine.files import read_file
    from gallery.site import cache, citation, pages

    bundles: dict[str, Bundle] = {}
    todo: dict[str, tuple[str, str]] = {}
    for slug, p in sorted(by_slug.items()):
        try:
            key = cache.bundle_key(read_file(p))
        except ScenarioError as exc:
            _err(str(exc))
            stats.invalid.append(str(p))
            continue
        hit = store.get(slug, key)
        if hit is not None:
            bundles[slug] = hit
            stats.cached.append(slug)
        elif wanted and slug not in wanted:
            print(f"note: {slug}: not rendered yet, left out (build without --only to add it)")
        else:
            todo[slug] = (str(p), key)
    _check(todo, stats)
    if stats.invalid and not keep_going:
        return stats

    def done(slug: str, b: Bundle, secs: float) -> None:
        try:
            store.put(b)  # recorded only once the render has succeeded
        except OSError as exc:
            print(f"note: {exc.filename or store.root}: cannot cache ({exc.strerror}); going on")
        bundles[slug] = b
        stats.rendered.append(slug)

    failures = _render_all(todo, jobs, keep_going, done)
    for slug, exc in sorted(failures.items()):
        if isinstance(exc, ScenarioError):  # a claim the run does not back, found by the worker
            for line in str(exc).splitlines():
                _err(line)
            stats.invalid.append(todo[slug][0])
        else:
            _err(f"{todo[slug][0]}: render failed: {type(exc).__name__}: {exc}")
            stats.failed.append(slug)
    if failures and not keep_going:
        return stats

    try:
        cited = citation.read(pages.CITATION, base_url)
    except citation.CitationError as exc:
        raise BuildError(str(exc)) from None
    if cited.url is None:
        print(
            "warning: the site's address is unknown (no --base-url, and CITATION.cff's url is "
            "missing or a placeholder): the cite and embed snippets use relative links"
        )
    typeset = pages.Typesetter(store.get_blob, store.put_blob)
    site = pages.render_site(list(bundles.values()), cited, typeset, _built_on())
    try:
        written = cache.write_site(site, out)
    except cache.SiteError as exc:
        raise BuildError(str(exc)) from None
    stats.written, stats.kept = written.written, written.kept
    stats.seconds = time.perf_counter() - t0
    print(
        f"built {out}: {len(bundles)} scenarios ({len(stats.rendered)} rendered, "
        f"{len(stats.cached)} from cache), {stats.written} files written, {stats.kept} unchanged, "
        f"{stats.seconds:.1f} s"
    )
    return stats
