"""RAdam (torch.optim.RAdam): Adam with a rectified, warm-up-free adaptive step.

State: first moment m, second moment v.
Preconditioned LR: lr_t r √(1 - β₂ᵗ)/(√v + eps) when rectified, else lr_t.
"""

import numpy as np

from optviz.core.jit import CALLEE_OPTIONS, njit
from optviz.core.optimizers.common import adam_moments, weight_decay_columns, weight_decay_terms
from optviz.core.optimizers.spec import (
    Corrected,
    Factor,
    OptimizerSpec,
    StateDoc,
    betas,
    decoupled_weight_decay,
    eps,
    eps_placement,
    lr,
    weight_decay,
)

FAMILY = "radam"

STATE = ("exp_avg", "exp_avg_sq")

#: The update rule, per parameter, as the group editor and the inspector show it.
UPDATE_RULE = """\
g ← g + λθ                                   (L2; decoupled: θ ← θ(1 - lr_t λ))
m ← β₁ m + (1 - β₁) g        v ← β₂ v + (1 - β₂) g²        m̂ = m / (1 - β₁ᵗ)
ρ∞ = 2/(1 - β₂) - 1,  ρ_t = ρ∞ - 2tβ₂ᵗ/(1 - β₂ᵗ)
ρ_t > 5:  r = √((ρ_t - 4)(ρ_t - 2)ρ∞ / ((ρ∞ - 4)(ρ∞ - 2)ρ_t)),
          θ ← θ - lr_t m̂ · √(1 - β₂ᵗ)/(√v + eps) · r      (eps_placement = "inside": √(v + eps))
otherwise θ ← θ - lr_t m̂                       (plain momentum while the variance is unreliable)
"""

STATE_DOCS = (
    StateDoc("exp_avg", "m", "first moment", "the direction"),
    StateDoc("exp_avg_sq", "v", "second moment", "the scale, used once r_t switches on"),
)

FACTORS = (
    Factor("bc1", "1/(1−β₁ᵗ)", "bias correction of m"),
    Factor("r", "r_t", "rectification: absent (plain momentum step) while ρ_t ≤ 5, then rising toward 1"),
)

CORRECTED = (Corrected("m̂", "m / (1−β₁ᵗ)", "exp_avg", "bc1"),)


def factor_values(h, t: np.ndarray) -> dict:
    """1/(1 - β₁ᵗ) and the rectification r_t at steps t (NaN while ρ_t <= 5: not rectified)."""
    beta1, beta2 = h["betas"]
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    rho_t = rho_inf - 2.0 * t * beta2**t / (1.0 - beta2**t)
    on = rho_t > 5.0
    with np.errstate(invalid="ignore"):
        r = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
    return {"bc1": 1.0 / (1.0 - beta1**t), "r": np.where(on, r, np.nan)}


def first_rectified_step(h) -> int | None:
    """The first step t at which r_t acts (ρ_t > 5), None if it never does (β₂ too small)."""
    beta2 = h["betas"][1]
    if 2.0 / (1.0 - beta2) - 1.0 <= 5.0:
        return None
    t = 1
    while not np.isfinite(factor_values(h, np.array([float(t)]))["r"][0]):
        t += 1
    return t


SPECS = (
    OptimizerSpec(
        "radam", "RAdam", FAMILY, "RAdam",
        (lr(1e-3), betas(), eps(1e-8), weight_decay(), decoupled_weight_decay(variant=False), eps_placement()),
        STATE,
        UPDATE_RULE,
        "lr_t r √(1 - β₂ᵗ)/(√v + eps) once rectified, lr_t before",
        "Adam that behaves like momentum SGD until the variance estimate is reliable.",
        state_docs=STATE_DOCS, factors=FACTORS, factor_values=factor_values, corrected=CORRECTED,
    ),
)


COLUMNS = ("beta1", "beta2", "eps", "eps_inside", "weight_decay", "decoupled")
COEFFICIENTS = ("rate", "l2", "decay", "bc1", "rectified", "rect", "bc2_sqrt")


def columns(h: dict) -> dict:
    """Kernel columns: β₁, β₂, eps, eps inside (0/1), weight decay."""
    beta1, beta2 = h["betas"]
    return {"beta1": beta1, "beta2": beta2, "eps": h["eps"], "eps_inside": float(h["eps_placement"] == "inside"),
            **weight_decay_columns(h)}


def init_state(h: dict, n: int) -> np.ndarray:
    return np.zeros((2, 2, n))


@njit(**CALLEE_OPTIONS)
def coefficients(t, lr, carry, beta1, beta2, eps, eps_inside, weight_decay, decoupled):
    """Step t's scalars: lr_t, L2 λ, decoupled factor, 1 - β₁ᵗ, rectified (0/1), r_t, √(1 - β₂ᵗ)."""
    l2, decay = weight_decay_terms(lr, weight_decay, decoupled)
    bc1 = 1.0 - beta1**t
    bc2 = 1.0 - beta2**t
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    rho_t = rho_inf - 2.0 * t * (beta2**t) / bc2
    rectified = rho_t > 5.0
    rect = 0.0
    if rectified:
        rect = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
    return carry, lr, l2, decay, bc1, 1.0 if rectified else 0.0, rect, np.sqrt(bc2)


@njit(**CALLEE_OPTIONS)
def rule(theta, grad, exp_avg, exp_avg_sq, beta1, beta2, eps, eps_inside, weight_decay, decoupled,
         rate, l2, decay, bc1, rectified, rect, bc2_sqrt):
    """One parameter's step: (new θ, new m, new v, preconditioned LR)."""
    g, m, v = adam_moments(theta, grad, l2, exp_avg, exp_avg_sq, beta1, beta2)
    m_hat = m / bc1
    root = np.sqrt(v + eps) if eps_inside != 0.0 else np.sqrt(v) + eps
    adaptive = bc2_sqrt / root
    on = rectified != 0.0
    new_theta = theta * decay - m_hat * rate * adaptive * rect if on else theta * decay - m_hat * rate
    return new_theta, m, v, rate * adaptive * rect if on else rate
