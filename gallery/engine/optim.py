"""Optimizers: optax-style pure transformations over (N, 2) float64 arrays, torch.optim semantics.

Every named optimizer is a `chain` of small building blocks. A transformation's `update(grads,
state, params)` returns `(updates, new_state)` and the caller applies `params + updates`. Each
hyperparameter may be a float or an array broadcastable to (N, 1), so one run can sweep values.
The update rules, defaults, eps placement, bias corrections and weight-decay handling follow
torch.optim 2.x (single-tensor code path) for the torch kinds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

Array = np.ndarray
Hyper = float | np.ndarray
Hessian = Callable[[np.ndarray], np.ndarray]


class GradientTransformation(NamedTuple):
    """A pure optimizer: `init(params) -> state`; `update(grads, state, params) -> (upd, state)`."""

    init: Callable[[np.ndarray], NamedTuple]
    update: Callable[[np.ndarray, NamedTuple, np.ndarray], tuple[np.ndarray, NamedTuple]]


class EmptyState(NamedTuple):
    """State of a transformation that keeps none."""


class ChainState(NamedTuple):
    """States of the links of a `chain`, in order."""

    inner: tuple


class TraceState(NamedTuple):
    """Momentum buffer and step count."""

    trace: np.ndarray
    count: int


class AdagradState(NamedTuple):
    """Running sum of squared gradients and step count."""

    sum_sq: np.ndarray
    count: int


class RmsState(NamedTuple):
    """Running averages of squared gradients and (centered) of gradients."""

    nu: np.ndarray
    mu_g: np.ndarray


class AdamState(NamedTuple):
    """First moment, second moment, its running maximum (AMSGrad) and step count."""

    mu: np.ndarray
    nu: np.ndarray
    nu_max: np.ndarray
    count: int


class AdamaxState(NamedTuple):
    """First moment, infinity-norm running maximum and step count."""

    mu: np.ndarray
    u: np.ndarray
    count: int


class NadamState(NamedTuple):
    """First and second moments, product of the momentum schedule so far, step count."""

    mu: np.ndarray
    nu: np.ndarray
    mu_product: Hyper
    count: int


class AdadeltaState(NamedTuple):
    """Running averages of squared gradients and of squared updates."""

    nu: np.ndarray
    delta_sq: np.ndarray


class LionState(NamedTuple):
    """Momentum (first moment) of Lion."""

    mu: np.ndarray


def _h(value: Any) -> Hyper:
    """A hyperparameter as a Python float or a float64 array."""
    if isinstance(value, np.ndarray):
        return value.astype(np.float64)
    return float(value)


def _is_zero(value: Hyper) -> bool:
    """True for a scalar zero (a block may then be skipped exactly as torch does)."""
    return not isinstance(value, np.ndarray) and value == 0


def _zeros(params: Array) -> Array:
    return np.zeros_like(params, dtype=np.float64)


# ---------------------------------------------------------------- building blocks


def chain(*links: GradientTransformation) -> GradientTransformation:
    """Apply transformations one after the other, each feeding its updates to the next."""

    def init(params: Array) -> ChainState:
        return ChainState(tuple(t.init(params) for t in links))

    def update(grads: Array, state: ChainState, params: Array) -> tuple[Array, ChainState]:
        new = []
        for t, s in zip(links, state.inner, strict=True):
            grads, s = t.update(grads, s, params)
            new.append(s)
        return grads, ChainState(tuple(new))

    return GradientTransformation(init, update)


def _stateless(fn: Callable[[Array, Array], Array]) -> GradientTransformation:
    def update(grads: Array, state: EmptyState, params: Array) -> tuple[Array, EmptyState]:
        with np.errstate(all="ignore"):
            return fn(grads, params), state

    return GradientTransformation(lambda params: EmptyState(), update)


def identity() -> GradientTransformation:
    """Pass updates through unchanged."""
    return _stateless(lambda g, p: g)


def add_decayed_weights(weight_decay: Hyper) -> GradientTransformation:
    """Add `weight_decay * params`: L2 (before scaling) or decoupled decay (just before the lr)."""
    if _is_zero(weight_decay):
        return identity()
    return _stateless(lambda g, p: g + weight_decay * p)


def scale_by_learning_rate(lr: Hyper) -> GradientTransformation:
    """Multiply by `-lr` (descent)."""
    return _stateless(lambda g, p: -lr * g)


def trace(
    momentum: Hyper, dampening: Hyper = 0.0, nesterov: bool = False
) -> GradientTransformation:
    """Heavy-ball momentum buffer as in torch SGD (first step: buffer = grad) and RMSprop."""

    def init(params: Array) -> TraceState:
        return TraceState(_zeros(params), 0)

    def update(grads: Array, state: TraceState, params: Array) -> tuple[Array, TraceState]:
        with np.errstate(all="ignore"):
            first = state.count == 0  # the buffer starts as the first gradient
            buf = grads if first else momentum * state.trace + (1 - dampening) * grads  # buffer
            out = grads + momentum * buf if nesterov else buf  # Nesterov look-ahead or plain
            if isinstance(momentum, np.ndarray):
                out = np.where(momentum == 0, grads, out)  # torch skips the buffer at 0
        return out, TraceState(buf, state.count + 1)

    return GradientTransformation(init, update)


def scale_by_adagrad(
    initial_accumulator_value: Hyper = 0.0, eps: Hyper = 1e-10, lr_decay: Hyper = 0.0
) -> GradientTransformation:
    """AdaGrad: divide by the root of the summed squared gradients; decay steps by 1/(1+(t-1)d)."""

    def init(params: Array) -> AdagradState:
        return AdagradState(np.full_like(params, initial_accumulator_value, np.float64), 0)

    def update(grads: Array, state: AdagradState, params: Array) -> tuple[Array, AdagradState]:
        t = state.count + 1
        with np.errstate(all="ignore"):
            sum_sq = state.sum_sq + grads * grads  # accumulated squared gradients
            decay = 1 + (t - 1) * lr_decay  # learning-rate decay factor
            out = grads / (np.sqrt(sum_sq) + eps) / decay  # per-coordinate scaled step
        return out, AdagradState(sum_sq, t)

    return GradientTransformation(init, update)


def scale_by_rms(alpha: Hyper = 0.99, eps: Hyper = 1e-8, centered: bool = False):
    """RMSprop: divide by the root of a running mean of g^2 (minus the mean^2 if centered)."""

    def init(params: Array) -> RmsState:
        return RmsState(_zeros(params), _zeros(params))

    def update(grads: Array, state: RmsState, params: Array) -> tuple[Array, RmsState]:
        with np.errstate(all="ignore"):
            nu = alpha * state.nu + (1 - alpha) * grads * grads  # running mean of g^2
            mu_g = state.mu_g
            if centered:
                mu_g = mu_g + (1 - alpha) * (grads - mu_g)  # running mean of g
                avg = np.sqrt(nu - mu_g * mu_g) + eps  # running std
            else:
                avg = np.sqrt(nu) + eps  # running RMS
            out = grads / avg
        return out, RmsState(nu, mu_g)

    return GradientTransformation(init, update)


def scale_by_adam(
    b1: Hyper = 0.9, b2: Hyper = 0.999, eps: Hyper = 1e-8, amsgrad: bool = False
) -> GradientTransformation:
    """Adam direction m_hat / (sqrt(v_hat) + eps); with AMSGrad v is its running maximum."""

    def init(params: Array) -> AdamState:
        return AdamState(_zeros(params), _zeros(params), _zeros(params), 0)

    def update(grads: Array, state: AdamState, params: Array) -> tuple[Array, AdamState]:
        t = state.count + 1
        with np.errstate(all="ignore"):
            mu = state.mu + (1 - b1) * (grads - state.mu)  # first moment
            nu = b2 * state.nu + (1 - b2) * grads * grads  # second moment
            nu_max = np.maximum(state.nu_max, nu) if amsgrad else state.nu_max  # AMSGrad max
            bc1 = 1 - b1**t  # bias correction of the first moment
            bc2 = 1 - b2**t  # bias correction of the second moment
            denom = np.sqrt(nu_max if amsgrad else nu) / np.sqrt(bc2) + eps
            out = mu / bc1 / denom
        return out, AdamState(mu, nu, nu_max, t)

    return GradientTransformation(init, update)


def scale_by_adamax(b1: Hyper = 0.9, b2: Hyper = 0.999, eps: Hyper = 1e-8):
    """Adamax direction m_hat / u with u = max(b2 u, |g| + eps)."""

    def init(params: Array) -> AdamaxState:
        return AdamaxState(_zeros(params), _zeros(params), 0)

    def update(grads: Array, state: AdamaxState, params: Array) -> tuple[Array, AdamaxState]:
        t = state.count + 1
        with np.errstate(all="ignore"):
            mu = state.mu + (1 - b1) * (grads - state.mu)  # first moment
            u = np.maximum(b2 * state.u, np.abs(grads) + eps)  # infinity-norm moment
            out = mu / u / (1 - b1**t)  # bias-corrected first moment over u
        return out, AdamaxState(mu, u, t)

    return GradientTransformation(init, update)


def scale_by_nadam(
    b1: Hyper = 0.9, b2: Hyper = 0.999, eps: Hyper = 1e-8, momentum_decay: Hyper = 4e-3
) -> GradientTransformation:
    """NAdam direction: Nesterov-style mix of gradient and first moment with a decaying schedule."""

    def init(params: Array) -> NadamState:
        return NadamState(_zeros(params), _zeros(params), 1.0, 0)

    def update(grads: Array, state: NadamState, params: Array) -> tuple[Array, NadamState]:
        t = state.count + 1
        with np.errstate(all="ignore"):
            mu_t = b1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))  # momentum schedule now
            mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))  # and next step
            prod = state.mu_product * mu_t  # product of the schedule so far
            mu = state.mu + (1 - b1) * (grads - state.mu)  # first moment
            nu = b2 * state.nu + (1 - b2) * grads * grads  # second moment
            denom = np.sqrt(nu / (1 - b2**t)) + eps  # bias-corrected RMS
            out = (1 - mu_t) / (1 - prod) * grads / denom  # gradient part
            out = out + mu_next / (1 - prod * mu_next) * mu / denom  # look-ahead momentum part
        return out, NadamState(mu, nu, prod, t)

    return GradientTransformation(init, update)


def scale_by_radam(b1: Hyper = 0.9, b2: Hyper = 0.999, eps: Hyper = 1e-8):
    """RAdam direction: rectified Adam step once the variance estimate is tractable, else m_hat."""

    def init(params: Array) -> AdamState:
        return AdamState(_zeros(params), _zeros(params), _zeros(params), 0)

    def update(grads: Array, state: AdamState, params: Array) -> tuple[Array, AdamState]:
        t = state.count + 1
        with np.errstate(all="ignore"):
            mu = state.mu + (1 - b1) * (grads - state.mu)  # first moment
            nu = b2 * state.nu + (1 - b2) * grads * grads  # second moment
            bc2 = 1 - b2**t  # bias correction of the second moment
            m_hat = mu / (1 - b1**t)  # bias-corrected first moment
            rho_inf = 2 / (1 - b2) - 1  # max length of the approximated SMA
            rho_t = rho_inf - 2 * t * b2**t / bc2  # its length at step t
            rect = np.sqrt(
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            )  # variance rectification
            adaptive = np.sqrt(bc2) / (np.sqrt(nu) + eps)  # adaptive scale
            out = np.where(rho_t > 5.0, m_hat * adaptive * rect, m_hat)
        return out, AdamState(mu, nu, state.nu_max, t)

    return GradientTransformation(init, update)


def scale_by_adadelta(rho: Hyper = 0.9, eps: Hyper = 1e-6) -> GradientTransformation:
    """Adadelta: scale by RMS(past updates) / RMS(gradients)."""

    def init(params: Array) -> AdadeltaState:
        return AdadeltaState(_zeros(params), _zeros(params))

    def update(grads: Array, state: AdadeltaState, params: Array) -> tuple[Array, AdadeltaState]:
        with np.errstate(all="ignore"):
            nu = rho * state.nu + (1 - rho) * grads * grads  # running mean of g^2
            delta = np.sqrt(state.delta_sq + eps) / np.sqrt(nu + eps) * grads  # unit-corrected step
            delta_sq = rho * state.delta_sq + (1 - rho) * delta * delta  # running mean of step^2
        return delta, AdadeltaState(nu, delta_sq)

    return GradientTransformation(init, update)


def scale_by_lion(b1: Hyper = 0.9, b2: Hyper = 0.99) -> GradientTransformation:
    """Lion: sign of an interpolation of momentum and gradient; momentum tracked with b2."""

    def init(params: Array) -> LionState:
        return LionState(_zeros(params))

    def update(grads: Array, state: LionState, params: Array) -> tuple[Array, LionState]:
        with np.errstate(all="ignore"):
            out = np.sign(b1 * state.mu + (1 - b1) * grads)  # sign of the interpolation
            mu = b2 * state.mu + (1 - b2) * grads  # momentum
        return out, LionState(mu)

    return GradientTransformation(init, update)


def newton_direction(h: Array, g: Array, damping: Hyper = 0.0, tiny: float = 1e-12) -> Array:
    """Solve (H + damping I) d = g for a batch; nearly singular systems use the pseudo-inverse.

    `h` is (N, 2, 2), `g` is (N, 2). A system counts as singular when |det| <= tiny * ||H||_F^2
    (scale-free); there `d = pinv(H) g` (singular values below 1e-10 of the largest are dropped),
    i.e. the minimum-norm least-squares step, which moves only along well-curved directions.
    Rows with a non-finite Hessian or gradient give NaN.
    """
    with np.errstate(all="ignore"):
        damping = np.asarray(damping, dtype=np.float64)
        h = h + (damping[..., None] if damping.ndim else damping) * np.eye(2)  # damped Hessian
        h = np.broadcast_to(h, (g.shape[0], 2, 2))
        a, b, c, d = h[:, 0, 0], h[:, 0, 1], h[:, 1, 0], h[:, 1, 1]
        det = a * d - b * c
        scale = (h * h).sum(axis=(1, 2))
        finite = np.isfinite(h).all(axis=(1, 2)) & np.isfinite(g).all(axis=1)
        singular = finite & ~(np.abs(det) > tiny * scale)
        out = np.stack([d * g[:, 0] - b * g[:, 1], a * g[:, 1] - c * g[:, 0]], axis=1)
        out = out / det[:, None]  # adjugate / det: exact 2x2 inverse
        if singular.any():
            pinv = np.linalg.pinv(h[singular], rcond=1e-10)
            out[singular] = np.einsum("nij,nj->ni", pinv, g[singular])
        out[~finite] = np.nan
    return out


def scale_by_newton(hessian: Hessian, damping: Hyper = 0.0) -> GradientTransformation:
    """Newton direction (H + damping I)^{-1} g with the exact Hessian at the current params."""

    def update(grads: Array, state: EmptyState, params: Array) -> tuple[Array, EmptyState]:
        with np.errstate(all="ignore"):
            h = np.asarray(hessian(params), dtype=np.float64)
        return newton_direction(h, grads, damping), state

    return GradientTransformation(lambda params: EmptyState(), update)


# ---------------------------------------------------------------- named optimizers


def _betas(betas: Any) -> tuple[Hyper, Hyper]:
    b1, b2 = betas
    return _h(b1), _h(b2)


def _decay(weight_decay: Hyper, decoupled: bool, scale: GradientTransformation, lr: Hyper):
    """L2 decay enters the gradient; decoupled decay is added to the direction before the lr."""
    if decoupled:
        return chain(scale, add_decayed_weights(weight_decay), scale_by_learning_rate(lr))
    return chain(add_decayed_weights(weight_decay), scale, scale_by_learning_rate(lr))


def sgd(
    lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, hessian=None
) -> GradientTransformation:
    """SGD with optional heavy-ball / Nesterov momentum (Robbins & Monro 1951; Sutskever 2013).

    g <- g + wd p;  b <- mu b + (1 - tau) g (b_1 = g);  d = g + mu b (Nesterov) or b;
    p <- p - lr d.
    """
    lr, momentum, dampening, wd = map(_h, (lr, momentum, dampening, weight_decay))
    links = [add_decayed_weights(wd)]
    if not _is_zero(momentum):
        links.append(trace(momentum, dampening, bool(nesterov)))
    return chain(*links, scale_by_learning_rate(lr))


def adagrad(
    lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10, hessian=None
) -> GradientTransformation:
    """AdaGrad (Duchi, Hazan & Singer, JMLR 2011).

    g <- g + wd p;  s <- s + g^2;  p <- p - lr / (1 + (t-1) lr_decay) * g / (sqrt(s) + eps).
    """
    lr, lr_decay, wd, acc, eps = map(
        _h, (lr, lr_decay, weight_decay, initial_accumulator_value, eps)
    )
    return _decay(wd, False, scale_by_adagrad(acc, eps, lr_decay), lr)


def rmsprop(
    lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False, hessian=None
) -> GradientTransformation:
    """RMSprop (Hinton, Lecture 6e of Neural Networks for Machine Learning, Coursera 2012).

    v <- alpha v + (1-alpha) g^2;  (centered: m <- alpha m + (1-alpha) g, v~ = v - m^2);
    b <- mu b + g / (sqrt(v~) + eps);  p <- p - lr b.
    """
    lr, alpha, eps, wd, momentum = map(_h, (lr, alpha, eps, weight_decay, momentum))
    links = [add_decayed_weights(wd), scale_by_rms(alpha, eps, bool(centered))]
    if not _is_zero(momentum):
        links.append(trace(momentum))
    return chain(*links, scale_by_learning_rate(lr))


def adam(
    lr=1e-3,
    betas=(0.9, 0.999),
    eps=1e-8,
    weight_decay=0.0,
    amsgrad=False,
    decoupled_weight_decay=False,
    hessian=None,
) -> GradientTransformation:
    """Adam (Kingma & Ba, ICLR 2015); AMSGrad (Reddi, Kale & Kumar, ICLR 2018) when amsgrad.

    m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;  (AMSGrad: v <- max(v_max, v));
    p <- p - lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps).
    """
    b1, b2 = _betas(betas)
    lr, eps, wd = map(_h, (lr, eps, weight_decay))
    return _decay(wd, bool(decoupled_weight_decay), scale_by_adam(b1, b2, eps, bool(amsgrad)), lr)


def amsgrad(
    lr=1e-3,
    betas=(0.9, 0.999),
    eps=1e-8,
    weight_decay=0.0,
    decoupled_weight_decay=False,
    hessian=None,
) -> GradientTransformation:
    """AMSGrad (Reddi, Kale & Kumar, ICLR 2018): Adam with the running max of v as denominator."""
    return adam(lr, betas, eps, weight_decay, True, decoupled_weight_decay)


def adamw(
    lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, hessian=None
) -> GradientTransformation:
    """AdamW (Loshchilov & Hutter, ICLR 2019): Adam, decay decoupled: p <- p - lr(adam + wd p)."""
    return adam(lr, betas, eps, weight_decay, amsgrad, True)


def adamax(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, hessian=None):
    """Adamax (Kingma & Ba, ICLR 2015, sec. 7.1).

    m <- b1 m + (1-b1) g;  u <- max(b2 u, |g| + eps);  p <- p - lr/(1-b1^t) * m / u.
    """
    b1, b2 = _betas(betas)
    lr, eps, wd = map(_h, (lr, eps, weight_decay))
    return _decay(wd, False, scale_by_adamax(b1, b2, eps), lr)


def nadam(
    lr=2e-3,
    betas=(0.9, 0.999),
    eps=1e-8,
    weight_decay=0.0,
    momentum_decay=4e-3,
    decoupled_weight_decay=False,
    hessian=None,
) -> GradientTransformation:
    """NAdam (Dozat, Incorporating Nesterov Momentum into Adam, ICLR 2016 workshop).

    mu_t = b1 (1 - 0.96^{t psi} / 2);  m, v as Adam;  d = sqrt(v / (1-b2^t)) + eps;
    p <- p - lr [(1-mu_t)/(1-prod_{i<=t} mu_i) g + mu_{t+1}/(1-prod_{i<=t+1} mu_i) m] / d.
    """
    b1, b2 = _betas(betas)
    lr, eps, wd, psi = map(_h, (lr, eps, weight_decay, momentum_decay))
    return _decay(wd, bool(decoupled_weight_decay), scale_by_nadam(b1, b2, eps, psi), lr)


def radam(
    lr=1e-3,
    betas=(0.9, 0.999),
    eps=1e-8,
    weight_decay=0.0,
    decoupled_weight_decay=False,
    hessian=None,
) -> GradientTransformation:
    """RAdam (Liu et al., On the Variance of the Adaptive Learning Rate and Beyond, ICLR 2020).

    rho_inf = 2/(1-b2) - 1;  rho_t = rho_inf - 2 t b2^t/(1-b2^t);  if rho_t > 5:
    p <- p - lr m_hat r_t sqrt(1-b2^t)/(sqrt(v)+eps), r_t = sqrt((rho_t-4)(rho_t-2)rho_inf /
    ((rho_inf-4)(rho_inf-2)rho_t)); else p <- p - lr m_hat.
    """
    b1, b2 = _betas(betas)
    lr, eps, wd = map(_h, (lr, eps, weight_decay))
    return _decay(wd, bool(decoupled_weight_decay), scale_by_radam(b1, b2, eps), lr)


def adadelta(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, hessian=None) -> GradientTransformation:
    """Adadelta (Zeiler, ADADELTA: An Adaptive Learning Rate Method, arXiv:1212.5701, 2012).

    v <- rho v + (1-rho) g^2;  dx = sqrt(u + eps)/sqrt(v + eps) g;  u <- rho u + (1-rho) dx^2;
    p <- p - lr dx.
    """
    lr, rho, eps, wd = map(_h, (lr, rho, eps, weight_decay))
    return _decay(wd, False, scale_by_adadelta(rho, eps), lr)


def lion(lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0, hessian=None) -> GradientTransformation:
    """Lion (Chen et al., Symbolic Discovery of Optimization Algorithms, NeurIPS 2023).

    c = b1 m + (1-b1) g;  p <- p - lr (sign(c) + wd p);  m <- b2 m + (1-b2) g.
    """
    b1, b2 = _betas(betas)
    lr, wd = map(_h, (lr, weight_decay))
    return _decay(wd, True, scale_by_lion(b1, b2), lr)


def newton(lr=1.0, damping=0.0, hessian: Hessian | None = None) -> GradientTransformation:
    """Damped Newton's method with the exact Hessian: p <- p - lr (H + damping I)^{-1} g.

    Newton solves for the point where the local quadratic model has zero gradient, so it is drawn
    to every stationary point: minima, saddles and maxima alike (on x^2 - y^2 it jumps straight
    onto the saddle). Where H + damping I is singular or nearly so (|det| <= 1e-12 ||H||_F^2), the
    step uses the pseudo-inverse: the minimum-norm least-squares solution, which takes no step
    along flat directions. `damping > 0` regularises (Levenberg-style) and shortens steps.
    """
    if hessian is None:
        raise ValueError("newton needs the function's Hessian")
    lr, damping = _h(lr), _h(damping)
    return chain(scale_by_newton(hessian, damping), scale_by_learning_rate(lr))


# ---------------------------------------------------------------- catalogue


@dataclass(frozen=True)
class Kind:
    """A named optimizer the scenario files can ask for."""

    name: str
    title: str
    defaults: Mapping[str, Any]  # every accepted hyperparameter -> its default (torch's)
    make: Callable[..., GradientTransformation]  # make(**hyper, hessian=None)
    rule_lines: tuple[str, ...]  # the update rule, one mathtext equation per entry
    paper: str
    summary: str
    needs_hessian: bool = False


_BETAS = (0.9, 0.999)
_ADAM_RULE = (
    r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t",
    r"v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2",
    r"\hat m_t = m_t / (1-\beta_1^t),\quad \hat v_t = v_t / (1-\beta_2^t)",
    r"\theta_t = \theta_{t-1} - \eta\, \hat m_t / (\sqrt{\hat v_t} + \epsilon)",
)
_ADAM_PAPER = "Kingma & Ba, Adam: A Method for Stochastic Optimization, ICLR 2015"
_AMSGRAD_PAPER = "Reddi, Kale & Kumar, On the Convergence of Adam and Beyond, ICLR 2018"
_SGD_PAPER = "Robbins & Monro, A Stochastic Approximation Method, Ann. Math. Stat. 1951"

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "sgd",
            "SGD",
            {"lr": 1e-3, "momentum": 0.0, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False},
            sgd,
            (r"\theta_t = \theta_{t-1} - \eta\, g_t",),
            _SGD_PAPER,
            "Steps straight down the local slope, by the learning rate times the gradient. "
            "It is slow along flat valleys and zig-zags or blows up across steep ones once the "
            "learning rate passes 2 / curvature.",
        ),
        Kind(
            "momentum",
            "Momentum",
            {"lr": 1e-3, "momentum": 0.9, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False},
            sgd,
            (
                r"b_t = \mu\, b_{t-1} + (1-\tau)\, g_t,\quad b_1 = g_1",
                r"\theta_t = \theta_{t-1} - \eta\, b_t",
            ),
            "Polyak, Some methods of speeding up the convergence of iteration methods, "
            "USSR Comp. Math. Math. Phys. 1964",
            "Keeps a velocity that accumulates past gradients, like a heavy ball rolling downhill. "
            "It speeds through long shallow valleys and damps zig-zag, but overshoots and "
            "oscillates around minima.",
        ),
        Kind(
            "nesterov",
            "Nesterov",
            {"lr": 1e-3, "momentum": 0.9, "dampening": 0.0, "weight_decay": 0.0, "nesterov": True},
            sgd,
            (
                r"b_t = \mu\, b_{t-1} + g_t,\quad b_1 = g_1",
                r"\theta_t = \theta_{t-1} - \eta\, (g_t + \mu\, b_t)",
            ),
            "Sutskever, Martens, Dahl & Hinton, On the importance of initialization and momentum "
            "in deep learning, ICML 2013 (after Nesterov 1983)",
            "Momentum with a look-ahead: the step uses the gradient plus the velocity it is about "
            "to apply. It reacts to curvature a step earlier than plain momentum, so it "
            "overshoots less.",
        ),
        Kind(
            "adagrad",
            "AdaGrad",
            {
                "lr": 1e-2,
                "lr_decay": 0.0,
                "weight_decay": 0.0,
                "initial_accumulator_value": 0.0,
                "eps": 1e-10,
            },
            adagrad,
            (
                r"s_t = s_{t-1} + g_t^2",
                r"\theta_t = \theta_{t-1} - \frac{\eta}{1 + (t-1)\lambda}\,"
                r" \frac{g_t}{\sqrt{s_t} + \epsilon}",
            ),
            "Duchi, Hazan & Singer, Adaptive Subgradient Methods for Online Learning and "
            "Stochastic Optimization, JMLR 2011",
            "Gives every coordinate its own step size, divided by the root of all its squared "
            "gradients so far. Badly scaled problems become well scaled, but the steps only ever "
            "shrink, so it can stall before reaching the minimum.",
        ),
        Kind(
            "rmsprop",
            "RMSprop",
            {
                "lr": 1e-2,
                "alpha": 0.99,
                "eps": 1e-8,
                "weight_decay": 0.0,
                "momentum": 0.0,
                "centered": False,
            },
            rmsprop,
            (
                r"v_t = \alpha\, v_{t-1} + (1-\alpha)\, g_t^2",
                r"b_t = \mu\, b_{t-1} + g_t / (\sqrt{v_t} + \epsilon)",
                r"\theta_t = \theta_{t-1} - \eta\, b_t",
            ),
            "Hinton, Srivastava & Swersky, Neural Networks for Machine Learning, Lecture 6e, 2012",
            "Like AdaGrad but divides by a running average of squared gradients instead of their "
            "sum, so step sizes adapt without decaying to zero. Each coordinate moves about lr "
            "per step regardless of gradient scale.",
        ),
        Kind(
            "adam",
            "Adam",
            {
                "lr": 1e-3,
                "betas": _BETAS,
                "eps": 1e-8,
                "weight_decay": 0.0,
                "amsgrad": False,
                "decoupled_weight_decay": False,
            },
            adam,
            _ADAM_RULE,
            _ADAM_PAPER,
            "Combines momentum (a running mean of gradients) with RMSprop-style scaling (a running "
            "mean of squared gradients), both bias-corrected for the zero start. Steps are roughly "
            "lr per coordinate, so it is robust to gradient scale but may circle around minima.",
        ),
        Kind(
            "amsgrad",
            "AMSGrad",
            {
                "lr": 1e-3,
                "betas": _BETAS,
                "eps": 1e-8,
                "weight_decay": 0.0,
                "decoupled_weight_decay": False,
            },
            amsgrad,
            (
                *_ADAM_RULE[:2],
                r"\hat v^{max}_t = \max(\hat v^{max}_{t-1}, v_t)",
                r"\theta_t = \theta_{t-1} - \frac{\eta}{1-\beta_1^t}\,"
                r" \frac{m_t}{\sqrt{\hat v^{max}_t / (1-\beta_2^t)} + \epsilon}",
            ),
            _AMSGRAD_PAPER,
            "Adam that divides by the largest second moment seen so far rather than the current "
            "one, so the effective step size never grows again. This fixes Adam's convergence "
            "counterexamples and makes it calmer after large gradients.",
        ),
        Kind(
            "adamw",
            "AdamW",
            {"lr": 1e-3, "betas": _BETAS, "eps": 1e-8, "weight_decay": 1e-2, "amsgrad": False},
            adamw,
            (
                *_ADAM_RULE[:3],
                r"\theta_t = \theta_{t-1} - \eta\, (\hat m_t / (\sqrt{\hat v_t} "
                r"+ \epsilon) + \lambda\, \theta_{t-1})",
            ),
            "Loshchilov & Hutter, Decoupled Weight Decay Regularization, ICLR 2019",
            "Adam with weight decay applied directly to the parameters instead of through the "
            "gradient, so decay is not rescaled by the adaptive denominator. It pulls every point "
            "slightly toward the origin at a rate of lr * weight_decay per step.",
        ),
        Kind(
            "adamax",
            "Adamax",
            {"lr": 2e-3, "betas": _BETAS, "eps": 1e-8, "weight_decay": 0.0},
            adamax,
            (
                r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t",
                r"u_t = \max(\beta_2 u_{t-1}, |g_t| + \epsilon)",
                r"\theta_t = \theta_{t-1} - \frac{\eta}{1-\beta_1^t}\, m_t / u_t",
            ),
            _ADAM_PAPER + " (section 7.1)",
            "An Adam variant that scales by an exponentially decaying maximum of gradient "
            "magnitudes (the infinity norm) instead of their root mean square. It is less "
            "sensitive to rare large gradients and needs no bias correction of the denominator.",
        ),
        Kind(
            "nadam",
            "NAdam",
            {
                "lr": 2e-3,
                "betas": _BETAS,
                "eps": 1e-8,
                "weight_decay": 0.0,
                "momentum_decay": 4e-3,
                "decoupled_weight_decay": False,
            },
            nadam,
            (
                r"\mu_t = \beta_1 (1 - \frac{1}{2}\, 0.96^{t\psi})",
                *_ADAM_RULE[:2],
                r"\theta_t = \theta_{t-1} - \eta\, \frac{\frac{1-\mu_t}{1-\Pi_{i\leq t}\mu_i}\, "
                r"g_t + \frac{\mu_{t+1}}{1-\Pi_{i\leq t+1}\mu_i}\, m_t}"
                r"{\sqrt{v_t/(1-\beta_2^t)} + \epsilon}",
            ),
            "Dozat, Incorporating Nesterov Momentum into Adam, ICLR 2016 Workshop",
            "Adam with Nesterov's look-ahead: the step mixes the current gradient with the "
            "momentum it is about to take, using a slowly warming momentum schedule. It tends to "
            "turn corners a little faster than Adam.",
        ),
        Kind(
            "radam",
            "RAdam",
            {
                "lr": 1e-3,
                "betas": _BETAS,
                "eps": 1e-8,
                "weight_decay": 0.0,
                "decoupled_weight_decay": False,
            },
            radam,
            (
                *_ADAM_RULE[:2],
                r"\rho_\infty = 2/(1-\beta_2) - 1,\quad "
                r"\rho_t = \rho_\infty - 2t\beta_2^t/(1-\beta_2^t)",
                r"r_t = \sqrt{\frac{(\rho_t-4)(\rho_t-2)\rho_\infty}"
                r"{(\rho_\infty-4)(\rho_\infty-2)\rho_t}}",
                r"\theta_t = \theta_{t-1} - \eta\, \hat m_t\, r_t\, \sqrt{1-\beta_2^t}"
                r" / (\sqrt{v_t} + \epsilon)\quad (\rho_t > 5)",
                r"\theta_t = \theta_{t-1} - \eta\, \hat m_t\quad (\rho_t \leq 5)",
            ),
            "Liu et al., On the Variance of the Adaptive Learning Rate and Beyond, ICLR 2020",
            "Adam with a built-in warm-up. While the second-moment estimate is still too noisy "
            "(the first few steps) it takes plain bias-corrected momentum steps; after that it "
            "scales adaptively, times a rectification factor that grows toward one.",
        ),
        Kind(
            "adadelta",
            "Adadelta",
            {"lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0.0},
            adadelta,
            (
                r"v_t = \rho\, v_{t-1} + (1-\rho)\, g_t^2",
                r"\Delta_t = \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g_t",
                r"u_t = \rho\, u_{t-1} + (1-\rho)\, \Delta_t^2",
                r"\theta_t = \theta_{t-1} - \eta\, \Delta_t",
            ),
            "Zeiler, ADADELTA: An Adaptive Learning Rate Method, arXiv:1212.5701, 2012",
            "Scales each step by the ratio of the RMS of recent updates to the RMS of recent "
            "gradients, so steps carry the units of the parameters. It starts very slowly "
            "(steps of about sqrt(eps)) and speeds up as its update history grows.",
        ),
        Kind(
            "lion",
            "Lion",
            {"lr": 1e-4, "betas": (0.9, 0.99), "weight_decay": 0.0},
            lion,
            (
                r"c_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t",
                r"\theta_t = \theta_{t-1} - \eta\, (\mathrm{sign}(c_t) + \lambda\, \theta_{t-1})",
                r"m_t = \beta_2 m_{t-1} + (1-\beta_2)\, g_t",
            ),
            "Chen et al., Symbolic Discovery of Optimization Algorithms, NeurIPS 2023",
            "Moves every coordinate by exactly lr per step, in the direction of the sign of a "
            "blend of momentum and gradient. Its paths run along diagonals and it never settles "
            "exactly: near a minimum it hops back and forth at the lr scale.",
        ),
        Kind(
            "newton",
            "Newton",
            {"lr": 1.0, "damping": 0.0},
            newton,
            (r"\theta_t = \theta_{t-1} - \eta\, (H_t + \delta I)^{-1} g_t",),
            "Newton's method; damped form as in Nocedal & Wright, Numerical Optimization, 2006",
            "Jumps to the stationary point of the local quadratic model using the exact Hessian, "
            "so a quadratic bowl is solved in one step. It is attracted to saddles and maxima as "
            "readily as to minima; where the Hessian is (nearly) singular it uses the "
            "pseudo-inverse and takes no step along flat directions.",
            needs_hessian=True,
        ),
    )
}


def build(
    kind: str, hyper: Mapping[str, Any], hessian: Hessian | None = None
) -> GradientTransformation:
    """The optimizer `kind` with `hyper` (missing keys take the defaults)."""
    spec = KINDS[kind]
    return spec.make(**{**spec.defaults, **hyper}, hessian=hessian)


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


def velocity(state: NamedTuple) -> np.ndarray | None:
    """The momentum buffer / first moment (N, 2) if the optimizer keeps one, else None."""
    if isinstance(state, ChainState):
        for inner in state.inner:
            if (v := velocity(inner)) is not None:
                return v
        return None
    if isinstance(state, TraceState):
        return state.trace
    return getattr(state, "mu", None) if hasattr(state, "_fields") else None
