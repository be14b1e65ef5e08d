"""Page helpers: citation, typeset math, strict templates."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import jinja2
import pytest

from gallery.site import mathsvg, pages


def test_markdown_alt_text_survives_commonmark():
    alt = "Animation of 2 optimizer paths on f(x, y) = x^2*y + 3*x*y_[1] <b> & more"
    snippet = f"[![{pages.markdown_text(alt)}](a.gif)](p.html)"
    html = pages._md.render(snippet)
    found = re.search(r'alt="([^"]*)"', html)
    assert found and unescape(found.group(1)) == alt, html


def test_math_svg_is_deterministic_and_dateless():
    a = mathsvg.latex_svg(r"\frac{x^{2}}{20} + y^{2}")
    b = mathsvg.latex_svg(r"\frac{x^{2}}{20} + y^{2}")
    assert a == b
    assert b"<svg" in a and b"dc:date" not in a and b"<metadata>" not in a


def test_math_svg_reports_bad_latex():
    with pytest.raises(mathsvg.MathError):
        mathsvg.latex_svg(r"\frac{")


def test_templates_are_strict_and_escape(tmp_path: Path):
    (tmp_path / "t.html").write_text("{{ a }} {{ b }}")
    env = pages.environment(tmp_path)
    with pytest.raises(jinja2.UndefinedError):
        env.get_template("t.html").render(a=1)
    assert env.get_template("t.html").render(a="<i>", b="") == "&lt;i&gt; "


def test_markdown_escapes_raw_html():
    html = pages.markdown("<script>alert(1)</script> and **bold**")
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<strong>bold</strong>" in html


def test_a_kind_has_the_same_look_on_every_page_of_the_site(built):
    """Adam's look (colour, dash, marker) is one picture wherever the site shows Adam."""
    site = built.site
    pages_with_adam = [
        site / "index.html",
        site / "scenarios" / "bowl.html",
        site / "scenarios" / "cliff.html",
    ]
    seen = set()
    for page in pages_with_adam:
        html = page.read_text(encoding="utf-8")
        for found in re.finditer(
            r'(<svg class="look"(?:(?!</svg>).)*</svg>)\s*(?:<a[^>]*>)?\s*Adam\b', html
        ):
            seen.add(found.group(1))
    assert len(seen) == 1, seen  # one look, the same everywhere
    sgd = re.search(
        r'(<svg class="look"(?:(?!</svg>).)*</svg>)<a href="optimizers/sgd.html">',
        (site / "index.html").read_text(),
    )
    assert sgd and sgd.group(1) not in seen  # and another kind looks different
