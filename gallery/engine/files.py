"""Files: scenario files read safely (regular files only, bounded size, names that fit)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from gallery.engine.schema import ScenarioError

MAX_FILE_BYTES = 256_000
MAX_NAME = 100  # characters in a file name's stem: it names every file the scenario makes


def read_file(path: str | os.PathLike[str], limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a scenario file: regular files only, never more than `limit` bytes read.

    A FIFO, a device (a link to /dev/zero) or a folder is refused at once instead of blocking or
    reading without end; `ScenarioError` names the file.
    """
    name = str(path)
    stem = Path(name).stem
    if len(stem) > MAX_NAME:
        raise ScenarioError(
            name, [("", f"the file name is {len(stem)} characters; at most {MAX_NAME}")]
        )
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise ScenarioError(name, [("", f"cannot read file: {exc.strerror or exc}")]) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ScenarioError(name, [("", "not a regular file (a pipe, a device or a folder?)")])
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise ScenarioError(name, [("", f"cannot read file: {exc.strerror or exc}")]) from None
    finally:
        os.close(fd)
    if size > limit:
        raise ScenarioError(name, [("", f"file is larger than {limit} bytes")])
    return b"".join(chunks)
