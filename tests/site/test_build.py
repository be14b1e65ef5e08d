"""End to end: build the tiny scenario set into tmp_path and check the site as a reader would."""

from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from gallery.__main__ import main
from gallery.site import build as site_build
from gallery.site import cache
from tests.site.conftest import Built, snapshot

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
    real = site_build.render_bundle

    def wrapped(path: str, key: str):
        calls.append(Path(path).stem)
        return real(path, key)

    monkeypatch.setattr(site_build, "render_bundle", wrapped)
    return calls


def test_every_page_exists(built: Built):
    out = built.site
    assert (out / "index.html").is_file()
    for slug in ("bowl", "cliff"):
        assert (out / "scenarios" / f"{slug}.html").is_file()
    from gallery.engine.optim import KINDS

    for kind in KINDS:
        assert (out / "optimizers" / f"{kind}.html").is_file()


def test_links_resolve_parse_and_stay_local(built: Built):
    out = built.site
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


def test_scenario_page_content(built: Built):
    out = built.site
    html = (out / "scenarios" / "cliff.html").read_text(encoding="utf-8")
    assert re.search(r"<video controls loop muted playsinline", html)
    assert "autoplay" not in html
    assert re.search(r'<source src="\.\./media/cliff\.mp4\?v=[0-9a-f]{8}" type="video/mp4">', html)
    assert re.search(r"Diverged at step \d+: y ran off toward −∞", html)
    assert "@misc{optimizer-gallery-cliff," in html
    assert 'href="bowl.html"' in html  # previous scenario
    bowl = (out / "scenarios" / "bowl.html").read_text(encoding="utf-8")
    assert "<em>round</em>" in bowl and "<strong>gradient descent</strong>" in bowl
    assert 'href="cliff.html"' in bowl  # next scenario
    caption = re.search(r'<figcaption id="anim-desc">(.*?)</figcaption>', html, re.S).group(1)
    assert re.search(r'[.)]\s+<a href="\.\./media/cliff\.gif', caption), caption  # a space first


def test_media_have_stable_names(built: Built):
    names = sorted(p.name for p in (built.site / "media").glob("bowl*"))
    assert names == [
        "bowl-all.zip",
        "bowl-formula.svg",
        "bowl-frames.zip",
        "bowl-poster-adam.png",
        "bowl-poster-sgd.png",
        "bowl-poster.pdf",
        "bowl-poster.svg",
        "bowl-slide.gif",
        "bowl-slide.mp4",
        "bowl-strip.pdf",
        "bowl-strip.png",
        "bowl-sweep-0.png",
        "bowl-sweep-0.svg",
        "bowl-thumb.png",
        "bowl.csv",
        "bowl.gif",
        "bowl.mp4",
        "bowl.png",
        "bowl.toml",
    ]


def test_lecture_notes_files_match_their_snippets(built: Built):
    import zipfile
    from html import unescape

    html = unescape((built.site / "scenarios" / "cliff.html").read_text(encoding="utf-8"))
    found = re.search(
        r"\\animategraphics\[[^\]]*\]\{([0-9.]+)\}\{([\w-]+)\}\{(\d+)\}\{(\d+)\}", html
    )
    assert found, "no animate snippet"
    assert found.group(0).startswith("\\animategraphics[controls,loop,width=\\linewidth]{")
    fps, prefix, first, last = found.groups()
    assert float(fps) == 4  # the tiny cliff's [render] fps
    with zipfile.ZipFile(built.site / "media" / "cliff-frames.zip") as z:
        names = sorted(z.namelist(), key=lambda n: int(n.split("-")[1].split(".")[0]))
    assert names == [f"{prefix}{i}.png" for i in range(int(first), int(last) + 1)]
    assert f"Every frame as PNG ({len(names)} files, ZIP)" in html
    assert "\\includegraphics[width=\\linewidth]{cliff-poster.pdf}" in html
    pdf = (built.site / "media" / "cliff-poster.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    with zipfile.ZipFile(built.site / "media" / "cliff-all.zip") as z:
        inside = set(z.namelist())
    assert {"cliff.gif", "cliff.mp4", "cliff-poster.pdf", "cliff.toml"} <= inside
    assert "cliff-frames.zip" not in inside  # offered on its own: not packed twice


def test_optimizer_page_has_one_card_per_scenario(built: Built):
    html = (built.site / "optimizers" / "sgd.html").read_text(encoding="utf-8")
    cards = re.findall(r'<a href="\.\./scenarios/([a-z-]+)\.html">\s*<img', html)
    assert cards == ["bowl"]  # two SGD runs in the bowl: one card, a line each
    assert "SGD lr=0.3: " in html and "SGD lr=0.1: " in html


def test_analysis_sections(built: Built):
    out = built.site
    cliff = (out / "scenarios" / "cliff.html").read_text(encoding="utf-8")
    bowl = (out / "scenarios" / "bowl.html").read_text(encoding="utf-8")
    for slug, html in (("cliff", cliff), ("bowl", bowl)):  # every page has the sweep, PNG and SVG
        assert "Learning-rate sensitivity" in html
        assert re.search(rf'<img src="\.\./media/{slug}-sweep-0\.svg\?v=[0-9a-f]{{8}}"', html)
        assert re.search(
            rf'<a href="\.\./media/{slug}-sweep-0\.png\?v=[0-9a-f]{{8}}">PNG</a>', html
        )
    assert "Basins of attraction" in cliff and "Basins of attraction" not in bowl
    assert re.search(r'src="\.\./media/cliff-basins-0\.png\?v=', cliff)
    # the tuned rate and the rule that chose it are printed
    from gallery.engine.analysis import TUNED_CRITERION

    assert TUNED_CRITERION in cliff and re.search(r"Adam lr=[0-9.e-]+ \(tuned\)", cliff)


def test_script_in_title_is_escaped(fresh: Built):
    from tests.site.conftest import TINY

    evil = TINY["bowl.toml"].replace('title = "Tiny bowl"', 'title = "<script>alert(1)</script>"')
    (fresh.scenarios / "evil.toml").write_text(evil)
    assert site_build.build_site(fresh.scenarios, fresh.site, jobs=1, only=["evil"]).ok
    for page in [fresh.site / "index.html", fresh.site / "scenarios" / "evil.html"]:
        html = page.read_text(encoding="utf-8")
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert" in html


def test_rebuild_without_change_renders_nothing(fresh: Built, monkeypatch):
    calls = counting(monkeypatch)
    out = fresh.site
    site_build.build_site(fresh.scenarios, out, jobs=1)  # the copy's files get their own mtimes
    before = snapshot(out)
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    stats = site_build.build_site(fresh.scenarios, out, jobs=1)
    assert stats.ok and calls == [] and stats.rendered == []
    assert sorted(stats.cached) == ["bowl", "cliff"]
    assert stats.written == 0
    assert snapshot(out) == before
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == mtimes


def test_no_change_build_loads_neither_sympy_nor_matplotlib(fresh: Built):
    probe = (
        "import sys; from pathlib import Path; from gallery.site.build import build_site; "
        f"s = build_site(Path({str(fresh.scenarios)!r}), Path({str(fresh.site)!r})); "
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'sympy', 'matplotlib', 'PIL'}); "
        "light = ('gallery.engine.optim', 'gallery.engine.text', 'gallery.engine.schema', "
        "'gallery.engine.files'); "
        "engine = sorted(m for m in sys.modules if m.startswith('gallery.engine.') "
        "and not m.startswith(light)); "
        "print('RESULT', s.rendered, heavy, engine)"
    )
    root = Path(__file__).parents[2]
    runs = [
        subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=root)
        for _ in range(2)  # the first one makes sure the cache matches this process's code
    ]
    assert runs[1].returncode == 0, runs[1].stderr
    assert "RESULT [] [] []" in runs[1].stdout, runs[1].stdout


def test_changing_one_scenario_rerenders_only_it(fresh: Built, monkeypatch):
    calls = counting(monkeypatch)
    src = fresh.scenarios / "bowl.toml"
    src.write_text(src.read_text().replace("lr = 0.3", "lr = 0.25"))
    stats = site_build.build_site(fresh.scenarios, fresh.site, jobs=1)
    assert stats.ok and calls == ["bowl"] and stats.cached == ["cliff"]
    assert "SGD lr=0.25" in (fresh.site / "scenarios" / "bowl.html").read_text()
    entries = sorted(p.name for p in (fresh.root / ".cache" / "gallery").glob("bowl-*"))
    assert len(entries) == 1  # the stale entry is gone


def test_damaged_cache_entry_is_rendered_again(fresh: Built, monkeypatch):
    calls = counting(monkeypatch)
    (entry,) = (fresh.root / ".cache" / "gallery").glob("bowl-*")
    gif = next(entry.glob("*.gif"))
    gif.write_bytes(gif.read_bytes()[:100])  # truncated
    stats = site_build.build_site(fresh.scenarios, fresh.site, jobs=1)
    assert stats.ok and calls == ["bowl"]
    assert (fresh.site / "media" / "bowl.gif").stat().st_size > 100


def test_failure_mid_build_leaves_previous_site(fresh: Built, monkeypatch):
    out = fresh.site
    before = snapshot(out)
    for name in ("bowl.toml", "cliff.toml"):
        p = fresh.scenarios / name
        p.write_text(p.read_text().replace("steps = ", "steps = 1"))  # both need a render
    real = site_build.render_bundle

    def fail_cliff(path: str, key: str):
        if Path(path).stem == "cliff":
            raise RuntimeError("injected")
        return real(path, key)

    monkeypatch.setattr(site_build, "render_bundle", fail_cliff)
    stats = site_build.build_site(fresh.scenarios, out, jobs=1)
    assert not stats.ok and stats.failed == ["cliff"]
    assert snapshot(out) == before
    assert sorted(p.name for p in out.parent.iterdir() if p.name.startswith(".site")) == []


def test_interrupt_while_writing_leaves_previous_site(fresh: Built, monkeypatch):
    before = snapshot(fresh.site)
    p = fresh.scenarios / "bowl.toml"
    p.write_text(p.read_text().replace("Tiny bowl", "Tiny bowl, renamed"))

    def interrupt(files, where):
        raise KeyboardInterrupt

    monkeypatch.setattr(cache, "write_site", interrupt)
    with pytest.raises(KeyboardInterrupt):
        site_build.build_site(fresh.scenarios, fresh.site, jobs=1)
    assert snapshot(fresh.site) == before


def test_invalid_files_are_all_reported(fresh: Built, capsys):
    (fresh.scenarios / "bad1.toml").write_text('title = "x"\n')
    (fresh.scenarios / "bad2.toml").write_text("steps = 0\n")
    out = fresh.root / "other"
    stats = site_build.build_site(fresh.scenarios, out, jobs=1)
    assert sorted(Path(p).name for p in stats.invalid) == ["bad1.toml", "bad2.toml"]
    err = capsys.readouterr().err
    assert "error: " in err and "bad1.toml: function: missing" in err and "bad2.toml" in err
    assert not out.exists()
    stats = site_build.build_site(fresh.scenarios, out, jobs=1, keep_going=True)
    assert not stats.ok and stats.rendered == []  # the good ones came from the warm cache
    assert (out / "scenarios" / "bowl.html").is_file()


def test_build_errors_are_one_line_and_exit_2(tmp_path: Path, capsys):
    assert main(["build", "--scenarios", str(tmp_path / "nope"), "--out", str(tmp_path / "s")]) == 2
    assert (
        capsys.readouterr().err.strip()
        == f"error: {tmp_path / 'nope'}: no such folder of scenario files"
    )


def test_clean_builds_are_identical(built: Built, tmp_path: Path, tiny: Path):
    other = tmp_path / "site"  # its own cache next to it: everything is rendered again
    stats = site_build.build_site(tiny, other, jobs=1)
    assert stats.ok and sorted(stats.rendered) == ["bowl", "cliff"]
    a, b = snapshot(built.site), snapshot(other)
    assert a.keys() == b.keys()
    assert [k for k in a if a[k] != b[k]] == []


def test_only_renders_the_chosen_scenario_and_keeps_the_others(fresh: Built, monkeypatch):
    calls = counting(monkeypatch)
    for name in ("bowl.toml", "cliff.toml"):  # both change; only one is asked for
        src = fresh.scenarios / name
        src.write_text(src.read_text() + "\n# edited\n")
    stats = site_build.build_site(fresh.scenarios, fresh.site, jobs=1, only=["bowl"])
    assert stats.ok and calls == ["bowl"]
    assert (fresh.site / "scenarios" / "bowl.html").is_file()
    assert not (fresh.site / "scenarios" / "cliff.html").exists()  # stale, not asked for: left out
    stats = site_build.build_site(fresh.scenarios, fresh.site, jobs=1)  # a full build: back again
    assert calls == ["bowl", "cliff"] and (fresh.site / "scenarios" / "cliff.html").is_file()


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text() if (task / "children").exists() else ""
        found |= {int(c) for c in text.split()}
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGINT"])
def test_a_signal_to_a_parallel_build_leaves_no_worker_behind(tmp_path: Path, tiny: Path, signame):
    import signal
    import time

    out = tmp_path / "site"
    for name in ("bowl.toml", "cliff.toml"):  # renders long enough to be caught at work
        p = tiny / name
        p.write_text(
            p.read_text().replace("frames = 4", "frames = 200").replace("steps = ", "steps = 20")
        )
    proc = subprocess.Popen(
        [sys.executable, "-m", "gallery", "build", "--scenarios", str(tiny), "--out", str(out),
         "--jobs", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=Path(__file__).parents[2],
    )  # fmt: skip
    deadline = time.monotonic() + 60
    workers: set[int] = set()
    while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
        workers = {c for c in _children(proc.pid) if _alive(c)}
        time.sleep(0.05)
    assert len(workers) >= 2, "the build never started its workers"
    proc.send_signal(getattr(signal, signame))  # SIGINT: Ctrl-C, sent to the build alone
    assert proc.wait(timeout=30) != 0
    deadline = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [w for w in workers if _alive(w)], "workers outlived the build"
    assert not out.exists()  # nothing half-written
    assert not list(tmp_path.glob(".site.*")), list(tmp_path.iterdir())


def test_two_builds_into_one_folder_give_a_complete_site(fresh: Built):
    command = [sys.executable, "-m", "gallery", "build", "--scenarios", str(fresh.scenarios),
               "--out", str(fresh.site), "--jobs", "1"]  # fmt: skip
    src = fresh.scenarios / "bowl.toml"
    src.write_text(src.read_text().replace("Tiny bowl", "Tiny bowl, again"))  # both render it
    procs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         cwd=Path(__file__).parents[2])
        for _ in range(2)
    ]  # fmt: skip
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert any("another build" in out for out, _ in results)  # the second one waited
    pages = {p.name for p in (fresh.site / "scenarios").glob("*.html")}
    assert pages == {"bowl.html", "cliff.html"} and (fresh.site / "index.html").is_file()
    assert "Tiny bowl, again" in (fresh.site / "index.html").read_text()
    leftovers = [p.name for p in fresh.site.parent.iterdir() if p.name.startswith(".site")]
    assert leftovers == []


def test_an_unwritable_output_is_one_error_naming_it(fresh: Built, capsys):
    blocker = fresh.root / "not-a-folder"
    blocker.write_text("a file where the output's parent folder should be")
    out = blocker / "site"
    code = main(["build", "--scenarios", str(fresh.scenarios), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert err.startswith(f"error: {blocker}") and "cannot write" in err, err


def test_a_fifo_among_the_scenarios_does_not_block_the_build(fresh: Built, capsys):
    import os

    os.mkfifo(fresh.scenarios / "pipe.toml")
    stats = site_build.build_site(fresh.scenarios, fresh.root / "other", jobs=1, keep_going=True)
    assert [Path(p).name for p in stats.invalid] == ["pipe.toml"]
    assert "pipe.toml: not a regular file" in capsys.readouterr().err
    assert (fresh.root / "other" / "scenarios" / "bowl.html").is_file()


def test_a_label_that_breaks_mathtext_is_an_error_of_the_file(fresh: Built, capsys):
    src = fresh.scenarios / "bowl.toml"
    src.write_text(src.read_text().replace('kind = "adam"', 'kind = "adam"\nlabel = "$\\\\foo$"'))
    code = main(["build", "--scenarios", str(fresh.scenarios), "--out", str(fresh.site)])
    err = capsys.readouterr().err
    assert code == 2 and f"{src}: optimizer[2].label: " in err and "does not parse" in err


def _snippets(html: str) -> dict[str, str]:
    from html import unescape

    found = re.findall(r'<pre data-copy="([^"]+)"><code>(.*?)</code></pre>', html, re.S)
    return {name: unescape(text) for name, text in found}


def test_media_addresses_in_snippets_survive_an_edit_of_the_prose(fresh: Built):
    page = fresh.site / "scenarios" / "bowl.html"
    before = _snippets(page.read_text(encoding="utf-8"))
    src = fresh.scenarios / "bowl.toml"
    src.write_text(src.read_text().replace("A *round* bowl.", "A *perfectly round* bowl."))
    assert site_build.build_site(fresh.scenarios, fresh.site, jobs=1).ok
    html = page.read_text(encoding="utf-8")
    assert "perfectly round" in html
    after = _snippets(html)
    for name in ("Markdown snippet", "HTML snippet"):
        urls = re.findall(r"media/[\w.-]+", after[name])
        assert urls and urls == re.findall(r"media/[\w.-]+", before[name])
        assert all((fresh.site / u).is_file() for u in urls)  # and they resolve
        assert "?v=" not in after[name]  # snippets never carry the pages' cache-busting query
    assert re.search(r'src="\.\./media/bowl\.mp4\?v=[0-9a-f]{8}"', html)  # the page itself does


def test_base_url_goes_into_every_snippet(fresh: Built, capsys):
    url = "https://ta-dl.github.io/dl101/"
    out = fresh.root / "published"
    assert site_build.build_site(fresh.scenarios, out, jobs=1, base_url=url).ok
    assert "warning: the site's address is unknown" not in capsys.readouterr().out
    snippets = _snippets((out / "scenarios" / "bowl.html").read_text(encoding="utf-8"))
    for name in ("BibTeX", "citation", "Markdown snippet", "HTML snippet"):
        assert f"{url}scenarios/bowl.html" in snippets[name], name
    assert f"({url}media/bowl.gif)" in snippets["Markdown snippet"]
    assert "urldate = {" in snippets["BibTeX"]


def test_without_an_address_the_build_warns_and_snippets_are_relative(fresh: Built, capsys):
    assert site_build.build_site(fresh.scenarios, fresh.site, jobs=1).ok
    assert "warning: the site's address is unknown" in capsys.readouterr().out
    html = (fresh.site / "scenarios" / "bowl.html").read_text(encoding="utf-8")
    snippets = _snippets(html)
    assert "example.github.io" not in html
    assert "(media/bowl.gif)](scenarios/bowl.html)" in snippets["Markdown snippet"]
    assert "build with --base-url" in html
