"""RMSProp (torch.optim.RMSprop), plain, centered, with momentum.

State: square average v, gradient average ḡ, momentum buffer b.
Preconditioned LR: lr_t / s. The lecture notes use α = 0.9 (torch: 0.99).
"""

import numpy as np

from optviz.core.jit import CALLEE_OPTIONS, njit
from optviz.core.optimizers.common import eps_split, flush, lerp, weight_decay_columns, weight_decay_terms
from optviz.core.optimizers.spec import (
    HyperSpec,
    OptimizerSpec,
    StateDoc,
    decoupled_weight_decay,
    eps,
    eps_placement,
    lr,
    weight_decay,
)

FAMILY = "rmsprop"

STATE = ("square_avg", "grad_avg", "momentum_buffer")

#: The update rule, per parameter, as the group editor and the inspector show it.
UPDATE_RULE = """\
g ← g + λθ                                   (L2; decoupled: θ ← θ(1 - lr_t λ))
v ← α v + (1 - α) g²
centered: ḡ ← α ḡ + (1 - α) g,  s = √(v - ḡ²) + eps;  otherwise s = √v + eps
                                             (eps_placement = "inside": √(· + eps))
momentum μ > 0:  b ← μ b + g / s,  θ ← θ - lr_t b
otherwise:       θ ← θ - lr_t g / s
"""

STATE_DOCS = (
    StateDoc("square_avg", "v", "running mean of g²", "the scale; it forgets, unlike AdaGrad's sum"),
    StateDoc("grad_avg", "ḡ", "running mean of g", "centered only: v - ḡ² is the variance"),
    StateDoc("momentum_buffer", "b", "momentum buffer", "momentum > 0 only"),
)

SPECS = (
    OptimizerSpec(
        "rmsprop", "RMSProp", FAMILY, "RMSprop",
        (
            lr(1e-2),
            HyperSpec("alpha", 0.99, "smoothing constant α of the running average of g²",
                      low=0.0, high=1.0, high_open=True),
            eps(1e-8),
            weight_decay(),
            HyperSpec("momentum", 0.0, "momentum factor μ applied to the normalized step", low=0.0, high=1.0),
            HyperSpec("centered", False, "normalize by the variance of g instead of its second moment",
                      kind="bool"),
            eps_placement(),
            decoupled_weight_decay(),
        ),
        STATE,
        UPDATE_RULE,
        "lr_t / (√v + eps) per parameter (centered: lr_t / (√(v - ḡ²) + eps))",
        "Per-parameter step sizes from a running average of squared gradients.",
        state_docs=STATE_DOCS,
    ),
)


COLUMNS = ("alpha", "eps", "eps_inside", "momentum", "centered", "weight_decay", "decoupled")
COEFFICIENTS = ("rate", "l2", "decay")


def columns(h: dict) -> dict:
    """Kernel columns: α, eps and where it sits, momentum, centered (0/1), weight decay."""
    return {"alpha": h["alpha"], "eps": h["eps"], "eps_inside": float(h["eps_placement"] == "inside"),
            "momentum": h["momentum"], "centered": float(h["centered"]), **weight_decay_columns(h)}


def init_state(h: dict, n: int) -> np.ndarray:
    return np.zeros((3, 2, n))


@njit(**CALLEE_OPTIONS)
def coefficients(t, lr, carry, alpha, eps, eps_inside, momentum, centered, weight_decay, decoupled):
    """Step t's scalars: lr_t, L2 λ, decoupled factor."""
    l2, decay = weight_decay_terms(lr, weight_decay, decoupled)
    return carry, lr, l2, decay


@njit(**CALLEE_OPTIONS)
def rule(theta, grad, square_avg, grad_avg, momentum_buffer, alpha, eps, eps_inside, momentum, centered,
         weight_decay, decoupled, rate, l2, decay):
    """One parameter's step: (new θ, new v, new ḡ, new buffer, preconditioned LR)."""
    eps_in, eps_out = eps_split(eps, eps_inside)
    g = grad + l2 * theta
    v = flush(alpha * square_avg + (1.0 - alpha) * g * g)
    m = flush(lerp(grad_avg, g, 1.0 - alpha)) if centered != 0.0 else grad_avg
    var = v - m * m if centered != 0.0 else v
    s = np.sqrt(var + eps_in) + eps_out
    b = flush(momentum * momentum_buffer + g / s) if momentum > 0.0 else momentum_buffer
    step = rate * b if momentum > 0.0 else rate * (g / s)
    return theta * decay - step, v, m, b, rate / s
