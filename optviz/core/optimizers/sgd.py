"""SGD / GD, Momentum and Nesterov (torch.optim.SGD), with the lecture notes' momentum forms.

Update rule (per parameter, g the loss gradient, t = 1, 2, ...):

    g ← g + λθ                                  (L2 weight decay; decoupled: θ ← θ(1 - lr_t λ))
    torch form:     b_1 = g,   b_t = μ b_{t-1} + (1 - τ) g
    EMA form:       b_0 = 0,   b_t = μ b_{t-1} + (1 - μ) g     (notes 000, 004)
    dampened form:  b_0 = 0,   b_t = μ b_{t-1} + (1 - τ) g     (note 002)
    d = g + μ b_t if nesterov else b_t          (d = g when μ = 0)
    θ ← θ - lr_t d

State: momentum buffer b. Preconditioned LR: lr_t for both parameters.
"""

import numpy as np

from optviz.core.jit import INLINE_OPTIONS, njit
from optviz.core.optimizers.common import flush
from optviz.core.optimizers.spec import (
    HyperparameterError,
    HyperSpec,
    OptimizerSpec,
    decoupled_weight_decay,
    lr,
    step_coefficients,
    weight_decay,
)

FAMILY = 0
MOMENTUM_FORMS = ("torch", "ema", "dampened")


def _hypers(momentum: float, nesterov: bool) -> tuple[HyperSpec, ...]:
    return (
        lr(1e-3),
        HyperSpec("momentum", momentum, "momentum factor μ (0 = plain gradient descent)", low=0.0, high=1.0),
        HyperSpec("dampening", 0.0, "dampening τ: the gradient enters the buffer with weight 1 - τ",
                  low=0.0, high=1.0),
        weight_decay(),
        HyperSpec("nesterov", nesterov, "Nesterov momentum: step along g + μb instead of b", kind="bool"),
        HyperSpec(
            "momentum_form",
            "torch",
            "how the momentum buffer starts and mixes in g: 'torch' (b₁ = g, then μb + (1-τ)g), "
            "'ema' (b₀ = 0, μb + (1-μ)g, the lecture notes' exponential average) or "
            "'dampened' (b₀ = 0, μb + (1-τ)g)",
            kind="choice",
            choices=MOMENTUM_FORMS,
            variant=True,
        ),
        decoupled_weight_decay(),
    )


def _check_nesterov(values, where):
    if values["nesterov"] and (values["momentum"] <= 0.0 or values["dampening"] != 0.0):
        raise HyperparameterError(
            f"{where}.nesterov",
            f"{where}.nesterov = true requires momentum > 0 and dampening = 0 "
            f"(got momentum = {values['momentum']:g}, dampening = {values['dampening']:g})",
        )


_RULE = __doc__.split("Update rule", 1)[1].split("State:", 1)[0].strip(" :\n")
_EFFECTIVE = "lr_t for each parameter (momentum changes the realized step, not this factor)"

SPECS = (
    OptimizerSpec("sgd", "SGD (gradient descent)", FAMILY, "SGD", _hypers(0.0, False), ("momentum_buffer",),
                  _RULE, _EFFECTIVE, "Steps against the gradient; optional momentum, Nesterov, weight decay.",
                  (_check_nesterov,)),
    OptimizerSpec("momentum", "Momentum", FAMILY, "SGD", _hypers(0.9, False), ("momentum_buffer",),
                  _RULE, _EFFECTIVE, "SGD with a velocity that accumulates past gradients (μ = 0.9).",
                  (_check_nesterov,)),
    OptimizerSpec("nesterov", "Nesterov momentum", FAMILY, "SGD", _hypers(0.9, True), ("momentum_buffer",),
                  _RULE, _EFFECTIVE, "Momentum that looks ahead along the velocity.", (_check_nesterov,)),
)


def pack(h: dict) -> np.ndarray:
    return np.array([h["momentum"], float(h["nesterov"])], dtype=np.float64)


def coefficients(h: dict, lrs: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """Per step: lr, L2 coefficient, decoupled decay factor, weight of g in the buffer."""
    c = step_coefficients(h, lrs, 4)
    form = h["momentum_form"]
    mix = 1.0 - (h["momentum"] if form == "ema" else h["dampening"])
    c[:, 3] = np.where((steps == 1) & (form == "torch"), 1.0, mix)
    return c


def init_state(h: dict, n: int) -> np.ndarray:
    return np.zeros((1, 2, n))


@njit(**INLINE_OPTIONS)
def update(h, c, want_lr, theta, state, grad, start, count, new_theta, lr_pre):
    """One step for particles [start, start+count); lr_pre only when ``want_lr`` (it costs a division)."""
    mu = h[0]
    nesterov = h[1] != 0.0
    rate, l2, decay, mix = c[0], c[1], c[2], c[3]
    stop = start + count
    for d in range(2):
        th_ = theta[d, start:stop]
        buf = state[0, d, start:stop]
        g_ = grad[d, :count]
        new_ = new_theta[d, :count]
        lr_ = lr_pre[d, :count]
        for j in range(count):
            th = th_[j]
            g = g_[j] + l2 * th
            if mu != 0.0:
                b = flush(mu * buf[j] + mix * g)
                buf[j] = b
                direction = g + mu * b if nesterov else b
            else:
                direction = g
            new_[j] = th * decay - rate * direction
            if want_lr:
                lr_[j] = rate
