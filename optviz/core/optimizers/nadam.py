"""NAdam (torch.optim.NAdam): Adam with Nesterov momentum and momentum decay.

State: first moment m, second moment v. Preconditioned LR: lr_t / s.
"""

import numpy as np

from optviz.core.jit import CALLEE_OPTIONS, njit
from optviz.core.optimizers.common import adam_moments, weight_decay_columns, weight_decay_terms
from optviz.core.optimizers.spec import (
    Corrected,
    Factor,
    HyperSpec,
    OptimizerSpec,
    StateDoc,
    betas,
    decoupled_weight_decay,
    eps,
    eps_placement,
    lr,
    weight_decay,
)

FAMILY = "nadam"

STATE = ("exp_avg", "exp_avg_sq")

#: The update rule, per parameter, as the group editor and the inspector show it.
UPDATE_RULE = """\
g ← g + λθ                                   (L2; decoupled: θ ← θ(1 - lr_t λ))
μ_t = β₁ (1 - ½·0.96^(tψ)),  μ_{t+1} likewise,  Π_t = μ₁ μ₂ … μ_t
m ← β₁ m + (1 - β₁) g        v ← β₂ v + (1 - β₂) g²
s = √(v / (1 - β₂ᵗ)) + eps                   (eps_placement = "inside": √(v/(1 - β₂ᵗ) + eps))
θ ← θ - lr_t (1 - μ_t)/(1 - Π_t) · g / s - lr_t μ_{t+1}/(1 - Π_t μ_{t+1}) · m / s

ψ = momentum_decay, t = 1, 2, ... the step.
"""

STATE_DOCS = (
    StateDoc("exp_avg", "m", "first moment", "the direction, mixed with g by the μ schedule"),
    StateDoc("exp_avg_sq", "v", "second moment", "the scale"),
)

FACTORS = (
    Factor("mu", "μ_t", "momentum weight β₁(1 − ½·0.96^(tψ)), rising from β₁/2 toward β₁"),
    Factor("bc2", "1/(1−β₂ᵗ)", "bias correction of v"),
)

CORRECTED = (Corrected("v̂", "v / (1−β₂ᵗ)", "exp_avg_sq", "bc2"),)


def factor_values(h, t: np.ndarray) -> dict:
    """μ_t = β₁ (1 - ½·0.96^(tψ)) and 1/(1 - β₂ᵗ) at steps t."""
    beta1, beta2 = h["betas"]
    return {"mu": beta1 * (1.0 - 0.5 * 0.96 ** (t * h["momentum_decay"])), "bc2": 1.0 / (1.0 - beta2**t)}


SPECS = (
    OptimizerSpec(
        "nadam", "NAdam", FAMILY, "NAdam",
        (
            lr(2e-3), betas(), eps(1e-8), weight_decay(),
            HyperSpec("momentum_decay", 4e-3, "momentum decay ψ of the Nesterov schedule μ_t", low=0.0),
            decoupled_weight_decay(variant=False),
            eps_placement(),
        ),
        STATE,
        UPDATE_RULE,
        "lr_t / (√v̂ + eps) per parameter",
        "Adam whose momentum looks ahead, as Nesterov's does.",
        state_docs=STATE_DOCS, factors=FACTORS, factor_values=factor_values, corrected=CORRECTED,
    ),
)


COLUMNS = ("beta1", "beta2", "eps", "eps_inside", "momentum_decay", "weight_decay", "decoupled")
COEFFICIENTS = ("rate", "l2", "decay", "bc2", "coef_g", "coef_m")


def columns(h: dict) -> dict:
    """Kernel columns: β₁, β₂, eps, eps inside (0/1), ψ, weight decay."""
    beta1, beta2 = h["betas"]
    return {"beta1": beta1, "beta2": beta2, "eps": h["eps"], "eps_inside": float(h["eps_placement"] == "inside"),
            "momentum_decay": h["momentum_decay"], **weight_decay_columns(h)}


def init_state(h: dict, n: int) -> np.ndarray:
    return np.zeros((2, 2, n))


@njit(**CALLEE_OPTIONS)
def coefficients(t, lr, carry, beta1, beta2, eps, eps_inside, momentum_decay, weight_decay, decoupled):
    """Step t's scalars; ``carry`` is Π_{t-1} (torch's mu_product, 1 before the first step), returned as Π_t.

    lr_t, L2 λ, decoupled factor, 1 - β₂ᵗ, and the (negative) coefficients of g/s and m/s.
    """
    l2, decay = weight_decay_terms(lr, weight_decay, decoupled)
    mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1.0) * momentum_decay))
    product = carry * mu
    coef_g = -lr * (1.0 - mu) / (1.0 - product)
    coef_m = -lr * mu_next / (1.0 - product * mu_next)
    return product, lr, l2, decay, 1.0 - beta2**t, coef_g, coef_m


@njit(**CALLEE_OPTIONS)
def rule(theta, grad, exp_avg, exp_avg_sq, beta1, beta2, eps, eps_inside, momentum_decay, weight_decay,
         decoupled, rate, l2, decay, bc2, coef_g, coef_m):
    """One parameter's step: (new θ, new m, new v, preconditioned LR)."""
    g, m, v = adam_moments(theta, grad, l2, exp_avg, exp_avg_sq, beta1, beta2)
    s = np.sqrt(v / bc2 + eps) if eps_inside != 0.0 else np.sqrt(v / bc2) + eps
    partial = theta * decay + coef_g * (g / s)
    return partial + coef_m * (m / s), m, v, rate / s
