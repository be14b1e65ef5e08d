r"""The notation of the update rules: one symbol, one meaning, across every optimizer.

Rules are matplotlib mathtext. A subscript that contains t or i (t, t-1, t+1, i) or is 0 indexes
steps, so `m_{t-1}`, `m_t` and `m_0` are the one symbol m at different steps; any other subscript
is part of the name (`\beta_1`, `\ell_\infty`). Words in rules are set in `\mathrm{...}`;
flags are named as in scenario files (`\mathrm{nesterov}`). Each kind's legend is a tuple of
entries of `SYMBOLS`, so a symbol's meaning is written once here for all of them.
"""

from __future__ import annotations

from typing import NamedTuple


class Symbol(NamedTuple):
    """One legend entry: the symbol in LaTeX, what it means, and its hyperparameter (or None)."""

    latex: str
    meaning: str
    hyper: str | None = None


SYMBOLS: dict[str, Symbol] = {
    s.latex: s
    for s in (
        # every rule
        Symbol(r"\theta_t", "the point (the parameters) after step t; at t = 0, the start point"),
        Symbol(r"g_t", "gradient of f at the point before step t"),
        Symbol(r"t", "step number, counting from 1"),
        Symbol(r"\eta", "learning rate", "lr"),
        Symbol(r"\lambda", "weight decay", "weight_decay"),
        Symbol(r"\epsilon", "small constant added for numerical stability", "eps"),
        Symbol(r"d_t", "direction of step t, before the learning rate"),
        # momentum
        Symbol(r"\mu", "momentum coefficient", "momentum"),
        Symbol(r"\tau", "dampening: the gradient enters the buffer times 1 − τ", "dampening"),
        Symbol(r"b_t", "momentum buffer"),
        # running sums and averages of gradients
        Symbol(r"s_t", "running sum of squared gradients"),
        Symbol(r"\omega", "starting value of the sum s", "initial_accumulator_value"),
        Symbol(r"\kappa", "learning-rate decay", "lr_decay"),
        Symbol(r"\alpha", "decay rate of RMSprop's running averages v and m", "alpha"),
        Symbol(r"m_t", "running average of gradients (first moment)"),
        Symbol(r"v_t", "running average of squared gradients (second moment)"),
        Symbol(r"\tilde v_t", "second moment used in the denominator: v, or v − m² if centered"),
        Symbol(r"\beta_1", "decay rate of the first moment m", "betas[0]"),
        Symbol(r"\beta_2", "decay rate of the second moment v (of u in Adamax)", "betas[1]"),
        Symbol(r"\hat m_t", "bias-corrected first moment"),
        Symbol(r"\hat v_t", "bias-corrected second moment"),
        Symbol(r"\bar v_t", "largest second moment so far (running maximum of v)"),
        Symbol(r"u_t", "decaying maximum of gradient magnitudes (infinity norm)"),
        Symbol(r"\gamma_t", "momentum coefficient of step t, from NAdam's schedule"),
        Symbol(r"\psi", "momentum decay of NAdam's schedule", "momentum_decay"),
        Symbol(r"i", "index of an earlier step"),
        Symbol(r"\ell_t", "length of the approximated simple moving average (ρ in the paper)"),
        Symbol(r"\ell_\infty", "limit of ℓ as t grows (ρ∞ in the paper)"),
        Symbol(r"r_t", "variance rectification factor"),
        Symbol(r"\rho", "decay rate of Adadelta's running averages v and a", "rho"),
        Symbol(r"a_t", "running average of squared directions d²"),
        Symbol(r"c_t", "interpolation of first moment and gradient, whose sign is the direction"),
        Symbol(r"\beta_c", "weight of the first moment in the interpolation c", "betas[0]"),
        Symbol(r"\beta_m", "decay rate of Lion's first moment m", "betas[1]"),
        # second order
        Symbol(r"H_t", "Hessian of f at the point before step t"),
        Symbol(r"I", "the 2 × 2 identity matrix"),
        Symbol(r"\delta", "damping added to the Hessian's diagonal", "damping"),
    )
}


def legend(*latex: str) -> tuple[Symbol, ...]:
    """The legend entries of `SYMBOLS` for these symbols, in this order."""
    return tuple(SYMBOLS[s] for s in latex)
