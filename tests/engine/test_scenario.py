"""Scenario files: valid ones load, broken and hostile ones give one clear `file: key: message`."""

from __future__ import annotations

import builtins
import contextlib
import signal
from pathlib import Path

import numpy as np
import pytest

from gallery.engine.scenario import ScenarioError, load, loads

ROOT = Path(__file__).resolve().parents[2]

GOOD = """
title = "Bowl"
function = "x**2/20 + y**2"
domain = { x = [-10, 10], y = [-5, 5] }
steps = 10
start = [-7, 2]
minima = [[0, 0]]

[[optimizer]]
kind = "adam"
lr = 0.3
betas = [0.9, 0.99]
"""


@contextlib.contextmanager
def hang_guard(seconds: int):
    """Fail instead of hanging if the block never returns; speed is `make bench`'s job."""

    def alarm(*_):
        raise AssertionError(
            f"did not finish within {seconds} s: a denial-of-service guard is broken"
        )

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def body(**replace: str) -> str:
    """GOOD with some top-level lines replaced (value '' drops the key)."""
    present = {line.split("=")[0].strip() for line in GOOD.strip().splitlines()}
    lines = [f"{k} = {v}" for k, v in replace.items() if k not in present and v]
    for line in GOOD.strip().splitlines():
        key = line.split("=")[0].strip()
        if key in replace and not line.startswith(" "):
            if replace[key]:
                lines.append(f"{key} = {replace[key]}")
            continue
        lines.append(line)
    return "\n".join(lines) + "\n"


def test_good_file_loads_with_defaults_filled():
    sc = loads(GOOD, "scenarios/bowl.toml")
    assert sc.slug == "bowl"
    assert sc.steps == 10
    np.testing.assert_array_equal(sc.starts, [[-7.0, 2.0]])
    (opt,) = sc.optimizers
    assert opt.label == "Adam"
    assert opt.hyper["betas"] == (0.9, 0.99)
    assert opt.hyper["eps"] == 1e-8  # torch's default, filled in
    assert opt.short == "Adam lr=0.3"


def test_same_kind_gets_distinguishing_labels():
    text = (
        GOOD + '\n[[optimizer]]\nkind = "sgd"\nlr = 0.1\n\n[[optimizer]]\nkind = "sgd"\nlr = 0.3\n'
    )
    sc = loads(text, "x.toml")
    assert [o.label for o in sc.optimizers] == ["Adam", "SGD lr=0.1", "SGD lr=0.3"]


def test_duplicate_explicit_labels_are_an_error():
    text = GOOD + '\n[[optimizer]]\nkind = "sgd"\nlabel = "Adam"\n'
    with pytest.raises(ScenarioError, match=r"optimizer\[1\].label: 'Adam' is already used"):
        loads(text, "x.toml")


HOSTILE = {
    "injection": (body(function="\"__import__('os').system('touch /tmp/pwned')\""), r"function: "),
    "dunder": (body(function='"().__class__.__bases__"'), r"function: "),
    "unknown_name": (body(function='"x**2 + z"'), r"function: unknown name 'z'"),
    "unknown_func": (body(function='"sinn(x)"'), r"function: .*did you mean 'sin'"),
    "syntax": (body(function='"x**2 +* (y"'), r"function: syntax error"),
    "huge_power": (body(function='"9**9**9**9"'), r"function: "),
    "huge_literal": (body(function='"1' + "0" * 400 + '"'), r"function: "),
    "bad_type_steps": (body(steps='"many"'), r"steps: must be a whole number"),
    "steps_zero": (body(steps="0"), r"steps: must be from 1 to 10000"),
    "negative_lr": (GOOD.replace("lr = 0.3", "lr = -0.3"), r"optimizer\[0\] \(adam\)\.lr: "),
    "reversed_domain": (
        body(domain="{ x = [10, -10], y = [-5, 5] }"),
        r"domain.x: min must be less",
    ),
    "missing_keys": ('title = "t"\n', r"function: missing"),
    "bad_toml": ('title = "t\nfunction = ', r"TOML syntax error.*line 1"),
    "empty": ("", r"the file is empty"),
    "unknown_top": ('titel = "x"\n' + GOOD, r"titel: unknown key.*did you mean 'title'"),
    "unknown_section": (GOOD + "\n[colours]\na = 1\n", r"colours: unknown key"),
    "unknown_kind": (
        GOOD.replace('"adam"', '"adamm"'),
        r"unknown kind 'adamm'.*did you mean 'adam'",
    ),
    "unknown_hyper": (
        GOOD.replace("betas = [0.9, 0.99]", "beta1 = 0.9"),
        r"optimizer\[0\] \(adam\): unknown hyperparameter 'beta1'; allowed: lr, betas.*"
        r"\(did you mean 'betas'\?\)",
    ),
    "bad_start": (body(start='[1, "a"]'), r"start: must be a point"),
    "nan_start": (body(start="[nan, 1]"), r"start: must be finite"),
    "bad_betas": (GOOD.replace("[0.9, 0.99]", "[0.9, 1.5]"), r"betas"),
    "bool_as_number": (body(steps="true"), r"steps: must be a whole number"),
    "too_many_points": (
        body(steps="10000", start="", starts="[" + ",".join(["[0,0]"] * 2000) + "]"),
        r"steps: steps x start points",
    ),
    "derivative_blowup": (
        body(function='"' + "*".join(f"sin(x*{i}+y)**{i % 3 + 2}" for i in range(1, 60)) + '"'),
        r"function: the formula's gradient is too large",
    ),
    "bad_order": (body(order='"first"'), r"order: must be a whole number"),
    "bad_view_key": (GOOD + "\n[view]\nelevation = 3\n", r"view.elevation: unknown key.*'elev'"),
    "bad_commentary": (GOOD + '\n[commentary]\nadma = "x"\n', r"commentary.adma: .*'adam'"),
    "tower": (
        body(function='"exp(exp(exp(15))) + x"'),
        r"function: 'exp\(exp\(15\)\)' is too large",
    ),
    "kind_list": (GOOD.replace('"adam"', "[1]"), r"optimizer\[0\]\.kind: unknown kind \[1\]"),
    "deep_nesting": (GOOD + "x = " + "[" * 5000 + "]" * 5000 + "\n", r"nested too deeply"),
    "huge_minimum": (body(minima="[[1e200, 1e200]]"), r"minima: \[0\] must be within ±1e6"),
    "huge_domain": (body(domain="{ x = [-1e308, 1e308], y = [-5, 5] }"), r"domain.x: must be "),
    "remote_image": (
        GOOD + '\n[commentary]\nintro = "See ![x](https://tracker.example/p.png)"\n',
        r"commentary.intro: images are not allowed",
    ),
    "basin_memory": (
        GOOD.replace("steps = 10", "steps = 10000") + "\n[analysis]\nbasins = true\n",
        r"analysis.basins: the basin maps run .* lower basin_steps to \d+ or basin_grid to \d+",
    ),
    "paths_memory": (
        body(steps="1000", start="", starts="[" + ",".join(["[0,0]"] * 10000) + "]")
        + '[[optimizer]]\nkind = "sgd"\n[[optimizer]]\nkind = "momentum"\n',
        r"steps: the animation keeps 3 optimizers x 10000 starts x 1001 points .* lower steps",
    ),
    "pixel_memory": (
        GOOD + "\n[render]\nframes = 1000\nwidth = 3840\nheight = 2160\n",
        r"render.frames: the animation has 1000 frames of 3840x2160 .* lower frames to \d+",
    ),
    "too_many_optimizers": (
        GOOD + '\n[[optimizer]]\nkind = "sgd"\n' * 12,
        r"optimizer: 13 optimizers; at most 12",
    ),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_and_broken_files(name, tmp_path, monkeypatch):
    text, pattern = HOSTILE[name]
    path = tmp_path / f"{name}.toml"
    path.write_text(text)

    def no_text(original):
        def guarded(code, *a, **k):  # code objects are Python importing its own modules
            if isinstance(code, str | bytes):
                raise AssertionError("scenario loading must never run eval/exec on text")
            return original(code, *a, **k)

        return guarded

    monkeypatch.setattr(builtins, "eval", no_text(builtins.eval))
    monkeypatch.setattr(builtins, "exec", no_text(builtins.exec))
    with hang_guard(5), pytest.raises(ScenarioError, match=pattern) as info:
        load(path)
    # every line of the message names the file
    assert all(line.startswith(f"{path}: ") for line in str(info.value).splitlines())
    assert not Path("/tmp/pwned").exists()


def test_all_errors_of_a_file_are_reported_together():
    text = body(steps="0", domain="{ x = [1, 0], y = [0, 1] }", function='"x +"')
    with pytest.raises(ScenarioError) as info:
        loads(text, "s.toml")
    keys = [k for k, _ in info.value.problems]
    assert {"steps", "domain.x", "function"} <= set(keys)


def test_missing_file_is_a_scenario_error(tmp_path):
    with pytest.raises(ScenarioError, match=r"cannot read file"):
        load(tmp_path / "nope.toml")


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.toml")), ids=lambda p: p.name)
def test_shipped_scenarios_load(path):
    sc = load(path)
    assert sc.optimizers and sc.title


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.toml")), ids=lambda p: p.name)
def test_shipped_derivatives_match_central_differences(path):
    f = load(path).function
    (x0, x1), (y0, y1) = load(path).domain
    rng = np.random.default_rng(0)
    pts = np.column_stack([rng.uniform(x0, x1, 50), rng.uniform(y0, y1, 50)])
    h = 1e-5
    ex, ey = np.array([h, 0.0]), np.array([0.0, h])
    num_grad = np.column_stack([(f.value(pts + e) - f.value(pts - e)) / (2 * h) for e in (ex, ey)])
    np.testing.assert_allclose(f.grad(pts), num_grad, rtol=1e-6, atol=1e-6)
    num_hess = np.stack([(f.grad(pts + e) - f.grad(pts - e)) / (2 * h) for e in (ex, ey)], axis=1)
    np.testing.assert_allclose(f.hessian(pts), num_hess, rtol=1e-6, atol=1e-5)


def test_shipped_gallery_shows_sweeps_everywhere_and_basins_where_promised():
    shipped = {p.stem: load(p) for p in (ROOT / "scenarios").glob("*.toml")}
    assert all(sc.analysis.sweep for sc in shipped.values())
    assert {k for k, sc in shipped.items() if sc.analysis.basins} >= {"himmelblau", "cubic"}
    assert any(
        any(o.hyper["lr"] == "tuned" for o in sc.optimizers) for sc in shipped.values()
    )  # the textbook-vs-tuned scenario
    assert shipped["elongated_bowl"].render.arrows
