"""`gallery serve`: byte ranges, content types, no escape from the folder, rebuilds, stopping."""

from __future__ import annotations

import http.client
import os
import queue
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from gallery.site.serve import Unsatisfiable, byte_range, serve

DATA = os.urandom(1000)


@contextmanager
def running(
    site: Path,
    rebuild: Callable[[], int] = lambda: 0,
    watch: tuple[Path, ...] = (),
    interval: float = 0.02,
) -> Iterator[tuple[int, dict]]:
    """`serve` in a thread; yields its port and a dict that receives its return code."""
    stop, urls, result = threading.Event(), queue.Queue(), {}

    def run() -> None:
        result["code"] = serve(
            site, 0, rebuild, watch, interval=interval, ready=urls.put, stop=stop
        )

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    url = urls.get(timeout=5)
    assert url.startswith("http://127.0.0.1:") and url.endswith("/")
    try:
        yield urlsplit(url).port, result
    finally:
        stop.set()
        thread.join(5)
        assert not thread.is_alive(), "serve() did not return after stop was set"


def fetch(port: int, path: str, method: str = "GET", **headers: str):
    """(status, headers, body) of one request, the path sent exactly as given."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(method, path, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        conn.close()


def wait_for(check: Callable[[], bool], what: str, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    (site / "v.mp4").write_bytes(DATA)
    (site / "index.html").write_text("<h1>home</h1>")
    (site / "sub").mkdir()
    (site / "sub" / "index.html").write_text("<h1>sub</h1>")
    return site


@pytest.fixture
def port(site: Path) -> Iterator[int]:
    with running(site) as (port, _):
        yield port


def test_full_get(port):
    status, headers, body = fetch(port, "/v.mp4")
    assert status == 200
    assert body == DATA
    assert headers["Content-Length"] == "1000"
    assert headers["Accept-Ranges"] == "bytes"
    assert headers["Content-Type"] == "video/mp4"
    assert headers["Cache-Control"] == "no-store"
    assert "Content-Range" not in headers


@pytest.mark.parametrize(
    "header, first, last",
    [
        ("bytes=10-19", 10, 19),
        ("bytes=990-", 990, 999),
        ("bytes=-5", 995, 999),
        ("bytes=995-5000", 995, 999),  # the end is clamped to the file
        ("bytes=-5000", 0, 999),  # a suffix longer than the file: all of it
        ("bytes=0-0", 0, 0),
    ],
)
def test_range(port, header, first, last):
    status, headers, body = fetch(port, "/v.mp4", Range=header)
    assert status == 206
    assert body == DATA[first : last + 1]
    assert headers["Content-Range"] == f"bytes {first}-{last}/1000"
    assert headers["Content-Length"] == str(last - first + 1)
    assert headers["Accept-Ranges"] == "bytes"
    assert headers["Content-Type"] == "video/mp4"


@pytest.mark.parametrize("header", ["bytes=2000-", "bytes=1000-1005", "bytes=-0"])
def test_unsatisfiable_range(port, header):
    status, headers, body = fetch(port, "/v.mp4", Range=header)
    assert status == 416
    assert headers["Content-Range"] == "bytes */1000"
    assert body == b""


@pytest.mark.parametrize("header", ["bytes=0-9,20-29", "bytes=19-10", "items=0-9", "bytes=x-"])
def test_ignored_range_sends_the_whole_file(port, header):
    status, headers, body = fetch(port, "/v.mp4", Range=header)
    assert (status, body) == (200, DATA)
    assert "Content-Range" not in headers


def test_head(port):
    status, headers, body = fetch(port, "/v.mp4", "HEAD")
    assert (status, body) == (200, b"")
    assert headers["Content-Length"] == "1000"
    assert headers["Content-Type"] == "video/mp4"
    assert headers["Accept-Ranges"] == "bytes"
    status, headers, body = fetch(port, "/v.mp4", "HEAD", Range="bytes=10-19")
    assert (status, headers["Content-Length"], body) == (200, "1000", b"")  # ranges: GET only


def test_folders_serve_their_index(port):
    assert fetch(port, "/")[2] == b"<h1>home</h1>"
    assert fetch(port, "/sub/")[2] == b"<h1>sub</h1>"
    status, headers, _ = fetch(port, "/sub?x=1")
    assert (status, headers["Location"]) == (301, "/sub/?x=1")
    assert fetch(port, "/missing.png")[0] == 404


@pytest.mark.parametrize(
    "name, expected",
    [
        ("a.mp4", "video/mp4"),
        ("a.svg", "image/svg+xml"),
        ("a.gif", "image/gif"),
        ("a.png", "image/png"),
        ("a.csv", "text/csv; charset=utf-8"),
        ("a.toml", "text/plain; charset=utf-8"),
        ("a.html", "text/html; charset=utf-8"),
        ("a.css", "text/css; charset=utf-8"),
        ("a.js", "text/javascript; charset=utf-8"),
        ("a.json", "application/json"),
        ("a.zip", "application/zip"),
        ("a.pdf", "application/pdf"),
    ],
)
def test_content_type(site, port, name, expected):
    (site / name).write_bytes(b"x")
    status, headers, _ = fetch(port, f"/{name}")
    assert (status, headers["Content-Type"]) == (200, expected)


def test_no_escape_from_the_folder(tmp_path, site, port):
    secret = b"SECRET-" + os.urandom(16).hex().encode()
    outside = tmp_path / "outside.txt"
    outside.write_bytes(secret)
    (site / "link.txt").symlink_to(outside)
    (site / "up").symlink_to(tmp_path, target_is_directory=True)
    (site / "inside.txt").symlink_to(site / "index.html")  # a symlink within the folder is fine
    for path in [
        "/../outside.txt",
        "/sub/../../outside.txt",
        "/%2e%2e/outside.txt",
        "/%2E%2E/outside.txt",
        "/..%2foutside.txt",
        "/%2e%2e%2foutside.txt",
        "/sub/%2e%2e/%2e%2e/outside.txt",
        "/..\\outside.txt",
        f"/{outside}",
        f"//{outside}",
        f"/%2f{str(outside).lstrip('/')}",
        "/link.txt",
        "/up/outside.txt",
        "/up/site/../outside.txt",
    ]:
        status, _, body = fetch(port, path)
        assert status == 404, path
        assert secret not in body, path
    status, _, body = fetch(port, "/inside.txt")
    assert (status, body) == (200, b"<h1>home</h1>")


def test_byte_range_edge_cases():
    assert byte_range(None, 10) is None
    assert byte_range("BYTES=2-3", 10) == (2, 3)
    assert byte_range("bytes=0-", 0) is None  # an empty file is sent whole
    with pytest.raises(Unsatisfiable):
        byte_range("bytes=10-", 10)


class Builder:
    """A rebuild callback like the real build: a fresh folder with a counter, renamed into place."""

    def __init__(self, site: Path) -> None:
        self.site = site
        self.calls = 0
        self.active = self.most_active = 0
        self.lock = threading.Lock()
        self.fail: Callable[[], int] | None = None
        self.hold = threading.Event()
        self.hold.set()
        self.entered = threading.Event()

    def __call__(self) -> int:
        with self.lock:
            self.calls += 1
            n = self.calls
            self.active += 1
            self.most_active = max(self.most_active, self.active)
        try:
            self.entered.set()
            assert self.hold.wait(5)
            if self.fail is not None:
                return self.fail()
            new = self.site.with_name(f".site.new-{n}")
            new.mkdir()
            (new / "index.html").write_text(f"build {n}")
            old = self.site.with_name(".site.old")
            if self.site.exists():
                os.rename(self.site, old)
            os.rename(new, self.site)
            shutil.rmtree(old, ignore_errors=True)
            return 0
        finally:
            with self.lock:
                self.active -= 1


def edit(path: Path) -> None:
    """Change a file visibly to the watcher: its size changes, whatever the mtime resolution."""
    path.write_text(path.read_text() + "x")


def boom() -> int:
    raise RuntimeError("boom")


@pytest.mark.parametrize(
    "failure, message",
    [
        (lambda: 3, "rebuild failed (exit 3); serving the previous site"),
        (boom, "rebuild failed (RuntimeError: boom); serving the previous site"),
    ],
)
def test_rebuild_on_change(tmp_path, capsys, failure, message):
    scenarios = tmp_path / "scenarios"
    (scenarios / "deep").mkdir(parents=True)
    (scenarios / "deep" / "a.toml").write_text("a")
    site = tmp_path / "site"
    build = Builder(site)
    with running(site, build, watch=(scenarios,)) as (port, _):
        assert build.calls == 1
        assert fetch(port, "/")[2] == b"build 1"
        edit(scenarios / "deep" / "a.toml")
        wait_for(lambda: fetch(port, "/")[2] == b"build 2", "the rebuilt site")
        assert fetch(port, "/")[1]["Cache-Control"] == "no-store"

        build.fail = failure
        edit(scenarios / "deep" / "a.toml")
        wait_for(lambda: message in capsys.readouterr().err, "the failure message")
        assert build.calls == 3
        status, _, body = fetch(port, "/")
        assert (status, body) == (200, b"build 2")


def test_changes_during_a_rebuild_make_one_more(tmp_path):
    watched = tmp_path / "a.toml"  # a single file may be watched too
    watched.write_text("a")
    site = tmp_path / "site"
    build = Builder(site)
    with running(site, build, watch=(watched,)) as (port, _):
        build.hold.clear()
        build.entered.clear()
        edit(watched)
        assert build.entered.wait(5)  # rebuild 2 has started and is held
        for _ in range(2):
            edit(watched)
            time.sleep(0.1)  # several polls: both edits are seen while rebuild 2 runs
        build.hold.set()
        wait_for(lambda: fetch(port, "/")[2] == b"build 3", "the rebuild after the held one")
        time.sleep(0.2)  # ten polls: no further rebuild comes
        assert build.calls == 3
        assert build.most_active == 1


def test_hidden_files_and_the_site_itself_are_not_watched(tmp_path):
    (tmp_path / "a.toml").write_text("a")
    site = tmp_path / "site"
    build = Builder(site)
    with running(site, build, watch=(tmp_path,)):  # the site folder is inside the watched one
        (tmp_path / ".a.toml.swp").write_text("editor")
        time.sleep(0.2)  # ten polls
        assert build.calls == 1
        edit(tmp_path / "a.toml")
        wait_for(lambda: build.calls == 2, "a rebuild")
        time.sleep(0.2)  # the rebuild rewrote the site: that must not trigger another
        assert build.calls == 2


def assert_port_free(port: int) -> None:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen()


def test_stop_ends_serve_and_releases_the_port(site):
    with running(site) as (port, result):
        assert fetch(port, "/v.mp4")[0] == 200
    assert result["code"] == 0
    with pytest.raises(ConnectionRefusedError):
        fetch(port, "/v.mp4")
    assert_port_free(port)


def test_ctrl_c_ends_serve_and_releases_the_port(site):
    urls = []

    def ready(url: str) -> None:
        urls.append(url)
        raise KeyboardInterrupt

    assert serve(site, 0, lambda: 0, (), ready=ready) == 0
    assert_port_free(urlsplit(urls[0]).port)


def test_busy_port(site, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        calls = []
        code = serve(site, s.getsockname()[1], lambda: calls.append(1) or 0, ())
    assert code == 2
    assert calls == []
    assert "cannot listen on 127.0.0.1:" in capsys.readouterr().err
