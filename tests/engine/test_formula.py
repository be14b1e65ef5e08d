"""Tests for gallery.engine.formula: parsing, exact derivatives, NumPy evaluation and rejections."""

import builtins
import importlib
import os
import re
import warnings

import numpy as np
import pytest
import sympy
from matplotlib.mathtext import MathTextParser

from gallery.engine.formula import Formula, FormulaError, parse

STANDARD = {
    "bowl": "x**2/20 + y**2",
    "cubic": "x**2 + y**2 + y**3 + x*y",
    "saddle": "x**2 - y**2",
    "beale": "(1.5 - x + x*y)**2 + (2.25 - x + x*y**2)**2 + (2.625 - x + x*y**3)**2",
    "rosenbrock": "(1 - x)**2 + 100*(y - x**2)**2",
    "himmelblau": "(x**2 + y - 11)**2 + (x + y**2 - 7)**2",
    "rastrigin": "20 + x**2 - 10*cos(2*pi*x) + y**2 - 10*cos(2*pi*y)",
}

BY_HAND = {
    **{
        STANDARD["bowl"]: lambda x, y: x**2 / 20 + y**2,
        STANDARD["beale"]: lambda x, y: (
            (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2
        ),
        STANDARD["rosenbrock"]: lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
        STANDARD["rastrigin"]: lambda x, y: (
            20 + x**2 - 10 * np.cos(2 * np.pi * x) + y**2 - 10 * np.cos(2 * np.pi * y)
        ),
    },
    "sin(x)*exp(-y^2)": lambda x, y: np.sin(x) * np.exp(-(y**2)),
    "sqrt(x**2 + y**2 + 1) + abs(x - y) + log10(2 + y**2)": lambda x, y: (
        np.sqrt(x**2 + y**2 + 1) + np.abs(x - y) + np.log10(2 + y**2)
    ),
    "tanh(x) * arctan(y) + e**(x/4) - ln(3 + cosh(y))": lambda x, y: (
        np.tanh(x) * np.arctan(y) + np.e ** (x / 4) - np.log(3 + np.cosh(y))
    ),
}


def points(n: int = 40, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-2, 2, size=(n, 2))


def central_gradient(fn, xy: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central differences of fn (points (..., 2) -> (..., k)) along x and y, stacked last."""
    cols = []
    for i in range(2):
        step = np.zeros(2)
        step[i] = h
        cols.append((fn(xy + step) - fn(xy - step)) / (2 * h))
    return np.stack(cols, axis=-1)


@pytest.mark.parametrize("text", list(BY_HAND))
def test_values_match_numpy_written_by_hand(text):
    xy = points()
    expected = BY_HAND[text](xy[:, 0], xy[:, 1])
    np.testing.assert_allclose(parse(text).value(xy), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", list(STANDARD))
def test_gradient_matches_central_differences(name):
    f = parse(STANDARD[name])
    xy = points(seed=1)
    numeric = central_gradient(f.value, xy)
    exact = f.grad(xy)
    assert exact.shape == (len(xy), 2) and exact.dtype == np.float64
    scale = 1 + np.abs(exact).max()
    np.testing.assert_allclose(exact, numeric, rtol=1e-6, atol=1e-6 * scale)


@pytest.mark.parametrize("name", list(STANDARD))
def test_hessian_matches_central_differences_of_gradient(name):
    f = parse(STANDARD[name])
    xy = points(seed=2)
    numeric = central_gradient(f.grad, xy)  # [..., i, j] = d(df/dx_i)/dx_j
    exact = f.hessian(xy)
    assert exact.shape == (len(xy), 2, 2) and exact.dtype == np.float64
    np.testing.assert_allclose(exact, np.swapaxes(exact, -1, -2))
    scale = 1 + np.abs(exact).max()
    np.testing.assert_allclose(exact, numeric, rtol=1e-6, atol=1e-6 * scale)


def test_derivatives_are_exact_sympy_expressions():
    f = parse("x**2/20 + y**2")
    x, y = sorted(f.expr.free_symbols, key=lambda s: s.name)
    assert sympy.simplify(f.expr - (x**2 / 20 + y**2)) == 0
    assert f.latex == sympy.latex(x**2 / 20 + y**2)
    assert r"\frac{x^{2}}{20}" in f.latex
    assert f.gradient_latex == (sympy.latex(x / 10), sympy.latex(2 * y))


def test_decimal_literals_are_exact_rationals():
    assert parse("0.5*x + 1e-3*y").expr == parse("x/2 + y/1000").expr
    assert parse(".5*x").expr == parse("x/2").expr
    assert parse("2.625 - x").expr == parse("21/8 - x").expr


def test_caret_is_power():
    assert parse("x^2 + y^3").expr == parse("x**2 + y**3").expr
    assert parse("2^-x").expr == parse("2**-x").expr


def test_function_aliases():
    a = parse("asin(x/3) + acos(y/3) + atan(x) + ln(2 + y)")
    b = parse("arcsin(x/3) + arccos(y/3) + arctan(x) + log(2 + y)")
    assert a.expr == b.expr
    xy = points()
    np.testing.assert_array_equal(a.value(xy), b.value(xy))


def test_constant_derivatives_broadcast_to_full_arrays():
    f = parse("x**2/20 + y**2")
    xy = np.random.default_rng(3).normal(size=(3, 4, 2))
    h = f.hessian(xy)
    assert h.shape == (3, 4, 2, 2) and h.dtype == np.float64
    np.testing.assert_array_equal(h[..., 1, 1], np.full((3, 4), 2.0))
    np.testing.assert_array_equal(h[..., 0, 0], np.full((3, 4), 0.1))
    np.testing.assert_array_equal(h[..., 0, 1], np.zeros((3, 4)))
    np.testing.assert_array_equal(f.grad(xy)[..., 1], 2 * xy[..., 1])

    const = parse("3 + pi")
    assert const.value(xy).shape == (3, 4)
    np.testing.assert_array_equal(const.value(xy), np.full((3, 4), 3 + np.pi))
    assert const.grad(xy).shape == (3, 4, 2) and not const.grad(xy).any()
    assert const.hessian(xy[0, 0]).shape == (2, 2)


def test_grid_matches_value_on_meshgrid():
    f = parse(STANDARD["himmelblau"])
    X, Y = np.meshgrid(np.linspace(-5, 5, 7), np.linspace(-4, 4, 5))
    Z = f.grid(X, Y)
    assert Z.shape == X.shape and Z.dtype == np.float64
    np.testing.assert_allclose(Z, f.value(np.stack([X, Y], axis=-1)))
    np.testing.assert_array_equal(parse("y").grid(X, Y), Y)


def test_evaluation_never_warns_and_gives_nan_quietly():
    f = parse("log(x) + sqrt(y) + 1/x + abs(x)")
    xy = np.array([[-1.0, -1.0], [0.0, 4.0], [1.0, 4.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v, g, h = f.value(xy), f.grad(xy), f.hessian(xy)
        parse("(-8)**(1/3)*x").value(xy)  # complex constant: nan, not a ComplexWarning
    assert np.isnan(v[0]) and not np.isfinite(v[1]) and v[2] == pytest.approx(4.0)
    assert np.isfinite(g[2]).all() and np.isfinite(h[2]).all()


def test_abs_has_a_usable_hessian():
    f = parse("abs(x) + y**2")
    xy = np.array([[-1.5, 1.0], [2.0, -3.0]])
    np.testing.assert_array_equal(f.grad(xy), [[-1.0, 2.0], [1.0, -6.0]])
    np.testing.assert_array_equal(f.hessian(xy)[:, 1, 1], [2.0, 2.0])
    np.testing.assert_array_equal(f.hessian(xy)[:, 0, 0], [0.0, 0.0])


def test_integer_inputs_and_huge_integer_constants():
    f = parse("x**-1 + sqrt(123456789012345678901234567890)*y")
    got = f.value(np.array([[2, 1]]))
    assert got == pytest.approx(0.5 + np.sqrt(123456789012345678901234567890.0))


def test_bad_point_shape_is_a_value_error():
    with pytest.raises(ValueError, match=r"\(\.\.\., 2\)"):
        parse("x").value(np.zeros((4, 3)))


LATEX_SAMPLES = list(STANDARD.values()) + [
    "sin(x)*exp(-y^2)",
    "asin(x/2) + arccos(y/2) + atan(x*y)",
    "sqrt(x**2 + 1) + abs(y) + log10(1 + x**2) + ln(1 + y**2)",
    "tanh(x) + sinh(y) / cosh(y) + tan(x) + e**x",
]


@pytest.mark.parametrize("text", LATEX_SAMPLES)
def test_latex_renders_with_mathtext(text):
    f = parse(text)
    parser = MathTextParser("path")
    for s in (f.latex, *f.gradient_latex):
        parser.parse(f"${s}$")  # raises ValueError if mathtext cannot typeset it


HOSTILE = [
    ("__import__('os').system('echo hi')", r"'__import__' is not allowed"),
    ("().__class__", r"'__class__' is not allowed"),
    ("x.real", r"attribute access \('\.'\) is not allowed"),
    ("lambda: 1", r"'lambda' is not allowed"),
    ("[x]", r"lists .* not allowed"),
    ("(x, y)", r"tuples .* not allowed"),
    ("{x: y}", r"dicts .* not allowed"),
    ("[x for x in y]", r"comprehensions .* not allowed"),
    ("x[0]", r"subscripts .* not allowed"),
    ("x if y else 1", r"conditional expressions .* not allowed"),
    ("x < y", r"comparisons \('<'\) are not allowed"),
    ("x and y", r"'and' is not allowed"),
    ("not x", r"'not' is not allowed"),
    ("x // 2", r"operator '//' is not allowed"),
    ("x % 2", r"operator '%' is not allowed"),
    ("open('f')", r"unknown function 'open'; allowed: sin, cos"),
    ("sinn(x)", r"unknown function 'sinn'.*\(did you mean 'sin'\?\)"),
    ("z + 1", r"unknown name 'z'; allowed: x, y, pi, e$"),
    ("xx + 1", r"unknown name 'xx'.*\(did you mean 'x'\?\)"),
    ("Pi * x", r"unknown name 'Pi'.*\(did you mean 'pi'\?\)"),
    ("sin + x", r"'sin' is a function"),
    ("x(2)", r"'x' is not a function"),
    ("sin(x, y)", r"sin\(\) takes exactly 1 argument \(2 given\)"),
    ("exp()", r"exp\(\) takes exactly 1 argument \(0 given\)"),
    ("log(x, base=10)", r"keyword arguments \('base='\) are not allowed"),
    ("sin(*[x])", r"unpacking \('\*'\) is not allowed"),
    ("'a'", r"strings \('a'\) are not allowed"),
    ("f'{x}'", r"f-strings are not allowed"),
    ("1j * x", r"imaginary numbers \('1j'\) are not allowed"),
    ("True", r"'True' is not allowed"),
    ("0x10 * x", r"number '0x10' is not allowed"),
    ("1" * 31, r"is too long \(more than 30 characters\)"),
    ("1e101 * x", r"number '1e101' is too large"),
    ("1e-9999999 * x", r"number '1e-9999999' is too small"),
    ("x; y", r"^syntax error at column 2 near ';'"),
    ("x = 1", r"^syntax error at column 3 near '='"),
    ("x :=  1", r"^syntax error"),
    ("(x + y", r"^syntax error at column 1 near '\(': '\(' was never closed"),
    ("x^^2", r"^syntax error at column 3"),
    ("x\0", r"character '\\x00' is not allowed"),
    ("", r"the formula is empty"),
    ("   \n ", r"the formula is empty"),
    ("x + " * 250 + "x", r"too long \(1001 characters; limit 1000\)"),
    ("(" * 51 + "x" + ")" * 51, r"nested too deeply \(more than 50 levels\)"),
    ("-" * 60 + "x", r"nested too deeply \(more than 50 levels\)"),
    ("9**9**9**9", r"exponent '9\*\*9' is too large"),
    ("10**10**10", r"exponent '10\*\*10' is too large"),
    ("(x**1000)**1000", r"exponent '1000' is too large"),
    ("2**99999", r"exponent '99999' is too large"),
    ("2^-1000 + x", r"exponent '-1000' is too large"),
    ("x**(2**100)", r"exponent '2\*\*100' is too large"),
    ("((x**99)**99)**99", r"'\(x\*\*99\)\*\*99' has too large an exponent"),
    ("1e100**3.5 + x", r"'1e100\*\*3\.5' is too large a number"),
    ("(1e-90)^50", r"'\(1e-90\)\^50' is too small a number"),
    ("exp(exp(exp(exp(100))))**2", r"is too large a number"),
    ("1/0", r"the formula is not finite \(division by zero\?\)"),
    ("x / 0", r"the formula is not finite"),
    ("log(0) + x", r"the formula is not finite"),
    ("tan(pi/2)", r"the formula is not finite"),
    ("sqrt(-1) * x", r"the formula is not real"),
]


@pytest.mark.parametrize(("text", "pattern"), HOSTILE)
def test_hostile_formulas_are_rejected_with_a_clear_message(text, pattern):
    with pytest.raises(FormulaError, match=pattern) as info:
        parse(text)
    assert "Traceback" not in str(info.value)
    assert isinstance(info.value, ValueError)


def test_non_string_is_rejected():
    with pytest.raises(FormulaError, match="must be a string"):
        parse(3)  # type: ignore[arg-type]


def test_no_code_runs_while_parsing(monkeypatch):
    calls = []

    def forbidden(*args, **kwargs):
        calls.append(args)
        raise AssertionError("code was executed")

    def no_strings(original):
        def guarded(a, *args, **kwargs):
            if isinstance(a, str):
                forbidden(a)
            return original(a, *args, **kwargs)

        return guarded

    # text is what a file could smuggle in; code objects are Python importing its own modules
    monkeypatch.setattr(builtins, "eval", no_strings(builtins.eval))
    monkeypatch.setattr(builtins, "exec", no_strings(builtins.exec))
    monkeypatch.setattr(os, "system", forbidden)
    monkeypatch.setattr(sympy, "sympify", no_strings(sympy.sympify))
    module = importlib.import_module("sympy.core.sympify")
    monkeypatch.setattr(module, "sympify", no_strings(module.sympify))
    monkeypatch.setattr(sympy, "parse_expr", forbidden)
    parsed = [parse(text) for text in [*STANDARD.values(), *LATEX_SAMPLES, "3"]]
    for text, pattern in HOSTILE:
        with pytest.raises(FormulaError, match=pattern):
            parse(text)
    assert calls == []
    monkeypatch.undo()
    for f in parsed:  # lambdify (which does exec sympy's own generated code) happens on first use
        assert isinstance(f, Formula)
        assert f.value(points(3)).shape == (3,)


def test_formula_is_frozen():
    f = parse("x + y")
    with pytest.raises(AttributeError):
        f.text = "x"  # type: ignore[misc]
    assert re.fullmatch(r"x \+ y", f.latex)
