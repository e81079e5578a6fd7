"""Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"; optax.lion).

State: momentum m. Preconditioned LR: lr_t (every step has size lr_t per parameter).
"""

import numpy as np

from optviz.core.jit import CALLEE_OPTIONS, njit
from optviz.core.optimizers.common import flush, sign
from optviz.core.optimizers.spec import HyperSpec, OptimizerSpec, StateDoc, lr, weight_decay

FAMILY = "lion"

STATE = ("exp_avg",)

#: The update rule, per parameter, as the group editor and the inspector show it.
UPDATE_RULE = """\
c = sign(β₁ m + (1 - β₁) g)
m ← β₂ m + (1 - β₂) g
θ ← θ - lr_t (c + λθ)                        (weight decay is always decoupled)
"""

STATE_DOCS = (StateDoc("exp_avg", "m", "momentum", "its sign, mixed with g, is the step's direction"),)

SPECS = (
    OptimizerSpec(
        "lion", "Lion", FAMILY, "optax.lion",
        (
            lr(1e-4),
            HyperSpec("b1", 0.9, "interpolation β₁ between momentum and gradient for the step's sign",
                      low=0.0, high=1.0),
            HyperSpec("b2", 0.99, "decay rate β₂ of the momentum", low=0.0, high=1.0),
            weight_decay(),
        ),
        STATE,
        UPDATE_RULE,
        "lr_t per parameter: every step moves each parameter by exactly lr_t",
        "Moves each parameter by ±lr along the sign of an interpolated momentum.",
        state_docs=STATE_DOCS, decay="decoupled",
    ),
)


COLUMNS = ("b1", "b2", "weight_decay")
COEFFICIENTS = ("rate",)


def columns(h: dict) -> dict:
    """Kernel columns: b1, b2, weight decay λ."""
    return {"b1": h["b1"], "b2": h["b2"], "weight_decay": h["weight_decay"]}


def init_state(h: dict, n: int) -> np.ndarray:
    return np.zeros((1, 2, n))


@njit(**CALLEE_OPTIONS)
def coefficients(t, lr, carry, b1, b2, weight_decay):
    """Step t's scalars: lr_t."""
    return carry, lr


@njit(**CALLEE_OPTIONS)
def rule(theta, grad, exp_avg, b1, b2, weight_decay, rate):
    """One parameter's step: (new θ, new m, preconditioned LR)."""
    direction = sign(b1 * exp_avg + (1.0 - b1) * grad) + weight_decay * theta
    return theta - rate * direction, flush(b2 * exp_avg + (1.0 - b2) * grad), rate
