"""Open built pages in headless Chromium: no console errors, every image loads, the video plays."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.site.conftest import Built

CHROMIUM = "/usr/bin/chromium"

#: Put into a *copy* of a page (never into the site): records errors, then reports after load.
PROBE = """<script>
(function () {
  var errors = [];
  window.addEventListener("error", function (e) {
    var t = e.target;
    errors.push(t && t !== window ? "failed to load " + (t.currentSrc || t.src || t.href)
                                  : String(e.message));
  }, true);
  window.addEventListener("unhandledrejection", function (e) {
    errors.push("rejection " + e.reason);
  });
  var original = console.error;
  console.error = function () {
    errors.push(Array.prototype.join.call(arguments, " "));
    original.apply(console, arguments);
  };
  window.addEventListener("load", function () {
    var images = Array.prototype.slice.call(document.images);
    images.forEach(function (i) { i.loading = "eager"; });
    var videos = Array.prototype.slice.call(document.querySelectorAll("video"));
    var started = Date.now();
    (function poll() {
      var waiting = images.some(function (i) { return !i.complete; }) ||
        videos.some(function (v) { return v.readyState < 1 && !v.error; });
      if (waiting && Date.now() - started < 4000) { setTimeout(poll, 50); return; }
      var out = document.createElement("pre");
      out.id = "probe-result";
      out.textContent = JSON.stringify({
        errors: errors,
        images: images.map(function (i) {
          return {src: i.getAttribute("src"), width: i.naturalWidth}; }),
        videos: videos.map(function (v) {
          return {src: v.currentSrc, canPlay: v.canPlayType("video/mp4"), ready: v.readyState,
                  error: v.error ? v.error.code : null}; })
      });
      document.body.appendChild(out);
    })();
  });
})();
</script>"""


def _chromium() -> str:
    if Path(CHROMIUM).is_file():
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing; CI must install Debian's chromium package")
    pytest.skip(f"{CHROMIUM} not installed (install Debian's chromium package)")


def probe(page: Path, tmp: Path, script: str = PROBE, fragment: str = "") -> dict:
    """Load a probed copy of `page` (next to the original) and return the probe's findings."""
    copy = page.with_name(f"probe-{page.name}")
    html = page.read_text(encoding="utf-8")
    copy.write_text(html.replace("<head>", "<head>\n" + script, 1), encoding="utf-8")
    try:
        proc = subprocess.run(
            [
                _chromium(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--allow-file-access-from-files",
                f"--user-data-dir={tmp / 'ud'}",
                "--window-size=1280,2000",
                "--virtual-time-budget=8000",
                "--dump-dom",
                copy.as_uri() + fragment,
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        copy.unlink()
    m = re.search(r'<pre id="probe-result">(.*?)</pre>', proc.stdout, re.S)
    assert m, f"no probe result; chromium said: {proc.stderr[-2000:]}"
    return json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))


@pytest.fixture(scope="module")
def site(built: Built, tmp_path_factory) -> Path:
    """A private copy of the built site: the probes put pages into it (the built one is shared)."""
    copy = tmp_path_factory.mktemp("browse") / "site"
    shutil.copytree(built.site, copy)
    return copy


@pytest.mark.parametrize("page", ["index.html", "scenarios/cliff.html", "optimizers/sgd.html"])
def test_page_loads_cleanly(site: Path, page: str, tmp_path: Path):
    result = probe(site / page, tmp_path)
    assert result["errors"] == []
    assert result["images"], "expected images on the page"
    for img in result["images"]:
        assert img["width"] > 0, img
    if page.startswith("scenarios/"):
        (video,) = result["videos"]
        assert re.search(r"\.mp4(\?v=[0-9a-f]{8})?$", video["src"]), video
        assert video["canPlay"] in ("maybe", "probably")
        assert video["error"] is None and video["ready"] >= 1, video


#: Click the first scenario's column heading twice; report the column's sort keys each time.
SORT_PROBE = """<script>
window.addEventListener("load", function () {
  var table = document.getElementById("compare");
  var keys = function () {
    return Array.prototype.map.call(table.tBodies[0].rows, function (r) {
      return Number(r.cells[1].getAttribute("data-sort")); });
  };
  var before = keys();
  var button = table.querySelector('thead button[data-col="1"]');
  button.click();
  var up = keys();
  button.click();
  var down = keys();
  var out = document.createElement("pre");
  out.id = "probe-result";
  out.textContent = JSON.stringify({before: before, up: up, down: down,
                                    state: button.getAttribute("aria-sort")});
  document.body.appendChild(out);
});
</script>"""

#: Report where the animation stands once the page has handled its #t= link.
SEEK_PROBE = """<script>
window.addEventListener("load", function () {
  var video = document.querySelector("figure.animation video");
  var started = Date.now();
  (function poll() {
    if ((video.readyState < 1 || video.currentTime === 0) && Date.now() - started < 4000) {
      setTimeout(poll, 50); return;
    }
    var out = document.createElement("pre");
    out.id = "probe-result";
    out.textContent = JSON.stringify({time: video.currentTime, duration: video.duration});
    document.body.appendChild(out);
  })();
});
</script>"""


def test_comparison_table_sorts_by_a_column(site: Path, tmp_path: Path):
    result = probe(site / "compare.html", tmp_path, SORT_PROBE)
    assert sorted(result["before"]) == result["up"] and result["up"] == result["down"][::-1]
    assert result["state"] == "descending"
    assert result["up"] != result["before"] or result["before"] == sorted(result["before"])


def test_a_time_link_seeks_the_animation(site: Path, tmp_path: Path):
    result = probe(site / "scenarios" / "cliff.html", tmp_path, SEEK_PROBE, "#t=0.5")
    assert result["duration"] > 0.5
    assert abs(result["time"] - 0.5) < 0.05, result
