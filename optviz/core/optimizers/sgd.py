"""SGD / GD, Momentum and Nesterov (torch.optim.SGD), with the lecture notes' momentum forms.

State: momentum buffer b. Preconditioned LR: lr_t for both parameters.
"""

import numpy as np

from optviz.core.jit import CALLEE_OPTIONS, njit
from optviz.core.optimizers.common import flush, weight_decay_columns, weight_decay_terms
from optviz.core.optimizers.spec import (
    HyperparameterError,
    HyperSpec,
    OptimizerSpec,
    StateDoc,
    decoupled_weight_decay,
    lr,
    weight_decay,
)

FAMILY = "sgd"
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


_EFFECTIVE = "lr_t for each parameter (momentum changes the realized step, not this factor)"

STATE = ("momentum_buffer",)

#: The update rule, per parameter, as the group editor and the inspector show it.
UPDATE_RULE = """\
g ← g + λθ                                  (L2 weight decay; decoupled: θ ← θ(1 - lr_t λ))
torch form:     b_1 = g,   b_t = μ b_{t-1} + (1 - τ) g
EMA form:       b_0 = 0,   b_t = μ b_{t-1} + (1 - μ) g     (notes 000, 004)
dampened form:  b_0 = 0,   b_t = μ b_{t-1} + (1 - τ) g     (note 002)
d = g + μ b_t if nesterov else b_t          (d = g when μ = 0)
θ ← θ - lr_t d

g is the loss gradient, t = 1, 2, ... the step.
"""

STATE_DOCS = (StateDoc("momentum_buffer", "b", "momentum buffer", "the velocity: a running sum of gradients"),)


def _spec(name: str, title: str, momentum: float, nesterov: bool, summary: str) -> OptimizerSpec:
    return OptimizerSpec(name, title, FAMILY, "SGD", _hypers(momentum, nesterov), STATE, UPDATE_RULE, _EFFECTIVE,
                         summary, (_check_nesterov,), state_docs=STATE_DOCS)


SPECS = (
    _spec("sgd", "SGD (gradient descent)", 0.0, False,
          "Steps against the gradient; optional momentum, Nesterov, weight decay."),
    _spec("momentum", "Momentum", 0.9, False, "SGD with a velocity that accumulates past gradients (μ = 0.9)."),
    _spec("nesterov", "Nesterov momentum", 0.9, True, "Momentum that looks ahead along the velocity."),
)


COLUMNS = ("momentum", "dampening", "nesterov", "form", "weight_decay", "decoupled")
COEFFICIENTS = ("rate", "l2", "decay", "mix")


def columns(h: dict) -> dict:
    """Kernel columns: μ, τ, Nesterov (0/1), momentum form (index in MOMENTUM_FORMS), weight decay."""
    return {"momentum": h["momentum"], "dampening": h["dampening"], "nesterov": float(h["nesterov"]),
            "form": float(MOMENTUM_FORMS.index(h["momentum_form"])), **weight_decay_columns(h)}


def init_state(h: dict, n: int) -> np.ndarray:
    return np.zeros((1, 2, n))


@njit(**CALLEE_OPTIONS)
def coefficients(t, lr, carry, momentum, dampening, nesterov, form, weight_decay, decoupled):
    """Step t's scalars: lr_t, L2 λ, decoupled factor, and the weight of g in the buffer (1 at torch's t = 1)."""
    l2, decay = weight_decay_terms(lr, weight_decay, decoupled)
    mix = 1.0 - (momentum if form == 1.0 else dampening)
    mix = 1.0 if (t == 1.0 and form == 0.0) else mix
    return carry, lr, l2, decay, mix


@njit(**CALLEE_OPTIONS)
def rule(theta, grad, momentum_buffer, momentum, dampening, nesterov, form, weight_decay, decoupled,
         rate, l2, decay, mix):
    """One parameter's step: (new θ, new buffer, preconditioned LR)."""
    g = grad + l2 * theta
    b = flush(momentum * momentum_buffer + mix * g) if momentum != 0.0 else momentum_buffer
    heavy = g + momentum * b if nesterov != 0.0 else b
    direction = heavy if momentum != 0.0 else g
    return theta * decay - rate * direction, b, rate
