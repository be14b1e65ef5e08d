"""Every torch.optim reference case, reproduced through a scenario file and `gallery trace`."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from gallery.__main__ import main

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "torch_optim_trajectories.json"
CASES = json.loads(REFERENCE.read_text())["cases"]
BOUND = 1e12


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return json.dumps(v)


def scenario_text(case: dict, nudge: bool = False) -> str:
    x0, y0 = (float(v) for v in case["start"])
    if nudge:  # one unit in the last place, to measure how well-conditioned the path is
        x0, y0 = np.nextafter(x0, np.inf), np.nextafter(y0, np.inf)
    lines = [
        f'title = "{case["id"]}"',
        f"function = {json.dumps(case['function'])}",
        "domain = { x = [-10, 10], y = [-10, 10] }",
        f"steps = {case['steps']}",
        f"start = [{toml_value(float(x0))}, {toml_value(float(y0))}]",
        "",
        "[[optimizer]]",
        f'kind = "{case["kind"]}"',
    ]
    lines += [f"{k} = {toml_value(v)}" for k, v in case["hyperparameters"].items()]
    return "\n".join(lines) + "\n"


def trace(tmp_path: Path, case: dict, nudge: bool = False) -> np.ndarray:
    """Write the case as a scenario file, run `gallery trace` on it, read the CSV back."""
    name = case["id"] + ("-nudged" if nudge else "")
    path = tmp_path / f"{name}.toml"
    path.write_text(scenario_text(case, nudge))
    out = tmp_path / f"{name}.csv"
    assert main(["trace", str(path), "--csv", str(out)]) == 0
    with out.open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == case["steps"] + 1
    return np.array([[float(r["x"]), float(r["y"]), float(r["f"])] for r in rows])


def well_conditioned(ours: np.ndarray, nudged: np.ndarray, ref: np.ndarray) -> int:
    """How many leading points stay put (within 1/100 of the tolerance) when the start moves 1 ulp.

    Past that point the path is chaotic: torch's fused multiply-adds round differently from
    NumPy, and no float64 implementation can promise the same digits there.
    """
    tol = 1e-9 + 1e-7 * np.abs(ref)
    with np.errstate(invalid="ignore"):
        ok = np.all(np.abs(ours - nudged) <= tol / 100, axis=1)
    return len(ok) if ok.all() else int(np.argmin(ok))


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_reference_case(case, tmp_path):
    ours = trace(tmp_path, case)
    nudged = trace(tmp_path, case, nudge=True)
    ref = case["trajectory"]
    theirs = np.array([ref["x"], ref["y"], ref["f"]], dtype=float).T

    finite = np.array([math.isfinite(f) and abs(f) < BOUND for f in theirs[:, 2]])
    prefix = int(np.argmin(finite)) if not finite.all() else len(finite)
    compared = min(prefix, well_conditioned(ours, nudged, theirs))
    # the cut may only trim a chaotic tail, never most of the run
    assert compared >= 0.6 * prefix, f"only {compared} of {prefix} points are well-conditioned"
    np.testing.assert_allclose(ours[:compared], theirs[:compared], rtol=1e-7, atol=1e-9)
    if prefix < len(finite):
        # from the first point past the bound on, the run is reported as diverged (nan)
        assert np.isnan(ours[prefix:]).all()
    else:
        assert np.isfinite(ours).all()


def test_diverging_cases_are_named_in_the_reference():
    diverging = set()
    for case in CASES:
        f = case["trajectory"]["f"]
        if any(not (isinstance(v, float | int) and math.isfinite(v) and abs(v) < BOUND) for v in f):
            diverging.add(case["id"])
    assert {"v-09-momentum", "v-11-nesterov", "v-13-momentum"} <= diverging
