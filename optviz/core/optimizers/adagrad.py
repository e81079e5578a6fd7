"""AdaGrad (torch.optim.Adagrad).

State: sum of squared gradients G. Preconditioned LR: clr / (√G + eps), which only
ever shrinks: AdaGrad's vanishing learning rate. The lecture notes' δ = 1e-7 is eps.
"""

import numpy as np

from optviz.core.jit import CALLEE_OPTIONS, njit
from optviz.core.optimizers.common import eps_split, flush, weight_decay_columns, weight_decay_terms
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

FAMILY = "adagrad"

STATE = ("sum",)

#: The update rule, per parameter, as the group editor and the inspector show it.
UPDATE_RULE = """\
g ← g + λθ                                   (L2; decoupled: θ ← θ(1 - lr_t λ))
clr = lr_t / (1 + (t - 1) lr_decay)
G ← G + g²                                   (G₀ = initial_accumulator_value)
θ ← θ - clr · g / (√G + eps)                 (eps_placement = "inside": √(G + eps))

t = 1, 2, ... is the step.
"""

STATE_DOCS = (StateDoc("sum", "G", "sum of squared gradients", "only grows, so the step size only shrinks"),)

SPECS = (
    OptimizerSpec(
        "adagrad", "AdaGrad", FAMILY, "Adagrad",
        (
            lr(1e-2),
            HyperSpec("lr_decay", 0.0, "learning-rate decay: clr = lr / (1 + (t-1)·lr_decay)", low=0.0),
            weight_decay(),
            HyperSpec("initial_accumulator_value", 0.0, "starting value of the sum of squared gradients G",
                      low=0.0),
            eps(1e-10),
            eps_placement(),
            decoupled_weight_decay(),
        ),
        STATE,
        UPDATE_RULE,
        "clr / (√G + eps) per parameter; it only decreases",
        "Per-parameter step sizes from the running sum of squared gradients.",
        state_docs=STATE_DOCS,
    ),
)


COLUMNS = ("lr_decay", "eps", "eps_inside", "weight_decay", "decoupled")
COEFFICIENTS = ("clr", "l2", "decay")


def columns(h: dict) -> dict:
    """Kernel columns: lr decay, eps and where it sits, weight decay."""
    return {"lr_decay": h["lr_decay"], "eps": h["eps"], "eps_inside": float(h["eps_placement"] == "inside"),
            **weight_decay_columns(h)}


def init_state(h: dict, n: int) -> np.ndarray:
    state = np.zeros((1, 2, n))
    state[0] = h["initial_accumulator_value"]
    return state


@njit(**CALLEE_OPTIONS)
def coefficients(t, lr, carry, lr_decay, eps, eps_inside, weight_decay, decoupled):
    """Step t's scalars: clr = lr_t / (1 + (t - 1) lr_decay), L2 λ, decoupled factor."""
    l2, decay = weight_decay_terms(lr, weight_decay, decoupled)
    return carry, lr / (1.0 + (t - 1.0) * lr_decay), l2, decay


@njit(**CALLEE_OPTIONS)
def rule(theta, grad, sum, lr_decay, eps, eps_inside, weight_decay, decoupled, clr, l2, decay):
    """One parameter's step: (new θ, new accumulator, preconditioned LR)."""
    eps_in, eps_out = eps_split(eps, eps_inside)
    g = grad + l2 * theta
    s = flush(sum + g * g)
    std = np.sqrt(s + eps_in) + eps_out
    return theta * decay - clr * (g / std), s, clr / std
