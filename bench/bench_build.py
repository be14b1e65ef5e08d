"""Build benchmark: a clean build of the shipped scenarios, then a rebuild with nothing changed."""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    from gallery.site.build import build_site

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "site"
        times = []
        for _ in range(2):
            t0 = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                stats = build_site(ROOT / "scenarios", out)
            times.append(time.perf_counter() - t0)
            if stats.code:
                print(f"build failed with exit code {stats.code}")
                return
        files = sum(1 for p in out.rglob("*") if p.is_file())
    clean, rebuild = times
    print(f"clean build:          {clean:6.2f} s ({len(stats.cached)} scenarios, {files} files)")
    print(f"no-change rebuild:    {rebuild:6.2f} s (rendered {len(stats.rendered)})")
    print(f"ratio clean/rebuild:  {clean / rebuild:6.1f}x")


if __name__ == "__main__":
    main()
