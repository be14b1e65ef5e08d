"""How long the broken and hostile scenario corpus takes to be rejected (each must be < 1 s)."""

from __future__ import annotations

import contextlib
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "engine"))


def main() -> None:
    from test_scenario import HOSTILE

    from gallery.engine.scenario import ScenarioError, load

    worst = ("", 0.0)
    with tempfile.TemporaryDirectory() as tmp:
        for name, (text, _) in sorted(HOSTILE.items()):
            path = Path(tmp) / f"{name}.toml"
            path.write_text(text)
            t0 = time.perf_counter()
            with contextlib.suppress(ScenarioError):
                load(path)
            dt = time.perf_counter() - t0
            worst = max(worst, (name, dt), key=lambda p: p[1])
    print(
        f"hostile corpus: {len(HOSTILE)} files, slowest '{worst[0]}' rejected in "
        f"{worst[1] * 1000:.1f} ms (limit 1000 ms)"
    )


if __name__ == "__main__":
    main()
