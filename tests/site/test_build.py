"""End to end: build the tiny scenario set into tmp_path and check the site as a reader would."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from gallery.site import build as site_build
from gallery.site import cache
from tests.site.conftest import snapshot, write_tiny

VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


class Page(HTMLParser):
    """Collects links and checks that every non-void tag is closed in order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.refs: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src", "poster") and value is not None:
                self.refs.append((tag, name, value))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}>, open: {self.stack[-3:]}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse(path: Path) -> Page:
    p = Page()
    p.feed(path.read_text(encoding="utf-8"))
    p.close()
    return p


def counting(monkeypatch) -> list[str]:
    """Count calls of the render worker (jobs=1 runs it in this process)."""
    calls: list[str] = []
    real = site_build.render_media

    def wrapped(path: str):
        calls.append(Path(path).stem)
        return real(path)

    monkeypatch.setattr(site_build, "render_media", wrapped)
    return calls


@pytest.fixture
def built(tmp_path: Path, tiny: Path, monkeypatch):
    calls = counting(monkeypatch)
    out = tmp_path / "site"
    stats = site_build.build_site(tiny, out, jobs=1)
    assert stats.code == 0
    return out, stats, calls


def test_every_page_exists(built):
    out, stats, calls = built
    assert sorted(calls) == ["bowl", "cliff"]
    assert (out / "index.html").is_file()
    for slug in ("bowl", "cliff"):
        assert (out / "scenarios" / f"{slug}.html").is_file()
    from gallery.engine.optim import KINDS

    for kind in KINDS:
        assert (out / "optimizers" / f"{kind}.html").is_file()


def test_links_resolve_parse_and_stay_local(built):
    out, _, _ = built
    pages = sorted(out.rglob("*.html"))
    assert len(pages) > 3
    for page in pages:
        p = parse(page)
        assert not p.errors, (page, p.errors)
        assert not p.stack, (page, p.stack)
        for tag, _attr, value in p.refs:
            parts = urlsplit(value)
            assert not parts.scheme and not parts.netloc, (page, tag, value)
            if not parts.path:  # in-page anchor
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            assert target.is_file(), (page, value)
            assert out.resolve() in target.parents, (page, value)


def test_scenario_page_content(built):
    out, _, _ = built
    html = (out / "scenarios" / "cliff.html").read_text(encoding="utf-8")
    assert re.search(r"<video controls loop muted playsinline", html)
    assert "autoplay" not in html
    assert re.search(r'<source src="\.\./media/cliff-[0-9a-f]{8}\.mp4" type="video/mp4">', html)
    assert re.search(r"Diverged at step \d+ as y ran off to −∞", html)
    assert "@misc{optimizer-gallery-cliff," in html
    assert 'href="bowl.html"' in html  # previous scenario
    bowl = (out / "scenarios" / "bowl.html").read_text(encoding="utf-8")
    assert "<em>round</em>" in bowl and "<strong>gradient descent</strong>" in bowl
    assert 'href="cliff.html"' in bowl  # next scenario


def test_optimizer_page_has_one_card_per_scenario(built):
    out, _, _ = built
    html = (out / "optimizers" / "sgd.html").read_text(encoding="utf-8")
    cards = re.findall(r'<a href="\.\./scenarios/([a-z-]+)\.html">\s*<img', html)
    assert cards == ["bowl"]  # two SGD runs in the bowl: one card, a line each
    assert "SGD lr=0.3: " in html and "SGD lr=0.1: " in html


def test_analysis_sections(built):
    out, _, _ = built
    cliff = (out / "scenarios" / "cliff.html").read_text(encoding="utf-8")
    bowl = (out / "scenarios" / "bowl.html").read_text(encoding="utf-8")
    for html in (cliff, bowl):  # every page has the learning-rate sweep, as PNG and SVG
        assert "Learning-rate sensitivity" in html
        assert re.search(r'<img src="\.\./media/[a-z]+-[0-9a-f]{8}-sweep-0\.svg"', html)
        assert re.search(r'<a href="\.\./media/[a-z]+-[0-9a-f]{8}-sweep-0\.png">PNG</a>', html)
    assert "Basins of attraction" in cliff and "Basins of attraction" not in bowl
    assert re.search(r'src="\.\./media/cliff-[0-9a-f]{8}-basins-0\.png"', cliff)
    # the tuned rate and the rule that chose it are printed
    from gallery.engine.analysis import TUNED_CRITERION

    assert TUNED_CRITERION in cliff and re.search(r"Adam lr=[0-9.e-]+ \(tuned\)", cliff)
    assert list(out.glob("media/cliff-*-sweep-0.svg"))


def test_script_in_title_is_escaped(tmp_path: Path, monkeypatch):
    evil = write_tiny(tmp_path / "sc", {"evil.toml": _evil()})
    out = tmp_path / "site"
    assert site_build.build_site(evil, out, jobs=1, only=["evil"]).code == 0
    for page in [out / "index.html", out / "scenarios" / "evil.html"]:
        html = page.read_text(encoding="utf-8")
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert" in html


def _evil() -> str:
    from tests.site.conftest import TINY

    return TINY["bowl.toml"].replace('title = "Tiny bowl"', 'title = "<script>alert(1)</script>"')


def test_rebuild_without_change_renders_nothing(built, monkeypatch):
    out, _, calls = built
    before = snapshot(out)
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    calls.clear()
    stats = site_build.build_site(out.parent / "scenarios", out, jobs=1)
    assert stats.code == 0 and calls == [] and stats.rendered == []
    assert stats.written == 0
    assert snapshot(out) == before
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == mtimes


def test_changing_one_scenario_rerenders_only_it(built):
    out, _, calls = built
    src = out.parent / "scenarios" / "bowl.toml"
    src.write_text(src.read_text().replace("lr = 0.3", "lr = 0.25"))
    calls.clear()
    stats = site_build.build_site(src.parent, out, jobs=1)
    assert stats.code == 0 and calls == ["bowl"]
    assert len(list((out / "media").glob("bowl-*.mp4"))) == 1  # the old hash is gone


def test_failure_mid_build_leaves_previous_site(built, monkeypatch):
    out, _, _ = built
    before = snapshot(out)
    folder = out.parent / "scenarios"
    for name in ("bowl.toml", "cliff.toml"):
        p = folder / name
        p.write_text(p.read_text().replace("steps = ", "steps = 1"))  # both need a render
    real = site_build.render_media

    def fail_second(path: str):
        if Path(path).stem == "cliff":
            raise RuntimeError("injected")
        return real(path)

    monkeypatch.setattr(site_build, "render_media", fail_second)
    stats = site_build.build_site(folder, out, jobs=1)
    assert stats.code == 1 and stats.failed == ["cliff"]
    assert snapshot(out) == before
    assert sorted(p.name for p in out.parent.iterdir() if p.name.startswith(".site")) == []


def test_interrupt_while_writing_leaves_previous_site(built, monkeypatch):
    out, _, _ = built
    before = snapshot(out)
    p = out.parent / "scenarios" / "bowl.toml"
    p.write_text(p.read_text().replace("Tiny bowl", "Tiny bowl, renamed"))

    def interrupt(files, where):
        raise KeyboardInterrupt

    monkeypatch.setattr(cache, "write_site", interrupt)
    with pytest.raises(KeyboardInterrupt):
        site_build.build_site(p.parent, out, jobs=1)
    assert snapshot(out) == before


def test_invalid_files_are_all_reported(tmp_path: Path, capsys):
    folder = write_tiny(tmp_path / "sc", {"bad1.toml": 'title = "x"\n', "bad2.toml": "steps = 0\n"})
    out = tmp_path / "site"
    assert site_build.build(folder, out, jobs=1) == 2
    err = capsys.readouterr().err
    assert "error: " in err and "bad1.toml" in err and "bad2.toml" in err
    assert not out.exists()
    stats = site_build.build_site(folder, out, jobs=1, keep_going=True)
    assert stats.code == 2
    assert (out / "scenarios" / "bowl.html").is_file()


def test_two_clean_builds_are_identical_with_two_jobs(tmp_path: Path, tiny: Path):
    a, b = tmp_path / "a" / "site", tmp_path / "b" / "site"
    assert site_build.build_site(tiny, a, jobs=2).code == 0
    assert site_build.build_site(tiny, b, jobs=2).code == 0  # separate cache next to each site
    sa, sb = snapshot(a), snapshot(b)
    assert sa.keys() == sb.keys()
    assert [k for k in sa if sa[k] != sb[k]] == []


def test_only_renders_the_chosen_scenario_and_keeps_the_others(built):
    out, _, calls = built
    folder = out.parent / "scenarios"
    for name in ("bowl.toml", "cliff.toml"):  # both change; only one is asked for
        src = folder / name
        src.write_text(src.read_text() + "\n# edited\n")
    calls.clear()
    stats = site_build.build_site(folder, out, jobs=1, only=["bowl"])
    assert stats.code == 0 and calls == ["bowl"]
    assert (out / "scenarios" / "bowl.html").is_file()
    assert not (out / "scenarios" / "cliff.html").exists()  # stale and not asked for: left out
    stats = site_build.build_site(folder, out, jobs=1)  # a full build brings it back
    assert calls == ["bowl", "cliff"] and (out / "scenarios" / "cliff.html").is_file()
