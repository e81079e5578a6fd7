"""RAdam (torch.optim.RAdam): Adam with a rectified, warm-up-free adaptive step.

Update rule:

    g ← g + λθ                                   (L2; decoupled: θ ← θ(1 - lr_t λ))
    m ← β₁ m + (1 - β₁) g        v ← β₂ v + (1 - β₂) g²        m̂ = m / (1 - β₁ᵗ)
    ρ∞ = 2/(1 - β₂) - 1,  ρ_t = ρ∞ - 2tβ₂ᵗ/(1 - β₂ᵗ)
    ρ_t > 5:  r = √((ρ_t - 4)(ρ_t - 2)ρ∞ / ((ρ∞ - 4)(ρ∞ - 2)ρ_t)),
              θ ← θ - lr_t m̂ · √(1 - β₂ᵗ)/(√v + eps) · r      (eps_placement = "inside": √(v + eps))
    otherwise θ ← θ - lr_t m̂                       (plain momentum while the variance is unreliable)

State: first moment m, second moment v.
Preconditioned LR: lr_t r √(1 - β₂ᵗ)/(√v + eps) when rectified, else lr_t.
"""

import numpy as np

from optviz.core.jit import INLINE_OPTIONS, njit
from optviz.core.optimizers.common import flush, lerp
from optviz.core.optimizers.spec import (
    OptimizerSpec,
    betas,
    decoupled_weight_decay,
    eps,
    eps_placement,
    lr,
    step_coefficients,
    weight_decay,
)

FAMILY = 7

SPECS = (
    OptimizerSpec(
        "radam", "RAdam", FAMILY, "RAdam",
        (lr(1e-3), betas(), eps(1e-8), weight_decay(), decoupled_weight_decay(variant=False), eps_placement()),
        ("exp_avg", "exp_avg_sq"),
        __doc__.split("Update rule", 1)[1].split("State:", 1)[0].strip(" :\n"),
        "lr_t r √(1 - β₂ᵗ)/(√v + eps) once rectified, lr_t before",
        "Adam that behaves like momentum SGD until the variance estimate is reliable.",
    ),
)


def pack(h: dict) -> np.ndarray:
    b1, b2 = h["betas"]
    return np.array([b1, b2, h["eps"], float(h["eps_placement"] == "inside")])


def coefficients(h: dict, lrs: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """Per step: lr, L2, decay, 1 - β₁ᵗ, rectified (0/1), r, √(1 - β₂ᵗ)."""
    b1, b2 = h["betas"]
    t = steps.astype(np.float64)
    bc1 = 1.0 - b1**t
    bc2 = 1.0 - b2**t
    rho_inf = 2.0 / (1.0 - b2) - 1.0
    rho_t = rho_inf - 2.0 * t * (b2**t) / bc2
    rectified = rho_t > 5.0
    with np.errstate(invalid="ignore", divide="ignore"):
        rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
    c = step_coefficients(h, lrs, 7)
    c[:, 3] = bc1
    c[:, 4] = rectified
    c[:, 5] = np.where(rectified, rect, 0.0)
    c[:, 6] = bc2**0.5
    return c


def init_state(h: dict, n: int) -> np.ndarray:
    return np.zeros((2, 2, n))


@njit(**INLINE_OPTIONS)
def update(h, c, want_lr, theta, state, grad, start, count, new_theta, lr_pre):
    """One step for particles [start, start+count); lr_pre only when ``want_lr`` (it costs a division)."""
    b1, b2, eps_ = h[0], h[1], h[2]
    inside = h[3] != 0.0
    rate, l2, decay, bc1 = c[0], c[1], c[2], c[3]
    rectified = c[4] != 0.0
    rect, bc2_sqrt = c[5], c[6]
    stop = start + count
    for d in range(2):
        th_ = theta[d, start:stop]
        m_ = state[0, d, start:stop]
        v_ = state[1, d, start:stop]
        g_ = grad[d, :count]
        new_ = new_theta[d, :count]
        lr_ = lr_pre[d, :count]
        for j in range(count):
            th = th_[j]
            g = g_[j] + l2 * th
            m = flush(lerp(m_[j], g, 1.0 - b1))
            m_[j] = m
            v = flush(b2 * v_[j] + (1.0 - b2) * g * g)
            v_[j] = v
            m_hat = m / bc1
            if rectified:
                if inside:
                    adaptive = bc2_sqrt / np.sqrt(v + eps_)
                else:
                    adaptive = bc2_sqrt / (np.sqrt(v) + eps_)
                new_[j] = th * decay - m_hat * rate * adaptive * rect
                if want_lr:
                    lr_[j] = rate * adaptive * rect
            else:
                new_[j] = th * decay - m_hat * rate
                if want_lr:
                    lr_[j] = rate
