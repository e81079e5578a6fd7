"""NAdam (torch.optim.NAdam): Adam with Nesterov momentum and momentum decay.

Update rule (ψ = momentum_decay):

    g ← g + λθ                                   (L2; decoupled: θ ← θ(1 - lr_t λ))
    μ_t = β₁ (1 - ½·0.96^(tψ)),  μ_{t+1} likewise,  Π_t = μ₁ μ₂ … μ_t
    m ← β₁ m + (1 - β₁) g        v ← β₂ v + (1 - β₂) g²
    s = √(v / (1 - β₂ᵗ)) + eps                   (eps_placement = "inside": √(v/(1 - β₂ᵗ) + eps))
    θ ← θ - lr_t (1 - μ_t)/(1 - Π_t) · g / s - lr_t μ_{t+1}/(1 - Π_t μ_{t+1}) · m / s

State: first moment m, second moment v. Preconditioned LR: lr_t / s.
"""

import numpy as np

from optviz.core.jit import INLINE_OPTIONS, njit
from optviz.core.optimizers.common import flush, lerp
from optviz.core.optimizers.spec import (
    HyperSpec,
    OptimizerSpec,
    betas,
    decoupled_weight_decay,
    eps,
    eps_placement,
    lr,
    step_coefficients,
    weight_decay,
)

FAMILY = 6

SPECS = (
    OptimizerSpec(
        "nadam", "NAdam", FAMILY, "NAdam",
        (
            lr(2e-3), betas(), eps(1e-8), weight_decay(),
            HyperSpec("momentum_decay", 4e-3, "momentum decay ψ of the Nesterov schedule μ_t", low=0.0),
            decoupled_weight_decay(variant=False),
            eps_placement(),
        ),
        ("exp_avg", "exp_avg_sq"),
        __doc__.split("Update rule", 1)[1].split("State:", 1)[0].strip(" :\n"),
        "lr_t / (√v̂ + eps) per parameter",
        "Adam whose momentum looks ahead, as Nesterov's does.",
    ),
)


def pack(h: dict) -> np.ndarray:
    b1, b2 = h["betas"]
    return np.array([b1, b2, h["eps"], float(h["eps_placement"] == "inside")])


def coefficients(h: dict, lrs: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """Per step: lr, L2, decay, 1 - β₂ᵗ, coefficient of g/s, coefficient of m/s (both negative)."""
    b1, b2 = h["betas"]
    psi = h["momentum_decay"]
    all_steps = np.arange(1, int(steps.max()) + 2, dtype=np.float64)
    mus = b1 * (1.0 - 0.5 * 0.96 ** (all_steps * psi))
    products = np.cumprod(mus)
    t = steps.astype(np.int64)
    mu, mu_next, prod = mus[t - 1], mus[t], products[t - 1]
    c = step_coefficients(h, lrs, 6)
    c[:, 3] = 1.0 - b2 ** steps.astype(np.float64)
    c[:, 4] = -lrs * (1.0 - mu) / (1.0 - prod)
    c[:, 5] = -lrs * mu_next / (1.0 - prod * mu_next)
    return c


def init_state(h: dict, n: int) -> np.ndarray:
    return np.zeros((2, 2, n))


@njit(**INLINE_OPTIONS)
def update(h, c, want_lr, theta, state, grad, start, count, new_theta, lr_pre):
    """One step for particles [start, start+count); lr_pre only when ``want_lr`` (it costs a division)."""
    b1, b2, eps_ = h[0], h[1], h[2]
    inside = h[3] != 0.0
    rate, l2, decay, bc2, coef_g, coef_m = c[0], c[1], c[2], c[3], c[4], c[5]
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
            if inside:
                s = np.sqrt(v / bc2 + eps_)
            else:
                s = np.sqrt(v / bc2) + eps_
            partial = th * decay + coef_g * (g / s)
            new_[j] = partial + coef_m * (m / s)
            if want_lr:
                lr_[j] = rate / s
