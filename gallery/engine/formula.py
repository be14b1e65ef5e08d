"""Formulas in x and y: checked text -> exact sympy expression, exact derivatives, NumPy callables.

The text is parsed with `ast`; a whitelist of node types is turned into sympy objects by hand, and
nothing is ever `eval`-ed or `sympify`-ed. Constant exponents and constant powers are bounded before
sympy gets to compute them, so hostile input is rejected quickly with a message naming the culprit.
"""

from __future__ import annotations

import ast
import math
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import sympy
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.precedence import PRECEDENCE

from gallery.engine.text import did_you_mean

MAX_LENGTH = 1000  # characters in a formula
MAX_DEPTH = 50  # nesting levels (parentheses, calls, powers, unary signs)
MAX_LITERAL_CHARS = 30  # characters in one number
MAX_LITERAL = 1e100  # magnitude of one number
MAX_EXPONENT = 100  # magnitude of a constant exponent
MAX_LOG10 = 300  # a constant power must stay within 10**-300 .. 10**300
MAX_GRADIENT_NODES = 1500  # size of the exact gradient (its Hessian grows much faster)

X, Y = sympy.symbols("x y", real=True)

NAMES: dict[str, tuple[sympy.Expr, float | None]] = {
    "x": (X, None),
    "y": (Y, None),
    "pi": (sympy.pi, math.pi),
    "e": (sympy.E, math.e),
}

FUNCTIONS: dict[str, tuple[Callable, Callable]] = {
    "sin": (sympy.sin, math.sin),
    "cos": (sympy.cos, math.cos),
    "tan": (sympy.tan, math.tan),
    "arcsin": (sympy.asin, math.asin),
    "arccos": (sympy.acos, math.acos),
    "arctan": (sympy.atan, math.atan),
    "sinh": (sympy.sinh, math.sinh),
    "cosh": (sympy.cosh, math.cosh),
    "tanh": (sympy.tanh, math.tanh),
    "exp": (sympy.exp, math.exp),
    "log": (sympy.log, math.log),
    "log10": (lambda a: sympy.log(a, 10), math.log10),
    "sqrt": (sympy.sqrt, math.sqrt),
    "abs": (sympy.Abs, abs),
}
ALIASES = {"asin": "arcsin", "acos": "arccos", "atan": "arctan", "ln": "log"}

_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")

_BINOPS = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^",
}
_COMPARE = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
}
_FORBIDDEN = {
    ast.Attribute: "attribute access ('.') is not allowed",
    ast.Subscript: "subscripts ('[...]') are not allowed",
    ast.Lambda: "'lambda' is not allowed",
    ast.IfExp: "conditional expressions ('if ... else') are not allowed",
    ast.List: "lists ('[...]') are not allowed",
    ast.Tuple: "tuples (',') are not allowed",
    ast.Set: "sets ('{...}') are not allowed",
    ast.Dict: "dicts ('{...}') are not allowed",
    ast.ListComp: "comprehensions ('for') are not allowed",
    ast.SetComp: "comprehensions ('for') are not allowed",
    ast.DictComp: "comprehensions ('for') are not allowed",
    ast.GeneratorExp: "comprehensions ('for') are not allowed",
    ast.Starred: "unpacking ('*') is not allowed",
    ast.NamedExpr: "assignments (':=') are not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.Await: "'await' is not allowed",
    ast.Yield: "'yield' is not allowed",
    ast.YieldFrom: "'yield' is not allowed",
}


class FormulaError(ValueError):
    """A formula the gallery will not accept; the message names the offending token."""


@dataclass(frozen=True)
class Formula:
    """A checked formula f(x, y) with its exact gradient and Hessian."""

    text: str
    expr: sympy.Expr
    latex: str

    def __post_init__(self) -> None:
        named = {s.name: s for s in self.expr.free_symbols}
        x, y = named.get("x", X), named.get("y", Y)
        size = 0
        gradient = []
        for s in (x, y):  # checked one component at a time, so a blow-up is caught early
            gradient.append(_derivative(self.expr, s))
            size += _size(gradient[-1])
            if size > MAX_GRADIENT_NODES:
                raise FormulaError(
                    f"the formula's gradient is too large to work with (over {size} terms; "
                    f"limit {MAX_GRADIENT_NODES}): write a shorter formula"
                )
        fx, fy = gradient
        hessian = (_derivative(fx, x), _derivative(fx, y), _derivative(fy, y))
        object.__setattr__(self, "_symbols", (x, y))
        object.__setattr__(self, "_gradient", (fx, fy))
        object.__setattr__(self, "_hessian", hessian)

    @cached_property
    def _callables(self) -> tuple[Callable, Callable, Callable]:
        fxx, fxy, fyy = (_machine(h) for h in self._hessian)
        return (
            _compile(self._symbols, _machine(self.expr)),
            _compile(self._symbols, [_machine(g) for g in self._gradient]),
            _compile(self._symbols, [fxx, fxy, fxy, fyy]),
        )

    def value(self, xy: np.ndarray) -> np.ndarray:
        """f at points of shape (..., 2), as an array of shape (...)."""
        x, y = _split(xy)
        return _evaluate(self._callables[0], x, y, 1)[..., 0]

    def grad(self, xy: np.ndarray) -> np.ndarray:
        """(df/dx, df/dy) at points of shape (..., 2), as an array of shape (..., 2)."""
        x, y = _split(xy)
        return _evaluate(self._callables[1], x, y, 2)

    def hessian(self, xy: np.ndarray) -> np.ndarray:
        """The Hessian at points of shape (..., 2), as an array of shape (..., 2, 2)."""
        x, y = _split(xy)
        out = _evaluate(self._callables[2], x, y, 4)
        return out.reshape(out.shape[:-1] + (2, 2))

    def grid(self, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """f on meshgrid arrays X, Y (any broadcastable shapes), in their broadcast shape."""
        x = np.asarray(X, dtype=np.float64)
        y = np.asarray(Y, dtype=np.float64)
        return _evaluate(self._callables[0], x, y, 1)[..., 0]

    @property
    def gradient_latex(self) -> tuple[str, str]:
        """LaTeX of df/dx and df/dy."""
        fx, fy = self._gradient
        return _latex(fx), _latex(fy)


def parse(text: str) -> Formula:
    """Check a formula in x and y and build its exact `Formula`; raise `FormulaError` if unfit."""
    if not isinstance(text, str):
        raise FormulaError(f"a formula must be a string, not {type(text).__name__}")
    for ch in text:
        if not ch.isprintable() and ch not in "\t\n\r":
            raise FormulaError(f"character {ch!r} is not allowed")
    text = text.translate({ord("\n"): " ", ord("\r"): " ", ord("\t"): " "}).strip()
    if not text:
        raise FormulaError("the formula is empty")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"the formula is too long ({len(text)} characters; limit {MAX_LENGTH})")
    depth = 0
    for ch in text:
        depth += (ch in "([{") - (ch in ")]}")
        if depth > MAX_DEPTH:
            raise FormulaError(f"the formula is nested too deeply (more than {MAX_DEPTH} levels)")

    source = _Source(text)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source.python, mode="eval")
    except SyntaxError as err:
        raise FormulaError(source.syntax_message(err)) from None
    except (ValueError, RecursionError, MemoryError) as err:
        raise FormulaError(f"syntax error: {err}") from None

    for node in ast.walk(tree):
        name = getattr(node, "id", None) or getattr(node, "attr", None)
        if isinstance(name, str) and name.startswith("__"):
            raise FormulaError(f"'{name}' is not allowed")

    expr, _ = _Builder(source).build(tree.body, 1)
    _check_result(expr)
    formula = Formula(text=text, expr=expr, latex=_latex(expr))
    for derivative in formula._gradient + formula._hessian:
        _check_result(derivative)
    return formula


class _Source:
    """The formula text and its Python spelling (`^` -> `**`), with positions mapped back."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.python = text.replace("^", "**")
        self.origin: list[int] = []  # python char index -> text char index
        for i, ch in enumerate(text):
            self.origin.extend([i, i] if ch == "^" else [i])
        self.origin.append(len(text))
        self.encoded = self.python.encode()

    def _char(self, byte_offset: int) -> int:
        return self.origin[len(self.encoded[:byte_offset].decode(errors="ignore"))]

    def segment(self, node: ast.AST) -> str:
        start, end = self._char(node.col_offset), self._char(node.end_col_offset)
        return self.text[start:end]

    def syntax_message(self, err: SyntaxError) -> str:
        offset = min(max((err.offset or 1) - 1, 0), len(self.python))
        column = self.origin[offset]
        near = f" near {self.text[column]!r}" if column < len(self.text) else " at the end"
        return f"syntax error at column {column + 1}{near}: {err.msg}"


class _Builder:
    """Walks a checked `ast` tree into a sympy expression plus a float estimate of constants."""

    def __init__(self, source: _Source) -> None:
        self.source = source

    def build(self, node: ast.AST, depth: int) -> tuple[sympy.Expr, float | None]:
        """Sympy expression for `node` and its float value (None if it depends on x or y)."""
        if depth > MAX_DEPTH:
            raise FormulaError(f"the formula is nested too deeply (more than {MAX_DEPTH} levels)")
        if isinstance(node, ast.BinOp):
            return self.binop(node, depth)
        if isinstance(node, ast.UnaryOp):
            return self.unary(node, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Compare):
            raise FormulaError(f"comparisons ('{_COMPARE[type(node.ops[0])]}') are not allowed")
        if isinstance(node, ast.BoolOp):
            word = "and" if isinstance(node.op, ast.And) else "or"
            raise FormulaError(f"'{word}' is not allowed")
        if type(node) in _FORBIDDEN:
            raise FormulaError(_FORBIDDEN[type(node)])
        raise FormulaError(f"'{self.source.segment(node)}' is not allowed")

    def binop(self, node: ast.BinOp, depth: int) -> tuple[sympy.Expr, float | None]:
        op = type(node.op)
        if op in (ast.Add, ast.Sub):
            parts = self.chain(node, (ast.Add, ast.Sub), depth)
            terms = [e if o is ast.Add else -e for o, e, _ in parts]
            values = [v if o is ast.Add else _num(lambda a: -a, v) for o, _, v in parts]
            return sympy.Add(*terms), _fold(values, lambda a, b: a + b)
        if op in (ast.Mult, ast.Div):
            parts = self.chain(node, (ast.Mult, ast.Div), depth)
            factors = [e if o is ast.Mult else sympy.Pow(e, -1) for o, e, _ in parts]
            values = [v if o is ast.Mult else _num(lambda a: 1 / a, v) for o, _, v in parts]
            return sympy.Mul(*factors), _fold(values, lambda a, b: a * b)
        if op is ast.Pow:
            return self.power(node, depth)
        raise FormulaError(f"operator '{_BINOPS.get(op, op.__name__)}' is not allowed")

    def chain(self, node: ast.BinOp, ops: tuple, depth: int) -> list:
        """Flatten a left-leaning run of + and - (or * and /) into (op, expr, value) triples."""
        rights = []
        while isinstance(node, ast.BinOp) and type(node.op) in ops:
            rights.append((type(node.op), node.right))
            node = node.left
        rights.append((ops[0], node))
        return [(op, *self.build(operand, depth + 1)) for op, operand in reversed(rights)]

    def power(self, node: ast.BinOp, depth: int) -> tuple[sympy.Expr, float | None]:
        base, b = self.build(node.left, depth + 1)
        exponent, p = self.build(node.right, depth + 1)
        if p is not None:
            where = self.source.segment(node.right)
            if not math.isfinite(p):
                raise FormulaError(f"exponent '{where}' is not a finite real number")
            if abs(p) > MAX_EXPONENT:
                raise FormulaError(
                    f"exponent '{where}' is too large (about {p:.3g}; limit ±{MAX_EXPONENT})"
                )
            if b is not None:
                whole = self.source.segment(node)
                if math.isinf(b):
                    raise FormulaError(f"'{whole}' is too large a number")
                if b != 0 and not math.isnan(b):
                    size = math.log10(abs(b)) * p
                    if abs(size) > MAX_LOG10:
                        word = "large" if size > 0 else "small"
                        raise FormulaError(
                            f"'{whole}' is too {word} a number (about 10^{size:.0f}; "
                            f"limit 10^±{MAX_LOG10})"
                        )
        value = _num(math.pow, b, p) if b is not None and p is not None else None
        result = sympy.Pow(base, exponent)
        merged = result.exp if isinstance(result, sympy.Pow) else sympy.S.Zero
        if merged.is_Number and abs(merged) > MAX_EXPONENT:  # (x**99)**99 merges into x**9801
            raise FormulaError(
                f"'{self.source.segment(node)}' has too large an exponent "
                f"({merged} after merging powers; limit ±{MAX_EXPONENT})"
            )
        return result, value

    def unary(self, node: ast.UnaryOp, depth: int) -> tuple[sympy.Expr, float | None]:
        if isinstance(node.op, ast.USub):
            expr, value = self.build(node.operand, depth + 1)
            return -expr, _num(lambda a: -a, value)
        if isinstance(node.op, ast.UAdd):
            return self.build(node.operand, depth + 1)
        word = "not" if isinstance(node.op, ast.Not) else "~"
        raise FormulaError(f"operator '{word}' is not allowed")

    def call(self, node: ast.Call, depth: int) -> tuple[sympy.Expr, float | None]:
        if not isinstance(node.func, ast.Name):
            if type(node.func) in _FORBIDDEN:
                raise FormulaError(_FORBIDDEN[type(node.func)])
            raise FormulaError(
                f"'{self.source.segment(node.func)}' cannot be called; only named functions can"
            )
        name = node.func.id
        if name in NAMES:
            raise FormulaError(f"'{name}' is not a function")
        canonical = ALIASES.get(name, name)
        if canonical not in FUNCTIONS:
            known = list(FUNCTIONS) + list(ALIASES)
            allowed = ", ".join(FUNCTIONS) + " (also " + ", ".join(ALIASES) + ")"
            raise FormulaError(
                f"unknown function '{name}'; allowed: {allowed}{did_you_mean(name, known)}"
            )
        if node.keywords:
            key = node.keywords[0].arg
            shown = f"{key}=" if key else "**"
            raise FormulaError(f"keyword arguments ('{shown}') are not allowed")
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise FormulaError(_FORBIDDEN[ast.Starred])
        if len(node.args) != 1:
            raise FormulaError(f"{name}() takes exactly 1 argument ({len(node.args)} given)")
        symbolic, numeric = FUNCTIONS[canonical]
        expr, value = self.build(node.args[0], depth + 1)
        result = _num(numeric, value)
        if (
            value is not None
            and result is not None
            and math.isinf(result)
            or (result is not None and abs(result) > MAX_LITERAL)
        ):  # caught here, before sympy tries to evaluate a tower like exp(exp(exp(15)))
            raise FormulaError(
                f"'{self.source.segment(node)}' is too large a number (about {result:.3g}; "
                f"limit {MAX_LITERAL:g})"
            )
        return symbolic(expr), result

    def name(self, node: ast.Name) -> tuple[sympy.Expr, float | None]:
        if node.id in NAMES:
            return NAMES[node.id]
        if node.id in FUNCTIONS or node.id in ALIASES:
            raise FormulaError(f"'{node.id}' is a function; call it like {node.id}(x)")
        allowed = ", ".join(NAMES)
        hint = did_you_mean(node.id, list(NAMES))
        raise FormulaError(f"unknown name '{node.id}'; allowed: {allowed}{hint}")

    def constant(self, node: ast.Constant) -> tuple[sympy.Expr, float | None]:
        seg = self.source.segment(node)
        value = node.value
        if isinstance(value, str | bytes):
            raise FormulaError(f"strings ({seg}) are not allowed")
        if isinstance(value, bool) or value is None or value is Ellipsis:
            raise FormulaError(f"'{seg}' is not allowed")
        if isinstance(value, complex):
            raise FormulaError(f"imaginary numbers ('{seg}') are not allowed")
        if len(seg) > MAX_LITERAL_CHARS:
            raise FormulaError(
                f"number '{seg[:MAX_LITERAL_CHARS]}...' is too long "
                f"(more than {MAX_LITERAL_CHARS} characters)"
            )
        if not _NUMBER.fullmatch(seg):
            raise FormulaError(f"number '{seg}' is not allowed; write decimals like 0.5, 1e-3")
        number = float(seg)
        if not abs(number) <= MAX_LITERAL:
            raise FormulaError(f"number '{seg}' is too large (limit {MAX_LITERAL:g})")
        if not re.search(r"[1-9]", seg.split("e")[0].split("E")[0]):
            return sympy.S.Zero, 0.0
        if abs(number) < 1 / MAX_LITERAL:
            raise FormulaError(f"number '{seg}' is too small (limit {1 / MAX_LITERAL:g})")
        if isinstance(value, int):
            return sympy.Integer(value), number
        return sympy.Rational(seg), number


def _num(fn: Callable, *args: float | None) -> float | None:
    """fn(*args) on constants' float values: None if any is symbolic, inf/nan instead of errors."""
    if any(a is None for a in args):
        return None
    try:
        result = fn(*args)
    except OverflowError:
        return math.inf
    except (ValueError, ZeroDivisionError):
        return math.nan
    return float(result) if isinstance(result, int | float) else math.nan


def _fold(values: list[float | None], op: Callable) -> float | None:
    total = values[0]
    for v in values[1:]:
        total = _num(op, total, v)
    return total


def _check_result(expr: sympy.Expr) -> None:
    bad = (sympy.zoo, sympy.nan, sympy.oo, -sympy.oo)
    if any(expr.has(b) for b in bad):
        raise FormulaError("the formula is not finite (division by zero?)")
    if expr.has(sympy.I):
        raise FormulaError("the formula is not real (it involves sqrt(-1), log(-1) or alike)")
    limit = 10**MAX_LOG10
    for number in expr.atoms(sympy.Rational):
        if abs(number.p) > limit or number.q > limit:
            raise FormulaError("the formula has a constant too large or too small for float64")


def _derivative(expr: sympy.Expr, symbol: sympy.Symbol) -> sympy.Expr:
    """d expr / d symbol, dropping the Dirac deltas of |.| and sign() (zero almost everywhere)."""
    return sympy.diff(expr, symbol).replace(sympy.DiracDelta, lambda *args: sympy.S.Zero)


def _size(expr: sympy.Expr) -> int:
    """Number of nodes in an expression tree."""
    return sum(1 for _ in sympy.preorder_traversal(expr))


#: Integer powers up to this are computed by multiplying (x*x*x): NumPy's general `power` is
#: about 25 times slower than multiplication, and the power is in every step of every run.
EXPAND_POWERS = 8


class _Printer(NumPyPrinter):
    """NumPy code with small integer powers written as products: x**3 -> (x*x*x)."""

    def _print_Pow(self, expr, rational=False):  # noqa: N802 - sympy's printer protocol
        base, exp = expr.as_base_exp()
        if exp.is_Integer and 2 <= exp <= EXPAND_POWERS:
            b = self.parenthesize(base, PRECEDENCE["Mul"])
            return "(" + "*".join([b] * int(exp)) + ")"
        return super()._print_Pow(expr, rational=rational)


def _compile(symbols: tuple, expr) -> Callable:
    """A NumPy function of (x, y) for an expression or a list (shared terms computed once).

    The printer writes every call as `numpy.<name>`, so the code needs only `numpy` in its
    namespace (`modules="numpy"` would run `from numpy import *`, which loads f2py and more)."""
    return sympy.lambdify(symbols, expr, modules=[{"numpy": np}], cse=True, printer=_Printer)


def _machine(expr: sympy.Expr) -> sympy.Expr:
    """expr with integers beyond int64 turned into floats, so NumPy functions accept them."""
    big = {n: sympy.Float(n) for n in expr.atoms(sympy.Integer) if abs(n) > 2**53}
    return expr.xreplace(big) if big else expr


def _latex(expr: sympy.Expr) -> str:
    return sympy.latex(expr, inv_trig_style="full")


def _split(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    xy = np.asarray(xy, dtype=np.float64)
    if xy.shape[-1:] != (2,):
        raise ValueError(f"points must have shape (..., 2), got {xy.shape}")
    return xy[..., 0], xy[..., 1]


def _evaluate(fn: Callable, x: np.ndarray, y: np.ndarray, n: int) -> np.ndarray:
    """Call a lambdified function quietly; stack its output(s) in float64 along a last axis."""
    shape = np.broadcast_shapes(np.shape(x), np.shape(y))
    with np.errstate(all="ignore"):
        try:
            out = fn(x, y)
        except ArithmeticError:  # a Python-float constant overflowed
            return np.full(shape + (n,), np.nan)
        parts = out if isinstance(out, list) else [out]
        arrays = []
        for part in parts:
            a = np.asarray(part)
            if np.iscomplexobj(a):
                a = np.where(a.imag == 0, a.real, np.nan)
            arrays.append(np.broadcast_to(a.astype(np.float64), shape))
    return np.stack(arrays, axis=-1)
