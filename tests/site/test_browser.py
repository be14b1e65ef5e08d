"""Open built pages in headless Chromium: no console errors, every image loads, the video plays."""

from __future__ import annotations

import json
import os
import re
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


def probe(page: Path, tmp: Path) -> dict:
    """Load a probed copy of `page` (next to the original) and return the probe's findings."""
    copy = page.with_name(f"probe-{page.name}")
    html = page.read_text(encoding="utf-8")
    copy.write_text(html.replace("<head>", "<head>\n" + PROBE, 1), encoding="utf-8")
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
                copy.as_uri(),
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


@pytest.fixture
def site(built: Built) -> Path:
    return built.site


@pytest.mark.parametrize("page", ["index.html", "scenarios/cliff.html", "optimizers/sgd.html"])
def test_page_loads_cleanly(site: Path, page: str, tmp_path: Path):
    result = probe(site / page, tmp_path)
    assert result["errors"] == []
    assert result["images"], "expected images on the page"
    for img in result["images"]:
        assert img["width"] > 0, img
    if page.startswith("scenarios/"):
        (video,) = result["videos"]
        assert video["src"].endswith(".mp4")
        assert video["canPlay"] in ("maybe", "probably")
        assert video["error"] is None and video["ready"] >= 1, video
