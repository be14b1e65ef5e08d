"""`make bench`: every benchmark in one command; each prints its own figures and ratios."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

BENCHES = ["bench_optim", "bench_errors", "bench_render", "bench_analysis", "bench_build"]


def main() -> int:
    for name in BENCHES:
        if not (HERE / f"{name}.py").exists():
            continue
        print(f"== {name}")
        importlib.import_module(name).main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
