"""Command line: `gallery trace|check|metrics|render|build`; the only place errors become exits."""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

EXIT_INVALID = 2  # a scenario file or an argument is wrong
EXIT_FAILED = 1  # a render failed: a bug of ours


class UserError(Exception):
    """An error worth a one-line message, not a traceback."""


def _load(path: str):
    """A validated scenario with any `lr = "tuned"` resolved."""
    from gallery.engine.analysis import tune
    from gallery.engine.scenario import load

    return tune(load(path))


def cmd_trace(args: argparse.Namespace) -> int:
    from gallery.engine.simulate import csv_chunks, simulate

    traj = simulate(_load(args.file))
    if args.csv in (None, "-"):
        for chunk in csv_chunks(traj):
            sys.stdout.write(chunk)
        return 0
    try:
        with open(args.csv, "w", encoding="utf-8") as fh:
            for chunk in csv_chunks(traj):
                fh.write(chunk)
    except OSError as exc:
        raise UserError(f"{args.csv}: cannot write: {exc.strerror or exc}") from None
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Everything the build can fail on short of drawing: keys, formula, runs, claims."""
    from gallery.engine.schema import ScenarioError
    from gallery.site.prose import review

    bad = 0
    for path in args.files:
        try:
            sc = _load(path)
            reviewed = review(sc)
        except ScenarioError as exc:
            bad += 1
            for line in str(exc).splitlines():
                print(f"FAIL {line}")
            continue
        claims = sum(len(p.claims) * max(1, len(p.runs)) for p in sc.commentary)
        counts = [
            (len(sc.optimizers), "optimizer"),
            (sc.steps, "step"),
            (sc.starts.shape[0], "start"),
            (claims, "claim"),
        ]
        said = ", ".join(f"{n} {word}{'s' if n != 1 else ''}" for n, word in counts)
        print(f"ok   {path}: {sc.title} ({said} checked)")
        for note in reviewed.notes:
            print(f"note {path}: {note}")
    return EXIT_INVALID if bad else 0


def cmd_metrics(args: argparse.Namespace) -> int:
    import numpy as np

    from gallery.engine.metrics import measure
    from gallery.engine.simulate import simulate

    sc = _load(args.file)
    rows = [
        (
            "optimizer",
            "start",
            "final f",
            "best f",
            "dist to min",
            "steps to min",
            "path length",
            "reversals x/y",
            "diverged at",
        )
    ]
    for m in measure(simulate(sc)):
        for i in range(min(m.n, 20)):
            rows.append(
                (
                    m.label,
                    str(i),
                    "diverged" if m.diverged_at[i] >= 0 else f"{m.final_f[i]:.6g}",
                    f"{m.best_f[i]:.6g}",
                    "-" if np.isnan(m.distance[i]) else f"{m.distance[i]:.3g}",
                    "-" if m.steps_to_min[i] < 0 else str(m.steps_to_min[i]),
                    f"{m.path_length[i]:.4g}",
                    f"{m.reversals[i, 0]}/{m.reversals[i, 1]}",
                    "-" if m.diverged_at[i] < 0 else f"step {m.diverged_at[i]}",
                )
            )
        if m.n > 20:
            rows.append((m.label, f"... {m.n - 20} more", "", "", "", "", "", "", ""))
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    print(f"{sc.title} — {sc.steps} steps")
    for j, r in enumerate(rows):
        print(
            "  ".join(
                c.ljust(w) if k == 0 else c.rjust(w)
                for k, (c, w) in enumerate(zip(r, widths, strict=True))
            ).rstrip()
        )
        if j == 0:
            print("  ".join("-" * w for w in widths))
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    from gallery.engine.simulate import MAX_CSV_ROWS, simulate, trace_csv
    from gallery.media.frames import RenderError
    from gallery.media.render import render
    from gallery.site import bundle

    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    allowed = ("gif", "mp4", "png")
    for f in formats:
        if f not in allowed:
            raise UserError(f"--formats: unknown format '{f}'; allowed: {', '.join(allowed)}")
    sc = _load(args.file)
    traj = simulate(sc, keep_extras=sc.render.arrows)
    try:
        media = render(traj, formats)
    except RenderError as exc:
        raise UserError(f"{args.file}: function: {exc}") from None
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    files = {
        bundle.GIF: media.gif,
        bundle.MP4: media.mp4,
        bundle.POSTER: media.png,
        bundle.THUMB: media.thumb,
        bundle.CSV: trace_csv(traj, MAX_CSV_ROWS)[0].encode(),
        bundle.TOML: sc.source.encode(),
    }
    for role, data in files.items():
        if data is not None:
            (out / f"{sc.slug}{role}").write_bytes(data)
            print(out / f"{sc.slug}{role}")
    for note in media.notes:
        print(f"note: {note}")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from gallery.site.build import BuildError, build_site

    try:
        stats = build_site(
            scenarios=Path(args.scenarios),
            out=Path(args.out),
            jobs=args.jobs,
            only=args.only,
            keep_going=args.keep_going,
            base_url=args.base_url,
        )
    except BuildError as exc:
        raise UserError(str(exc)) from None
    if stats.invalid:
        return EXIT_INVALID
    return EXIT_FAILED if stats.failed else 0


def cmd_serve(args: argparse.Namespace) -> int:
    from gallery.site.pages import CITATION, TEMPLATES
    from gallery.site.serve import serve

    def rebuild() -> int:
        build = argparse.Namespace(
            scenarios=args.scenarios, out=args.out, jobs=None, only=None, keep_going=True,
            base_url=None,
        )  # fmt: skip
        try:
            return cmd_build(build)
        except UserError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_INVALID

    return serve(
        Path(args.out),
        args.port,
        rebuild,
        [Path(args.scenarios), TEMPLATES, CITATION],
        ready=lambda url: print(f"serving {url} (Ctrl-C to stop)", flush=True),
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gallery", description="Animated optimizer trajectories.")
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("trace", help="print the trajectories of a scenario as CSV")
    t.add_argument("file")
    t.add_argument("--csv", metavar="PATH", help="write the CSV here ('-' or omitted: stdout)")
    t.set_defaults(func=cmd_trace)

    c = sub.add_parser("check", help="validate scenario files")
    c.add_argument("files", nargs="+")
    c.set_defaults(func=cmd_check)

    m = sub.add_parser("metrics", help="print a table of per-run metrics")
    m.add_argument("file")
    m.set_defaults(func=cmd_metrics)

    r = sub.add_parser("render", help="render GIF / MP4 / poster PNG of a scenario")
    r.add_argument("file")
    r.add_argument("--out", required=True, metavar="DIR")
    r.add_argument("--formats", default="gif,mp4,png")
    r.set_defaults(func=cmd_render)

    b = sub.add_parser("build", help="build the static gallery site")
    b.add_argument("--scenarios", default="scenarios")
    b.add_argument("--out", default="site")
    b.add_argument("--jobs", type=int, default=None)
    b.add_argument("--only", action="append", metavar="SLUG")
    b.add_argument("--keep-going", action="store_true")
    b.add_argument(
        "--base-url", metavar="URL", help="the address the site is published at (for citations)"
    )
    b.set_defaults(func=cmd_build)

    v = sub.add_parser("serve", help="build, serve site/ locally and rebuild when a file changes")
    v.add_argument("--port", type=int, default=8000)
    v.add_argument("--scenarios", default="scenarios")
    v.add_argument("--out", default="site")
    v.set_defaults(func=cmd_serve)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser().parse_args(argv)
    from gallery.engine.schema import ScenarioError

    try:
        return args.func(args)
    except (ScenarioError, UserError) as exc:
        if args.debug:
            traceback.print_exc()
        for line in str(exc).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug of ours: say so in one line; --debug shows where
        if args.debug:
            traceback.print_exc()
        print(
            f"error: unexpected {type(exc).__name__}: {exc} (run with --debug for the traceback)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
