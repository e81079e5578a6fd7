"""Adadelta (torch.optim.Adadelta).

State: square average v, accumulated squared update u.
Preconditioned LR: lr_t √(u + eps) / √(v + eps) (u before this step's update).
"""

import numpy as np

from optviz.core.jit import CALLEE_OPTIONS, njit
from optviz.core.optimizers.common import flush, weight_decay_columns, weight_decay_terms
from optviz.core.optimizers.spec import (
    HyperSpec,
    OptimizerSpec,
    StateDoc,
    decoupled_weight_decay,
    eps,
    lr,
    weight_decay,
)

FAMILY = "adadelta"

STATE = ("square_avg", "acc_delta")

#: The update rule, per parameter, as the group editor and the inspector show it.
UPDATE_RULE = """\
g ← g + λθ                                   (L2; decoupled: θ ← θ(1 - lr_t λ))
v ← ρ v + (1 - ρ) g²
Δ = √(u + eps) / √(v + eps) · g
u ← ρ u + (1 - ρ) Δ²
θ ← θ - lr_t Δ
"""

STATE_DOCS = (
    StateDoc("square_avg", "v", "running mean of g²", "the scale of the gradients"),
    StateDoc("acc_delta", "u", "running mean of Δ²", "the scale of the updates"),
)

SPECS = (
    OptimizerSpec(
        "adadelta", "Adadelta", FAMILY, "Adadelta",
        (
            lr(1.0),
            HyperSpec("rho", 0.9, "decay rate ρ of both running averages", low=0.0, high=1.0, high_open=True),
            eps(1e-6),
            weight_decay(),
            decoupled_weight_decay(),
        ),
        STATE,
        UPDATE_RULE,
        "lr_t √(u + eps) / √(v + eps) per parameter",
        "Step sizes from the ratio of running RMS of updates and of gradients.",
        state_docs=STATE_DOCS,
    ),
)


COLUMNS = ("rho", "eps", "weight_decay", "decoupled")
COEFFICIENTS = ("rate", "l2", "decay")


def columns(h: dict) -> dict:
    """Kernel columns: ρ, eps, weight decay."""
    return {"rho": h["rho"], "eps": h["eps"], **weight_decay_columns(h)}


def init_state(h: dict, n: int) -> np.ndarray:
    return np.zeros((2, 2, n))


@njit(**CALLEE_OPTIONS)
def coefficients(t, lr, carry, rho, eps, weight_decay, decoupled):
    """Step t's scalars: lr_t, L2 λ, decoupled factor."""
    l2, decay = weight_decay_terms(lr, weight_decay, decoupled)
    return carry, lr, l2, decay


@njit(**CALLEE_OPTIONS)
def rule(theta, grad, square_avg, acc_delta, rho, eps, weight_decay, decoupled, rate, l2, decay):
    """One parameter's step: (new θ, new E[g²], new E[Δ²], preconditioned LR)."""
    g = grad + l2 * theta
    v = flush(rho * square_avg + (1.0 - rho) * g * g)
    scale = np.sqrt(acc_delta + eps) / np.sqrt(v + eps)
    delta = scale * g
    acc = flush(rho * acc_delta + (1.0 - rho) * delta * delta)
    return theta * decay - rate * delta, v, acc, rate * scale
