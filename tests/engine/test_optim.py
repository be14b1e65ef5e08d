"""Tests for the optimizers: torch reference paths, vectorisation, validation, Newton, Lion,
and the catalogue (defaults, update-rule LaTeX, symbol legends, summaries)."""

import inspect
import io
import json
import re
import subprocess
import sys
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pytest

from gallery.engine import optim

matplotlib.use("Agg")
from matplotlib import mathtext  # noqa: E402

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "torch_optim_trajectories.json"


def _beale(x, y):
    a1, a2, a3 = 1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3
    dx = 2 * a1 * (y - 1) + 2 * a2 * (y**2 - 1) + 2 * a3 * (y**3 - 1)
    dy = 2 * a1 * x + 4 * a2 * x * y + 6 * a3 * x * y**2
    return dx, dy


GRADIENTS = {  # hand-written gradients of the reference functions
    "x**2/20 + y**2": lambda x, y: (x / 10, 2 * y),
    "x**2 + y**2 + y**3 + x*y": lambda x, y: (2 * x + y, 2 * y + 3 * y**2 + x),
    "x**2 - y**2": lambda x, y: (2 * x, -2 * y),
    "(1.5 - x + x*y)**2 + (2.25 - x + x*y**2)**2 + (2.625 - x + x*y**3)**2": _beale,
    "(1 - x)**2 + 100*(y - x**2)**2": lambda x, y: (
        -2 * (1 - x) - 400 * x * (y - x**2),
        200 * (y - x**2),
    ),
    "(x**2 + y - 11)**2 + (x + y**2 - 7)**2": lambda x, y: (
        4 * x * (x**2 + y - 11) + 2 * (x + y**2 - 7),
        2 * (x**2 + y - 11) + 4 * y * (x + y**2 - 7),
    ),
}


def grad_of(fn):
    def g(p):
        dx, dy = fn(p[:, 0], p[:, 1])
        return np.stack([dx, dy], axis=1)

    return g


def rosen5(p):
    """Gradient of (1 - x)^2 + 5 (y - x^2)^2."""
    x, y = p[:, 0], p[:, 1]
    return np.stack([-2 * (1 - x) - 20 * x * (y - x**2), 10 * (y - x**2)], axis=1)


def rosen5_hessian(p):
    x, y = p[:, 0], p[:, 1]
    h = np.empty((len(p), 2, 2))
    h[:, 0, 0] = 2 - 20 * (y - x**2) + 40 * x**2
    h[:, 0, 1] = h[:, 1, 0] = -20 * x
    h[:, 1, 1] = 10.0
    return h


def run(tx, grad, start, steps, scale=1.0):
    """Positions (steps + 1, N, 2) of `tx` driven by `grad` (times `scale`) from `start`."""
    p = np.array(start, dtype=np.float64).reshape(-1, 2)
    state = tx.init(p)
    out = [p]
    for _ in range(steps):
        with np.errstate(all="ignore"):  # the test's own arithmetic may overflow
            g = grad(p) * scale
        updates, state = tx.update(g, state, p)  # the optimizer must not warn
        with np.errstate(all="ignore"):
            p = p + updates
        out.append(p)
    return np.array(out)


def _cases():
    return json.loads(REFERENCE.read_text())["cases"]


RTOL, ATOL = 1e-7, 1e-9


@pytest.mark.parametrize("case", _cases(), ids=lambda c: f"{c['kind']}:{c['function'][:12]}")
def test_matches_torch_reference(case):
    tx = optim.build(case["kind"], case["hyperparameters"])
    grad = grad_of(GRADIENTS[case["function"]])
    xy = run(tx, grad, case["start"], case["steps"])[:, 0]
    ref = case["trajectory"]
    f = np.array(ref["f"], dtype=float)
    keep = np.cumprod(np.isfinite(f) & (np.abs(f) < 1e12)).astype(bool)  # finite prefix
    # torch rounds with fused multiply-adds, NumPy cannot; where a path is chaotic, a one-ulp change
    # of the gradients already moves it past the tolerance, so compare only where it does not.
    nudged = run(tx, grad, case["start"], case["steps"], scale=1 + 2.0**-52)[:, 0]
    with np.errstate(all="ignore"):
        sensitive = np.abs(nudged - xy) > (ATOL + RTOL * np.abs(xy)) / 100
    keep &= np.cumprod(~sensitive.any(axis=1)).astype(bool)
    assert keep.sum() >= 0.6 * (np.isfinite(f) & (np.abs(f) < 1e12)).sum()
    expected = np.stack([ref["x"], ref["y"]], axis=1)[keep]
    np.testing.assert_allclose(xy[keep], expected, rtol=RTOL, atol=ATOL)


def test_reference_covers_many_kinds():
    kinds = {c["kind"] for c in _cases()}
    assert {"sgd", "adam", "rmsprop", "adadelta", "nadam", "radam", "adamax"} <= kinds


BASE_LR = {"sgd": 0.01, "momentum": 0.005, "nesterov": 0.005, "adadelta": 1.0, "newton": 0.5}


@pytest.mark.parametrize("kind", list(optim.KINDS))
def test_lr_array_equals_separate_runs(kind):
    starts = np.array([[-1.2, 1.5], [0.5, -0.3], [2.0, 2.0], [-0.4, 0.9]])
    lrs = BASE_LR.get(kind, 0.02) * np.array([0.5, 1.0, 1.5, 2.0])
    hyper = {"weight_decay": 0.01} if "weight_decay" in optim.KINDS[kind].defaults else {}
    tx = optim.build(kind, {**hyper, "lr": lrs[:, None]}, hessian=rosen5_hessian)
    together = run(tx, rosen5, starts, 40)
    for i, lr in enumerate(lrs):
        one = optim.build(kind, {**hyper, "lr": float(lr)}, hessian=rosen5_hessian)
        alone = run(one, rosen5, starts[i], 40)[:, 0]
        np.testing.assert_allclose(together[:, i], alone, rtol=1e-12, atol=1e-14)
    assert not np.allclose(together[-1, 0], together[-1, 3])  # the lrs really differ


def test_beta_and_momentum_arrays_broadcast():
    starts = np.array([[-1.2, 1.5], [0.5, -0.3]])
    b1 = np.array([[0.5], [0.95]])
    both = run(optim.build("adam", {"lr": 0.05, "betas": (b1, 0.99)}), rosen5, starts, 30)
    for i in range(2):
        one = optim.build("adam", {"lr": 0.05, "betas": (float(b1[i, 0]), 0.99)})
        np.testing.assert_allclose(both[:, i], run(one, rosen5, starts[i], 30)[:, 0], rtol=1e-12)
    mom = np.array([[0.0], [0.9]])  # momentum 0 must mean plain SGD even with dampening
    tx = optim.build("sgd", {"lr": 0.01, "momentum": mom, "dampening": 0.5})
    paths = run(tx, rosen5, starts, 30)
    plain = run(optim.build("sgd", {"lr": 0.01}), rosen5, starts[0], 30)[:, 0]
    heavy = optim.build("sgd", {"lr": 0.01, "momentum": 0.9, "dampening": 0.5})
    np.testing.assert_allclose(paths[:, 0], plain, rtol=1e-12)
    np.testing.assert_allclose(paths[:, 1], run(heavy, rosen5, starts[1], 30)[:, 0], rtol=1e-12)


def test_update_is_pure():
    tx = optim.build("adam", {"lr": 0.1})
    p = np.array([[1.0, 2.0]])
    state = tx.init(p)
    u1, s1 = tx.update(rosen5(p), state, p)
    u2, _ = tx.update(rosen5(p), state, p)  # same inputs, same output: state not mutated
    np.testing.assert_array_equal(u1, u2)
    assert not np.array_equal(optim.velocity(s1), optim.velocity(state))


def test_validate_messages():
    assert optim.validate("adam", {"lr": 0.1, "betas": [0.9, 0.99], "eps": 1e-7}) == []
    assert optim.validate("adam", {"lr": -1}) == [("lr", "must be a number >= 0")]
    assert optim.validate("adam", {"lr": True}) == [("lr", "must be a number >= 0")]
    assert optim.validate("adam", {"lr": [0.1, 0.2]}) == [("lr", "must be a number >= 0")]
    assert optim.validate("adam", {"betas": [0.9, 1.0]}) == [
        ("betas", "must be two numbers in [0, 1)")
    ]
    assert optim.validate("adam", {"betas": [0.9]})[0][0] == "betas"
    assert optim.validate("rmsprop", {"centered": 1}) == [("centered", "must be true or false")]
    assert optim.validate("adadelta", {"rho": 1.5})[0][0] == "rho"
    assert optim.validate("adam", {"unknown_key": "x"}) == []  # unknown keys checked elsewhere
    assert optim.validate("newton", {"damping": -0.1})[0][0] == "damping"
    assert optim.validate("momentum", {"nesterov": True}) == []


def test_validate_nesterov_cross_checks():
    (key, msg), *rest = optim.validate("sgd", {"nesterov": True})  # default momentum 0
    assert key == "nesterov" and "momentum" in msg and not rest
    assert optim.validate("nesterov", {"dampening": 0.5})[0][0] == "nesterov"
    assert optim.validate("nesterov", {"momentum": 0})[0][0] == "nesterov"
    assert optim.validate("sgd", {"nesterov": True, "momentum": 0.5}) == []


def test_velocity():
    p = np.array([[1.0, -2.0], [0.5, 0.5]])
    g = rosen5(p)
    for kind in ("sgd", "adagrad", "adadelta", "rmsprop"):
        tx = optim.build(kind, {"lr": 0.1})
        assert optim.velocity(tx.update(g, tx.init(p), p)[1]) is None
    newton = optim.build("newton", {}, hessian=rosen5_hessian)
    assert optim.velocity(newton.update(g, newton.init(p), p)[1]) is None
    tx = optim.build("momentum", {"lr": 0.1})
    _, state = tx.update(g, tx.init(p), p)
    np.testing.assert_array_equal(optim.velocity(state), g)  # buffer starts as the gradient
    tx = optim.build("adam", {"lr": 0.1})
    _, state = tx.update(g, tx.init(p), p)
    np.testing.assert_allclose(optim.velocity(state), 0.1 * g)  # (1 - beta1) g
    tx = optim.build("rmsprop", {"momentum": 0.5})
    _, state = tx.update(g, tx.init(p), p)
    assert optim.velocity(state).shape == (2, 2)
    tx = optim.build("lion", {})
    _, state = tx.update(g, tx.init(p), p)
    np.testing.assert_allclose(optim.velocity(state), 0.01 * g)


def test_newton_solves_quadratic_in_one_step():
    a = np.array([[3.0, 1.0], [1.0, 2.0]])
    b = np.array([1.0, -1.0])
    tx = optim.build("newton", {"lr": 1.0}, hessian=lambda p: np.broadcast_to(a, (len(p), 2, 2)))
    starts = np.random.default_rng(0).normal(size=(5, 2)) * 10
    end = run(tx, lambda p: p @ a.T - b, starts, 1)[-1]
    np.testing.assert_allclose(end, np.broadcast_to(np.linalg.solve(a, b), (5, 2)), atol=1e-12)


def test_newton_goes_to_saddle():
    hess = lambda p: np.broadcast_to(np.diag([2.0, -2.0]), (len(p), 2, 2))  # noqa: E731
    tx = optim.build("newton", {}, hessian=hess)
    end = run(tx, lambda p: p * [2.0, -2.0], [[-1.0, 0.001], [3.0, -2.0]], 1)[-1]
    np.testing.assert_allclose(end, 0.0, atol=1e-15)


def test_newton_singular_and_damped():
    hess = lambda p: np.broadcast_to(np.diag([2.0, 0.0]), (len(p), 2, 2))  # noqa: E731
    tx = optim.build("newton", {}, hessian=hess)  # f = x^2: flat in y
    end = run(tx, lambda p: p * [2.0, 0.0], [[3.0, 5.0]], 1)[-1]
    np.testing.assert_allclose(end, [[0.0, 5.0]], atol=1e-12)  # pseudo-inverse: y untouched
    bowl = lambda p: np.broadcast_to(2 * np.eye(2), (len(p), 2, 2))  # noqa: E731
    tx = optim.build("newton", {"damping": 2.0}, hessian=bowl)
    end = run(tx, lambda p: 2 * p, [[4.0, -8.0]], 1)[-1]
    np.testing.assert_allclose(end, [[2.0, -4.0]])  # (2 + 2) d = 2 p: halfway
    with pytest.raises(ValueError):
        optim.build("newton", {})


def test_lion_first_step_is_signed_lr():
    p = np.array([[1.0, -2.0], [0.5, 0.5]])
    g = rosen5(p)
    tx = optim.build("lion", {"lr": 0.03})
    updates, _ = tx.update(g, tx.init(p), p)
    np.testing.assert_array_equal(updates, -0.03 * np.sign(g))
    path = run(tx, rosen5, p, 20)
    np.testing.assert_allclose(np.abs(np.diff(path, axis=0)), 0.03, rtol=1e-12)  # lr per step


def test_lion_decoupled_weight_decay():
    p = np.array([[2.0, -4.0]])
    g = np.array([[1.0, 1.0]])
    tx = optim.build("lion", {"lr": 0.1, "weight_decay": 0.5})
    updates, _ = tx.update(g, tx.init(p), p)
    np.testing.assert_allclose(updates, -0.1 * (np.sign(g) + 0.5 * p))


def test_divergence_is_silent():
    tx = optim.build("sgd", {"lr": 10.0})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = run(tx, lambda p: 4 * p**3, [[1.0, 1.0]], 30)  # x^4 explodes at lr 10
    assert not np.isfinite(path[-1]).all()


@pytest.mark.parametrize("kind", list(optim.KINDS))
def test_kind_metadata(kind):
    spec = optim.KINDS[kind]
    assert spec.name == kind and spec.title and spec.paper
    assert 2 <= len(re.findall(r"[.!?](\s|$)", spec.summary)) <= 3  # 2-3 sentences
    params = set(inspect.signature(spec.make).parameters) - {"hessian"}
    assert params == set(spec.defaults)  # every accepted keyword has a default
    assert spec.needs_hessian == (kind == "newton")
    assert spec.rule_lines
    for line in spec.rule_lines:
        mathtext.math_to_image(f"${line}$", io.BytesIO(), format="svg")


def test_torch_defaults():
    assert optim.KINDS["adam"].defaults["betas"] == (0.9, 0.999)
    assert optim.KINDS["adamw"].defaults["weight_decay"] == 1e-2
    assert optim.KINDS["adagrad"].defaults["eps"] == 1e-10
    assert optim.KINDS["nesterov"].defaults["nesterov"] is True
    assert "amsgrad" not in optim.KINDS["amsgrad"].defaults
    assert optim.KINDS["lion"].defaults == {"lr": 1e-4, "betas": (0.9, 0.99), "weight_decay": 0.0}


# ---------------------------------------------------------------- defaults

# torch.optim 2.x defaults, from the torch documentation (pytorch.org/docs/stable/optim.html),
# written out independently of the engine.
TORCH_DEFAULTS = {
    "SGD": {"lr": 1e-3, "momentum": 0, "dampening": 0, "weight_decay": 0, "nesterov": False},
    "Adagrad": {
        "lr": 1e-2,
        "lr_decay": 0,
        "weight_decay": 0,
        "initial_accumulator_value": 0,
        "eps": 1e-10,
    },
    "RMSprop": {
        "lr": 1e-2,
        "alpha": 0.99,
        "eps": 1e-8,
        "weight_decay": 0,
        "momentum": 0,
        "centered": False,
    },
    "Adam": {
        "lr": 1e-3,
        "betas": (0.9, 0.999),
        "eps": 1e-8,
        "weight_decay": 0,
        "amsgrad": False,
        "decoupled_weight_decay": False,
    },
    "AdamW": {
        "lr": 1e-3,
        "betas": (0.9, 0.999),
        "eps": 1e-8,
        "weight_decay": 1e-2,
        "amsgrad": False,
    },
    "Adamax": {"lr": 2e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0},
    "NAdam": {
        "lr": 2e-3,
        "betas": (0.9, 0.999),
        "eps": 1e-8,
        "weight_decay": 0,
        "momentum_decay": 4e-3,
        "decoupled_weight_decay": False,
    },
    "RAdam": {
        "lr": 1e-3,
        "betas": (0.9, 0.999),
        "eps": 1e-8,
        "weight_decay": 0,
        "decoupled_weight_decay": False,
    },
    "Adadelta": {"lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0},
}
# kind -> (torch class, defaults it changes, arguments it fixes and so does not accept)
TORCH_KINDS = {
    "sgd": ("SGD", {}, {}),
    "momentum": ("SGD", {"momentum": 0.9}, {}),
    "nesterov": ("SGD", {"momentum": 0.9, "nesterov": True}, {}),
    "adagrad": ("Adagrad", {}, {}),
    "rmsprop": ("RMSprop", {}, {}),
    "adam": ("Adam", {}, {}),
    "amsgrad": ("Adam", {}, {"amsgrad": True}),
    "adamw": ("AdamW", {}, {}),
    "adamax": ("Adamax", {}, {}),
    "nadam": ("NAdam", {}, {}),
    "radam": ("RAdam", {}, {}),
    "adadelta": ("Adadelta", {}, {}),
}


@pytest.mark.parametrize("kind", list(optim.KINDS))
def test_defaults_are_the_constructor_signature(kind):
    spec = optim.KINDS[kind]
    params = [p for p in inspect.signature(spec.make).parameters.values() if p.name != "hessian"]
    assert list(spec.defaults.items()) == [(p.name, p.default) for p in params]


@pytest.mark.parametrize("kind", list(TORCH_KINDS))
def test_defaults_match_torch_documentation(kind):
    cls, changed, fixed = TORCH_KINDS[kind]
    expected = {k: v for k, v in {**TORCH_DEFAULTS[cls], **changed}.items() if k not in fixed}
    assert dict(optim.KINDS[kind].defaults) == expected


def test_a_variant_names_only_arguments_of_its_base():
    from gallery.engine.optim.optimizers import _variant, sgd

    with pytest.raises(TypeError, match="sgd has no argument momentun"):
        _variant(sgd, "typo", "a misspelled default", momentun=0.9)
    heavy = _variant(sgd, "heavy", "momentum 0.5 by default", momentum=0.5)
    g = np.array([[1.0, -2.0]])
    for make in (lambda: heavy(0.1), lambda: heavy(lr=0.1)):  # positional or by name
        t = make()
        state = t.init(np.zeros_like(g))
        state = t.update(g, state, np.zeros_like(g))[1]
        updates, _ = t.update(g, state, np.zeros_like(g))
        np.testing.assert_allclose(updates, -0.1 * (1 + 0.5) * g)  # buffer g, then 0.5 g + g


def test_every_non_torch_kind_is_known():
    assert set(optim.KINDS) - set(TORCH_KINDS) == {"lion", "newton"}


@pytest.mark.parametrize(
    ("kind", "same"),
    [
        ("momentum", ("sgd", {"momentum": 0.9})),
        ("nesterov", ("sgd", {"momentum": 0.9, "nesterov": True})),
        ("amsgrad", ("adam", {"amsgrad": True})),
        ("adamw", ("adam", {"decoupled_weight_decay": True, "weight_decay": 1e-2})),
    ],
)
def test_kinds_sharing_a_constructor(kind, same):
    starts = np.array([[-1.2, 1.5], [0.5, -0.3]])
    ours = run(optim.build(kind, {"lr": 0.01}), rosen5, starts, 50)
    other = run(optim.build(same[0], {**same[1], "lr": 0.01}), rosen5, starts, 50)
    np.testing.assert_array_equal(ours, other)


def test_newton_without_hessian_is_a_clear_error():
    with pytest.raises(ValueError, match=r"'newton' needs the Hessian of the function"):
        optim.build("newton", {"lr": 0.5})
    with pytest.raises(ValueError, match="Hessian"):
        optim.newton(hessian=None)
    for kind, spec in optim.KINDS.items():  # the others neither need nor mind one
        if not spec.needs_hessian:
            optim.build(kind, {})
            optim.build(kind, {}, hessian=rosen5_hessian)


def test_engine_does_not_import_matplotlib():
    code = "import sys, gallery.engine.optim; sys.exit('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# ---------------------------------------------------------------- update rules and legends


@pytest.mark.parametrize("kind", list(optim.KINDS))
def test_rule_lines_parse_with_mathtext(kind):
    parser = mathtext.MathTextParser("path")
    spec = optim.KINDS[kind]
    for line in (*spec.rule_lines, *(s.latex for s in spec.symbols)):
        parser.parse(f"${line}$")


GREEK = {
    *("alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta"),
    *("vartheta", "iota", "kappa", "lambda", "mu", "nu", "xi", "pi", "rho", "varrho", "sigma"),
    *("tau", "upsilon", "phi", "varphi", "chi", "psi", "omega", "ell", "Gamma", "Delta"),
    *("Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega"),
}
_WORDS = re.compile(r"\\(?:mathrm|text|operatorname)\{[^{}]*\}")
_BRACED_ACCENT = re.compile(r"\\(hat|bar|tilde)\{([^{}]*)\}")
_IDENT = re.compile(
    r"(?P<accent>\\(?:hat|bar|tilde)\s*)?(?P<base>\\[A-Za-z]+|[A-Za-z])"
    r"(?:_(?P<sub>\{[^{}]*\}|\\[A-Za-z]+|[A-Za-z0-9]))?"
)
_STEP_INDEX = re.compile(r"[ti0]([+-]1)?")  # t, t-1, t+1, i, 0: which step, not which symbol


def symbols_in(latex: str) -> list[str]:
    r"""The symbols of a mathtext string, in order: step subscripts dropped, accents and naming
    subscripts kept (`m_{t-1}` -> m, `\hat m_t` -> \hat m, `\beta_1` -> \beta_1); words in
    \mathrm are not symbols; operators (\frac, \sqrt, \max, ...) are not, their limits are."""
    text = _BRACED_ACCENT.sub(r"\\\1 \2", _WORDS.sub(" ", latex))
    found = []
    for m in _IDENT.finditer(text):
        base, sub = m["base"], (m["sub"] or "").strip("{}").replace(" ", "")
        if base.startswith("\\") and base[1:] not in GREEK:  # an operator
            found += symbols_in(sub)
            continue
        name = (m["accent"].strip() + " " if m["accent"] else "") + base
        if sub and not _STEP_INDEX.fullmatch(sub):
            name += "_" + sub
        found.append(name)
        if sub and _STEP_INDEX.fullmatch(sub):
            found += symbols_in(sub)  # a step index uses t (or i)
    return found


def test_symbols_in():
    assert symbols_in(r"\hat m_t = m_{t-1} / (1-\beta_1^t)") == [
        r"\hat m",
        "t",
        "m",
        "t",
        r"\beta_1",
        "t",
    ]
    assert symbols_in(r"\mathrm{sign}(c_t)\quad (\mathrm{if\ centered})") == ["c", "t"]
    assert symbols_in(r"\prod_{i=1}^{t}\gamma_i + \ell_\infty + s_0 + \bar{v}_t") == [
        "i",
        "t",
        r"\gamma",
        "i",
        r"\ell_\infty",
        "s",
        r"\bar v",
        "t",
    ]


@pytest.mark.parametrize("kind", list(optim.KINDS))
def test_legend_defines_every_symbol_of_the_rule_once(kind):
    spec = optim.KINDS[kind]
    used = {s for line in spec.rule_lines for s in symbols_in(line)}
    defined = [symbols_in(s.latex)[0] for s in spec.symbols]
    assert sorted(defined) == sorted(set(defined)), "a symbol is defined twice"
    assert set(defined) == used  # nothing undefined, nothing unused
    for s in spec.symbols:
        assert s.meaning and s.meaning == s.meaning.strip()
        assert set(symbols_in(s.latex)) <= {symbols_in(s.latex)[0], "t", "i"}  # one symbol


def test_no_symbol_has_two_meanings():
    meaning: dict[str, tuple[str, str | None]] = {}
    for spec in optim.KINDS.values():
        for s in spec.symbols:
            key = symbols_in(s.latex)[0]
            assert meaning.setdefault(key, (s.meaning, s.hyper)) == (s.meaning, s.hyper), (
                spec.name,
                key,
            )
    assert meaning[r"\lambda"] == ("weight decay", "weight_decay")  # one λ everywhere


@pytest.mark.parametrize("kind", list(optim.KINDS))
def test_rule_covers_every_hyperparameter(kind):
    spec = optim.KINDS[kind]
    mapped = {s.hyper for s in spec.symbols if s.hyper}
    assert {h.split("[")[0] for h in mapped} <= set(spec.defaults)
    text = " ".join(spec.rule_lines)
    for key, value in spec.defaults.items():
        if isinstance(value, bool):  # a flag: named in the rule where it changes it
            assert key.replace("_", r"\_") in text, key
        elif key == "betas":
            assert {"betas[0]", "betas[1]"} <= mapped
        else:
            assert key in mapped, key


def test_weight_decay_line_in_coupled_rules():
    l2 = r"g_t \leftarrow g_t + \lambda\, \theta_{t-1}"
    for kind, spec in optim.KINDS.items():
        if "weight_decay" not in spec.defaults:
            continue
        coupled = kind not in ("adamw", "lion")  # these two always decouple
        assert any(line.startswith(l2) for line in spec.rule_lines) == coupled, kind


# ---------------------------------------------------------------- summaries, checked on the formula


def steps(kind, hyper, grads, start=(1.0, -2.0)):
    """The updates (T, 2) of `kind` fed the gradients `grads` (T, 2), one point."""
    tx = optim.build(kind, hyper)
    p = np.array([start], dtype=np.float64)
    state, out = tx.init(p), []
    for g in grads:
        u, state = tx.update(np.array([g], dtype=np.float64), state, p)
        out.append(u[0])
    return np.array(out)


CONSTANT = np.tile([3.0, -0.5], (200, 1))


def test_summary_rmsprop_first_step_is_lr_over_root_one_minus_alpha():
    assert "lr per step" not in optim.KINDS["rmsprop"].summary
    u = np.abs(steps("rmsprop", {"lr": 0.01}, CONSTANT))
    np.testing.assert_allclose(u[0], 0.1, rtol=1e-6)  # 10 lr at alpha 0.99
    assert np.all(np.diff(u, axis=0) < 0) and np.all(u > 0.01)  # shrinking toward lr


def test_summary_adam_first_and_constant_steps_are_lr():
    u = steps("adam", {"lr": 0.01}, CONSTANT)
    np.testing.assert_allclose(np.abs(u), 0.01, rtol=1e-6)
    g = np.random.default_rng(1).normal(size=(100, 2))
    np.testing.assert_allclose(steps("adam", {}, 7 * g), steps("adam", {}, g), rtol=1e-6)
    np.testing.assert_array_equal(steps("amsgrad", {}, g)[0], steps("adam", {}, g)[0])


def test_summary_adamax_steps_stay_below_1_01_lr():
    rng = np.random.default_rng(2)
    g = rng.normal(size=(2000, 2)) * 10.0 ** rng.uniform(-6, 6, size=(2000, 1))
    u = np.abs(steps("adamax", {"lr": 1.0}, g))
    assert u.max() <= 1.01 and u.max() > 0.9


def test_summary_adagrad_steps_fall_like_lr_over_root_t():
    u = np.abs(steps("adagrad", {"lr": 0.1}, CONSTANT))
    t = np.arange(1, len(u) + 1)[:, None]
    np.testing.assert_allclose(u, np.broadcast_to(0.1 / np.sqrt(t), u.shape), rtol=1e-9)


def test_summary_momentum_and_nesterov_tend_to_lr_over_one_minus_momentum():
    for kind in ("momentum", "nesterov"):
        u = steps(kind, {"lr": 0.01}, np.tile([1.0, -2.0], (400, 1)))
        np.testing.assert_allclose(u[-1], [-0.1, 0.2], rtol=1e-12)


def test_summary_nadam_schedule():
    gamma = lambda t: 0.9 * (1 - 0.5 * 0.96 ** (t * 4e-3))  # noqa: E731  the rule's schedule
    assert [round(gamma(t), 2) for t in (1, 1000, 10000)] == [0.45, 0.52, 0.81]
    tx = optim.scale_by_nadam()
    state = tx.init(np.zeros((1, 2)))
    for t in range(1, 301):  # the block keeps the product of that schedule
        _, state = tx.update(np.ones((1, 2)), state, np.zeros((1, 2)))
        np.testing.assert_allclose(state.mu_product, np.prod([gamma(i) for i in range(1, t + 1)]))


def test_summary_radam_first_five_steps_are_plain_momentum():
    g = np.random.default_rng(3).normal(size=(8, 2)) * 100
    u = steps("radam", {"lr": 0.01}, g)
    m = np.zeros(2)
    for t in range(1, 9):
        m = m + 0.1 * (g[t - 1] - m)
        plain = -0.01 * m / (1 - 0.9**t)
        assert np.allclose(u[t - 1], plain, rtol=1e-12) == (t <= 5)


def test_summary_adadelta_first_step():
    u = np.abs(steps("adadelta", {}, CONSTANT[:1]))
    np.testing.assert_allclose(u, np.sqrt(1e-6 / 0.1), rtol=1e-3)  # 0.0032 lr


def test_summary_adamw_pulls_toward_origin():
    u = steps("adamw", {}, np.zeros((1, 2)), start=(2.0, -4.0))
    np.testing.assert_allclose(u, [[-2e-5, 4e-5]])  # lr * weight_decay * position


@pytest.mark.parametrize(
    ("lr_h", "flips", "shrinks"),
    [(0.9, False, True), (1.1, True, True), (1.9, True, True), (2.1, True, False)],
)
def test_summary_sgd_flips_past_one_over_h_and_grows_past_two_over_h(lr_h, flips, shrinks):
    h = 4.0  # curvature of f = h x^2 / 2 along x (y is flat at 0)
    x = run(optim.build("sgd", {"lr": lr_h / h}), lambda p: p * [h, 0.0], [[1.0, 0.0]], 20)
    x = x[:, 0, 0]
    assert (np.sign(x[1:]) != np.sign(x[:-1])).all() == flips
    assert (abs(x[-1]) < abs(x[0])) == shrinks
    np.testing.assert_allclose(x[1:] / x[:-1], 1 - lr_h)  # the factor 1 - lr h of the summary


def test_summary_amsgrad_denominator_keeps_the_burst():
    burst = np.concatenate([np.full((5, 2), 100.0), np.full((5000, 2), 1.0)])
    ams = np.abs(steps("amsgrad", {"lr": 0.01}, burst))[5:]
    adam = np.abs(steps("adam", {"lr": 0.01}, burst))[5:]
    assert ams[-1, 0] < 0.2 * adam[-1, 0]  # Adam forgets the burst, AMSGrad does not
    assert "never decreases" in optim.KINDS["amsgrad"].summary
