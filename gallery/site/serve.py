"""`gallery serve`: serve the built site locally and rebuild it whenever an input file changes.

Standard library only. The handler answers HTTP Range requests (RFC 7233) so browsers can seek in
the videos, never serves anything outside the site folder, and looks the folder up afresh on every
request, because each build swaps in a new folder by renaming it.
"""

from __future__ import annotations

import http.server
import os
import re
import sys
import threading
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from urllib.parse import unquote

_RANGE = re.compile(r"bytes=(\d*)-(\d*)", re.IGNORECASE)
_CHUNK = 64 * 1024


class Unsatisfiable(Exception):
    """The requested byte range lies wholly past the end of the file (answer 416)."""


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) byte range a `Range` header asks for; None for the whole file.

    Raises Unsatisfiable when no byte of the file is in the range. Headers we do not handle are
    ignored, which RFC 7233 allows: other units, malformed values and multi-range requests
    (`bytes=0-9,20-29`, answered with the whole file, 200, rather than multipart/byteranges).
    """
    m = _RANGE.fullmatch(header.strip()) if header else None
    if m is None or m.groups() == ("", "") or size == 0:  # an empty file: send it whole
        return None
    first, last = m.groups()
    if not first:  # bytes=-n: the last n bytes
        if int(last) == 0:
            raise Unsatisfiable
        return max(size - int(last), 0), size - 1
    a, b = int(first), int(last) if last else size - 1
    if last and b < a:  # syntactically invalid: ignore the header
        return None
    if a >= size:
        raise Unsatisfiable
    return a, min(b, size - 1)


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the folder `root` with byte ranges, no caching and quiet logs (errors only)."""

    protocol_version = "HTTP/1.1"  # keep-alive: a page loads many thumbnails
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".html": "text/html; charset=utf-8",
        ".css": "text/css; charset=utf-8",
        ".js": "text/javascript; charset=utf-8",
        ".json": "application/json",
        ".svg": "image/svg+xml",
        ".png": "image/png",
        ".gif": "image/gif",
        ".jpg": "image/jpeg",
        ".webp": "image/webp",
        ".mp4": "video/mp4",
        ".webm": "video/webm",
        ".csv": "text/csv; charset=utf-8",
        ".toml": "text/plain; charset=utf-8",
        ".txt": "text/plain; charset=utf-8",
        ".zip": "application/zip",
        ".pdf": "application/pdf",
    }

    def __init__(self, *args, root: Path, **kwargs) -> None:
        self.root = Path(root)
        super().__init__(*args, directory=os.fspath(root), **kwargs)

    def do_GET(self) -> None:
        self._send(body=True)

    def do_HEAD(self) -> None:
        self._send(body=False)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")  # every response, 404s included
        super().end_headers()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if isinstance(code, int) and code >= 400 and code != 416:
            print(f"{code} {self.command} {self.path}", file=sys.stderr, flush=True)

    def log_error(self, format: str, *args: object) -> None:
        pass  # log_request already reported it

    def _target(self, rel: str) -> Path | None:
        """The existing file or folder at URL path `rel`, or None when missing or outside."""
        parts = [p for p in unquote(rel).split("/") if p not in ("", ".")]
        if any(p == ".." or "\\" in p or "\0" in p for p in parts):
            return None
        root = self.root.resolve()  # afresh: the build replaces the folder by a rename
        path = root.joinpath(*parts).resolve()  # follows symlinks, which must stay inside too
        return path if path.is_relative_to(root) and path.exists() else None

    def _send(self, body: bool) -> None:
        url, sep, query = self.path.partition("?")
        path = self._target(url)
        if path is not None and path.is_dir():
            if not url.endswith("/"):  # redirect so that the page's relative links work
                self.send_response(301)
                self.send_header("Location", f"{url}/{sep}{query}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            path = self._target(url + "index.html")
        try:
            if path is None or not path.is_file():
                raise FileNotFoundError
            f = open(path, "rb")  # noqa: SIM115 (closed by the `with` below)
        except OSError:
            self.send_error(404, "File not found")
            return
        with f:
            size = os.fstat(f.fileno()).st_size
            ranged = self.command == "GET" and "If-Range" not in self.headers
            try:
                span = byte_range(self.headers.get("Range"), size) if ranged else None
            except Unsatisfiable:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            first, last = span or (0, size - 1)
            self.send_response(206 if span else 200)
            self.send_header("Content-Type", self.guess_type(path.name))
            self.send_header("Content-Length", str(last - first + 1))
            self.send_header("Accept-Ranges", "bytes")
            if span:
                self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
            self.end_headers()
            if body:
                f.seek(first)
                left = last - first + 1
                while left > 0 and (chunk := f.read(min(left, _CHUNK))):
                    self.wfile.write(chunk)
                    left -= len(chunk)


class _Server(http.server.ThreadingHTTPServer):
    """A threading HTTP server that does not print tracebacks when a browser drops a connection."""

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def fingerprint(paths: Sequence[Path], skip: Path | None = None) -> frozenset[tuple[str, int, int]]:
    """(path, mtime_ns, size) of every file under `paths`, leaving out hidden files and `skip`."""
    skip = skip.absolute() if skip else None
    seen: set[tuple[str, int, int]] = set()
    for top in map(Path, paths):
        if top.is_file():
            files = [top]
        else:
            files = []
            for folder, dirs, names in os.walk(top):
                dirs[:] = [
                    d for d in dirs if not d.startswith(".") and Path(folder, d).absolute() != skip
                ]
                files += [Path(folder, n) for n in names if not n.startswith(".")]
        for f in files:
            try:
                st = f.stat()
            except OSError:  # removed meanwhile
                continue
            seen.add((str(f), st.st_mtime_ns, st.st_size))
    return frozenset(seen)


def _run(rebuild: Callable[[], int]) -> None:
    """Call `rebuild`, and on failure say in one line that the previous site stays."""
    try:
        code = rebuild()
    except Exception as exc:
        why = f"{type(exc).__name__}: {exc}"
    else:
        if not code:
            return
        why = f"exit {code}"
    print(f"rebuild failed ({why}); serving the previous site", file=sys.stderr, flush=True)


def serve(
    site: Path,
    port: int,
    rebuild: Callable[[], int],
    watch: Sequence[Path],
    host: str = "127.0.0.1",
    interval: float = 0.5,
    ready: Callable[[str], None] | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Build, serve `site` on (host, port) and rebuild on changes under `watch` until stopped.

    The port is bound before the first build, so a busy port fails at once. `port=0` picks a free
    port; `ready` receives the URL, e.g. "http://127.0.0.1:8000/", once the first build is done and
    the server answers. Returns 0 when `stop` is set or on Ctrl-C, 2 when the port cannot be bound.
    """
    stop = stop or threading.Event()
    site = Path(site).absolute()
    try:
        server = _Server((host, port), partial(RangeHandler, root=site))
    except OSError as exc:
        print(f"error: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    dirty, done = threading.Event(), threading.Event()

    def builder() -> None:  # one rebuild at a time; changes meanwhile make one more
        while True:
            dirty.wait()
            if done.is_set():
                return
            dirty.clear()
            _run(rebuild)

    threads = [
        threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True),
        threading.Thread(target=builder, name="gallery-rebuild", daemon=True),
    ]
    try:
        before = fingerprint(watch, skip=site)
        _run(rebuild)
        for t in threads:
            t.start()
        if ready is not None:
            host_, port_ = server.server_address[:2]
            ready(f"http://{host_}:{port_}/")
        while not stop.wait(interval):
            now = fingerprint(watch, skip=site)
            if now != before:
                before = now
                dirty.set()
    except KeyboardInterrupt:
        pass
    finally:
        done.set()
        dirty.set()
        if threads[0].is_alive():
            server.shutdown()
        server.server_close()
        if threads[1].is_alive():
            threads[1].join()  # let a rebuild in progress finish its swap
    return 0
