"""Pages: bundles in, page contexts rendered through `templates/` out (paths -> bytes).

Everything here reads bundles and the optimizer registry only, so writing the pages never loads
sympy or matplotlib; the one exception is typesetting an update rule that is not cached yet.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markdown_it import MarkdownIt
from markupsafe import Markup

import gallery
from gallery.engine import optim
from gallery.engine.text import num, value
from gallery.site import bundle as B
from gallery.site import verdicts
from gallery.site.bundle import Bundle
from gallery.site.citation import Citation

TEMPLATES = Path(gallery.__file__).resolve().parent.parent / "templates"
CITATION = TEMPLATES.parent / "CITATION.cff"
STATIC = ("style.css",)

_md = MarkdownIt("commonmark", {"html": False})


def markdown(text: str) -> Markup:
    """Authored Markdown as HTML; raw HTML in the source is escaped, not passed through."""
    return Markup(_md.render(text))


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~&])")


def markdown_text(text: str) -> str:
    """`text` with every character CommonMark could read as markup escaped by a backslash."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _bibtex_escape(text: str) -> str:
    return re.sub(r"([&%$#_{}])", r"\\\1", text)


def cite(c: Citation, b: Bundle, built_on: str) -> dict[str, str]:
    """BibTeX, plain-text citation, embeds and LaTeX snippets for one scenario page.

    With the site's address known, every link is absolute; without it, links are relative to the
    site's root and `note` says how to set the address. Media addresses never carry a version
    query: a snippet pasted into notes keeps pointing at the same file after every rebuild.
    """
    root = c.url or ""
    page_url = f"{root}scenarios/{b.slug}.html"
    gif_url = root + b.path(B.GIF)
    authors = " and ".join(f"{{{a}}}" if "," not in a else a for a in c.authors)
    lines = [
        f"@misc{{optimizer-gallery-{b.slug},",
        f"  title   = {{{_bibtex_escape(c.title)}: {_bibtex_escape(b.title)}}},",
        f"  author  = {{{authors}}},",
    ]
    if c.year:
        lines.append(f"  year    = {{{c.year}}},")
    lines += [
        f"  version = {{{c.version}}},",
        f"  url     = {{{page_url}}},",
        f"  urldate = {{{built_on}}},",
        f"  note    = {{Scenario file {b.slug}.toml, version {b.key[:12]}}}",
        "}",
    ]
    year = f" ({c.year})" if c.year else ""
    plain = (
        f"{'; '.join(c.authors)}{year}. {c.title}: {b.title} (version {c.version}, scenario "
        f"{b.key[:12]}). {page_url} (accessed {built_on})."
    )
    short = b.alt.split(":")[0]
    html_alt = short.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    out = {
        "bibtex": "\n".join(lines),
        "plain": plain,
        "markdown": f"[![{markdown_text(short)}]({gif_url})]({page_url})",
        "html": f'<a href="{page_url}"><img src="{gif_url}" alt="{html_alt}"></a>',
        "note": ""
        if c.url
        else "These snippets use links relative to the site's root, because the build did not "
        "know the site's address: build with --base-url (the Pages workflow does), or set url "
        "in CITATION.cff.",
    }
    return out


def latex(b: Bundle) -> dict[str, str]:
    """LaTeX snippets for the scenario's print files (empty where a file is missing)."""
    out = {"includegraphics": "", "animate": ""}
    figures = [role for role in (B.POSTER_PDF, B.STRIP_PDF) if b.has(role)]
    if figures:
        out["includegraphics"] = "\n".join(
            f"\\includegraphics[width=\\linewidth]{{{b.slug}{role}}}" for role in figures
        )
    if b.zip_frames and b.has(B.FRAMES_ZIP):
        prefix, first, last = b.zip_frames
        out["animate"] = (
            "% \\usepackage{animate} in the preamble\n"
            f"\\animategraphics[controls,loop,width=\\linewidth]{{{num(b.fps, 6)}}}"
            f"{{{prefix}}}{{{first}}}{{{last}}}"
        )
    return out


def _marker_svg(marker, cx: float, cy: float, r: float) -> str:
    """An SVG shape for a matplotlib marker name, centred at (cx, cy)."""
    import math

    def polygon(n: int, start: float, radius: float = r, skip: int = 1) -> str:
        pts = [
            (cx + radius * math.cos(start + 2 * math.pi * skip * i / n),
             cy - radius * math.sin(start + 2 * math.pi * skip * i / n))
            for i in range(n)
        ]  # fmt: skip
        return " ".join(f"{x:.2f},{y:.2f}" for x, y in pts)

    shapes = {
        "s": f'<rect x="{cx - r * 0.8:.2f}" y="{cy - r * 0.8:.2f}" width="{1.6 * r:.2f}" '
        f'height="{1.6 * r:.2f}"/>',
        "^": f'<polygon points="{polygon(3, math.pi / 2)}"/>',
        "v": f'<polygon points="{polygon(3, -math.pi / 2)}"/>',
        "<": f'<polygon points="{polygon(3, math.pi)}"/>',
        ">": f'<polygon points="{polygon(3, 0)}"/>',
        "D": f'<polygon points="{polygon(4, math.pi / 2)}"/>',
        "d": f'<polygon points="{polygon(4, math.pi / 2, r * 0.9)}"/>',
        "p": f'<polygon points="{polygon(5, math.pi / 2)}"/>',
        "h": f'<polygon points="{polygon(6, math.pi / 2)}"/>',
        "H": f'<polygon points="{polygon(6, 0)}"/>',
        "8": f'<polygon points="{polygon(8, math.pi / 8)}"/>',
        "P": f'<polygon points="{cx - r / 3:.2f},{cy - r:.2f} {cx + r / 3:.2f},{cy - r:.2f} '
        f"{cx + r / 3:.2f},{cy - r / 3:.2f} {cx + r:.2f},{cy - r / 3:.2f} {cx + r:.2f},"
        f"{cy + r / 3:.2f} {cx + r / 3:.2f},{cy + r / 3:.2f} {cx + r / 3:.2f},{cy + r:.2f} "
        f"{cx - r / 3:.2f},{cy + r:.2f} {cx - r / 3:.2f},{cy + r / 3:.2f} {cx - r:.2f},"
        f'{cy + r / 3:.2f} {cx - r:.2f},{cy - r / 3:.2f} {cx - r / 3:.2f},{cy - r / 3:.2f}"/>',
    }
    if isinstance(marker, tuple):  # (sides, style, angle): a star for style 1
        sides = int(marker[0])
        return f'<polygon points="{polygon(sides, math.pi / 2, r, 1)}"/>'
    return shapes.get(marker, f'<circle cx="{cx}" cy="{cy}" r="{r * 0.85:.2f}"/>')


def look_svg(look) -> Markup:
    """A small picture of a run's look: its line (colour, dash) with its marker."""
    dash = look.linestyle
    if isinstance(dash, tuple):
        pattern = " ".join(f"{v * 2:g}" for v in dash[1])
        dash_attr = f' stroke-dasharray="{pattern}"'
    else:
        dash_attr = {"--": ' stroke-dasharray="8 4"', "-.": ' stroke-dasharray="8 3 2 3"',
                     ":": ' stroke-dasharray="2 3"'}.get(dash, "")  # fmt: skip
    marker = _marker_svg(look.marker, 44, 8, 5)
    return Markup(
        f'<svg class="look" width="56" height="16" viewBox="0 0 56 16" aria-hidden="true">'
        f'<line x1="2" y1="8" x2="40" y2="8" stroke="{look.color}" stroke-width="2.5"{dash_attr}/>'
        f'<g fill="{look.color}" stroke="#000" stroke-width="0.8">{marker}</g></svg>'
    )


class Typesetter:
    """LaTeX -> SVG files under `media/math/`, memoised through a blob store."""

    def __init__(self, load: Callable[[str], bytes | None], store: Callable[[str, bytes], None]):
        self._load, self._store = load, store
        self._salt: str | None = None
        self.files: dict[str, bytes] = {}

    def __call__(self, latex: str) -> str | None:
        """Site path of the SVG for `latex`, or None when mathtext cannot typeset it."""
        from gallery.site import cache

        if self._salt is None:  # what else shapes the SVG: the typesetter's code and version
            code = (Path(__file__).parent / "mathsvg.py").read_text(encoding="utf-8")
            self._salt = metadata.version("matplotlib") + code
        name = cache.blob_key(latex, self._salt)[:20] + ".svg"
        data = self._load(name)
        if data is None:
            from gallery.site import mathsvg  # loads matplotlib: only for a rule not cached yet

            try:
                data = mathsvg.latex_svg(latex)
            except mathsvg.MathError:
                return None
            self._store(name, data)
        path = f"media/math/{name}"
        self.files[path] = data
        return path


def versioned(b: Bundle, role: str) -> str:
    """The site path of a file as the site's own pages link it: with `?v=` so a browser never
    shows a stale copy. Snippets for notes use the bare path, which never changes."""
    return f"{b.path(role)}?v={b.key[:8]}"


def _media(b: Bundle) -> dict[str, str]:
    """Site paths of the bundle's files the scenario page links, by template name."""
    roles = {
        "mp4": B.MP4,
        "gif": B.GIF,
        "png": B.POSTER,
        "thumb": B.THUMB,
        "csv": B.CSV,
        "toml": B.TOML,
        "formula": B.FORMULA,
        "poster_pdf": B.POSTER_PDF,
        "poster_svg": B.POSTER_SVG,
        "strip_png": B.STRIP_PNG,
        "strip_pdf": B.STRIP_PDF,
        "frames_zip": B.FRAMES_ZIP,
        "slide_gif": B.SLIDE_GIF,
        "slide_mp4": B.SLIDE_MP4,
        "bundle_zip": B.ALL_ZIP,
    }
    return {name: versioned(b, role) for name, role in roles.items() if b.has(role)}


def scenario_context(b: Bundle, citation: Citation, built_on: str) -> dict[str, Any]:
    """Everything `scenario.html` shows about one scenario."""
    from gallery.media.style import looks

    drawn = looks([(r.kind, r.color) for r in b.runs])  # the look of each run in its figures
    optimizers = [
        {
            "label": r.label,
            "short": r.short,
            "kind": r.kind,
            "kind_title": optim.KINDS[r.kind].title,
            "color": r.color,
            "look": look_svg(look),
            "anchor": r.anchor,
            "authored": [markdown(t) for t in r.authored],
            "sentences": r.sentences,
            "metrics": r.metrics,
            "hyper": r.settings,
            "noise": r.noise,
        }
        for r, look in zip(b.runs, drawn, strict=True)
    ]
    analysis = {
        name: {
            "figures": [
                {
                    "src": versioned(b, f.svg or f.png),
                    "png": versioned(b, f.png) if f.png else None,
                    "alt": f.alt,
                    "caption": f.caption,
                }
                for f in section.figures
            ],
            "sentences": section.sentences,
            "criterion": section.criterion,
        }
        for name, section in b.analysis.items()
    }
    media = _media(b)
    return {
        "scenario": b,
        "formula_svg": media.get("formula"),
        "formula_text": b.formula,
        "intro": markdown(b.intro) if b.intro else None,
        "alt": b.alt,
        "media": media,
        "width": b.size[0],
        "height": b.size[1],
        "optimizers": optimizers,
        "starts": b.starts,
        "start0": b.start0,
        "minima": b.minima,
        "tolerance": b.tolerance,
        "notes": b.notes,
        "captions": b.captions,
        "analysis": analysis,
        "cite": cite(citation, b, built_on),
        "snippets": latex(b),
        "strip_steps": b.strip_steps,
        "frames_zip": {"count": b.zip_frames[2] - b.zip_frames[1] + 1} if b.zip_frames else {},
        "scenario_hash": b.key[:12],
    }


def optimizer_context(name: str, bundles: Sequence[Bundle], typeset: Typesetter) -> dict:
    """Everything `optimizer.html` shows about one kind."""
    kind = optim.KINDS[name]
    rule = [{"src": typeset(line), "latex": line} for line in kind.rule_lines]
    legend = [
        {"src": typeset(sym.latex), "latex": sym.latex, "meaning": sym.meaning, "hyper": sym.hyper}
        for sym in kind.symbols
    ]
    multiples = []
    for b in bundles:  # one card per scenario, with a line per run of this kind
        runs = [r for r in b.runs if r.kind == name]
        if not runs:
            continue
        role = B.kind_poster(name)
        lines = [f"{r.short}: {r.headline}" for r in runs]
        multiples.append(
            {
                "slug": b.slug,
                "title": b.title,
                "lines": lines,
                "src": versioned(b, role if b.has(role) else B.THUMB),
                "alt": f"Final frame of {b.title} showing "
                + (f"{name} runs only" if b.has(role) else "every optimizer of the scenario")
                + ": "
                + "; ".join(lines)
                + ".",
            }
        )
    found = verdicts.items(name, bundles)
    angles = [
        {"key": key, "title": title, "items": [i for i in found if i.angle == key]}
        for key, title in verdicts.ANGLES
    ]
    return {
        "kind": kind,
        "angles": [a for a in angles if a["items"]],
        "claims": verdicts.common_claims(name, bundles),
        "rule": rule,
        "legend": legend,
        "defaults": [{"name": k, "value": value(v)} for k, v in kind.defaults.items()],
        "multiples": multiples,
    }


def compare_context(bundles: Sequence[Bundle]) -> dict[str, Any]:
    """The comparison table: every optimizer kind used (rows) against every scenario (columns)."""
    kinds = [k for k in optim.KINDS if any(r.kind == k for b in bundles for r in b.runs)]
    rows = []
    for k in kinds:
        cells = [verdicts.cell(b, k) for b in bundles]
        rows.append({"kind": optim.KINDS[k], "cells": cells})
    return {"scenarios": bundles, "rows": rows}


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
    env.filters["num"] = num
    return env


def render_site(
    bundles: Sequence[Bundle],
    citation: Citation,
    typeset: Typesetter,
    built_on: str,
    templates: Path = TEMPLATES,
) -> dict[str, bytes]:
    """Every file of the site (pages, stylesheet, media) as relative path -> bytes."""
    env = environment(templates)
    files: dict[str, bytes] = {}
    bundles = sorted(bundles, key=lambda b: (b.order, b.slug))
    used: dict[str, int] = {}
    for b in bundles:
        for kind in {r.kind for r in b.runs}:
            used[kind] = used.get(kind, 0) + 1
    from gallery.media.style import looks

    kinds = [
        {
            "name": k.name,
            "title": k.title,
            "used": used.get(k.name, 0),
            "look": look_svg(looks([(k.name, None)])[0]),
        }
        for k in optim.KINDS.values()
    ]
    common = {
        "citation": citation,
        "kinds": kinds,
        "version": gallery.__version__,
        "built_on": built_on,
    }

    cards = []
    for pos, b in enumerate(bundles):
        for role, data in b.files.items():
            files[b.path(role)] = data
        ctx = scenario_context(b, citation, built_on)
        near = {"prev": bundles[pos - 1] if pos > 0 else None}
        near["next"] = bundles[pos + 1] if pos + 1 < len(bundles) else None
        for side, other in near.items():
            ctx[side] = {"slug": other.slug, "title": other.title} if other else None
        page = env.get_template("scenario.html").render(root="../", **common, **ctx)
        files[f"scenarios/{b.slug}.html"] = page.encode("utf-8")
        cards.append(
            {
                "slug": b.slug,
                "title": b.title,
                "summary": b.summary,
                "thumb": versioned(b, B.THUMB if b.has(B.THUMB) else B.POSTER),
                "optimizers": [r.short for r in b.runs],
                "alt": b.alt,
                "diverged": [r.short for r in b.runs if r.diverged],
            }
        )
    for k in optim.KINDS:
        ctx = optimizer_context(k, bundles, typeset)
        page = env.get_template("optimizer.html").render(root="../", **common, **ctx)
        files[f"optimizers/{k}.html"] = page.encode("utf-8")
    compare = compare_context(bundles)
    files["compare.html"] = (
        env.get_template("compare.html").render(root="", **common, **compare).encode()
    )
    index = env.get_template("index.html").render(root="", cards=cards, **common)
    files["index.html"] = index.encode("utf-8")
    for name in STATIC:
        files[name] = (templates / name).read_bytes()
    files.update(typeset.files)
    return files
