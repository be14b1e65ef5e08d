"""Page helpers: citation, typeset math, strict templates."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from gallery.site import mathsvg, pages


def test_citation_file_is_read():
    c = pages.read_citation()
    assert c.title and c.authors and c.version
    assert c.url.startswith("https://") and c.url.endswith("/")


def test_bibtex_and_snippets_point_at_the_page():
    c = pages.read_citation()
    snip = pages.cite(
        c, "a-b", "A & B", c.url + "scenarios/a-b.html", c.url + "media/x.gif", "Anim: rest"
    )
    assert snip["bibtex"].startswith("@misc{optimizer-gallery-a-b,")
    assert "A \\& B" in snip["bibtex"]
    assert c.url + "scenarios/a-b.html" in snip["plain"]
    assert snip["markdown"] == f"[![Anim]({c.url}media/x.gif)]({c.url}scenarios/a-b.html)"


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
