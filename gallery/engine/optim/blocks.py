"""Building blocks: optax-style pure transformations over (N, 2) float64 arrays.

A `GradientTransformation` is a pair of pure functions: `init(params) -> state` and
`update(grads, state, params) -> (updates, new_state)`; the caller applies `params + updates`.
Named optimizers are `chain`s of these blocks. Every hyperparameter may be a float or an array
broadcastable to (N, 1), so one run can sweep values across its start points. The update rules
follow torch.optim 2.x (single-tensor code path) line by line, in the style of jax's
`example_libraries/optimizers.py`: one line per quantity, each named in a comment.

Why some running averages use the lerp form. torch.optim computes Adam's first moment (and the
mean gradient of centered RMSprop) as `exp_avg.lerp_(grad, 1 - beta1)`, that is
`mu + (1 - b1) * (g - mu)`, not `b1 * mu + (1 - b1) * g`. The two are equal in exact arithmetic
but round differently in float64, and over hundreds of steps the difference grows past 1e-7; so
the blocks below use the lerp form wherever torch does, to match torch's trajectories to 1e-7.
"""

from __future__ import annotations

from collections.abc import Callable
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


def as_hyper(value: Any) -> Hyper:
    """A hyperparameter as a Python float or a float64 array."""
    if isinstance(value, np.ndarray):
        return value.astype(np.float64)
    return float(value)


def is_zero(value: Hyper) -> bool:
    """True for a scalar zero (a block may then be skipped exactly as torch does)."""
    return not isinstance(value, np.ndarray) and value == 0


def _zeros(params: Array) -> Array:
    return np.zeros_like(params, dtype=np.float64)


def _adam_init(params: Array) -> AdamState:
    return AdamState(_zeros(params), _zeros(params), _zeros(params), 0)


def _moments(grads: Array, state: Any, b1: Hyper, b2: Hyper) -> tuple[int, Array, Array]:
    """Step number, first and second moment after `grads` (the Adam family's shared start)."""
    t = state.count + 1  # step number
    mu = state.mu + (1 - b1) * (grads - state.mu)  # first moment, lerp form as torch
    nu = b2 * state.nu + (1 - b2) * grads * grads  # second moment
    return t, mu, nu


# ---------------------------------------------------------------- combinators


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
    """Add `weight_decay * params`: L2 (before scaling) or decoupled decay (just before the lr).

    Decoupled decay as in Loshchilov & Hutter, Decoupled Weight Decay Regularization, ICLR 2019.
    """
    if is_zero(weight_decay):
        return identity()
    return _stateless(lambda g, p: g + weight_decay * p)


def scale_by_learning_rate(lr: Hyper) -> GradientTransformation:
    """Multiply by `-lr` (descent)."""
    return _stateless(lambda g, p: -lr * g)


# ---------------------------------------------------------------- update rules


def trace(
    momentum: Hyper, dampening: Hyper = 0.0, nesterov: bool = False
) -> GradientTransformation:
    """Heavy-ball momentum buffer as in torch SGD (first step: buffer = grad) and RMSprop.

    Polyak, Some methods of speeding up the convergence of iteration methods, 1964; Nesterov form
    of Sutskever, Martens, Dahl & Hinton, On the importance of initialization and momentum in
    deep learning, ICML 2013.
    """

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
    """AdaGrad: divide by the root of the summed squared gradients; decay steps by 1/(1+(t-1)d).

    Duchi, Hazan & Singer, Adaptive Subgradient Methods for Online Learning and Stochastic
    Optimization, JMLR 2011.
    """

    def init(params: Array) -> AdagradState:
        return AdagradState(np.full_like(params, initial_accumulator_value, np.float64), 0)

    def update(grads: Array, state: AdagradState, params: Array) -> tuple[Array, AdagradState]:
        t = state.count + 1  # step number
        with np.errstate(all="ignore"):
            sum_sq = state.sum_sq + grads * grads  # accumulated squared gradients
            decay = 1 + (t - 1) * lr_decay  # learning-rate decay factor
            out = grads / (np.sqrt(sum_sq) + eps) / decay  # per-coordinate scaled step
        return out, AdagradState(sum_sq, t)

    return GradientTransformation(init, update)


def scale_by_rms(
    alpha: Hyper = 0.99, eps: Hyper = 1e-8, centered: bool = False
) -> GradientTransformation:
    """RMSprop: divide by the root of a running mean of g^2 (minus the mean^2 if centered).

    Hinton, Srivastava & Swersky, Neural Networks for Machine Learning, Lecture 6e, 2012;
    centered form of Graves, Generating Sequences With Recurrent Neural Networks, 2013.
    """

    def init(params: Array) -> RmsState:
        return RmsState(_zeros(params), _zeros(params))

    def update(grads: Array, state: RmsState, params: Array) -> tuple[Array, RmsState]:
        with np.errstate(all="ignore"):
            nu = alpha * state.nu + (1 - alpha) * grads * grads  # running mean of g^2
            mu_g = state.mu_g  # running mean of g (kept only when centered)
            if centered:
                mu_g = mu_g + (1 - alpha) * (grads - mu_g)  # mean of g, lerp form as torch
                avg = np.sqrt(nu - mu_g * mu_g) + eps  # running standard deviation
            else:
                avg = np.sqrt(nu) + eps  # running RMS
            out = grads / avg  # scaled gradient
        return out, RmsState(nu, mu_g)

    return GradientTransformation(init, update)


def scale_by_adam(
    b1: Hyper = 0.9, b2: Hyper = 0.999, eps: Hyper = 1e-8, amsgrad: bool = False
) -> GradientTransformation:
    """Adam direction m_hat / (sqrt(v_hat) + eps); with AMSGrad v is its running maximum.

    Kingma & Ba, Adam: A Method for Stochastic Optimization, ICLR 2015; AMSGrad from Reddi, Kale
    & Kumar, On the Convergence of Adam and Beyond, ICLR 2018.
    """

    def update(grads: Array, state: AdamState, params: Array) -> tuple[Array, AdamState]:
        with np.errstate(all="ignore"):
            t, mu, nu = _moments(grads, state, b1, b2)  # step number, first and second moment
            nu_max = np.maximum(state.nu_max, nu) if amsgrad else state.nu_max  # AMSGrad max
            bc1 = 1 - b1**t  # bias correction of the first moment
            bc2 = 1 - b2**t  # bias correction of the second moment
            denom = np.sqrt(nu_max if amsgrad else nu) / np.sqrt(bc2) + eps  # corrected RMS
            out = mu / bc1 / denom  # bias-corrected first moment over the RMS
        return out, AdamState(mu, nu, nu_max, t)

    return GradientTransformation(_adam_init, update)


def scale_by_adamax(
    b1: Hyper = 0.9, b2: Hyper = 0.999, eps: Hyper = 1e-8
) -> GradientTransformation:
    """Adamax direction m_hat / u with u = max(b2 u, |g| + eps).

    Kingma & Ba, Adam: A Method for Stochastic Optimization, ICLR 2015, section 7.1.
    """

    def init(params: Array) -> AdamaxState:
        return AdamaxState(_zeros(params), _zeros(params), 0)

    def update(grads: Array, state: AdamaxState, params: Array) -> tuple[Array, AdamaxState]:
        t = state.count + 1  # step number
        with np.errstate(all="ignore"):
            mu = state.mu + (1 - b1) * (grads - state.mu)  # first moment, lerp form as torch
            u = np.maximum(b2 * state.u, np.abs(grads) + eps)  # infinity-norm moment
            out = mu / u / (1 - b1**t)  # bias-corrected first moment over u
        return out, AdamaxState(mu, u, t)

    return GradientTransformation(init, update)


def scale_by_nadam(
    b1: Hyper = 0.9, b2: Hyper = 0.999, eps: Hyper = 1e-8, momentum_decay: Hyper = 4e-3
) -> GradientTransformation:
    """NAdam direction: Nesterov-style mix of gradient and first moment with a decaying schedule.

    Dozat, Incorporating Nesterov Momentum into Adam, ICLR 2016 workshop.
    """

    def init(params: Array) -> NadamState:
        return NadamState(_zeros(params), _zeros(params), 1.0, 0)

    def update(grads: Array, state: NadamState, params: Array) -> tuple[Array, NadamState]:
        with np.errstate(all="ignore"):
            t, mu, nu = _moments(grads, state, b1, b2)  # step number, first and second moment
            mu_t = b1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))  # momentum schedule now
            mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))  # and next step
            prod = state.mu_product * mu_t  # product of the schedule so far
            denom = np.sqrt(nu / (1 - b2**t)) + eps  # bias-corrected RMS
            out = (1 - mu_t) / (1 - prod) * grads / denom  # gradient part
            out = out + mu_next / (1 - prod * mu_next) * mu / denom  # look-ahead momentum part
        return out, NadamState(mu, nu, prod, t)

    return GradientTransformation(init, update)


def scale_by_radam(b1: Hyper = 0.9, b2: Hyper = 0.999, eps: Hyper = 1e-8) -> GradientTransformation:
    """RAdam direction: rectified Adam step once the variance estimate is tractable, else m_hat.

    Liu et al., On the Variance of the Adaptive Learning Rate and Beyond, ICLR 2020.
    """

    def update(grads: Array, state: AdamState, params: Array) -> tuple[Array, AdamState]:
        with np.errstate(all="ignore"):
            t, mu, nu = _moments(grads, state, b1, b2)  # step number, first and second moment
            bc2 = 1 - b2**t  # bias correction of the second moment
            m_hat = mu / (1 - b1**t)  # bias-corrected first moment
            rho_inf = 2 / (1 - b2) - 1  # max length of the approximated SMA
            rho_t = rho_inf - 2 * t * b2**t / bc2  # its length at step t
            rect = np.sqrt(
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            )  # variance rectification
            adaptive = np.sqrt(bc2) / (np.sqrt(nu) + eps)  # adaptive scale
            out = np.where(rho_t > 5.0, m_hat * adaptive * rect, m_hat)  # rectified or plain
        return out, AdamState(mu, nu, state.nu_max, t)

    return GradientTransformation(_adam_init, update)


def scale_by_adadelta(rho: Hyper = 0.9, eps: Hyper = 1e-6) -> GradientTransformation:
    """Adadelta: scale by RMS(past updates) / RMS(gradients).

    Zeiler, ADADELTA: An Adaptive Learning Rate Method, arXiv:1212.5701, 2012.
    """

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
    """Lion: sign of an interpolation of momentum and gradient; momentum tracked with b2.

    Chen et al., Symbolic Discovery of Optimization Algorithms, NeurIPS 2023.
    """

    def init(params: Array) -> LionState:
        return LionState(_zeros(params))

    def update(grads: Array, state: LionState, params: Array) -> tuple[Array, LionState]:
        with np.errstate(all="ignore"):
            out = np.sign(b1 * state.mu + (1 - b1) * grads)  # sign of the interpolation
            mu = b2 * state.mu + (1 - b2) * grads  # momentum (first moment)
        return out, LionState(mu)

    return GradientTransformation(init, update)


def newton_direction(h: Array, g: Array, damping: Hyper = 0.0, tiny: float = 1e-12) -> Array:
    """Solve (H + damping I) d = g for a batch; nearly singular systems use the pseudo-inverse.

    `h` is (N, 2, 2), `g` is (N, 2). A system counts as singular when |det| <= tiny * ||H||_F^2
    (scale-free); there `d = pinv(H) g` (singular values below 1e-10 of the largest are dropped),
    i.e. the minimum-norm least-squares step, which moves only along well-curved directions.
    Rows with a non-finite Hessian or gradient give NaN. Damping as in Levenberg (1944) and
    Nocedal & Wright, Numerical Optimization, 2006.
    """
    with np.errstate(all="ignore"):
        damping = np.asarray(damping, dtype=np.float64)
        h = h + (damping[..., None] if damping.ndim else damping) * np.eye(2)  # damped Hessian
        h = np.broadcast_to(h, (g.shape[0], 2, 2))  # one matrix per point
        a, b, c, d = h[:, 0, 0], h[:, 0, 1], h[:, 1, 0], h[:, 1, 1]  # its entries
        det = a * d - b * c  # determinant
        scale = (h * h).sum(axis=(1, 2))  # squared Frobenius norm
        finite = np.isfinite(h).all(axis=(1, 2)) & np.isfinite(g).all(axis=1)  # usable rows
        singular = finite & ~(np.abs(det) > tiny * scale)  # (nearly) singular rows
        out = np.stack([d * g[:, 0] - b * g[:, 1], a * g[:, 1] - c * g[:, 0]], axis=1)  # adj g
        out = out / det[:, None]  # adjugate / det: exact 2x2 inverse
        if singular.any():
            pinv = np.linalg.pinv(h[singular], rcond=1e-10)  # pseudo-inverse
            out[singular] = np.einsum("nij,nj->ni", pinv, g[singular])  # min-norm step
        out[~finite] = np.nan  # no step from a non-finite row
    return out


def scale_by_newton(hessian: Hessian, damping: Hyper = 0.0) -> GradientTransformation:
    """Newton direction (H + damping I)^{-1} g with the exact Hessian at the current params.

    Newton's method; damped form as in Nocedal & Wright, Numerical Optimization, 2006.
    """

    def update(grads: Array, state: EmptyState, params: Array) -> tuple[Array, EmptyState]:
        with np.errstate(all="ignore"):
            h = np.asarray(hessian(params), dtype=np.float64)  # exact Hessian at the point
        return newton_direction(h, grads, damping), state  # (H + damping I)^-1 g

    return GradientTransformation(lambda params: EmptyState(), update)


# ---------------------------------------------------------------- inspection


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
