"""Pages: scenarios, metrics and media in, page contexts rendered through `templates/` out."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

import gallery
from gallery.engine import optim
from gallery.engine.metrics import TOLERANCE, RunMetrics
from gallery.engine.scenario import Scenario
from gallery.engine.simulate import Trajectories
from gallery.site import commentary

TEMPLATES = Path(gallery.__file__).resolve().parent.parent / "templates"
CITATION = TEMPLATES.parent / "CITATION.cff"
DEFAULT_URL = "https://example.github.io/optimizer-gallery/"
STATIC = ("style.css",)


@dataclass(frozen=True)
class Entry:
    """One scenario and everything its pages show: runs, metrics, cached media, analysis."""

    scenario: Scenario
    traj: Trajectories
    metrics: tuple[RunMetrics, ...]
    key: str
    media: Mapping[str, bytes]  # role -> bytes: mp4, gif, png, thumb, csv, poster-<kind>
    meta: Mapping[str, Any] = field(default_factory=dict)  # frame_count, size, notes
    analysis: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Citation:
    """What CITATION.cff says about the project."""

    title: str
    authors: tuple[str, ...]
    version: str
    year: str
    url: str


def read_citation(path: Path = CITATION) -> Citation:
    """The few CITATION.cff fields the site uses (a small YAML subset: scalars, author lists)."""
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    top: dict[str, str] = {}
    authors: list[dict[str, str]] = []
    section = None
    for raw in text.splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        m = re.match(r"^(\s*)(- )?([\w-]+):\s*(.*)$", raw)
        if not m:
            continue
        indent, dash, key, value = m.groups()
        value = value.strip().strip("'\"")
        if not indent and not dash:
            section = key
            if value:
                top[key] = value
        elif section == "authors":
            if dash:
                authors.append({})
            if authors:
                authors[-1][key] = value
    names = []
    for a in authors:
        if "name" in a:
            names.append(a["name"])
        elif "family-names" in a:
            names.append(f"{a['family-names']}, {a.get('given-names', '')}".rstrip(", "))
    url = top.get("url", DEFAULT_URL)
    return Citation(
        title=top.get("title", "Optimizer Gallery"),
        authors=tuple(names) or ("Optimizer Gallery contributors",),
        version=top.get("version", gallery.__version__),
        year=top.get("date-released", "")[:4],
        url=url if url.endswith("/") else url + "/",
    )


def _bibtex_escape(text: str) -> str:
    return re.sub(r"([&%$#_{}])", r"\\\1", text)


def cite(c: Citation, sc: Scenario, page_url: str, gif_url: str, alt: str) -> dict[str, str]:
    """BibTeX, plain-text citation and embed snippets for one scenario page."""
    authors = " and ".join(f"{{{a}}}" if "," not in a else a for a in c.authors)
    lines = [
        f"@misc{{optimizer-gallery-{sc.slug},",
        f"  title   = {{{_bibtex_escape(c.title)}: {_bibtex_escape(sc.title)}}},",
        f"  author  = {{{authors}}},",
    ]
    if c.year:
        lines.append(f"  year    = {{{c.year}}},")
    lines += [
        f"  version = {{{c.version}}},",
        f"  url     = {{{page_url}}},",
        f"  note    = {{Scenario file {sc.slug}.toml}}",
        "}",
    ]
    year = f" ({c.year})" if c.year else ""
    plain = f"{'; '.join(c.authors)}{year}. {c.title}: {sc.title} (version {c.version}). {page_url}"
    short = alt.split(":")[0]
    md_alt = short.replace("[", "(").replace("]", ")")
    html_alt = short.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return {
        "bibtex": "\n".join(lines),
        "plain": plain,
        "markdown": f"[![{md_alt}]({gif_url})]({page_url})",
        "html": f'<a href="{page_url}"><img src="{gif_url}" alt="{html_alt}"></a>',
    }


class Typesetter:
    """LaTeX -> SVG files under `media/math/`, memoised through a blob store."""

    def __init__(self, load: Callable[[str], bytes | None], store: Callable[[str, bytes], None]):
        self._load, self._store = load, store
        self.files: dict[str, bytes] = {}

    def __call__(self, latex: str) -> str | None:
        """Site path of the SVG for `latex`, or None when mathtext cannot typeset it."""
        from matplotlib import __version__ as mpl_version

        from gallery.site import cache, mathsvg

        name = cache.blob_key(latex, mpl_version, Path(mathsvg.__file__).read_text())[:20] + ".svg"
        data = self._load(name)
        if data is None:
            try:
                data = mathsvg.latex_svg(latex)
            except mathsvg.MathError:
                return None
            self._store(name, data)
        path = f"media/math/{name}"
        self.files[path] = data
        return path


def media_names(entry: Entry) -> dict[str, str]:
    """Site path of every media file of a scenario; the names carry the cache key."""
    stem = f"media/{entry.scenario.slug}-{entry.key[:8]}"
    names = {
        "mp4": f"{stem}.mp4",
        "gif": f"{stem}.gif",
        "png": f"{stem}.png",
        "thumb": f"{stem}-thumb.png",
        "csv": f"{stem}.csv",
        "toml": f"{stem}.toml",
    }
    for role in entry.media:
        if role.startswith("poster-"):
            names[role] = f"{stem}-{role}.png"
    return {role: path for role, path in names.items() if role == "toml" or role in entry.media}


def _hyper_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(_hyper_value(v) for v in value) + ")"
    return str(value)


def _metric_row(m: RunMetrics, i: int = 0) -> dict[str, str]:
    div = int(m.diverged_at[i])
    reach = int(m.steps_to_min[i])
    return {
        "final_f": "diverged" if div >= 0 else commentary.num(m.final_f[i]),
        "distance": "—" if div >= 0 else commentary.num(m.distance[i]),
        "steps": str(reach) if reach >= 0 else "never",
        "path": commentary.num(m.path_length[i]),
        "reversals": f"{int(m.reversals[i, 0])} / {int(m.reversals[i, 1])}",
        "diverged": f"step {div}" if div >= 0 else "no",
    }


def _colors(traj: Trajectories) -> list[str]:
    from gallery.media.style import palette

    return [s.color for s in palette([r.spec.color for r in traj.runs])]


def _analysis_context(
    entry: Entry, names: dict[str, str], files: dict[str, bytes]
) -> dict[str, Any]:
    """Optional `sweep` / `basins` sections: figures become media files, text passes through."""
    out: dict[str, Any] = {}
    stem = f"media/{entry.scenario.slug}-{entry.key[:8]}"
    for section in ("sweep", "basins"):
        data = entry.analysis.get(section)
        if not data:
            continue
        figures = []
        for i, fig in enumerate(data.get("figures", ())):
            fig_files = {}
            for ext in ("svg", "png"):
                if fig.get(ext):
                    path = f"{stem}-{section}-{i}.{ext}"
                    files[path] = fig[ext]
                    fig_files[ext] = path
            if fig_files:
                figures.append(
                    {
                        "src": fig_files.get("svg") or fig_files["png"],
                        "png": fig_files.get("png"),
                        "alt": fig.get("alt", ""),
                        "caption": fig.get("caption", ""),
                    }
                )
        out[section] = {
            "figures": figures,
            "sentences": list(data.get("sentences", ())),
            "criterion": data.get("criterion"),
        }
    return out


def scenario_context(
    entry: Entry,
    names: dict[str, str],
    citation: Citation,
    typeset: Typesetter,
    files: dict[str, bytes],
) -> dict[str, Any]:
    """Everything `scenario.html` shows about one scenario."""
    sc, traj, metrics = entry.scenario, entry.traj, entry.metrics
    alt = commentary.alt_text(traj, metrics)
    reached = [int(m.steps_to_min[0]) for m in metrics if m.steps_to_min[0] >= 0]
    fastest = min(reached) if len(reached) > 1 else None
    colors = _colors(traj)
    optimizers = []
    for spec, run, m, color in zip(sc.optimizers, traj.runs, metrics, colors, strict=True):
        authored = [sc.commentary[k] for k in dict.fromkeys((spec.label, spec.kind))
                    if k in sc.commentary]  # fmt: skip
        kind = optim.KINDS[spec.kind]
        facts = commentary.sentences(m, run, sc.minima, 0, fastest)
        tuned = spec.tuned
        if tuned is not None:
            lo, hi, count = tuned.grid
            facts.insert(
                0,
                f"Its learning rate {commentary.num(tuned.lr)} was tuned: out of {count} rates "
                f"from {commentary.num(lo)} to {commentary.num(hi)}, it is {tuned.criterion}.",
            )
        optimizers.append(
            {
                "label": spec.label,
                "short": spec.short,
                "kind": spec.kind,
                "kind_title": kind.title,
                "color": color,
                "anchor": "opt-" + re.sub(r"[^a-z0-9]+", "-", spec.label.lower()).strip("-"),
                "authored": [Markup(commentary.markdown(t)) for t in authored],
                "sentences": facts,
                "metrics": _metric_row(m),
                "hyper": [
                    {
                        "name": k,
                        "value": _hyper_value(v),
                        "default": _hyper_value(kind.defaults.get(k, "")),
                        "given": k in spec.given,
                    }
                    for k, v in spec.hyper.items()
                ],
                "noise": spec.noise,
            }
        )
    url = citation.url
    page_url = f"{url}scenarios/{sc.slug}.html"
    width, height = entry.meta.get("size", (sc.render.width, sc.render.height))
    return {
        "scenario": sc,
        "formula_svg": typeset(sc.function.latex),
        "formula_text": sc.function.text,
        "intro": Markup(commentary.markdown(sc.commentary["intro"]))
        if "intro" in sc.commentary
        else None,
        "alt": alt,
        "media": names,
        "width": int(width),
        "height": int(height),
        "optimizers": optimizers,
        "starts": int(sc.starts.shape[0]),
        "start0": commentary.point(sc.starts[0]),
        "minima": [commentary.point(p) for p in sc.minima],
        "tolerance": commentary.tol_text(TOLERANCE),
        "notes": list(entry.meta.get("notes", ())),
        "analysis": _analysis_context(entry, names, files),
        "cite": cite(citation, sc, page_url, url + names.get("gif", names["toml"]), alt),
        "page_url": page_url,
    }


def optimizer_context(name: str, entries: Sequence[Entry], typeset: Typesetter) -> dict[str, Any]:
    """Everything `optimizer.html` shows about one kind."""
    kind = optim.KINDS[name]
    rule = []
    for line in kind.rule_lines:
        rule.append({"src": typeset(line), "latex": line})
    multiples = []
    for e in entries:  # one card per scenario, with a line per run of this kind
        names = media_names(e)
        role = f"poster-{name}"
        runs = [
            (spec, run, m)
            for spec, run, m in zip(e.scenario.optimizers, e.traj.runs, e.metrics, strict=True)
            if spec.kind == name
        ]
        if not runs:
            continue
        lines = [f"{spec.short}: {commentary.headline(m, run)}" for spec, run, m in runs]
        multiples.append(
            {
                "slug": e.scenario.slug,
                "title": e.scenario.title,
                "lines": lines,
                "src": names.get(role) or names.get("thumb"),
                "alt": f"Final frame of {e.scenario.title} showing "
                + (f"{name} runs only" if role in names else "every optimizer of the scenario")
                + ": "
                + "; ".join(lines)
                + ".",
            }
        )
    return {
        "kind": kind,
        "rule": rule,
        "defaults": [{"name": k, "value": _hyper_value(v)} for k, v in kind.defaults.items()],
        "multiples": multiples,
    }


def environment(templates: Path = TEMPLATES) -> Environment:
    """Jinja2 with autoescaping on and undefined names as errors."""
    env = Environment(
        loader=FileSystemLoader(str(templates)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["num"] = commentary.num
    return env


def _kinds_used(entries: Sequence[Entry]) -> dict[str, list[str]]:
    used: dict[str, list[str]] = {}
    for e in entries:
        for spec in e.scenario.optimizers:
            used.setdefault(spec.kind, [])
            if e.scenario.slug not in used[spec.kind]:
                used[spec.kind].append(e.scenario.slug)
    return used


def render_site(
    entries: Sequence[Entry],
    citation: Citation,
    typeset: Typesetter,
    templates: Path = TEMPLATES,
) -> dict[str, bytes]:
    """Every file of the site (pages, stylesheet, media) as relative path -> bytes."""
    env = environment(templates)
    files: dict[str, bytes] = {}
    entries = sorted(entries, key=lambda e: (e.scenario.order, e.scenario.slug))
    used = _kinds_used(entries)
    kinds = [
        {"name": k.name, "title": k.title, "used": len(used.get(k.name, ()))}
        for k in optim.KINDS.values()
    ]
    common = {"citation": citation, "kinds": kinds, "version": gallery.__version__}

    cards = []
    for pos, e in enumerate(entries):
        sc = e.scenario
        names = media_names(e)
        for role, path in names.items():
            files[path] = sc.source.encode("utf-8") if role == "toml" else e.media[role]
        ctx = scenario_context(e, names, citation, typeset, files)
        prev_e = entries[pos - 1] if pos > 0 else None
        next_e = entries[pos + 1] if pos + 1 < len(entries) else None
        ctx["prev"] = (
            {"slug": prev_e.scenario.slug, "title": prev_e.scenario.title} if prev_e else None
        )
        ctx["next"] = (
            {"slug": next_e.scenario.slug, "title": next_e.scenario.title} if next_e else None
        )
        page = env.get_template("scenario.html").render(root="../", **common, **ctx)
        files[f"scenarios/{sc.slug}.html"] = page.encode("utf-8")
        cards.append(
            {
                "slug": sc.slug,
                "title": sc.title,
                "summary": sc.summary,
                "thumb": names.get("thumb") or names.get("png"),
                "optimizers": [o.short for o in sc.optimizers],
                "alt": ctx["alt"],
                "diverged": [
                    o["short"] for o in ctx["optimizers"] if o["metrics"]["diverged"] != "no"
                ],
            }
        )
    for k in optim.KINDS:
        ctx = optimizer_context(k, entries, typeset)
        page = env.get_template("optimizer.html").render(root="../", **common, **ctx)
        files[f"optimizers/{k}.html"] = page.encode("utf-8")
    index = env.get_template("index.html").render(root="", cards=cards, **common)
    files["index.html"] = index.encode("utf-8")
    for name in STATIC:
        files[name] = (templates / name).read_bytes()
    files.update(typeset.files)
    return files


def meta_json(meta: Mapping[str, Any]) -> bytes:
    """Render metadata (frame count, size, notes) as stable JSON."""
    return json.dumps(dict(meta), sort_keys=True, default=lambda o: np.asarray(o).tolist()).encode()
