"""The catalogue of named optimizers: `@optimizer` registers a constructor, `build` calls it.

A kind's defaults are read from its constructor's signature, so they are written once. A
constructor that declares a keyword-only `hessian` parameter needs the function's Hessian;
`build` passes it to those kinds only.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, TypeVar

from gallery.engine.optim.blocks import GradientTransformation, Hessian
from gallery.engine.optim.notation import Symbol

Maker = TypeVar("Maker", bound=Callable[..., GradientTransformation])


@dataclass(frozen=True)
class Kind:
    """A named optimizer the scenario files can ask for."""

    name: str
    title: str
    defaults: Mapping[str, Any]  # every accepted hyperparameter -> its default (torch's)
    make: Callable[..., GradientTransformation]  # make(**hyper) (plus hessian= if it needs one)
    rule_lines: tuple[str, ...]  # the update rule, one mathtext equation per entry
    paper: str
    summary: str
    needs_hessian: bool = False  # `make` takes the function's Hessian as `hessian=`
    symbols: tuple[Symbol, ...] = ()  # legend: every symbol of the rule, defined once


KINDS: dict[str, Kind] = {}


def optimizer(
    *,
    name: str,
    title: str,
    rule: Iterable[str],
    symbols: Iterable[Symbol],
    paper: str,
    summary: str,
) -> Callable[[Maker], Maker]:
    """Register the decorated constructor as kind `name`, its defaults read from its signature."""

    def register(make: Maker) -> Maker:
        if name in KINDS:
            raise ValueError(f"optimizer kind {name!r} is registered twice")
        defaults: dict[str, Any] = {}
        needs_hessian = False
        for p in inspect.signature(make).parameters.values():
            if p.name == "hessian":
                if p.kind is not p.KEYWORD_ONLY:
                    raise TypeError(f"{make.__name__}: 'hessian' must be keyword-only")
                needs_hessian = True
            elif p.default is p.empty or p.kind not in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
                raise TypeError(f"{make.__name__}: hyperparameter {p.name!r} needs a default")
            else:
                defaults[p.name] = p.default
        KINDS[name] = Kind(
            name=name,
            title=title,
            defaults=MappingProxyType(defaults),
            make=make,
            rule_lines=tuple(rule),
            symbols=tuple(Symbol(*s) for s in symbols),
            paper=paper,
            summary=summary,
            needs_hessian=needs_hessian,
        )
        return make

    return register


def build(
    kind: str, hyper: Mapping[str, Any], hessian: Hessian | None = None
) -> GradientTransformation:
    """The optimizer `kind` with `hyper` (missing keys take the defaults).

    `hessian` maps points (N, 2) to Hessians (N, 2, 2); it is passed only to kinds that need it,
    and for those it is required.
    """
    spec = KINDS[kind]
    full = {**spec.defaults, **hyper}
    if not spec.needs_hessian:
        return spec.make(**full)
    if hessian is None:
        raise ValueError(
            f"optimizer {kind!r} needs the Hessian of the function: call "
            f"build({kind!r}, hyper, hessian=h) with h mapping points (N, 2) to (N, 2, 2)"
        )
    return spec.make(**full, hessian=hessian)


# ---------------------------------------------------------------- validation

_NONNEG = "must be a number >= 0"
_UNIT = "must be a number in [0, 1]"
_BETAS_MSG = "must be two numbers in [0, 1)"
_BOOL = "must be true or false"


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _check(key: str, v: Any) -> str | None:
    """The problem with one value, or None."""
    if key in ("nesterov", "centered", "amsgrad", "decoupled_weight_decay"):
        return None if isinstance(v, bool) else _BOOL
    if key == "betas":
        ok = isinstance(v, list | tuple) and len(v) == 2
        return None if ok and all(_number(b) and 0 <= b < 1 for b in v) else _BETAS_MSG
    if key in ("alpha", "rho", "dampening"):
        return None if _number(v) and 0 <= v <= 1 else _UNIT
    return None if _number(v) and v >= 0 else _NONNEG


def validate(kind: str, hyper: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Problems with the values of known keys, as (key, message); empty when all is well."""
    known = KINDS[kind].defaults
    errors = [(k, msg) for k, v in hyper.items() if k in known and (msg := _check(k, v))]
    full = {**known, **{k: v for k, v in hyper.items() if k in known}}
    nesterov = not errors and full.get("nesterov")
    if nesterov and (full["momentum"] <= 0 or full["dampening"] != 0):
        errors.append(("nesterov", "requires momentum > 0 and dampening = 0"))
    return errors


def state_vectors(kind: str) -> int:
    """How many vectors the size of the parameters the optimizer keeps between steps.

    Measured, not declared: the rule runs three steps at its defaults on fixed gradients, and
    every array of its state that changed from its starting value counts (AMSGrad's running
    maximum counts, Adam's unused one does not).
    """
    import numpy as np

    spec = KINDS[kind]
    params = np.array([[0.3, -0.7]])
    hessian = (
        (lambda p: np.broadcast_to(np.eye(2), (p.shape[0], 2, 2))) if spec.needs_hessian else None
    )
    tx = build(kind, {}, hessian=hessian)
    start = tx.init(params)
    state = start
    for g in ([[1.0, -2.0]], [[0.5, 3.0]], [[-1.5, 0.25]]):
        _, state = tx.update(np.array(g), state, params)

    def arrays(s) -> list:
        if isinstance(s, np.ndarray):
            return [s] if s.shape == params.shape else []
        if isinstance(s, tuple):
            return [a for part in s for a in arrays(part)]
        return []

    return sum(
        1 for a, b in zip(arrays(start), arrays(state), strict=True) if not np.array_equal(a, b)
    )
