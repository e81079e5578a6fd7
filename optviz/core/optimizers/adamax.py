"""Adamax (torch.optim.Adamax): Adam with an infinity-norm second moment.

State: first moment m, infinity norm u. Preconditioned LR: lr_t / u.
"""

import numpy as np

from optviz.core.jit import CALLEE_OPTIONS, njit
from optviz.core.optimizers.adam import bias_terms
from optviz.core.optimizers.common import flush, lerp, weight_decay_columns, weight_decay_terms
from optviz.core.optimizers.spec import (
    Corrected,
    Factor,
    OptimizerSpec,
    StateDoc,
    betas,
    bias_correction,
    decoupled_weight_decay,
    eps,
    lr,
    weight_decay,
)

FAMILY = "adamax"

STATE = ("exp_avg", "exp_inf")

#: The update rule, per parameter, as the group editor and the inspector show it.
UPDATE_RULE = """\
g ← g + λθ                                   (L2; decoupled: θ ← θ(1 - lr_t λ))
m ← β₁ m + (1 - β₁) g
u ← max(β₂ u, |g| + eps)
θ ← θ - lr_t / (1 - β₁ᵗ) · m / u             (bias_correction = false: no 1/(1 - β₁ᵗ))
"""

STATE_DOCS = (
    StateDoc("exp_avg", "m", "first moment", "the direction"),
    StateDoc("exp_inf", "u", "infinity norm", "the scale: running maximum of |g|"),
)

FACTORS = (Factor("bc1", "1/(1−β₁ᵗ)", "bias correction of m", switch="bias_correction"),)

CORRECTED = (Corrected("m̂", "m / (1−β₁ᵗ)", "exp_avg", "bc1"),)


def factor_values(h, t: np.ndarray) -> dict:
    """1/(1 - β₁ᵗ) at steps t (u needs no correction: a maximum is not biased toward 0)."""
    return {"bc1": 1.0 / (1.0 - h["betas"][0] ** t)}


SPECS = (
    OptimizerSpec(
        "adamax", "Adamax", FAMILY, "Adamax",
        (lr(2e-3), betas(), eps(1e-8), weight_decay(), decoupled_weight_decay(), bias_correction()),
        STATE,
        UPDATE_RULE,
        "lr_t / u per parameter",
        "Adam with the running maximum of |g| in place of the RMS.",
        state_docs=STATE_DOCS, factors=FACTORS, factor_values=factor_values, corrected=CORRECTED,
    ),
)


COLUMNS = ("beta1", "beta2", "eps", "bias_correction", "weight_decay", "decoupled")
COEFFICIENTS = ("rate", "l2", "decay", "clr")


def columns(h: dict) -> dict:
    """Kernel columns: β₁, β₂, eps, bias correction (0/1), weight decay."""
    beta1, beta2 = h["betas"]
    return {"beta1": beta1, "beta2": beta2, "eps": h["eps"], "bias_correction": float(h["bias_correction"]),
            **weight_decay_columns(h)}


def init_state(h: dict, n: int) -> np.ndarray:
    return np.zeros((2, 2, n))


@njit(**CALLEE_OPTIONS)
def coefficients(t, lr, carry, beta1, beta2, eps, bias_correction, weight_decay, decoupled):
    """Step t's scalars: lr_t, L2 λ, decoupled factor, lr_t / (1 - β₁ᵗ)."""
    l2, decay = weight_decay_terms(lr, weight_decay, decoupled)
    bc1, _ = bias_terms(t, beta1, beta2, bias_correction)
    return carry, lr, l2, decay, lr / bc1


@njit(**CALLEE_OPTIONS)
def rule(theta, grad, exp_avg, exp_inf, beta1, beta2, eps, bias_correction, weight_decay, decoupled,
         rate, l2, decay, clr):
    """One parameter's step: (new θ, new m, new u, preconditioned LR)."""
    g = grad + l2 * theta
    m = flush(lerp(exp_avg, g, 1.0 - beta1))
    u = max(beta2 * exp_inf, abs(g) + eps)
    return theta * decay - clr * (m / u), m, u, rate / u
