"""Cache: content-hash keys, bundles recorded only after success and verified before use, and an
atomic site writer."""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import gallery
from gallery.site.bundle import Bundle

PACKAGE = Path(gallery.__file__).resolve().parent
#: Code whose source shapes a bundle (numbers, pictures, sentences): change any of it and every
#: cached bundle is stale. Pages are re-rendered on every build, so their code is not listed.
BUNDLE_CODE = (
    "engine",
    "media",
    "site/bundle.py",
    "site/prose.py",
    "site/insights.py",
    "site/mathsvg.py",
)
#: Libraries whose version changes the bytes of the media.
BUNDLE_LIBRARIES = ("numpy", "sympy", "matplotlib", "pillow", "imageio-ffmpeg")
#: A file every built site holds, so `--out` never replaces a folder that is not a gallery.
MARKER = ".gallery-site"
MARKER_TEXT = b"built by optimizer-gallery; this folder is replaced on every build\n"
BUNDLE_FILE = "bundle.json"
INDEX_FILE = "files.json"


class SiteError(Exception):
    """The output folder cannot be written or replaced."""


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(len(p).to_bytes(8, "little"))
        h.update(p)
    return h.hexdigest()


@functools.cache
def code_digest() -> str:
    """Hash of the package version, the libraries' versions and the code in BUNDLE_CODE."""
    parts = [gallery.__version__.encode()]
    parts += [f"{lib}={metadata.version(lib)}".encode() for lib in BUNDLE_LIBRARIES]
    for item in BUNDLE_CODE:
        p = PACKAGE / item
        files = sorted(p.rglob("*.py")) if p.is_dir() else [p]
        for f in files:
            parts += [f.relative_to(PACKAGE).as_posix().encode(), f.read_bytes()]
    return _digest(*parts)


def bundle_key(scenario_bytes: bytes) -> str:
    """Cache key of one scenario's bundle: its file bytes plus `code_digest()`."""
    return _digest(b"bundle", code_digest().encode(), scenario_bytes)


def blob_key(*parts: str) -> str:
    """Cache key of a small derived file (e.g. a typeset formula) from its inputs."""
    return _digest(b"blob", *(p.encode() for p in parts))


class BundleCache:
    """Finished bundles in `<root>/<slug>-<key16>/`; each file's size and hash are checked on use.

    An entry is written to a temporary folder and renamed into place, so it exists only complete.
    An entry that fails its check (a truncated or missing file, broken JSON) counts as absent and
    is removed: the scenario is rendered again instead of published damaged.
    """

    def __init__(self, root: Path):
        self.root = Path(root)

    def _dir(self, slug: str, key: str) -> Path:
        return self.root / f"{slug}-{key[:16]}"

    def get(self, slug: str, key: str) -> Bundle | None:
        """The cached bundle, verified, or None."""
        d = self._dir(slug, key)
        if not d.is_dir():
            return None
        try:
            index = json.loads((d / INDEX_FILE).read_bytes())
            files = {}
            for role, (name, size, sha) in index["files"].items():
                data = (d / name).read_bytes()
                if len(data) != size or hashlib.sha256(data).hexdigest() != sha:
                    raise ValueError(f"{name} does not match its recorded hash")
                files[role] = data
            raw = (d / BUNDLE_FILE).read_bytes()
            if hashlib.sha256(raw).hexdigest() != index["bundle"]:
                raise ValueError("bundle.json does not match its recorded hash")
            found = Bundle.from_json(raw, files)
            if found.key != key:
                raise ValueError("entry belongs to another key")
            return found
        except (OSError, ValueError, KeyError, TypeError) as exc:
            print(f"note: cache entry {d.name} is damaged ({exc}); rendering it again")
            shutil.rmtree(d, ignore_errors=True)
            return None

    def put(self, b: Bundle) -> None:
        """Record a bundle atomically (temp folder, then rename) and drop older ones of its slug."""
        self.root.mkdir(parents=True, exist_ok=True)
        final = self._dir(b.slug, b.key)
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=self.root))
        try:
            index: dict = {"files": {}}
            for i, (role, data) in enumerate(sorted(b.files.items())):
                name = f"{i:03d}{role}"
                (tmp / name).write_bytes(data)
                index["files"][role] = (name, len(data), hashlib.sha256(data).hexdigest())
            raw = b.to_json()
            (tmp / BUNDLE_FILE).write_bytes(raw)
            index["bundle"] = hashlib.sha256(raw).hexdigest()
            (tmp / INDEX_FILE).write_text(json.dumps(index, sort_keys=True))
            if final.exists():
                shutil.rmtree(final)
            os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        stale = re.compile(re.escape(b.slug) + r"-[0-9a-f]{16}")
        for d in self.root.iterdir():
            if d != final and d.is_dir() and stale.fullmatch(d.name):
                shutil.rmtree(d, ignore_errors=True)

    def get_blob(self, name: str) -> bytes | None:
        """A small cached file by name, or None."""
        p = self.root / "blobs" / name
        return p.read_bytes() if p.is_file() else None

    def put_blob(self, name: str, data: bytes) -> None:
        """Store a small file (write to a temp name, then rename)."""
        d = self.root / "blobs"
        d.mkdir(parents=True, exist_ok=True)
        tmp = d / f".{name}.{os.getpid()}"
        tmp.write_bytes(data)
        os.replace(tmp, d / name)


@dataclass(frozen=True)
class WriteStats:
    """How many files a site write created anew and how many it kept from the previous site."""

    written: int
    kept: int


def _check_out(out: Path) -> None:
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise SiteError(f"{out}: exists and is not a folder; refusing to replace it")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise SiteError(
            f"{out}: folder exists, is not empty and was not built by the gallery "
            f"(no {MARKER}); refusing to replace it"
        )


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    if sys.platform != "linux":
        return False
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if not hasattr(libc, "renameat2"):
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = libc.renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    if done != 0:
        err = ctypes.get_errno()
        if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
            return False  # the file system cannot exchange: fall back to two renames
        raise OSError(err, os.strerror(err), str(b))
    return True


def write_site(files: Mapping[str, bytes], out: Path) -> WriteStats:
    """Write `files` (relative path -> bytes) as the folder `out`, atomically.

    Everything goes into a temporary folder next to `out` that replaces it at the end in a
    single rename (an exchange where the platform allows it), so an error or an interrupt leaves
    the previous site as it was. Files whose bytes equal the previous site's are hard-linked (or
    copied) from it, so they keep their modification times. Call it holding `SiteLock(out)`: the
    leftovers it removes are then those of builds that died. An OS error becomes a `SiteError`
    naming the path.
    """
    out = Path(out).absolute()
    _check_out(out)
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        for leftover in parent.glob(f".{out.name}.new-*"):  # from a build that was killed
            shutil.rmtree(leftover, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=parent))
    except OSError as exc:
        raise SiteError(f"{exc.filename or parent}: cannot write: {exc.strerror or exc}") from None
    written = kept = 0
    try:
        tmp.chmod(0o755)
        for rel, data in sorted({**files, MARKER: MARKER_TEXT}.items()):
            counted = rel != MARKER
            dest = tmp / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            old = out / rel
            if old.is_file() and old.stat().st_size == len(data) and old.read_bytes() == data:
                try:
                    os.link(old, dest)
                except OSError:
                    shutil.copy2(old, dest)
                kept += counted
                continue
            dest.write_bytes(data)
            written += counted
        if out.exists() and _exchange(tmp, out):
            shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the previous site
        else:
            away = parent / f".{out.name}.new-old-{os.getpid()}"
            if out.exists():
                os.rename(out, away)
            try:
                os.rename(tmp, out)
            except BaseException:
                if away.exists():
                    os.rename(away, out)
                raise
            shutil.rmtree(away, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        where = exc.filename or out
        raise SiteError(f"{where}: cannot write: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return WriteStats(written=written, kept=kept)


class SiteLock:
    """One build at a time per output folder: `.<name>.lock` next to it holds the builder's PID.

    A second build waits for the first (saying so once) instead of both writing; a lock whose
    process is gone is taken over.
    """

    def __init__(self, out: Path, wait: float = 600.0, poll: float = 0.2):
        out = Path(out).absolute()
        self.path = out.parent / f".{out.name}.lock"
        self.out, self.wait, self.poll = out, wait, poll

    def _holder(self) -> int | None:
        try:
            pid = int(self.path.read_text().strip() or 0)
        except (OSError, ValueError):
            return None
        if pid <= 0:
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None  # that build died
        except PermissionError:
            pass  # alive, and not ours
        return pid

    def __enter__(self) -> SiteLock:
        import time

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SiteError(f"{self.path.parent}: cannot write: {exc.strerror or exc}") from None
        deadline, said = time.monotonic() + self.wait, False
        mine = self.path.with_name(f"{self.path.name}.{os.getpid()}")
        try:
            mine.write_text(str(os.getpid()))  # the lock appears with its PID already in it
            while True:
                try:
                    os.link(mine, self.path)  # atomic: fails if another build holds the lock
                    return self
                except FileExistsError:
                    holder = self._holder()
                    if holder is None:  # its build died: remove the stale lock and try again
                        with contextlib.suppress(FileNotFoundError):
                            self.path.unlink()
                        continue
                    if time.monotonic() > deadline:
                        raise SiteError(
                            f"{self.out}: another build (pid {holder}) is writing it; try again "
                            "when it is done"
                        ) from None
                    if not said:
                        print(f"note: another build (pid {holder}) is writing {self.out}; waiting")
                        said = True
                    time.sleep(self.poll)
        except OSError as exc:
            raise SiteError(f"{exc.filename or self.path}: cannot write: {exc.strerror}") from None
        finally:
            with contextlib.suppress(OSError):
                mine.unlink()

    def __exit__(self, *exc) -> None:
        with contextlib.suppress(OSError):
            if self.path.read_text().strip() == str(os.getpid()):
                self.path.unlink()
