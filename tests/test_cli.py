"""The command line: exact CSV contract, exit codes, messages without tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gallery.__main__ import main

ROOT = Path(__file__).resolve().parents[1]
BOWL = ROOT / "scenarios" / "elongated_bowl.toml"


def test_trace_prints_csv(capsys):
    assert main(["trace", str(BOWL)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "optimizer,start,step,x,y,f"
    assert lines[1].startswith("SGD,0,0,-7.0,2.0,")
    assert len(lines) == 1 + 5 * 101


def test_check_reports_each_file_and_fails_on_any_bad(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('title = "x"\n')
    assert main(["check", str(BOWL)]) == 0
    assert main(["check", str(BOWL), str(bad)]) == 2
    out = capsys.readouterr().out
    assert f"ok   {BOWL}" in out and f"FAIL {bad}: function: missing" in out


def test_metrics_table_shows_divergence(capsys):
    assert main(["metrics", str(ROOT / "scenarios" / "cubic.toml")]) == 0
    out = capsys.readouterr().out
    momentum = next(line for line in out.splitlines() if line.startswith("Momentum"))
    assert "diverged" in momentum and "step 20" in momentum


def test_errors_exit_2_with_file_and_key_and_no_traceback(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(BOWL.read_text().replace("betas", "beta1"))
    proc = subprocess.run(
        [sys.executable, "-m", "gallery", "trace", str(bad)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert f"error: {bad}: optimizer[4] (adam): unknown hyperparameter 'beta1'" in proc.stderr
    assert "did you mean 'betas'" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    debug = subprocess.run(
        [sys.executable, "-m", "gallery", "--debug", "trace", str(bad)],
        capture_output=True,
        text=True,
    )
    assert debug.returncode == 2 and "Traceback" in debug.stderr


@pytest.mark.parametrize("fmt", ["gif,webm"])
def test_render_rejects_unknown_format(fmt, tmp_path, capsys):
    assert main(["render", str(BOWL), "--out", str(tmp_path), "--formats", fmt]) == 2
    assert "unknown format 'webm'; allowed: gif, mp4, png" in capsys.readouterr().err


def test_render_writes_every_output(tmp_path, capsys):
    scenario = tmp_path / "tiny bowl.toml"
    small = "[render]\nwidth = 320\nheight = 180"
    scenario.write_text(
        BOWL.read_text().replace("steps = 100", "steps = 6").replace("[render]", small)
    )
    out = tmp_path / "out"
    assert main(["render", str(scenario), "--out", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "tiny-bowl-thumb.png",
        "tiny-bowl.csv",
        "tiny-bowl.gif",
        "tiny-bowl.mp4",
        "tiny-bowl.png",
        "tiny-bowl.toml",
    ]
    assert (out / "tiny-bowl.toml").read_text() == scenario.read_text()
    assert (out / "tiny-bowl.csv").read_text().startswith("optimizer,start,step,x,y,f\n")


def test_render_of_a_function_finite_nowhere_is_a_clear_error(tmp_path):
    bad = tmp_path / "nowhere.toml"
    bad.write_text(BOWL.read_text().replace('"x**2/20 + y**2"', '"sqrt(-1 - x**2)"'))
    proc = subprocess.run(
        [sys.executable, "-m", "gallery", "render", str(bad), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert f"error: {bad}: function: f is not finite anywhere on the domain" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_serve_builds_serves_and_stops(tmp_path):
    import signal
    import subprocess
    import sys
    import time
    import urllib.request

    from tests.site.conftest import write_tiny

    scenarios = write_tiny(tmp_path / "scenarios")
    (scenarios / "cliff.toml").unlink()  # one scenario is enough here
    proc = subprocess.Popen(
        [sys.executable, "-m", "gallery", "serve", "--port", "0", "--scenarios", str(scenarios),
         "--out", str(tmp_path / "site")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        line = ""
        while "serving" not in line and time.monotonic() < deadline:
            line = proc.stdout.readline()
        url = line.split()[1]
        with urllib.request.urlopen(url + "scenarios/bowl.html") as r:
            assert r.status == 200 and b"Tiny bowl" in r.read()
        req = urllib.request.Request(url + "media/bowl.mp4", headers={"Range": "bytes=0-9"})
        with urllib.request.urlopen(req) as r:
            assert r.status == 206 and len(r.read()) == 10
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0


def test_memory_cases_are_rejected_by_check_under_a_memory_limit(tmp_path):
    import resource

    cubic = (ROOT / "scenarios" / "cubic.toml").read_text()
    cases = {
        "long": (cubic.replace("steps = 150", "steps = 10000"), "analysis.basins: the basin maps"),
        "many": (
            cubic.replace("start = [2, 3]", "starts = [" + ",".join(["[2, 3]"] * 10000) + "]")
            .replace("steps = 150", "steps = 1000"),
            "steps: the animation keeps",
        ),
        "frames": (
            cubic.replace("[view]", "[render]\nframes = 1000\nwidth = 3840\nheight = 2160\n[view]"),
            "render.frames: the animation has 1000 frames",
        ),
    }  # fmt: skip

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))

    for name, (text, message) in cases.items():
        path = tmp_path / f"{name}.toml"
        path.write_text(text)
        proc = subprocess.run(
            [sys.executable, "-m", "gallery", "check", str(path)],
            capture_output=True, text=True, preexec_fn=limit, timeout=120,
        )  # fmt: skip
        assert proc.returncode == 2, (name, proc.stdout, proc.stderr[-2000:])
        assert f"FAIL {path}: {message}" in proc.stdout, proc.stdout
