"""The named optimizers: each constructor with its title, update rule, legend, paper and summary.

Defaults live only in the constructor signatures (torch.optim 2.x defaults for the torch kinds;
a variant such as `momentum` is `sgd` with the defaults its `_variant` call names); `@optimizer`
reads them from there. Rules are matplotlib mathtext in the notation of
`notation.py`: η learning rate, λ weight decay, g_t the gradient, d_t the direction of step t.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from gallery.engine.optim.blocks import (
    GradientTransformation,
    Hessian,
    Hyper,
    add_decayed_weights,
    as_hyper,
    chain,
    is_zero,
    scale_by_adadelta,
    scale_by_adagrad,
    scale_by_adam,
    scale_by_adamax,
    scale_by_learning_rate,
    scale_by_lion,
    scale_by_nadam,
    scale_by_newton,
    scale_by_radam,
    scale_by_rms,
    trace,
)
from gallery.engine.optim.notation import legend
from gallery.engine.optim.registry import optimizer

Betas = tuple[Hyper, Hyper]


def _betas(betas: Any) -> tuple[Hyper, Hyper]:
    b1, b2 = betas
    return as_hyper(b1), as_hyper(b2)


def _decay(
    weight_decay: Hyper, decoupled: bool, scale: GradientTransformation, lr: Hyper
) -> GradientTransformation:
    """L2 decay enters the gradient; decoupled decay is added to the direction before the lr."""
    if decoupled:
        return chain(scale, add_decayed_weights(weight_decay), scale_by_learning_rate(lr))
    return chain(add_decayed_weights(weight_decay), scale, scale_by_learning_rate(lr))


def _variant(make: Callable[..., GradientTransformation], name: str, doc: str, *,
             fixed: Mapping[str, Any] | None = None, **defaults: Any):  # fmt: skip
    """`make` as a constructor of its own: other `defaults`, and the arguments in `fixed` set
    and gone from its signature (so `@optimizer` reads the variant's defaults from it)."""
    fixed = dict(fixed or {})
    sig = inspect.signature(make)
    unknown = (set(fixed) | set(defaults)) - set(sig.parameters)
    if unknown:
        raise TypeError(f"{make.__name__} has no argument {', '.join(sorted(unknown))}")
    params = [
        p.replace(default=defaults.get(p.name, p.default))
        for p in sig.parameters.values()
        if p.name not in fixed
    ]

    def variant(*args: Any, **kwargs: Any) -> GradientTransformation:
        bound = variant.__signature__.bind(*args, **kwargs)
        bound.apply_defaults()
        return make(**bound.arguments, **fixed)

    variant.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    variant.__name__ = variant.__qualname__ = name
    variant.__doc__ = doc
    return variant


# Rule lines shared by several kinds.
_L2 = r"g_t \leftarrow g_t + \lambda\, \theta_{t-1}\quad (\lambda > 0)"
_L2_UNLESS_DECOUPLED = (
    r"g_t \leftarrow g_t + \lambda\, \theta_{t-1}"
    r"\quad (\lambda > 0,\ \mathrm{unless\ decoupled\_weight\_decay})"
)
_STEP = r"\theta_t = \theta_{t-1} - \eta\, d_t"
_STEP_DECOUPLED = r"\theta_t = \theta_{t-1} - \eta\, (d_t + \lambda\, \theta_{t-1})"
_DECOUPLED_OPTION = _STEP_DECOUPLED + r"\quad (\mathrm{instead,\ with\ decoupled\_weight\_decay})"

# ---------------------------------------------------------------- SGD family

_SGD_RULE = (
    _L2,
    r"b_t = g_t\quad (t = 1),\qquad b_t = \mu\, b_{t-1} + (1-\tau)\, g_t\quad (t > 1)",
    r"d_t = b_t,\quad \mathrm{or}\ \ d_t = g_t + \mu\, b_t\ \ \mathrm{with\ nesterov}",
    r"d_t = g_t\quad (\mathrm{instead,\ if}\ \mu = 0:\ \mathrm{no\ buffer})",
    _STEP,
)
_SGD_SYMBOLS = legend(r"\theta_t", "g_t", "t", r"\eta", r"\lambda", r"\mu", r"\tau", "b_t", "d_t")


@optimizer(
    name="sgd",
    title="SGD",
    rule=_SGD_RULE,
    symbols=_SGD_SYMBOLS,
    paper="Robbins & Monro, A Stochastic Approximation Method, Ann. Math. Stat. 1951",
    summary="With the default momentum 0, each step moves by lr times the gradient, straight "
    "down the local slope. On a quadratic bowl without weight decay, along each principal axis "
    "of curvature h, every step multiplies the distance to the minimum by 1 − lr·h: it shrinks "
    "only while lr < 2/h, and flips sign from step to step once lr > 1/h. One learning rate "
    "therefore has to be small enough for the steepest axis, which makes progress slow along "
    "the flattest one.",
)
def sgd(
    lr: Hyper = 1e-3,
    momentum: Hyper = 0.0,
    dampening: Hyper = 0.0,
    weight_decay: Hyper = 0.0,
    nesterov: bool = False,
) -> GradientTransformation:
    """SGD with optional heavy-ball / Nesterov momentum, as torch.optim.SGD.

    Robbins & Monro, A Stochastic Approximation Method, 1951; momentum from Polyak 1964; Nesterov
    form of Sutskever, Martens, Dahl & Hinton, ICML 2013.
    """
    lr, momentum, dampening, wd = map(as_hyper, (lr, momentum, dampening, weight_decay))
    links = [add_decayed_weights(wd)]
    if not is_zero(momentum):
        links.append(trace(momentum, dampening, bool(nesterov)))
    return chain(*links, scale_by_learning_rate(lr))


momentum = optimizer(
    name="momentum",
    title="Momentum",
    rule=_SGD_RULE,
    symbols=_SGD_SYMBOLS,
    paper="Polyak, Some methods of speeding up the convergence of iteration methods, "
    "USSR Comp. Math. Math. Phys. 1964",
    summary="Steps by lr times a momentum buffer b, a decaying sum of past gradients that "
    "starts as the first gradient. Under a constant gradient g (and no dampening) the buffer "
    "grows toward g/(1 − momentum), ten times g at the default 0.9, while components that flip "
    "sign from step to step partly cancel. After the slope changes sign the buffer can keep "
    "pointing the old way for several steps, so the iterate can run past a minimum and swing "
    "back.",
)(_variant(sgd, "momentum", "torch.optim.SGD with heavy-ball momentum 0.9 (Polyak 1964).",
           momentum=0.9))  # fmt: skip


nesterov = optimizer(
    name="nesterov",
    title="Nesterov",
    rule=_SGD_RULE,
    symbols=_SGD_SYMBOLS,
    paper="Sutskever, Martens, Dahl & Hinton, On the importance of initialization and momentum "
    "in deep learning, ICML 2013 (after Nesterov 1983)",
    summary="Momentum with Nesterov's look-ahead in torch's form: the direction is the gradient "
    "plus momentum times the buffer that already contains it. Compared with plain momentum "
    "this weights the newest gradient by 1 + momentum and each older one by one more factor "
    "of momentum. Under a constant gradient g it tends to the same step as plain momentum, "
    "lr·g/(1 − momentum).",
)(_variant(sgd, "nesterov", "torch.optim.SGD with Nesterov momentum 0.9 (Sutskever et al., "
           "ICML 2013).", momentum=0.9, nesterov=True))  # fmt: skip


# ---------------------------------------------------------------- AdaGrad, RMSprop


@optimizer(
    name="adagrad",
    title="AdaGrad",
    rule=(
        _L2,
        r"s_t = s_{t-1} + g_t^2,\quad s_0 = \omega",
        r"\theta_t = \theta_{t-1} - \frac{\eta}{1 + (t-1)\,\kappa}\,"
        r" \frac{g_t}{\sqrt{s_t} + \epsilon}",
    ),
    symbols=legend(
        r"\theta_t", "g_t", "t", r"\lambda", "s_t", r"\omega", r"\eta", r"\kappa", r"\epsilon"
    ),
    paper="Duchi, Hazan & Singer, Adaptive Subgradient Methods for Online Learning and "
    "Stochastic Optimization, JMLR 2011",
    summary="Divides each coordinate of the gradient by the root of the sum of all its squared "
    "gradients so far, so every coordinate gets its own step size; with the default zero "
    "starting sum, the first step moves each coordinate by lr·|g|/(|g| + eps), about lr. "
    "The sum only grows, so the factor lr/(√s + eps) never increases, and under a constant "
    "gradient the step falls like lr/√t.",
)
def adagrad(
    lr: Hyper = 1e-2,
    lr_decay: Hyper = 0.0,
    weight_decay: Hyper = 0.0,
    initial_accumulator_value: Hyper = 0.0,
    eps: Hyper = 1e-10,
) -> GradientTransformation:
    """AdaGrad as torch.optim.Adagrad (Duchi, Hazan & Singer, JMLR 2011)."""
    lr, lr_decay, wd, acc, eps = map(
        as_hyper, (lr, lr_decay, weight_decay, initial_accumulator_value, eps)
    )
    return _decay(wd, False, scale_by_adagrad(acc, eps, lr_decay), lr)


@optimizer(
    name="rmsprop",
    title="RMSprop",
    rule=(
        _L2,
        r"v_t = \alpha\, v_{t-1} + (1-\alpha)\, g_t^2,\quad v_0 = 0",
        r"m_t = \alpha\, m_{t-1} + (1-\alpha)\, g_t,\quad m_0 = 0\quad (\mathrm{if\ centered})",
        r"\tilde v_t = v_t - m_t^2\quad (\mathrm{centered}),"
        r"\qquad \tilde v_t = v_t\quad (\mathrm{otherwise})",
        r"b_t = \mu\, b_{t-1} + g_t / (\sqrt{\tilde v_t} + \epsilon),\quad b_0 = 0",
        r"\theta_t = \theta_{t-1} - \eta\, b_t",
    ),
    symbols=legend(
        r"\theta_t",
        "g_t",
        "t",
        r"\lambda",
        r"\alpha",
        "v_t",
        "m_t",
        r"\tilde v_t",
        r"\mu",
        "b_t",
        r"\epsilon",
        r"\eta",
    ),
    paper="Hinton, Srivastava & Swersky, Neural Networks for Machine Learning, Lecture 6e, 2012",
    summary="Divides each coordinate of the gradient by the root of v, a running average of its "
    "squared gradients that forgets old gradients instead of summing them as AdaGrad does. "
    "v starts at zero and is not bias-corrected, so without centering or momentum the first "
    "step moves each coordinate by about lr/√(1 − alpha), 10·lr at the default alpha 0.99; under a "
    "constant gradient later steps then shrink toward lr as v fills up. centered subtracts the "
    "square of the running mean gradient from v, and momentum adds a buffer on top of the "
    "scaled gradient.",
)
def rmsprop(
    lr: Hyper = 1e-2,
    alpha: Hyper = 0.99,
    eps: Hyper = 1e-8,
    weight_decay: Hyper = 0.0,
    momentum: Hyper = 0.0,
    centered: bool = False,
) -> GradientTransformation:
    """RMSprop as torch.optim.RMSprop (Hinton, Lecture 6e of Neural Networks for ML, 2012)."""
    lr, alpha, eps, wd, momentum = map(as_hyper, (lr, alpha, eps, weight_decay, momentum))
    links = [add_decayed_weights(wd), scale_by_rms(alpha, eps, bool(centered))]
    if not is_zero(momentum):
        links.append(trace(momentum))
    return chain(*links, scale_by_learning_rate(lr))


# ---------------------------------------------------------------- Adam family

_ADAM_PAPER = "Kingma & Ba, Adam: A Method for Stochastic Optimization, ICLR 2015"
_FIRST = r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t,\quad m_0 = 0"
_SECOND = r"v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2,\quad v_0 = 0"
_CORRECTED = r"\hat m_t = m_t / (1-\beta_1^t),\quad \hat v_t = v_t / (1-\beta_2^t)"
_MAX = r"\bar v_t = \max(\bar v_{t-1}, v_t),\quad \bar v_0 = 0"
_MAX_OPTION = (
    r"\bar v_t = \max(\bar v_{t-1}, v_t),\ \bar v_0 = 0,\ \ \hat v_t = \bar v_t / (1-\beta_2^t)"
    r"\quad (\mathrm{instead,\ with\ amsgrad})"
)
_ADAM_DIRECTION = r"d_t = \hat m_t / (\sqrt{\hat v_t} + \epsilon)"
_ADAM_SYMBOLS = (
    r"\theta_t",
    "g_t",
    "t",
    r"\lambda",
    "m_t",
    r"\beta_1",
    "v_t",
    r"\beta_2",
    r"\hat m_t",
    r"\hat v_t",
    r"\bar v_t",
    "d_t",
    r"\epsilon",
    r"\eta",
)


@optimizer(
    name="adam",
    title="Adam",
    rule=(
        _L2_UNLESS_DECOUPLED,
        _FIRST,
        _SECOND,
        _CORRECTED,
        _MAX_OPTION,
        _ADAM_DIRECTION,
        _STEP,
        _DECOUPLED_OPTION,
    ),
    symbols=legend(*_ADAM_SYMBOLS),
    paper=_ADAM_PAPER,
    summary="Steps along a running average of the gradients (the first moment m), divided "
    "coordinate by coordinate by the root of a running average of their squares (the second "
    "moment v); both start at zero and are divided by 1 − beta1^t and 1 − beta2^t to correct "
    "for that. The first step, and every step under a constant gradient, moves each coordinate "
    "by lr·|g|/(|g| + eps), about lr. Multiplying f by a positive constant leaves the steps "
    "unchanged apart from eps (without weight decay).",
)
def adam(
    lr: Hyper = 1e-3,
    betas: Betas = (0.9, 0.999),
    eps: Hyper = 1e-8,
    weight_decay: Hyper = 0.0,
    amsgrad: bool = False,
    decoupled_weight_decay: bool = False,
) -> GradientTransformation:
    """Adam as torch.optim.Adam (Kingma & Ba, ICLR 2015); AMSGrad (Reddi et al., ICLR 2018)."""
    b1, b2 = _betas(betas)
    lr, eps, wd = map(as_hyper, (lr, eps, weight_decay))
    return _decay(wd, bool(decoupled_weight_decay), scale_by_adam(b1, b2, eps, bool(amsgrad)), lr)


amsgrad = optimizer(
    name="amsgrad",
    title="AMSGrad",
    rule=(
        _L2_UNLESS_DECOUPLED,
        _FIRST,
        _SECOND,
        _MAX,
        r"\hat m_t = m_t / (1-\beta_1^t),\quad \hat v_t = \bar v_t / (1-\beta_2^t)",
        _ADAM_DIRECTION,
        _STEP,
        _DECOUPLED_OPTION,
    ),
    symbols=legend(*_ADAM_SYMBOLS),
    paper="Reddi, Kale & Kumar, On the Convergence of Adam and Beyond, ICLR 2018",
    summary="Adam whose denominator uses the largest second moment seen so far instead of the "
    "current one. That maximum never decreases, so after a burst of large gradients the "
    "denominator stays as large as the burst made it (apart from the bias correction), where "
    "Adam's v forgets the burst at rate beta2. Its first step is the same as Adam's.",
)(_variant(adam, "amsgrad", "AMSGrad (Reddi, Kale & Kumar, ICLR 2018): torch.optim.Adam with "
           "amsgrad=True.", fixed={"amsgrad": True}))  # fmt: skip


adamw = optimizer(
    name="adamw",
    title="AdamW",
    rule=(_FIRST, _SECOND, _CORRECTED, _MAX_OPTION, _ADAM_DIRECTION, _STEP_DECOUPLED),
    symbols=legend(*_ADAM_SYMBOLS),
    paper="Loshchilov & Hutter, Decoupled Weight Decay Regularization, ICLR 2019",
    summary="Adam with decoupled weight decay: the decay term weight_decay·θ is added to Adam's "
    "direction instead of to the gradient, so it is not divided by the adaptive denominator. "
    "On top of Adam's step, each step pulls the point toward the origin by lr·weight_decay "
    "times its position, 1e-5 of it at the defaults.",
)(_variant(adam, "adamw", "AdamW as torch.optim.AdamW (Loshchilov & Hutter, ICLR 2019).",
           weight_decay=1e-2, fixed={"decoupled_weight_decay": True}))  # fmt: skip


@optimizer(
    name="adamax",
    title="Adamax",
    rule=(
        _L2,
        _FIRST,
        r"u_t = \max(\beta_2 u_{t-1}, |g_t| + \epsilon),\quad u_0 = 0",
        r"d_t = m_t / ((1-\beta_1^t)\, u_t)",
        _STEP,
    ),
    symbols=legend(
        r"\theta_t",
        "g_t",
        "t",
        r"\lambda",
        "m_t",
        r"\beta_1",
        "u_t",
        r"\beta_2",
        r"\epsilon",
        "d_t",
        r"\eta",
    ),
    paper=_ADAM_PAPER + " (section 7.1)",
    summary="An Adam variant whose denominator u is a decaying maximum of gradient magnitudes "
    "(the infinity norm) instead of a root mean square; u needs no bias correction, and only "
    "the first moment is divided by 1 − beta1^t. The first step moves each coordinate by "
    "lr·|g|/(|g| + eps), and with the default betas no step moves a coordinate by more than "
    "1.01·lr.",
)
def adamax(
    lr: Hyper = 2e-3,
    betas: Betas = (0.9, 0.999),
    eps: Hyper = 1e-8,
    weight_decay: Hyper = 0.0,
) -> GradientTransformation:
    """Adamax as torch.optim.Adamax (Kingma & Ba, ICLR 2015, section 7.1)."""
    b1, b2 = _betas(betas)
    lr, eps, wd = map(as_hyper, (lr, eps, weight_decay))
    return _decay(wd, False, scale_by_adamax(b1, b2, eps), lr)


@optimizer(
    name="nadam",
    title="NAdam",
    rule=(
        _L2_UNLESS_DECOUPLED,
        r"\gamma_t = \beta_1\, (1 - \frac{1}{2}\, 0.96^{t\psi})",
        _FIRST,
        _SECOND,
        r"\hat v_t = v_t / (1-\beta_2^t)",
        r"d_t = \frac{1-\gamma_t}{1-\prod_{i=1}^{t}\gamma_i}\,"
        r" \frac{g_t}{\sqrt{\hat v_t} + \epsilon}"
        r" + \frac{\gamma_{t+1}}{1-\prod_{i=1}^{t+1}\gamma_i}\,"
        r" \frac{m_t}{\sqrt{\hat v_t} + \epsilon}",
        _STEP,
        _DECOUPLED_OPTION,
    ),
    symbols=legend(
        r"\theta_t",
        "g_t",
        "t",
        r"\lambda",
        r"\gamma_t",
        r"\beta_1",
        r"\psi",
        "m_t",
        "v_t",
        r"\beta_2",
        r"\hat v_t",
        "d_t",
        "i",
        r"\epsilon",
        r"\eta",
    ),
    paper="Dozat, Incorporating Nesterov Momentum into Adam, ICLR 2016 Workshop",
    summary="Adam with Nesterov's look-ahead: the direction adds the current gradient and the "
    "first moment, each with its own correction, over the bias-corrected root of the second "
    "moment. The momentum coefficient follows a schedule that rises slowly toward beta1: at the "
    "defaults it is 0.45 at step 1, 0.52 at step 1000 and 0.81 at step 10000.",
)
def nadam(
    lr: Hyper = 2e-3,
    betas: Betas = (0.9, 0.999),
    eps: Hyper = 1e-8,
    weight_decay: Hyper = 0.0,
    momentum_decay: Hyper = 4e-3,
    decoupled_weight_decay: bool = False,
) -> GradientTransformation:
    """NAdam as torch.optim.NAdam (Dozat, Incorporating Nesterov Momentum into Adam, 2016)."""
    b1, b2 = _betas(betas)
    lr, eps, wd, psi = map(as_hyper, (lr, eps, weight_decay, momentum_decay))
    return _decay(wd, bool(decoupled_weight_decay), scale_by_nadam(b1, b2, eps, psi), lr)


@optimizer(
    name="radam",
    title="RAdam",
    rule=(
        _L2_UNLESS_DECOUPLED,
        _FIRST,
        _SECOND,
        r"\hat m_t = m_t / (1-\beta_1^t)",
        r"\ell_\infty = 2/(1-\beta_2) - 1,"
        r"\quad \ell_t = \ell_\infty - 2t\,\beta_2^t/(1-\beta_2^t)",
        r"r_t = \sqrt{\frac{(\ell_t-4)(\ell_t-2)\,\ell_\infty}"
        r"{(\ell_\infty-4)(\ell_\infty-2)\,\ell_t}}",
        r"d_t = r_t\, \hat m_t\, \sqrt{1-\beta_2^t} / (\sqrt{v_t} + \epsilon)\quad (\ell_t > 5),"
        r"\qquad d_t = \hat m_t\quad (\ell_t \leq 5)",
        _STEP,
        _DECOUPLED_OPTION,
    ),
    symbols=legend(
        r"\theta_t",
        "g_t",
        "t",
        r"\lambda",
        "m_t",
        r"\beta_1",
        "v_t",
        r"\beta_2",
        r"\hat m_t",
        r"\ell_\infty",
        r"\ell_t",
        "r_t",
        "d_t",
        r"\epsilon",
        r"\eta",
    ),
    paper="Liu et al., On the Variance of the Adaptive Learning Rate and Beyond, ICLR 2020",
    summary="Adam with a built-in warm-up. While ℓ ≤ 5 (steps 1 to 5 at the default beta2) "
    "the direction is the bias-corrected first moment alone, not divided by anything, so those "
    "steps scale with the gradient like SGD with momentum. After that the step is Adam's, with "
    "eps added to √v before the bias correction, times a rectification factor r that rises "
    "toward 1.",
)
def radam(
    lr: Hyper = 1e-3,
    betas: Betas = (0.9, 0.999),
    eps: Hyper = 1e-8,
    weight_decay: Hyper = 0.0,
    decoupled_weight_decay: bool = False,
) -> GradientTransformation:
    """RAdam as torch.optim.RAdam (Liu et al., On the Variance of the Adaptive LR, ICLR 2020)."""
    b1, b2 = _betas(betas)
    lr, eps, wd = map(as_hyper, (lr, eps, weight_decay))
    return _decay(wd, bool(decoupled_weight_decay), scale_by_radam(b1, b2, eps), lr)


# ---------------------------------------------------------------- Adadelta, Lion


@optimizer(
    name="adadelta",
    title="Adadelta",
    rule=(
        _L2,
        r"v_t = \rho\, v_{t-1} + (1-\rho)\, g_t^2,\quad v_0 = 0",
        r"d_t = \frac{\sqrt{a_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g_t",
        r"a_t = \rho\, a_{t-1} + (1-\rho)\, d_t^2,\quad a_0 = 0",
        _STEP,
    ),
    symbols=legend(
        r"\theta_t", "g_t", "t", r"\lambda", "v_t", r"\rho", "d_t", "a_t", r"\epsilon", r"\eta"
    ),
    paper="Zeiler, ADADELTA: An Adaptive Learning Rate Method, arXiv:1212.5701, 2012",
    summary="Scales the gradient by the ratio of the root of a running average of squared past "
    "directions to the root of a running average of squared gradients, so the direction "
    "carries the units of the parameters. That average of past directions starts at zero, so "
    "the first step moves each coordinate by about lr·√(eps/(1 − rho)), 0.0032·lr at the "
    "defaults, for gradients much larger than √eps.",
)
def adadelta(
    lr: Hyper = 1.0, rho: Hyper = 0.9, eps: Hyper = 1e-6, weight_decay: Hyper = 0.0
) -> GradientTransformation:
    """Adadelta as torch.optim.Adadelta (Zeiler, arXiv:1212.5701, 2012)."""
    lr, rho, eps, wd = map(as_hyper, (lr, rho, eps, weight_decay))
    return _decay(wd, False, scale_by_adadelta(rho, eps), lr)


@optimizer(
    name="lion",
    title="Lion",
    rule=(
        r"c_t = \beta_c\, m_{t-1} + (1-\beta_c)\, g_t",
        r"d_t = \mathrm{sign}(c_t)",
        _STEP_DECOUPLED,
        r"m_t = \beta_m\, m_{t-1} + (1-\beta_m)\, g_t,\quad m_0 = 0",
    ),
    symbols=legend(
        r"\theta_t", "g_t", "t", "c_t", r"\beta_c", "m_t", "d_t", r"\eta", r"\lambda", r"\beta_m"
    ),
    paper="Chen et al., Symbolic Discovery of Optimization Algorithms, NeurIPS 2023",
    summary="Moves each coordinate by lr times the sign (+1, −1 or 0) of a blend of the first "
    "moment and the current gradient, plus the decoupled weight decay; the first moment is "
    "then updated with its own rate, betas[1]. The step size does not depend on the size of "
    "the gradient, so the steps do not shrink near a minimum and the path keeps moving on the "
    "scale of lr there.",
)
def lion(
    lr: Hyper = 1e-4, betas: Betas = (0.9, 0.99), weight_decay: Hyper = 0.0
) -> GradientTransformation:
    """Lion (Chen et al., Symbolic Discovery of Optimization Algorithms, NeurIPS 2023)."""
    b1, b2 = _betas(betas)
    lr, wd = map(as_hyper, (lr, weight_decay))
    return _decay(wd, True, scale_by_lion(b1, b2), lr)


# ---------------------------------------------------------------- Newton


@optimizer(
    name="newton",
    title="Newton",
    rule=(
        r"d_t = (H_t + \delta I)^{-1}\, g_t",
        r"d_t = (H_t + \delta I)^{+}\, g_t\quad (\mathrm{instead,\ pseudo\ inverse,\ where}"
        r"\ H_t + \delta I\ \mathrm{is\ nearly\ singular})",
        _STEP,
    ),
    symbols=legend(r"\theta_t", "g_t", "t", "H_t", r"\delta", "I", "d_t", r"\eta"),
    paper="Newton's method; damped form as in Nocedal & Wright, Numerical Optimization, 2006",
    summary="Jumps to the stationary point of the local quadratic model built from the exact "
    "Hessian, so with lr = 1 and damping 0 a quadratic with an invertible Hessian is solved in "
    "one step. The formula does not tell minima from saddle points or maxima: on x² − y² it "
    "jumps straight onto the saddle. Where the damped Hessian is (nearly) singular it uses the "
    "pseudo-inverse, which takes no step along the flat directions.",
)
def newton(lr: Hyper = 1.0, damping: Hyper = 0.0, *, hessian: Hessian) -> GradientTransformation:
    """Damped Newton's method with the exact Hessian: p <- p - lr (H + damping I)^{-1} g.

    Newton solves for the point where the local quadratic model has zero gradient, so it is drawn
    to every stationary point: minima, saddles and maxima alike (on x^2 - y^2 it jumps straight
    onto the saddle). Where H + damping I is singular or nearly so (|det| <= 1e-12 ||H||_F^2), the
    step uses the pseudo-inverse: the minimum-norm least-squares solution, which takes no step
    along flat directions. `damping > 0` regularises (Levenberg-style) and shortens steps.
    Nocedal & Wright, Numerical Optimization, 2006.
    """
    if hessian is None:
        raise ValueError("newton needs the function's Hessian (hessian=...)")
    lr, damping = as_hyper(lr), as_hyper(damping)
    return chain(scale_by_newton(hessian, damping), scale_by_learning_rate(lr))
